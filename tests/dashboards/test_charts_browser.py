"""The charts as a manager reads them in Debian's Chromium: hovers in the page's language, quarters on a
date axis, the map framed on the OSCE area from zero, and a bar, a point or a row followed to its page —
a donor's statement, a project's page — with the donors' index reached from the dashboards' menu."""

import re

from tests.browser import log_in, shoot, skip_module_without_browser

skip_module_without_browser()

# Money as each locale writes it in a hover, grouped, to the euro or the cent: €1,234 / 1 234 € (the
# spaces are no-break ones), never 1234.00.
MONEY = {
    "en": re.compile(r"€\d{1,3}(,\d{3})*(\.\d\d)?(?![\d.,])"),
    "fr": re.compile(r"(?<![\d,])\d{1,3}([\u00a0\u202f ]\d{3})*(,\d\d)?[\u00a0\u202f ]€"),
}


def rendered(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    charts = page.locator("[data-figure]").count()
    page.wait_for_function(
        f"document.querySelectorAll('[data-rendered=true]').length === {charts}", timeout=30_000
    )


def layout(page, panel: str, key: str) -> object:
    return page.evaluate(f"() => document.querySelector('#{panel} [data-figure]')._fullLayout.{key}")


def hover_text(page, panel: str) -> str:
    """Move the mouse over the chart's first bar or point as a person does; the hover box's text."""
    mark = page.locator(f"#{panel} g.point path, #{panel} g.trace.bars path").first
    page.locator(f"#{panel}").scroll_into_view_if_needed()
    box = mark.bounding_box()
    assert box is not None, panel
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator(f"#{panel} .hoverlayer .hovertext")
    hover.first.wait_for(state="attached", timeout=10_000)
    return " ".join(hover.all_text_contents())


def click_first_mark(page, panel: str) -> None:
    mark = page.locator(f"#{panel} g.point path").first
    page.locator(f"#{panel}").scroll_into_view_if_needed()
    box = mark.bounding_box()
    assert box is not None, panel
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_load_state("load")


def test_the_charts_speak_the_pages_language_and_lead_to_their_pages(browser, server):
    for lang in ("en", "fr"):
        context, page, problems = log_in(browser, server, "manager@example.org", lang, offline=True)
        try:
            rendered(page, f"{server}/dashboards/funding?lang={lang}")
            # Quarters on a real date axis; the map framed on Europe and Central Asia, its scale from €0.
            assert layout(page, "over-time", "xaxis.type") == "date"
            assert layout(page, "map", "geo.projection.type") is not None
            lon = layout(page, "map", "geo.lonaxis.range")
            lat = layout(page, "map", "geo.lataxis.range")
            assert lon[0] > -180 and lon[1] < 180 and lat[0] > 0, (lon, lat)  # not the whole world
            cmin = page.evaluate("() => document.querySelector('#map [data-figure]')._fullData[0].zmin")
            assert cmin == 0
            # One title per chart: the section's heading, none drawn inside the figure.
            drawn = page.evaluate(
                "() => [...document.querySelectorAll('[data-figure] .gtitle')].map(t => t.textContent)"
            )
            assert [t for t in drawn if t.strip()] == [], drawn
            # Hovers write money as the page's locale does.
            text = hover_text(page, "by-donor")
            assert MONEY[lang].search(text), text
            shoot(page, f"charts-funding-{lang}")

            # A donor's bar opens that donor's statement.
            click_first_mark(page, "by-donor")
            assert re.search(r"/dashboards/donors/[A-Z]{3}", page.url), page.url
            assert page.locator("[data-kpi=pledged]").count() == 1

            # A project's bar on the progress timeline opens the project's page.
            rendered(page, f"{server}/dashboards/progress?lang={lang}")
            assert layout(page, "timeline", "xaxis.type") == "date"
            click_first_mark(page, "timeline")
            assert re.search(r"/projects/\d+$", page.url), page.url
            assert page.locator("h1").inner_text().startswith("SAMPLE-")

            # The donors' index is in the dashboards' menu; a donor's row opens its statement.
            rendered(page, f"{server}/dashboards/funding?lang={lang}")
            menu = page.locator("nav.subnav")
            donors = "Donors" if lang == "en" else "Donateurs"
            menu.get_by_role("link", name=donors, exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.startswith(f"{server}/dashboards/donors"), page.url
            shoot(page, f"charts-donors-index-{lang}")
            germany = "Germany" if lang == "en" else "Allemagne"
            page.get_by_role("link", name=germany, exact=True).first.click()
            page.wait_for_load_state("load")
            assert page.url.startswith(f"{server}/dashboards/donors/DEU"), page.url
            assert germany in page.locator("h1").inner_text()
        finally:
            context.close()
        assert problems == []
