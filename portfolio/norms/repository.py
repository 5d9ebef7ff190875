"""Every query of the norms catalogue."""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from portfolio.norms.models import Norm

KIND_ORDER = {"document": 0, "guide": 1, "other": 2}


def list_norms(session: Session) -> list[Norm]:
    """Documents first, then guides, then the rest; by year adopted, then code."""
    norms = list(session.exec(select(Norm).order_by(col(Norm.code))))
    return sorted(norms, key=lambda n: (KIND_ORDER.get(n.kind, 9), n.adopted or 0, n.code))


def get_norm(session: Session, code: str, *, for_update: bool = False) -> Norm | None:
    query = select(Norm).where(Norm.code == code)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def all_codes(session: Session) -> list[str]:
    return sorted(session.exec(select(Norm.code)))


def titles(session: Session, codes: Iterable[str]) -> dict[str, Norm]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {n.code: n for n in session.exec(select(Norm).where(col(Norm.code).in_(wanted)))}
