"""Standard measures on indicators: the catalogue, the measure's unit, and women and men of people counts."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from portfolio.demo import load_demo_data
from portfolio.projects.measures import BY_CODE, MEASURES
from portfolio.projects.models import Indicator
from portfolio.projects.service import INDICATOR_FIELDS, settle_indicator
from portfolio.synthetic import generate
from tests.factories import assert_problem, make_project, ok


def indicators_url(project_id):
    return f"/api/v1/projects/{project_id}/indicators"


def add(client, project_id, expect=201, **fields):
    body = {"name": "Border police officers trained", "target": "120"} | fields
    response = client.post(indicators_url(project_id), json=body)
    return ok(response, 201) if expect == 201 else response


def patch(client, indicator, **fields):
    return client.patch(f"{indicators_url(indicator['project_id'])}/{indicator['id']}", json=fields)


# -- the catalogue -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "staff", "manager", "donor"])
def test_everyone_logged_in_reads_the_catalogue(app, accounts, role):
    with TestClient(app, headers=accounts[role].headers) as client:
        listed = ok(client.get("/api/v1/measures"))
    assert [m["code"] for m in listed] == [m.code for m in MEASURES]
    trained = next(m for m in listed if m["code"] == "people_trained")
    assert trained == {
        "code": "people_trained",
        "label": "People trained",
        "unit": "people",
        "disaggregated_by_sex": True,
    }
    destroyed = next(m for m in listed if m["code"] == "ammunition_destroyed")
    assert (destroyed["unit"], destroyed["disaggregated_by_sex"]) == ("tonnes", False)


def test_the_catalogue_needs_a_login(anon):
    assert_problem(anon.get("/api/v1/measures"), 401)


# -- a measure and its unit --------------------------------------------------------------------------


def test_a_measure_sets_the_unit_and_its_label(client):
    project = make_project(client)
    made = add(client, project["id"], name="Shells destroyed", measure="ammunition_destroyed", target="430.5")
    assert made["measure"] == "ammunition_destroyed"
    assert made["measure_label"] == "Ammunition destroyed"
    assert made["unit"] == "tonnes"
    listed = ok(client.get(indicators_url(project["id"])))
    assert [(i["measure"], i["unit"]) for i in listed] == [("ammunition_destroyed", "tonnes")]


def test_the_measures_own_unit_may_be_given_in_any_case(client):
    made = add(client, make_project(client)["id"], measure="weapons_destroyed", unit="Weapons", target="500")
    assert made["unit"] == "weapons"


def test_a_free_indicator_keeps_its_own_unit_and_has_no_measure(client):
    made = add(client, make_project(client)["id"], name="Depot doors replaced", unit="doors", target="12")
    assert (made["measure"], made["measure_label"], made["unit"]) == (None, None, "doors")
    assert made["target_women"] is None and made["actual_men"] is None


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"measure": "weapons_melted"}, "measure"),
        ({"measure": "ammunition_destroyed", "unit": "kg"}, "unit"),
        ({"unit": None}, "unit"),
        ({"measure": "people_trained", "target_women": "-1"}, "target_women"),
        ({"measure": "people_trained", "target_women": "10.5"}, "target_women"),
        ({"measure": "people_trained", "target_men": "many"}, "target_men"),
        ({"measure": "people_trained", "target": "120.5"}, "target"),
        ({"measure": "people_trained", "target_women": "121"}, "target_women"),
        ({"measure": "people_trained", "target_women": "60", "target_men": "61"}, "target_men"),
        ({"measure": "people_trained", "actual_women": "3"}, "actual_women"),
        ({"measure": "people_trained", "actual": "10", "actual_men": "11"}, "actual_men"),
        ({"measure": "weapons_destroyed", "target_women": "10"}, "target_women"),
        ({"unit": "officers", "actual": "5", "actual_men": "5"}, "actual_men"),
    ],
)
def test_bad_measures_and_breakdowns_are_refused_naming_the_field(client, fields, loc):
    project = make_project(client)
    body = {"unit": "people"} | fields if "measure" not in fields else fields
    body = {k: v for k, v in body.items() if v is not None}
    response = add(client, project["id"], expect=422, **body)
    assert_problem(response, 422, ["body", loc])
    assert ok(client.get(indicators_url(project["id"]))) == []  # nothing half-written


def test_an_unknown_measure_is_answered_with_the_allowed_ones(client):
    response = add(client, make_project(client)["id"], expect=422, measure="weapons_melted")
    detail = assert_problem(response, 422, ["body", "measure"])
    message = " ".join(e["msg"] for e in detail["errors"])
    assert all(m.code in message for m in MEASURES)


def test_people_counted_with_women_and_men_and_some_unrecorded(client):
    project = make_project(client)
    made = add(
        client,
        project["id"],
        measure="people_trained",
        target="120",
        target_women="40",
        target_men="70",
        actual="95",
        actual_women="35",
        actual_men="60",
    )
    assert made["unit"] == "people"
    assert [Decimal(made[n]) for n in ("target_women", "target_men", "actual_women", "actual_men")] == [
        40,
        70,
        35,
        60,
    ]
    assert ok(client.get(indicators_url(project["id"])))[0]["actual_men"] == made["actual_men"]


# -- changes keep the rules, checked on the record as it would be --------------------------------------


def test_patch_checks_the_breakdown_against_the_stored_total(client):
    made = add(client, make_project(client)["id"], measure="people_trained", target="100", target_women="50")
    assert_problem(patch(client, made, target_men="51"), 422, ["body", "target_men"])
    assert_problem(patch(client, made, target="49"), 422, ["body", "target_women"])
    fixed = ok(patch(client, made, target_men="50"))
    assert (Decimal(fixed["target_women"]), Decimal(fixed["target_men"])) == (50, 50)
    assert fixed["version"] == made["version"] + 1


def test_patch_an_actual_breakdown_needs_an_actual(client):
    made = add(client, make_project(client)["id"], measure="people_reached", target="2000")
    assert_problem(patch(client, made, actual_women="900"), 422, ["body", "actual_women"])
    done = ok(patch(client, made, actual="1500", actual_women="900", actual_men="550"))
    assert done["actual_women"] == "900"
    assert_problem(patch(client, done, actual=None), 422, ["body", "actual_women"])


def test_patch_to_a_measure_that_does_not_count_people_is_refused_while_women_and_men_remain(client):
    made = add(client, make_project(client)["id"], measure="people_trained", target="100", target_men="30")
    assert_problem(patch(client, made, measure="depots_upgraded"), 422, ["body", "target_men"])
    moved = ok(patch(client, made, measure="depots_upgraded", target_men=None, target="4"))
    assert (moved["measure"], moved["unit"], moved["target_men"]) == ("depots_upgraded", "sites", None)


def test_patch_choosing_a_measure_sets_its_unit_and_another_unit_is_refused(client):
    made = add(client, make_project(client)["id"], name="Rifles cut", unit="rifles", target="300")
    chosen = ok(patch(client, made, measure="weapons_destroyed"))
    assert (chosen["measure"], chosen["unit"], chosen["measure_label"]) == (
        "weapons_destroyed",
        "weapons",
        "Weapons destroyed",
    )
    assert_problem(patch(client, chosen, unit="rifles"), 422, ["body", "unit"])
    freed = ok(patch(client, chosen, measure=None, unit="rifles"))
    assert (freed["measure"], freed["unit"]) == (None, "rifles")


def test_changes_to_measures_and_breakdowns_are_audited(client):
    made = add(client, make_project(client)["id"], measure="people_trained", target="100")
    ok(patch(client, made, actual="80", actual_women="30"))
    trail = ok(client.get(f"/api/v1/projects/{made['project_id']}/audit"))["items"]
    update = next(e for e in trail if e["action"] == "update" and e["entity"] == "indicator")
    assert set(update["changes"]) == {"actual", "actual_women"}
    created = next(e for e in trail if e["action"] == "create" and e["entity"] == "indicator")
    assert created["changes"]["measure"][1] == "people_trained"


def test_openapi_describes_measures_and_breakdowns(client):
    schema = ok(client.get("/openapi.json"))
    create = schema["components"]["schemas"]["IndicatorCreate"]["properties"]
    assert "people_trained" in str(create["measure"])
    assert "not recorded" in create["target_women"]["description"]
    assert "/api/v1/measures" in schema["paths"]


# -- sample and synthetic data ---------------------------------------------------------------------------


def indicator_rows(db):
    with Session(db.engine) as session:
        return list(session.exec(select(Indicator)))


def check_by_the_rules(rows):
    """Every stored indicator passes the service's own rules, as it stands."""
    for row in rows:
        values = {n: getattr(row, n) for n in INDICATOR_FIELDS}
        assert settle_indicator(values) == values, row


