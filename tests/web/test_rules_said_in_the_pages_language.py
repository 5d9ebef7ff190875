"""The rules' own messages beside a field are said in the page's language: an obligation's status and its
dates, a number with more decimals than it takes (a schema's validator), a State given to an account that
is not a donor's, an indicator's women and men, a pledge dated after its money. Each is the translation of
its catalogue entry (portfolio/locale/*/LC_MESSAGES/refusals.po), with its dates and numbers written the
language's way — and the API keeps answering the English."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio.errors import Said
from portfolio.web.i18n import Formats
from tests.factories import make_pledge, make_project, ok, receive
from tests.pages import error_of, hidden, log_in, token_of, value_of
from tests.projects.test_web_project_forms import form_of, submit

SPACES = {"\u202f": " ", "\xa0": " "}


def beside(page: Any, field: str) -> str:
    """The message beside ``field``, with the narrow and no-break spaces of French and Russian as plain
    ones."""
    message = error_of(page, field)
    for odd, space in SPACES.items():
        message = message.replace(odd, space)
    return message.strip()


@pytest.fixture
def staff(app: FastAPI, accounts: dict[str, Any]) -> TestClient:
    return log_in(app, "staff")


@pytest.fixture
def obligation(client: TestClient) -> dict[str, Any]:
    """A reporting obligation of a signed agreement, still due."""
    project = make_project(client, code="SAID-OBL-1", start_date="2024-06-01", end_date="2025-12-31")
    pledge = make_pledge(client, project["id"], donor="NOR", amount="50000.00")
    body = {"reference": "SAID-NOR-1", "signed_on": "2024-07-01"}
    ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=body), 201)
    first: dict[str, Any] = ok(client.get("/api/v1/obligations", params={"donor": "NOR"}))["items"][0]
    return first


def send_obligation(staff: TestClient, obligation_id: int, lang: str, **changes: str) -> Any:
    """The obligation's form, sent from its page in ``lang`` with ``changes``."""
    url = f"/obligations/{obligation_id}?lang={lang}"
    page = staff.get(url)
    assert page.status_code == 200, page.text
    fields = {
        "status": "due",
        "submitted_on": "",
        "accepted_on": "",
        "due_on": value_of(page, "due_on"),
        "owner_id": "",
        "note": "",
        "title": value_of(page, "title"),
        "category": "A08",
        "version": hidden(page, "version"),
        "loaded_at": hidden(page, "loaded_at"),
        "csrf_token": token_of(page),
    }
    return staff.post(url, data=fields | changes, follow_redirects=False)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "une obligation est acceptée une fois remise : donnez sa date de remise"),
        ("ru", "обязательство принимается после представления: укажите дату представления"),
        ("en", "an obligation is accepted once submitted: give its date"),
    ],
    ids=["fr", "ru", "en"],
)
def test_an_obligation_accepted_without_its_submission_is_refused_in_the_pages_language(
    client, staff, obligation, lang, expected
):
    answer = send_obligation(staff, obligation["id"], lang, status="accepted", accepted_on="2025-01-10")
    assert answer.status_code == 422
    assert beside(answer, "submitted_on") == expected
    api = client.patch(
        f"/api/v1/obligations/{obligation['id']}", json={"status": "accepted", "accepted_on": "2025-01-10"}
    )
    assert api.status_code == 422
    assert api.json()["errors"] == [
        {"loc": ["body", "submitted_on"], "msg": "an obligation is accepted once submitted: give its date"}
    ]
    assert ok(client.get(f"/api/v1/obligations/{obligation['id']}"))["status"] == "overdue"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "le 5 mars 2025 précède la remise (10 mars 2025)"),
        ("ru", "5 мар. 2025 г. — раньше представления (10 мар. 2025 г.)"),
    ],
    ids=["fr", "ru"],
)
def test_an_acceptance_before_the_submission_writes_both_dates_the_languages_way(
    client, staff, obligation, lang, expected
):
    answer = send_obligation(
        staff,
        obligation["id"],
        lang,
        status="accepted",
        submitted_on="2025-03-10",
        accepted_on="2025-03-05",
    )
    assert answer.status_code == 422
    assert beside(answer, "accepted_on") == expected


