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
    # Reference data never changes while the app runs: States already in the session are not asked again.
    found: dict[str, State] = {}
    if len(wanted) <= 3:
        found = {c: s for c in wanted if (s := session.get(State, c)) is not None}
    missing = wanted - found.keys()
    if missing:
        found.update({s.code: s for s in session.exec(select(State).where(col(State.code).in_(missing)))})
    return found
