"""An import holds the write lock only to write: other writes go on while a file is checked.

Each test holds the import in the middle of its check (the first row's call into the services waits until
the test lets it go), writes through the API meanwhile from other threads, and only then lets the import
finish. Before, every POST took its write session up front: on SQLite the process's writers' lock and
``BEGIN IMMEDIATE``, so a dry run or a failing import shut every other write out for its whole length (they
waited ``PORTFOLIO_SQLITE_BUSY_TIMEOUT_S``, then got 503). PostgreSQL has no such lock: the same tests
show that nothing else stands in the way there either.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from portfolio import cli
from portfolio.config import Settings
from portfolio.flows import agreements as agreements_flow
from portfolio.projects import service as projects_service
from tests.conftest import Account
from tests.factories import live_server, make_project, make_settings, pledge_body
from tests.pages import TOKEN, log_in
from tests.platform.test_faults import sqlite_write_lock, stored

BUSY_TIMEOUT_S = 1.0  # how long a write waits for the SQLite lock before its 503 (5 s by default)
ROWS = 500
WRITERS = 3  # writes sent meanwhile, each from a thread of its own


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, sqlite_busy_timeout_s=BUSY_TIMEOUT_S)


def projects_csv(codes: list[str], *bad: str, title: str = "Depot security upgrade") -> bytes:
    """New projects, one row each; the codes in ``bad`` name their beneficiary instead of giving its code."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "title", "areas", "beneficiaries", "request_date", "budget_eur"])
    for code in codes:
        writer.writerow([code, title, "SCA", "Serbia" if code in bad else "SRB", "2024-01-15", "1000.00"])
    return out.getvalue().encode()


def codes(prefix: str, count: int = ROWS) -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(count)]


