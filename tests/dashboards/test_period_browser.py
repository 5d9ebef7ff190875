"""The period report in a real browser, as a manager uses it: from the menu, a period typed into the form,
the counts read, a project followed, a CSV and the PDF downloaded; a period that cannot be read refused
beside its field; the page scanned by axe-core in English and French."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest

from tests.browser import log_in, shoot, skip_module_without_browser

skip_module_without_browser()
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python")
REFUSALS = ("the server responded with a status of 4",)


def serious(page) -> list[str]:
    results = axe_module.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {'; '.join(n['target'][0] for n in v['nodes'][:3])}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_manager_opens_the_report_sets_a_period_follows_a_project_and_downloads(browser, server, tmp_path):
    context, page, problems = log_in(browser, server, "manager@example.org")
    try:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Period report").click()
        assert page.get_by_role("heading", level=1).text_content() == "Period report"
        page.get_by_label("From (first day)").fill("2021-01-01")
        page.get_by_label("To (last day)").fill("2022-12-31")
        page.get_by_role("button", name="Show the report").click()
        page.wait_for_load_state("load")
        assert "from=2021-01-01" in page.url and "to=2022-12-31" in page.url
        assert "Jan 1, 2021 to Dec 31, 2022, both days included" in page.text_content("main")
        counts = {
            key: int(page.locator(f'[data-kpi="{key}"]').get_attribute("data-value") or "-1")
            for key in ("requests", "assessments", "started", "completed", "cancelled")
        }
        assert all(n >= 0 for n in counts.values()) and sum(counts.values()) > 0, counts
        for key, n in counts.items():
            # the count a person reads is the number of rows of its list
            assert page.locator(f"#{key} tbody tr").count() == n, key
            assert page.locator(f'[data-kpi="{key}"] .kpi-value').text_content() == str(n)
        assert serious(page) == []
        shoot(page, "period-report-en")

        # a CSV beside its table holds the rows the page shows
        with page.expect_download() as download:
            page.locator("#started").get_by_role("link", name="Download CSV").click()
        rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
        assert rows[0] == ["Code", "Title", "Beneficiary States", "Date of the move"]
        shown = page.locator("#started tbody tr td:first-child").all_text_contents()
        assert [r[0] for r in rows[1:]] == shown

        # the PDF, in French, from the form under the period
        page.get_by_label("Language of the PDF").select_option("fr")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the PDF").click()
        assert download.value.suggested_filename == "period-report-2021-01-01-2022-12-31-fr.pdf"
        pdf = tmp_path / "period.pdf"
        download.value.save_as(pdf)
        pdftotext = shutil.which("pdftotext")
        if pdftotext:
            text = subprocess.run(
                [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert "Rapport sur la période" in text and shown[0] in text

        # a project followed from its list
        first = page.locator("#started tbody tr td:first-child a").first
        code = first.text_content() or ""
        first.click()
        page.wait_for_load_state("load")
        assert re.search(r"/projects/\d+$", page.url)
        assert code in page.text_content("main")
    finally:
        context.close()
    assert problems == []


def test_a_period_that_ends_before_it_starts_is_refused_beside_the_field_in_french(browser, server):
    context, page, problems = log_in(browser, server, "staff@example.org", "fr", ignore=REFUSALS)
    try:
        page.get_by_role("navigation", name="Menu principal").get_by_role(
            "link", name="Rapport sur la période"
        ).click()
        page.get_by_label("Du (premier jour)").fill("2024-12-31")
        page.get_by_label("Au (dernier jour)").fill("2024-01-01")
        page.get_by_role("button", name="Afficher le rapport").click()
        page.wait_for_load_state("load")
        message = page.locator("#f-to-error").text_content()
        assert message == "La fin de la période (2024-01-01) précède son début."
        assert page.get_by_label("Au (dernier jour)").get_attribute("aria-invalid") == "true"
        assert page.get_by_label("Du (premier jour)").input_value() == "2024-12-31"
        assert page.get_by_label("Au (dernier jour)").input_value() == "2024-01-01"
        assert page.locator("[data-kpi]").count() == 0
        assert serious(page) == []
        shoot(page, "period-report-refused-fr", full_page=False)
        page.get_by_label("Du (premier jour)").fill("2021-01-01")
        page.get_by_label("Au (dernier jour)").fill("2022-12-31")
        page.get_by_role("button", name="Afficher le rapport").click()
        page.wait_for_load_state("load")
        assert "Demandes reçues" in page.text_content("main")
        assert serious(page) == []
        shoot(page, "period-report-fr")
    finally:
        context.close()
    assert problems == []
