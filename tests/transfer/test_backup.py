"""Backups: sample data → backup → restore into a fresh database → every API response identical, on each
database and from SQLite into PostgreSQL (the README's way of moving to PostgreSQL)."""

import base64
import hashlib
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from portfolio import migrate
from portfolio.backup import dump, is_empty, restore
from portfolio.cli import app as cli
from portfolio.demo import load_demo_data
from portfolio.errors import Conflict, ValidationFailed
from portfolio.main import create_app
from portfolio.security import create_token
from tests.conftest import PostgresDatabases, pg_server_url
from tests.factories import TEST_KEY, make_settings


@pytest.fixture
def sample(app):
    with app.state.db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    return app


def admin_headers(app) -> dict[str, str]:
    with app.state.db.session() as session:
        from portfolio.users.repository import get_by_email

        admin = get_by_email(session, "admin@example.org")
        token = create_token(TEST_KEY, admin.id, admin.token_version, timedelta(minutes=10))
    return {"Authorization": f"Bearer {token}"}


def responses(app) -> dict[str, object]:
    """What the API answers about everything in the database."""
    with TestClient(app, headers=admin_headers(app)) as client:

        def get(url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.text)
            if "json" in response.headers["content-type"]:
                return response.json()
            # a page's logout form carries a token of this session, not of the data
            return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', response.text)

        seen = {}
        for url in (
            "/api/v1/projects?limit=500",
            "/api/v1/pledges?limit=500",
            "/api/v1/exchange-rates?limit=500",
            "/api/v1/national-processes?limit=500",
            "/api/v1/users?limit=500",
            "/api/v1/audit?limit=500",
            "/api/v1/documents?limit=500",
            "/api/v1/norms",
            "/dashboards/funding",
            "/dashboards/progress",
            "/dashboards/donors/DEU",
        ):
            seen[url] = get(url)
        audit_total = seen["/api/v1/audit?limit=500"]["total"]
        seen["audit-last-page"] = get(f"/api/v1/audit?limit=500&offset={max(audit_total - 500, 0)}")
        for project in seen["/api/v1/projects?limit=500"]["items"]:
            for part in ("", "/history", "/milestones", "/indicators", "/audit?limit=500"):
                url = f"/api/v1/projects/{project['id']}{part}"
                seen[url] = get(url)
        for pledge in seen["/api/v1/pledges?limit=500"]["items"]:
            url = f"/api/v1/pledges/{pledge['id']}/receipts"
            seen[url] = get(url)
    return seen


def restored_app(url: str, document: dict):
    migrate.upgrade(url)
    target = create_app(make_settings(url))
    with target.state.db.session(write=True) as session:
        counts = restore(session, json.loads(json.dumps(document)))
    assert sum(counts.values()) == sum(len(rows) for rows in document["tables"].values())
    return target


def test_a_backup_restores_to_identical_answers(sample, empty_database_url):
    with sample.state.db.session() as session:
        document = dump(session)
    assert (
        document["tables"]["project"] and document["tables"]["audit_entry"] and document["tables"]["app_user"]
    )
    target = restored_app(empty_database_url, document)
    try:
        before, after = responses(sample), responses(target)
        assert after.keys() == before.keys()
        for key in before:
            assert after[key] == before[key], key
        # New records continue after the restored ones.
        with TestClient(target, headers=admin_headers(target)) as client:
            rate = client.post(
                "/api/v1/exchange-rates", json={"currency": "USD", "month": "2030-01", "eur_per_unit": "0.9"}
            )
            assert rate.status_code == 201, rate.text
    finally:
        target.state.db.dispose()


def test_moving_from_sqlite_to_postgresql(sample, backend, request):
    if backend != "sqlite":
        pytest.skip("the move starts from SQLite")
    if pg_server_url() is None:
        pytest.skip("PORTFOLIO_TEST_DATABASE_URL is not set: no PostgreSQL to move to")
    databases: PostgresDatabases = request.getfixturevalue("pg_databases")
    with sample.state.db.session() as session:
        document = dump(session)
    target = restored_app(databases.create(), document)
    try:
        before, after = responses(sample), responses(target)
        for key in before:
            assert after[key] == before[key], key
    finally:
        target.state.db.dispose()


