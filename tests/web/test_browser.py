"""The dashboards in a real browser: Debian's Chromium, headless, against a live server with the sample
data. Every chart must draw as SVG, the console must stay clean, no request may leave this machine, and a
screenshot of each page is written to test-artifacts/ for people to look at."""

import pytest

from dashboards.filters import Filters
from dashboards.pages import export
from tests.browser import log_in, shoot, skip_module_without_browser

skip_module_without_browser()
# The pages of Plotly charts under the common filters; the donors' index and a donor's statement (a period
# form, vector charts drawn on the server, a PDF) have tests of their own and join the links' check here.
PAGES = ["funding", "gaps", "progress", "national-processes", "results", "data-quality"]
LINKED = [*PAGES, "donors", "donors/DEU"]


def draw(page, url: str) -> int:
    page.goto(url)
    page.wait_for_load_state("load")
    charts = page.locator("[data-figure]").count()
    page.wait_for_function(
        f"document.querySelectorAll('[data-rendered=true]').length === {charts}", timeout=30_000
    )
    return charts


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_draws_every_chart_offline(browser, server, lang):
    context, page, problems = log_in(browser, server, "manager@example.org", offline=True)
    try:
        for name in PAGES:
            charts = draw(page, f"{server}/dashboards/{name}?lang={lang}")
            if name != "data-quality":
                assert charts > 0, name
            for chart in page.locator("[data-figure]").all():
                assert chart.locator("svg.main-svg").count() > 0, f"{name}: a chart drew no SVG"
                # every chart shows data: at least one bar, line point, map area or heatmap cell
                marks = chart.locator(
                    "g.point, g.trace path, g.choroplethlocation, g.hm image, g.slice"
                ).count()
                assert marks > 0, f"{name}: an empty chart"
            shoot(page, f"dashboard-{name.replace('/', '-')}-{lang}")
    finally:
        context.close()
    assert problems == []


def test_a_donor_lands_on_its_own_view_in_the_browser(browser, server):
    context, page, problems = log_in(browser, server, "donor.deu@example.org", offline=True)
    try:
        assert page.url == f"{server}/"  # the home page
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Donor view").click()
        page.wait_for_load_state("load")
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
        page.goto(f"{server}/dashboards")
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
        page.goto(f"{server}/dashboards/funding")
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
    finally:
        context.close()
    assert problems == []


def test_an_exported_page_draws_from_a_usb_stick(browser, demo_site, tmp_path):
    _server, server_app = demo_site
    with server_app.state.db.session() as session:
        written = export(session, Filters(), tmp_path / "all") + export(
            session, Filters(area="SCA"), tmp_path / "deu", ["DEU"]
        )
    assert [p.name for p in written][-1:] == ["donor-DEU.html"]
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "request", lambda r: problems.append(f"fetched {r.url}") if not r.url.startswith("file://") else None
    )
    try:
        for path in written:
            charts = draw(page, path.as_uri())
            assert charts > 0 or path.name == "data-quality.html", path.name
            for chart in page.locator("[data-figure]").all():
                assert chart.locator("svg.main-svg").count() > 0, path.name
    finally:
        context.close()
    assert problems == []


def submit_filters(page) -> object:
    """Press Apply on the page's filter form; the answer to the navigation it starts."""
    with page.expect_navigation() as navigation:
        page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state("load")
    return navigation.value


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_filter_form_applies_with_blanks_and_with_a_choice(browser, server, lang):
    context, page, problems = log_in(browser, server, "manager@example.org", offline=True)
    try:
        for name in PAGES:
            page.goto(f"{server}/dashboards/{name}?lang={lang}")
            # left at "any" / blank: the browser sends every field empty
            response = submit_filters(page)
            assert "year_from=" in page.url or "area=" in page.url, page.url
            assert response.status == 200, (name, page.url)
            assert response.headers["content-type"].startswith("text/html"), name
            assert page.locator(".field-error").count() == 0, name
            assert page.locator("html").get_attribute("lang") == lang
            # a real choice
            page.select_option("select[name=area]", "SCA")
            page.select_option("select[name=beneficiary]", "SRB")
            if page.locator("input[name=year_from]").count():
                page.fill("input[name=year_from]", "2020")
                page.fill("input[name=year_to]", "2030")
                page.select_option("select[name=status]", "implementation")
            response = submit_filters(page)
            assert response.status == 200, (name, page.url)
            assert "beneficiary=SRB" in page.url and "area=SCA" in page.url
            assert page.locator("select[name=beneficiary]").input_value() == "SRB"
            stamp = page.locator(".stamp").inner_text()
            assert ("Serbia" if lang == "en" else "Serbie") in stamp, stamp
            draw(page, page.url)  # and the filtered charts draw
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_bad_filter_shows_its_message_beside_the_field(browser, server, lang):
    context, page, problems = log_in(browser, server, "manager@example.org", offline=True)
    try:
        response = page.goto(f"{server}/dashboards/funding?year_from=&area=XYZ&beneficiary=JPN&lang={lang}")
        assert response is not None and response.status == 422
        area = page.locator("label", has=page.locator("select[name=area]"))
        assert "XYZ" in area.locator(".field-error").inner_text()
        beneficiary = page.locator("label", has=page.locator("select[name=beneficiary]"))
        expected = "participating State" if lang == "en" else "État participant"
        assert expected in beneficiary.locator(".field-error").inner_text()
        assert page.locator("[role=alert]").count() == 1
        shoot(page, f"dashboard-bad-filter-{lang}", full_page=False)
        # correcting it from the form works
        page.select_option("select[name=area]", "")
        page.select_option("select[name=beneficiary]", "")
        assert submit_filters(page).status == 200
    finally:
        context.close()
    # the browser reports the page's own 422 on the console; nothing else may appear there
    assert [p for p in problems if "status of 422" not in p] == []


# The main menu's other entries (projects, processes, rates, imports, accounts) are the staff pages' own,
# each checked by their tests; here: every link the dashboards themselves show, and the layout's.
OWN_LINKS = ("/dashboards", "/language", "/docs", "/account")


def test_every_link_on_every_page_answers(browser, server):
    context, page, problems = log_in(browser, server, "manager@example.org", offline=True)
    checked: dict[str, int] = {}
    try:
        for lang in ("en", "fr"):
            for name in LINKED:
                page.goto(f"{server}/dashboards/{name}?lang={lang}&area=SALW")
                hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
                assert any("/docs" in h for h in hrefs), name
                for href in hrefs:
                    assert href.startswith(server), f"{name}: a link leaves the app: {href}"
                    path = href.removeprefix(server)
                    if href in checked or not (path == "/" or path.startswith(OWN_LINKS)):
                        continue
                    answer = context.request.get(href)
                    kind = answer.headers.get("content-type", "")
                    assert answer.status == 200, f"{name}: {href} answered {answer.status}"
                    assert kind.startswith(("text/html", "text/csv", "application/pdf")), (
                        f"{name}: {href} is {kind}"
                    )
                    if kind.startswith("application/pdf"):
                        assert "attachment" in answer.headers.get("content-disposition", ""), href
                        assert answer.body().startswith(b"%PDF-"), href
                    if kind.startswith("text/csv"):
                        assert "attachment" in answer.headers.get("content-disposition", ""), href
                        body = answer.text().split("\n", 1)[-1]  # the rows under the heading
                        assert "€" not in body, href  # plain numbers
                    checked[href] = answer.status
        # the front door, too
        page.goto(server + "/dashboards")
        assert page.url.startswith(f"{server}/dashboards/funding")
    finally:
        context.close()
    assert len(checked) > 40
    assert problems == []
