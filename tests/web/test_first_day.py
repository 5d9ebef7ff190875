"""A new user's first day, as the README's quick start leads it: the sample portfolio, a login with a
sample account, and the first things a person records — today."""

from datetime import date

from fastapi.testclient import TestClient

from portfolio.demo import DEMO_PASSWORD, load_demo_data
from tests.factories import ok


def login(anon: TestClient, email: str) -> dict[str, str]:
    token = ok(anon.post("/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}))
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_a_pledge_in_norwegian_kroner_can_be_recorded_today(app, anon):
    with app.state.db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    staff = login(anon, "staff@example.org")
    project = ok(anon.get("/api/v1/projects", params={"status": "seeking_funding"}, headers=staff))["items"][
        0
    ]
    today = date.today().isoformat()
    for currency in ("NOK", "CHF", "USD", "GBP", "SEK"):
        body = {
            "project_id": project["id"],
            "donor": "NOR",
            "amount": "250000.00",
            "currency": currency,
            "pledged_on": today,
        }
        response = anon.post("/api/v1/pledges", json=body, headers=staff)
        assert response.status_code == 201, f"{currency}: {response.text}"
        assert response.json()["amount_eur"] != "0.00"
