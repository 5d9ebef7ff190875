"""Reference vocabularies shipped with the package (IATI codelists, CC BY 4.0 — see iati/LICENSE)."""

from functools import lru_cache
from importlib import resources
from xml.etree import ElementTree


@lru_cache
def codelist(name: str) -> dict[str, str]:
    """An IATI codelist as ``{code: English name}``, read from the copy inside the package."""
    source = resources.files("portfolio.reference").joinpath("iati", "codelists", f"{name}.xml")
    root = ElementTree.fromstring(source.read_bytes())  # noqa: S314 - a file we ship, not user input
    items: dict[str, str] = {}
    for item in root.iter("codelist-item"):
        code = item.findtext("code")
        name_el = item.find("name/narrative")
        if code:
            items[code.strip()] = (name_el.text or "").strip() if name_el is not None else ""
    return items


def sdg_targets() -> dict[str, str]:
    """UN Sustainable Development Goal targets, e.g. ``16.4``."""
    return codelist("UNSDG-Targets")
