"""A project's milestones (and the progress they add up to) and its output indicators."""

from decimal import Decimal

import pytest

from tests.factories import assert_problem, make_project, ok


def milestones_url(project_id):
    return f"/api/v1/projects/{project_id}/milestones"


def indicators_url(project_id):
    return f"/api/v1/projects/{project_id}/indicators"


def add_milestone(client, project_id, **overrides):
    body = {"title": "Depot perimeter fence installed"} | overrides
    return ok(client.post(milestones_url(project_id), json=body), 201)


def add_indicator(client, project_id, **overrides):
    body = {"name": "Ammunition destroyed", "unit": "tonnes", "target": "430.5"} | overrides
    return ok(client.post(indicators_url(project_id), json=body), 201)


def progress(client, project_id):
    return ok(client.get(f"/api/v1/projects/{project_id}"))["progress"]


def as_decimal(value):
    assert isinstance(value, str), f"expected a decimal string, got {value!r}"
    return Decimal(value)


# -- milestones -----------------------------------------------------------------------------------


def test_add_milestone_echoes_its_fields(client):
    project = make_project(client)
    milestone = add_milestone(
        client,
        project["id"],
        title="  Needs assessment report  ",
        due_on="2024-06-30",
        done_on="2024-06-12",
        weight="2.5",
    )
    assert milestone["project_id"] == project["id"]
    assert milestone["title"] == "Needs assessment report"
    assert milestone["due_on"] == "2024-06-30"
    assert milestone["done_on"] == "2024-06-12"
    assert as_decimal(milestone["weight"]) == Decimal("2.5")
    assert milestone["version"] == 1
    assert isinstance(milestone["id"], int)


def test_milestone_weight_defaults_to_one_and_dates_to_empty(client):
    project = make_project(client)
    milestone = add_milestone(client, project["id"])
    assert as_decimal(milestone["weight"]) == 1
    assert milestone["due_on"] is None
    assert milestone["done_on"] is None


def test_list_milestones_by_due_date_with_undated_ones_last(client):
    project = make_project(client)
    undated = add_milestone(client, project["id"], title="Undated")
    late = add_milestone(client, project["id"], title="Late", due_on="2025-03-01")
    early = add_milestone(client, project["id"], title="Early", due_on="2024-09-15")
    other = make_project(client)
    add_milestone(client, other["id"], title="Someone else's")

    listed = ok(client.get(milestones_url(project["id"])))
    assert [m["id"] for m in listed] == [early["id"], late["id"], undated["id"]]
    assert [m["title"] for m in listed] == ["Early", "Late", "Undated"]
    assert ok(client.get(milestones_url(make_project(client)["id"]))) == []


def test_patch_milestone_changes_the_fields_sent_and_bumps_the_version(client):
    project = make_project(client)
    milestone = add_milestone(client, project["id"], due_on="2024-06-30", weight="2")
    updated = ok(
        client.patch(
            f"{milestones_url(project['id'])}/{milestone['id']}",
            json={"title": "Fence and lighting installed", "done_on": "2024-07-02", "due_on": None},
        )
    )
    assert updated["title"] == "Fence and lighting installed"
    assert updated["done_on"] == "2024-07-02"
    assert updated["due_on"] is None
    assert as_decimal(updated["weight"]) == 2
    assert updated["version"] == 2
    [stored] = ok(client.get(milestones_url(project["id"])))
    assert (stored["title"], stored["done_on"], stored["due_on"], stored["version"]) == (
        "Fence and lighting installed",
        "2024-07-02",
        None,
        2,
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"title": "Depot perimeter fence installed", "weight": "1.00"}, id="same-values"),
        pytest.param({"done_on": None}, id="still-not-done"),
    ],
)
def test_patch_milestone_that_changes_nothing_keeps_the_version(client, body):
    project = make_project(client)
    milestone = add_milestone(client, project["id"])
    updated = ok(client.patch(f"{milestones_url(project['id'])}/{milestone['id']}", json=body))
    assert updated["version"] == 1
    assert ok(client.get(milestones_url(project["id"])))[0]["version"] == 1


