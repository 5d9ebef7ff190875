"""Every error is application/problem+json, never a bare 500 or an HTML page."""

from datetime import timedelta

from fastapi.testclient import TestClient

from portfolio.main import create_app
from portfolio.security import create_token
from tests.factories import TEST_KEY, assert_problem, make_settings


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(client):
    assert_problem(client.put("/api/v1/projects"), 405)


def test_malformed_json_is_a_422_problem(client):
    response = client.post(
        "/api/v1/projects", content=b'{"code": "X-1", ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


def test_a_body_that_is_not_an_object_is_a_422_problem(client):
    assert_problem(client.post("/api/v1/pledges", json=["not", "an", "object"]), 422)


def test_non_numeric_path_id_is_a_422_naming_it(client):
    assert_problem(client.get("/api/v1/projects/abc"), 422, ["path", "project_id"])


def test_every_bad_field_is_listed_at_once(client):
    body = assert_problem(client.post("/api/v1/pledges", json={"amount": "-1", "currency": "ZZZ"}), 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert {("body", "amount"), ("body", "currency"), ("body", "project_id"), ("body", "donor")} <= locs
    assert all(e["msg"] for e in body["errors"])


def test_database_unavailable_is_a_503_problem_not_a_500(backend, tmp_path):
    url = (
        f"sqlite:///{tmp_path}/missing-folder/portfolio.db"
        if backend == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/test"  # nothing listens on port 1
    )
    app = create_app(make_settings(database_url=url, migrate_on_start=False))
    token = create_token(TEST_KEY, 1, 1, timedelta(minutes=5))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        response = client.get("/api/v1/projects")
        assert_problem(response, 503)
        assert response.headers["retry-after"]
        assert_problem(client.get("/readyz"), 503)
        assert client.get("/healthz").status_code == 200  # the process itself is alive


def test_the_openapi_document_declares_errors_as_problem_documents(anon):
    schema = anon.get("/openapi.json").json()
    error_responses = [
        (path, status, response)
        for path, item in schema["paths"].items()
        for operation in item.values()
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]
    assert len(error_responses) > 50
    for path, status, response in error_responses:
        assert list(response["content"]) == ["application/problem+json"], (path, status)
    assert {"type", "title", "status", "detail", "errors"} <= set(
        schema["components"]["schemas"]["Problem"]["properties"]
    )
