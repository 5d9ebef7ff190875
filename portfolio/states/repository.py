from collections.abc import Iterable

from sqlmodel import Session, col, select

from portfolio.states.models import State


def list_states(session: Session, kind: str | None = None) -> list[State]:
    query = select(State).order_by(col(State.name))
    if kind is not None:
        query = query.where(State.kind == kind)
    return list(session.exec(query))


def get_state(session: Session, code: str) -> State | None:
    return session.get(State, code)


def get_states(session: Session, codes: Iterable[str]) -> dict[str, State]:
    wanted = set(codes)
    if not wanted:
        return {}
    return {s.code: s for s in session.exec(select(State).where(col(State.code).in_(wanted)))}
