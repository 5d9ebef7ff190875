"""What a test does on a page as a person would, without a browser: log in through the /login form, then
read what the page shows — its CSRF token, a hidden field, the value in a field, the message beside a
field, the words a person reads once the tags are gone. One copy of each, for every test module that
drives the HTML pages through a TestClient (tests/browser.py drives a real browser).

A page is either a response (anything with ``.text``) or its HTML as a string."""

from __future__ import annotations

import html
import re
from typing import Any, Protocol, TypeVar, overload

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DOMAIN = "test.example.org"  # where the conftest accounts live: "staff" is staff@test.example.org


class HasEmail(Protocol):
    @property
    def email(self) -> str: ...


Client = TypeVar("Client", bound=httpx.Client)


def email_of(who: str | HasEmail) -> str:
    """An e-mail address as given, an account's (the conftest ``Account``), or a conftest role's."""
    if not isinstance(who, str):
        return who.email
    return who if "@" in who else f"{who}@{DOMAIN}"


def send_login(
    client: httpx.Client, who: str | HasEmail, *, password: str = PASSWORD, next_url: str = "/"
) -> httpx.Response:
    """Open /login, read its CSRF token and send the form filled in; the answer as it comes, unfollowed
    (303 when the login worked)."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email_of(who), "password": password, "next": next_url, "csrf_token": token},
        follow_redirects=False,
    )


@overload
def log_in(app: FastAPI, who: str | HasEmail, *, password: str = ..., next_url: str = ...) -> TestClient: ...


@overload
def log_in(app: Client, who: str | HasEmail, *, password: str = ..., next_url: str = ...) -> Client: ...


def log_in(
    app: FastAPI | httpx.Client, who: str | HasEmail, *, password: str = PASSWORD, next_url: str = "/"
) -> httpx.Client:
    """A browser-like client logged in through the login form (a session cookie, no bearer header).

    ``app`` is the application (a new client is made for it) or a client to log in (the ``anon`` fixture,
    an ``httpx.Client`` of a live server), which is returned. ``who`` is an e-mail address, an account
    with an ``.email``, or a conftest role such as "staff"."""
    client = app if isinstance(app, httpx.Client) else TestClient(app)
    answer = send_login(client, who, password=password, next_url=next_url)
    assert answer.status_code == 303, answer.text
    return client


def html_of(page: Any) -> str:
    """The page's HTML: the string itself, or the response's text."""
    return page if isinstance(page, str) else str(page.text)


def csrf_of(page: Any) -> str:
    """The first CSRF token on the page."""
    found = TOKEN.search(html_of(page))
    assert found, html_of(page)
    return found.group(1)


def token_of(page: Any) -> str:
    """The last CSRF token on the page (the form after the menu's)."""
    found = TOKEN.findall(html_of(page))
    assert found, html_of(page)
    return str(found[-1])


def hidden(page: Any, name: str) -> str:
    """The value of the page's first field called ``name`` (a hidden one: version, loaded_at…)."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html_of(page))
    assert found, f"no hidden {name}"
    return html.unescape(found.group(1))


def value_of(page: Any, name: str) -> str:
    """What the form's input ``name`` holds."""
    found = re.search(rf'<input id="f-{name}" name="{name}" type="[a-z]+" value="([^"]*)"', html_of(page))
    assert found, f"no field {name}"
    return html.unescape(found.group(1))


def error_of(page: Any, name: str) -> str:
    """The message beside the field ``name``, or "" when there is none."""
    found = re.search(rf'<p class="field-error" id="f-{name}-error">(.*?)</p>', html_of(page), re.S)
    return html.unescape(found.group(1)) if found else ""


def text_of(page: Any) -> str:
    """What a person reads: the page without its tags, spaces collapsed, entities read."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(page))))


def section(page: Any, heading_id: str) -> str:
    """The HTML of one section of a page, found by its heading's id."""
    text = html_of(page)
    start = text.index(f'id="{heading_id}"')
    return text[start : text.find("</section>", start)]
