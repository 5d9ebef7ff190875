"""Every query of the norms catalogue, and every write of its titles in other languages (``norm_title``).

A norm's titles are read in the statement that reads it (a joined eager load): hence ``unique()``."""

from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, select

from portfolio.norms.models import Norm, NormTitle

KIND_ORDER = {"document": 0, "guide": 1, "other": 2}


def list_norms(session: Session) -> list[Norm]:
    """Documents first, then guides, then the rest; by year adopted, then code."""
    norms = list(session.exec(select(Norm).order_by(col(Norm.code))).unique())
    return sorted(norms, key=lambda n: (KIND_ORDER.get(n.kind, 9), n.adopted or 0, n.code))


def get_norm(session: Session, code: str, *, for_update: bool = False) -> Norm | None:
    query = select(Norm).where(Norm.code == code)
    if for_update:
        query = query.with_for_update(of=Norm)  # the norm's row, not its titles (the outer join's side)
    return session.exec(query).unique().first()


def all_codes(session: Session) -> list[str]:
    return sorted(session.exec(select(Norm.code)))


def titles(session: Session, codes: Iterable[str]) -> dict[str, Norm]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {n.code: n for n in session.exec(select(Norm).where(col(Norm.code).in_(wanted))).unique()}


def set_titles(norm: Norm, changed: Mapping[str, str]) -> None:
    """Record ``changed`` titles of a norm (language code → title): a blank title removes the language's
    row, any other is stored, replacing the one before; the languages not named stay as they are."""
    rows = {row.lang: row for row in norm.title_rows}
    for lang, title in changed.items():
        row = rows.get(lang)
        if not title:
            if row is not None:
                norm.title_rows.remove(row)
        elif row is None:
            norm.title_rows.append(NormTitle(norm_code=norm.code, lang=lang, title=title))
        else:
            row.title = title
