"""National management processes: the structures and procedures a participating State runs itself."""

from datetime import date, datetime

import pytest

from tests.factories import assert_problem, make_project, ok

URL = "/api/v1/national-processes"


def process_body(**overrides):
    body = {
        "state": "SRB",
        "name": "National SALW Commission",
        "kind": "structure",
        "areas": ["SALW"],
        "stage_changed_on": "2024-01-10",
    }
    body.update(overrides)
    return body


def make_process(client, **overrides):
    return ok(client.post(URL, json=process_body(**overrides)), 201)


def patch(client, process_id, **body):
    return client.patch(f"{URL}/{process_id}", json=body)


def history(client, process_id):
    return ok(client.get(f"{URL}/{process_id}/history"))


# -- create, read, list -------------------------------------------------------------------------


def test_create_echoes_every_field_and_links_projects(client):
    first = make_project(client)
    second = make_project(client)
    body = {
        "state": "bih",
        "name": "  Ammunition Stockpile Inspection Unit  ",
        "kind": "procedure",
        "areas": ["SCA", "SALW", "SCA"],
        "stage": "established",
        "established_on": "2023-06-30",
        "project_ids": [second["id"], first["id"], second["id"]],
        "description": "Inspects depots twice a year.",
        "stage_changed_on": "2024-02-01",
    }
    created = ok(client.post(URL, json=body), 201)

    assert created["state"] == "BIH"
    assert created["name"] == "Ammunition Stockpile Inspection Unit"
    assert created["kind"] == "procedure"
    assert created["areas"] == ["SALW", "SCA"]  # a set: sorted, duplicates dropped
    assert created["stage"] == "established"
    assert created["established_on"] == "2023-06-30"
    assert created["project_ids"] == sorted([first["id"], second["id"]])
    assert created["description"] == "Inspects depots twice a year."
    assert created["version"] == 1
    assert isinstance(created["id"], int)
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    assert "stage_changed_on" not in created
    assert ok(client.get(f"{URL}/{created['id']}")) == created


def test_create_defaults_to_planned_with_nothing_linked(client):
    created = ok(
        client.post(URL, json={"state": "MDA", "name": "Weapons registry", "kind": "structure"}), 201
    )
    assert created["stage"] == "planned"
    assert created["established_on"] is None
    assert created["areas"] == []
    assert created["project_ids"] == []
    assert created["description"] == ""
    [first] = history(client, created["id"])
    assert first["from"] is None
    assert first["to"] == "planned"
    assert first["on"] == date.today().isoformat()


def test_create_records_the_first_stage_in_the_history(client):
    process = make_process(client, stage="operational", stage_changed_on="2024-03-05")
    [entry] = history(client, process["id"])
    assert entry["from"] is None
    assert entry["to"] == "operational"
    assert entry["on"] == "2024-03-05"
    assert entry["note"] == ""
    assert datetime.fromisoformat(entry["recorded_at"]).tzinfo is not None


def test_list_is_a_page_envelope_ordered_by_state_then_name(client):
    make_process(client, state="SRB", name="B commission")
    make_process(client, state="ALB", name="Z procedure")
    make_process(client, state="SRB", name="A registry")

    page = ok(client.get(URL))
    assert page["total"] == 3
    assert page["limit"] == 50
    assert page["offset"] == 0
    assert [(p["state"], p["name"]) for p in page["items"]] == [
        ("ALB", "Z procedure"),
        ("SRB", "A registry"),
        ("SRB", "B commission"),
    ]


def test_list_pages_with_limit_and_offset(client):
    for name in ("A", "B", "C", "D", "E"):
        make_process(client, name=name)

    page = ok(client.get(URL, params={"limit": 2, "offset": 1}))
    assert page["total"] == 5
    assert page["limit"] == 2
    assert page["offset"] == 1
    assert [p["name"] for p in page["items"]] == ["B", "C"]

    past_the_end = ok(client.get(URL, params={"limit": 2, "offset": 5}))
    assert past_the_end["items"] == []
    assert past_the_end["total"] == 5


