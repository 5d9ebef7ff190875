"""The address of any page of a list, for the one pager every list shows (the ``pager`` macro of
``macros.html``: previous and next with ``rel="prev"`` and ``rel="next"``, "Page 2 of 5" as the page
writes numbers)."""

from __future__ import annotations

from collections.abc import Callable


def page_address(path: str, query: Callable[[int], str]) -> Callable[[int], str]:
    """Page ``n`` of the list at ``path`` whose query string for a page is ``query(n)`` (empty: none)."""

    def address(n: int) -> str:
        found = query(n)
        return f"{path}?{found}" if found else path

    return address


def numbered(path: str, query: str = "") -> Callable[[int], str]:
    """A list whose pages are ``?page=N`` after its own ``query`` (its filters), if any."""
    return page_address(path, lambda n: f"{query}&page={n}" if query else f"page={n}")
