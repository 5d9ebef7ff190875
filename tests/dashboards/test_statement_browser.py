"""A donor's statement in a real browser (Debian's Chromium) on the sample portfolio: the demo donor
chooses a period in the form, follows a project link, and downloads the PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

from tests.browser import ARTIFACTS, log_in, shoot, skip_module_without_browser

skip_module_without_browser()


def test_the_demo_donor_chooses_a_period_follows_a_project_and_downloads_the_pdf(browser, server):
    context, page, problems = log_in(
        browser, server, "donor.deu@example.org", offline=True, ignore=("status of 403",)
    )
    try:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Donor view").click()
        page.wait_for_load_state("load")
        assert page.url.startswith(f"{server}/dashboards/donors/DEU")
        assert page.get_by_role("heading", name="Statement of contributions: Germany").is_visible()
        default_start = page.get_by_label("From (date)").input_value()
        assert default_start == f"{date.today().year - 1}-01-01"

        page.get_by_label("From (date)").fill("2023-01-01")
        page.get_by_label("To (date)").fill("2024-12-31")
        page.get_by_role("button", name="Show the period").click()
        page.wait_for_load_state("load")
        assert "from=2023-01-01" in page.url and "to=2024-12-31" in page.url
        assert page.get_by_text("Period: Jan 1, 2023 to Dec 31, 2024").is_visible()
        assert page.get_by_label("To (date)").input_value() == "2024-12-31"
        pledged = page.locator('[data-kpi="pledged-period"]').get_attribute("data-value")
        assert pledged is not None
        assert page.locator("figure.statement-chart svg").count() >= 1
        shoot(page, "statement-page-en")

        # the PDF of the same period
        with page.expect_download() as download:
            page.get_by_role("link", name="Download this statement as PDF").click()
        pdf = ARTIFACTS / "statement-browser.pdf"
        ARTIFACTS.mkdir(exist_ok=True)
        download.value.save_as(pdf)
        assert download.value.suggested_filename == "statement-DEU-2023-01-01-2024-12-31.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout  # noqa: S607
            assert "Statement of contributions: Germany" in text
            assert "Sample data" in text  # the sample portfolio says so on paper too

        # a project of the statement, which the donor may read
        projects = page.locator("#projects tbody a")
        assert projects.count() > 0
        code = projects.first.inner_text()
        projects.first.click()
        page.wait_for_load_state("load")
        assert "/projects/" in page.url
        assert (
            page.get_by_role("heading", level=1).first.inner_text().find(code) >= 0 or code in page.content()
        )

        # another State's statement is not for this account
        refused = page.goto(f"{server}/dashboards/donors/USA")
        assert refused is not None and refused.status == 403
    finally:
        context.close()
    assert problems == []


def test_the_statement_reads_french_in_the_browser(browser, server):
    context, page, problems = log_in(browser, server, "donor.deu@example.org", "fr", offline=True)
    try:
        page.goto(f"{server}/dashboards/donors/DEU?from=2024-01-01&to=2025-12-31")
        assert page.get_by_role("heading", name="Relevé des contributions\u00a0: Allemagne").is_visible()
        page.get_by_label("Du (date)").fill("2026-01-01")  # after the end: refused beside the field
        page.get_by_role("button", name="Afficher la période").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("La fin de la période (2025-12-31) précède son début.").is_visible()
        assert page.get_by_label("Au (date)").get_attribute("aria-invalid") == "true"
        shoot(page, "statement-page-fr-refused")
    finally:
        context.close()
    assert [p for p in problems if "status of 422" not in p] == []