@pytest.fixture
def assorted(client):
    """Four processes that differ in state, kind, stage and the projects behind them."""
    linked = make_project(client)
    other = make_project(client)
    return {
        "linked": linked["id"],
        "other": other["id"],
        "commission": make_process(client, state="SRB", name="Commission", project_ids=[linked["id"]]),
        "sop": make_process(
            client, state="SRB", name="Depot SOP", kind="procedure", stage="operational", project_ids=[]
        ),
        "registry": make_process(
            client,
            state="MNE",
            name="Registry",
            stage="operational",
            project_ids=[linked["id"], other["id"]],
        ),
        "marking": make_process(client, state="MNE", name="Marking SOP", kind="procedure", stage="sustained"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"state": "MNE"}, ["registry", "marking"], id="state"),
        pytest.param({"state": "mne"}, ["registry", "marking"], id="state-lowercase"),
        pytest.param({"kind": "procedure"}, ["sop", "marking"], id="kind"),
        pytest.param({"stage": "operational"}, ["sop", "registry"], id="stage"),
        pytest.param({"state": "SRB", "stage": "operational"}, ["sop"], id="state-and-stage"),
        pytest.param({"state": "AUT"}, [], id="state-without-processes"),
    ],
)
def test_list_filters(client, assorted, params, expected):
    page = ok(client.get(URL, params=params))
    assert {p["id"] for p in page["items"]} == {assorted[key]["id"] for key in expected}
    assert page["total"] == len(expected)


def test_list_filters_by_the_project_that_helped_build_it(client, assorted):
    linked = ok(client.get(URL, params={"project_id": assorted["linked"]}))
    assert {p["id"] for p in linked["items"]} == {assorted["commission"]["id"], assorted["registry"]["id"]}
    assert linked["total"] == 2
    other = ok(client.get(URL, params={"project_id": assorted["other"]}))
    assert [p["id"] for p in other["items"]] == [assorted["registry"]["id"]]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"kind": "agency"}, ["query", "kind"], id="kind"),
        pytest.param({"stage": "done"}, ["query", "stage"], id="stage"),
        pytest.param({"project_id": "first"}, ["query", "project_id"], id="project_id"),
        pytest.param({"limit": 0}, ["query", "limit"], id="limit-zero"),
        pytest.param({"limit": 501}, ["query", "limit"], id="limit-too-big"),
        pytest.param({"offset": -1}, ["query", "offset"], id="offset-negative"),
    ],
)
def test_list_refuses_bad_query_parameters(client, params, loc):
    assert_problem(client.get(URL, params=params), 422, loc)


# -- update ---------------------------------------------------------------------------------------


def test_patch_changes_the_fields_sent_and_bumps_the_version(client):
    project = make_project(client)
    process = make_process(client, description="Draft")
    updated = ok(
        patch(
            client,
            process["id"],
            name="National Commission on SALW",
            kind="procedure",
            areas=["SALW", "SCA"],
            project_ids=[project["id"]],
            description="",
        )
    )
    assert updated["name"] == "National Commission on SALW"
    assert updated["kind"] == "procedure"
    assert updated["areas"] == ["SALW", "SCA"]
    assert updated["project_ids"] == [project["id"]]
    assert updated["description"] == ""
    assert updated["state"] == "SRB"
    assert updated["stage"] == "planned"
    assert updated["version"] == 2
    assert updated["updated_at"] > process["updated_at"]
    assert updated["created_at"] == process["created_at"]
    assert ok(client.get(f"{URL}/{process['id']}")) == updated


def test_patch_can_unlink_and_relink_projects(client):
    first, second, third = (make_project(client)["id"] for _ in range(3))
    process = make_process(client, project_ids=[first, second])

    assert ok(patch(client, process["id"], project_ids=[third, second]))["project_ids"] == sorted(
        [second, third]
    )
    assert ok(client.get(URL, params={"project_id": first}))["total"] == 0
    assert ok(patch(client, process["id"], project_ids=[]))["project_ids"] == []
    assert ok(client.get(URL, params={"project_id": third}))["total"] == 0


