"""The audit trail: every write records who made it, when, and each field as [old, new].

Rows are written in the same transaction as the change, so a failed write leaves none; a delete keeps
the full last state; the trail is append-only and readable by admin, staff and manager, not donors.
"""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from unittest.mock import ANY

import pytest

from tests.factories import (
    PASSWORD,
    assert_problem,
    make_pledge,
    make_project,
    make_rate,
    move,
    ok,
    project_body,
    receive,
)

AUDIT = "/api/v1/audit"
PROJECTS = "/api/v1/projects"
PLEDGES = "/api/v1/pledges"
PROCESSES = "/api/v1/national-processes"
USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"  # noqa: S105 - a path
NEW_PASSWORD = "a brand new passphrase for tests"  # noqa: S105 - test accounts only


def trail(client, url=AUDIT, headers=None, **params):
    return ok(client.get(url, params=params, headers=headers))


def entries(client, **params):
    """Every matching row, newest first."""
    page = trail(client, limit=500, **params)
    assert page["total"] == len(page["items"])
    return page["items"]


def project_trail(client, project_id, **params):
    return ok(client.get(f"{PROJECTS}/{project_id}/audit", params={"limit": 500, **params}))["items"]


def only(client, **params):
    [entry] = entries(client, **params)
    return entry


def new_values(entry):
    assert all(old is None for old, _ in entry["changes"].values()), entry["changes"]
    return {field: new for field, (_, new) in entry["changes"].items()}


def old_values(entry):
    assert all(new is None for _, new in entry["changes"].values()), entry["changes"]
    return {field: old for field, (old, _) in entry["changes"].items()}


def same_instant(a, b):
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def stamp(value):
    """An audit timestamp as it travels in a query string."""
    return datetime.fromisoformat(value).isoformat()


def as_admin(accounts):
    return accounts["admin"].headers


def add_milestone(client, project_id, **overrides):
    body = {"title": "Depot perimeter fenced", "due_on": "2024-06-30", "weight": "2.00"} | overrides
    return ok(client.post(f"{PROJECTS}/{project_id}/milestones", json=body), 201)


def add_indicator(client, project_id, **overrides):
    body = {"name": "Ammunition destroyed", "unit": "tonnes", "baseline": "0", "target": "120.5"} | overrides
    return ok(client.post(f"{PROJECTS}/{project_id}/indicators", json=body), 201)


def process_body(**overrides):
    body = {
        "state": "SRB",
        "name": "National SALW Commission",
        "kind": "structure",
        "areas": ["SALW"],
        "stage_changed_on": "2024-01-10",
    }
    return body | overrides


# -- projects -----------------------------------------------------------------------------------


def test_project_create_records_every_field_with_old_null(client, accounts):
    project = make_project(
        client,
        code="AUD-2024-01",
        title="Depot security in Kragujevac",
        areas=["SCA", "SALW"],
        activity_types=["surplus_destruction_salw", "stockpile_security"],
        beneficiaries=["SRB", "BIH"],
        request_date="2024-01-15",
        start_date="2024-03-01",
        budget_eur="1000.00",
        sdg_targets=["16.4"],
    )

    entry = only(client, entity="project", entity_id=project["id"])
    assert entry["action"] == "create"
    assert entry["entity"] == "project"
    assert entry["entity_id"] == project["id"]
    assert entry["project_id"] == project["id"]
    assert entry["user_id"] == accounts["staff"].id
    assert datetime.fromisoformat(entry["at"]).tzinfo is not None
    assert new_values(entry) == {
        "id": project["id"],
        "code": "AUD-2024-01",
        "title": "Depot security in Kragujevac",
        "description": "",
        "implementing_partner": None,
        "request_date": "2024-01-15",
        "start_date": "2024-03-01",
        "end_date": None,
        "budget_eur": "1000.00",
        "gender_marker": None,  # not screened
        "sdg_targets": ["16.4"],
        "status": "requested",
        "status_before_hold": None,
        "version": 1,
        "created_at": ANY,
        "updated_at": ANY,
        "areas": ["SALW", "SCA"],
        "activity_types": ["stockpile_security", "surplus_destruction_salw"],
        "beneficiaries": ["BIH", "SRB"],
        "norms": [],
    }
    assert same_instant(entry["changes"]["created_at"][1], project["created_at"])


PROJECT_PATCHES = [
    ({"title": "New title"}, {"title": ["Old title", "New title"]}),
    ({"budget_eur": "2500.5"}, {"budget_eur": ["1000.00", "2500.50"]}),
    ({"areas": ["SALW", "SCA"]}, {"areas": [["SCA"], ["SALW", "SCA"]]}),
    ({"beneficiaries": ["MNE", "BIH"]}, {"beneficiaries": [["SRB"], ["BIH", "MNE"]]}),
    ({"start_date": "2024-02-01"}, {"start_date": [None, "2024-02-01"]}),
    (
        {"implementing_partner": "OSCE Mission to Serbia", "gender_marker": 1},
        {"implementing_partner": [None, "OSCE Mission to Serbia"], "gender_marker": [None, 1]},
    ),
    (
        {"title": "Old title", "description": "Now described", "sdg_targets": ["16.4"]},
        {"description": ["", "Now described"], "sdg_targets": [[], ["16.4"]]},
    ),
]


