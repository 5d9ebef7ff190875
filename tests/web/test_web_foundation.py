"""The staff pages' front door and shared behaviour, as a browser meets them: the login form and its
cookie, CSRF tokens, logging out for good, where a login may lead, the language switch, error pages in
HTML in both languages (and the API's problem documents left alone), changing one's own password."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from portfolio.errors import Forbidden
from portfolio.main import create_app
from portfolio.web.session import COOKIE
from tests.factories import PASSWORD, make_settings
from tests.pages import csrf_of
from tests.pages import send_login as login


def error_text(response) -> str:
    return response.text.replace("&#39;", "'")


# -- logging in ------------------------------------------------------------------------------------


def test_logging_in_sets_a_strict_httponly_session_cookie_for_the_whole_site(anon, accounts):
    response = login(anon, accounts["staff"].email)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    home = anon.get("/")
    assert home.status_code == 200 and accounts["staff"].email in home.text


def test_a_wrong_password_answers_401_with_the_message_and_keeps_the_email(anon, accounts):
    response = login(anon, accounts["staff"].email, password="not the password at all")
    assert response.status_code == 401
    assert 'id="login-error"' in response.text and "Wrong e-mail or password." in response.text
    assert f'value="{accounts["staff"].email}"' in response.text
    assert COOKIE not in response.headers.get("set-cookie", "")


def test_a_post_without_a_csrf_token_is_refused_with_an_html_page(anon, accounts):
    response = anon.post("/login", data={"email": accounts["staff"].email, "password": PASSWORD})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "did not come from this site" in error_text(response)
    assert COOKIE not in anon.cookies


def test_a_csrf_token_of_another_session_is_refused(app, accounts):
    with TestClient(app) as mallory, TestClient(app) as alice:
        assert login(mallory, accounts["manager"].email).status_code == 303
        assert login(alice, accounts["staff"].email).status_code == 303
        foreign = csrf_of(mallory.get("/account/password").text)
        response = alice.post("/logout", data={"csrf_token": foreign}, follow_redirects=False)
        assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")
        assert alice.get("/", follow_redirects=False).status_code == 200  # still logged in


def test_logging_out_ends_the_session_and_every_token_issued_before(anon, accounts):
    login(anon, accounts["manager"].email)
    cookie = anon.cookies[COOKIE]
    bearer = accounts["manager"].headers
    assert anon.get("/api/v1/projects", headers=bearer).status_code == 200
    token = csrf_of(anon.get("/").text)
    response = anon.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    anon.cookies.clear()
    anon.cookies.set(COOKIE, cookie)  # the old cookie, replayed by hand
    replayed = anon.get("/", follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/login")
    assert anon.get("/api/v1/projects", headers=bearer).status_code == 401


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/api/v1/projects", "\\\\evil.example", "evil"]
)
def test_a_login_never_leads_off_the_pages(anon, accounts, target):
    response = login(anon, accounts["staff"].email, next_url=target)
    assert response.headers["location"] == "/"


def test_a_login_goes_back_to_the_page_asked_for(anon, accounts):
    first = anon.get("/dashboards/gaps?area=SCA", follow_redirects=False)
    assert first.headers["location"] == "/login?next=/dashboards/gaps%3Farea%3DSCA"
    response = login(anon, accounts["manager"].email, next_url="/dashboards/gaps?area=SCA")
    assert response.headers["location"] == "/dashboards/gaps?area=SCA"


# -- the language ----------------------------------------------------------------------------------


def test_the_language_switch_sets_a_cookie_and_the_pages_follow_it(anon, accounts):
    login(anon, accounts["manager"].email)
    assert '<html lang="en">' in anon.get("/").text
    response = anon.get("/language", params={"to": "fr", "next": "/dashboards/gaps"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboards/gaps"
    assert "portfolio_lang=fr" in response.headers["set-cookie"]
    home = anon.get("/").text
    assert '<html lang="fr">' in home and "Se déconnecter" in home and "Tableaux de bord" in home
    gaps = anon.get("/dashboards/gaps").text  # no ?lang=: the cookie's language
    assert '<html lang="fr">' in gaps and "Besoins de financement" in gaps
    assert "Besoins de financement" not in anon.get("/dashboards/gaps?lang=en").text
    assert anon.get("/language?to=de&next=//evil", follow_redirects=False).headers["location"] == "/"


def test_the_browsers_language_is_the_default(anon):
    page = anon.get("/login", headers={"Accept-Language": "fr-CH,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.text and "Mot de passe" in page.text


# -- error pages -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing_app() -> FastAPI:
    """The application with two routes of its own that fail: one refuses, one breaks."""
    app = create_app(make_settings("sqlite://"))
    extra = APIRouter()

    @extra.get("/testing/refused")
    def refused() -> None:
        raise Forbidden("You may not open this.")

    @extra.get("/testing/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    @extra.get("/api/v1/testing/broken")
    def api_broken() -> None:
        raise RuntimeError("a bug")

    app.include_router(extra)
    return app


@pytest.fixture
def failing(failing_app, settings):
    from portfolio.db import Database

    failing_app.state.db = Database(settings.database_url, settings)
    failing_app.state.settings = settings
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        yield client
    failing_app.state.db.dispose()


LANGUAGES = {"en": {}, "fr": {"Accept-Language": "fr"}}
TITLES = {
    403: {"en": "Not allowed", "fr": "Action non autorisée"},
    404: {"en": "Not found", "fr": "Introuvable"},
    422: {"en": "Some values could not be accepted", "fr": "Certaines valeurs n'ont pas pu être acceptées"},
    500: {"en": "Something went wrong on our side", "fr": "Une erreur s'est produite de notre côté"},
}


def assert_html_error(response, status: int, lang: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html"), response.text
    text = error_text(response)
    assert f'<html lang="{lang}">' in text
    assert TITLES[status][lang] in text
    assert "Traceback" not in text and '"detail"' not in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_error_pages_are_html_in_the_persons_language(anon, accounts, failing, lang):
    headers = LANGUAGES[lang]
    login(anon, accounts["manager"].email)
    assert_html_error(anon.get("/no/such/page", headers=headers), 404, lang)
    # the logged-in person keeps the site's menu on an error page
    missing = anon.get("/dashboards/donors/XXX", headers=headers)
    assert_html_error(missing, 404, lang)
    assert 'href="/dashboards"' in missing.text
    # a real refusal: a form that did not come from this site
    assert_html_error(anon.post("/logout", headers=headers, data={}), 403, lang)
    # a real 422: a login form whose e-mail is far longer than any address
    token = csrf_of(anon.get("/login").text)
    too_long = anon.post("/login", headers=headers, data={"email": "a" * 400, "csrf_token": token})
    assert_html_error(too_long, 422, lang)
    assert_html_error(failing.get("/testing/refused", headers=headers), 403, lang)
    assert "You may not open this." in failing.get("/testing/refused", headers=headers).text
    assert_html_error(failing.get("/testing/broken", headers=headers), 500, lang)


def test_the_api_keeps_its_problem_documents(client, failing):
    missing = client.get("/api/v1/projects/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["status"] == 404
    broken = failing.get("/api/v1/testing/broken")
    assert broken.status_code == 500
    assert broken.headers["content-type"].startswith("application/problem+json")
    assert "bug" not in broken.text


# -- one's own password ----------------------------------------------------------------------------


def password_form(anon: TestClient, **values: str):
    token = csrf_of(anon.get("/account/password").text)
    return anon.post("/account/password", data={"csrf_token": token, **values}, follow_redirects=False)


def test_changing_ones_password_with_a_wrong_current_one_says_so_beside_the_field(anon, accounts):
    login(anon, accounts["donor"].email)
    new = "a brand new passphrase"
    response = password_form(anon, current_password="not it at all", new_password=new, repeat_password=new)
    assert response.status_code == 422
    assert 'id="f-current_password-error"' in response.text
    assert "current password" in response.text
    assert new not in response.text  # a password is never sent back


def test_a_too_short_new_password_gets_the_apis_message_beside_the_field(anon, accounts):
    login(anon, accounts["staff"].email)
    response = password_form(anon, current_password=PASSWORD, new_password="short", repeat_password="short")
    assert response.status_code == 422
    message = re.search(r'id="f-new_password-error">([^<]+)<', response.text)
    assert message and "12 characters" in message.group(1)
    assert 'aria-describedby="f-new_password-hint f-new_password-error"' in response.text
    differ = password_form(
        anon, current_password=PASSWORD, new_password="long enough passphrase", repeat_password="other"
    )
    assert differ.status_code == 422 and 'id="f-repeat_password-error"' in differ.text


def test_a_changed_password_logs_out_and_the_new_one_opens_the_pages(anon, accounts):
    email = accounts["manager"].email
    login(anon, email)
    old_cookie = anon.cookies[COOKIE]
    new = "a different passphrase of five words"
    response = password_form(anon, current_password=PASSWORD, new_password=new, repeat_password=new)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account%3Fdone%3D1"
    anon.cookies.set(COOKIE, old_cookie)
    assert anon.get("/", follow_redirects=False).status_code == 303
    anon.cookies.clear()
    assert login(anon, email).status_code == 401  # the old password no longer works
    again = login(anon, email, password=new, next_url="/account?done=1")
    assert again.status_code == 303
    assert "Your password has been changed." in anon.get(again.headers["location"]).text


def test_money_and_percentages_are_written_exactly_as_babel_writes_them():
    """The pages' fast writer of money and percentages agrees with Babel's own formatting, in both
    languages, for amounts of every size and sign (Babel's percent rounding differs only on exact ties,
    where the pages round half up, as the API does)."""
    import random

    from babel.numbers import format_currency, format_percent

    from portfolio.web.i18n import LANGUAGES, Formats

    rng = random.Random(11)
    for lang in LANGUAGES:
        formats = Formats(lang)
        for _ in range(3000):
            cents = Decimal(rng.randint(-(10**14), 10**14)) / 100
            for currency in ("EUR", "NOK", "USD", "GBP"):
                assert formats.money(cents, currency) == format_currency(
                    cents, currency, locale=lang, currency_digits=False
                )
            ratio = Decimal(rng.randint(-2_000_000, 2_000_000)) / 1_000_000
            if abs(ratio * 1000) % 1 == Decimal("0.5") or Decimal("0.9995") <= ratio < 1:
                continue  # a tie (see above), or short of one (never written 100%: see below)
            assert formats.percent(ratio) == format_percent(
                ratio, format=LANGUAGES[lang].percent_pattern, locale=lang
            )
    assert Formats("en").percent(Decimal("0.00125")) == "0.1%"
    assert Formats("en").percent(Decimal("0.00015")) == "0.0%"
    assert Formats("fr").money(Decimal("250000")) == "250\u202f000,00\u00a0€"
    assert Formats("en").money(Decimal("0.005")) == "€0.01"  # half up


def test_a_coverage_short_of_one_is_never_written_100_percent():
    from portfolio.web.i18n import Formats

    assert Formats("en").percent(Decimal("0.99969")) == "99.9%"  # a gap of €61.92 on €200,000
    assert Formats("fr").percent(Decimal("0.9999999")) == "99,9\u00a0%"
    assert Formats("en").percent(Decimal("1")) == "100.0%"
    assert Formats("en").percent(Decimal("1.0004")) == "100.0%"  # over-pledged, rounded as before
    assert Formats("en").percent(Decimal("0.99949")) == "99.9%"


def test_money_follows_each_currencys_minor_unit():
    from portfolio.web.i18n import Formats

    assert Formats("en").money(Decimal("176000000.00"), "JPY") == "¥176,000,000"
    assert Formats("fr").money(Decimal("176000000"), "JPY") == "176\u202f000\u202f000\u00a0JPY"
    assert Formats("en").money(Decimal("1000.50"), "JPY") == "¥1,000.50"  # cents recorded are not hidden
    assert Formats("en").money(Decimal("250000"), "EUR") == "€250,000.00"


def test_the_language_switch_of_a_page_opened_in_french_leads_back_to_english(client):
    page = client.get("/account/password", params={"lang": "fr"})
    link = re.search(r'href="(/language\?to=en&amp;next=[^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert "lang%3Dfr" not in link
    back = client.get(link)
    assert back.status_code == 200 and '<html lang="en">' in back.text
