"""A form speaks the page's language both ways: a number is typed as the page writes it (1 250 000,50 on a
French page, 1,250,000.50 on an English one) and stored exactly; a refusal beside a field is in the page's
language and in a person's words — pydantic's own types and the rules' messages alike — while the API keeps
answering in English."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_pledge, make_project, move, ok, project_body, receive
from tests.pages import log_in, text_of
from tests.projects.test_web_project_forms import NEW, created_id, form_of, submit

SPACE = {"\u202f": " ", "\xa0": " "}


def plain(text: str) -> str:
    """What a person reads, with the narrow and no-break spaces of French numbers as plain ones."""
    for odd, space in SPACE.items():
        text = text.replace(odd, space)
    return text


def beside(html: str, field: str) -> str:
    """The message shown beside ``field``."""
    found = html.split(f'id="f-{field}-error">', 1)
    assert len(found) == 2, f"no message beside {field}"
    return plain(text_of(found[1].split("</p>", 1)[0])).strip()


@pytest.fixture
def open_project(client: TestClient) -> dict[str, Any]:
    project = make_project(client, code="TYPED-1", budget_eur="2000000.00")
    move(client, project["id"], "assessment", "planning", "seeking_funding")
    return project


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("fr", "1 250 000,50"),
        ("fr", "1\u202f250\u202f000,50"),
        ("ru", "1 250 000,50"),
        ("ru", "1\xa0250\xa0000,50"),
        ("en", "1,250,000.50"),
        ("en", "1250000.50"),
    ],
)
def test_a_pledge_typed_as_the_page_writes_numbers_is_stored_exactly(
    app, accounts, client, open_project, lang, typed
):
    staff = log_in(app, accounts["staff"].email)
    url = f"/projects/{open_project['id']}/pledges/new?lang={lang}"
    fields = {"donor": "DEU", "kind": "cash", "amount": typed, "currency": "EUR", "pledged_on": "2025-02-01"}
    answer = submit(staff, url, fields)
    assert answer.status_code == 303, beside(answer.text, "amount")
    [pledge] = ok(client.get("/api/v1/pledges", params={"project_id": open_project["id"]}))["items"]
    assert pledge["amount"] == "1250000.50"


def test_a_budget_typed_the_french_way_is_stored_exactly(app, accounts, client):
    staff = log_in(app, accounts["staff"].email)
    project_id = created_id(submit(staff, "/projects/new?lang=fr", {**NEW, "budget_eur": "1 850 000,00"}))
    assert ok(client.get(f"/api/v1/projects/{project_id}"))["budget_eur"] == "1850000.00"


@pytest.mark.parametrize(
    ("lang", "typed", "said"),
    [
        ("fr", "1,250,000.50", "Saisissez un nombre, p. ex. 1 250 000,50."),
        ("en", "1 250 000,50", "Type a number, e.g. 1,250,000.50."),
    ],
)
def test_a_number_written_another_way_is_refused_with_the_form_the_page_expects(
    app, accounts, client, open_project, lang, typed, said
):
    staff = log_in(app, accounts["staff"].email)
    url = f"/projects/{open_project['id']}/pledges/new?lang={lang}"
    fields = {"donor": "DEU", "kind": "cash", "amount": typed, "currency": "EUR", "pledged_on": "2025-02-01"}
    answer = submit(staff, url, fields)
    assert answer.status_code == 422
    assert beside(answer.text, "amount") == said
    assert f'value="{typed}"' in answer.text  # what was typed stays
    assert ok(client.get("/api/v1/pledges", params={"project_id": open_project["id"]}))["total"] == 0


@pytest.mark.parametrize(
    ("lang", "areas", "budget"),
    [
        ("en", "Choose at least one.", "At most 1,000,000,000,000."),
        ("fr", "Choisissez-en au moins un.", "Au plus 1 000 000 000 000."),
    ],
)
def test_the_schemas_refusals_are_in_a_persons_words_in_the_pages_language(
    app, accounts, lang, areas, budget
):
    staff = log_in(app, accounts["staff"].email)
    fields = {**NEW, "areas": [], "budget_eur": "5000000000000"}
    answer = submit(staff, f"/projects/new?lang={lang}", fields)
    assert answer.status_code == 422
    assert beside(answer.text, "areas") == areas
    assert beside(answer.text, "budget_eur") == budget
    assert "Input should" not in answer.text and "Decimal(" not in answer.text


def test_the_rules_refusals_are_in_the_pages_language_and_the_api_keeps_english(app, accounts, client):
    project = make_project(client, code="SAID-1", request_date="2025-06-02")
    pledge = make_pledge(client, project["id"], amount="10000.00", pledged_on="2025-12-07")
    ok(receive(client, pledge["id"], "6000.00", received_on="2025-12-08"), 201)
    staff = log_in(app, accounts["staff"].email)
    url = f"/pledges/{pledge['id']}/receipts/new?lang=fr"
    early = submit(staff, url, {"received_on": "2025-12-03", "amount": "10,00"})
    assert beside(early.text, "received_on") == (
        "Un versement ne peut être daté d’avant son annonce (annoncée le 7 déc. 2025)."
    )
    too_much = submit(staff, url, {"received_on": "2025-12-09", "amount": "5 000,00"})
    assert beside(too_much.text, "amount") == (
        "Un versement de 5 000,00 € porterait l’annonce à 11 000,00 €, au-delà de ses 10 000,00 € "
        "(4 000,00 € restant dus)."
    )
    english = submit(
        staff, f"/pledges/{pledge['id']}/receipts/new", {"received_on": "2025-12-09", "amount": "5000"}
    )
    assert beside(english.text, "amount") == (
        "A receipt of €5,000.00 would bring the pledge to €11,000.00, past its €10,000.00 "
        "(€4,000.00 outstanding)."
    )
    api = client.post(
        f"/api/v1/pledges/{pledge['id']}/receipts", json={"received_on": "2025-12-03", "amount": "1"}
    )
    assert api.status_code == 422
    assert (
        api.json()["errors"][0]["msg"]
        == "A receipt cannot be dated before its pledge (pledged on 2025-12-07)."
    )
    changed = client.patch(f"/api/v1/pledges/{pledge['id']}", json={"amount": "5000.00"})
    assert changed.json()["errors"][0]["msg"] == (
        "6000.00 EUR has already been received; the pledge cannot be less than that."
    )
    form = form_of(staff.get(f"/pledges/{pledge['id']}/edit?lang=fr"))
    fields = {
        "donor": "DEU",
        "kind": "cash",
        "amount": "5 000,00",
        "currency": "EUR",
        "pledged_on": "2025-12-07",
    }
    below = staff.post(f"/pledges/{pledge['id']}/edit?lang=fr", data={**form, **fields, "status": "pledged"})
    assert (
        beside(below.text, "amount")
        == "6 000,00 € ont déjà été versés ; l’annonce ne peut pas être inférieure."
    )


def said_templates() -> set[str]:
    """Every message template the code says with ``Said("…", …)``, and those it keeps in a table."""
    import ast
    from pathlib import Path

    from portfolio.funding.service import FIXED_BY_AGREEMENT
    from portfolio.web.forms import PYDANTIC_WORDS

    found = {*FIXED_BY_AGREEMENT.values(), *PYDANTIC_WORDS.values()}
    for path in Path("portfolio").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Said" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return found


@pytest.mark.parametrize("lang", ["fr", "ru"])
def test_every_message_said_in_the_pages_language_is_translated_with_the_same_placeholders(lang):
    import re

    from portfolio.web.i18n import catalogue

    translated = catalogue(lang)
    templates = said_templates()
    assert len(templates) > 25  # the scan finds them
    missing = sorted(t for t in templates if translated.get(t) is None)
    assert missing == []
    lost = sorted(
        t
        for t in templates
        if set(re.findall(r"%\(\w+\)s", t)) != set(re.findall(r"%\(\w+\)s", translated[t].string))
    )
    assert lost == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Le code de projet « TAKEN-1 » est déjà utilisé par le projet nº {id}."),
        ("ru", "Код проекта «TAKEN-1» уже используется проектом № {id}."),
        ("en", "Project code 'TAKEN-1' is already used by project {id}."),
    ],
)
def test_a_code_already_taken_is_said_in_the_pages_language(app, accounts, client, lang, expected):
    """A second project, norm, process or account under a name already taken was refused in English on
    every page: the rule's message is made with Said, and the API keeps its English."""
    first = make_project(client, code="TAKEN-1")
    staff = log_in(app, accounts["staff"].email)
    answer = submit(staff, f"/projects/new?lang={lang}", {**NEW, "code": "TAKEN-1"})
    assert answer.status_code == 409
    assert beside(answer.text, "code") == expected.format(id=first["id"])
    api = client.post("/api/v1/projects", json={**project_body(), "code": "TAKEN-1"})
    assert (
        api.status_code == 409
        and api.json()["detail"] == f"Project code 'TAKEN-1' is already used by project {first['id']}."
    )