@pytest.mark.parametrize(
    "make_body",
    [
        pytest.param(lambda first, second: {}, id="empty"),
        pytest.param(
            lambda first, second: {"name": "National SALW Commission", "state": "srb", "areas": ["SALW"]},
            id="same-values",
        ),
        pytest.param(lambda first, second: {"project_ids": [second, first]}, id="same-projects-other-order"),
        pytest.param(lambda first, second: {"stage": "planned", "stage_note": "still"}, id="same-stage"),
        pytest.param(lambda first, second: {"stage_changed_on": "2024-06-01"}, id="only-a-change-date"),
    ],
)
def test_patch_that_changes_nothing_keeps_the_version(client, make_body):
    first, second = make_project(client)["id"], make_project(client)["id"]
    process = make_process(client, project_ids=[first, second])

    unchanged = ok(patch(client, process["id"], **make_body(first, second)))
    assert unchanged == process
    assert ok(client.get(f"{URL}/{process['id']}"))["version"] == 1
    assert len(history(client, process["id"])) == 1


def test_stage_change_is_recorded_in_the_history_with_its_date_and_note(client):
    process = make_process(client, stage_changed_on="2024-01-10")
    updated = ok(
        patch(
            client,
            process["id"],
            stage="established",
            stage_changed_on="2024-04-15",
            stage_note="Commission constituted by government decree",
        )
    )
    assert updated["stage"] == "established"
    assert updated["version"] == 2

    entries = history(client, process["id"])
    assert [(e["from"], e["to"], e["on"], e["note"]) for e in entries] == [
        (None, "planned", "2024-01-10", ""),
        ("planned", "established", "2024-04-15", "Commission constituted by government decree"),
    ]


def test_stage_change_without_a_date_happens_today(client):
    process = make_process(client, stage_changed_on="2024-01-10")
    ok(patch(client, process["id"], stage="established"))
    assert history(client, process["id"])[-1]["on"] == date.today().isoformat()
    assert ok(client.get(f"{URL}/{process['id']}"))["established_on"] == date.today().isoformat()


def test_moving_back_a_stage_is_allowed_and_recorded(client):
    process = make_process(client, stage="operational", stage_changed_on="2024-01-10")
    back = ok(
        patch(client, process["id"], stage="planned", stage_changed_on="2024-05-01", stage_note="Funds cut")
    )
    assert back["stage"] == "planned"
    assert ok(client.get(URL, params={"stage": "planned"}))["total"] == 1
    last = history(client, process["id"])[-1]
    assert (last["from"], last["to"], last["on"], last["note"]) == (
        "operational",
        "planned",
        "2024-05-01",
        "Funds cut",
    )


def test_a_stage_change_on_the_same_day_as_the_previous_one_is_allowed(client):
    process = make_process(client, stage_changed_on="2024-01-10")
    ok(patch(client, process["id"], stage="established", stage_changed_on="2024-01-10"))
    ok(patch(client, process["id"], stage="operational", stage_changed_on="2024-01-10"))
    assert [e["to"] for e in history(client, process["id"])] == ["planned", "established", "operational"]


def test_established_on_is_filled_when_the_process_first_leaves_planned(client):
    process = make_process(client, stage_changed_on="2024-01-10")
    assert process["established_on"] is None

    established = ok(patch(client, process["id"], stage="established", stage_changed_on="2024-02-01"))
    assert established["established_on"] == "2024-02-01"

    ok(patch(client, process["id"], stage="planned", stage_changed_on="2024-03-01"))
    again = ok(patch(client, process["id"], stage="operational", stage_changed_on="2024-04-01"))
    assert again["established_on"] == "2024-02-01"


@pytest.mark.parametrize(
    ("created_with", "sent", "expected"),
    [
        pytest.param("2023-11-20", {}, "2023-11-20", id="already-known"),
        pytest.param(None, {"established_on": "2024-01-31"}, "2024-01-31", id="sent-with-the-stage"),
        pytest.param(None, {"established_on": None}, None, id="sent-empty-on-purpose"),
    ],
)
def test_established_on_is_not_filled_in_when_known_or_sent(client, created_with, sent, expected):
    process = make_process(client, established_on=created_with)
    updated = ok(patch(client, process["id"], stage="established", stage_changed_on="2024-02-01", **sent))
    assert updated["stage"] == "established"
    assert updated["established_on"] == expected
    assert ok(client.get(f"{URL}/{process['id']}"))["established_on"] == expected