@pytest.mark.parametrize(
    ("lang", "weight", "expected"),
    [
        ("fr", "1,005", "au plus 2 décimales"),
        ("ru", "1,005", "не более 2 знаков после запятой"),
        ("en", "1.005", "at most 2 decimal places"),
    ],
    ids=["fr", "ru", "en"],
)
def test_a_milestone_weight_with_too_many_decimals_is_refused_in_the_pages_language(
    client, staff, lang, weight, expected
):
    """A schema's own validator (``ValueError(Said(...))``), not a service's rule."""
    project = make_project(client, code=f"SAID-MS-{lang}")
    url = f"/projects/{project['id']}/milestones/new?lang={lang}"
    answer = submit(staff, url, {"title": "Depot fence", "due_on": "2026-05-01", "weight": weight})
    assert answer.status_code == 422
    assert beside(answer, "weight") == expected
    assert "Value error" not in answer.text
    api = client.post(
        f"/api/v1/projects/{project['id']}/milestones", json={"title": "Depot fence", "weight": "1.005"}
    )
    assert api.status_code == 422
    assert [e["msg"] for e in api.json()["errors"]] == ["at most 2 decimal places"]


@pytest.mark.parametrize(
    ("lang", "amount", "expected"),
    [("fr", "10 000,505", "au plus 2 décimales"), ("ru", "10 000,505", "не более 2 знаков после запятой")],
    ids=["fr", "ru"],
)
def test_an_amount_with_too_many_decimals_is_refused_in_the_pages_language(
    client, staff, lang, amount, expected
):
    project = make_project(client, code=f"SAID-AMT-{lang}")
    url = f"/projects/{project['id']}/pledges/new?lang={lang}"
    fields = {"donor": "DEU", "kind": "cash", "amount": amount, "currency": "EUR", "pledged_on": "2025-02-01"}
    answer = submit(staff, url, fields)
    assert answer.status_code == 422
    assert beside(answer, "amount") == expected
    assert ok(client.get("/api/v1/pledges", params={"project_id": project["id"]}))["total"] == 0


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            "seuls les comptes donateurs s’expriment au nom d’un État, pas les comptes "
            "« personnel d’appui au FCS »",
        ),
        (
            "ru",
            "от имени государства выступают только учетные записи доноров, а не учетные записи с ролью "
            "«сотрудники поддержки ФСОБ»",
        ),
    ],
    ids=["fr", "ru"],
)
def test_a_state_given_to_a_staff_account_is_refused_in_the_pages_language(app, accounts, lang, expected):
    admin = log_in(app, accounts["admin"].email)
    fields = {
        "email": "said@example.org",
        "full_name": "Said Staff",
        "role": "staff",
        "state": "DEU",
        "password": "a brand new passphrase of five words",
    }
    answer = submit(admin, f"/accounts/new?lang={lang}", fields)
    assert answer.status_code == 422
    assert beside(answer, "state") == expected
    api = TestClient(app).post(
        "/api/v1/users",
        json={**fields, "email": "said2@example.org"},
        headers=accounts["admin"].headers,
    )
    assert api.status_code == 422
    assert api.json()["errors"][0]["msg"] == "only donor accounts speak for a State, not staff accounts"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            "femmes 600 + hommes 500 = 1 100 dépassent la cible de 1 000 ; femmes + hommes ne peuvent "
            "dépasser la cible",
        ),
        (
            "ru",
            "женщины 600 + мужчины 500 = 1 100 — больше целевого значения 1 000; женщин и мужчин вместе "
            "может быть не больше целевого значения",
        ),
        (
            "en",
            "women 600 + men 500 = 1,100 exceed the target of 1,000; women + men may be at most the target",
        ),
    ],
    ids=["fr", "ru", "en"],
)
def test_women_and_men_past_the_target_are_refused_with_the_numbers_the_languages_way(
    client, staff, lang, expected
):
    project = make_project(client, code=f"SAID-IND-{lang}")
    url = f"/projects/{project['id']}/indicators/new?lang={lang}"
    fields = {
        "name": "Officers trained",
        "measure": "people_trained",
        "unit": "",
        "baseline": "0",
        "target": "1000",
        "target_women": "600",
        "target_men": "500",
    }
    answer = submit(staff, url, fields)
    assert answer.status_code == 422
    assert beside(answer, "target_men") == expected