def test_restore_refuses_a_database_that_holds_records_unless_told_to_replace(sample):
    with sample.state.db.session() as session:
        document = dump(session)
    with pytest.raises(Conflict), sample.state.db.session(write=True) as session:
        restore(session, document)
    with sample.state.db.session(write=True) as session:
        restore(session, document, replace=True)
    with sample.state.db.session() as session:
        assert dump(session)["tables"] == document["tables"]


def test_the_norms_titles_in_every_language_survive_a_round_trip(app, client, accounts, empty_database_url):
    with TestClient(app, headers=accounts["admin"].headers) as admin:
        retitled = admin.patch("/api/v1/norms/doc-sca", json={"titles": {"ru": "Документ о боеприпасах"}})
        assert retitled.status_code == 200, retitled.text
        added = admin.post(
            "/api/v1/norms",
            json={"code": "bpg-new", "title": "A guide", "kind": "guide", "titles": {"fr": "Un guide"}},
        )
        assert added.status_code == 201, added.text
        before = admin.get("/api/v1/norms").json()
    with app.state.db.session() as session:
        document = dump(session)
    assert {"norm_code": "doc-sca", "lang": "ru", "title": "Документ о боеприпасах"} in document["tables"][
        "norm_title"
    ]
    # a new database holds the shipped norms' titles: no one's record, replaced by the backup's
    target = restored_app(empty_database_url, document)
    try:
        with TestClient(target, headers=accounts["admin"].headers) as restored:
            assert restored.get("/api/v1/norms").json() == before
    finally:
        target.state.db.dispose()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "something-else"}, "format"),
        ({"version": 99}, "version"),
        ({"schema_revision": "0000"}, "schema_revision"),
        ({"tables": {"nonsense": []}}, "tables"),
        ({"tables": {"project": [{"no_such_column": 1}]}}, "tables"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_matching_backup(app, change, field):
    with app.state.db.session() as session:
        document = dump(session) | change
    with pytest.raises(ValidationFailed) as caught, app.state.db.session(write=True) as session:
        restore(session, document)
    assert caught.value.errors[0].loc[1] == field


def test_backup_and_restore_commands(sample, settings, tmp_path, monkeypatch, empty_database_url):
    from portfolio.config import get_settings

    runner = CliRunner()
    file = tmp_path / "all.json"
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["backup", str(file)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "Backed up" in result.output
        again = runner.invoke(cli, ["restore", str(file)])
        assert again.exit_code == 2
        assert "--replace" in again.output
        monkeypatch.setenv("PORTFOLIO_DATABASE_URL", empty_database_url)
        get_settings.cache_clear()
        moved = runner.invoke(cli, ["restore", str(file)], catch_exceptions=False)
        assert moved.exit_code == 0, moved.output
        (tmp_path / "junk.json").write_text("not json")
        assert runner.invoke(cli, ["restore", str(tmp_path / "junk.json")]).exit_code == 2
    finally:
        get_settings.cache_clear()
    target = create_app(make_settings(empty_database_url))
    try:
        with target.state.db.session() as session:
            assert dump(session)["tables"] == json.loads(file.read_text())["tables"]
    finally:
        target.state.db.dispose()


def test_a_restored_database_never_hands_out_a_deleted_records_id(client, app, empty_database_url):
    from tests.factories import make_project

    make_project(client, code="KEPT-1")
    gone = make_project(client, code="GONE-2")
    assert client.delete(f"/api/v1/projects/{gone['id']}").status_code == 204
    with app.state.db.session() as session:
        document = dump(session)
    target = restored_app(empty_database_url, document)
    try:
        with TestClient(target, headers=client.headers) as moved:
            fresh = moved.post(
                "/api/v1/projects",
                json={
                    "code": "NEW-3",
                    "title": "New",
                    "areas": ["SCA"],
                    "beneficiaries": ["SRB"],
                    "request_date": "2024-01-15",
                    "budget_eur": "1.00",
                },
            )
            assert fresh.status_code == 201, fresh.text
            assert fresh.json()["id"] > gone["id"]
            trail = moved.get(f"/api/v1/projects/{fresh.json()['id']}/audit").json()["items"]
            assert [e["action"] for e in trail] == ["create"]
    finally:
        target.state.db.dispose()


@pytest.mark.parametrize("character", ["\x07", "\x1b", "\x00", "\x7f"])
def test_restore_refuses_text_with_a_control_character_naming_table_column_and_record(sample, character):
    with sample.state.db.session() as session:
        document = dump(session)
    spoiled = json.loads(json.dumps(document))
    project = spoiled["tables"]["project"][2]
    project["title"] = f"Depot{character} security"

    with pytest.raises(ValidationFailed) as caught, sample.state.db.session(write=True) as session:
        restore(session, spoiled, replace=True)

    [error] = caught.value.errors
    assert error.loc == ("file", "tables", "project", 2, "title")
    assert f"project id {project['id']}, title" in error.msg
    assert f"U+{ord(character):04X}" in error.msg
    assert "project id" in caught.value.detail and "nothing was restored" in caught.value.detail
    with sample.state.db.session() as session:  # --replace deleted nothing: the check comes first
        assert dump(session)["tables"] == document["tables"]


def _upload_documents(app) -> list[dict]:
    """A small document and one of three chunks, with the files they were made from."""
    with TestClient(app, headers=admin_headers(app)) as client:
        project = client.get("/api/v1/projects", params={"limit": 1}).json()["items"][0]
        made = []
        for name, data in (
            ("small.pdf", b"%PDF-1.4\n%%EOF\n"),
            ("large.pdf", b"%PDF-1.7\n" + bytes(600_000)),
        ):
            form = {"owner_type": "project", "owner_id": project["id"], "category": "A07", "title": name}
            response = client.post(
                "/api/v1/documents", data=form, files={"file": (name, data, "application/pdf")}
            )
            assert response.status_code == 201, response.text
            made.append(response.json() | {"bytes": data})
    return made


def test_documents_and_their_bytes_survive_a_round_trip(sample, empty_database_url):
    with TestClient(sample, headers=admin_headers(sample)) as client:
        samples = client.get("/api/v1/documents", params={"limit": 200}).json()["items"]
    assert samples  # the sample portfolio's own small PDFs, one chunk each
    made = _upload_documents(sample)
    with sample.state.db.session() as session:
        document = dump(session)
    assert len(document["tables"]["document_chunk"]) == len(samples) + 4  # 1 + 3 chunks, each its own row
    target = restored_app(empty_database_url, document)
    try:
        with TestClient(target, headers=admin_headers(target)) as client:
            listed = client.get("/api/v1/documents", params={"limit": 200}).json()["items"]
            expected = {d["id"]: d["sha256"] for d in [*samples, *made]}
            assert {d["id"]: d["sha256"] for d in listed} == expected
            for original in samples:
                got = client.get(f"/api/v1/documents/{original['id']}/content")
                assert hashlib.sha256(got.content).hexdigest() == original["sha256"]
            for original in made:
                got = client.get(f"/api/v1/documents/{original['id']}/content")
                assert got.status_code == 200, got.text
                assert hashlib.sha256(got.content).hexdigest() == original["sha256"]
                assert got.content == original["bytes"]
    finally:
        target.state.db.dispose()


def test_restore_refuses_a_backup_whose_document_bytes_do_not_match_their_sha256(sample, empty_database_url):
    made = _upload_documents(sample)
    with sample.state.db.session() as session:
        document = dump(session)
    chunk = next(c for c in document["tables"]["document_chunk"] if c["document_id"] == made[1]["id"])
    chunk["data"] = base64.b64encode(b"%PDF-1.7 altered").decode()
    migrate.upgrade(empty_database_url)
    target = create_app(make_settings(empty_database_url))
    try:
        with pytest.raises(ValidationFailed) as refused, target.state.db.session(write=True) as session:
            restore(session, json.loads(json.dumps(document)))
        assert f"document id {made[1]['id']}" in str(refused.value)
        assert [e.loc[:3] for e in refused.value.errors] == [("file", "tables", "document")]
        with target.state.db.session() as session:
            assert is_empty(session)
    finally:
        target.state.db.dispose()
