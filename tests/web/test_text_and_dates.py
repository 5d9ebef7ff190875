"""What a person could not have typed is refused on every write: control characters in text (other than
tab, LF and CR) and dates of things that already happened lying in the future. Each is a 422 naming the
field, and nothing is written."""

from datetime import date, timedelta

import pytest

from tests.factories import assert_problem, make_pledge, make_project, make_rate, ok, pledge_body, receive


def tomorrow() -> str:
    """Tomorrow when the test runs, not when it was collected: a run may pass midnight."""
    return (date.today() + timedelta(days=1)).isoformat()


JUNK = ["\x07", "\x1b[31m", "\x00", "\x0b", "\x7f", "\x85", "\ufffe"]


def _milestone(client, project):
    return f"/api/v1/projects/{project['id']}/milestones", {"title": "Depot fenced", "weight": 1}


def _indicator(client, project):
    return f"/api/v1/projects/{project['id']}/indicators", {"name": "Ammunition destroyed", "unit": "t"}


def _pledge(client, project):
    return "/api/v1/pledges", pledge_body(project["id"])


def _process(client, project):
    body = {"state": "SRB", "name": "National SALW Commission", "kind": "structure", "areas": ["SALW"]}
    return "/api/v1/national-processes", body


def _transition(client, project):
    return f"/api/v1/projects/{project['id']}/transitions", {"to": "assessment"}


def _project(client, project):
    return "/api/v1/projects", {
        "code": "TEST-CTRL",
        "title": "Depot security",
        "areas": ["SCA"],
        "beneficiaries": ["SRB"],
        "request_date": "2024-01-15",
        "budget_eur": "1000.00",
    }


# (what is created, the text field to poison)
CREATES = [
    (_project, "title"),
    (_project, "description"),
    (_project, "implementing_partner"),
    (_milestone, "title"),
    (_indicator, "name"),
    (_indicator, "unit"),
    (_pledge, "note"),
    (_process, "name"),
    (_process, "description"),
    (_transition, "note"),
]


@pytest.mark.parametrize("junk", JUNK, ids=[f"U+{ord(j[0]):04X}" for j in JUNK])
@pytest.mark.parametrize(("make", "field"), CREATES, ids=[f"{m.__name__[1:]}.{f}" for m, f in CREATES])
def test_a_control_character_in_text_is_a_422_naming_the_field(client, make, field, junk):
    project = make_project(client)
    url, body = make(client, project)
    body[field] = f"Depot {junk} fenced"
    problem = assert_problem(client.post(url, json=body), 422, ["body", field])
    assert "character" in problem["errors"][0]["msg"]
    # Nothing of it was written.
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["version"] == project["version"]
    assert ok(client.get("/api/v1/projects"))["total"] == 1


def test_control_characters_are_refused_in_updates_and_lists_too(client):
    project = make_project(client)
    url = f"/api/v1/projects/{project['id']}"
    assert_problem(client.patch(url, json={"title": "Depot\x1bsecurity"}), 422, ["body", "title"])
    assert_problem(client.patch(url, json={"sdg_targets": ["16.4\x07"]}), 422, ["body", "sdg_targets"])
    assert ok(client.get(url))["title"] == project["title"]


def test_tab_newline_and_carriage_return_are_text(client):
    project = make_project(client, description="Phase 1:\tfencing\r\nPhase 2:\tlighting\n")
    assert project["description"] == "Phase 1:\tfencing\r\nPhase 2:\tlighting"  # ends stripped as before


# -- dates of what already happened ----------------------------------------------------------


def test_a_pledge_made_tomorrow_is_a_422_on_create_and_update(client):
    project = make_project(client)
    assert_problem(
        client.post("/api/v1/pledges", json=pledge_body(project["id"], pledged_on=tomorrow())),
        422,
        ["body", "pledged_on"],
    )
    assert ok(client.get("/api/v1/pledges"))["total"] == 0
    pledge = make_pledge(client, project["id"])
    url = f"/api/v1/pledges/{pledge['id']}"
    assert_problem(client.patch(url, json={"pledged_on": tomorrow()}), 422, ["body", "pledged_on"])
    assert ok(client.get(url))["pledged_on"] == pledge["pledged_on"]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        ("project", "request_date"),
        ("receipt", "received_on"),
        ("milestone", "done_on"),
        ("transition", "on"),
        ("process", "stage_changed_on"),
    ],
)
def test_every_date_of_what_happened_refuses_tomorrow(client, make, field):
    project = make_project(client)
    if make == "project":
        response = client.post("/api/v1/projects", json={**_project(client, project)[1], field: tomorrow()})
    elif make == "receipt":
        pledge = make_pledge(client, project["id"])
        response = receive(client, pledge["id"], "10.00", tomorrow())
    elif make == "milestone":
        url, body = _milestone(client, project)
        response = client.post(url, json={**body, field: tomorrow()})
    elif make == "transition":
        url, body = _transition(client, project)
        response = client.post(url, json={**body, field: tomorrow()})
    else:
        url, body = _process(client, project)
        response = client.post(url, json={**body, field: tomorrow()})
    assert_problem(response, 422, ["body", field])


def test_today_is_allowed(client):
    project = make_project(client)
    today = date.today()
    make_rate(client, "NOK", f"{today.year:04d}-{today.month:02d}", "0.0850")
    pledge = make_pledge(
        client, project["id"], currency="NOK", amount="500000.00", pledged_on=today.isoformat()
    )
    assert pledge["amount_eur"] == "42500.00"
