"""Languages are data: a norm's titles in the languages other than English are rows of ``norm_title``, one
per language of the registry, set by an admin on the norm's page or through the API, and shown wherever a
page in that language names the norm (the norms page, the results dashboard, a project's page); the audit
trail names a change to each by its language."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from portfolio.languages import DEFAULT, LOCALES
from portfolio.norms.titles import language_name, shipped, title_in
from tests.factories import assert_problem, make_project, ok
from tests.pages import error_of, log_in, text_of, token_of, value_of

URL = "/api/v1/norms"
ENGLISH = "OSCE Document on Stockpiles of Conventional Ammunition"
FRENCH = "Document de l'OSCE sur les stocks de munitions conventionnelles"
RUSSIAN = "Документ ОБСЕ о запасах боеприпасов (редакция 2011 года)"
SHIPPED_RUSSIAN = "Документ ОБСЕ о запасах обычных боеприпасов"


@pytest.fixture
def admin(app: Any, accounts: Any) -> Any:
    with TestClient(app, headers=accounts["admin"].headers) as c:
        yield c


def send(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    token = token_of(client.get(url))
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


# -- the pages ---------------------------------------------------------------------------------------


def test_the_norm_form_has_a_title_field_per_language_labelled_in_the_pages_language(app, accounts):
    admin = log_in(app, "admin")
    english = admin.get("/norms/doc-sca/edit").text
    assert "Title in English" in english and "Title in French" in english and "Title in Russian" in english
    # the OSCE's French and Russian titles are shipped, not recorded: the fields say what shows when empty
    assert value_of(english, "title_fr") == "" and value_of(english, "title_ru") == ""
    assert "the title the OSCE published is shown" in english
    assert 'lang="ru"' in english
    # …and show that title, greyed, in each empty field
    fields = lxml_html.fromstring(english)
    for code in ("fr", "ru"):
        (field,) = fields.xpath(f'//input[@name="title_{code}"]')
        assert field.get("placeholder") == shipped()[("doc-sca", code)]
    french = text_of(admin.get("/norms/doc-sca/edit?lang=fr"))
    assert "Titre en français" in french and "Titre en russe" in french
    russian = text_of(admin.get("/norms/doc-sca/edit?lang=ru"))
    assert "Название (французский)" in russian and "Название (русский)" in russian
    assert "Title in Russian" in text_of(admin.get("/norms"))  # the form that adds a norm, too


def test_an_admin_sets_a_russian_title_and_the_russian_pages_show_it(app, accounts, client):
    admin = log_in(app, "admin")
    page = send(admin, "/norms/doc-sca/edit", {"title": ENGLISH, "title_fr": FRENCH, "title_ru": RUSSIAN})
    assert page.status_code == 303, page.text
    assert ok(client.get(f"{URL}/doc-sca"))["titles"] == {"fr": FRENCH, "ru": RUSSIAN}
    make_project(client, norms=["doc-sca"])

    for lang, title in (("ru", RUSSIAN), ("fr", FRENCH), ("en", ENGLISH)):
        listed = text_of(admin.get("/norms", params={"lang": lang}))
        assert title in listed, lang
        results = text_of(admin.get("/dashboards/results", params={"lang": lang}))
        assert title in results, lang
    assert RUSSIAN not in text_of(admin.get("/dashboards/results", params={"lang": "fr"}))

    # the audit trail says which title changed, in the page's language
    assert "Title in Russian: – → " + RUSSIAN in text_of(admin.get("/"))
    assert "Название (русский): – → " + RUSSIAN in text_of(admin.get("/", params={"lang": "ru"}))


def test_a_title_left_empty_falls_back_to_the_shipped_one_then_english(app, accounts, client):
    admin = log_in(app, "admin")
    send(admin, "/norms/doc-sca/edit", {"title": ENGLISH, "title_fr": FRENCH, "title_ru": RUSSIAN})
    emptied = send(admin, "/norms/doc-sca/edit", {"title": ENGLISH, "title_fr": FRENCH, "title_ru": ""})
    assert emptied.status_code == 303
    assert ok(client.get(f"{URL}/doc-sca"))["titles"] == {"fr": FRENCH}
    assert SHIPPED_RUSSIAN in text_of(admin.get("/norms", params={"lang": "ru"}))  # the OSCE's, shipped

    added = send(
        admin, "/norms", {"code": "bpg-new", "title": "A guide", "kind": "guide", "title_ru": "Руководство"}
    )
    assert added.status_code == 303, added.text
    assert ok(client.get(f"{URL}/bpg-new"))["titles"] == {"ru": "Руководство"}
    french = admin.get("/norms", params={"lang": "fr"}).text
    assert "A guide" in french  # a norm an admin added, without a French title: its English one


def test_a_title_too_long_is_refused_beside_its_own_field(app, accounts, client):
    admin = log_in(app, "admin")
    page = send(admin, "/norms/doc-sca/edit", {"title": ENGLISH, "title_ru": "я" * 301})
    assert page.status_code == 422
    assert "300" in error_of(page, "title_ru")
    assert value_of(page, "title_ru") == "я" * 301
    assert "ru" not in ok(client.get(f"{URL}/doc-sca"))["titles"]


# -- the API -----------------------------------------------------------------------------------------


def body(**overrides: Any) -> dict[str, Any]:
    return {"code": "bpg-salw-collection", "title": "Weapons collection", "kind": "guide"} | overrides


def test_the_api_takes_and_gives_titles_by_language(admin):
    made = ok(admin.post(URL, json=body(titles={"fr": "Collecte d'armes", "ru": "Сбор оружия"})), 201)
    assert made["titles"] == {"fr": "Collecte d'armes", "ru": "Сбор оружия"}
    assert made["title_fr"] == "Collecte d'armes"  # deprecated, still there
    got = ok(admin.get(f"{URL}/bpg-salw-collection", params={"lang": "ru"}))
    assert got["titles"] == made["titles"] and got["label"] == "Сбор оружия"
    assert ok(admin.get(f"{URL}/bpg-salw-collection", params={"lang": "en"}))["label"] == "Weapons collection"


def test_title_fr_still_reads_and_writes_the_french_title(admin):
    made = ok(admin.post(URL, json=body(title_fr="Collecte d'armes")), 201)
    assert made["titles"] == {"fr": "Collecte d'armes"}
    changed = ok(admin.patch(f"{URL}/bpg-salw-collection", json={"title_fr": "Collecte des armes"}))
    assert changed["titles"] == {"fr": "Collecte des armes"} and changed["title_fr"] == "Collecte des armes"
    cleared = ok(admin.patch(f"{URL}/bpg-salw-collection", json={"title_fr": ""}))
    assert cleared["titles"] == {} and cleared["title_fr"] == ""
    refused = admin.post(URL, json=body(code="bpg-other", titles={"fr": "A"}, title_fr="B"))
    assert_problem(refused, 422, ["body", "title_fr"])
    document = admin.get("/openapi.json").json()["components"]["schemas"]
    for schema in ("NormCreate", "NormUpdate"):
        assert document[schema]["properties"]["title_fr"]["deprecated"] is True
        assert "Deprecated" in document[schema]["properties"]["title_fr"]["description"]


@pytest.mark.parametrize("key", ["de", "en", "FR", ""])
def test_a_title_in_a_language_the_tracker_does_not_speak_is_refused_naming_the_field(admin, key):
    refused = assert_problem(admin.post(URL, json=body(titles={key: "x"})), 422, ["body", "titles"])
    assert repr(key) in refused["detail"]
    assert_problem(admin.patch(f"{URL}/doc-sca", json={"titles": {key: "x"}}), 422, ["body", "titles"])
    assert len(ok(admin.get(URL))) == 15


def test_patch_changes_the_languages_given_and_a_blank_title_removes_one(admin):
    ok(admin.post(URL, json=body(titles={"fr": "Collecte d'armes", "ru": "Сбор оружия"})), 201)
    changed = ok(admin.patch(f"{URL}/bpg-salw-collection", json={"titles": {"ru": "Сбор вооружений"}}))
    assert changed["titles"] == {"fr": "Collecte d'armes", "ru": "Сбор вооружений"}
    removed = ok(admin.patch(f"{URL}/bpg-salw-collection", json={"titles": {"fr": "  "}}))
    assert removed["titles"] == {"ru": "Сбор вооружений"}
    assert ok(admin.get(f"{URL}/bpg-salw-collection", params={"lang": "fr"}))["label"] == "Weapons collection"
    assert_problem(admin.patch(f"{URL}/bpg-salw-collection", json={"titles": None}), 422, ["body", "titles"])
    trail = ok(admin.get("/api/v1/audit", params={"entity": "norm"}))["items"]
    assert trail[0]["changes"]["title_fr"] == ["Collecte d'armes", None]
    assert trail[1]["changes"]["title_ru"] == ["Сбор оружия", "Сбор вооружений"]
    assert trail[2]["changes"]["title_ru"] == [None, "Сбор оружия"]


def test_a_deleted_norm_takes_its_titles_with_it(admin):
    ok(admin.post(URL, json=body(titles={"ru": "Сбор оружия"})), 201)
    assert admin.delete(f"{URL}/bpg-salw-collection").status_code == 204
    ok(admin.post(URL, json=body()), 201)  # the code again: no title left behind
    assert ok(admin.get(f"{URL}/bpg-salw-collection"))["titles"] == {}


# -- one lookup ----------------------------------------------------------------------------------------


class Line:
    def __init__(self, code: str, builtin: bool, titles: dict[str, str]) -> None:
        self.code, self.title, self.builtin, self.titles = code, "English", builtin, titles


@pytest.mark.parametrize("lang", LOCALES)
def test_a_title_is_the_recorded_one_else_the_shipped_one_else_english(lang):
    shipped_title = shipped().get(("doc-sca", lang))
    assert title_in(Line("doc-sca", True, {lang: "Recorded"}), lang) == "Recorded"
    assert title_in(Line("doc-sca", True, {}), lang) == (shipped_title or "English")
    assert title_in(Line("doc-sca", False, {}), lang) == "English"  # not shipped: the catalogue is not its
    assert (shipped_title is None) == (lang == DEFAULT)  # the shipped norms have a title in each language


def test_a_languages_name_is_cldrs_in_the_pages_language():
    assert language_name("ru", "en") == "Russian"
    assert language_name("ru", "fr") == "russe"
    assert language_name("xx", "en") == "xx"
