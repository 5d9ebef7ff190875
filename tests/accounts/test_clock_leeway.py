"""App hosts whose clocks disagree by a few seconds accept one another's tokens (PORTFOLIO_TOKEN_LEEWAY_S)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from tests.factories import TEST_KEY


def _token(user_id: int, issued_in_s: float, ttl: timedelta = timedelta(hours=1)) -> str:
    """A token as a host whose clock runs ``issued_in_s`` seconds ahead of this one would issue it."""
    issued = datetime.now(UTC) + timedelta(seconds=issued_in_s)
    claims = {"sub": str(user_id), "tv": 1, "iat": issued, "exp": issued + ttl}
    return jwt.encode(claims, TEST_KEY, algorithm="HS256")


def _me(anon, token: str) -> int:
    return int(anon.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code)


def test_a_token_from_a_host_whose_clock_runs_5_s_fast_is_accepted(anon, accounts):
    assert _me(anon, _token(accounts["staff"].id, issued_in_s=5)) == 200


def test_a_token_expired_5_s_ago_by_this_hosts_clock_is_still_accepted(anon, accounts):
    assert _me(anon, _token(accounts["staff"].id, issued_in_s=-65, ttl=timedelta(seconds=60))) == 200


def test_the_leeway_is_bounded(anon, accounts):
    assert _me(anon, _token(accounts["staff"].id, issued_in_s=120)) == 401
    assert _me(anon, _token(accounts["staff"].id, issued_in_s=-200, ttl=timedelta(seconds=60))) == 401


def test_without_leeway_the_fast_hosts_token_is_refused(app, anon, accounts):
    app.state.settings = app.state.settings.model_copy(update={"token_leeway_s": 0.0})
    assert _me(anon, _token(accounts["manager"].id, issued_in_s=5)) == 401
