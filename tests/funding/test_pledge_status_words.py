"""One English word, two French ones: "Pledged" (and "Committed", "Paid", "Withdrawn") names a pledge's
status — "une annonce", so "Annoncée", "Engagée", "Versée", "Retirée" — and "Pledged" or "Committed" also
heads an amount — "le montant annoncé", so "Annoncé", "Engagé". The statuses are their own messages (the
context "pledge status"), so that the two never take each other's French when the catalogues are merged."""

from __future__ import annotations

import re
from html import unescape

from babel.messages.pofile import read_po

from portfolio.funding.schemas import PledgeStatus
from portfolio.web.i18n import LOCALE_DIR, catalogue, translations
from portfolio.web.i18n import word as word_in
from tests.factories import make_pledge, make_project, ok, receive
from tests.pages import log_in, text_of

STATUS = "pledge status"
FEMININE = {"pledged": "Annoncée", "committed": "Engagée", "paid": "Versée", "withdrawn": "Retirée"}
ENGLISH = {"pledged": "Pledged", "committed": "Committed", "paid": "Paid", "withdrawn": "Withdrawn"}
MASCULINE = ("Annoncé", "Engagé", "Versé", "Retiré")


def four_pledges(client):
    """A project with one pledge in each status, each from its own donor."""
    project = make_project(client)
    make_pledge(client, project["id"], donor="DEU", amount="100000.00")
    committed = make_pledge(client, project["id"], donor="FRA", amount="50000.00", status="committed")
    paid = make_pledge(client, project["id"], donor="NOR", amount="20000.00", status="committed")
    ok(receive(client, paid["id"], "20000.00"), 201)
    withdrawn = make_pledge(client, project["id"], donor="ITA", amount="10000.00")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    return project, committed


def cells(row: str) -> list[str]:
    return [text_of(c).strip() for c in re.findall(r"<t[hd](?:\s[^>]*)?>(.*?)</t[hd]>", row, re.S)]


def pledge_statuses(page: str) -> list[str]:
    """The status column of the project page's pledge table, row by row."""
    table = page.split('<table class="pledges">', 1)[1].split("</table>", 1)[0]
    heads = cells(table.split("<tbody>", 1)[0])
    body = table.split("<tbody>", 1)[1]
    column = heads.index("Statut" if "Statut" in heads else "Status")
    rows = re.findall(r"<tr>\s*(<th scope=\"row\">.*?)</tr>", body, re.S)  # a pledge's row, not its receipts'
    return sorted(cells(row)[column] for row in rows)


def fact(page: str, term: str) -> str:
    """What a ``<dt>term</dt><dd>…</dd>`` says."""
    found = re.search(rf"<dt>{re.escape(term)}</dt>\s*<dd[^>]*>(.*?)</dd>", unescape(page), re.S)
    assert found, f"no {term!r} in the page"
    return text_of(found.group(1)).strip()


# -- the catalogue ------------------------------------------------------------------------------------


def test_a_status_and_an_amount_are_two_messages_with_their_own_french():
    french = translations("fr")
    for status, word in FEMININE.items():
        assert french.pgettext(STATUS, ENGLISH[status]) == word
    assert french.gettext("Pledged") == "Annoncé"
    assert french.gettext("Committed") == "Engagé"
    english = translations("en")
    assert [english.pgettext(STATUS, w) for w in ENGLISH.values()] == list(ENGLISH.values())


