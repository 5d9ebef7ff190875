"""A donor learns nothing of what another State funds — proven over every route the application has, found
by the test itself rather than listed by hand.

The oracle: for a donor account (Germany), every answer that names another State that funds things (the
United States) must be the answer it gets when it names a State that funds nothing at all (Andorra). Where
the two differ, the donor has learned something about the United States' money. The walk covers

* every GET operation of the OpenAPI document, with every query parameter whose schema is a State code or
  whose name says it names one (and ``donor`` on every operation, declared or not), and every path
  parameter that is a State code;
* every page, file and download reachable from the home page and the dashboards by following links and GET
  forms as the donor, and every page route the application has whose address needs no record's id (taken
  from its routes, so a page no link leads to is walked too), with the same parameters added, and every
  path segment that is the donor's own State code swapped for the other two.

A new route, page or filter is covered without being listed here."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import deque
from io import BytesIO
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from tests.factories import make_pledge, make_project, make_rate, move, ok, receive
from tests.pages import log_in

OWN = "DEU"  # the donor account's State
OTHER = "USA"  # funds two projects, one of them alone
GHOST = "AND"  # a participating State with no record at all
STATE_CODE = "ISO 3166-1 alpha-3 code"  # how the OpenAPI document describes a State code
STATE_NAMES = ("donor", "state", "beneficiary", "code")
MARKER = "Confidential pledge note 7f3a"  # planted in the other State's records


@pytest.fixture
def world(client, accounts):
    """Germany and the United States fund a project together; the United States funds another alone and
    has an agreement, a report owed, an interest and a national process on the project it funds."""
    make_rate(client, "USD", "2024-03", "0.5")
    shared = make_project(client, code="SHARED-1", budget_eur="10000.00", start_date="2024-03-01")
    alone = make_project(client, code="USA-ONLY-1", budget_eur="9000.00", start_date="2024-03-01")
    own = make_pledge(client, shared["id"], donor=OWN, amount="300.00")
    ok(receive(client, own["id"], "100.00"), 201)
    for project, amount in ((shared, "4321.98"), (alone, "1234.56")):
        pledge = make_pledge(client, project["id"], donor=OTHER, amount=amount, currency="USD", note=MARKER)
        ok(receive(client, pledge["id"], "123.46", "2024-03-20"), 201)
        agreement = {"reference": f"CA-{OTHER}-{project['id']}", "signed_on": "2024-04-01"}
        agreement = ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=agreement), 201)
        due = {"agreement_id": agreement["id"], "kind": "other", "due_on": "2027-09-30"}
        ok(client.post("/api/v1/obligations", json=due), 201)
    for project in (shared, alone):
        ok(client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": "Survey"}), 201)
        indicator = {"name": "Sites", "unit": "sites", "target": "3"}
        ok(client.post(f"/api/v1/projects/{project['id']}/indicators", json=indicator), 201)
        move(
            client,
            project["id"],
            "assessment",
            "planning",
            "seeking_funding",
            "implementation",
            on="2024-06-01",
        )
    interest = {"donor": OTHER, "amount": "7654.32", "currency": "EUR", "note": MARKER}
    ok(client.post(f"/api/v1/projects/{alone['id']}/interests", json=interest), 201)
    process = {
        "state": "SRB",
        "name": "Registry",
        "kind": "structure",
        "stage": "operational",
        "project_ids": [alone["id"]],
    }
    process = ok(client.post("/api/v1/national-processes", json=process), 201)
    own_pledge = ok(client.get(f"/api/v1/pledges/{own['id']}"))
    return {
        "project_id": shared["id"],
        "project_code": shared["code"],
        "pledge_id": own_pledge["id"],
        "process_id": process["id"],
        "user_id": accounts["donor"].id,
        "code": OWN,
    }


# -- what two answers have in common ----------------------------------------------------------------------


def _names(anon: TestClient, headers: dict[str, str]) -> list[str]:
    """Every way a page or file may write the two States: codes and names, English and French."""
    names = []
    for code in (OTHER, GHOST):
        state = ok(anon.get(f"/api/v1/states/{code}", headers=headers))
        names += [value for key, value in state.items() if "name" in key and isinstance(value, str) and value]
        names += [code, code.lower()]
    return sorted(set(names), key=len, reverse=True)


def _content(response) -> str:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(BytesIO(response.content), read_only=True)
        return "\n".join(
            "\t".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if "pdf" in kind:
        if shutil.which("pdftotext") is None:
            return f"<pdf of {len(response.content) // 1000} kB>"
        done = subprocess.run(
            [shutil.which("pdftotext") or "pdftotext", "-layout", "-", "-"],
            input=response.content,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode()
    return response.text


VOLATILE = [
    (re.compile(r'(nonce|csrf_token|value)="[A-Za-z0-9_\-+/=]{16,}"'), r'\1=""'),  # per-request tokens
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<datetime>"),
    (re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"), "<time>"),
    (re.compile(r'\sselected(="[^"]*")?'), ""),  # which State the select shows as chosen
    (re.compile(r'\schecked(="[^"]*")?'), ""),
]


def _normal(response, names: list[str]) -> tuple[int, str, str]:
    text = _content(response)
    for name in names:
        text = text.replace(name, "<State>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return response.status_code, response.headers.get("content-type", "").split(";")[0], text


def _first_difference(a: str, b: str) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"…{a[max(0, at - 120) : at + 120]!r}\n  vs …{b[max(0, at - 120) : at + 120]!r}"


def _with(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return parts.path + ("?" + urlencode(query) if query else "")


def _variants(url: str, names: list[str]) -> list[tuple[str, str]]:
    """Pairs of URLs that differ only in naming the other State or the ghost: each State parameter, and
    each path segment that is the donor's own State code."""
    pairs = [(_with(url, **{name: OTHER}), _with(url, **{name: GHOST})) for name in names]
    parts = urlsplit(url)
    segments = parts.path.split("/")
    for i, segment in enumerate(segments):
        stem, dot, ext = segment.partition(".")
        if stem == OWN:
            swap = [
                "/".join([*segments[:i], f"{code}{dot}{ext}", *segments[i + 1 :]]) for code in (OTHER, GHOST)
            ]
            query = f"?{parts.query}" if parts.query else ""
            pairs.append((swap[0] + query, swap[1] + query))
    return pairs


