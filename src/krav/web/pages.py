"""Server-rendered pages: one Jinja2 environment over every context's ``templates/`` folder,
the page language (bokmål by default, English by ``?lang=en``, remembered in a cookie), and the
error page that answers a browser where an API client gets problem+json.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from krav.web.deps import LANG_COOKIE, is_https, language

CONTEXTS_WITH_PAGES = ("krav.web", "krav.accounts", "krav.cases", "krav.intake")

BASE_TEXT = {
    "nb": {"lang_switch": "English", "lang_other": "en", "error": "Feil",
           "back": "Til forsiden", "request_id": "Forespørsel"},
    "en": {"lang_switch": "Norsk", "lang_other": "nb", "error": "Error",
           "back": "To the front page", "request_id": "Request"},
}
ERROR_TITLES_EN = {400: "Bad request", 401: "Not logged in", 403: "Forbidden",
                   404: "Not found", 405: "Method not allowed", 409: "Conflict",
                   422: "Invalid data", 429: "Too many attempts", 500: "Internal error"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=ChoiceLoader([PackageLoader(name, "templates")
                                            for name in CONTEXTS_WITH_PAGES]),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def render(request: Request, template: str, texts: dict[str, dict[str, str]],
           status: int = 200, headers: dict[str, str] | None = None,
           **values: Any) -> HTMLResponse:
    """Render ``template`` in the request's language with ``texts`` (per language) as ``t``."""
    lang = language(request)
    t = {**BASE_TEXT[lang], **texts.get(lang, texts.get("nb", {}))}
    html = environment().get_template(template).render(
        t=t, lang=lang, path=request.url.path, **values)
    response = HTMLResponse(html, status_code=status, headers=headers)
    if request.query_params.get("lang") in ("nb", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="lax", secure=is_https(request))
    return response


def render_error(request: Request, problem: dict[str, Any],
                 headers: dict[str, str] | None = None) -> HTMLResponse:
    lang = language(request)
    if lang == "en":
        problem = {**problem, "title": ERROR_TITLES_EN.get(problem["status"], problem["title"])}
    return render(request, "error.html", {}, status=problem["status"], headers=headers,
                  problem=problem, request_id=getattr(request.state, "request_id", ""))