@pytest.mark.parametrize(("body", "changes"), PROJECT_PATCHES)
def test_project_patch_records_only_the_changed_fields(client, accounts, body, changes):
    project = make_project(client, title="Old title", budget_eur="1000.00")
    ok(client.patch(f"{PROJECTS}/{project['id']}", json=body, headers=as_admin(accounts)))

    entry = only(client, entity="project", entity_id=project["id"], action="update")
    assert entry["changes"] == changes
    assert entry["user_id"] == accounts["admin"].id
    assert entry["project_id"] == project["id"]
    assert only(client, entity="project", action="create")["user_id"] == accounts["staff"].id


def test_a_patch_that_changes_nothing_writes_no_row(client):
    project = make_project(client, title="Same", budget_eur="1000.00", areas=["SCA"], beneficiaries=["SRB"])
    same = {
        "title": "Same",
        "budget_eur": "1000",
        "areas": ["SCA", "SCA"],
        "beneficiaries": ["srb"],
        "end_date": None,
        "request_date": project["request_date"],
    }
    after = ok(client.patch(f"{PROJECTS}/{project['id']}", json=same))
    assert after["version"] == project["version"]
    assert [e["action"] for e in entries(client)] == ["create"]


def test_transition_records_status_date_and_note(client, accounts):
    project = make_project(client)
    ok(
        client.post(
            f"{PROJECTS}/{project['id']}/transitions",
            json={"to": "assessment", "on": "2024-02-01", "note": "Assessment visit planned"},
            headers=as_admin(accounts),
        )
    )
    move(client, project["id"], "planning", on="2024-03-05")

    first, second = entries(client, entity="project", action="transition")[::-1]
    assert first["changes"] == {
        "status": ["requested", "assessment"],
        "on": [None, "2024-02-01"],
        "note": [None, "Assessment visit planned"],
    }
    assert first["user_id"] == accounts["admin"].id
    assert second["changes"] == {
        "status": ["assessment", "planning"],
        "on": [None, "2024-03-05"],
        "note": [None, ""],
    }
    assert second["user_id"] == accounts["staff"].id
    assert {e["entity_id"] for e in (first, second)} == {project["id"]}
    assert {e["project_id"] for e in (first, second)} == {project["id"]}


def test_transition_to_on_hold_and_back(client):
    project = make_project(client)
    move(client, project["id"], "assessment", "on_hold", "assessment", on="2024-02-01")
    statuses = [e["changes"]["status"] for e in entries(client, action="transition")][::-1]
    assert statuses == [["requested", "assessment"], ["assessment", "on_hold"], ["on_hold", "assessment"]]


def test_project_delete_keeps_the_full_last_state(client, accounts):
    project = make_project(
        client,
        code="AUD-DEL-1",
        title="To be deleted",
        areas=["SALW"],
        activity_types=["marking_and_tracing"],
        beneficiaries=["MDA"],
        budget_eur="1000.00",
    )
    ok(client.patch(f"{PROJECTS}/{project['id']}", json={"title": "Renamed before deletion"}))
    move(client, project["id"], "assessment", on="2024-02-01")
    last = ok(client.get(f"{PROJECTS}/{project['id']}"))
    response = client.delete(f"{PROJECTS}/{project['id']}", headers=as_admin(accounts))
    assert response.status_code == 204, response.text

    entry = only(client, entity="project", action="delete")
    assert entry["entity_id"] == project["id"]
    assert entry["project_id"] == project["id"]
    assert entry["user_id"] == accounts["admin"].id
    old = old_values(entry)
    assert old == {
        "id": project["id"],
        "code": "AUD-DEL-1",
        "title": "Renamed before deletion",
        "description": "",
        "implementing_partner": None,
        "request_date": "2024-01-15",
        "start_date": None,
        "end_date": None,
        "budget_eur": "1000.00",
        "gender_marker": None,  # not screened
        "sdg_targets": [],
        "status": "assessment",
        "status_before_hold": None,
        "version": last["version"],
        "created_at": ANY,
        "updated_at": ANY,
        "areas": ["SALW"],
        "activity_types": ["marking_and_tracing"],
        "beneficiaries": ["MDA"],
        "norms": [],
        "milestones": [],
        "indicators": [],
    }
    assert same_instant(old["created_at"], last["created_at"])
    assert same_instant(old["updated_at"], last["updated_at"])

    # The create row and every change after it still rebuild the record that is gone.
    rebuilt = new_values(only(client, entity="project", action="create"))
    for row in entries(client, entity="project", entity_id=project["id"])[::-1]:
        if row["action"] == "update":
            rebuilt |= {field: new for field, (_, new) in row["changes"].items()}
        elif row["action"] == "transition":
            rebuilt["status"] = row["changes"]["status"][1]
    for field in ("code", "title", "budget_eur", "areas", "activity_types", "beneficiaries", "status"):
        assert rebuilt[field] == old[field], field


# -- pledges, receipts and exchange rates -------------------------------------------------------


def test_exchange_rate_create(client):
    make_rate(client, "USD", "2024-03", "0.9")
    entry = only(client, entity="exchange_rate")
    assert entry["action"] == "create"
    assert entry["project_id"] is None
    assert isinstance(entry["entity_id"], int)
    assert new_values(entry) == {
        "id": entry["entity_id"],
        "currency": "USD",
        "month": "2024-03",
        "eur_per_unit": "0.90000000",
        "created_at": ANY,
    }


