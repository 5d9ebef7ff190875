"""The documentation: the API docs page works on a closed network (nothing is loaded from another host) and
its examples work as they stand; the README stays a door to the manual in docs/, whose configuration
reference is generated from the code and whose links all lead somewhere."""

import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from portfolio.config import REGENERATE, Settings, settings_markdown
from portfolio.demo import load_demo_data
from tests.factories import ok

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
# The README's two quick-start commands, exactly: the first day's, and the suite's (which .ci/run runs).
SERVE = (
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/portfolio demo-data "
    "&& .venv/bin/portfolio serve"
)
TEST = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
GUIDES = ("guide-staff.md", "guide-donor.md", "guide-manager.md", "guide-admin.md")
MANUAL = (*GUIDES, "operations.md", "configuration.md", "api.md", "developer.md")


def test_docs_page_and_its_assets_are_served_by_the_app(anon):
    page = anon.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sources, "the page loads no assets at all?"
    for source in sources:
        assert source.startswith("/"), f"{source} is loaded from another host"
        assert anon.get(source).status_code == 200, source
    assert "/openapi.json" in page.text
    assert "/docs/oauth2-redirect" in page.text  # the Authorize button's password flow


def _example(document, operation):
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].split("/")[-1]
    examples = document["components"]["schemas"][name].get("examples")
    assert examples, f"{name} has no example for the docs page to fill in"
    return examples[0]


def test_every_documented_example_works_as_it_stands(app, backend, accounts):
    """What "Try it out" on /docs sends when a person changes nothing: each request body's example,
    against the sample data, on a record it fits. Every one is accepted."""
    if backend == "postgresql":
        pytest.skip("the examples name the sample data's ids, which start at 1 on a new database only")
    with app.state.db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    document = app.openapi()
    with TestClient(app, headers=accounts["admin"].headers) as admin:
        projects = ok(admin.get("/api/v1/projects", params={"limit": 500}))["items"]
        requested = next(p for p in projects if p["status"] == "requested")
        open_project = next(p for p in projects if p["status"] == "implementation")
        seeking = next(
            p for p in projects if p["status"] == "seeking_funding" and Decimal(p["funding"]["gap_eur"]) > 0
        )
        unplanned = next(p for p in projects if p["status"] == "seeking_funding" and p["id"] != seeking["id"])
        pledges = ok(admin.get("/api/v1/pledges", params={"status": "pledged", "limit": 500}))["items"]
        pledge = next(p for p in pledges if Decimal(p["outstanding"]) >= 25000)
        budget = ok(admin.get(f"/api/v1/projects/{open_project['id']}/budget"))["lines"]
        spent = ok(admin.get("/api/v1/expenditures", params={"project_id": open_project["id"]}))["items"]
        ids = {
            "project_id": open_project["id"],
            "line_id": max((x for x in budget if x["id"]), key=lambda x: Decimal(x["amount_eur"]))["id"],
            "expenditure_id": next(
                e for e in spent if e["reversed_by_id"] is None and e["reverses_id"] is None
            )["id"],
            "milestone_id": ok(admin.get(f"/api/v1/projects/{open_project['id']}/milestones"))[0]["id"],
            "indicator_id": ok(admin.get(f"/api/v1/projects/{open_project['id']}/indicators"))[0]["id"],
            "pledge_id": pledge["id"],
            "user_id": accounts["staff"].id,
            "process_id": ok(admin.get("/api/v1/national-processes"))["items"][0]["id"],
            "norm_code": "bpg-salw-collection",  # the norm the POST example adds
            "document_id": ok(
                admin.post(
                    "/api/v1/documents",
                    data={"owner_type": "project", "owner_id": open_project["id"], "category": "A07"}
                    | {"title": "Mid-term review"},
                    files={"file": ("review.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                ),
                201,
            )["id"],
        }
        tried = 0
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if "application/json" not in operation.get("requestBody", {}).get("content", {}):
                    continue
                chosen = {**ids, "project_id": requested["id"]} if path.endswith("/transitions") else ids
                if path.endswith("/interests"):  # a project seeking funding, with a gap, takes one
                    chosen = {**ids, "project_id": seeking["id"]}
                if path == "/api/v1/projects/{project_id}":  # a new budget: one no budget lines hold yet
                    chosen = {**ids, "project_id": unplanned["id"]}
                if "{obligation_id}" in path:  # one the agreement's example generated, or added by hand
                    chosen = {**ids, "obligation_id": ok(admin.get("/api/v1/obligations"))["items"][0]["id"]}
                if (
                    "{follow_up_id}" in path
                ):  # a check still due of a process the sample data made operational
                    due = ok(admin.get("/api/v1/follow-ups", params={"status": "overdue"}))["items"]
                    chosen = {**ids, "follow_up_id": due[0]["id"]}
                url = re.sub(r"\{(\w+)\}", lambda m, c=chosen: str(c[m.group(1)]), path)
                response = admin.request(method, url, json=_example(document, operation))
                assert response.status_code in (200, 201), f"{method.upper()} {path}: {response.text}"
                tried += 1
    assert tried >= 15


# -- the manual ---------------------------------------------------------------------------------------


def test_the_configuration_reference_is_what_the_settings_say():
    written = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert written == settings_markdown(), (
        f"docs/configuration.md differs from the Settings class: regenerate it with `{REGENERATE}`"
    )


def test_every_setting_says_what_it_does_and_is_in_the_reference():
    reference = settings_markdown()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description for docs/configuration.md"
        assert f"`PORTFOLIO_{name.upper()}`" in reference, name
    assert "Other settings" not in reference, "a setting is in no section of portfolio.config.SECTIONS"


def test_the_readme_is_a_door_with_the_quick_start_as_it_was():
    readme = README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick_start, flags=re.DOTALL)
    assert blocks[:2] == [SERVE, TEST]
    for name in MANUAL:
        assert f"(docs/{name})" in readme, f"the README's map leaves out docs/{name}"


def test_ci_installs_and_tests_exactly_as_the_readme_says():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in run.splitlines() if line.startswith("python3 -m venv")]
    assert commands, ".ci/run no longer installs with the README's command"
    assert all(line == TEST or line.startswith(TEST + " ") for line in commands), commands


def test_every_document_opens_with_its_contents():
    for name in MANUAL:
        head = (DOCS / name).read_text(encoding="utf-8").splitlines()[:12]
        assert head[0].startswith("# "), name
        assert any(line.startswith("Contents") for line in head), f"docs/{name} has no contents at its top"


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings (code blocks left out)."""
    anchors: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not re.match(r"#{1,6} ", line):
            continue
        text = line.lstrip("#").strip().replace("`", "").lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def _links(markdown: str) -> list[str]:
    """Every link target of a document, outside its code blocks."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_every_relative_link_of_the_readme_and_the_manual_leads_somewhere():
    broken = []
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for target in _links(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http://…, https://…, mailto:…
            path, _, anchor = target.partition("#")
            goal = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)} → {target}"
            if not goal.exists():
                broken.append(f"{where}: no such file")
            elif anchor and goal.suffix == ".md" and anchor not in _anchors(goal.read_text(encoding="utf-8")):
                broken.append(f"{where}: no such heading")
    assert not broken, "\n".join(broken)


def test_every_architecture_contract_is_in_the_developer_guide():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    guide = (DOCS / "developer.md").read_text(encoding="utf-8")
    assert contracts
    missing = [name for name in contracts if name not in guide]
    assert not missing, f"docs/developer.md does not name: {missing}"
