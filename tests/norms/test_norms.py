"""The norms catalogue, and the norms projects name: through the API, the spreadsheets and the audit trail."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_project, ok

URL = "/api/v1/norms"
BUILTIN = 15


def norm_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "bpg-salw-collection",
        "title": "Best Practice Guide on Weapons Collection Programmes",
        "titles": {"fr": "Guide des meilleures pratiques sur les programmes de collecte d'armes"},
        "kind": "guide",
        "adopted": 2024,
    }
    body.update(overrides)
    return body


@pytest.fixture
def admin(app: Any, accounts: Any) -> Any:
    with TestClient(app, headers=accounts["admin"].headers) as c:
        yield c


def as_role(app: Any, accounts: Any, role: str) -> TestClient:
    return TestClient(app, headers=accounts[role].headers)


# -- the catalogue -------------------------------------------------------------------------------


def test_everyone_reads_the_shipped_catalogue_documents_first(app, accounts):
    for role in ("admin", "staff", "manager", "donor"):
        with as_role(app, accounts, role) as c:
            norms = ok(c.get(URL))
            assert len(norms) == BUILTIN
            assert [n["code"] for n in norms[:2]] == ["doc-salw", "doc-sca"]
            assert all(n["builtin"] for n in norms)
            assert {n["kind"] for n in norms[2:]} == {"guide"}


def test_titles_come_in_the_language_asked_for(client):
    english = {n["code"]: n for n in ok(client.get(URL))}
    assert english["doc-sca"]["label"] == "OSCE Document on Stockpiles of Conventional Ammunition"
    french = {n["code"]: n for n in ok(client.get(URL, params={"lang": "fr"}))}
    assert french["doc-sca"]["label"] == "Document de l'OSCE sur les stocks de munitions conventionnelles"
    by_header = ok(client.get(URL, headers={"Accept-Language": "fr-CH, en;q=0.5"}))
    assert {n["code"]: n["label"] for n in by_header} == {c: n["label"] for c, n in french.items()}
    assert french["doc-sca"]["title"] == english["doc-sca"]["title"]  # both titles are always there
    russian = {n["code"]: n["label"] for n in ok(client.get(URL, params={"lang": "ru"}))}
    assert russian["doc-sca"] == "Документ ОБСЕ о запасах обычных боеприпасов"  # shipped with the product
    assert english["doc-sca"]["titles"] == {}  # nobody recorded one: the OSCE's are shipped


def test_an_admin_adds_a_norm_and_it_is_listed_and_audited(admin):
    made = ok(admin.post(URL, json=norm_body()), 201)
    assert made["code"] == "bpg-salw-collection" and made["builtin"] is False
    listed = {n["code"]: n for n in ok(admin.get(URL))}
    assert len(listed) == BUILTIN + 1
    assert listed["bpg-salw-collection"]["adopted"] == 2024
    entries = ok(admin.get("/api/v1/audit", params={"entity": "norm"}))["items"]
    assert entries[0]["action"] == "create"
    assert entries[0]["changes"]["code"] == [None, "bpg-salw-collection"]


@pytest.mark.parametrize("role", ["staff", "manager", "donor"])
def test_only_admins_write_the_catalogue(app, accounts, role):
    with as_role(app, accounts, role) as c:
        assert_problem(c.post(URL, json=norm_body()), 403)
        assert_problem(c.patch(f"{URL}/doc-sca", json={"title": "Renamed"}), 403)
        assert_problem(c.delete(f"{URL}/doc-sca"), 403)
        assert len(ok(c.get(URL))) == BUILTIN


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "BPG Collection"),
        ("code", "bpg--collection"),
        ("code", "-bpg"),
        ("code", "x" * 41),
        ("title", ""),
        ("kind", "treaty"),
        ("titles", {"de": "Leitfaden"}),
        ("adopted", 1800),
        ("adopted", "soon"),
    ],
)
def test_bad_norms_are_refused_naming_the_field(admin, field, value):
    assert_problem(admin.post(URL, json=norm_body(**{field: value})), 422, ["body", field])
    assert len(ok(admin.get(URL))) == BUILTIN


def test_a_code_is_taken_once(admin):
    ok(admin.post(URL, json=norm_body()), 201)
    assert_problem(admin.post(URL, json=norm_body(title="Another")), 409)
    assert_problem(admin.post(URL, json=norm_body(code="doc-sca")), 409)


def test_a_builtin_norm_may_be_retitled_but_not_deleted_or_reclassed(admin):
    changed = ok(admin.patch(f"{URL}/doc-sca", json={"title_fr": "Document sur les munitions"}))
    assert changed["title_fr"] == "Document sur les munitions"
    assert ok(admin.get(f"{URL}/doc-sca", params={"lang": "fr"}))["label"] == "Document sur les munitions"
    assert_problem(admin.patch(f"{URL}/doc-sca", json={"kind": "other"}), 409)
    assert_problem(admin.delete(f"{URL}/doc-sca"), 409)
    assert ok(admin.get(f"{URL}/doc-sca"))["kind"] == "document"
    entry = ok(admin.get("/api/v1/audit", params={"entity": "norm"}))["items"][0]
    assert entry["action"] == "update"
    assert entry["changes"]["title_fr"][1] == "Document sur les munitions"
    assert_problem(admin.patch(f"{URL}/no-such-norm", json={"title": "x"}), 404)


def test_a_norm_named_by_a_project_cannot_be_deleted_until_it_is_taken_off(admin, client):
    ok(admin.post(URL, json=norm_body()), 201)
    project = make_project(client, norms=["bpg-salw-collection"])
    refused = assert_problem(admin.delete(f"{URL}/bpg-salw-collection"), 409)
    assert project["code"] in refused["detail"]
    ok(client.patch(f"/api/v1/projects/{project['id']}", json={"norms": []}))
    assert admin.delete(f"{URL}/bpg-salw-collection").status_code == 204
    assert_problem(admin.get(f"{URL}/bpg-salw-collection"), 404)
    entry = ok(admin.get("/api/v1/audit", params={"entity": "norm"}))["items"][0]
    assert entry["action"] == "delete" and entry["changes"]["code"] == ["bpg-salw-collection", None]


# -- projects' norms -----------------------------------------------------------------------------


def test_a_project_names_norms_on_create_update_and_read(client):
    made = make_project(client, norms=["doc-sca", "BPG-SCA-Destruction", "doc-sca"])
    assert made["norms"] == ["bpg-sca-destruction", "doc-sca"]
    pid = made["id"]
    assert ok(client.get(f"/api/v1/projects/{pid}"))["norms"] == ["bpg-sca-destruction", "doc-sca"]
    changed = ok(client.patch(f"/api/v1/projects/{pid}", json={"norms": ["doc-salw"]}))
    assert changed["norms"] == ["doc-salw"]
    listed = ok(client.get("/api/v1/projects"))["items"]
    assert [p["norms"] for p in listed if p["id"] == pid] == [["doc-salw"]]
    trail = ok(client.get(f"/api/v1/projects/{pid}/audit"))["items"]
    assert trail[0]["changes"]["norms"] == [["bpg-sca-destruction", "doc-sca"], ["doc-salw"]]
    assert trail[-1]["changes"]["norms"] == [None, ["bpg-sca-destruction", "doc-sca"]]
    assert_problem(client.patch(f"/api/v1/projects/{pid}", json={"norms": None}), 422, ["body", "norms"])


def test_an_unknown_norm_is_refused_naming_norms_and_the_allowed_codes(client):
    refused = assert_problem(
        client.post("/api/v1/projects", json=_body(norms=["doc-sca", "doc-nukes"])), 422, ["body", "norms"]
    )
    message = next(e["msg"] for e in refused["errors"] if e["loc"] == ["body", "norms"])
    assert "'doc-nukes'" in message and "bpg-sca-destruction" in message and "doc-salw" in message
    assert ok(client.get("/api/v1/projects"))["total"] == 0
    pid = make_project(client)["id"]
    assert_problem(client.patch(f"/api/v1/projects/{pid}", json={"norms": ["nope"]}), 422, ["body", "norms"])
    assert ok(client.get(f"/api/v1/projects/{pid}"))["norms"] == []


def _body(**overrides: Any) -> dict[str, Any]:
    from tests.factories import project_body

    return project_body(**overrides)


def test_the_register_filters_by_norm(client):
    salw = make_project(client, norms=["doc-salw"])
    both = make_project(client, norms=["doc-salw", "doc-sca"])
    make_project(client)
    found = ok(client.get("/api/v1/projects", params={"norm": "doc-salw"}))
    assert sorted(p["id"] for p in found["items"]) == sorted([salw["id"], both["id"]])
    assert found["total"] == 2
    assert ok(client.get("/api/v1/projects", params={"norm": "doc-sca"}))["total"] == 1


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


HEADER = ["code", "title", "areas", "beneficiaries", "request_date", "budget_eur", "norms"]


def _import(client: TestClient, body: bytes) -> Any:
    return client.post("/api/v1/imports/projects", files={"file": ("projects.csv", body)})


def test_norms_round_trip_through_the_projects_sheet(client):
    report = ok(
        _import(
            client,
            _csv(
                [
                    HEADER,
                    [
                        "NRM-1",
                        "Depot security",
                        "SCA",
                        "SRB",
                        "2024-01-15",
                        "100.00",
                        "doc-sca;bpg-sca-security",
                    ],
                    ["NRM-2", "Marking", "SALW", "MDA", "2024-01-15", "100.00", ""],
                ]
            ),
        )
    )
    assert report["problems"] == [] and report["created"] == 2
    found = {p["code"]: p for p in ok(client.get("/api/v1/projects"))["items"]}
    assert found["NRM-1"]["norms"] == ["bpg-sca-security", "doc-sca"]
    assert found["NRM-2"]["norms"] == []
    # A second file changes the norms of a stored project.
    again = _csv([HEADER, ["NRM-2", "Marking", "SALW", "MDA", "2024-01-15", "100.00", "bpg-salw-marking"]])
    report = ok(_import(client, again))
    assert report["problems"] == [] and report["updated"] == 1
    assert ok(client.get(f"/api/v1/projects/{found['NRM-2']['id']}"))["norms"] == ["bpg-salw-marking"]
    exported = client.get("/api/v1/exports/projects.csv").content.decode("utf-8-sig")
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows["NRM-1"]["norms"] == "bpg-sca-security;doc-sca"
    assert rows["NRM-2"]["norms"] == "bpg-salw-marking"


def test_an_unknown_norm_in_a_sheet_is_reported_on_its_cell_and_nothing_is_written(client):
    body = _csv(
        [
            HEADER,
            ["NRM-3", "Depot security", "SCA", "SRB", "2024-01-15", "100.00", "doc-sca"],
            ["NRM-4", "Depot security", "SCA", "SRB", "2024-01-15", "100.00", "doc-sca;made-up"],
        ]
    )
    report = _import(client, body).json()
    problems = report.get("problems") or report.get("report", {}).get("problems")
    assert problems, report
    assert [(p["row"], p["column"]) for p in problems] == [(3, "norms")]
    assert "made-up" in problems[0]["message"]
    assert ok(client.get("/api/v1/projects"))["total"] == 0
