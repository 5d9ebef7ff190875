"""What things are called, once: each stored value a person chooses from carries its label beside its
definition (:mod:`portfolio.choices`), and every page, pick-list, file, chart and change in the audit trail
says it through one function. A table of the same words anywhere else fails here, and an activity type reads
the same wherever a person meets it, in English and in French."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest

from portfolio.web.i18n import DEFAULT, LOCALES, VOCABULARIES, catalogue, label, word
from tests.factories import make_project, move
from tests.pages import log_in

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for top in ("portfolio", "dashboards")
    for pattern in ("*.py", "*.html")
    for path in (ROOT / top).rglob(pattern)
]
DEFINITIONS = {"portfolio/choices.py"} | {
    str(Path(vocabulary.__module__.replace(".", "/") + ".py")) for vocabulary in VOCABULARIES.values()
}
TRANSLATED = [lang for lang in LOCALES if lang != DEFAULT]
MARKED = {"_", "gettext", "pgettext", "mark", "mark_in_context"}
PLURAL_HEADINGS = "not the norms' kinds as a norm is labelled"  # a comment that says why a table differs


def _tables(path: Path) -> list[tuple[int, list[str]]]:
    """Each table in a file that maps stored values to marked words: its line and its keys."""
    text = path.read_text()
    if path.suffix == ".html":
        return [
            (text[: m.start()].count("\n") + 1, re.findall(r'"([\w-]+)":\s*_\(', m.group(0)))
            for m in re.finditer(r"\{%\s*set\s+\w+\s*=\s*\{.*?\}\s*%\}", text, re.S)
        ]
    tables = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Dict):
            continue
        keys = []
        for key, value in zip(node.keys, node.values, strict=True):
            marked = (
                isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in MARKED
            )
            if not marked:
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys.append(key.value)
            elif isinstance(key, ast.Attribute):  # ActivityType.other, Role.admin.value
                inner = key.value if key.attr == "value" and isinstance(key.value, ast.Attribute) else key
                keys.append(inner.attr)
        if keys and PLURAL_HEADINGS not in "\n".join(text.splitlines()[node.lineno - 2 : node.lineno]):
            tables.append((node.lineno, keys))
    return tables


def test_no_table_of_a_vocabularys_words_is_written_outside_its_definition():
    """A table giving words to most of one vocabulary's values — ``{"stockpile_security": _("…"), …}`` or
    ``{ActivityType.other: _("…"), …}`` — anywhere but where the vocabulary is defined is a second copy of
    its words, the kind that drifted apart before. (A few of its values as keys of another table — the
    definitions of the period report's "completed" and "cancelled" tables — are not.)"""
    copies = []
    for path in SOURCES:
        where = str(path.relative_to(ROOT))
        if where in DEFINITIONS:
            continue
        for line, keys in _tables(path):
            for name, vocabulary in VOCABULARIES.items():
                values = {member.value for member in vocabulary} | {member.name for member in vocabulary}
                hits = {key for key in keys if key in values}
                if len(hits) >= 2 and (
                    len(hits) == len(vocabulary) or (len(hits) >= 3 and len(hits) * 2 > len(vocabulary))
                ):
                    copies.append(f"{where}:{line}: {name} {sorted(hits)}")
    assert not copies, "\n".join(copies)


def test_every_label_is_said_in_every_language_and_mid_sentence_in_lower_case():
    for lang in TRANSLATED:
        words = catalogue(lang)
        for vocabulary in VOCABULARIES.values():
            for member in vocabulary:
                found = words.get(member.label, context=member.context)
                assert found is not None and found.string, (vocabulary.__name__, member.value, lang)
                assert label(member, vocabulary, lang) == found.string
    assert word("seeking_funding", VOCABULARIES["ProjectStatus"], "en") == "seeking funding"
    assert word("SALW", VOCABULARIES["Area"], "fr") == "ALPC"  # an abbreviation keeps its capitals
    # a pledge's status in its context: "une annonce retirée", not the amount "retiré"
    assert word("withdrawn", VOCABULARIES["PledgeStatus"], "fr") == "retirée"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Stockpile security and management"), ("fr", "Sécurité et gestion des stocks")],
)
def test_an_activity_type_reads_the_same_wherever_a_person_meets_it(app, client, accounts, lang, expected):
    """The register, the project page, the form's pick-list, Seeking funding and the dashboards' chart used
    to say 'Stockpile security', 'Stockpile security and management' and 'stockpile security'."""
    project = make_project(
        client, code="VOC-1", activity_types=["stockpile_security"], request_date="2025-01-10"
    )
    move(client, project["id"], "assessment", "planning", "seeking_funding")
    staff = log_in(app, accounts["staff"])

    def text(path: str) -> str:
        page = staff.get(path, params={"lang": lang})
        assert page.status_code == 200, path
        return html.unescape(page.text)

    assert expected in text(f"/projects/{project['id']}")
    assert f'value="stockpile_security" checked> {expected}</label>' in text(
        f"/projects/{project['id']}/edit"
    )
    assert f">{expected}</option>" in text("/projects")  # the register's filter
    assert expected in text("/seeking-funding")
    lowered = expected[0].lower() + expected[1:]
    assert lowered in text("/dashboards/funding")  # the chart by activity type, mid-sentence
    assert expected not in text("/dashboards/funding").replace(f"{lowered}", "")