def _assert_same(get, pairs, names, checked) -> list[str]:
    differences = []
    for other_url, ghost_url in pairs:
        if (other_url, ghost_url) in checked:
            continue
        checked.add((other_url, ghost_url))
        other, ghost = get(other_url), get(ghost_url)
        assert other.status_code < 500, f"{other_url}: {other.status_code}"
        a, b = _normal(other, names), _normal(ghost, names)
        if a != b:
            detail = f"status {a[0]} vs {b[0]}" if a[0] != b[0] else _first_difference(a[2], b[2])
            differences.append(f"{other_url} differs from {ghost_url}: {detail}")
    return differences


# -- the API ------------------------------------------------------------------------------------------------


def _names_a_state(parameter: dict) -> bool:
    schema = parameter.get("schema", {})
    described = [schema, *schema.get("anyOf", [])]
    return parameter["name"] in STATE_NAMES or any(
        STATE_CODE in str(s.get("description", "")) for s in described
    )


def test_no_api_answer_tells_a_donor_what_another_state_funds(app, anon, accounts, world):
    donor = accounts["donor"].headers
    names = _names(anon, donor)
    paths = app.openapi()["paths"]
    pairs = []
    for path, item in paths.items():
        operation = item.get("get")
        if operation is None or path.startswith("/api/v1/states"):  # the list of States is public
            continue
        parameters = operation.get("parameters", [])
        values = {**world, "fmt": "csv"}
        if any(p["in"] == "path" and p["name"] not in values for p in parameters):
            continue  # a record only staff reach (an account's id, an import template's kind): below
        for fmt in ("csv", "xlsx") if "{fmt}" in path else (None,):
            url = re.sub(r"\{(\w+)\}", lambda m, f=fmt, v=values: str(f or v[m.group(1)]), path)
            state_params = {p["name"] for p in parameters if p["in"] == "query" and _names_a_state(p)}
            pairs += _variants(url, sorted(state_params | {"donor"}))
    assert len(pairs) > 40
    assert any("/exports/projects.csv" in a for a, _ in pairs)

    differences = _assert_same(lambda url: anon.get(url, headers=donor), pairs, names, set())
    assert differences == [], "\n".join(differences)

    # The walk can fail: staff asking the same questions do get different answers.
    staff = accounts["staff"].headers
    staff_differences = _assert_same(lambda url: anon.get(url, headers=staff), pairs, names, set())
    assert any("/exports/projects.csv?donor=USA" in d for d in staff_differences)
    assert any("/api/v1/pledges?donor=USA" in d for d in staff_differences)


