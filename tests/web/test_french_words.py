"""The French pages as a French reader reads them: no State's name after a bare "de" or "avec" ("l’accord de
Allemagne"), and a word that means two things in English (a pledge's status "Pledged" and an amount
"Pledged") agreeing with what it names."""

from __future__ import annotations

from tests.factories import make_pledge, make_project, ok
from tests.pages import log_in, text_of


def test_the_project_page_names_a_donor_after_de_as_french_does(app, client, accounts):
    project = make_project(client)
    pledge = make_pledge(client, project["id"], donor="DEU")
    ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/agreement", json={"reference": "CA-1", "signed_on": "2024-04-01"}
        ),
        201,
    )
    make_pledge(client, project["id"], donor="FRA")
    browser = log_in(app, accounts["staff"].email)
    page = text_of(browser.get(f"/projects/{project['id']}", params={"lang": "fr"}).text)
    assert "de Allemagne" not in page and "de France" not in page
    assert "de l’État : Allemagne" in page
