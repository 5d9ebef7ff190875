"""One layout for every page: a Jinja2 environment per language (the i18n extension with that language's
catalogue), the navigation the account's role may use, the CSRF token, and the security headers.

The dashboards render through the same :class:`Templates`, with their own templates in front of these."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from portfolio.users.models import User
from portfolio.web.i18n import DEFAULT, LANGUAGES, LOCALES, VOCABULARIES, Formats, request_lang, translations
from portfolio.web.session import CSRF_FIELD, csrf_token, may

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def navigation(user: User | None, lang: str) -> list[tuple[str, str]]:
    """The main menu's (href, text) for this account: only what its role may open."""
    _ = translations(lang).gettext
    if user is None:
        return []
    if user.role == "donor":
        return [
            ("/", _("Home")),
            ("/projects", _("Projects")),
            (f"/dashboards/donors/{user.state}", _("Donor view")),
            ("/seeking-funding", _("Seeking funding")),
            ("/obligations", _("Reporting obligations")),
        ]
    items = [
        ("/", _("Home")),
        ("/projects", _("Projects")),
        ("/processes", _("National processes")),
        ("/obligations", _("Reporting obligations")),
        ("/exchange-rates", _("Exchange rates")),
    ]
    if may(user, "imports", "write"):
        items.append(("/imports", _("Import")))
    items.append(("/dashboards", _("Dashboards")))
    items.append(("/dashboards/donors", _("Donors")))
    if may(user, "users", "write"):
        items.append(("/accounts", _("Accounts")))
    items.append(("/reports/period", _("Period report")))
    if may(user, "norms", "write"):
        items.append(("/norms", _("Norms")))
    return items


def _without_lang(request: Request) -> str:
    """This page's address without its ``lang`` parameter: where the language switch comes back to (a
    ``?lang=`` left in it would outvote the language just chosen)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


class Templates:
    """Per-language Jinja2 environments over ``directories`` and then the shared layout's templates."""

    def __init__(self, *directories: Path) -> None:
        loader = ChoiceLoader([FileSystemLoader(str(d)) for d in (*directories, HERE / "templates")])
        self.envs: dict[str, Environment] = {}
        for lang in LOCALES:
            env = Environment(
                loader=loader,
                autoescape=select_autoescape(default=True),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
                # a message made to be said in any language (a refusal beside a field): in this one
                finalize=Formats(lang).said,
            )
            env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
            env.filters["label"] = Formats(lang).label
            env.globals.update(VOCABULARIES)
            env.globals.update(
                fmt=Formats(lang),
                lang=lang,
                language=LANGUAGES[lang],
                languages=LANGUAGES,
                DEFAULT_LANG=DEFAULT,
                CSRF_FIELD=CSRF_FIELD,
                may=may,
            )
            self.envs[lang] = env

    def env(self, lang: str) -> Environment:
        return self.envs.get(lang, self.envs["en"])

    def render(
        self,
        request: Request,
        name: str,
        status_code: int = 200,
        *,
        lang: str | None = None,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        lang = lang or request_lang(request)
        user = context.pop("user", None) or getattr(request.state, "user", None)
        context = {
            "request": request,
            "user": user,
            "nav": navigation(user, lang),
            "path": request.url.path,
            "csrf": csrf_token(request),
            "switch_next": _without_lang(request),
            **context,
        }
        html = self.env(lang).get_template(name).render(context)
        return HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})


templates = Templates()