# -- the pages, found by following links ---------------------------------------------------------------------


SKIP = re.compile(r"^/(logout|language|api/|docs|redoc|openapi|static)")
PER_SHAPE = 2  # pages followed per URL shape (one project page stands for all)


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query)})
    return re.sub(r"/\d+", "/N", parts.path) + "?" + "&".join(keys)


def _links(page_url: str, response) -> list[str]:
    """The same-site URLs a page links to, and its GET forms as submitted with their defaults."""
    if not response.headers.get("content-type", "").startswith("text/html"):
        return []
    tree = lxml_html.fromstring(response.text)
    found = [a.get("href") for a in tree.iter("a") if a.get("href")]
    for form in tree.iter("form"):
        if (form.get("method") or "get").lower() != "get":
            continue
        fields = [
            (f.get("name"), f.get("value") or "")
            for f in form.iter("input", "select")
            if f.get("name") and f.get("type") not in ("checkbox", "radio", "submit")
        ]
        found.append((form.get("action") or page_url) + "?" + urlencode(fields))
    out = []
    for href in found:
        url = urljoin("http://testserver" + page_url, href)
        parts = urlsplit(url)
        if parts.netloc != "testserver" or SKIP.match(parts.path):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _state_fields(response) -> set[str]:
    """The names of the fields of a page's forms that choose a State."""
    if not response.headers.get("content-type", "").startswith("text/html"):
        return set()
    tree = lxml_html.fromstring(response.text)
    return {
        select.get("name")
        for select in tree.iter("select")
        if select.get("name") and any(o.get("value") in (OWN, OTHER) for o in select.iter("option"))
    }


def _page_routes(app) -> list[str]:
    """Every GET page route of the application whose address needs nothing but a State code (the donor's
    own), whether or not a link leads to it."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # before FastAPI's lazily included routers, the routes were one flat list
        routes = [(getattr(r, "path", None), getattr(r, "methods", None)) for r in app.routes]
    else:
        routes = [(c.path, c.methods) for c in iter_route_contexts(app.routes)]
    found = []
    for path, methods in routes:
        if not path or "GET" not in (methods or ()) or SKIP.match(path):
            continue
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        if all(p in STATE_NAMES for p in params):
            found.append(re.sub(r"{\w+(?::\w+)?}", OWN, path))
    return found


def _crawl(get, seeds: list[str]) -> tuple[list[str], set[str]]:
    seen_shapes: dict[str, int] = {}
    queue = deque(["/", "/dashboards", *seeds])
    visited, state_fields = [], set()
    while queue and len(visited) < 400:
        url = queue.popleft()
        if url in visited:
            continue
        shape = _shape(url)
        if seen_shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
        response = get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        visited.append(url)
        state_fields |= _state_fields(response)
        queue.extend(link for link in _links(url, response) if link not in visited)
    return visited, state_fields


def test_no_page_or_file_tells_a_donor_what_another_state_funds(app, anon, accounts, world):
    names = _names(anon, accounts["donor"].headers)
    log_in(anon, accounts["donor"].email)

    answers: dict[str, object] = {}

    def get(url: str):
        if url not in answers:
            answers[url] = anon.get(url, follow_redirects=True)
        return answers[url]

    seeds = _page_routes(app)
    assert {"/projects", f"/dashboards/donors/{OWN}"} <= set(seeds), seeds
    visited, fields = _crawl(get, seeds)
    shapes = {_shape(u) for u in visited}
    # Every page route the application has was walked, linked or not.
    assert {_shape(u) for u in seeds} <= shapes, sorted({_shape(u) for u in seeds} - shapes)
    # The walk reaches the register and its downloads, a project page, the dashboards and the statement.
    assert {"/projects?", "/projects/N?"} <= shapes, sorted(shapes)
    assert any(u.startswith("/projects.csv") for u in visited), sorted(shapes)
    assert any(u.startswith(f"/dashboards/donors/{OWN}") for u in visited), sorted(shapes)
    assert "donor" in fields

    params = sorted(fields | {"donor", "state", "beneficiary"})
    pairs = [pair for url in visited for pair in _variants(url, params)]
    differences = _assert_same(get, pairs, names, set())
    assert differences == [], "\n".join(differences[:20])

    # The other State's planted note shows nowhere the donor went.
    for url in visited:
        assert MARKER not in _content(get(url)), url
