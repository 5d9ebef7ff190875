"""Printable reports: HTML to an A4 PDF with its fonts embedded, and charts drawn as vector SVG.

WeasyPrint lays out the same HTML a page shows (the print stylesheet is ``templates/print/print.css``) and
embeds the fonts it uses as subsets, so a PDF reads the same on any machine, offline. The font is DejaVu
Sans from matplotlib's own data (``matplotlib.get_data_path()``, under its bundled DejaVu licence), so no
font is fetched or assumed on the host. Charts are matplotlib figures saved as SVG with their text kept as
text (``svg.fonttype: none``): WeasyPrint draws them as vectors and the words in them stay searchable.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FAMILY = "DejaVu Sans"
PRINT_CSS = Path(__file__).parent / "templates" / "print" / "print.css"

# The palette the dashboards use (colour-blind safe, in the same order).
COLOURS = ("#1f4e79", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7f7f7f")


def font_faces() -> str:
    """@font-face rules for the embedded font, pointing at the files on this machine."""
    faces = []
    for weight, style, name in (
        ("normal", "normal", "DejaVuSans.ttf"),
        ("bold", "normal", "DejaVuSans-Bold.ttf"),
        ("normal", "italic", "DejaVuSans-Oblique.ttf"),
        ("bold", "italic", "DejaVuSans-BoldOblique.ttf"),
    ):
        url = (FONT_DIR / name).as_uri()
        faces.append(
            f"@font-face {{ font-family: '{FONT_FAMILY}'; src: url('{url}'); "
            f"font-weight: {weight}; font-style: {style}; }}"
        )
    return "\n".join(faces)


def print_css() -> str:
    return font_faces() + "\n" + PRINT_CSS.read_text(encoding="utf-8")


def pdf_from_html(html: str, *, title: str, lang: str) -> bytes:
    """A whole HTML document as PDF bytes (A4, fonts embedded), ``title`` and ``lang`` in its metadata."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    document = HTML(string=html, base_url=str(Path(__file__).parent))
    stylesheet = CSS(string=print_css(), font_config=fonts)
    rendered = document.render(stylesheets=[stylesheet], font_config=fonts)
    rendered.metadata.title = title
    rendered.metadata.lang = lang
    pdf = rendered.write_pdf(pdf_variant=None)
    assert pdf is not None
    return bytes(pdf)


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    # No date and a fixed salt for the element ids: the same figures draw the same SVG, byte for byte.
    with plt.rc_context({"svg.fonttype": "none", "font.family": FONT_FAMILY, "svg.hashsalt": "portfolio"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: the SVG is inlined in HTML


def bar_chart_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | float | int]]],
    *,
    title: str,
    tick: Callable[[float], str] = "{:,.0f}".format,
    whole_numbers: bool = False,
    width_cm: float = 16.0,
) -> str:
    """Horizontal bars, one group per label and one bar per series, as an inline SVG element.

    ``title`` is the chart's one title (printed above it); ``tick`` formats the axis ticks in the report's
    locale (pass the page's number formatter); ``whole_numbers`` keeps a count axis in integers.
    """
    rows = max(len(labels), 1)
    height = 1.2 + 0.32 * rows * max(len(series), 1)
    with plt.rc_context({"svg.fonttype": "none", "font.family": FONT_FAMILY, "font.size": 8}):
        fig, ax = plt.subplots(figsize=(width_cm / 2.54, min(height, 24 / 2.54)))
        n = max(len(series), 1)
        bar = 0.8 / n
        for i, (name, values) in enumerate(series):
            positions = [r + (i - (n - 1) / 2) * bar for r in range(len(labels))]
            ax.barh(positions, [float(v) for v in values], height=bar, label=name, color=COLOURS[i % 7])
        ax.set_yticks(range(len(labels)), labels=list(labels))
        ax.invert_yaxis()
        ax.set_title(title, loc="left", fontsize=9, fontweight="bold")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: tick(x)))
        if whole_numbers:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        if len(series) > 1:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(series), frameon=False)
        return _svg(fig)
