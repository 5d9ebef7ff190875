"""The front door: a body too large is refused with 413 before it is read, whoever sends it; every answer
to a signed-in request is ``Cache-Control: no-store``."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchmarks.server import APP, Server, server_env
from portfolio.web.session import COOKIE
from tests.factories import assert_problem, make_project
from tests.pages import send_login as login

MB = 1024 * 1024
BIG = 50 * MB  # each refused body
PIECE = 256 * 1024


def _hwm_bytes(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def raw_post(
    port: int, path: str, size: int, content_type: str, *, chunked: bool, prefix: bytes = b""
) -> tuple[int, dict[str, str], bytes, int]:
    """POST ``size`` bytes to ``path`` over a plain socket, chunked or with Content-Length, reading the
    answer while sending; (status, headers, start of the body, bytes sent before the server stopped us)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    received = bytearray()

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                received.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{framing}\r\n\r\n"
    sent = 0
    piece = b"a" * PIECE
    try:
        sock.sendall(head.encode())
        if prefix:
            sock.sendall(b"%x\r\n%s\r\n" % (len(prefix), prefix) if chunked else prefix)
            sent += len(prefix)
        while sent < size and not received:
            data = piece[: min(PIECE, size - sent)]
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent += len(data)
        if chunked and not received:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server answered and closed: the rest of the body was never read
        pass
    reader.join(timeout=60)
    sock.close()
    head_bytes, _, body = bytes(received).partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    answer = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return status, answer, body[:2000], sent


@pytest.fixture
def live(sqlite_template: Path, tmp_path: Path):
    path = tmp_path / "portfolio.db"
    shutil.copyfile(sqlite_template, path)
    with Server(APP, server_env(f"sqlite:///{path}"), tmp_path / "server.log") as server:
        yield server


def test_large_bodies_are_refused_at_the_door_without_growing_the_server(live: Server):
    """50 MB bodies, anonymous: JSON chunked to the API, a form with Content-Length and a chunked multipart
    form to the login page. Each gets a 413 after at most the limit is read; the server's peak memory
    barely moves (before, each body was read whole: JSON into memory, forms into memory or onto disk)."""
    assert live.process is not None
    pid = live.process.pid
    before = _hwm_bytes(pid)
    part = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    cases = [
        ("/api/v1/projects", "application/json", True, b""),
        ("/api/v1/auth/token", "application/x-www-form-urlencoded", False, b""),
        ("/login", "application/x-www-form-urlencoded", False, b""),
        ("/login", "multipart/form-data; boundary=xyz", True, part),
        ("/login", "multipart/form-data; boundary=xyz", False, part),
    ]
    for path, content_type, chunked, prefix in cases:
        started = time.monotonic()
        status, headers, body, sent = raw_post(
            live.port, path, BIG, content_type, chunked=chunked, prefix=prefix
        )
        assert status == 413, (path, status, body)
        assert sent < BIG, (path, "the whole body was taken in")
        assert time.monotonic() - started < 20
        if path.startswith("/api/"):
            assert headers["content-type"].startswith("application/problem+json")
            assert b"1.0 MB" in body
        else:
            assert headers["content-type"].startswith("text/html")
            assert b"1.0 MB" in body
    grown = _hwm_bytes(pid) - before
    assert grown < 25 * MB, f"the server's peak memory grew by {grown / MB:.0f} MB"


def test_a_body_under_the_limit_still_goes_through(live: Server):
    """A JSON body under 1 MB reaches its route (here: 401, no token), chunked or not."""
    for chunked in (False, True):
        status, _, _, _ = raw_post(
            live.port, "/api/v1/projects", 500_000, "application/json", chunked=chunked
        )
        assert status in (401, 422), status


# -- in the app: the answers ---------------------------------------------------------------------------


def test_the_api_gets_a_problem_document_and_the_pages_a_page(anon: TestClient, client: TestClient):
    too_big = b"{" + b" " * (2 * MB) + b"}"
    for sender in (anon, client):
        response = sender.post(
            "/api/v1/projects", content=too_big, headers={"content-type": "application/json"}
        )
        body = assert_problem(response, 413)
        assert "1.0 MB" in body["detail"]
    page = anon.post("/login", data={"email": "x" * (2 * MB)}, headers={"accept-language": "fr"})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "Le formulaire a envoyé plus de 1.0 Mo" in page.text


