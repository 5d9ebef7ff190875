"""The IATI 2.03 activity export: valid against the 2.03 schema (kept in tests/data/iati, resolved
offline), every code in its codelist, the Standard Ruleset's checks, and the numbers the API gives."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import event

from portfolio.demo import load_demo_data
from portfolio.projects.repository import ProjectFilters
from portfolio.states.reference import load_reference_states
from portfolio.transfer.iati import IN_KIND_NOTE, IatiIdentifierClash, budget_periods, iati_activities
from tests.factories import make_pledge, make_project, make_rate, move, ok, receive

DATA = Path(__file__).parent / "data" / "iati"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ISO2 = {s.code: s.iso2 for s in load_reference_states()}
NAMES = {s.code: s.name for s in load_reference_states()}


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


# Every coded attribute the export writes, and the codelist its values must come from.
CODED = {
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
}
# Coded attributes whose codelists are not kept here, with the one value the export may use.
FIXED = {
    ("description", "type"): "1",  # DescriptionType 1: General
    ("policy-marker", "vocabulary"): "1",  # PolicyMarkerVocabulary 1: OECD DAC CRS
}
CODE_ATTRIBUTES = {"code", "type", "role", "vocabulary", "significance", "measure", "status", "currency"}


def check_codes(doc: etree._Element) -> None:
    for element in doc.iter():
        for attribute, value in element.attrib.items():
            key = (element.tag, attribute)
            if key in CODED:
                assert value in codelist(CODED[key]), f"{key}={value!r} is not in {CODED[key]}"
            elif key in FIXED:
                assert value == FIXED[key], key
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

        previous_end = None
        for budget in activity.findall("budget"):
            start = date.fromisoformat(budget.find("period-start").get("iso-date"))
            end = date.fromisoformat(budget.find("period-end").get("iso-date"))
            assert start <= end < one_year_later(start), f"{identifier}: budget period over a year"
            assert previous_end is None or (start - previous_end).days == 1, "periods follow each other"
            previous_end = end

        for value in activity.iter("value"):
            assert value.get("value-date"), "every value has a value-date"
            assert re.fullmatch(r"-?\d+(\.\d+)?", value.text), value.text
        for transaction in activity.findall("transaction"):
            assert date.fromisoformat(transaction.find("transaction-date").get("iso-date")) <= today
            assert date.fromisoformat(transaction.find("value").get("value-date")) <= today
            for org in ("provider-org", "receiver-org"):
                found = transaction.find(org)
                assert found.get("ref") or found.findtext("narrative")
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
    if len(doc):  # the schema wants at least one activity
        schema().assertValid(doc)
    check_codes(doc)
    check_rules(doc, settings.iati_org_ref, options.get("today") or date.today())
    return doc


def activity(doc: etree._Element, code: str, org_ref: str = "OSCE-FSC") -> etree._Element:
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


OSCE = ("2", "40", "OSCE-FSC", "Organization for Security and Co-operation in Europe")


# -- the sample portfolio -----------------------------------------------------------------------------


def test_the_sample_portfolio_is_valid_iati_and_matches_the_api(app, db, client, settings):
    with db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    doc = export(db, settings)
    projects = ok(client.get("/api/v1/projects", params={"limit": 500, "sort": "code"}))
    pledges = ok(client.get("/api/v1/pledges", params={"limit": 500}))
    assert pledges["total"] == len(pledges["items"])

    activities = doc.findall("iati-activity")
    assert len(activities) == projects["total"] == 30
    by_code = {p["code"]: p for p in projects["items"]}
    assert [a.findtext("iati-identifier") for a in activities] == [
        f"OSCE-FSC-{code}" for code in sorted(by_code)
    ]
    assert {a.find("activity-status").get("code") for a in activities} == {"1", "2", "4", "5", "6"}

    pledges_of = defaultdict(list)
    for pledge in pledges["items"]:
        pledges_of[pledge["project_id"]].append(pledge)
    for element in activities:
        project = by_code[element.findtext("iati-identifier").removeprefix("OSCE-FSC-")]
        mine = pledges_of[project["id"]]
        live = [p for p in mine if p["status"] != "withdrawn"]

        assert element.findtext("title/narrative") == project["title"]
        assert [(c.get("code"), c.get("percentage")) for c in element.findall("recipient-country")] == [
            (ISO2[b], "100") for b in project["beneficiaries"]
        ]
        assert element.find("policy-marker").get("significance") == str(project["gender_marker"])
        assert [t.get("code") for t in element.findall("tag")] == project["sdg_targets"]
        expected_status = {"implementation": "2", "completed": "4", "cancelled": "5", "on_hold": "6"}
        assert element.find("activity-status").get("code") == expected_status.get(project["status"], "1")

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
        for t in transactions(element):
            assert t["provider"] in donors
    # The sample has withdrawn pledges, in-kind pledges and foreign currencies: all were exercised.
    assert any(p["status"] == "withdrawn" for p in pledges["items"])
    assert any(t.findtext("description/narrative") == IN_KIND_NOTE for t in doc.iter("transaction"))
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


def test_a_project_without_dates_starts_at_its_request_and_has_no_budget(db, client, settings):
    project = make_project(client, code="P-NODATES", request_date="2023-05-04", description="")
    url = f"/api/v1/projects/{project['id']}/indicators"
    ok(client.post(url, json={"name": "Ammunition destroyed", "unit": "tonnes", "target": "300"}), 201)
    element = activity(export(db, settings, today=date(2026, 1, 31)), "P-NODATES")
    assert dates(element) == [("1", "2023-05-04")]
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
    assert [a.findtext("iati-identifier") for a in doc] == ["OSCE-FSC-SALW-2024-07.1"]


def test_two_codes_that_would_share_an_identifier_are_refused(db, client, settings):
    make_project(client, code="AB/12")
    make_project(client, code="AB-12")
    with db.session() as session, pytest.raises(IatiIdentifierClash, match="AB-12"):
        iati_activities(session, ProjectFilters(), settings)


def test_text_is_escaped_and_control_characters_are_dropped(db, client, settings):
    make_project(
        client,
        code="P-TEXT",
        title="Depots & <stores>\x07 upgrade\x1f",
        description="Line one\nline two\x0b\ttabbed & done",
        implementing_partner="UNDP & \x01OSCE",
    )
    with db.session() as session:
        data = iati_activities(session, ProjectFilters(), settings)
    assert b"Depots &amp; &lt;stores&gt; upgrade" in data
    element = activity(export(db, settings), "P-TEXT")
    assert element.findtext("title/narrative") == "Depots & <stores> upgrade"
    assert element.findtext("description/narrative") == "Line one\nline two\ttabbed & done"
    assert orgs(element)[-1] == ("4", None, None, "UNDP & OSCE")


@pytest.mark.parametrize(
    ("areas", "sectors"),
    [
        (["SALW", "SCA"], [("15240", "50"), ("15250", "50")]),
        (["SCA"], [("15250", "100")]),
        (["SALW"], [("15240", "100")]),
    ],
)
def test_sectors_follow_the_areas(db, client, settings, areas, sectors):
    make_project(client, code="P-AREAS", areas=areas)
    element = activity(export(db, settings), "P-AREAS")
    assert [(s.get("code"), s.get("percentage")) for s in element.findall("sector")] == sectors


def test_pledges_commitments_and_receipts(db, client, settings):
    make_rate(client, "USD", "2024-03", "0.9")
    make_rate(client, "USD", "2024-05", "0.92")
    project = make_project(client, code="P-MONEY", implementing_partner="OSCE Mission to Serbia")
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

    element = activity(export(db, settings), "P-MONEY")
    assert transactions(element) == [
        {
            "type": "11",  # paid: its receipts reached it
            "date": "2024-01-05",
            "value": "2000.50",
            "value_date": "2024-01-05",
            "currency": None,
            "provider": "Germany",
            "description": None,
        },
        {
            "type": "1",
            "date": "2024-02-01",
            "value": "2000.50",
            "value_date": "2024-02-01",
            "currency": None,
            "provider": "Germany",
            "description": None,
        },
        {
            "type": "11",
            "date": "2024-03-10",
            "value": "100000.00",
            "value_date": "2024-03-10",
            "currency": "USD",
            "provider": "United States of America",
            "description": None,
        },
        {
            "type": "13",  # only pledged, in kind
            "date": "2024-04-02",
            "value": "25000.00",
            "value_date": "2024-04-02",
            "currency": None,
            "provider": "Norway",
            "description": IN_KIND_NOTE,
        },
        {
            "type": "1",
            "date": "2024-05-02",
            "value": "40000.00",
            "value_date": "2024-05-02",
            "currency": "USD",
            "provider": "United States of America",
            "description": None,
        },
    ]
    receiver = element.find("transaction/receiver-org")
    assert (receiver.get("ref"), receiver.get("type")) == ("OSCE-FSC", "40")
    assert orgs(element) == [
        ("1", "10", None, "Germany"),
        ("1", "10", None, "Norway"),
        ("1", "10", None, "United States of America"),
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
        assert [a.findtext("iati-identifier").removeprefix("OSCE-FSC-") for a in doc] == [
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
            "OSCE-FSC-R-NEW",
            "OSCE-FSC-R-RUNNING",
        ]
    filtered = client.get("/api/v1/exports/iati.xml", params={"status": "implementation"})
    assert filtered.status_code == 200
    only = etree.fromstring(filtered.content)
    assert [a.findtext("iati-identifier") for a in only.iter("iati-activity")] == ["OSCE-FSC-R-RUNNING"]
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
    assert [a.findtext("iati-identifier") for a in doc.iter("iati-activity")] == ["OSCE-FSC-R-CLI"]
