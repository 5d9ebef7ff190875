"""Deleting a norm from the catalogue: refused while a project names it (the projects say which), and
for the norms shipped with the product (the catalogue's own rule). Its route is the norms' own
(:mod:`portfolio.norms.router`)."""

from __future__ import annotations

from sqlmodel import Session

from portfolio.errors import Conflict
from portfolio.norms import service as norms_service
from portfolio.norms.models import Norm
from portfolio.projects import service as projects_service
from portfolio.security import Actor


class NormInUse(Conflict):
    slug = "norm-in-use"
    title = "Norm named by projects"


def delete_norm(session: Session, actor: Actor, code: str) -> Norm:
    norm = norms_service.get_norm(session, code, for_update=True)
    codes = projects_service.projects_naming_norm(session, norm.code)
    if codes:
        shown = ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
        raise NormInUse(
            f"{len(codes)} project(s) name the norm '{norm.code}' ({shown}); take it off them first."
        )
    return norms_service.delete_norm(session, actor, norm.code)