def test_delete_milestone(client):
    project = make_project(client)
    gone = add_milestone(client, project["id"], title="Gone")
    kept = add_milestone(client, project["id"], title="Kept")

    response = client.delete(f"{milestones_url(project['id'])}/{gone['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert [m["id"] for m in ok(client.get(milestones_url(project["id"])))] == [kept["id"]]
    assert_problem(client.delete(f"{milestones_url(project['id'])}/{gone['id']}"), 404)
    assert_problem(client.patch(f"{milestones_url(project['id'])}/{gone['id']}", json={"title": "x"}), 404)


def test_deleting_the_project_deletes_its_milestones_and_indicators(client):
    project = make_project(client)
    add_milestone(client, project["id"])
    add_indicator(client, project["id"])
    assert client.delete(f"/api/v1/projects/{project['id']}").status_code == 204
    assert_problem(client.get(milestones_url(project["id"])), 404)
    assert_problem(client.get(indicators_url(project["id"])), 404)


# -- progress -------------------------------------------------------------------------------------


def test_progress_is_empty_without_milestones(client):
    project = make_project(client)
    assert project["progress"] == {"milestones_total": 0, "milestones_done": 0, "percent": None}
    assert progress(client, project["id"]) == {"milestones_total": 0, "milestones_done": 0, "percent": None}


def test_progress_weighs_done_milestones(client):
    project = make_project(client)
    add_milestone(client, project["id"], title="Light", weight="1")
    add_milestone(client, project["id"], title="Heavy", weight="2", done_on="2024-05-01")
    assert progress(client, project["id"]) == {"milestones_total": 2, "milestones_done": 1, "percent": "66.7"}

    listed = ok(client.get("/api/v1/projects"))["items"]
    assert [p["progress"]["percent"] for p in listed] == ["66.7"]


@pytest.mark.parametrize(
    ("weights", "done", "percent"),
    [
        pytest.param(["1", "1", "1"], [False, False, False], "0.0", id="none-done"),
        pytest.param(["1", "1", "1"], [True, False, False], "33.3", id="one-of-three"),
        pytest.param(["1", "1", "1"], [True, True, True], "100.0", id="all-done"),
        pytest.param(["0.5", "1.5"], [True, False], "25.0", id="fractional-weights"),
        pytest.param(["1", "15"], [True, False], "6.3", id="half-rounds-up"),
        pytest.param(["3", "5"], [False, True], "62.5", id="exact-to-one-decimal"),
    ],
)
def test_progress_percent(client, weights, done, percent):
    project = make_project(client)
    for i, (weight, is_done) in enumerate(zip(weights, done, strict=True)):
        add_milestone(
            client, project["id"], title=f"Step {i}", weight=weight, done_on="2024-05-01" if is_done else None
        )
    summary = progress(client, project["id"])
    assert summary["percent"] == percent
    assert summary["milestones_total"] == len(weights)
    assert summary["milestones_done"] == sum(done)


def test_marking_a_milestone_done_or_undone_changes_progress(client):
    project = make_project(client)
    light = add_milestone(client, project["id"], title="Light", weight="1")
    heavy = add_milestone(client, project["id"], title="Heavy", weight="2")
    assert progress(client, project["id"])["percent"] == "0.0"

    url = f"{milestones_url(project['id'])}/{heavy['id']}"
    ok(client.patch(url, json={"done_on": "2024-05-01"}))
    assert progress(client, project["id"]) == {"milestones_total": 2, "milestones_done": 1, "percent": "66.7"}

    ok(client.patch(f"{milestones_url(project['id'])}/{light['id']}", json={"done_on": "2024-05-20"}))
    assert progress(client, project["id"])["percent"] == "100.0"

    ok(client.patch(url, json={"done_on": None}))
    assert progress(client, project["id"]) == {"milestones_total": 2, "milestones_done": 1, "percent": "33.3"}


def test_changing_a_weight_changes_progress(client):
    project = make_project(client)
    done = add_milestone(client, project["id"], title="Done", weight="1", done_on="2024-05-01")
    add_milestone(client, project["id"], title="Open", weight="1")
    assert progress(client, project["id"])["percent"] == "50.0"
    ok(client.patch(f"{milestones_url(project['id'])}/{done['id']}", json={"weight": "3"}))
    assert progress(client, project["id"])["percent"] == "75.0"


def test_deleting_a_milestone_changes_progress(client):
    project = make_project(client)
    light = add_milestone(client, project["id"], title="Light", weight="1")
    heavy = add_milestone(client, project["id"], title="Heavy", weight="2", done_on="2024-05-01")
    assert progress(client, project["id"])["percent"] == "66.7"

    assert client.delete(f"{milestones_url(project['id'])}/{light['id']}").status_code == 204
    assert progress(client, project["id"]) == {
        "milestones_total": 1,
        "milestones_done": 1,
        "percent": "100.0",
    }

    assert client.delete(f"{milestones_url(project['id'])}/{heavy['id']}").status_code == 204
    assert progress(client, project["id"]) == {"milestones_total": 0, "milestones_done": 0, "percent": None}


def test_progress_counts_only_the_projects_own_milestones(client):
    project = make_project(client)
    other = make_project(client)
    add_milestone(client, project["id"], done_on="2024-05-01")
    add_milestone(client, other["id"])
    add_milestone(client, other["id"])
    assert progress(client, project["id"]) == {
        "milestones_total": 1,
        "milestones_done": 1,
        "percent": "100.0",
    }
    assert progress(client, other["id"]) == {"milestones_total": 2, "milestones_done": 0, "percent": "0.0"}


# -- indicators -----------------------------------------------------------------------------------


def test_add_indicator_keeps_decimal_strings(client):
    project = make_project(client)
    indicator = add_indicator(
        client, project["id"], name="Weapons destroyed", unit="pieces", baseline="12", target="430.5"
    )
    assert indicator["project_id"] == project["id"]
    assert indicator["name"] == "Weapons destroyed"
    assert indicator["unit"] == "pieces"
    assert as_decimal(indicator["baseline"]) == Decimal("12")
    assert as_decimal(indicator["target"]) == Decimal("430.5")
    assert indicator["actual"] is None
    assert indicator["version"] == 1

    [stored] = ok(client.get(indicators_url(project["id"])))
    assert as_decimal(stored["target"]) == Decimal("430.5")
    assert as_decimal(stored["baseline"]) == Decimal("12")
    assert stored["actual"] is None


def test_indicator_baseline_defaults_to_zero(client):
    project = make_project(client)
    indicator = add_indicator(client, project["id"])
    assert as_decimal(indicator["baseline"]) == 0


def test_indicator_keeps_four_decimal_places_exactly(client):
    project = make_project(client)
    add_indicator(client, project["id"], target="1234567.8912", actual="0.0001")
    [stored] = ok(client.get(indicators_url(project["id"])))
    assert as_decimal(stored["target"]) == Decimal("1234567.8912")
    assert as_decimal(stored["actual"]) == Decimal("0.0001")


def test_list_indicators_in_the_order_added(client):
    project = make_project(client)
    first = add_indicator(client, project["id"], name="Tonnes destroyed")
    second = add_indicator(client, project["id"], name="Staff trained", unit="people", target="40")
    add_indicator(client, make_project(client)["id"], name="Elsewhere")
    assert [i["id"] for i in ok(client.get(indicators_url(project["id"])))] == [first["id"], second["id"]]


def test_decimals_read_back_exactly_as_the_write_returned_them(client):
    project = make_project(client)
    indicator = add_indicator(client, project["id"], target="430.5")
    milestone = add_milestone(client, project["id"], weight="2")
    assert (indicator["baseline"], indicator["target"], milestone["weight"]) == ("0", "430.5", "2")
    assert ok(client.get(indicators_url(project["id"]))) == [indicator]
    assert ok(client.get(milestones_url(project["id"]))) == [milestone]

    url = f"{indicators_url(project['id'])}/{indicator['id']}"
    patched = ok(client.patch(url, json={"actual": "12.50"}))
    assert (patched["target"], patched["actual"]) == ("430.5", "12.5")
    assert ok(client.get(indicators_url(project["id"]))) == [patched]


def test_patch_indicator_records_the_actual_value(client):
    project = make_project(client)
    indicator = add_indicator(client, project["id"])
    url = f"{indicators_url(project['id'])}/{indicator['id']}"

    updated = ok(client.patch(url, json={"actual": "212.25", "unit": "t"}))
    assert as_decimal(updated["actual"]) == Decimal("212.25")
    assert updated["unit"] == "t"
    assert as_decimal(updated["target"]) == Decimal("430.5")
    assert updated["version"] == 2
    [stored] = ok(client.get(indicators_url(project["id"])))
    assert as_decimal(stored["actual"]) == Decimal("212.25")
    assert stored["unit"] == "t"
    assert stored["version"] == 2

    cleared = ok(client.patch(url, json={"actual": None}))
    assert cleared["actual"] is None
    assert cleared["version"] == 3


def test_patch_indicator_that_changes_nothing_keeps_the_version(client):
    project = make_project(client)
    indicator = add_indicator(client, project["id"])
    url = f"{indicators_url(project['id'])}/{indicator['id']}"
    assert ok(client.patch(url, json={"target": "430.50", "name": "Ammunition destroyed"}))["version"] == 1
    assert ok(client.patch(url, json={}))["version"] == 1
    assert ok(client.get(indicators_url(project["id"])))[0]["version"] == 1


def test_delete_indicator(client):
    project = make_project(client)
    gone = add_indicator(client, project["id"], name="Gone")
    kept = add_indicator(client, project["id"], name="Kept")
    response = client.delete(f"{indicators_url(project['id'])}/{gone['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert [i["id"] for i in ok(client.get(indicators_url(project["id"])))] == [kept["id"]]
    assert_problem(client.delete(f"{indicators_url(project['id'])}/{gone['id']}"), 404)


# -- unknown projects and ids that belong elsewhere ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "kind", "body"),
    [
        pytest.param("GET", "milestones", None, id="list-milestones"),
        pytest.param("POST", "milestones", {"title": "Fence"}, id="add-milestone"),
        pytest.param("GET", "indicators", None, id="list-indicators"),
        pytest.param(
            "POST", "indicators", {"name": "Tonnes", "unit": "t", "target": "1"}, id="add-indicator"
        ),
    ],
)
def test_unknown_project_is_a_404_problem(client, method, kind, body):
    make_project(client)
    problem = assert_problem(client.request(method, f"/api/v1/projects/999/{kind}", json=body), 404)
    assert "999" in problem["detail"]


@pytest.mark.parametrize(
    ("kind", "add", "patch_body"),
    [
        pytest.param("milestones", add_milestone, {"done_on": "2024-05-01"}, id="milestone"),
        pytest.param("indicators", add_indicator, {"actual": "1"}, id="indicator"),
    ],
)
def test_an_item_of_another_project_is_not_found(client, kind, add, patch_body):
    owner = make_project(client)
    stranger = make_project(client)
    item = add(client, owner["id"])
    wrong_url = f"/api/v1/projects/{stranger['id']}/{kind}/{item['id']}"

    assert_problem(client.patch(wrong_url, json=patch_body), 404)
    assert_problem(client.delete(wrong_url), 404)
    [stored] = ok(client.get(f"/api/v1/projects/{owner['id']}/{kind}"))
    assert stored["id"] == item["id"]
    assert stored["version"] == 1
    assert all(stored[field] is None for field in patch_body)
    assert ok(client.get(f"/api/v1/projects/{stranger['id']}/{kind}")) == []


@pytest.mark.parametrize("kind", ["milestones", "indicators"])
def test_unknown_item_id_is_a_404_problem(client, kind):
    project = make_project(client)
    assert_problem(client.patch(f"/api/v1/projects/{project['id']}/{kind}/999", json={}), 404)
    assert_problem(client.delete(f"/api/v1/projects/{project['id']}/{kind}/999"), 404)


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"title": "Fence", "weight": "0"}, ["body", "weight"], id="weight-zero"),
        pytest.param({"title": "Fence", "weight": 0}, ["body", "weight"], id="weight-zero-number"),
        pytest.param({"title": "Fence", "weight": "-1"}, ["body", "weight"], id="weight-negative"),
        pytest.param({"title": "Fence", "weight": "1.125"}, ["body", "weight"], id="weight-three-decimals"),
        pytest.param({"title": "Fence", "weight": "heavy"}, ["body", "weight"], id="weight-not-a-number"),
        pytest.param({"title": "Fence", "weight": None}, ["body", "weight"], id="weight-null"),
        pytest.param({"title": ""}, ["body", "title"], id="title-empty"),
        pytest.param({"title": "   "}, ["body", "title"], id="title-blank"),
        pytest.param({"title": "x" * 301}, ["body", "title"], id="title-too-long"),
        pytest.param({}, ["body", "title"], id="title-missing"),
        pytest.param({"title": "Fence", "due_on": "soon"}, ["body", "due_on"], id="due-unparseable"),
        pytest.param({"title": "Fence", "owner": "MoD"}, ["body", "owner"], id="unknown-field"),
        pytest.param({"title": "Fence", "done_on": "2099-01-01"}, ["body", "done_on"], id="done-in-future"),
    ],
)
def test_add_milestone_refuses_bad_input(client, body, loc):
    project = make_project(client)
    assert_problem(client.post(milestones_url(project["id"]), json=body), 422, loc)
    assert ok(client.get(milestones_url(project["id"]))) == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"title": None}, ["body", "title"], id="title-null"),
        pytest.param({"title": ""}, ["body", "title"], id="title-empty"),
        pytest.param({"weight": None}, ["body", "weight"], id="weight-null"),
        pytest.param({"weight": "0"}, ["body", "weight"], id="weight-zero"),
        pytest.param({"done_on": "2099-01-01"}, ["body", "done_on"], id="done-in-future"),
        pytest.param({"weight": "-2"}, ["body", "weight"], id="weight-negative"),
        pytest.param({"done_on": "yesterday"}, ["body", "done_on"], id="done-unparseable"),
        pytest.param({"version": 3}, ["body", "version"], id="unknown-field"),
    ],
)
def test_patch_milestone_refuses_bad_input(client, body, loc):
    project = make_project(client)
    milestone = add_milestone(client, project["id"])
    assert_problem(client.patch(f"{milestones_url(project['id'])}/{milestone['id']}", json=body), 422, loc)
    [stored] = ok(client.get(milestones_url(project["id"])))
    assert stored["version"] == 1
    assert stored["title"] == milestone["title"]
    assert as_decimal(stored["weight"]) == 1


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        pytest.param({"target": "-1"}, ["body", "target"], id="target-negative"),
        pytest.param({"target": None}, ["body", "target"], id="target-null"),
        pytest.param({"target": "lots"}, ["body", "target"], id="target-not-a-number"),
        pytest.param({"target": "1.23456"}, ["body", "target"], id="target-five-decimals"),
        pytest.param({"baseline": "-0.5"}, ["body", "baseline"], id="baseline-negative"),
        pytest.param({"actual": "-3"}, ["body", "actual"], id="actual-negative"),
        pytest.param({"unit": ""}, ["body", "unit"], id="unit-empty"),
        pytest.param({"unit": "u" * 51}, ["body", "unit"], id="unit-too-long"),
        pytest.param({"name": ""}, ["body", "name"], id="name-empty"),
        pytest.param({"source": "MoD"}, ["body", "source"], id="unknown-field"),
    ],
)
def test_add_indicator_refuses_bad_input(client, overrides, loc):
    project = make_project(client)
    body = {"name": "Ammunition destroyed", "unit": "tonnes", "target": "430.5"} | overrides
    assert_problem(client.post(indicators_url(project["id"]), json=body), 422, loc)
    assert ok(client.get(indicators_url(project["id"]))) == []


