"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright against a live server on a
copy of the migrated database holding the sample portfolio. What every browser test shares: where Chromium
is and how it is started, where screenshots go, the server, and logging in through the form as a person."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from portfolio.demo import DEMO_PASSWORD, load_demo_data
from portfolio.main import create_app
from tests.factories import live_server, make_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
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
VIEWPORT = {"width": 1300, "height": 900}
# The login form's texts in each language, as a person reads them.
LOGIN = {
    "en": ("E-mail", "Password", "Log in"),
    "fr": ("Courriel", "Mot de passe", "Se connecter"),
    "ru": ("Эл. почта", "Пароль", "Войти"),
}


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}: install Debian's chromium to run the browser tests"
    return None


def skip_module_without_browser() -> None:
    """Skip the calling test module, with the reason shown, when playwright or Chromium is missing."""
    reason = missing()
    if reason is not None:
        pytest.skip(reason, allow_module_level=True)


needs_browser = pytest.mark.skipif(missing() is not None, reason=missing() or "")


def demo_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> FastAPI:
    """An application on its own copy of the migrated database, loaded with the sample portfolio."""
    path = tmp_path_factory.mktemp(name) / "portfolio.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app(make_settings(f"sqlite:///{path}"))
    with app.state.db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    return app


@contextmanager
def demo_site(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[tuple[str, FastAPI]]:
    """A live server on the sample portfolio: its URL, and its application."""
    app = demo_app(sqlite_template, tmp_path_factory, name)
    with live_server(app) as url:
        yield url, app


@contextmanager
def demo_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[str]:
    """The URL of a live server on the sample portfolio."""
    with demo_site(sqlite_template, tmp_path_factory, name) as (url, _app):
        yield url


@contextmanager
def chromium() -> Iterator[Any]:
    """Chromium, started headless, closed afterwards; the test is skipped when it cannot start here."""
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(
    browser_or_context: Any,
    server: str,
    email: str,
    lang: str = "en",
    *,
    choose_language: bool = False,
    ignore: Sequence[str] = (),
    offline: bool = False,
    viewport: dict[str, int] | None = None,
    locale: str | None = None,
) -> tuple[Any, Any, list[str]]:
    """Log in through the /login form, by its labels, as a person does: (context, page, problems).

    ``problems`` collects the console's errors (but those holding one of ``ignore``: a refusal the test
    asks for, which Chromium reports) and the page's uncaught errors; with ``offline``, every request
    leaving the machine too. With ``choose_language`` (always in French) the language is chosen first
    through the language link, so the form and the pages after it are in ``lang``."""
    if hasattr(browser_or_context, "new_context"):
        options: dict[str, Any] = {"viewport": viewport or VIEWPORT}
        if locale is not None:
            options["locale"] = locale
        context = browser_or_context.new_context(**options)
    else:
        context = browser_or_context
    page = context.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not any(text in message.text for text in ignore):
            problems.append(f"console error: {message.text}")

    def request(sent: Any) -> None:
        if not sent.url.startswith((server, "data:")):
            problems.append(f"left the machine: {sent.url}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    if offline:
        page.on("request", request)
    if choose_language or lang != "en":
        page.goto(f"{server}/language?to={lang}&next=/login")
    else:
        page.goto(f"{server}/login")
    email_label, password_label, button = LOGIN[lang]
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("load")
    return context, page, problems


def shoot(page: Any, name: str, *, full_page: bool = True) -> None:
    """A screenshot of the page in test-artifacts/, for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "DEMO_PASSWORD",
    "FLAGS",
    "chromium",
    "demo_app",
    "demo_server",
    "demo_site",
    "log_in",
    "missing",
    "needs_browser",
    "shoot",
    "skip_module_without_browser",
]
