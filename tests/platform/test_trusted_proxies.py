"""Behind a balancer that ends HTTPS: what a trusted proxy says of the original request is believed (session
cookies Secure, links https://), what anyone else says is ignored (PORTFOLIO_TRUSTED_PROXIES)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from portfolio.config import Settings
from portfolio.web.session import COOKIE
from tests.factories import PASSWORD
from tests.pages import TOKEN

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.50"}
FEED_URL = re.compile(r'id="f-feed_url" type="text" readonly value="([^"]+)"')


class Browser:
    """A browser behind the balancer: it keeps the cookies itself, Secure or not (the test client speaks
    plain HTTP to the app, as the balancer does, and would otherwise hold Secure cookies back)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.jar: dict[str, str] = {}
        self.set_cookies: dict[str, str] = {}

    def send(self, method: str, url: str, **kwargs: object):
        cookie = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        headers = {**HTTPS, **({"Cookie": cookie} if cookie else {})}
        response = self.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        self.client.cookies.clear()
        for line in response.headers.get_list("set-cookie"):
            parsed = SimpleCookie(line)
            for name, morsel in parsed.items():
                self.set_cookies[name] = line
                if morsel.value and morsel["max-age"] != "0":
                    self.jar[name] = morsel.value
                else:
                    self.jar.pop(name, None)
        return response


def _sign_in_and_make_a_feed(app, accounts, proxy_address: str) -> tuple[Browser, str]:
    with TestClient(app, client=(proxy_address, 41000)) as client:
        browser = Browser(client)
        token = TOKEN.search(browser.send("GET", "/login").text).group(1)  # type: ignore[union-attr]
        data = {"email": accounts["staff"].email, "password": PASSWORD, "next": "/", "csrf_token": token}
        assert browser.send("POST", "/login", data=data).status_code == 303
        page = browser.send("GET", "/account")
        assert page.status_code == 200, page.text
        token = TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
        made = browser.send("POST", "/account/calendar-feed", data={"csrf_token": token})
        assert made.status_code == 200, made.text
        return browser, FEED_URL.search(made.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def behind_balancer(app):
    app.state.settings = app.state.settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    return app


def test_https_via_a_trusted_proxy_gives_secure_cookies_and_https_links(behind_balancer, accounts):
    browser, feed_url = _sign_in_and_make_a_feed(behind_balancer, accounts, "10.20.30.40")
    assert "; secure" in browser.set_cookies[COOKIE].lower()
    assert all(
        "; secure" in line.lower() for line in browser.set_cookies.values() if "max-age=0" not in line.lower()
    )
    assert feed_url.startswith("https://testserver/api/v1/calendar.ics?token=")
    with TestClient(behind_balancer, client=("10.20.30.40", 41001)) as api:
        made = api.post("/api/v1/users/me/calendar-feed", headers={**HTTPS, **accounts["manager"].headers})
        assert made.status_code == 201 and made.json()["url"].startswith("https://testserver/")


def test_the_same_headers_from_an_untrusted_address_are_ignored(behind_balancer, accounts):
    browser, feed_url = _sign_in_and_make_a_feed(behind_balancer, accounts, "192.0.2.9")
    assert "secure" not in browser.set_cookies[COOKIE].lower()
    assert feed_url.startswith("http://testserver/api/v1/calendar.ics?token=")


def test_by_default_only_the_local_host_is_trusted(app, accounts):
    assert app.state.settings.trusted_proxies == ["127.0.0.1", "::1"]
    with (
        TestClient(app, client=("127.0.0.1", 41002)) as local,
        TestClient(app, client=("10.0.0.1", 41003)) as far,
    ):
        path, headers = "/api/v1/users/me/calendar-feed", {**HTTPS, **accounts["admin"].headers}
        assert local.post(path, headers=headers).json()["url"].startswith("https://")
        assert far.post(path, headers=headers).json()["url"].startswith("http://")


def test_the_setting_takes_addresses_and_networks_and_refuses_anything_else():
    assert Settings(trusted_proxies="10.0.0.0/8, 192.0.2.7,::1").trusted_proxies == [
        "10.0.0.0/8",
        "192.0.2.7",
        "::1",
    ]
    assert Settings(trusted_proxies="").trusted_proxies == []
    with pytest.raises(ValidationError, match=r"balancer\.example\.org"):
        Settings(trusted_proxies="balancer.example.org")