class Hold:
    """The first call of ``module.name`` sets ``reached`` and waits until ``released`` is set; later calls go
    straight through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self.calls = 0
        original = getattr(module, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 1:
                self.reached.set()
                self.released.wait(timeout=60)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


def the_check_holds_at_the_first_new_project(monkeypatch: pytest.MonkeyPatch) -> Hold:
    return Hold(monkeypatch, projects_service, "write_project")


def meanwhile(hold: Hold, request: Callable[[], httpx.Response], writes: Callable[[], list[Any]]) -> Any:
    """Send ``request`` (an import) in a thread; once it is held in its check, run ``writes``; then let it
    go. Returns the import's response, what the writes got, and whether the import was still held when
    they had all come back."""
    answer: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: answer.update(response=request()), daemon=True)
    thread.start()
    try:
        assert hold.reached.wait(timeout=30), "the import never reached its check"
        outcomes = writes()
        still_held = thread.is_alive() and not hold.released.is_set()
    finally:
        hold.released.set()
        thread.join(timeout=60)
    assert "response" in answer, "the import did not answer"
    return answer["response"], outcomes, still_held


def pledges_from_threads(base: str, headers: dict[str, str], project_id: int) -> Callable[[], list[Any]]:
    """Create a pledge from each of WRITERS threads at once: the status each got (or the error)."""

    def one(n: int) -> Any:
        body = pledge_body(project_id, amount=f"{1000 + n}.00")
        with httpx.Client(base_url=base, headers=headers, timeout=BUSY_TIMEOUT_S * 10) as c:
            try:
                return c.post("/api/v1/pledges", json=body).status_code
            except httpx.HTTPError as exc:  # a server stuck on the import does not answer at all
                return repr(exc)

    def writes() -> list[Any]:
        with ThreadPoolExecutor(WRITERS) as pool:
            return list(pool.map(one, range(WRITERS)))

    return writes


def api_import(
    base: str, headers: dict[str, str], body: bytes, *, dry_run: bool
) -> Callable[[], httpx.Response]:
    def send() -> httpx.Response:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
            return c.post(
                "/api/v1/imports/projects",
                params={"dry_run": str(dry_run).lower()},
                files={"file": ("projects.csv", body, "text/csv")},
            )

    return send


def test_other_writes_go_on_while_a_dry_run_checks_a_file(app, client, accounts, database_url, monkeypatch):
    other = make_project(client, code="OTHER-1")
    before = stored(database_url)
    hold = the_check_holds_at_the_first_new_project(monkeypatch)
    headers = accounts["staff"].headers
    with live_server(app) as base:
        response, outcomes, still_held = meanwhile(
            hold,
            api_import(base, headers, projects_csv(codes("DRY")), dry_run=True),
            pledges_from_threads(base, headers, other["id"]),
        )
    assert outcomes == [201] * WRITERS  # before: 503 after waiting for the lock, all of them
    assert still_held  # they did not wait for the check to end
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["written"], report["rows"], report["created"]) == (
        True,
        False,
        ROWS,
        ROWS,
    )
    assert report["problems"] == []
    assert stored(database_url)["projects"] == before["projects"]  # the check wrote nothing


def test_a_file_with_problems_is_refused_without_taking_the_write_lock(
    app, client, accounts, database_url, monkeypatch
):
    other = make_project(client, code="OTHER-1")
    before = stored(database_url)
    hold = the_check_holds_at_the_first_new_project(monkeypatch)
    headers = accounts["staff"].headers
    file = codes("BAD")
    with live_server(app) as base:
        response, outcomes, still_held = meanwhile(
            hold,
            api_import(base, headers, projects_csv(file, file[-1]), dry_run=False),
            pledges_from_threads(base, headers, other["id"]),
        )
    assert outcomes == [201] * WRITERS
    assert still_held
    assert response.status_code == 422, response.text
    refused = response.json()
    assert (refused["dry_run"], refused["written"], refused["rows"]) == (False, False, ROWS)
    assert [(p["row"], p["column"], p["value"]) for p in refused["problems"]] == [
        (ROWS + 1, "beneficiaries", "Serbia")
    ]
    assert stored(database_url)["projects"] == before["projects"]


def test_a_good_file_is_checked_without_the_lock_then_written(
    app, client, accounts, database_url, monkeypatch
):
    other = make_project(client, code="OTHER-1")
    before = stored(database_url)
    hold = the_check_holds_at_the_first_new_project(monkeypatch)
    headers = accounts["staff"].headers
    with live_server(app) as base:
        response, outcomes, still_held = meanwhile(
            hold,
            api_import(base, headers, projects_csv(codes("GOOD")), dry_run=False),
            pledges_from_threads(base, headers, other["id"]),
        )
    assert outcomes == [201] * WRITERS
    assert still_held
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["written"], report["created"]) == (True, ROWS)
    assert stored(database_url)["projects"] == before["projects"] + ROWS
    assert client.get("/api/v1/pledges").json()["total"] == WRITERS


@contextmanager
def logged_in(base: str, account: Account) -> Iterator[httpx.Client]:
    """A browser-like client of the live server, logged in through the login form."""
    with httpx.Client(base_url=base, timeout=120) as browser:
        yield log_in(browser, account)


def test_the_pages_check_lets_other_writes_go_on(app, client, accounts, database_url, monkeypatch):
    other = make_project(client, code="OTHER-1")
    before = stored(database_url)
    hold = the_check_holds_at_the_first_new_project(monkeypatch)
    with live_server(app) as base, logged_in(base, accounts["staff"]) as browser:
        token = TOKEN.search(browser.get("/imports").text)
        assert token

        def check() -> httpx.Response:
            return browser.post(
                "/imports",
                data={"kind": "projects", "csrf_token": token.group(1)},
                files={"file": ("projects.csv", projects_csv(codes("PAGE")), "text/csv")},
            )

        response, outcomes, still_held = meanwhile(
            hold, check, pledges_from_threads(base, accounts["staff"].headers, other["id"])
        )
    assert outcomes == [201] * WRITERS  # before: the check ran on the event loop, and no request was served
    assert still_held
    assert response.status_code == 200, response.text
    assert "Confirm import" in response.text
    assert stored(database_url)["projects"] == before["projects"]


def test_a_check_whose_changes_sqlite_refuses_is_done_again_under_the_write_lock(
    app, client, accounts, database_url, monkeypatch
):
    # A row that changes a stored record goes through the services inside the check's transaction (rolled
    # back at the end). SQLite lets a read transaction write only if nobody has written since it began:
    # here a pledge is written while the check is held, between its first read and its first write.
    changed = make_project(client, code="CHANGE-1", title="Before")
    other = make_project(client, code="OTHER-1")
    hold = Hold(monkeypatch, agreements_flow, "update_project")
    headers = accounts["staff"].headers
    body = projects_csv(["CHANGE-1"], title="After")
    with live_server(app) as base:
        response, outcomes, still_held = meanwhile(
            hold,
            api_import(base, headers, body, dry_run=True),
            pledges_from_threads(base, headers, other["id"]),
        )
    assert outcomes == [201] * WRITERS
    assert still_held
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["problems"] == []  # not "a value cannot be stored"
    assert (report["rows"], report["updated"]) == (1, 1)
    assert report["changes"][0]["fields"]["title"] == {"old": "Before", "new": "After"}
    assert client.get(f"/api/v1/projects/{changed['id']}").json()["title"] == "Before"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from portfolio.config import get_settings

    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTFOLIO_SQLITE_BUSY_TIMEOUT_S", str(BUSY_TIMEOUT_S))
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_commands_dry_run_reads_while_another_process_holds_the_write_lock(cli_env, tmp_path):
    file = tmp_path / "projects.csv"
    file.write_bytes(projects_csv(codes("CLI")))
    with sqlite_write_lock(cli_env):  # a long import from another process, say
        result = CliRunner().invoke(cli.app, ["import", str(file), "--kind", "projects", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Dry run, nothing written. {ROWS} rows: {ROWS} new" in result.output
