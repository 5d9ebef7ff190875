"""Rules about States: which may receive assistance, which may fund it."""

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from portfolio.errors import FieldError, Loc, NotFound, Said, ValidationFailed
from portfolio.states import repository
from portfolio.states.models import State
from portfolio.states.names import names_in


class StateNotFound(NotFound):
    pass


def list_states(session: Session, kind: str | None = None) -> list[State]:
    return repository.list_states(session, kind)


def get_state(session: Session, code: str) -> State:
    state = repository.get_state(session, code.upper())
    if state is None:
        raise StateNotFound(f"No OSCE participating State or Partner has the code '{code}'.")
    return state


def require_states(
    session: Session, codes: Sequence[str], loc: Loc, *, participating_only: bool, indexed: bool = False
) -> list[State]:
    """Check codes against the reference list; a 422 names every bad one (with its index in a list)."""
    found = repository.get_states(session, codes)
    errors = state_problems(codes, found, loc, participating_only=participating_only, indexed=indexed)
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)
    return [found[c] for c in codes]


def state_problems(
    codes: Sequence[str],
    found: Mapping[str, State],
    loc: Loc,
    *,
    participating_only: bool,
    indexed: bool = False,
) -> list[FieldError]:
    """What is wrong with ``codes``, given the States ``found`` for them (the rule, without the query)."""
    errors: list[FieldError] = []
    for i, code in enumerate(codes):
        where: Loc = (*loc, i) if indexed else loc
        state = found.get(code)
        if state is None:
            errors.append(
                FieldError(
                    where, Said("'%(code)s' is not an OSCE participating State or Partner code", code=code)
                )
            )
        elif participating_only and state.kind != "participating":
            errors.append(
                FieldError(where, f"{state.name} is a Partner for Co-operation, not a participating State")
            )
    return errors


def names(session: Session, lang: str, kind: str | None = None) -> dict[str, str]:
    """Every State's (or every State of ``kind``'s) name in ``lang``, by code, in alphabetical order of the
    names (:mod:`portfolio.states.names`)."""
    return names_in(list(repository.list_states(session, kind)), lang)
