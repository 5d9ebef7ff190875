"""Donors' expressions of interest through the API: who may express one and for which projects, what is
refused and where, who sees which, withdrawing one, and turning one into a pledge in one transaction."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from portfolio.audit.models import AuditEntry
from portfolio.errors import Conflict
from portfolio.funding.models import Pledge
from portfolio.interests import service as interests_service
from portfolio.interests.models import Interest
from portfolio.security import create_token
from portfolio.users.models import User
from tests.conftest import Account
from tests.days import this_month, today
from tests.factories import PASSWORD, assert_problem, make_pledge, make_project, make_rate, move, ok

SEEKING = ("assessment", "planning", "seeking_funding")


@pytest.fixture
def norway(app: Any) -> Account:
    """A second donor account, speaking for Norway."""
    state = app.state
    with state.db.session(write=True) as session:
        user = User(
            email="donor.nor@test.example.org",
            full_name="Test donor NOR",
            role="donor",
            state="NOR",
            password_hash=state.hasher.hash(PASSWORD),
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        token = create_token(state.secret_key, user.id, user.token_version, timedelta(hours=1))
        return Account(user.id, user.email, "donor", "NOR", token)


def as_(client: TestClient, account: Account) -> dict[str, str]:
    return account.headers


def seeking(client: TestClient, **overrides: Any) -> dict[str, Any]:
    project = make_project(client, **overrides)
    move(client, project["id"], *SEEKING)
    return project


def express(client: TestClient, project_id: int, headers: dict[str, str] | None = None, **body: Any) -> Any:
    data = {"amount": "250000.00", "currency": "EUR"} | body
    return client.post(f"/api/v1/projects/{project_id}/interests", json=data, headers=headers or {})


def test_a_donor_expresses_its_own_states_interest_audited(client, accounts):
    project = seeking(client)
    donor = accounts["donor"].headers
    created = ok(express(client, project["id"], donor, note="Subject to approval"), 201)
    assert (created["donor"], created["amount"], created["currency"], created["status"]) == (
        "DEU",
        "250000.00",
        "EUR",
        "open",
    )
    assert (created["estimate_eur"], created["rate_month"], created["pledge_id"]) == (
        "250000.00",
        this_month(),
        None,
    )
    again = ok(client.get(f"/api/v1/interests/{created['id']}", headers=donor))
    assert again["note"] == "Subject to approval"
    trail = ok(client.get("/api/v1/audit", params={"entity": "interest", "entity_id": created["id"]}))[
        "items"
    ]
    assert [(e["action"], e["user_id"], e["project_id"]) for e in trail] == [
        ("create", accounts["donor"].id, project["id"])
    ]
    assert trail[0]["changes"]["amount"] == [None, "250000.00"]
    # an interest is not a pledge: the project's pledged total does not move
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]["pledged_eur"] == "0.00"


def test_staff_record_an_interest_on_a_donors_behalf_naming_it(client, accounts):
    project = seeking(client)
    assert_problem(express(client, project["id"]), 422, ["body", "donor"])
    assert_problem(express(client, project["id"], donor="ZZZ"), 422, ["body", "donor"])
    created = ok(express(client, project["id"], donor="nor"), 201)
    assert created["donor"] == "NOR"


def test_a_donor_cannot_express_another_states_interest_and_a_manager_none(client, accounts):
    project = seeking(client)
    body = assert_problem(express(client, project["id"], accounts["donor"].headers, donor="FRA"), 403)
    assert "its own State (DEU)" in body["detail"]
    assert ok(express(client, project["id"], accounts["donor"].headers, donor="DEU"), 201)["donor"] == "DEU"
    assert_problem(express(client, project["id"], accounts["manager"].headers, donor="DEU"), 403)
    assert ok(client.get("/api/v1/interests"))["total"] == 1


@pytest.mark.parametrize(
    ("statuses", "words"),
    [
        ((), "is requested"),
        (("assessment", "planning"), "is planning"),
        ((*SEEKING, "implementation", "completed"), "is completed"),
        (("cancelled",), "is cancelled"),
        (("assessment", "planning", "seeking_funding", "on_hold"), "is on hold"),
    ],
)
def test_only_projects_seeking_funding_or_in_implementation_take_interest(client, accounts, statuses, words):
    project = make_project(client)
    move(client, project["id"], *statuses)
    body = assert_problem(express(client, project["id"], accounts["donor"].headers), 409)
    assert words in body["detail"] and "only projects seeking funding or in implementation" in body["detail"]
    assert ok(client.get("/api/v1/interests"))["total"] == 0


def test_a_fully_pledged_project_takes_no_interest_one_in_implementation_with_a_gap_does(client, accounts):
    full = seeking(client, budget_eur="100000.00")
    make_pledge(client, full["id"], amount="100000.00", pledged_on=today().isoformat())
    body = assert_problem(express(client, full["id"], accounts["donor"].headers), 409)
    assert "fully pledged" in body["detail"]
    under_way = seeking(client, budget_eur="500000.00")
    make_pledge(client, under_way["id"], amount="100000.00", pledged_on=today().isoformat())
    move(client, under_way["id"], "implementation")
    assert ok(express(client, under_way["id"], accounts["donor"].headers), 201)["status"] == "open"
    assert_problem(express(client, 999999, accounts["donor"].headers), 404)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0"),
        ("amount", "-5.00"),
        ("amount", "abc"),
        ("amount", "12.345"),
        ("amount", 1.5),
        ("amount", "1000000000000.01"),
        ("currency", "ZZZ"),
        ("currency", "EURO"),
        ("currency", "NOK"),  # a real currency, but no rate recorded for this month
        ("note", "x" * 4001),
        ("note", "bell\x07"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, accounts, field, value):
    project = seeking(client)
    response = express(client, project["id"], accounts["donor"].headers, **{field: value})
    assert_problem(response, 422, ["body", field])
    assert ok(client.get("/api/v1/interests"))["total"] == 0


def test_a_currency_with_this_months_rate_is_taken_and_estimated(client, accounts):
    project = seeking(client)
    make_rate(client, "NOK", this_month(), "0.08620000")
    created = ok(
        express(client, project["id"], accounts["donor"].headers, amount="1000000.00", currency="nok"), 201
    )
    assert (created["currency"], created["estimate_eur"], created["rate_month"]) == (
        "NOK",
        "86200.00",
        this_month(),
    )


def test_donors_see_only_their_own_interests_staff_all(client, accounts, norway):
    one, two = seeking(client), seeking(client)
    deu = ok(express(client, one["id"], accounts["donor"].headers, amount="1111.00"), 201)
    nor = ok(express(client, one["id"], norway.headers, amount="2222.00"), 201)
    ok(express(client, two["id"], norway.headers, amount="3333.00"), 201)

    mine = ok(client.get("/api/v1/interests", headers=accounts["donor"].headers))
    assert [(i["donor"], i["amount"]) for i in mine["items"]] == [("DEU", "1111.00")]
    assert (
        ok(client.get("/api/v1/interests", params={"donor": "NOR"}, headers=accounts["donor"].headers))[
            "total"
        ]
        == 0
    )
    assert_problem(client.get(f"/api/v1/interests/{nor['id']}", headers=accounts["donor"].headers), 404)
    assert (
        ok(client.get(f"/api/v1/interests/{deu['id']}", headers=accounts["donor"].headers))["id"] == deu["id"]
    )

    everyone = ok(client.get("/api/v1/interests"))
    assert sorted(i["amount"] for i in everyone["items"]) == ["1111.00", "2222.00", "3333.00"]
    manager = ok(client.get("/api/v1/interests", headers=accounts["manager"].headers))
    assert manager["total"] == 3
    by_project = ok(client.get("/api/v1/interests", params={"project_id": one["id"]}))
    assert sorted(i["donor"] for i in by_project["items"]) == ["DEU", "NOR"]
    by_norway = ok(client.get("/api/v1/interests", params={"donor": "NOR", "project_id": two["id"]}))
    assert [i["amount"] for i in by_norway["items"]] == ["3333.00"]
    assert_problem(client.get("/api/v1/interests", params={"status": "bogus"}), 422, ["query", "status"])


def test_withdrawing_by_its_donor_or_staff_once(client, accounts, norway):
    project = seeking(client)
    deu = ok(express(client, project["id"], accounts["donor"].headers), 201)
    nor = ok(express(client, project["id"], norway.headers), 201)
    url = f"/api/v1/interests/{deu['id']}/withdraw"
    assert_problem(
        client.post(f"/api/v1/interests/{nor['id']}/withdraw", headers=accounts["donor"].headers), 404
    )
    assert_problem(client.post(url, headers=accounts["manager"].headers), 403)
    assert_problem(client.post(url, headers=accounts["donor"].headers | {"If-Match": '"7"'}), 412)
    done = client.post(url, headers=accounts["donor"].headers | {"If-Match": '"1"'})
    assert ok(done)["status"] == "withdrawn"
    assert done.headers["etag"] == '"2"'
    assert_problem(client.post(url, headers=accounts["donor"].headers), 409)
    assert ok(client.post(f"/api/v1/interests/{nor['id']}/withdraw"))["status"] == "withdrawn"  # staff
    withdrawn = ok(client.get("/api/v1/interests", params={"status": "withdrawn"}))
    assert withdrawn["total"] == 2
    trail = ok(client.get("/api/v1/audit", params={"entity": "interest", "entity_id": deu["id"]}))["items"]
    assert {(e["action"], str(e["changes"].get("status"))) for e in trail} >= {
        ("update", str(["open", "withdrawn"]))
    }


def test_staff_turn_an_interest_into_a_pledge_in_one_step(client, accounts):
    project = seeking(client)
    make_rate(client, "NOK", this_month(), "0.08620000")
    interest = ok(
        express(
            client,
            project["id"],
            accounts["donor"].headers,
            amount="500000.00",
            currency="NOK",
            note="Letter",
        ),
        201,
    )
    url = f"/api/v1/interests/{interest['id']}/pledge"
    assert_problem(client.post(url, headers=accounts["donor"].headers), 403)
    assert_problem(client.post(url, headers=accounts["manager"].headers), 403)
    pledge = ok(client.post(url), 201)
    assert (pledge["donor"], pledge["amount"], pledge["currency"], pledge["status"], pledge["note"]) == (
        "DEU",
        "500000.00",
        "NOK",
        "pledged",
        "Letter",
    )
    assert (pledge["pledged_on"], pledge["amount_eur"], pledge["project_id"]) == (
        today().isoformat(),
        "43100.00",
        project["id"],
    )
    after = ok(client.get(f"/api/v1/interests/{interest['id']}", headers=accounts["donor"].headers))
    assert (after["status"], after["pledge_id"]) == ("converted", pledge["id"])
    # the donor sees its new pledge; the project counts it as pledged
    assert (
        ok(client.get(f"/api/v1/pledges/{pledge['id']}", headers=accounts["donor"].headers))["id"]
        == pledge["id"]
    )
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]["pledged_eur"] == "43100.00"
    assert_problem(client.post(url), 409)  # converted once only
    assert_problem(
        client.post(f"/api/v1/interests/{interest['id']}/withdraw", headers=accounts["donor"].headers), 409
    )
    staff = accounts["staff"].id
    trail = ok(client.get(f"/api/v1/projects/{project['id']}/audit"))["items"]
    written = {(e["entity"], e["action"], e["user_id"]) for e in trail}
    assert {("pledge", "create", staff), ("interest", "update", staff)} <= written
    update = next(e for e in trail if e["entity"] == "interest" and e["action"] == "update")
    assert update["changes"] == {"status": ["open", "converted"], "pledge_id": [None, pledge["id"]]}


def test_conversion_on_a_given_date_with_another_note(client, accounts):
    project = seeking(client)
    interest = ok(express(client, project["id"], accounts["donor"].headers, note="Letter"), 201)
    day = (today() - timedelta(days=3)).isoformat()
    body = {"pledged_on": day, "note": "Announced at the plenary"}
    pledge = ok(client.post(f"/api/v1/interests/{interest['id']}/pledge", params=body), 201)
    assert (pledge["pledged_on"], pledge["note"]) == (day, "Announced at the plenary")
    future = (today() + timedelta(days=40)).isoformat()
    other = ok(express(client, project["id"], accounts["donor"].headers), 201)
    response = client.post(f"/api/v1/interests/{other['id']}/pledge", params={"pledged_on": future})
    assert_problem(response, 422, ["query", "pledged_on"])
    assert ok(client.get(f"/api/v1/interests/{other['id']}"))["status"] == "open"
    assert_problem(
        client.post(f"/api/v1/interests/{other['id']}/pledge", params={"pledged_on": "soon"}),
        422,
        ["query", "pledged_on"],
    )


def count_pledges(db: Any) -> int:
    with db.session() as session:
        return len(session.exec(select(Pledge)).all())


def test_a_refused_pledge_leaves_the_interest_open_and_no_pledge(client, accounts, db):
    project = seeking(client)
    make_rate(client, "NOK", this_month(), "0.08620000")
    interest = ok(express(client, project["id"], accounts["donor"].headers, currency="NOK"), 201)
    # a month with no NOK rate: the funding rules refuse the pledge, on its currency
    earlier = (today().replace(day=1) - timedelta(days=40)).isoformat()
    response = client.post(f"/api/v1/interests/{interest['id']}/pledge", params={"pledged_on": earlier})
    assert_problem(response, 422, ["body", "currency"])
    assert "no exchange rate for NOK" in response.json()["detail"]
    assert count_pledges(db) == 0
    assert ok(client.get(f"/api/v1/interests/{interest['id']}"))["status"] == "open"
    # a project cancelled meanwhile takes no pledge
    move(client, project["id"], "cancelled")
    assert_problem(client.post(f"/api/v1/interests/{interest['id']}/pledge"), 409)
    assert count_pledges(db) == 0


def test_a_failure_after_the_pledge_is_written_rolls_both_back(client, accounts, db, monkeypatch):
    project = seeking(client)
    interest = ok(express(client, project["id"], accounts["donor"].headers), 201)
    seen: list[int] = []

    def fail(session: Any, actor: Any, found: Interest, pledge_id: int) -> Interest:
        seen.append(pledge_id)  # the pledge was written, in this transaction
        raise Conflict("Simulated failure half-way through the conversion.")

    monkeypatch.setattr(interests_service, "mark_converted", fail)
    assert_problem(client.post(f"/api/v1/interests/{interest['id']}/pledge"), 409)
    assert len(seen) == 1
    assert count_pledges(db) == 0
    with db.session() as session:
        stored = session.get(Interest, interest["id"])
        assert stored is not None and (stored.status, stored.pledge_id, stored.version) == ("open", None, 1)
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "pledge")).all()
        assert entries == []
    monkeypatch.undo()
    assert ok(client.post(f"/api/v1/interests/{interest['id']}/pledge"), 201)["amount"] == "250000.00"
    assert count_pledges(db) == 1


def test_interests_are_money_exact_in_euro_estimates(client, accounts):
    project = seeking(client)
    make_rate(client, "CHF", this_month(), "1.05123457")
    created = ok(
        express(client, project["id"], accounts["donor"].headers, amount="0.05", currency="CHF"), 201
    )
    assert Decimal(created["estimate_eur"]) == (Decimal("0.05") * Decimal("1.05123457")).quantize(
        Decimal("0.01")
    )
    assert created["estimate_eur"] == "0.05"