def test_the_sample_portfolio_counts_in_standard_measures_with_women_and_men(app, db, client):
    with db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    rows = indicator_rows(db)
    check_by_the_rules(rows)
    measured = {r.measure for r in rows if r.measure}
    assert {"weapons_destroyed", "ammunition_destroyed", "people_trained", "depots_upgraded"} <= measured
    people = [r for r in rows if r.measure in ("people_trained", "people_reached")]
    assert people and all(r.target_women is not None and r.target_men is not None for r in people)
    assert any(r.target_women + r.target_men < r.target for r in people)  # some sex not recorded
    assert all(r.target_women is None for r in rows if r.measure not in ("people_trained", "people_reached"))
    # the API shows what is stored, to the person
    project_id = people[0].project_id
    shown = ok(client.get(indicators_url(project_id)))
    women = sum(Decimal(i["target_women"]) for i in shown if i["target_women"] is not None)
    assert women == sum(r.target_women for r in people if r.project_id == project_id)


def test_synthetic_indicators_carry_measures_by_the_rules(db):
    generate(db.engine, projects=60, pledges=200, seed=3)
    rows = indicator_rows(db)
    check_by_the_rules(rows)
    measured = [r for r in rows if r.measure]
    assert len(measured) >= len(rows) // 2
    assert all(r.unit == BY_CODE[r.measure].unit for r in measured)
    people = [r for r in measured if BY_CODE[r.measure].people]
    split = [r for r in people if r.target_women is not None]
    assert split and all(r.target_women + r.target_men <= r.target for r in split)
    trained = [r for r in split if r.measure == "people_trained"]
    women, men, total = (
        sum(getattr(r, n) for r in trained) for n in ("target_women", "target_men", "target")
    )
    assert 0 < women < men and women + men <= total  # security-force trainees are mostly men
