"""Every text a person can see has its translation in every language of the site (French, Russian…): the
strings marked for translation in the code and the templates (found by Babel's extractor, as ``pybabel
extract`` finds them) against each language's catalogue the pages use. A new English string without its
translation fails here, with the language, the file and the line where it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from portfolio.web.i18n import DEFAULT, LOCALE_DIR, LOCALES, catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("portfolio", "dashboards")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
OPTIONS = {
    "**.py": {},
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"},
}
# ``pgettext("pledge status", "Pledged")``: a message in a context, its own message beside "Pledged"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
TRANSLATED = [lang for lang in LOCALES if lang != DEFAULT]
each_language = pytest.mark.parametrize("lang", TRANSLATED)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def extracted() -> dict[tuple[str, str | None], list[str]]:
    """Each message marked in the sources — its msgid and its context, None for most — with where it is
    (``portfolio/web/errors.py:34``)."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for top in SOURCES:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / top, METHODS, OPTIONS, keywords=KEYWORDS
        ):
            # a plural message is found, and translated, under its singular
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault((msgid, context), []).append(f"{top}/{filename}:{lineno}")
    return found


def shown(msgid: str, context: str | None) -> str:
    return repr(msgid) if context is None else f"{msgid!r} (context {context!r})"


@pytest.fixture(scope="module")
def strings() -> dict[tuple[str, str | None], list[str]]:
    return extracted()


def test_the_extractor_finds_the_pages_strings(strings):
    assert ("Log in", None) in strings  # a template's
    assert ("Wrong e-mail or password.", None) in strings  # Python's, in a route
    assert ("Funding overview", None) in strings  # the dashboards' labels
    assert ("Error %(status)s", None) in strings  # a newstyle placeholder
    assert ("Pledged", "pledge status") in strings  # a pledge's status, in its context
    assert ("Pledged", None) in strings  # the amount pledged, without
    assert len(strings) > 150


@each_language
def test_every_visible_string_has_a_translation(strings, lang):
    french = catalogue(lang)
    missing = []
    for (msgid, context), places in sorted(strings.items(), key=lambda kv: kv[1][0]):
        message = french.get(msgid, context=context)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"{', '.join(places)}: {shown(msgid, context)}")
    assert not missing, f"{len(missing)} string(s) without {lang}:\n" + "\n".join(missing)


@each_language
def test_every_message_in_a_context_is_one_the_sources_mark(strings, lang):
    """A ``msgctxt`` entry nothing asks for is French no page shows: a context misspelt in a catalogue or
    in the code."""
    unused = [
        f"{message.id!r} (context {message.context!r})"
        for message in catalogue(lang)
        if message.context is not None and (message.id, message.context) not in strings
    ]
    assert not unused, "\n".join(unused)


@each_language
def test_no_translation_loses_or_invents_a_placeholder(lang):
    unbalanced = []
    for message in catalogue(lang):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(m.group(0) for m in PLACEHOLDER.finditer(ids[0]))
        for text in strings:
            got = sorted(m.group(0) for m in PLACEHOLDER.finditer(text))
            if got != wanted:
                unbalanced.append(f"{message.id!r}: {wanted} but {text!r} has {got}")
    assert not unbalanced, "\n".join(unbalanced)


@each_language
def test_every_catalogue_file_is_valid_utf8_of_its_language(lang):
    files = sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))
    french = {f.name for f in (LOCALE_DIR / "fr" / "LC_MESSAGES").glob("*.po")}
    assert {f.name for f in files} == french  # the same files in every language
    for path in files:
        head = path.read_text(encoding="utf-8")
        assert '"Content-Type: text/plain; charset=UTF-8\\n"' in head, path.name
        assert f'"Language: {lang}\\n"' in head, path.name


def test_the_extraction_config_for_pybabel_finds_the_same_strings(strings):
    """``pybabel extract -F portfolio/locale/babel.cfg -o messages.pot .`` at the repository's root."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as f:
        methods, options = parse_mapping_cfg(f, "babel.cfg")
    found = {
        (message[0] if isinstance(message, tuple) else message, context)
        for _filename, _lineno, message, _comments, context in extract_from_dir(
            ROOT, methods, options, keywords=KEYWORDS
        )
        if message
    }
    assert found == set(strings)