def test_established_on_is_not_filled_while_the_process_stays_planned(client):
    process = make_process(client)
    assert ok(patch(client, process["id"], description="Still on paper"))["established_on"] is None


def test_stage_change_date_in_the_future_is_refused(client):
    assert_problem(
        client.post(URL, json=process_body(stage_changed_on="2099-01-01")), 422, ["body", "stage_changed_on"]
    )
    assert ok(client.get(URL))["total"] == 0

    process = make_process(client)
    assert_problem(
        patch(client, process["id"], stage="established", stage_changed_on="2099-01-01"),
        422,
        ["body", "stage_changed_on"],
    )
    assert ok(client.get(f"{URL}/{process['id']}")) == process
    assert len(history(client, process["id"])) == 1


def test_stage_change_before_the_previous_one_is_refused_and_nothing_is_stored(client):
    project = make_project(client)
    process = make_process(client, stage_changed_on="2024-03-01")
    problem = assert_problem(
        patch(
            client,
            process["id"],
            name="Renamed in the same request",
            project_ids=[project["id"]],
            stage="established",
            stage_changed_on="2024-02-28",
        ),
        422,
        ["body", "stage_changed_on"],
    )
    assert "2024-03-01" in problem["detail"]

    stored = ok(client.get(f"{URL}/{process['id']}"))
    assert stored == process
    assert stored["name"] == "National SALW Commission"
    assert stored["project_ids"] == []
    assert stored["stage"] == "planned"
    assert stored["established_on"] is None
    assert len(history(client, process["id"])) == 1
    assert ok(client.get(URL, params={"project_id": project["id"]}))["total"] == 0


def test_patch_to_a_name_the_state_already_uses_is_a_conflict(client):
    make_process(client, name="Commission")
    other = make_process(client, name="Registry")
    assert_problem(patch(client, other["id"], name="Commission"), 409)
    assert ok(client.get(f"{URL}/{other['id']}"))["name"] == "Registry"


def test_moving_a_process_to_a_state_that_already_uses_its_name_is_a_conflict(client):
    make_process(client, state="MNE", name="Commission")
    srb = make_process(client, state="SRB", name="Commission")
    assert_problem(patch(client, srb["id"], state="MNE"), 409)
    assert ok(patch(client, srb["id"], state="ALB"))["state"] == "ALB"


# -- delete and unknown ids ----------------------------------------------------------------------


def test_delete_removes_the_process_but_not_its_projects(client):
    project = make_project(client)
    process = make_process(client, project_ids=[project["id"]])
    keep = make_process(client, name="Another")

    response = client.delete(f"{URL}/{process['id']}")
    assert response.status_code == 204
    assert response.content == b""

    assert_problem(client.get(f"{URL}/{process['id']}"), 404)
    assert_problem(client.get(f"{URL}/{process['id']}/history"), 404)
    assert_problem(client.delete(f"{URL}/{process['id']}"), 404)
    assert [p["id"] for p in ok(client.get(URL))["items"]] == [keep["id"]]
    ok(client.get(f"/api/v1/projects/{project['id']}"))


def test_deleting_a_project_unlinks_it_from_the_process(client):
    kept, deleted = make_project(client), make_project(client)
    process = make_process(client, project_ids=[kept["id"], deleted["id"]])

    assert client.delete(f"/api/v1/projects/{deleted['id']}").status_code == 204
    assert ok(client.get(f"{URL}/{process['id']}"))["project_ids"] == [kept["id"]]
    assert ok(client.get(URL, params={"project_id": deleted["id"]}))["total"] == 0


