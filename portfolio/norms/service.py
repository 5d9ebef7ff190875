"""The rules of the norms catalogue: the shipped norms may be retitled but never deleted; a code is
unique; whether a norm is still named by a project is for :mod:`portfolio.flows.delete_norm` to say.
Knows nothing of HTTP; never commits."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.errors import Conflict, FieldError, NotFound, Said, ValidationFailed
from portfolio.norms import repository
from portfolio.norms.models import Norm
from portfolio.norms.schemas import NormCreate, NormUpdate
from portfolio.security import Actor

Changes = dict[str, list[Any]]


class NormNotFound(NotFound):
    pass


class DuplicateNorm(Conflict):
    slug = "duplicate-norm"
    title = "Norm already in the catalogue"


class BuiltinNorm(Conflict):
    slug = "builtin-norm"
    title = "A norm shipped with the product"


def list_norms(session: Session) -> list[Norm]:
    return repository.list_norms(session)


def get_norm(session: Session, code: str, *, for_update: bool = False) -> Norm:
    norm = repository.get_norm(session, code.strip().lower(), for_update=for_update)
    if norm is None:
        raise NormNotFound(f"No norm has the code '{code}'.")
    return norm


def create_norm(session: Session, actor: Actor, data: NormCreate) -> Norm:
    if repository.get_norm(session, data.code) is not None:
        raise DuplicateNorm(
            Said("The catalogue already has a norm with the code '%(code)s'.", code=data.code)
        )
    norm = Norm(**data.columns(), builtin=False)
    session.add(norm)
    repository.set_titles(norm, data.given_titles())
    session.flush()
    audit.created(session, actor, "norm", norm, None, **title_fields(norm.titles))
    return norm


def title_fields(titles: dict[str, str]) -> dict[str, str]:
    """A norm's titles in other languages as the audit trail keeps them: one field per language,
    ``title_<code>`` (``title_fr``, ``title_ru``), as the French one was kept when it was a column."""
    return {f"title_{lang}": title for lang, title in titles.items()}


def update_norm(session: Session, actor: Actor, code: str, data: NormUpdate) -> tuple[Norm, Changes]:
    norm = get_norm(session, code, for_update=True)
    values = data.columns()
    if norm.builtin and "kind" in values and values["kind"] != norm.kind:
        raise BuiltinNorm(f"'{norm.code}' is shipped with the product: it may be retitled, not re-classed.")
    changes: Changes = {}
    for name, value in values.items():
        old = getattr(norm, name)
        new = str(value) if name == "kind" else value
        if old != new:
            setattr(norm, name, new)
            changes[name] = [old, new]
    recorded = norm.titles
    titles = {lang: title for lang, title in data.given_titles().items() if recorded.get(lang, "") != title}
    if titles:
        repository.set_titles(norm, titles)
        for lang, title in titles.items():
            changes[f"title_{lang}"] = [recorded.get(lang), title or None]
    if changes:
        audit.record(session, actor, "update", "norm", None, {"code": [norm.code, norm.code], **changes})
        session.flush()
    return norm, changes


def delete_norm(session: Session, actor: Actor, code: str) -> Norm:
    """Delete a norm an administrator added (the caller has made sure no project names it)."""
    norm = get_norm(session, code, for_update=True)
    if norm.builtin:
        raise BuiltinNorm(f"'{norm.code}' is shipped with the product and cannot be deleted.")
    audit.deleted(session, actor, "norm", norm, None, **title_fields(norm.titles))
    session.delete(norm)
    session.flush()
    return norm


def check_codes(session: Session, codes: list[str], loc: tuple[str, ...] = ("body", "norms")) -> None:
    """A 422 on ``loc`` naming every code the catalogue does not hold, and the codes it does."""
    known = set(repository.all_codes(session))
    problems = unknown_codes(codes, known, loc)
    if problems:
        raise ValidationFailed("; ".join(e.msg for e in problems), errors=problems)


def unknown_codes(
    codes: list[str], known: set[str] | frozenset[str], loc: tuple[str, ...]
) -> list[FieldError]:
    """What is wrong with ``codes``, given the catalogue's ``known`` codes (the rule, without the query)."""
    unknown = [c for c in codes if c not in known]
    if not unknown:
        return []
    names = ", ".join(repr(c) for c in unknown)
    catalogue = ", ".join(sorted(known))
    return [
        FieldError(
            loc,
            Said(
                "no norm has the code %(codes)s; the catalogue holds: %(known)s", codes=names, known=catalogue
            ),
        )
    ]


def titles(session: Session, codes: list[str]) -> dict[str, Norm]:
    """The catalogue's entries for these codes, by code (one query): how pages name a project's norms."""
    return repository.titles(session, codes)
