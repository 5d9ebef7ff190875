"""Sustainability follow-ups of national processes: checks generated when a process becomes operational (at
+12 and +24 months, or the months configured), recording an outcome that moves the stage both ways through
the stage history and the audit trail, refusals by name, and who may read and write them."""

from datetime import date

import pytest

from portfolio.processes.service import add_months
from tests.days import resolved, today, tomorrow
from tests.factories import assert_problem, make_settings, ok

PROCESSES = "/api/v1/national-processes"
URL = "/api/v1/follow-ups"


def make_process(client, **overrides):
    body = {
        "state": "SRB",
        "name": "National SALW Commission",
        "kind": "structure",
        "areas": ["SALW"],
        "stage": "established",
        "stage_changed_on": "2023-01-10",
    }
    body.update(overrides)
    return ok(client.post(PROCESSES, json=body), 201)


def checks(client, process_id, **params):
    return ok(client.get(URL, params={"process": process_id, **params}))["items"]


def record(client, check_id, **body):
    return client.patch(f"{URL}/{check_id}", json=body)


def history(client, process_id):
    return ok(client.get(f"{PROCESSES}/{process_id}/history"))


def audit(client, entity, entity_id):
    return ok(client.get("/api/v1/audit", params={"entity": entity, "entity_id": entity_id}))["items"]


def operational(client, on="2024-03-31", **overrides):
    process = make_process(client, **overrides)
    return ok(
        client.patch(f"{PROCESSES}/{process['id']}", json={"stage": "operational", "stage_changed_on": on})
    )


# -- generation ---------------------------------------------------------------------------------------


def test_becoming_operational_gives_checks_at_12_and_24_months(client):
    process = operational(client, on="2024-03-31")

    items = checks(client, process["id"])
    assert [(c["months_after"], c["due_on"], c["status"]) for c in items] == [
        (12, "2025-03-31", "overdue"),
        (24, "2026-03-31", "overdue"),
    ]
    assert all(c["operational_on"] == "2024-03-31" and c["state"] == "SRB" for c in items)
    assert items[0]["process_name"] == "National SALW Commission"
    # the process read lists them too
    read = ok(client.get(f"{PROCESSES}/{process['id']}"))
    assert [(f["months_after"], f["status"]) for f in read["follow_ups"]] == [
        (12, "overdue"),
        (24, "overdue"),
    ]
    # generating is audited
    created = list(ok(client.get("/api/v1/audit", params={"entity": "follow_up_check"}))["items"])
    assert {e["entity_id"] for e in created} == {c["id"] for c in items}


def test_a_process_created_operational_gets_its_checks_and_others_none(client):
    created = make_process(client, stage="operational", stage_changed_on="2024-02-29")
    assert [c["due_on"] for c in checks(client, created["id"])] == ["2025-02-28", "2026-02-28"]
    planned = make_process(client, name="Registry", stage="planned")
    sustained = make_process(client, name="Depot SOP", stage="sustained")
    assert checks(client, planned["id"]) == [] and checks(client, sustained["id"]) == []


def test_the_months_are_configurable(app, client, settings):
    app.state.settings = make_settings(settings.database_url, follow_up_months="6, 18,6")
    process = operational(client, on="2024-01-15")
    assert [(c["months_after"], c["due_on"]) for c in checks(client, process["id"])] == [
        (6, "2024-07-15"),
        (18, "2025-07-15"),
    ]


def test_the_months_setting_refuses_nonsense():
    with pytest.raises(ValueError, match="follow_up_months"):
        make_settings("sqlite://", follow_up_months="12,two")
    with pytest.raises(ValueError, match="follow_up_months"):
        make_settings("sqlite://", follow_up_months="0")


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 24) == date(2026, 11, 30)


def test_going_back_drops_open_checks_and_keeps_done_ones(client):
    process = operational(client, on="2024-03-31")
    first, second = checks(client, process["id"])
    ok(record(client, first["id"], outcome="sustained", checked_on="2025-04-02"))
    # stage sustained now; an editor moves it back to established by hand
    ok(
        client.patch(
            f"{PROCESSES}/{process['id']}", json={"stage": "established", "stage_changed_on": "2025-05-01"}
        )
    )

    left = checks(client, process["id"])
    assert [(c["id"], c["status"]) for c in left] == [(first["id"], "done")]
    assert any(e["action"] == "delete" for e in audit(client, "follow_up_check", second["id"]))

    # operational again: checks start afresh from that day, the done one stays
    ok(
        client.patch(
            f"{PROCESSES}/{process['id']}", json={"stage": "operational", "stage_changed_on": "2025-06-01"}
        )
    )
    assert [(c["due_on"], c["status"]) for c in checks(client, process["id"])] == [
        ("2025-03-31", "done"),
        ("2026-06-01", "overdue" if date(2026, 6, 1) < today() else "due"),
        ("2027-06-01", "due"),
    ]