def test_a_deleted_name_can_be_used_again(client):
    process = make_process(client)
    assert client.delete(f"{URL}/{process['id']}").status_code == 204
    assert make_process(client)["name"] == process["name"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/999", None, id="get"),
        pytest.param("GET", "/999/history", None, id="history"),
        pytest.param("PATCH", "/999", {"name": "x"}, id="patch"),
        pytest.param("DELETE", "/999", None, id="delete"),
    ],
)
def test_unknown_process_is_a_404_problem(client, method, path, body):
    make_process(client)
    problem = assert_problem(client.request(method, URL + path, json=body), 404)
    assert "999" in problem["detail"]


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        pytest.param({"state": "JPN"}, ["body", "state"], id="state-is-a-partner"),
        pytest.param({"state": "XXX"}, ["body", "state"], id="state-unknown"),
        pytest.param({"state": "RS"}, ["body", "state"], id="state-too-short"),
        pytest.param({"project_ids": [999]}, ["body", "project_ids"], id="project-unknown"),
        pytest.param({"kind": "agency"}, ["body", "kind"], id="kind-unknown"),
        pytest.param({"kind": None}, ["body", "kind"], id="kind-null"),
        pytest.param({"stage": "done"}, ["body", "stage"], id="stage-unknown"),
        pytest.param({"name": ""}, ["body", "name"], id="name-empty"),
        pytest.param({"name": "   "}, ["body", "name"], id="name-blank"),
        pytest.param({"name": "x" * 201}, ["body", "name"], id="name-too-long"),
        pytest.param({"areas": ["MINES"]}, ["body", "areas", 0], id="area-unknown"),
        pytest.param({"established_on": "last spring"}, ["body", "established_on"], id="date-unparseable"),
        pytest.param({"stage_changed_on": "2099-01-01"}, ["body", "stage_changed_on"], id="change-in-future"),
        pytest.param({"headquarters": "Belgrade"}, ["body", "headquarters"], id="unknown-field"),
    ],
)
def test_create_refuses_bad_input(client, overrides, loc):
    assert_problem(client.post(URL, json=process_body(**overrides)), 422, loc)
    assert ok(client.get(URL))["total"] == 0


@pytest.mark.parametrize("missing", [pytest.param(f, id=f) for f in ("state", "name", "kind")])
def test_create_requires_state_name_and_kind(client, missing):
    body = process_body()
    del body[missing]
    assert_problem(client.post(URL, json=body), 422, ["body", missing])


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"name": None}, ["body", "name"], id="name-null"),
        pytest.param({"name": ""}, ["body", "name"], id="name-empty"),
        pytest.param({"state": None}, ["body", "state"], id="state-null"),
        pytest.param({"state": "JPN"}, ["body", "state"], id="state-is-a-partner"),
        pytest.param({"state": "XXX"}, ["body", "state"], id="state-unknown"),
        pytest.param({"kind": "agency"}, ["body", "kind"], id="kind-unknown"),
        pytest.param({"stage": "done"}, ["body", "stage"], id="stage-unknown"),
        pytest.param({"stage": None}, ["body", "stage"], id="stage-null"),
        pytest.param({"areas": None}, ["body", "areas"], id="areas-null"),
        pytest.param({"project_ids": None}, ["body", "project_ids"], id="project-ids-null"),
        pytest.param({"project_ids": [999]}, ["body", "project_ids"], id="project-unknown"),
        pytest.param({"description": None}, ["body", "description"], id="description-null"),
        pytest.param({"version": 7}, ["body", "version"], id="unknown-field"),
    ],
)
def test_patch_refuses_bad_input_and_keeps_the_process(client, body, loc):
    process = make_process(client)
    assert_problem(patch(client, process["id"], **body), 422, loc)
    assert ok(client.get(f"{URL}/{process['id']}")) == process


def test_duplicate_state_and_name_is_a_409_problem(client):
    first = make_process(client)
    problem = assert_problem(client.post(URL, json=process_body(kind="procedure")), 409)
    assert problem["type"] == "/problems/duplicate-national-process"
    assert str(first["id"]) in problem["detail"]
    assert ok(client.get(URL))["total"] == 1


def test_the_same_name_in_another_state_is_fine(client):
    make_process(client, state="SRB")
    assert make_process(client, state="MNE")["state"] == "MNE"
    assert ok(client.get(URL))["total"] == 2


def test_areas_sent_in_another_order_are_no_change(client):
    created = ok(client.post(URL, json=process_body(areas=["SALW", "SCA"])), 201)
    same = ok(client.patch(f"{URL}/{created['id']}", json={"areas": ["SCA", "SALW"]}))
    assert same["version"] == created["version"]
    assert same["areas"] == ["SALW", "SCA"]
