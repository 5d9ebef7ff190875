"""Home: the work waiting for the person logged in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portfolio.web.render import templates
from portfolio.web.session import PageUser, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


@router.get("/")
def home(request: Request, user: PageUser) -> Response:
    return templates.render(request, "home.html")
