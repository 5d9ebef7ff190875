"""Alembic owns the schema: upgrade builds it, downgrade to base and back works, the models never drift."""

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from portfolio import migrate
from portfolio.main import create_app
from portfolio.models import metadata
from tests.factories import make_settings

ROOT = Path(__file__).resolve().parents[2]


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def state_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM state")).scalar_one())
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_and_upgrade_again(empty_database_url):
    url = empty_database_url
    migrate.upgrade(url)
    assert tables(url) == {t.name for t in metadata.sorted_tables}
    assert state_count(url) == 68
    command.check(migrate.alembic_config(url))  # raises if the models and the migrations disagree

    migrate.downgrade(url, "base")
    assert tables(url) == set()

    migrate.upgrade(url)
    assert state_count(url) == 68
    command.check(migrate.alembic_config(url))
    engine = create_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_the_alembic_command_uses_the_portfolio_database_url(empty_database_url):
    env = {**os.environ, "PORTFOLIO_DATABASE_URL": empty_database_url}
    alembic = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini")]
    subprocess.run([*alembic, "upgrade", "head"], check=True, env=env, cwd=ROOT, capture_output=True)
    result = subprocess.run([*alembic, "check"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert state_count(empty_database_url) == 68


def test_the_server_applies_pending_migrations_when_it_starts(empty_database_url):
    from fastapi.testclient import TestClient

    app = create_app(make_settings(database_url=empty_database_url, migrate_on_start=True))
    with TestClient(app) as client:
        health = client.get("/readyz").json()
        assert health["status"] == "ok"
        assert health["revision"] == migrate.head_revision()
    assert state_count(empty_database_url) == 68
    app.state.db.dispose()


def test_readyz_reports_pending_migrations_as_503(empty_database_url):
    from fastapi.testclient import TestClient

    app = create_app(make_settings(database_url=empty_database_url, migrate_on_start=False))
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["revision"] is None
    app.state.db.dispose()


INSERT_PROJECT = text(
    "INSERT INTO project (code, title, description, request_date, budget_eur, gender_marker, sdg_targets, "
    "status, version, created_at, updated_at) VALUES (:code, 't', '', '2024-01-15', 100000, :marker, '[]', "
    "'requested', 1, '2024-01-15 10:00:00+00', '2024-01-15 10:00:00+00')"
)


def test_0004_lets_gender_markers_be_unscreened_and_keeps_every_project_and_what_hangs_on_it(
    empty_database_url,
):
    url = empty_database_url
    migrate.upgrade(url, "0003")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(INSERT_PROJECT, {"code": "M-1", "marker": 2})
            project_id = conn.execute(text("SELECT id FROM project")).scalar_one()
            conn.execute(text("INSERT INTO project_area VALUES (:id, 'SCA')"), {"id": project_id})
            conn.execute(text("INSERT INTO project_beneficiary VALUES (:id, 'SRB')"), {"id": project_id})
    finally:
        engine.dispose()

    migrate.upgrade(url)
    command.check(migrate.alembic_config(url))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            # The marker stays; the rows that refer to the project are all still there.
            assert conn.execute(text("SELECT gender_marker FROM project")).scalar_one() == 2
            assert conn.execute(text("SELECT count(*) FROM project_area")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM project_beneficiary")).scalar_one() == 1
            conn.execute(INSERT_PROJECT, {"code": "M-2", "marker": None})  # not screened
            ids = conn.execute(text("SELECT id FROM project ORDER BY id")).scalars().all()
            assert ids == [project_id, project_id + 1]
    finally:
        engine.dispose()

    migrate.downgrade(url, "0003")  # "not screened" has no place in the older schema: 0
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            markers = conn.execute(text("SELECT code, gender_marker FROM project ORDER BY code")).all()
            assert [tuple(m) for m in markers] == [("M-1", 2), ("M-2", 0)]
            assert conn.execute(text("SELECT count(*) FROM project_area")).scalar_one() == 1
    finally:
        engine.dispose()
    migrate.upgrade(url)


INSERT_NORM = text(
    "INSERT INTO norm (code, title, title_fr, kind, adopted, builtin, created_at) VALUES "
    "(:code, :title, :title_fr, 'guide', 2025, :builtin, '2025-01-15 10:00:00+00')"
)


def test_0014_moves_the_french_titles_into_norm_title_and_back(empty_database_url):
    url = empty_database_url
    migrate.upgrade(url, "0013")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                INSERT_NORM, {"code": "bpg-new", "title": "A guide", "title_fr": "Un guide", "builtin": False}
            )
            conn.execute(INSERT_NORM, {"code": "bpg-bare", "title": "Bare", "title_fr": "", "builtin": False})
            conn.execute(
                text("UPDATE norm SET title_fr = 'Document sur les munitions' WHERE code = 'doc-sca'")
            )
    finally:
        engine.dispose()

    migrate.upgrade(url, "0014")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            titles: dict[str, str] = dict(
                conn.execute(text("SELECT norm_code, title FROM norm_title WHERE lang = 'fr'")).all()
            )
            # an empty French title was no title; a shipped norm's, as the OSCE published it, is shipped still
            assert titles == {"bpg-new": "Un guide", "doc-sca": "Document sur les munitions"}
            assert conn.execute(text("SELECT count(*) FROM norm_title WHERE lang <> 'fr'")).scalar_one() == 0
            assert "title_fr" not in {c["name"] for c in inspect(conn).get_columns("norm")}
            assert "name_fr" not in {c["name"] for c in inspect(conn).get_columns("state")}
            assert conn.execute(text("SELECT count(*) FROM state")).scalar_one() == 68
            conn.execute(
                text("INSERT INTO norm_title (norm_code, lang, title) VALUES ('bpg-bare', 'ru', 'Голый')")
            )
    finally:
        engine.dispose()

    migrate.downgrade(url, "0013")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            french = dict(conn.execute(text("SELECT code, title_fr FROM norm")).all())
            assert french["bpg-new"] == "Un guide"
            assert french["doc-sca"] == "Document sur les munitions"
            assert french["bpg-bare"] == ""
            assert french["doc-salw"] == "Document de l'OSCE sur les armes légères et de petit calibre"
            assert "norm_title" not in inspect(conn).get_table_names()
            names = dict(conn.execute(text("SELECT code, name_fr FROM state")).all())
            assert len(names) == 68 and names["BIH"] == "Bosnie-Herzégovine"
    finally:
        engine.dispose()
    migrate.upgrade(url)
    command.check(migrate.alembic_config(url))
