"""A POST sent again with the same Idempotency-Key gets its first answer and writes nothing new."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient

from portfolio.db import utcnow
from portfolio.idempotency.models import IdempotencyKey
from portfolio.main import create_app
from tests.factories import assert_problem, live_server, make_project, ok, pledge_body

PLEDGES = "/api/v1/pledges"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def pledge_count(client: TestClient) -> int:
    return int(ok(client.get(PLEDGES))["total"])


def test_the_same_pledge_sent_twice_with_one_key_is_written_once_and_answered_alike(client):
    project = make_project(client)
    headers, body = key(), pledge_body(project["id"])
    first = client.post(PLEDGES, json=body, headers=headers)
    again = client.post(PLEDGES, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    for name in ("content-type", "etag", "location"):
        assert again.headers.get(name) == first.headers.get(name), name
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert pledge_count(client) == 1
    # Without the key, the same body is a new pledge, as ever.
    ok(client.post(PLEDGES, json=body), 201)
    assert pledge_count(client) == 2


def test_the_same_key_with_another_body_is_refused(client):
    project = make_project(client)
    headers = key()
    ok(client.post(PLEDGES, json=pledge_body(project["id"]), headers=headers), 201)
    other = client.post(PLEDGES, json=pledge_body(project["id"], amount="5.00"), headers=headers)
    assert_problem(other, 422)
    assert "another request" in other.json()["detail"]
    elsewhere = client.post("/api/v1/projects", json={"code": "X"}, headers=headers)  # another address
    assert_problem(elsewhere, 422)
    assert pledge_count(client) == 1


def test_a_refusal_is_answered_again_too_and_a_malformed_key_is_a_400(client):
    project = make_project(client)
    headers, body = key(), pledge_body(project["id"], pledged_on="2999-01-01")
    first = client.post(PLEDGES, json=body, headers=headers)
    assert first.status_code == 422
    assert client.post(PLEDGES, json=body, headers=headers).json() == first.json()
    for malformed in ("k" * 256, "", "é".encode(), "tab\tbed"):
        response = client.post(
            PLEDGES, json=pledge_body(project["id"]), headers={"Idempotency-Key": malformed}
        )
        assert_problem(response, 400)
    ok(client.post(PLEDGES, json=pledge_body(project["id"]), headers={"Idempotency-Key": "k" * 255}), 201)
    assert pledge_count(client) == 1


def test_a_key_is_its_accounts_own(client, accounts):
    project = make_project(client)
    headers = key()
    ok(client.post(PLEDGES, json=pledge_body(project["id"]), headers=headers), 201)
    admin = {**accounts["admin"].headers, **headers}
    second = client.post(PLEDGES, json=pledge_body(project["id"]), headers=admin)
    assert second.status_code == 201 and "idempotent-replayed" not in second.headers
    assert pledge_count(client) == 2


def test_another_host_answers_the_retry_from_the_database(client, settings, accounts):
    project = make_project(client)
    headers, body = {**key(), **accounts["staff"].headers}, pledge_body(project["id"])
    first = client.post(PLEDGES, json=body, headers=headers)
    other_host = create_app(settings)
    try:
        with TestClient(other_host) as elsewhere:
            again = elsewhere.post(PLEDGES, json=body, headers=headers)
    finally:
        other_host.state.db.dispose()
    assert again.status_code == 201 and again.json() == first.json()
    assert pledge_count(client) == 1


def test_the_same_key_sent_at_once_from_two_threads_writes_once(app, client, accounts):
    project = make_project(client)
    body = json.dumps(pledge_body(project["id"]))
    with live_server(app) as base:
        for _ in range(5):
            headers = {**key(), **accounts["staff"].headers, "Content-Type": "application/json"}
            clients = [httpx.Client(base_url=base, headers=headers, timeout=30) for _ in range(2)]
            barrier = threading.Barrier(2)
            answers: list[httpx.Response] = []

            def send(c: httpx.Client, barrier: threading.Barrier, answers: list[httpx.Response]) -> None:
                barrier.wait()
                answers.append(c.post(PLEDGES, content=body))

            threads = [threading.Thread(target=send, args=(c, barrier, answers)) for c in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            for c in clients:
                c.close()
            statuses = sorted(a.status_code for a in answers)
            assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
            if statuses == [201, 201]:
                assert answers[0].json() == answers[1].json()
    assert pledge_count(client) == 5


def test_the_api_document_declares_the_header_on_every_post(anon):
    paths = anon.get("/openapi.json").json()["paths"]
    posts = [
        (path, item["post"]) for path, item in paths.items() if "post" in item and path.startswith("/api/")
    ]
    assert len(posts) > 15
    for path, operation in posts:
        header = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert header and header[0]["in"] == "header" and header[0]["required"] is False, path
        assert {"400", "409", "422"} <= set(operation["responses"]), path


def test_a_key_whose_first_request_lost_its_worker_is_taken_again_after_ten_minutes(app, client, accounts):
    project = make_project(client)
    headers, body = key(), json.dumps(pledge_body(project["id"]))
    headers["Content-Type"] = "application/json"
    staff_id = accounts["staff"].id
    for minutes, expected in ((9, 409), (11, 201)):
        with app.state.db.session(write=True) as session:  # a claim left "in progress" by a killed worker
            session.add(
                IdempotencyKey(
                    user_id=staff_id,
                    key=headers["Idempotency-Key"],
                    request=f"POST {PLEDGES}",
                    body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                    created_at=utcnow() - timedelta(minutes=minutes),
                )
            )
        answer = client.post(PLEDGES, content=body, headers=headers)
        assert answer.status_code == expected, answer.text
        if expected == 409:
            with app.state.db.session(write=True) as session:
                session.delete(session.get(IdempotencyKey, (staff_id, headers["Idempotency-Key"])))
    assert pledge_count(client) == 1