@pytest.mark.parametrize(
    ("lang", "typed", "field", "expected"),
    [
        ("fr", {"target": "1 200,5"}, "target", "1 200,5 n’est pas un nombre entier de personnes"),
        ("ru", {"target": "1 200,5"}, "target", "1 200,5 — не целое число человек"),
        ("fr", {"target_women": "2,5"}, "target_women", "un nombre entier de personnes"),
        ("ru", {"target_women": "2,5"}, "target_women", "целое число человек"),
    ],
    ids=["fr-rule", "ru-rule", "fr-schema", "ru-schema"],
)
def test_people_that_are_no_whole_number_are_refused_in_the_pages_language(
    client, staff, lang, typed, field, expected
):
    """The service's rule writes the number the language's way; the schema's validator says it too."""
    project = make_project(client, code=f"SAID-PPL-{lang}-{len(field)}")
    url = f"/projects/{project['id']}/indicators/new?lang={lang}"
    fields = {"name": "Officers trained", "measure": "people_trained", "baseline": "0", "target": "1200"}
    answer = submit(staff, url, fields | typed)
    assert answer.status_code == 422
    assert beside(answer, field) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            "Une annonce ne peut être datée d’après un versement reçu à son titre (reçu le 8 déc. 2025).",
        ),
        ("ru", "Взнос не может быть датирован позже поступления по нему (поступление 8 дек. 2025 г.)."),
    ],
    ids=["fr", "ru"],
)
def test_a_pledge_dated_after_its_money_is_refused_with_the_date_the_languages_way(
    client, staff, lang, expected
):
    project = make_project(client, code=f"SAID-PLD-{lang}", request_date="2025-06-02")
    pledge = make_pledge(client, project["id"], amount="10000.00", pledged_on="2025-12-07")
    ok(receive(client, pledge["id"], "6000.00", received_on="2025-12-08"), 201)
    url = f"/pledges/{pledge['id']}/edit?lang={lang}"
    fields = {
        "donor": "DEU",
        "kind": "cash",
        "amount": "10 000,00",
        "currency": "EUR",
        "pledged_on": "2025-12-09",
        "status": "pledged",
    }
    answer = staff.post(url, data={**form_of(staff.get(url)), **fields})
    assert answer.status_code == 422
    assert beside(answer, "pledged_on") == expected
    api = client.patch(f"/api/v1/pledges/{pledge['id']}", json={"pledged_on": "2025-12-09"})
    assert api.json()["errors"][0]["msg"] == (
        "A pledge cannot be dated after money received against it (received on 2025-12-08)."
    )


def test_a_check_given_a_day_without_its_outcome_keeps_its_english_on_the_api(client):
    """The process page asks for the outcome in its own words (portfolio/web/processes.py); the rule's
    message is the API's, in English, and has its translation for a page that shows it."""
    body = {"state": "MDA", "name": "National SALW Commission", "kind": "structure", "stage": "operational"}
    process = ok(
        client.post("/api/v1/national-processes", json={**body, "stage_changed_on": "2024-03-31"}), 201
    )
    check_id = process["follow_ups"][0]["id"]
    api = client.patch(f"/api/v1/follow-ups/{check_id}", json={"checked_on": date.today().isoformat()})
    assert api.status_code == 422
    [error] = api.json()["errors"]
    assert error == {"loc": ["body", "checked_on"], "msg": "give the outcome with the day of the check"}
    said = Said("give the outcome with the day of the check")
    assert Formats("fr").said(said) == "indiquez le résultat avec le jour du contrôle"
    assert Formats("ru").said(said) == "укажите результат вместе с датой проверки"