def test_pledge_create_update_delete(client, accounts):
    project = make_project(client)
    make_rate(client, "USD", "2024-03", "0.9")
    pledge = make_pledge(client, project["id"], amount="5000.00", currency="USD", note="Announced at FSC")

    created = only(client, entity="pledge", action="create")
    assert created["entity_id"] == pledge["id"]
    assert created["project_id"] == project["id"]
    assert created["user_id"] == accounts["staff"].id
    assert new_values(created) == {
        "id": pledge["id"],
        "project_id": project["id"],
        "donor": "DEU",
        "kind": "cash",
        "amount": "5000.00",
        "currency": "USD",
        "pledged_on": "2024-03-10",
        "status": "pledged",
        "eur_per_unit": "0.90000000",
        "amount_eur": "4500.00",
        "note": "Announced at FSC",
        "version": 1,
        "created_at": ANY,
        "updated_at": ANY,
    }

    body = {"status": "committed", "amount": "6000", "note": "Agreement signed"}
    ok(client.patch(f"{PLEDGES}/{pledge['id']}", json=body, headers=as_admin(accounts)))
    updated = only(client, entity="pledge", action="update")
    assert updated["user_id"] == accounts["admin"].id
    assert updated["project_id"] == project["id"]
    assert updated["changes"] == {
        "status": ["pledged", "committed"],
        "amount": ["5000.00", "6000.00"],
        "amount_eur": ["4500.00", "5400.00"],
        "note": ["Announced at FSC", "Agreement signed"],
    }

    # The same values again change nothing and write nothing.
    ok(client.patch(f"{PLEDGES}/{pledge['id']}", json={"status": "committed", "amount": "6000.00"}))
    assert len(entries(client, entity="pledge", action="update")) == 1

    assert client.delete(f"{PLEDGES}/{pledge['id']}").status_code == 204
    deleted = only(client, entity="pledge", action="delete")
    assert deleted["entity_id"] == pledge["id"]
    assert deleted["project_id"] == project["id"]
    assert deleted["user_id"] == accounts["staff"].id
    assert old_values(deleted) == {
        "id": pledge["id"],
        "project_id": project["id"],
        "donor": "DEU",
        "kind": "cash",
        "amount": "6000.00",
        "currency": "USD",
        "pledged_on": "2024-03-10",
        "status": "committed",
        "eur_per_unit": "0.90000000",
        "amount_eur": "5400.00",
        "note": "Agreement signed",
        "version": 2,
        "created_at": ANY,
        "updated_at": ANY,
    }


def test_receipts_and_the_pledge_turning_paid(client, accounts):
    project = make_project(client)
    pledge = make_pledge(client, project["id"], amount="1000.00", status="committed")

    first = ok(receive(client, pledge["id"], "400.00", "2024-05-02"), 201)
    receipt = only(client, entity="receipt")
    assert receipt["action"] == "create"
    assert receipt["project_id"] == project["id"]
    assert receipt["user_id"] == accounts["staff"].id
    assert new_values(receipt) == {
        "id": receipt["entity_id"],
        "pledge_id": pledge["id"],
        "amount": "400.00",
        "received_on": "2024-05-02",
        "eur_per_unit": "1.00000000",
        "amount_eur": "400.00",
        "created_at": ANY,
    }
    assert receipt["entity_id"] == first["id"]
    assert entries(client, entity="pledge", action="update") == []  # still committed: no status change

    ok(
        client.post(
            f"{PLEDGES}/{pledge['id']}/receipts",
            json={"amount": "600.00", "received_on": "2024-06-03"},
            headers=as_admin(accounts),
        ),
        201,
    )
    newest, second_receipt = entries(client)[:2]
    assert newest["entity"] == "pledge"
    assert newest["action"] == "update"
    assert newest["entity_id"] == pledge["id"]
    assert newest["project_id"] == project["id"]
    assert newest["user_id"] == accounts["admin"].id
    assert newest["changes"] == {"status": ["committed", "paid"]}
    assert second_receipt["entity"] == "receipt"
    assert second_receipt["changes"]["amount"] == [None, "600.00"]
    assert second_receipt["changes"]["received_on"] == [None, "2024-06-03"]
    assert len(entries(client, entity="receipt")) == 2


def test_a_grown_amount_takes_a_paid_pledge_back_to_committed(client):
    project = make_project(client)
    pledge = make_pledge(client, project["id"], amount="1000.00", status="committed")
    ok(receive(client, pledge["id"], "1000.00"), 201)
    ok(client.patch(f"{PLEDGES}/{pledge['id']}", json={"amount": "1500.00"}))
    newest = entries(client, entity="pledge", action="update")[0]
    assert newest["changes"] == {
        "amount": ["1000.00", "1500.00"],
        "amount_eur": ["1000.00", "1500.00"],
        "status": ["paid", "committed"],
    }


# -- milestones and indicators ------------------------------------------------------------------