def test_no_catalogue_file_gives_a_pledge_word_another_french():
    """The files are merged by message: two files with different French for one message is how a status
    came out masculine ("Annoncé") beside a feminine one ("Engagée")."""
    words = {*ENGLISH.values(), *ENGLISH}
    french: dict[tuple[str, str | None], set[tuple[str, str]]] = {}
    for path in sorted((LOCALE_DIR / "fr" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f, locale="fr"):
                if message.id in words and message.string:
                    french.setdefault((message.id, message.context), set()).add((path.name, message.string))
    disagreeing = {k: v for k, v in french.items() if len({s for _f, s in v}) > 1}
    assert not disagreeing, disagreeing
    merged = catalogue("fr")
    for status, word in FEMININE.items():
        assert merged.get(ENGLISH[status], context=STATUS).string == word
        # the dashboards' words are the same labels, lowered mid-sentence: no second catalogue entry
        assert merged.get(status, context=STATUS) is None
        assert word_in(status, PledgeStatus, "fr") == word.lower()


# -- the staff pages ----------------------------------------------------------------------------------


def test_the_project_page_says_each_status_in_the_feminine_beside_the_amount_pledged(app, client, accounts):
    project, _committed = four_pledges(client)
    browser = log_in(app, accounts["staff"].email)
    page = browser.get(f"/projects/{project['id']}", params={"lang": "fr"}).text
    assert pledge_statuses(page) == sorted(FEMININE.values())
    assert fact(page, "Annoncé") == "170 000,00 €"  # the amount (masculine): 100 000 + 50 000 + 20 000
    english = browser.get(f"/projects/{project['id']}", params={"lang": "en"}).text
    assert pledge_statuses(english) == sorted(ENGLISH.values())
    assert fact(english, "Pledged") == "€170,000.00"


def test_the_pledge_forms_and_the_agreement_page_say_the_status_in_the_feminine(app, client, accounts):
    _project, committed = four_pledges(client)
    browser = log_in(app, accounts["staff"].email)
    edit = browser.get(f"/pledges/{committed['id']}/edit", params={"lang": "fr"}).text
    assert fact(edit, "Statut") == "Engagée"
    options = [text_of(o).strip() for o in re.findall(r"<option[^>]*>(.*?)</option>", edit, re.S)]
    assert {"Annoncée", "Engagée", "Retirée"} <= set(options)
    assert not set(MASCULINE) & set(options)
    receipt = browser.get(f"/pledges/{committed['id']}/receipts/new", params={"lang": "fr"}).text
    assert fact(receipt, "Annoncé").endswith("· Engagée")  # the amount pledged, then its status
    agreement = browser.get(f"/pledges/{committed['id']}/agreement", params={"lang": "fr"}).text
    assert re.search(r'id="pledge-status"><strong>Engagée</strong>', agreement)
    english = browser.get(f"/pledges/{committed['id']}/receipts/new", params={"lang": "en"}).text
    assert fact(english, "Pledged").endswith("· Committed")
    assert fact(browser.get(f"/pledges/{committed['id']}/edit", params={"lang": "en"}).text, "Status") == (
        "Committed"
    )


# -- the dashboards -----------------------------------------------------------------------------------


def statement_statuses(client, code: str, lang: str) -> list[str]:
    """The pledge status column of a donor's statement for 2024."""
    period = {"from": "2024-01-01", "to": "2024-12-31", "lang": lang}
    page = unescape(client.get(f"/dashboards/donors/{code}", params=period).text)
    section = page.split('id="pledges"', 1)[1].split("</table>", 1)[0]
    heads = cells(section.split("<tbody>", 1)[0])
    column = heads.index("Statut de l'annonce" if lang == "fr" else "Pledge status")
    return [cells(r)[column] for r in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)]


def test_the_donor_statement_lists_its_pledges_statuses_in_the_feminine(client):
    four_pledges(client)
    donors = {"DEU": "pledged", "FRA": "committed", "NOR": "paid", "ITA": "withdrawn"}
    for code, status in donors.items():
        assert statement_statuses(client, code, "fr") == [FEMININE[status].lower()], code
        assert statement_statuses(client, code, "en") == [status], code


def period_amount_labels(client, lang: str) -> dict[str, str]:
    """The labels of the period report's headline amounts pledged and committed in 2024."""
    period = {"from": "2024-01-01", "to": "2024-12-31", "lang": lang}
    page = unescape(client.get("/reports/period", params=period).text)
    kpi = r'data-kpi="(pledged|committed)"[^>]*><div class="kpi-label"><a [^>]*>([^<]*)</a>'
    return dict(re.findall(kpi, page))


def test_the_period_report_heads_the_amounts_pledged_and_committed_in_the_masculine(client):
    four_pledges(client)
    assert period_amount_labels(client, "fr") == {"pledged": "Annoncé", "committed": "Engagé"}
    assert period_amount_labels(client, "en") == {"pledged": "Pledged", "committed": "Committed"}