# -- recording an outcome -----------------------------------------------------------------------------


def test_sustained_moves_the_process_to_sustained_in_its_history_and_the_audit(client, accounts):
    process = operational(client, on="2024-03-31")
    first = checks(client, process["id"])[0]
    etag = client.get(f"{URL}/{first['id']}").headers["etag"]

    done = ok(
        client.patch(
            f"{URL}/{first['id']}",
            json={"outcome": "sustained", "checked_on": "2025-04-02", "note": "Funded from the 2025 budget"},
            headers={"If-Match": etag},
        )
    )
    assert done["status"] == "done" and done["outcome"] == "sustained" and done["checked_on"] == "2025-04-02"
    assert done["recorded_by"] == accounts["staff"].id and done["note"] == "Funded from the 2025 budget"
    assert done["version"] == first["version"] + 1

    read = ok(client.get(f"{PROCESSES}/{process['id']}"))
    assert read["stage"] == "sustained"
    last = history(client, process["id"])[-1]
    assert (last["from"], last["to"], last["on"]) == ("operational", "sustained", "2025-04-02")
    assert "12-month follow-up check: sustained" in last["note"] and "2025 budget" in last["note"]
    stage_changes = [
        e for e in audit(client, "national_process", process["id"]) if e["action"] == "stage_change"
    ]
    assert stage_changes[0]["changes"]["stage"] == ["operational", "sustained"]
    outcome = [e for e in audit(client, "follow_up_check", first["id"]) if e["action"] == "outcome"]
    assert outcome[0]["changes"]["outcome"] == [None, "sustained"]
    assert outcome[0]["user_id"] == accounts["staff"].id
    # the 24-month check stays open: a sustained process is checked again
    assert [c["status"] for c in checks(client, process["id"])][1] != "done"


def test_regressed_moves_the_process_back_one_stage_each_time(client):
    process = operational(client, on="2024-03-31")
    first, second = checks(client, process["id"])
    ok(record(client, first["id"], outcome="sustained", checked_on="2025-04-02"))

    # sustained → operational: new checks from the day of the check
    ok(record(client, second["id"], outcome="regressed", checked_on="2026-04-01", note="Budget line cut"))
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "operational"
    last = history(client, process["id"])[-1]
    assert (last["from"], last["to"], last["on"]) == ("sustained", "operational", "2026-04-01")
    fresh = [c for c in checks(client, process["id"]) if c["status"] != "done"]
    assert [(c["operational_on"], c["due_on"]) for c in fresh] == [
        ("2026-04-01", "2027-04-01"),
        ("2026-04-01", "2028-04-01"),
    ]

    # operational → established: the other open check is dropped
    ok(record(client, fresh[0]["id"], outcome="regressed", checked_on=today().isoformat()))
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "established"
    assert [c["outcome"] for c in checks(client, process["id"])] == ["sustained", "regressed", "regressed"]


def test_an_outcome_is_recorded_once(client):
    process = operational(client)
    first = checks(client, process["id"])[0]
    ok(record(client, first["id"], outcome="sustained", checked_on="2025-04-02"))
    assert_problem(record(client, first["id"], outcome="regressed"), 409)
    assert_problem(record(client, first["id"], due_on="2030-01-01"), 409)
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "sustained"
    # the note of a done check may still be corrected
    assert (
        ok(record(client, first["id"], note="Minutes of the May meeting"))["note"]
        == "Minutes of the May meeting"
    )


def test_a_stale_etag_changes_nothing(client):
    process = operational(client)
    first = checks(client, process["id"])[0]
    response = client.patch(
        f"{URL}/{first['id']}", json={"outcome": "sustained"}, headers={"If-Match": '"99"'}
    )
    assert_problem(response, 412)
    assert ok(client.get(f"{URL}/{first['id']}"))["status"] == "overdue"
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "operational"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "sustained", "checked_on": tomorrow}, "checked_on"),
        ({"outcome": "sustained", "checked_on": "2024-03-30"}, "checked_on"),  # before operational
        ({"checked_on": "2025-04-02"}, "checked_on"),  # a date without an outcome
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"checked_on": "2025-13-01", "outcome": "sustained"}, "checked_on"),
        ({"due_on": None}, "due_on"),
        ({"note": "x" * 4001}, "note"),
        ({"note": "bell\x07"}, "note"),
        ({"owner_id": 999999}, "owner_id"),
        ({"evidence_document_id": 999999}, "evidence_document_id"),
        ({"evidence_document_id": 0}, "evidence_document_id"),
        ({"months_after": 6}, "months_after"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, body, field):
    process = operational(client)
    first = checks(client, process["id"])[0]
    assert_problem(record(client, first["id"], **resolved(body)), 422, ["body", field])
    after = ok(client.get(f"{URL}/{first['id']}"))
    assert after["status"] == "overdue" and after["version"] == first["version"]
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "operational"