def test_milestone_create_update_delete(client, accounts):
    project = make_project(client)
    milestone = add_milestone(client, project["id"])
    url = f"{PROJECTS}/{project['id']}/milestones/{milestone['id']}"

    created = only(client, entity="milestone", action="create")
    assert created["entity_id"] == milestone["id"]
    assert created["project_id"] == project["id"]
    assert created["user_id"] == accounts["staff"].id
    assert new_values(created) == {
        "id": milestone["id"],
        "project_id": project["id"],
        "title": "Depot perimeter fenced",
        "due_on": "2024-06-30",
        "done_on": None,
        "weight": "2.00",
        "version": 1,
        "created_at": ANY,
        "updated_at": ANY,
    }

    ok(
        client.patch(
            url, json={"done_on": "2024-05-01", "title": "Perimeter fenced"}, headers=as_admin(accounts)
        )
    )
    updated = only(client, entity="milestone", action="update")
    assert updated["user_id"] == accounts["admin"].id
    assert updated["project_id"] == project["id"]
    assert updated["changes"] == {
        "done_on": [None, "2024-05-01"],
        "title": ["Depot perimeter fenced", "Perimeter fenced"],
    }

    ok(client.patch(url, json={"done_on": "2024-05-01", "weight": "2"}))  # nothing changes
    assert len(entries(client, entity="milestone", action="update")) == 1

    assert client.delete(url).status_code == 204
    deleted = only(client, entity="milestone", action="delete")
    assert deleted["entity_id"] == milestone["id"]
    assert deleted["project_id"] == project["id"]
    assert old_values(deleted) == {
        "id": milestone["id"],
        "project_id": project["id"],
        "title": "Perimeter fenced",
        "due_on": "2024-06-30",
        "done_on": "2024-05-01",
        "weight": "2.00",
        "version": 2,
        "created_at": ANY,
        "updated_at": ANY,
    }


def test_indicator_create_update_delete(client, accounts):
    project = make_project(client)
    indicator = add_indicator(client, project["id"])
    url = f"{PROJECTS}/{project['id']}/indicators/{indicator['id']}"

    created = only(client, entity="indicator", action="create")
    assert created["entity_id"] == indicator["id"]
    assert created["project_id"] == project["id"]
    assert created["user_id"] == accounts["staff"].id
    values = new_values(created)
    assert {k: v for k, v in values.items() if k not in ("baseline", "target")} == {
        "id": indicator["id"],
        "project_id": project["id"],
        "name": "Ammunition destroyed",
        "unit": "tonnes",
        "measure": None,
        "actual": None,
        "target_women": None,
        "target_men": None,
        "actual_women": None,
        "actual_men": None,
        "version": 1,
        "created_at": ANY,
        "updated_at": ANY,
    }
    assert Decimal(values["baseline"]) == 0
    assert Decimal(values["target"]) == Decimal("120.5")

    ok(client.patch(url, json={"actual": "60.25", "unit": "t"}, headers=as_admin(accounts)))
    updated = only(client, entity="indicator", action="update")
    assert updated["user_id"] == accounts["admin"].id
    assert updated["project_id"] == project["id"]
    assert set(updated["changes"]) == {"actual", "unit"}
    assert updated["changes"]["unit"] == ["tonnes", "t"]
    old_actual, new_actual = updated["changes"]["actual"]
    assert old_actual is None
    assert Decimal(new_actual) == Decimal("60.25")

    assert client.delete(url).status_code == 204
    deleted = only(client, entity="indicator", action="delete")
    assert deleted["entity_id"] == indicator["id"]
    assert deleted["project_id"] == project["id"]
    old = old_values(deleted)
    assert old["name"] == "Ammunition destroyed"
    assert old["unit"] == "t"
    assert old["version"] == 2
    assert Decimal(old["target"]) == Decimal("120.5")
    assert Decimal(old["actual"]) == Decimal("60.25")
    assert set(old) == set(values)


# -- national processes -------------------------------------------------------------------------


def test_national_process_create_stage_change_update_delete(client, accounts):
    project = make_project(client)
    process = ok(client.post(PROCESSES, json=process_body(project_ids=[project["id"]])), 201)
    url = f"{PROCESSES}/{process['id']}"

    created = only(client, entity="national_process", action="create")
    assert created["entity_id"] == process["id"]
    assert created["user_id"] == accounts["staff"].id
    assert new_values(created) == {
        "id": process["id"],
        "state": "SRB",
        "name": "National SALW Commission",
        "kind": "structure",
        "areas": ["SALW"],
        "stage": "planned",
        "established_on": None,
        "description": "",
        "version": 1,
        "created_at": ANY,
        "updated_at": ANY,
        "project_ids": [project["id"]],
    }

    ok(
        client.patch(
            url,
            json={"stage": "established", "stage_changed_on": "2024-03-01", "stage_note": "Decree signed"},
            headers=as_admin(accounts),
        )
    )
    staged = only(client, entity="national_process", action="stage_change")
    assert staged["entity_id"] == process["id"]
    assert staged["user_id"] == accounts["admin"].id
    assert staged["changes"] == {
        "stage": ["planned", "established"],
        "established_on": [None, "2024-03-01"],
        "stage_changed_on": [None, "2024-03-01"],
    }

    ok(client.patch(url, json={"name": "National SALW and SCA Commission", "areas": ["SCA", "SALW"]}))
    updated = only(client, entity="national_process", action="update")
    assert updated["changes"] == {
        "name": ["National SALW Commission", "National SALW and SCA Commission"],
        "areas": [["SALW"], ["SALW", "SCA"]],
    }

    ok(client.patch(url, json={"name": "National SALW and SCA Commission", "stage": "established"}))
    assert len(entries(client, entity="national_process")) == 3  # nothing changed, nothing written

    assert client.delete(url).status_code == 204
    deleted = only(client, entity="national_process", action="delete")
    assert deleted["entity_id"] == process["id"]
    assert old_values(deleted) == {
        "id": process["id"],
        "state": "SRB",
        "name": "National SALW and SCA Commission",
        "kind": "structure",
        "areas": ["SALW", "SCA"],
        "stage": "established",
        "established_on": "2024-03-01",
        "description": "",
        "version": 3,
        "created_at": ANY,
        "updated_at": ANY,
        "project_ids": [project["id"]],
    }


