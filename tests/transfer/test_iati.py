"""The IATI 2.03 activity export: valid against the 2.03 schema (kept in tests/data/iati, resolved
offline), every code in its codelist, the Standard Ruleset's checks, and the numbers the API gives."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import event, text

from portfolio.demo import load_demo_data
from portfolio.projects.repository import ProjectFilters
from portfolio.states.reference import load_reference_states
from portfolio.transfer.iati import IatiIdentifierClash, budget_periods, iati_activities
from tests import factories
from tests.factories import make_pledge, make_rate, move, ok, receive

DATA = Path(__file__).resolve().parents[1] / "data" / "iati"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ISO2 = {s.code: s.iso2 for s in load_reference_states()}
NAMES = {s.code: s.name for s in load_reference_states()}
OSCE_REF = "XM-DAC-47131"


def make_project(client, **overrides):
    """A project with a planned start (a project without a start of any kind is not published)."""
    return factories.make_project(client, **({"start_date": "2024-02-01"} | overrides))


# -- the schema and the codelists, from tests/data/iati only ----------------------------------------


class _LocalOnly(etree.Resolver):
    """Refuse anything the schema would fetch from the network; relative paths resolve next to it."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def resolve(self, system_url, public_id, context):
        if re.match(r"^[a-z]+://", system_url or "") and not system_url.startswith("file:"):
            raise AssertionError(f"the schema tried to fetch {system_url}")
        self.seen.append(system_url)


