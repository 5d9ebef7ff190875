"""The dashboards in a real browser: Debian's Chromium, headless, against a live server with the sample
data. Every chart must draw as SVG, the console must stay clean, no request may leave this machine, and a
screenshot of each page is written to test-artifacts/ for people to look at."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from dashboards.filters import Filters
from dashboards.pages import export
from portfolio.demo import DEMO_PASSWORD, load_demo_data
from portfolio.main import create_app
from tests.factories import live_server, make_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PAGES = ["funding", "gaps", "progress", "national-processes", "data-quality", "donors/DEU"]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's chromium to run the browser tests",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def server_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """An application on a database holding the sample portfolio."""
    path = tmp_path_factory.mktemp("browser") / "portfolio.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app(make_settings(f"sqlite:///{path}"))
    with app.state.db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    return app


@pytest.fixture(scope="module")
def server(server_app: FastAPI) -> Iterator[str]:
    with live_server(server_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_as(browser, server: str, email: str):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "request",
        lambda r: (
            problems.append(f"left the machine: {r.url}")
            if not r.url.startswith(server) and not r.url.startswith("data:")
            else None
        ),
    )
    page.goto(f"{server}/dashboards/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return context, page, problems


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
    context, page, problems = open_as(browser, server, "manager@example.org")
    ARTIFACTS.mkdir(exist_ok=True)
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
            page.screenshot(
                path=str(ARTIFACTS / f"dashboard-{name.replace('/', '-')}-{lang}.png"), full_page=True
            )
    finally:
        context.close()
    assert problems == []


def test_a_donor_lands_on_its_own_view_in_the_browser(browser, server):
    context, page, problems = open_as(browser, server, "donor.deu@example.org")
    try:
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
        page.goto(f"{server}/dashboards/donors/USA")
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
        page.goto(f"{server}/dashboards/funding")
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
    finally:
        context.close()
    assert problems == []


def test_an_exported_page_draws_from_a_usb_stick(browser, server_app, tmp_path):
    with server_app.state.db.session() as session:
        written = export(session, Filters(), tmp_path, ["DEU"])
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
