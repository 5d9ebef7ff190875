"""The project lifecycle: requested → assessment → planning → seeking_funding → implementation → completed;
any non-final status → cancelled; assessment … implementation ⇄ on_hold (back to where it was)."""

from datetime import date, timedelta

import pytest

from tests.factories import assert_problem, make_project, move, ok

PIPELINE = ["requested", "assessment", "planning", "seeking_funding", "implementation", "completed"]
HOLDABLE = ["assessment", "planning", "seeking_funding", "implementation"]


def reach(client, status):
    """A fresh project walked forward to ``status``."""
    project = make_project(client)
    steps = PIPELINE[1 : PIPELINE.index(status) + 1]
    if steps:
        move(client, project["id"], *steps)
    return project


def transition(client, project_id, to, **extra):
    return client.post(f"/api/v1/projects/{project_id}/transitions", json={"to": to, **extra})


ALLOWED = (
    [(a, b) for a, b in zip(PIPELINE, PIPELINE[1:], strict=False)]
    + [(s, "cancelled") for s in PIPELINE[:-1]]
    + [(s, "on_hold") for s in HOLDABLE]
)


@pytest.mark.parametrize(("start", "to"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_every_allowed_move(client, start, to):
    project = reach(client, start)
    moved = ok(transition(client, project["id"], to, note="Decided at the FSC meeting"))
    assert moved["status"] == to
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["status"] == to
    last = ok(client.get(f"/api/v1/projects/{project['id']}/history"))[-1]
    assert (last["from"], last["to"], last["note"]) == (start, to, "Decided at the FSC meeting")


@pytest.mark.parametrize("held", HOLDABLE)
def test_on_hold_goes_back_to_where_it_was(client, held):
    project = reach(client, held)
    move(client, project["id"], "on_hold")
    for other in PIPELINE:
        if other != held:
            assert_problem(transition(client, project["id"], other), 409)
    assert ok(transition(client, project["id"], held))["status"] == held


def test_on_hold_may_be_cancelled(client):
    project = reach(client, "planning")
    move(client, project["id"], "on_hold")
    assert ok(transition(client, project["id"], "cancelled"))["status"] == "cancelled"


FORBIDDEN = [
    ("requested", "planning"),
    ("requested", "implementation"),
    ("requested", "completed"),
    ("requested", "on_hold"),
    ("requested", "requested"),
    ("assessment", "requested"),
    ("planning", "assessment"),
    ("seeking_funding", "completed"),
    ("implementation", "seeking_funding"),
]


@pytest.mark.parametrize(("start", "to"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_moves_are_409_and_change_nothing(client, start, to):
    project = reach(client, start)
    before = ok(client.get(f"/api/v1/projects/{project['id']}"))
    body = assert_problem(transition(client, project["id"], to), 409)
    assert start in body["detail"] and to in body["detail"]
    assert ok(client.get(f"/api/v1/projects/{project['id']}")) == before


@pytest.mark.parametrize("final", ["completed", "cancelled"])
@pytest.mark.parametrize("to", [*PIPELINE, "on_hold", "cancelled"])
def test_final_statuses_are_final_for_staff(client, final, to):
    project = reach(client, "completed") if final == "completed" else make_project(client)
    if final == "cancelled":
        move(client, project["id"], "cancelled")
    body = assert_problem(transition(client, project["id"], to, note="Closed by mistake"), 403)
    assert "manager or an admin may reopen" in body["detail"]
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["status"] == final


def as_role(client, accounts, role):
    client.headers["Authorization"] = f"Bearer {accounts[role].token}"
    return client


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_admin_reopens_a_completed_project_to_the_status_it_left(client, accounts, role):
    project = reach(client, "completed")
    as_role(client, accounts, role)
    reopened = ok(transition(client, project["id"], "implementation", note="Closed by mistake"))
    assert reopened["status"] == "implementation"
    last = ok(client.get(f"/api/v1/projects/{project['id']}/history"))[-1]
    assert (last["from"], last["to"], last["note"]) == ("completed", "implementation", "Closed by mistake")
    audit = ok(client.get("/api/v1/audit", params={"entity": "project", "entity_id": project["id"]}))
    entry = next(e for e in audit["items"] if e["action"] == "reopen")
    assert entry["user_id"] == accounts[role].id
    assert entry["changes"]["status"] == ["completed", "implementation"]
    # Reopened, the project moves on as usual (staff may complete it again).
    as_role(client, accounts, "staff")
    assert ok(transition(client, project["id"], "completed"))["status"] == "completed"


def test_a_cancelled_project_reopens_to_where_it_was_even_from_a_hold(client, accounts):
    project = reach(client, "planning")
    move(client, project["id"], "on_hold", "cancelled")
    as_role(client, accounts, "manager")
    assert ok(transition(client, project["id"], "on_hold", note="Cancelled in error"))["status"] == "on_hold"
    as_role(client, accounts, "staff")
    assert ok(transition(client, project["id"], "planning"))["status"] == "planning"


def test_reopening_needs_a_note_and_the_status_it_left(client, accounts):
    project = reach(client, "completed")
    as_role(client, accounts, "manager")
    assert_problem(transition(client, project["id"], "implementation"), 422, ["body", "note"])
    assert_problem(transition(client, project["id"], "implementation", note="   "), 422, ["body", "note"])
    body = assert_problem(transition(client, project["id"], "planning", note="Why not"), 409)
    assert "implementation" in body["detail"]
    history = ok(client.get(f"/api/v1/projects/{project['id']}/history"))
    assert history[-1]["to"] == "completed"


def test_a_manager_makes_no_other_move_and_a_donor_none(client, accounts):
    project = make_project(client)
    as_role(client, accounts, "manager")
    assert_problem(transition(client, project["id"], "assessment"), 403)
    as_role(client, accounts, "donor")
    assert_problem(transition(client, project["id"], "assessment"), 403)
    as_role(client, accounts, "staff")
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["status"] == "requested"


def test_history_lists_every_change_with_date_and_note(client):
    project = make_project(client, request_date="2024-01-15")
    ok(transition(client, project["id"], "assessment", on="2024-02-01", note="Visit agreed"))
    ok(transition(client, project["id"], "planning", on="2024-03-05"))
    history = ok(client.get(f"/api/v1/projects/{project['id']}/history"))
    assert [(h["from"], h["to"], h["on"], h["note"]) for h in history] == [
        (None, "requested", "2024-01-15", "Request for assistance received"),
        ("requested", "assessment", "2024-02-01", "Visit agreed"),
        ("assessment", "planning", "2024-03-05", ""),
    ]
    assert all(h["recorded_at"] for h in history)


def test_a_move_without_a_date_is_dated_today(client):
    project = make_project(client)
    ok(transition(client, project["id"], "assessment"))
    assert ok(client.get(f"/api/v1/projects/{project['id']}/history"))[-1]["on"] == date.today().isoformat()


def test_each_move_bumps_the_version(client):
    project = make_project(client)
    assert ok(transition(client, project["id"], "assessment"))["version"] == project["version"] + 1


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"to": "finished"}, ["body", "to"]),
        ({}, ["body", "to"]),
        ({"to": "assessment", "on": "tomorrow"}, ["body", "on"]),  # resolved when the test runs
        ({"to": "assessment", "on": "2020-01-01"}, ["body", "on"]),  # before the request was received
        ({"to": "assessment", "on": "yesterday"}, ["body", "on"]),
        ({"to": "assessment", "when": "2024-01-01"}, ["body", "when"]),
    ],
)
def test_bad_transition_input_is_422_and_changes_nothing(client, body, loc):
    if body.get("on") == "tomorrow":
        body = {**body, "on": (date.today() + timedelta(days=1)).isoformat()}
    project = make_project(client, request_date="2024-01-15")
    assert_problem(client.post(f"/api/v1/projects/{project['id']}/transitions", json=body), 422, loc)
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["status"] == "requested"
    assert len(ok(client.get(f"/api/v1/projects/{project['id']}/history"))) == 1


def test_transition_of_unknown_project_is_404(client):
    assert_problem(transition(client, 4242, "assessment"), 404)
    assert_problem(client.get("/api/v1/projects/4242/history"), 404)