@cache
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    resolver = _LocalOnly()
    parser.resolvers.add(resolver)
    loaded = etree.XMLSchema(etree.parse(str(DATA / "iati-activities-schema.xsd"), parser))
    # iati-common.xsd and xml.xsd came from beside it, not from the network.
    assert {Path(url).name for url in resolver.seen} >= {"iati-common.xsd", "xml.xsd"}
    assert all(Path(url).parent == DATA for url in resolver.seen), resolver.seen
    return loaded


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of a codelist that are not withdrawn."""
    root = etree.parse(str(DATA / "codelists" / f"{name}.xml"))
    return frozenset(
        item.findtext("code").strip()
        for item in root.iter("codelist-item")
        if item.get("status") != "withdrawn"
    )


@cache
def codelist_names(name: str) -> dict[str, str]:
    root = etree.parse(str(DATA / "codelists" / f"{name}.xml"))
    return {
        item.findtext("code").strip(): item.findtext("name/narrative") for item in root.iter("codelist-item")
    }


# Every coded attribute the export writes, and the codelist its values must come from.
CODED = {
    ("description", "type"): "DescriptionType",
    ("aid-type", "code"): "AidType",
    ("iati-activity", "default-currency"): "Currency",
    ("reporting-org", "type"): "OrganisationType",
    ("participating-org", "role"): "OrganisationRole",
    ("participating-org", "type"): "OrganisationType",
    ("activity-status", "code"): "ActivityStatus",
    ("activity-date", "type"): "ActivityDateType",
    ("recipient-country", "code"): "Country",
    ("sector", "vocabulary"): "SectorVocabulary",
    ("sector", "code"): "Sector",  # every sector is vocabulary 1 (asserted below)
    ("tag", "vocabulary"): "TagVocabulary",
    ("tag", "code"): "UNSDG-Targets",  # every tag is vocabulary 3 (asserted below)
    ("policy-marker", "code"): "PolicyMarker",
    ("policy-marker", "significance"): "PolicySignificance",
    ("budget", "type"): "BudgetType",
    ("budget", "status"): "BudgetStatus",
    ("transaction-type", "code"): "TransactionType",
    ("value", "currency"): "Currency",
    ("provider-org", "type"): "OrganisationType",
    ("receiver-org", "type"): "OrganisationType",
    ("result", "type"): "ResultType",
    ("indicator", "measure"): "IndicatorMeasure",
    ("category", "code"): "DocumentCategory",
}
# Coded attributes whose codelists are not kept here, with the one value the export may use.
FIXED = {
    ("policy-marker", "vocabulary"): "1",  # PolicyMarkerVocabulary 1: OECD DAC CRS
}
# Coded attributes whose codelists are not kept here, with the form their values must have.
PATTERNED = {
    ("language", "code"): r"[a-z]{2}",  # ISO 639-1
}
ORGANISATIONS = ("reporting-org", "participating-org", "provider-org", "receiver-org")
CODE_ATTRIBUTES = {"code", "type", "role", "vocabulary", "significance", "measure", "status", "currency"}


def check_codes(doc: etree._Element, org_ref: str = OSCE_REF) -> None:
    for element in doc.iter(*ORGANISATIONS):
        # The reporting organisation's own identifier, or a donor's from the OrganisationIdentifier list.
        ref = element.get("ref")
        assert ref is None or ref == org_ref or ref in codelist("OrganisationIdentifier"), ref
    for element in doc.iter(etree.Element):
        for attribute, value in element.attrib.items():
            key = (element.tag, attribute)
            if key in CODED:
                assert value in codelist(CODED[key]), f"{key}={value!r} is not in {CODED[key]}"
            elif key in FIXED:
                assert value == FIXED[key], key
            elif key in PATTERNED:
                assert re.fullmatch(PATTERNED[key], value), key
            else:
                assert attribute not in CODE_ATTRIBUTES, f"{key} is not checked against a codelist"
    assert {s.get("vocabulary") for s in doc.iter("sector")} <= {"1"}
    assert {t.get("vocabulary") for t in doc.iter("tag")} <= {"3"}


def one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def check_rules(doc: etree._Element, org_ref: str, today: date) -> None:
    """The IATI Standard Ruleset's checks (and the brief's) on every activity."""
    assert doc.get("version") == "2.03"
    identifiers = [a.findtext("iati-identifier") for a in doc.iter("iati-activity")]
    assert len(identifiers) == len(set(identifiers)), "identifiers must be unique"
    for activity in doc.iter("iati-activity"):
        identifier = activity.findtext("iati-identifier")
        assert not re.search(r"[/&|?\s]", identifier), identifier
        assert identifier.startswith(f"{org_ref}-")
        assert activity.find("reporting-org").get("ref") == org_ref
        assert activity.get(XML_LANG) == "en" and activity.get("default-currency") == "EUR"
        assert activity.get("humanitarian") == "0"
        updated = datetime.fromisoformat(activity.get("last-updated-datetime"))
        assert updated <= datetime.now(UTC)

        dates = {d.get("type"): date.fromisoformat(d.get("iso-date")) for d in activity.iter("activity-date")}
        assert len(dates) == len(activity.findall("activity-date")), "one date of each type"
        assert "1" in dates or "2" in dates, f"{identifier}: no planned or actual start"
        for less, more in (("1", "3"), ("2", "4")):
            if less in dates and more in dates:
                assert dates[less] <= dates[more], identifier
        for actual in ("2", "4"):
            if actual in dates:
                assert dates[actual] <= today, identifier

        countries = [Decimal(c.get("percentage")) for c in activity.findall("recipient-country")]
        assert countries and sum(countries) == 100 and min(countries) > 0, identifier
        sectors = [Decimal(s.get("percentage")) for s in activity.findall("sector")]
        assert sectors and sum(sectors) == 100 and min(sectors) > 0, identifier
        for marker in activity.findall("policy-marker"):
            assert marker.get("significance") is not None

        previous_end: dict[str, date] = {}  # the budgets of one type (original, revised) never overlap
        for budget in activity.findall("budget"):
            start = date.fromisoformat(budget.find("period-start").get("iso-date"))
            end = date.fromisoformat(budget.find("period-end").get("iso-date"))
            assert start <= end < one_year_later(start), f"{identifier}: budget period over a year"
            kind = budget.get("type")
            assert kind not in previous_end or start > previous_end[kind], "periods of a type never overlap"
            previous_end[kind] = end

        for value in activity.iter("value"):
            assert value.get("value-date"), "every value has a value-date"
            assert value.get("currency") or activity.get("default-currency"), "every value has a currency"
            assert re.fullmatch(r"-?\d+(\.\d+)?", value.text), value.text
        for transaction in activity.findall("transaction"):
            assert date.fromisoformat(transaction.find("transaction-date").get("iso-date")) <= today
            assert date.fromisoformat(transaction.find("value").get("value-date")) <= today
            for org in ("provider-org", "receiver-org"):  # either may be left out; one given names someone
                found = transaction.find(org)
                assert found is None or found.get("ref") or found.findtext("narrative")
        for org in activity.findall("participating-org"):
            assert org.get("ref") or org.findtext("narrative")
        for period in activity.iter("period"):
            start = date.fromisoformat(period.find("period-start").get("iso-date"))
            assert start <= date.fromisoformat(period.find("period-end").get("iso-date"))


def export(db, settings, filters: ProjectFilters | None = None, **options) -> etree._Element:
    """The export, parsed, after checking it against the schema, the codelists and the rules."""
    with db.session() as session:
        data = iati_activities(session, filters or ProjectFilters(), settings, **options)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    doc = etree.fromstring(data)
    if len(doc.findall("iati-activity")):  # the schema wants at least one activity
        schema().assertValid(doc)
    check_codes(doc, settings.iati_org_ref)
    check_rules(doc, settings.iati_org_ref, options.get("today") or date.today())
    return doc


def activity(doc: etree._Element, code: str, org_ref: str = OSCE_REF) -> etree._Element:
    wanted = f"{org_ref}-{code}".replace("/", "-")
    found = [a for a in doc.iter("iati-activity") if a.findtext("iati-identifier") == wanted]
    assert len(found) == 1, f"{wanted} in {[a.findtext('iati-identifier') for a in doc]}"
    return found[0]


def transactions(element: etree._Element, type_code: str | None = None) -> list[dict[str, str | None]]:
    out = []
    for t in element.findall("transaction"):
        code = t.find("transaction-type").get("code")
        if type_code is None or code == type_code:
            value = t.find("value")
            out.append(
                {
                    "type": code,
                    "date": t.find("transaction-date").get("iso-date"),
                    "value": value.text,
                    "value_date": value.get("value-date"),
                    "currency": value.get("currency"),
                    "provider": t.findtext("provider-org/narrative"),
                    "provider_ref": t.find("provider-org").get("ref"),
                    "aid_type": t.find("aid-type").get("code") if t.find("aid-type") is not None else None,
                    "description": t.findtext("description/narrative"),
                }
            )
    return out


def orgs(element: etree._Element) -> list[tuple[str, str | None, str | None, str | None]]:
    return [
        (o.get("role"), o.get("type"), o.get("ref"), o.findtext("narrative"))
        for o in element.findall("participating-org")
    ]


def budgets(element: etree._Element) -> list[tuple[str, str, str]]:
    return [
        (b.find("period-start").get("iso-date"), b.find("period-end").get("iso-date"), b.findtext("value"))
        for b in element.findall("budget")
    ]


def dates(element: etree._Element) -> list[tuple[str, str]]:
    return [(d.get("type"), d.get("iso-date")) for d in element.findall("activity-date")]


OSCE = ("2", "40", OSCE_REF, "Organization for Security and Co-operation in Europe")


# -- the sample portfolio -----------------------------------------------------------------------------


def test_the_sample_portfolio_is_valid_iati_and_matches_the_api(app, db, client, settings):
    with db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    doc = export(db, settings)
    projects = ok(client.get("/api/v1/projects", params={"limit": 500, "sort": "code"}))
    pledges = ok(client.get("/api/v1/pledges", params={"limit": 500}))
    assert pledges["total"] == len(pledges["items"])

    activities = doc.findall("iati-activity")
    assert projects["total"] == 30
    by_code = {p["code"]: p for p in projects["items"]}

    def started(project):
        history = ok(client.get(f"/api/v1/projects/{project['id']}/history"))
        return project["start_date"] is not None or any(h["to"] == "implementation" for h in history)

    # A project with neither a planned nor an actual start is left out, and the document says so.
    published = sorted(code for code, p in by_code.items() if started(p))
    left_out = sorted(set(by_code) - set(published))
    assert 0 < len(left_out) < 30
    assert [a.findtext("iati-identifier") for a in activities] == [f"{OSCE_REF}-{code}" for code in published]
    comment = doc[0]
    assert comment.tag is etree.Comment
    assert comment.text == " Left out: " + ", ".join(f"{c} (no start date)" for c in left_out) + " "

    pledges_of = defaultdict(list)
    for pledge in pledges["items"]:
        pledges_of[pledge["project_id"]].append(pledge)
    statuses = set()
    for element in activities:
        project = by_code[element.findtext("iati-identifier").removeprefix(f"{OSCE_REF}-")]
        mine = pledges_of[project["id"]]
        live = [p for p in mine if p["status"] != "withdrawn"]
        outstanding = any(Decimal(p["received"]) < Decimal(p["amount"]) for p in live)

        assert element.findtext("title/narrative") == project["title"]
        assert [(c.get("code"), c.get("percentage")) for c in element.findall("recipient-country")] == [
            (ISO2[b], "100") for b in project["beneficiaries"]
        ]
        markers = [m.get("significance") for m in element.findall("policy-marker")]
        assert markers == ([] if project["gender_marker"] is None else [str(project["gender_marker"])])
        assert [t.get("code") for t in element.findall("tag")] == project["sdg_targets"]
        expected_status = {"implementation": "2", "cancelled": "5", "on_hold": "6"}
        expected_status["completed"] = "3" if outstanding else "4"
        assert element.find("activity-status").get("code") == expected_status.get(project["status"], "1")
        statuses.add(element.find("activity-status").get("code"))

        # The budget, split in periods, adds up to the project's budget (or is absent without dates).
        values = [Decimal(v) for _, _, v in budgets(element)]
        if project["start_date"] and project["end_date"]:
            assert sum(values) == Decimal(project["budget_eur"])
            assert budgets(element)[0][0] == project["start_date"]
            assert budgets(element)[-1][1] == project["end_date"]
        else:
            assert values == []

        # Receipts: per currency, what the API says was received on the project's pledges.
        received = Counter()
        for pledge in mine:
            received[pledge["currency"]] += Decimal(pledge["received"])
        exported = Counter()
        for t in transactions(element, "1"):
            exported[t["currency"] or "EUR"] += Decimal(t["value"])
        assert +exported == +received, project["code"]

        # Commitments and pledges, one each; withdrawn pledges nowhere.
        def key(p):
            return (p["pledged_on"], p["amount"], None if p["currency"] == "EUR" else p["currency"])

        def exported_as(code, element=element):
            return sorted((t["date"], t["value"], t["currency"]) for t in transactions(element, code))

        assert exported_as("11") == sorted(key(p) for p in live if p["status"] in ("committed", "paid"))
        assert exported_as("13") == sorted(key(p) for p in live if p["status"] == "pledged")
        donors = sorted({NAMES[p["donor"]] for p in live})
        funders = [name for role, _, _, name in orgs(element) if role == "1"]
        assert funders == donors
        for t in transactions(element):  # money in comes from donors; money out is the OSCE's own spending
            assert t["provider"] in donors if t["type"] != "4" else t["provider"] == OSCE[3]
        spent = ok(client.get(f"/api/v1/projects/{project['id']}/spending"))["spent_eur"]
        assert sum((Decimal(t["value"]) for t in transactions(element, "4")), Decimal(0)) == Decimal(spent)
    assert statuses >= {"1", "2", "5", "6"} and statuses & {"3", "4"}
    # The sample has withdrawn pledges, in-kind pledges and foreign currencies: all were exercised.
    assert any(p["status"] == "withdrawn" for p in pledges["items"])
    assert any(t.find("aid-type") is not None for t in doc.iter("transaction"))
    assert {v.get("currency") for v in doc.iter("value")} > {None, "USD"}


def test_statements_do_not_grow_with_the_number_of_projects(db, client, settings):
    def add(n):
        project = make_project(
            client,
            code=f"N1-{n}",
            start_date="2024-01-01",
            end_date="2025-06-30",
            beneficiaries=["SRB", "ALB"],
        )
        pledge = make_pledge(client, project["id"], status="committed", donor=["DEU", "FRA"][n % 2])
        ok(receive(client, pledge["id"], "1000.00"), 201)
        url = f"/api/v1/projects/{project['id']}/indicators"
        ok(client.post(url, json={"name": "Depots", "unit": "sites", "target": "3"}), 201)
        move(client, project["id"], "assessment", "planning", "seeking_funding", "implementation")

    def statements():
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            export(db, settings)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    add(0)
    add(1)
    few = statements()
    for n in range(2, 8):
        add(n)
    assert statements() == few


# -- one project at a time ------------------------------------------------------------------------------


def test_a_project_without_pledges_has_no_transactions_and_only_the_osce(db, client, settings):
    make_project(client, code="P-NOPLEDGE")
    element = activity(export(db, settings), "P-NOPLEDGE")
    assert element.findall("transaction") == []
    assert orgs(element) == [OSCE]


def test_a_project_that_only_started_in_practice_has_its_actual_start_and_no_budget(db, client, settings):
    project = make_project(
        client, code="P-NODATES", request_date="2023-05-04", start_date=None, description=""
    )
    move(
        client, project["id"], "assessment", "planning", "seeking_funding", "implementation", on="2023-05-04"
    )
    url = f"/api/v1/projects/{project['id']}/indicators"
    ok(client.post(url, json={"name": "Ammunition destroyed", "unit": "tonnes", "target": "300"}), 201)
    element = activity(export(db, settings, today=date(2026, 1, 31)), "P-NODATES")
    assert dates(element) == [("2", "2023-05-04")]
    assert element.findall("budget") == []
    # The schema requires a description: an empty one repeats the title.
    assert element.findtext("description/narrative") == project["title"]
    indicator = element.find("result/indicator")
    assert indicator.find("baseline").get("year") == "2023"
    assert indicator.find("period/period-start").get("iso-date") == "2023-05-04"
    assert indicator.find("period/period-end").get("iso-date") == "2026-01-31"
    assert indicator.find("period/actual") is None


@pytest.mark.parametrize(
    ("path", "status", "actual"),
    [
        ((), "1", []),
        (("assessment", "planning", "seeking_funding"), "1", []),
        (("assessment", "planning", "seeking_funding", "implementation"), "2", [("2", "2024-06-03")]),
        (
            ("assessment", "planning", "seeking_funding", "implementation", "completed"),
            "4",
            [("2", "2024-06-03"), ("4", "2024-06-03")],
        ),
        (("assessment", "cancelled"), "5", []),
        (("assessment", "planning", "on_hold"), "6", []),
        (
            ("assessment", "planning", "seeking_funding", "implementation", "on_hold"),
            "6",
            [("2", "2024-06-03")],
        ),
    ],
)
def test_status_and_dates_follow_the_lifecycle(db, client, settings, path, status, actual):
    project = make_project(client, code="P-LIFE", start_date="2024-02-01", end_date="2025-01-31")
    move(client, project["id"], *path, on="2024-06-03")
    element = activity(export(db, settings), "P-LIFE")
    assert element.find("activity-status").get("code") == status
    assert dates(element) == sorted([("1", "2024-02-01"), ("3", "2025-01-31"), *actual])


def test_nothing_after_today_is_published_as_done(db, client, settings):
    project = make_project(client, code="P-LATER", start_date="2024-02-01", end_date="2025-01-31")
    pledge = make_pledge(client, project["id"], status="committed", pledged_on="2024-03-10")
    ok(receive(client, pledge["id"], "1000.00", "2024-05-02"), 201)
    make_pledge(client, project["id"], pledged_on="2024-04-20", donor="FRA")
    move(
        client, project["id"], "assessment", "planning", "seeking_funding", "implementation", on="2024-06-03"
    )
    generated = datetime(2024, 4, 1, 12, 30, tzinfo=UTC)
    doc = export(db, settings, today=date(2024, 4, 1), generated=generated)
    assert doc.get("generated-datetime") == "2024-04-01T12:30:00Z"
    element = activity(doc, "P-LATER")
    assert [(t["type"], t["date"]) for t in transactions(element)] == [("11", "2024-03-10")]
    assert dates(element) == [("1", "2024-02-01"), ("3", "2025-01-31")]
    # Both donors still take part: France has pledged, only not yet by the day of the export.
    assert [name for role, *_, name in orgs(element) if role == "1"] == ["France", "Germany"]


def test_a_regional_project_shares_its_countries_to_exactly_100(db, client, settings):
    make_project(client, code="P-REGION", beneficiaries=["SRB", "BIH", "MNE"])
    element = activity(export(db, settings), "P-REGION")
    assert [(c.get("code"), c.get("percentage")) for c in element.findall("recipient-country")] == [
        ("BA", "33.33"),
        ("ME", "33.33"),
        ("RS", "33.34"),
    ]


def test_a_code_with_slashes_gives_a_safe_identifier(db, client, settings):
    make_project(client, code="SALW/2024/07.1")
    doc = export(db, settings)
    assert [a.findtext("iati-identifier") for a in doc] == ["XM-DAC-47131-SALW-2024-07.1"]


def test_two_codes_that_would_share_an_identifier_are_refused(db, client, settings):
    make_project(client, code="AB/12")
    make_project(client, code="AB-12")
    with db.session() as session, pytest.raises(IatiIdentifierClash, match="AB-12"):
        iati_activities(session, ProjectFilters(), settings)


def test_text_is_escaped_and_control_characters_are_dropped(db, client, settings):
    # The API refuses control characters now; a record stored before that still holds them.
    project = make_project(client, code="P-TEXT", title="Depots")
    with db.session(write=True) as session:
        session.execute(
            text(
                "UPDATE project SET title = :title, description = :description, "
                "implementing_partner = :partner WHERE id = :id"
            ),
            {
                "title": "Depots & <stores>\x07 upgrade\x1f",
                "description": "Line one\nline two\x0b\ttabbed & done",
                "partner": "UNDP & \x01OSCE",
                "id": project["id"],
            },
        )
    with db.session() as session:
        data = iati_activities(session, ProjectFilters(), settings)
    assert b"Depots &amp; &lt;stores&gt; upgrade" in data
    element = activity(export(db, settings), "P-TEXT")
    assert element.findtext("title/narrative") == "Depots & <stores> upgrade"
    assert element.findtext("description/narrative") == "Line one\nline two\ttabbed & done"
    assert orgs(element)[-1] == ("4", None, None, "UNDP & OSCE")


@pytest.mark.parametrize(
    ("areas", "activity_types", "sectors"),
    [
        # Depots of ammunition are SALW control, not mines or explosive remnants of war (15250).
        (["SCA"], ["stockpile_security"], [("15240", "100")]),
        (["SCA"], ["surplus_destruction_ammunition"], [("15240", "100")]),
        # Melange and other propellant components are hazardous waste.
        (["SCA"], ["hazardous_propellant_disposal"], [("14050", "100")]),
        (["SALW"], ["legislation_and_policy"], [("15210", "100")]),
        (["SALW"], ["marking_and_tracing", "record_keeping", "deactivation"], [("15240", "100")]),
        (
            ["SCA"],
            ["hazardous_propellant_disposal", "stockpile_security", "training_and_capacity"],
            [("14050", "33.33"), ("15240", "66.67")],
        ),
        (
            ["SALW", "SCA"],
            ["legislation_and_policy", "surplus_destruction_salw"],
            [("15210", "50"), ("15240", "50")],
        ),
        (["SALW", "SCA"], [], [("15240", "100")]),
    ],
)
def test_sectors_follow_the_activity_types_not_the_area(db, client, settings, areas, activity_types, sectors):
    make_project(client, code="P-AREAS", areas=areas, activity_types=activity_types)
    element = activity(export(db, settings), "P-AREAS")
    assert [(s.get("code"), s.get("percentage")) for s in element.findall("sector")] == sectors
    assert codelist_names("Sector")["15240"] == "Reintegration and SALW control"
    assert codelist_names("Sector")["14050"] == "Waste management/disposal"
    assert codelist_names("Sector")["15210"] == "Security system management and reform"


def test_every_activity_type_has_a_sector():
    from portfolio.projects.schemas import ActivityType
    from portfolio.transfer.iati import SECTORS

    assert set(SECTORS) == {t.value for t in ActivityType}
    assert set(SECTORS.values()) <= codelist("Sector") - {"15250"}


def test_pledges_commitments_and_receipts(db, client, settings):
    make_rate(client, "USD", "2024-03", "0.9")
    make_rate(client, "USD", "2024-05", "0.92")
    project = make_project(
        client, code="P-MONEY", implementing_partner="OSCE Mission to Serbia", request_date="2023-12-12"
    )
    committed = make_pledge(
        client, project["id"], donor="USA", currency="USD", amount="100000.00", status="committed"
    )
    ok(receive(client, committed["id"], "40000.00", "2024-05-02"), 201)
    make_pledge(
        client, project["id"], donor="NOR", kind="in_kind", amount="25000.00", pledged_on="2024-04-02"
    )
    withdrawn = make_pledge(client, project["id"], donor="JPN", amount="5000.00")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    paid = make_pledge(client, project["id"], donor="DEU", amount="2000.50", pledged_on="2024-01-05")
    ok(receive(client, paid["id"], "2000.50", "2024-02-01"), 201)
    make_pledge(client, project["id"], donor="POL", amount="700.00", pledged_on="2024-06-01")

    element = activity(export(db, settings), "P-MONEY")
    assert transactions(element)[-1] == {
        "type": "13",
        "date": "2024-06-01",
        "value": "700.00",
        "value_date": "2024-06-01",
        "currency": None,
        "provider": "Poland",
        "provider_ref": None,  # no public list gives Poland an identifier: named only
        "aid_type": None,
        "description": None,
    }
    assert transactions(element)[:-1] == [
        {
            "type": "11",  # paid: its receipts reached it
            "date": "2024-01-05",
            "value": "2000.50",
            "value_date": "2024-01-05",
            "currency": None,
            "provider": "Germany",
            "provider_ref": "DE-11",
            "aid_type": None,
            "description": None,
        },
        {
            "type": "1",
            "date": "2024-02-01",
            "value": "2000.50",
            "value_date": "2024-02-01",
            "currency": None,
            "provider": "Germany",
            "provider_ref": "DE-11",
            "aid_type": None,
            "description": None,
        },
        {
            "type": "11",
            "date": "2024-03-10",
            "value": "100000.00",
            "value_date": "2024-03-10",
            "currency": "USD",
            "provider": "United States of America",
            "provider_ref": "US-11",
            "aid_type": None,
            "description": None,
        },
        {
            "type": "13",  # only pledged, in kind
            "date": "2024-04-02",
            "value": "25000.00",
            "value_date": "2024-04-02",
            "currency": None,
            "provider": "Norway",
            "provider_ref": "NO-4",
            "aid_type": "D02",  # in kind: other technical assistance, not a free-text note
            "description": None,
        },
        {
            "type": "1",
            "date": "2024-05-02",
            "value": "40000.00",
            "value_date": "2024-05-02",
            "currency": "USD",
            "provider": "United States of America",
            "provider_ref": "US-11",
            "aid_type": None,
            "description": None,
        },
    ]
    receiver = element.find("transaction/receiver-org")
    assert (receiver.get("ref"), receiver.get("type")) == ("XM-DAC-47131", "40")
    assert orgs(element) == [
        ("1", "10", "DE-11", "Germany"),
        ("1", "10", "NO-4", "Norway"),
        ("1", "10", None, "Poland"),
        ("1", "10", "US-11", "United States of America"),
        OSCE,
        ("4", None, None, "OSCE Mission to Serbia"),
    ]  # Japan withdrew: neither a funder nor a transaction


def test_a_two_year_budget_is_split_per_year_to_the_cent(db, client, settings):
    make_project(
        client, code="P-BUDGET", start_date="2024-01-01", end_date="2025-12-31", budget_eur="1000000.00"
    )
    element = activity(export(db, settings), "P-BUDGET")
    assert budgets(element) == [
        ("2024-01-01", "2024-12-31", "500683.99"),  # 366 of 731 days
        ("2025-01-01", "2025-12-31", "499316.01"),  # the rest
    ]
    assert [(b.get("type"), b.get("status")) for b in element.findall("budget")] == [("1", "1")] * 2
    assert [b.find("value").get("value-date") for b in element.findall("budget")] == [
        "2024-01-01",
        "2025-01-01",
    ]


@pytest.mark.parametrize(
    ("start", "end", "amount", "periods"),
    [
        (date(2024, 3, 1), date(2024, 3, 1), "10.00", [("2024-03-01", "2024-03-01", "10.00")]),
        (date(2024, 3, 1), date(2025, 2, 28), "10.00", [("2024-03-01", "2025-02-28", "10.00")]),
        (
            date(2024, 2, 29),
            date(2025, 3, 1),
            "100.00",
            [("2024-02-29", "2025-02-28", "99.73"), ("2025-03-01", "2025-03-01", "0.27")],
        ),
        (
            date(2024, 7, 1),
            date(2026, 12, 31),
            "0.01",
            [
                ("2024-07-01", "2025-06-30", "0.00"),
                ("2025-07-01", "2026-06-30", "0.00"),
                ("2026-07-01", "2026-12-31", "0.01"),
            ],
        ),
        (
            date(2024, 7, 1),
            date(2026, 12, 31),
            "914000.00",
            [
                ("2024-07-01", "2025-06-30", "365000.00"),
                ("2025-07-01", "2026-06-30", "365000.00"),
                ("2026-07-01", "2026-12-31", "184000.00"),
            ],
        ),
    ],
)
def test_budget_periods(start, end, amount, periods):
    assert [
        (a.isoformat(), b.isoformat(), str(v)) for a, b, v in budget_periods(start, end, Decimal(amount))
    ] == periods


def test_indicators_become_output_results(db, client, settings):
    project = make_project(client, code="P-RESULTS", start_date="2024-09-01", end_date="2026-08-31")
    url = f"/api/v1/projects/{project['id']}/indicators"
    ok(client.post(url, json={"name": "Ammunition destroyed", "unit": "tonnes", "target": "300"}), 201)
    body = {"name": "People trained", "unit": "persons", "baseline": "5", "target": "120", "actual": "64.5"}
    ok(client.post(url, json=body), 201)
    element = activity(export(db, settings), "P-RESULTS")
    results = element.findall("result")
    assert [r.get("type") for r in results] == ["1", "1"]
    assert [r.findtext("title/narrative") for r in results] == ["Ammunition destroyed", "People trained"]
    shown = [
        (
            i.get("measure"),
            i.findtext("title/narrative"),
            i.find("baseline").get("year"),
            i.find("baseline").get("value"),
            i.find("period/period-start").get("iso-date"),
            i.find("period/period-end").get("iso-date"),
            i.find("period/target").get("value"),
            [a.get("value") for a in i.findall("period/actual")],
        )
        for i in element.iter("indicator")
    ]
    assert shown == [
        ("1", "Ammunition destroyed (tonnes)", "2024", "0", "2024-09-01", "2026-08-31", "300", []),
        ("1", "People trained (persons)", "2024", "5", "2024-09-01", "2026-08-31", "120", ["64.5"]),
    ]


def test_gender_marker_and_sdg_targets(db, client, settings):
    make_project(client, code="P-MARKERS", gender_marker=2, sdg_targets=["16.4", "5.5"])
    element = activity(export(db, settings), "P-MARKERS")
    marker = element.find("policy-marker")
    assert (marker.get("vocabulary"), marker.get("code"), marker.get("significance")) == ("1", "1", "2")
    assert [(t.get("vocabulary"), t.get("code")) for t in element.findall("tag")] == [
        ("3", "16.4"),
        ("3", "5.5"),
    ]


def test_the_reporting_organisation_comes_from_the_settings(db, client, settings):
    make_project(client, code="P-ORG")
    ours = settings.model_copy(update={"iati_org_ref": "XM-OSCE-1", "iati_org_name": "OSCE FSC Support"})
    element = activity(export(db, ours), "P-ORG", org_ref="XM-OSCE-1")
    assert element.findtext("iati-identifier") == "XM-OSCE-1-P-ORG"
    reporting = element.find("reporting-org")
    assert (reporting.get("ref"), reporting.get("type"), reporting.findtext("narrative")) == (
        "XM-OSCE-1",
        "40",
        "OSCE FSC Support",
    )
    assert orgs(element) == [("2", "40", "XM-OSCE-1", "OSCE FSC Support")]


def test_the_filters_select_what_the_project_list_selects(db, client, settings):
    running = make_project(client, code="F-RUNNING", areas=["SALW"], beneficiaries=["ALB"])
    move(client, running["id"], "assessment", "planning", "seeking_funding", "implementation")
    make_project(client, code="F-REQUESTED", areas=["SCA"], beneficiaries=["SRB"])
    other = make_project(client, code="F-FUNDED", areas=["SCA"], budget_eur="100.00")
    make_pledge(client, other["id"], amount="100.00", donor="AUT")

    def codes(filters, **params):
        doc = export(db, settings, filters)
        listed = ok(client.get("/api/v1/projects", params={"sort": "code", **params}))["items"]
        assert [a.findtext("iati-identifier").removeprefix("XM-DAC-47131-") for a in doc] == [
            p["code"] for p in listed
        ]
        return [p["code"] for p in listed]

    assert codes(ProjectFilters()) == ["F-FUNDED", "F-REQUESTED", "F-RUNNING"]
    assert codes(ProjectFilters(status="implementation"), status="implementation") == ["F-RUNNING"]
    assert codes(ProjectFilters(area="SCA"), area="SCA") == ["F-FUNDED", "F-REQUESTED"]
    assert codes(ProjectFilters(beneficiary="ALB"), beneficiary="ALB") == ["F-RUNNING"]
    assert codes(ProjectFilters(donor="AUT"), donor="AUT") == ["F-FUNDED"]
    assert codes(ProjectFilters(funding="funded"), funding="funded") == ["F-FUNDED"]
    assert codes(ProjectFilters(q="request"), q="request") == ["F-REQUESTED"]
    # Nothing selected: an empty iati-activities (which the schema, wanting one activity, refuses).
    assert codes(ProjectFilters(status="completed"), status="completed") == []


# -- the route and the command -----------------------------------------------------------------------


def test_the_route_serves_valid_iati_with_the_list_filters_to_every_role(anon, accounts, client):
    running = make_project(client, code="R-RUNNING", areas=["SALW"])
    move(client, running["id"], "assessment", "planning", "seeking_funding", "implementation")
    make_project(client, code="R-NEW", areas=["SCA"])
    for role in ("staff", "manager", "donor"):
        response = anon.get("/api/v1/exports/iati.xml", headers=accounts[role].headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        assert "attachment" in response.headers["content-disposition"]
        doc = etree.fromstring(response.content)
        schema().assertValid(doc)
        check_codes(doc)
        assert [a.findtext("iati-identifier") for a in doc.iter("iati-activity")] == [
            "XM-DAC-47131-R-NEW",
            "XM-DAC-47131-R-RUNNING",
        ]
    filtered = client.get("/api/v1/exports/iati.xml", params={"status": "implementation"})
    assert filtered.status_code == 200
    only = etree.fromstring(filtered.content)
    assert [a.findtext("iati-identifier") for a in only.iter("iati-activity")] == ["XM-DAC-47131-R-RUNNING"]
    assert only.find("iati-activity/activity-status").get("code") == "2"


def test_a_selection_without_projects_is_a_404_not_an_invalid_file(client):
    make_project(client, code="R-ONLY")
    response = client.get("/api/v1/exports/iati.xml", params={"status": "completed"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "nothing to publish" in response.json()["detail"]


def test_portfolio_export_iati_writes_the_same_document(client, settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from portfolio.cli import app as cli

    make_project(client, code="R-CLI")
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", settings.database_url)
    from portfolio.config import get_settings

    get_settings.cache_clear()
    out = tmp_path / "iati.xml"
    try:
        result = CliRunner().invoke(cli, ["export", "--format", "iati", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Wrote 1 IATI activities" in result.output
    doc = etree.parse(str(out))
    schema().assertValid(doc)
    assert [a.findtext("iati-identifier") for a in doc.iter("iati-activity")] == ["XM-DAC-47131-R-CLI"]


# -- confidentiality: a donor's file ----------------------------------------------------------------------


def test_a_donor_file_holds_its_own_state_only(anon, accounts, client):
    project = make_project(client, code="C-SHARED", end_date="2025-01-31", budget_eur="900000.00")
    mine = make_pledge(client, project["id"], donor="DEU", amount="111111.11", status="committed")
    ok(receive(client, mine["id"], "22222.22", "2024-05-02"), 201)
    french = make_pledge(client, project["id"], donor="FRA", amount="333333.33", status="committed")
    ok(receive(client, french["id"], "44444.44", "2024-05-03"), 201)
    make_rate(client, "USD", "2024-04", "0.9")
    make_pledge(
        client, project["id"], donor="USA", currency="USD", amount="555555.55", pledged_on="2024-04-04"
    )
    make_pledge(client, make_project(client, code="C-FRENCH")["id"], donor="FRA", amount="666666.66")

    # Staff see everyone: the strings below are in the full file, so their absence means something.
    full = client.get("/api/v1/exports/iati.xml").content
    others = [b"France", b"333333.33", b"44444.44", b"United States", b"555555.55", b"666666.66"]
    others += [b"2024-05-03", b"2024-04-04", b"USD"]
    assert [text for text in others if text not in full] == []
    others += [b"FR-6", b"US-11", b'"FRA"', b'"USA"']  # their identifiers, however written

    donor = accounts["donor"].headers  # speaks for Germany
    response = anon.get("/api/v1/exports/iati.xml", headers=donor)
    assert response.status_code == 200, response.text
    assert [text for text in others if text in response.content] == []
    doc = etree.fromstring(response.content)
    schema().assertValid(doc)
    check_codes(doc)
    shared = activity(doc, "C-SHARED")
    assert [(o[0], o[2], o[3]) for o in orgs(shared) if o[0] == "1"] == [("1", "DE-11", "Germany")]
    assert [(t["type"], t["value"], t["provider"]) for t in transactions(shared)] == [
        ("11", "111111.11", "Germany"),
        ("1", "22222.22", "Germany"),
    ]
    # Project-level figures stay: the budget, and the project only France funds (without France).
    assert sum(Decimal(v) for *_, v in budgets(shared)) == Decimal("900000.00")
    assert transactions(activity(doc, "C-FRENCH")) == []
    assert [o[0] for o in orgs(activity(doc, "C-FRENCH"))] == ["2"]
    # Asking which projects another State funds gives nothing to publish.
    assert anon.get("/api/v1/exports/iati.xml", params={"donor": "FRA"}, headers=donor).status_code == 404
    own = anon.get("/api/v1/exports/iati.xml", params={"donor": "DEU"}, headers=donor)
    assert [a.findtext("iati-identifier") for a in etree.fromstring(own.content)] == [f"{OSCE_REF}-C-SHARED"]


# -- organisation identifiers -----------------------------------------------------------------------------


def test_the_default_reporting_organisation_is_the_osce_in_the_dac_channel_codelist(db, client, settings):
    from portfolio.config import Settings

    assert Settings.model_fields["iati_org_ref"].default == OSCE_REF
    assert codelist_names("CRSChannelCode")["47131"] == "Organization for Security and Co-operation in Europe"
    make_project(client, code="P-DEFAULT")
    reporting = activity(export(db, settings), "P-DEFAULT").find("reporting-org")
    assert (reporting.get("ref"), reporting.get("type")) == (OSCE_REF, "40")
    assert codelist_names("OrganisationType")["40"] == "Multilateral"


def test_the_donor_identifiers_come_from_the_organisation_identifier_codelist():
    from portfolio.transfer.iati import donor_org_ids

    table = Path(__file__).resolve().parents[2] / "portfolio" / "reference" / "iati" / "donor_org_ids.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert {r["state"]: r["ref"] for r in rows} == donor_org_ids()
    assert len(rows) >= 15
    for row in rows:
        assert row["state"] in ISO2, row
        assert row["ref"].split("-")[0] == ISO2[row["state"]], row  # the list's codes start with the ISO code
        assert codelist_names("OrganisationIdentifier")[row["ref"]] == row["listed_name"], row


# -- gender marker: null is "not screened" ------------------------------------------------------------------


def test_an_unscreened_project_publishes_no_gender_marker_and_zero_is_not_targeted(db, client, settings):
    unscreened = make_project(client, code="G-NONE")
    assert unscreened["gender_marker"] is None
    make_project(client, code="G-ZERO", gender_marker=0)
    screened = make_project(client, code="G-TWO", gender_marker=2)
    doc = export(db, settings)
    assert activity(doc, "G-NONE").findall("policy-marker") == []
    assert [m.get("significance") for m in activity(doc, "G-ZERO").findall("policy-marker")] == ["0"]
    # A marker can be taken back to "not screened".
    changed = ok(client.patch(f"/api/v1/projects/{screened['id']}", json={"gender_marker": None}))
    assert changed["gender_marker"] is None
    assert activity(export(db, settings), "G-TWO").findall("policy-marker") == []


def test_an_imported_project_with_a_blank_gender_marker_is_not_screened(client):
    rows = [
        "code,title,areas,beneficiaries,request_date,start_date,budget_eur,gender_marker",
        "G-CSV-1,Depot security,SCA,SRB,2024-01-15,2024-02-01,1000.00,",
        "G-CSV-2,Depot security,SCA,SRB,2024-01-15,2024-02-01,1000.00,0",
    ]
    response = client.post(
        "/api/v1/imports/projects", files={"file": ("projects.csv", "\n".join(rows).encode())}
    )
    assert response.status_code == 200, response.text
    listed = ok(client.get("/api/v1/projects", params={"sort": "code"}))["items"]
    assert [(p["code"], p["gender_marker"]) for p in listed] == [("G-CSV-1", None), ("G-CSV-2", 0)]


# -- last-updated-datetime: anything the activity contains --------------------------------------------------

LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def _age_everything(db) -> None:
    """Every timestamp back to LONG_AGO, so that a change made now shows in whole seconds."""
    from sqlalchemy import update

    from portfolio.audit.models import AuditEntry
    from portfolio.funding.models import Pledge, Receipt
    from portfolio.projects.models import Indicator, Milestone, Project, ProjectStatusChange

    with db.session(write=True) as session:
        for model, column in (
            (Project, "updated_at"),
            (Pledge, "updated_at"),
            (Receipt, "created_at"),
            (Indicator, "updated_at"),
            (Milestone, "updated_at"),
            (ProjectStatusChange, "recorded_at"),
            (AuditEntry, "at"),
        ):
            session.execute(update(model).values({column: LONG_AGO}))


CHANGES = {
    "a receipt": lambda c, ids: receive(c, ids["pledge"], "10.00", "2024-05-02"),
    "a pledge": lambda c, ids: c.post(
        "/api/v1/pledges", json=factories.pledge_body(ids["project"], donor="FRA")
    ),
    "an indicator's actual": lambda c, ids: c.patch(
        f"/api/v1/projects/{ids['project']}/indicators/{ids['indicator']}", json={"actual": "3"}
    ),
    "a new milestone": lambda c, ids: c.post(
        f"/api/v1/projects/{ids['project']}/milestones", json={"title": "Fence"}
    ),
    "a deleted milestone": lambda c, ids: c.delete(
        f"/api/v1/projects/{ids['project']}/milestones/{ids['milestone']}"
    ),
    "a transition": lambda c, ids: c.post(
        f"/api/v1/projects/{ids['project']}/transitions", json={"to": "assessment"}
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_last_updated_moves_with_anything_the_activity_contains(db, client, settings, change):
    project = make_project(client, code="U-ONE")
    pledge = make_pledge(client, project["id"], status="committed")
    url = f"/api/v1/projects/{project['id']}"
    indicator = ok(
        client.post(f"{url}/indicators", json={"name": "Depots", "unit": "sites", "target": "3"}), 201
    )
    milestone = ok(client.post(f"{url}/milestones", json={"title": "Survey"}), 201)
    ids = {
        "project": project["id"],
        "pledge": pledge["id"],
        "indicator": indicator["id"],
        "milestone": milestone["id"],
    }
    _age_everything(db)

    def last_updated():
        return activity(export(db, settings), "U-ONE").get("last-updated-datetime")

    assert last_updated() == "2024-01-01T00:00:00Z"
    before = datetime.now(UTC).replace(microsecond=0)
    response = CHANGES[change](client, ids)
    assert response.status_code < 300, response.text
    assert datetime.fromisoformat(last_updated()) >= before


def test_another_states_pledge_does_not_move_a_donors_last_updated(db, client, settings, anon, accounts):
    project = make_project(client, code="U-DONOR")
    make_pledge(client, project["id"], donor="DEU")
    _age_everything(db)
    make_pledge(client, project["id"], donor="FRA")

    def last_updated(headers):
        body = anon.get("/api/v1/exports/iati.xml", headers=headers).content
        return etree.fromstring(body).find("iati-activity").get("last-updated-datetime")

    assert last_updated(accounts["donor"].headers) == "2024-01-01T00:00:00Z"
    assert last_updated(accounts["staff"].headers) > "2024-01-01T00:00:00Z"


# -- activity status: finalisation while money is outstanding ----------------------------------------------


def test_a_completed_project_with_money_outstanding_is_in_finalisation(db, client, settings):
    project = make_project(client, code="S-DONE", end_date="2025-01-31")
    pledge = make_pledge(client, project["id"], status="committed", amount="1000.00")
    ok(receive(client, pledge["id"], "400.00"), 201)
    withdrawn = make_pledge(client, project["id"], donor="FRA", amount="50.00")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    move(client, project["id"], "assessment", "planning", "seeking_funding", "implementation", "completed")

    def status():
        return activity(export(db, settings), "S-DONE").find("activity-status").get("code")

    assert status() == "3"  # Finalisation: 600.00 still to come
    ok(receive(client, pledge["id"], "600.00"), 201)
    assert status() == "4"  # Closed: nothing outstanding (the withdrawn pledge never will be)
    assert codelist_names("ActivityStatus")["3"] == "Finalisation"


# -- projects without a start are left out, and the export says so ----------------------------------------


def test_a_project_without_any_start_is_left_out_and_the_route_says_so(client):
    make_project(client, code="K-PLANNED")
    make_project(client, code="K-NOSTART", start_date=None)
    running = make_project(client, code="K-RUNNING", start_date=None)
    move(
        client, running["id"], "assessment", "planning", "seeking_funding", "implementation", on="2024-03-01"
    )
    response = client.get("/api/v1/exports/iati.xml")
    assert response.status_code == 200
    assert response.headers["x-iati-skipped-count"] == "1"
    assert response.headers["x-iati-skipped"] == "K-NOSTART (no start date)"
    doc = etree.fromstring(response.content)
    assert [a.findtext("iati-identifier") for a in doc.iter("iati-activity")] == [
        f"{OSCE_REF}-K-PLANNED",
        f"{OSCE_REF}-K-RUNNING",
    ]
    assert doc[0].text == " Left out: K-NOSTART (no start date) "
    assert dates(activity(doc, "K-RUNNING")) == [("2", "2024-03-01")]
    # Only unstarted projects selected: nothing to publish, and the 404 says why.
    alone = client.get("/api/v1/exports/iati.xml", params={"status": "requested", "q": "K-NOSTART"})
    assert alone.status_code == 404
    assert "1 left out for want of a start date" in alone.json()["detail"]


def test_the_skipped_header_stays_short(client):
    make_project(client, code="K-0-PUBLISHED")
    for n in range(22):
        make_project(client, code=f"K-{n + 10}", start_date=None)
    response = client.get("/api/v1/exports/iati.xml")
    assert response.headers["x-iati-skipped-count"] == "22"
    listed = response.headers["x-iati-skipped"]
    assert listed.startswith("K-10 (no start date), K-11 (no start date)")
    assert listed.endswith("K-29 (no start date), and 2 more")


def test_the_route_documents_the_skipped_projects(anon):
    operation = anon.get("/openapi.json").json()["paths"]["/api/v1/exports/iati.xml"]["get"]
    assert "X-IATI-Skipped" in operation["description"]
    assert set(operation["responses"]["200"]["headers"]) == {"X-IATI-Skipped-Count", "X-IATI-Skipped"}


def test_portfolio_export_iati_names_the_projects_it_left_out(client, settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from portfolio.cli import app as cli
    from portfolio.config import get_settings

    make_project(client, code="K-CLI")
    make_project(client, code="K-CLI-NOSTART", start_date=None)
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    out = tmp_path / "iati.xml"
    try:
        result = CliRunner().invoke(
            cli, ["export", "--kind", "projects", "--format", "iati", "--out", str(out)]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Left out K-CLI-NOSTART: no start date." in result.output
    assert "Wrote 1 IATI activities" in result.output


def test_women_and_men_of_a_people_count_are_targets_and_actuals_with_a_sex_dimension(db, client, settings):
    project = make_project(client, code="P-SEX", start_date="2024-09-01", end_date="2026-08-31")
    url = f"/api/v1/projects/{project['id']}/indicators"
    trained = {
        "name": "Border guards trained",
        "measure": "people_trained",
        "target": "120",
        "target_women": "40",
        "target_men": "70",
        "actual": "64",
        "actual_women": "30",
    }
    ok(client.post(url, json=trained), 201)
    ok(client.post(url, json={"name": "Rifles cut", "measure": "weapons_destroyed", "target": "900"}), 201)
    element = activity(export(db, settings), "P-SEX")  # checked against the 2.03 schema on the way

    def values(indicator, name):
        return [
            (e.get("value"), [(d.get("name"), d.get("value")) for d in e.findall("dimension")])
            for e in indicator.findall(f"period/{name}")
        ]

    people, rifles = element.findall("result/indicator")
    assert values(people, "target") == [
        ("120", []),
        ("40", [("sex", "female")]),
        ("70", [("sex", "male")]),
    ]
    assert values(people, "actual") == [("64", []), ("30", [("sex", "female")])]
    assert int(people.find("period/target").get("value")) >= 40 + 70  # the total holds the unrecorded too
    assert values(rifles, "target") == [("900", [])] and values(rifles, "actual") == []
    assert people.findtext("title/narrative") == "Border guards trained (people)"


def _attach(client, owner_id, title, owner_type="project", **form):
    fields = {"owner_type": owner_type, "owner_id": owner_id, "category": "A07", "title": title}
    fields |= {k: str(v).lower() for k, v in form.items()}
    files = {"file": (f"{title}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    return ok(client.post("/api/v1/documents", data=fields, files=files), 201)


def test_documents_shared_and_public_are_linked_only_when_a_public_address_is_set(db, client, settings):
    project = make_project(client, code="P-DOC")
    indicator = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/indicators",
            json={"name": "Sites", "unit": "sites", "target": "3"},
        ),
        201,
    )
    published = _attach(
        client, project["id"], "Évaluation finale", shared_with_donor=True, public=True, language="fr"
    )
    _attach(client, project["id"], "Shared only", shared_with_donor=True)
    _attach(client, project["id"], "Public only", public=True)
    _attach(
        client,
        indicator["id"],
        "Of an indicator",
        owner_type="indicator",
        shared_with_donor=True,
        public=True,
    )
    deleted = _attach(client, project["id"], "Deleted", shared_with_donor=True, public=True)
    assert client.delete(f"/api/v1/documents/{deleted['id']}").status_code == 204

    assert activity(export(db, settings), "P-DOC").findall("document-link") == []
    public = settings.model_copy(update={"public_document_base_url": "https://osce.example.org/documents/"})
    links = activity(export(db, public), "P-DOC").findall("document-link")  # valid against the 2.03 schema
    assert [
        (
            link.get("url"),
            link.get("format"),
            link.findtext("title/narrative"),
            link.find("category").get("code"),
            link.find("language").get("code"),
        )
        for link in links
    ] == [
        (
            f"https://osce.example.org/documents/{published['id']}/%C3%89valuation%20finale.pdf",
            "application/pdf",
            "Évaluation finale",
            "A07",
            "fr",
        )
    ]