def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient):
    def pieces():
        for _ in range(40):
            yield b" " * 65536

    response = client.post("/api/v1/projects", content=pieces(), headers={"content-type": "application/json"})
    assert_problem(response, 413)


def test_the_limit_is_a_setting_and_uploads_keep_their_own(app, client: TestClient):
    app.state.settings = app.state.settings.model_copy(update={"max_body_bytes": 2048})
    response = client.post("/api/v1/states", json={"name": "x" * 3000})
    body = assert_problem(response, 413)
    assert "2 KB" in body["detail"]
    # A spreadsheet of 100 KB is over the body limit, under the import's: it is read and checked.
    rows = "\n".join(f"TEST-{n:05d},Project {n},SRB,2024-01-10,1000.00,SALW" for n in range(4000))
    csv = f"code,title,beneficiaries,request_date,budget_eur,areas\n{rows}\n".encode()
    assert len(csv) > 100_000
    imported = client.post(
        "/api/v1/imports/projects?dry_run=true", files={"file": ("p.csv", csv, "text/csv")}
    )
    assert imported.status_code == 200, imported.text


# -- Cache-Control ----------------------------------------------------------------------------------


def test_every_answer_to_a_signed_in_request_is_no_store(anon: TestClient, client: TestClient, accounts):
    project = make_project(client)
    api = [
        client.get("/api/v1/projects"),
        client.get(f"/api/v1/projects/{project['id']}"),
        client.get("/api/v1/projects/999999"),  # an error too
        client.get("/api/v1/exports/projects.csv"),
        client.get("/api/v1/exports/projects.xlsx"),
        client.get("/api/v1/imports/templates/projects.xlsx"),
        client.get("/healthz"),
    ]
    for response in api:
        assert response.headers["cache-control"] == "no-store", (response.url, response.status_code)
    assert login(anon, accounts["manager"].email).status_code == 303
    assert COOKIE in anon.cookies
    pages = [
        anon.get("/"),
        anon.get(f"/projects/{project['id']}"),
        anon.get("/projects.csv"),
        anon.get("/projects.xlsx"),
        anon.get("/dashboards/funding"),
        anon.get("/reports/period.pdf", params={"from": "2024-01-01", "to": "2024-12-31"}),
        anon.get("/no-such-page"),
    ]
    for response in pages:
        assert response.headers.get("cache-control") == "no-store", (response.url, response.status_code)
    kinds = {r.headers["content-type"].split(";")[0] for r in pages + api if r.status_code == 200}
    assert {"text/html", "text/csv", "application/pdf", "application/json"} <= kinds, kinds
    assert any("spreadsheetml" in k for k in kinds), kinds


def test_anonymous_answers_and_public_assets_cache_as_they_did(anon: TestClient, client: TestClient):
    assert "cache-control" not in anon.get("/login").headers
    assert "cache-control" not in anon.get("/healthz").headers
    css = client.get("/static/" + _a_static_file())
    assert css.status_code == 200 and "cache-control" not in css.headers
    plotly = client.get("/dashboards/static/plotly.min.js")
    assert plotly.status_code == 200 and plotly.headers["cache-control"] == "max-age=86400"


def _a_static_file() -> str:
    root = Path(__file__).resolve().parents[2] / "portfolio" / "web" / "static"
    found = next(p for p in sorted(root.rglob("*.css")))
    return str(found.relative_to(root))


def test_a_bearer_header_alone_is_enough_and_a_stricter_header_is_kept(anon: TestClient, accounts):
    response = anon.get("/api/v1/states", headers=accounts["manager"].headers)
    assert response.status_code == 200
    assert response.headers.get_list("cache-control") == ["no-store"]
    feed = anon.get("/api/v1/me/calendar-feed", headers=accounts["manager"].headers)
    assert feed.headers.get_list("cache-control") in (["no-store"], ["private, no-store"]), feed.status_code


def test_the_api_documents_the_413_wherever_a_body_is_sent(app):
    paths = app.openapi()["paths"]
    assert "413" in paths["/api/v1/projects"]["post"]["responses"]
    assert "413" in paths["/api/v1/auth/token"]["post"]["responses"]
    assert "413" not in paths["/api/v1/projects"]["get"]["responses"]
    with_body = [op for item in paths.values() for op in item.values() if "requestBody" in op]
    assert with_body and all("413" in op["responses"] for op in with_body)