# -- users and logging in -----------------------------------------------------------------------


def test_user_create_and_update_hide_the_password(client, accounts):
    admin = as_admin(accounts)
    body = {
        "email": "New.Person@Example.org",
        "full_name": "New Person",
        "role": "donor",
        "state": "fra",
        "password": PASSWORD,
    }
    user = ok(client.post(USERS, json=body, headers=admin), 201)

    created = only(client, entity="user", action="create")
    assert created["entity_id"] == user["id"]
    assert created["user_id"] == accounts["admin"].id
    assert created["project_id"] is None
    hidden = created["changes"].pop("password_hash")
    assert hidden in ([None, "(hidden)"], ["(hidden)", "(hidden)"])
    values = new_values(created)
    expected = {
        "id": user["id"],
        "email": "new.person@example.org",
        "full_name": "New Person",
        "role": "donor",
        "state": "FRA",
        "active": True,
        "token_version": 1,
        "feeds_valid_from": None,
        "version": 1,
        "created_at": ANY,
        "updated_at": ANY,
    }
    # every column is there (bookkeeping columns added later may join them, with their own values)
    assert {field: values.get(field) for field in expected} == expected

    change = {"full_name": "Renamed Person", "role": "manager", "password": NEW_PASSWORD}
    ok(client.patch(f"{USERS}/{user['id']}", json=change, headers=admin))
    updated = only(client, entity="user", action="update")
    assert updated["entity_id"] == user["id"]
    assert updated["user_id"] == accounts["admin"].id
    assert updated["changes"] == {
        "full_name": ["New Person", "Renamed Person"],
        "role": ["donor", "manager"],
        "state": ["FRA", None],
        "password": ["(hidden)", "(hidden)"],
        # an administrator's new password revokes every token issued before, and the calendar feeds
        "token_version": [1, 2],
        "feeds_valid_from": [None, ANY],
    }

    ok(client.patch(f"{USERS}/{accounts['manager'].id}", json={"active": False}, headers=admin))
    deactivated = only(client, entity="user", action="update", entity_id=accounts["manager"].id)
    assert deactivated["changes"] == {  # tokens and calendar feeds revoked
        "active": [True, False],
        "token_version": [1, 2],
        "feeds_valid_from": [None, ANY],
    }

    everything = json.dumps(trail(client, headers=admin, limit=500))
    assert "$argon2" not in everything
    assert PASSWORD not in everything
    assert NEW_PASSWORD not in everything


def sign_in_failures(client, accounts) -> list[dict]:
    admin = accounts["admin"].headers
    return ok(client.get(f"{USERS}/sign-in-failures", headers=admin))["items"]  # type: ignore[no-any-return]


def test_a_failed_login_is_recorded_for_the_administrators_not_in_the_audit_trail(client, anon, accounts):
    manager = accounts["manager"]
    response = anon.post(TOKEN, data={"username": manager.email, "password": "not the password at all"})
    assert_problem(response, 401)

    assert entries(client, action="login_failed") == []
    [failure] = sign_in_failures(client, accounts)
    assert (failure["email"], failure["user_id"], failure["reason"]) == (
        manager.email,
        manager.id,
        "wrong-password",
    )
    assert "not the password" not in json.dumps(failure)


def test_a_failed_login_for_an_unknown_email_names_no_account(client, anon, accounts):
    response = anon.post(TOKEN, data={"username": "Nobody@Example.org", "password": "whatever it is"})
    assert_problem(response, 401)
    [failure] = sign_in_failures(client, accounts)
    assert (failure["email"], failure["user_id"], failure["reason"]) == (
        "nobody@example.org",
        None,
        "unknown-email",
    )


def test_repeated_failures_are_throttled_and_only_the_checked_ones_recorded(client, anon, app, accounts):
    donor = accounts["donor"]
    limit = app.state.settings.login_max_failures
    for _ in range(limit):
        assert_problem(anon.post(TOKEN, data={"username": donor.email, "password": "wrong wrong wrong"}), 401)
    assert_problem(anon.post(TOKEN, data={"username": donor.email, "password": "wrong wrong wrong"}), 429)
    assert len(sign_in_failures(client, accounts)) == limit
    assert entries(client, action="login_failed") == entries(client, action="lock") == []


# -- a write that fails writes nothing ----------------------------------------------------------