@pytest.mark.parametrize("missing", ["name", "unit", "target"])
def test_add_indicator_requires_name_unit_and_target(client, missing):
    project = make_project(client)
    body = {"name": "Ammunition destroyed", "unit": "tonnes", "target": "430.5"}
    del body[missing]
    assert_problem(client.post(indicators_url(project["id"]), json=body), 422, ["body", missing])


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"name": None}, ["body", "name"], id="name-null"),
        pytest.param({"unit": None}, ["body", "unit"], id="unit-null"),
        pytest.param({"target": None}, ["body", "target"], id="target-null"),
        pytest.param({"baseline": None}, ["body", "baseline"], id="baseline-null"),
        pytest.param({"target": "-1"}, ["body", "target"], id="target-negative"),
        pytest.param({"actual": "-0.0001"}, ["body", "actual"], id="actual-negative"),
    ],
)
def test_patch_indicator_refuses_bad_input(client, body, loc):
    project = make_project(client)
    indicator = add_indicator(client, project["id"])
    assert_problem(client.patch(f"{indicators_url(project['id'])}/{indicator['id']}", json=body), 422, loc)
    [stored] = ok(client.get(indicators_url(project["id"])))
    assert stored["version"] == 1
    assert as_decimal(stored["target"]) == Decimal("430.5")