def test_a_check_before_the_last_stage_change_is_refused(client):
    process = operational(client, on="2024-03-31")
    ok(
        client.patch(
            f"{PROCESSES}/{process['id']}", json={"stage": "sustained", "stage_changed_on": "2025-06-01"}
        )
    )
    first = checks(client, process["id"])[0]
    assert_problem(
        record(client, first["id"], outcome="sustained", checked_on="2025-05-01"), 422, ["body", "checked_on"]
    )


def test_evidence_must_be_a_document_of_the_same_process(client):
    process = operational(client)
    other = make_process(client, name="Registry")
    first = checks(client, process["id"])[0]

    def upload(owner_id):
        form = {"owner_type": "national_process", "owner_id": owner_id, "category": "A08"}
        form |= {"title": "Commission minutes", "language": "en"}
        files = {"file": ("minutes.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
        return ok(client.post("/api/v1/documents", data=form, files=files), 201)

    foreign = upload(other["id"])
    assert_problem(
        record(client, first["id"], evidence_document_id=foreign["id"]), 422, ["body", "evidence_document_id"]
    )
    own = upload(process["id"])
    done = ok(
        record(
            client, first["id"], outcome="sustained", checked_on="2025-04-02", evidence_document_id=own["id"]
        )
    )
    assert done["evidence_document_id"] == own["id"]


def test_moving_a_due_check_and_naming_its_owner(client, accounts):
    process = operational(client)
    first = checks(client, process["id"])[0]
    moved = ok(record(client, first["id"], due_on="2031-01-15", owner_id=accounts["admin"].id))
    assert (moved["due_on"], moved["status"], moved["owner_id"]) == (
        "2031-01-15",
        "due",
        accounts["admin"].id,
    )
    assert_problem(record(client, first["id"], owner_id=accounts["donor"].id), 422, ["body", "owner_id"])


# -- the list -----------------------------------------------------------------------------------------


def test_the_list_filters_and_pages(client):
    old = operational(client, on="2024-03-31")
    recent = operational(client, on=today().isoformat(), name="Registry", state="BIH")
    first_old = checks(client, old["id"])[0]
    ok(record(client, first_old["id"], outcome="sustained", checked_on="2025-04-02"))

    def ids(**params):
        return [c["id"] for c in ok(client.get(URL, params=params))["items"]]

    all_ids = ids()
    assert len(all_ids) == 4
    assert ids(status="done") == [first_old["id"]]
    assert len(ids(status="overdue")) == 1 and len(ids(status="due")) == 2
    assert len(ids(state="BIH")) == 2 and len(ids(state="bih")) == 2
    assert ids(process=recent["id"]) == [c["id"] for c in checks(client, recent["id"])]
    assert ids(due_before="2025-03-31") == []
    assert ids(due_after=add_months(today(), 12).isoformat()) == [checks(client, recent["id"])[1]["id"]]
    page = ok(client.get(URL, params={"limit": 1, "offset": 1}))
    assert page["total"] == 4 and [c["id"] for c in page["items"]] == all_ids[1:2]
    assert_problem(client.get(URL, params={"status": "late"}), 422, ["query", "status"])
    assert_problem(client.get(f"{URL}/999999"), 404)


# -- roles ----------------------------------------------------------------------------------------------


def test_managers_and_donors_read_and_only_staff_and_admins_write(app, client, accounts):
    from fastapi.testclient import TestClient

    process = operational(client)
    first = checks(client, process["id"])[0]
    for role in ("manager", "donor"):
        with TestClient(app, headers=accounts[role].headers) as other:
            assert ok(other.get(f"{URL}/{first['id']}"))["id"] == first["id"]
            assert len(ok(other.get(URL))["items"]) == 2
            assert_problem(record(other, first["id"], outcome="sustained"), 403)
    with TestClient(app) as anonymous:
        assert anonymous.get(URL).status_code == 401
    with TestClient(app, headers=accounts["admin"].headers) as admin:
        assert ok(record(admin, first["id"], outcome="sustained"))["checked_on"] == today().isoformat()


def test_deleting_a_process_deletes_its_checks(client):
    process = operational(client)
    ids = [c["id"] for c in checks(client, process["id"])]
    assert client.delete(f"{PROCESSES}/{process['id']}").status_code == 204
    for check_id in ids:
        assert_problem(client.get(f"{URL}/{check_id}"), 404)