@pytest.fixture
def world(client):
    """Something of everything, for writes that must fail."""
    project = make_project(client, code="WORLD-1", start_date="2024-02-01")
    pledge = make_pledge(client, project["id"], amount="1000.00", status="committed")
    ok(receive(client, pledge["id"], "1000.00"), 201)
    other_pledge = make_pledge(client, project["id"], amount="500.00")
    make_rate(client, "USD", "2024-03", "0.9")
    process = ok(client.post(PROCESSES, json=process_body()), 201)
    return {"project": project, "pledge": pledge, "other_pledge": other_pledge, "process": process}


FAILING_WRITES = {
    "duplicate project code": (409, lambda c, w, a: c.post(PROJECTS, json=project_body(code="WORLD-1"))),
    "project ends before it starts": (
        422,
        lambda c, w, a: c.post(PROJECTS, json=project_body(start_date="2024-05-01", end_date="2024-04-01")),
    ),
    "unknown beneficiary": (422, lambda c, w, a: c.post(PROJECTS, json=project_body(beneficiaries=["XXX"]))),
    "patch ends before start": (
        422,
        lambda c, w, a: c.patch(
            f"{PROJECTS}/{w['project']['id']}", json={"title": "X", "end_date": "2024-01-01"}
        ),
    ),
    "patch with a null title": (
        422,
        lambda c, w, a: c.patch(f"{PROJECTS}/{w['project']['id']}", json={"title": None}),
    ),
    "stale If-Match": (
        412,
        lambda c, w, a: c.patch(
            f"{PROJECTS}/{w['project']['id']}", json={"title": "X"}, headers={"If-Match": '"99"'}
        ),
    ),
    "transition not allowed": (
        409,
        lambda c, w, a: c.post(f"{PROJECTS}/{w['project']['id']}/transitions", json={"to": "completed"}),
    ),
    "transition in the future": (
        422,
        lambda c, w, a: c.post(
            f"{PROJECTS}/{w['project']['id']}/transitions", json={"to": "assessment", "on": "2999-01-01"}
        ),
    ),
    "delete a project with pledges": (409, lambda c, w, a: c.delete(f"{PROJECTS}/{w['project']['id']}")),
    "manager may not write": (
        403,
        lambda c, w, a: c.post(PROJECTS, json=project_body(), headers=a["manager"].headers),
    ),
    "milestone done in the future": (
        422,
        lambda c, w, a: c.post(
            f"{PROJECTS}/{w['project']['id']}/milestones", json={"title": "X", "done_on": "2999-01-01"}
        ),
    ),
    "receipt past the pledge": (409, lambda c, w, a: receive(c, w["pledge"]["id"], "0.01")),
    "delete a pledge with receipts": (409, lambda c, w, a: c.delete(f"{PLEDGES}/{w['pledge']['id']}")),
    "pledge currency without a rate": (
        422,
        lambda c, w, a: c.patch(
            f"{PLEDGES}/{w['other_pledge']['id']}", json={"currency": "JPY", "note": "X"}
        ),
    ),
    "duplicate exchange rate": (
        409,
        lambda c, w, a: c.post(
            "/api/v1/exchange-rates", json={"currency": "USD", "month": "2024-03", "eur_per_unit": "1"}
        ),
    ),
    "stage change before the last one": (
        422,
        lambda c, w, a: c.patch(
            f"{PROCESSES}/{w['process']['id']}",
            json={"stage": "established", "stage_changed_on": "2023-01-01", "name": "X"},
        ),
    ),
    "duplicate process": (409, lambda c, w, a: c.post(PROCESSES, json=process_body())),
    "duplicate e-mail": (
        409,
        lambda c, w, a: c.post(
            USERS,
            json={"email": a["staff"].email, "full_name": "X", "role": "staff", "password": PASSWORD},
            headers=a["admin"].headers,
        ),
    ),
    "donor without a State": (
        422,
        lambda c, w, a: c.patch(
            f"{USERS}/{a['manager'].id}", json={"role": "donor"}, headers=a["admin"].headers
        ),
    ),
}


@pytest.mark.parametrize("case", FAILING_WRITES)
def test_a_failed_write_leaves_no_audit_row(client, accounts, world, case):
    status, write = FAILING_WRITES[case]
    before = trail(client, limit=500)
    assert_problem(write(client, world, accounts), status)
    assert trail(client, limit=500) == before


# -- reading the trail: filters, paging, order --------------------------------------------------


@pytest.fixture
def history(client, accounts):
    """Writes by staff and admin, with the instant between the first three and the rest."""
    first = make_project(client, title="First")
    second = make_project(client, title="Second")
    pledge = make_pledge(client, first["id"])
    between = datetime.now(UTC)
    ok(
        client.patch(
            f"{PROJECTS}/{first['id']}", json={"title": "First, renamed"}, headers=as_admin(accounts)
        )
    )
    move(client, second["id"], "assessment", on="2024-02-01")
    ok(client.patch(f"{PLEDGES}/{pledge['id']}", json={"status": "committed"}, headers=as_admin(accounts)))
    return {"first": first, "second": second, "pledge": pledge, "between": between}


def summary(items):
    return [(e["action"], e["entity"], e["entity_id"]) for e in items]


def test_the_trail_is_newest_first(client, history):
    items = entries(client)
    first, second, pledge = history["first"]["id"], history["second"]["id"], history["pledge"]["id"]
    assert summary(items) == [
        ("update", "pledge", pledge),
        ("transition", "project", second),
        ("update", "project", first),
        ("create", "pledge", pledge),
        ("create", "project", second),
        ("create", "project", first),
    ]
    ids = [e["id"] for e in items]
    assert ids == sorted(ids, reverse=True)
    stamps = [datetime.fromisoformat(e["at"]) for e in items]
    assert stamps == sorted(stamps, reverse=True)


