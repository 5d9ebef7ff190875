"""The PDF foundation: A4 pages, every font embedded, charts drawn as vectors with their words as text."""

import shutil
import subprocess
from decimal import Decimal

import pytest

from dashboards.printing import bar_chart_svg, pdf_from_html

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdffonts) is not installed"
)


def poppler(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


@needs_poppler
def test_a_report_prints_on_a4_with_its_fonts_embedded_and_its_chart_as_searchable_vectors(tmp_path):
    chart = bar_chart_svg(
        ["Bosnia and Herzegovina", "Serbia"],
        [("Pledged", [Decimal("1200000"), Decimal("300000")]), ("Received", [Decimal("900000"), 0])],
        title="Money by beneficiary",
        tick=lambda x: f"{x:,.0f}".replace(",", "\u202f"),
    )
    html = (
        "<!doctype html><html lang='fr'><head><title>Relevé</title></head><body>"
        f"<h1>Relevé — Norvège</h1><p>Montant : 1 234 567,89 €</p><figure>{chart}</figure></body></html>"
    )
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_from_html(html, title="Relevé", lang="fr"))

    info = poppler("pdfinfo", str(pdf))
    assert "x 841.89 pts (A4)" in info
    fonts = [line.split() for line in poppler("pdffonts", str(pdf)).splitlines()[2:]]
    assert fonts, "the PDF names no font"
    assert all(row[-5] == "yes" for row in fonts), fonts  # the 'emb' column of every font
    text = poppler("pdftotext", str(pdf), "-")
    assert "Relevé — Norvège" in text
    assert "1 234 567,89 €" in text
    assert "Bosnia and Herzegovina" in text  # the chart's labels are text, not pixels
    assert "1 200 000" in text.replace("\u202f", " ")  # its ticks in the locale the caller chose
    images = poppler("pdfimages", "-list", str(pdf))
    assert len(images.splitlines()) == 2, "the chart was rasterised: " + images  # header lines only
