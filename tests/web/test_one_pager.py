"""Every list pages the same way: one pager (the ``pager`` macro), with previous and next marked
``rel="prev"`` and ``rel="next"`` and where one is ("Page 2 of 2") written as the page writes numbers. Six
hand-written pagers in three styles before: Seeking funding said neither where one was nor rel."""

from __future__ import annotations

from pathlib import Path

from tests.factories import make_project, move
from tests.pages import log_in

TEMPLATES = Path(__file__).resolve().parents[2] / "portfolio" / "web" / "templates"


def test_no_template_writes_a_pager_of_its_own():
    own = [
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if '<nav class="pager"' in p.read_text()
    ]
    assert own == ["layout/macros.html"]


def test_seeking_funding_pages_with_the_one_pager(app, client, accounts):
    for n in range(21):
        project = make_project(client, code=f"SEEK-{n:02d}", request_date="2025-01-10")
        move(client, project["id"], "assessment", "planning", "seeking_funding")
    donor = log_in(app, accounts["donor"])
    first = donor.get("/seeking-funding")
    assert 'href="/seeking-funding?page=2" rel="next"' in first.text
    assert "Page 1 of 2" in first.text and 'rel="prev"' not in first.text
    second = donor.get("/seeking-funding?page=2&lang=fr")
    assert 'href="/seeking-funding" rel="prev"' in second.text and 'rel="next"' not in second.text
    assert "Page 2 sur 2" in second.text
