"""Every page a person can reach, reached the way a person does: from the home page, following links, as
each role, in English and in French, in Debian's Chromium on the sample portfolio.

Each page must answer HTML (never JSON), keep the console clean, pass an axe-core scan with no serious or
critical violation, and — in French — show no English sentence of the catalogues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from portfolio.web.i18n import catalogue
from tests.browser import log_in, shoot, skip_module_without_browser

skip_module_without_browser()
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python")
# Links a crawler must not follow: downloads, the API's own documentation, and leaving the session.
SKIP = re.compile(r"(/download|\.pdf|\.csv|\.xlsx|\.json|/docs|/redoc|/openapi|/logout|/language|/api/)")
MAX_PAGES = 60
# Chromium reports on its console each 4xx answer, which the crawl asks for on purpose.
REFUSALS = ("the server responded with a status of 4",)


def crawl(page, server: str) -> Iterator[str]:
    """Breadth first from the home page, each page once (a record's many siblings: the first few)."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    # the home page, and the projects under way: theirs are the pages with pledges, receipts and parts
    queue = [f"{server}/projects?status=implementation", f"{server}/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        yield url
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            href = href.split("#")[0]
            if not href.startswith(server) or SKIP.search(href) or href in seen:
                continue
            # /projects/12 and /projects/13 are the same page: visit a few of each shape
            shape = re.sub(r"/\d+", "/N", urlsplit(href).path) + ("?" if urlsplit(href).query else "")
            if shapes.get(shape, 0) >= 2:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(href)
    # and two pages no link leads to: a record that does not exist, and a refused form
    yield f"{server}/projects/999999"
    yield f"{server}/projects?status=bogus"


def english_sentences(lang: str) -> set[str]:
    """The catalogues' English texts long enough to be sentences (a French or Russian page must show none)."""
    texts = set()
    for message in catalogue(lang):
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if not msgid or not message.string:
            continue
        french = message.string if isinstance(message.string, str) else message.string[0]
        plain = re.sub(r"%\(\w+\)s|\{\w+\}", "", msgid).strip()
        if len(plain.split()) >= 3 and plain != french:
            texts.add(plain)
    return texts


@pytest.mark.parametrize(
    ("email", "lang"),
    [
        ("staff@example.org", "en"),
        ("staff@example.org", "fr"),
        ("admin@example.org", "en"),
        ("manager@example.org", "fr"),
        ("donor.deu@example.org", "en"),
        ("staff@example.org", "ru"),
        ("manager@example.org", "ru"),
        ("donor.deu@example.org", "ru"),
    ],
)
def test_every_reachable_page_is_html_accessible_and_in_its_language(browser, server, email, lang):
    context, page, problems = log_in(
        browser, server, email, lang, choose_language=True, ignore=REFUSALS, locale=lang
    )
    axe = axe_module.Axe()
    english = english_sentences(lang) if lang != "en" else set()
    failures: list[str] = []
    visited = 0
    try:
        shapes = set()
        for url in crawl(page, server):
            if not url.endswith(("/999999", "=bogus")):
                visited += 1
            else:
                page.goto(url)
            shapes.add(re.sub(r"/\d+", "/N", urlsplit(url).path))
            kind = page.evaluate("document.contentType")
            if kind != "text/html":
                failures.append(f"{url}: {kind}")
                continue
            results = axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    nodes = "; ".join(n["target"][0] for n in violation["nodes"][:3])
                    failures.append(f"{url}: axe {violation['id']} ({violation['impact']}): {nodes}")
            if english:
                text = page.inner_text("body")
                left = sorted(s for s in english if s in text)
                if left:
                    failures.append(f"{url}: English left on a page in {lang}: {left[:5]}")
        page.goto(f"{server}/")
        shoot(page, f"crawl-home-{email.split('@')[0]}-{lang}")
    finally:
        context.close()
    print(f"\n{email} ({lang}): {visited} pages of {len(shapes)} kinds scanned: {sorted(shapes)}")
    assert visited >= (4 if email.startswith("donor") else 15), f"only {visited} pages reached"
    assert failures == [], "\n".join(failures)
    assert problems == []