def test_filters(client, accounts, history):
    first, second, pledge = history["first"]["id"], history["second"]["id"], history["pledge"]["id"]
    assert summary(entries(client, entity="pledge")) == [
        ("update", "pledge", pledge),
        ("create", "pledge", pledge),
    ]
    assert summary(entries(client, entity="project", entity_id=first)) == [
        ("update", "project", first),
        ("create", "project", first),
    ]
    assert summary(entries(client, user_id=accounts["admin"].id)) == [
        ("update", "pledge", pledge),
        ("update", "project", first),
    ]
    assert len(entries(client, user_id=accounts["staff"].id)) == 4
    assert entries(client, user_id=accounts["manager"].id) == []
    assert summary(entries(client, action="transition")) == [("transition", "project", second)]
    assert summary(entries(client, action="update", entity="project")) == [("update", "project", first)]
    assert entries(client, entity="national_process") == []


def test_since_and_until(client, history):
    between = history["between"].isoformat()
    later = summary(entries(client, since=between))
    earlier = summary(entries(client, until=between))
    assert [action for action, *_ in later] == ["update", "transition", "update"]
    assert [action for action, *_ in earlier] == ["create", "create", "create"]
    assert summary(entries(client)) == later + earlier

    # since is inclusive and until exclusive, to the microsecond
    everything = entries(client)
    transition = only(client, action="transition")
    cut = everything.index(transition)
    at = stamp(transition["at"])
    assert entries(client, since=at) == everything[: cut + 1]
    assert entries(client, until=at) == everything[cut + 1 :]
    assert summary(entries(client, since=at, until=at)) == []
    assert summary(entries(client, since=between, action="update")) == [
        ("update", "pledge", history["pledge"]["id"]),
        ("update", "project", history["first"]["id"]),
    ]


def test_since_in_another_time_zone_means_the_same_instant(client, history):
    between = history["between"].astimezone(timezone(timedelta(hours=2))).isoformat()
    assert len(entries(client, since=between)) == 3


@pytest.mark.parametrize("value", ["2024-01-01T00:00:00", "2024-01-01"])
def test_a_since_without_a_time_zone_is_not_a_server_error(client, history, value):
    response = client.get(AUDIT, params={"since": value})
    assert response.status_code in (200, 422), response.text


def test_pagination(client, history):
    everything = entries(client)
    assert len(everything) == 6
    page = trail(client, limit=2, offset=1)
    assert page["total"] == 6
    assert page["limit"] == 2
    assert page["offset"] == 1
    assert page["items"] == everything[1:3]
    last = trail(client, limit=4, offset=4)
    assert last["items"] == everything[4:]
    assert trail(client, offset=10)["items"] == []
    filtered = trail(client, entity="project", limit=1, offset=1)
    assert filtered["total"] == 4
    assert filtered["items"] == entries(client, entity="project")[1:2]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"entity": "unicorn"}, ["query", "entity"]),
        ({"entity": "projects"}, ["query", "entity"]),
        ({"entity_id": "one"}, ["query", "entity_id"]),
        ({"user_id": "me"}, ["query", "user_id"]),
        ({"action": "x" * 21}, ["query", "action"]),
        ({"since": "yesterday"}, ["query", "since"]),
        ({"until": "2024-13-01T00:00:00Z"}, ["query", "until"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 501}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
    ],
)
def test_bad_filters_are_422(client, params, loc):
    assert_problem(client.get(AUDIT, params=params), 422, loc)


@pytest.mark.parametrize(
    "entity",
    ["project", "pledge", "receipt", "milestone", "indicator", "national_process", "exchange_rate", "user"],
)
def test_every_entity_name_is_a_valid_filter(client, entity):
    assert trail(client, entity=entity)["total"] == 0


# -- one project's trail ------------------------------------------------------------------------


def test_a_projects_trail_holds_everything_under_it_and_nothing_else(client):
    project = make_project(client)
    other = make_project(client)
    pledge = make_pledge(client, project["id"], amount="1000.00", status="committed")
    ok(receive(client, pledge["id"], "1000.00"), 201)
    milestone = add_milestone(client, project["id"])
    indicator = add_indicator(client, project["id"])
    ok(
        client.patch(
            f"{PROJECTS}/{project['id']}/milestones/{milestone['id']}", json={"done_on": "2024-05-01"}
        )
    )
    ok(client.patch(f"{PROJECTS}/{project['id']}/indicators/{indicator['id']}", json={"actual": "10"}))
    move(client, project["id"], "assessment", on="2024-02-01")
    other_pledge = make_pledge(client, other["id"])
    add_milestone(client, other["id"])
    add_indicator(client, other["id"])
    make_rate(client, "USD", "2024-03", "0.9")
    ok(client.post(PROCESSES, json=process_body(project_ids=[project["id"]])), 201)

    items = project_trail(client, project["id"])
    assert {e["project_id"] for e in items} == {project["id"]}
    assert sorted((e["entity"], e["action"]) for e in items) == sorted(
        [
            ("project", "create"),
            ("pledge", "create"),
            ("receipt", "create"),
            ("pledge", "update"),
            ("milestone", "create"),
            ("indicator", "create"),
            ("milestone", "update"),
            ("indicator", "update"),
            ("project", "transition"),
        ]
    )
    ids = [e["id"] for e in items]
    assert ids == sorted(ids, reverse=True)
    assert items[0]["action"] == "transition"
    assert other_pledge["id"] not in {e["entity_id"] for e in items if e["entity"] == "pledge"}

    other_items = project_trail(client, other["id"])
    assert sorted(e["entity"] for e in other_items) == ["indicator", "milestone", "pledge", "project"]

    page = ok(client.get(f"{PROJECTS}/{project['id']}/audit", params={"limit": 3, "offset": 2}))
    assert page["total"] == 9
    assert page["items"] == items[2:5]


def test_a_deleted_projects_trail_stays_readable(client, accounts):
    project = make_project(client, code="GONE-1")
    add_milestone(client, project["id"])
    ok(client.patch(f"{PROJECTS}/{project['id']}", json={"title": "About to go"}))
    assert client.delete(f"{PROJECTS}/{project['id']}", headers=as_admin(accounts)).status_code == 204
    assert_problem(client.get(f"{PROJECTS}/{project['id']}"), 404)

    items = project_trail(client, project["id"])
    assert [(e["entity"], e["action"]) for e in items] == [
        ("project", "delete"),
        ("project", "update"),
        ("milestone", "create"),
        ("project", "create"),
    ]
    assert items[0]["user_id"] == accounts["admin"].id
    assert items[0]["changes"]["code"] == ["GONE-1", None]
    assert items[0]["changes"]["title"] == ["About to go", None]


def test_the_trail_of_a_project_that_never_existed_is_404(client):
    assert_problem(client.get(f"{PROJECTS}/999999/audit"), 404)


# -- who may read it, and that nobody may change it ---------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("staff", 200), ("manager", 200), ("donor", 403)]
)
def test_who_may_read_the_trail(client, accounts, role, status):
    project = make_project(client)
    headers = accounts[role].headers
    for url in (AUDIT, f"{PROJECTS}/{project['id']}/audit"):
        response = client.get(url, headers=headers)
        if status == 200:
            assert ok(response)["total"] == 1
        else:
            assert_problem(response, status)


def test_anonymous_may_not_read_the_trail(client, anon):
    project = make_project(client)
    for url in (AUDIT, f"{PROJECTS}/{project['id']}/audit"):
        assert_problem(anon.get(url), 401)


def every_route(routes, prefix=""):
    """(path, methods) of every route, also inside included routers (which newer FastAPI keeps nested)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from every_route(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif hasattr(route, "path"):
            yield prefix + route.path, set(getattr(route, "methods", None) or ())


def test_the_trail_is_append_only(client, app, accounts):
    audit_routes = [(path, methods) for path, methods in every_route(app.routes) if "audit" in path]
    assert {path for path, _ in audit_routes} == {AUDIT, "/api/v1/projects/{project_id}/audit"}
    for path, methods in audit_routes:
        assert methods <= {"GET", "HEAD"}, (path, methods)
    documented = {path: set(item) for path, item in app.openapi()["paths"].items() if "audit" in path}
    assert documented == {AUDIT: {"get"}, "/api/v1/projects/{project_id}/audit": {"get"}}

    project = make_project(client)
    before = trail(client)
    admin = as_admin(accounts)
    for url in (AUDIT, f"{AUDIT}/1", f"{PROJECTS}/{project['id']}/audit"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.request(method, url, json={}, headers=admin)
            assert response.status_code in (404, 405), (method, url, response.status_code)
    assert trail(client) == before


# -- regressions ----------------------------------------------------------------------------------


def test_a_new_record_never_inherits_the_trail_of_a_deleted_one(client):
    gone = make_project(client, code="GONE-2")
    add_milestone(client, gone["id"])
    assert client.delete(f"{PROJECTS}/{gone['id']}").status_code == 204
    fresh = make_project(client, code="FRESH-2")

    assert [(e["entity"], e["action"]) for e in project_trail(client, fresh["id"])] == [("project", "create")]
    assert [e["action"] for e in entries(client, entity="project", entity_id=fresh["id"])] == ["create"]
    # ... and the deleted project's own trail is still only its own.
    assert {
        e["changes"]["code"][0] or e["changes"]["code"][1]
        for e in project_trail(client, gone["id"])
        if "code" in e["changes"]
    } == {"GONE-2"}


def test_a_linked_process_trail_still_replays_after_its_project_is_deleted(client):
    kept = make_project(client, code="KEPT-1")
    doomed = make_project(client, code="DOOMED-1")
    process = ok(client.post(PROCESSES, json=process_body(project_ids=[kept["id"], doomed["id"]])), 201)
    assert client.delete(f"{PROJECTS}/{doomed['id']}").status_code == 204
    current = ok(client.get(f"{PROCESSES}/{process['id']}"))
    assert current["project_ids"] == [kept["id"]]

    state = new_values(only(client, entity="national_process", action="create"))
    for row in entries(client, entity="national_process", entity_id=process["id"])[::-1]:
        if row["action"] != "create":
            state |= {field: new for field, (_, new) in row["changes"].items()}
    assert state["project_ids"] == current["project_ids"]
