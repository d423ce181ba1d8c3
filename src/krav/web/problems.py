"""Errors as ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``,
``detail`` (and ``instance``, the request id), for every error the app answers — never a stack
trace. A browser asking for a page (``Accept: text/html``, outside ``/api``) gets the same facts
as a small page instead.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from krav.kernel.errors import InvalidInput, KravError, NotFound, UnableToProceed

log = logging.getLogger("krav.web")
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://krav.example/problems/"

TITLES = {
    400: "Ugyldig forespørsel", 401: "Ikke innlogget", 403: "Ingen tilgang",
    404: "Finnes ikke", 405: "Metoden er ikke tillatt", 409: "Konflikt",
    413: "For stor forespørsel", 415: "Feil innholdstype", 422: "Ugyldige data",
    429: "For mange forsøk", 500: "Intern feil", 503: "Tjenesten er utilgjengelig",
}
SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "unsupported-media",
         422: "invalid", 429: "too-many-requests", 500: "internal", 503: "unavailable"}


class Problem(Exception):
    """Raise in a route to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers or {}, extra


def problem_body(status: int, detail: str, request: Request, **extra: Any) -> dict[str, Any]:
    body = {"type": TYPE_BASE + SLUGS.get(status, str(status)),
            "title": TITLES.get(status, "Feil"), "status": status, "detail": detail}
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["instance"] = f"urn:krav:request:{request_id}"
        body["request_id"] = request_id
    body.update(extra)
    return body


def _wants_html(request: Request) -> bool:
    return (not request.url.path.startswith(("/api/", "/healthz"))
            and "text/html" in request.headers.get("accept", ""))


def answer(request: Request, status: int, detail: str, headers: dict[str, str] | None = None,
           **extra: Any) -> Response:
    body = problem_body(status, detail, request, **extra)
    if _wants_html(request):
        from krav.web.pages import render_error

        return render_error(request, body, headers=headers)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Every error path of the app answers with a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return answer(request, exc.status, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404:
            detail = f"ingen side eller ressurs på {request.url.path[:200]}"
        elif exc.status_code == 405:
            detail = f"{request.method} er ikke tillatt her"
        return answer(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        invalid = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if invalid:  # a body FastAPI parsed itself (a route with a model parameter)
            where = f"tegn {invalid[0]['loc'][-1]}"
            return answer(request, 400, f"ugyldig JSON ({where})", errors=[
                {"field": "body", "message": f"ugyldig JSON ({where})"}])
        errors = field_errors(exc.errors(), _body_fields(request))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "ugyldige data"
        return answer(request, 422, detail, errors=errors)

    @app.exception_handler(KravError)
    async def _krav(request: Request, exc: KravError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(
            exc, UnableToProceed) else 422 if isinstance(exc, InvalidInput) else 400
        return answer(request, status, str(exc))
    # Any other exception: krav.web.middleware answers 500 (and logs the trace).


def html_response(html: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return HTMLResponse(html, status_code=status, headers=headers)


MESSAGES = {"extra_forbidden": "ukjent felt", "missing": "mangler verdi",
            "string_type": "må være en tekst i anførselstegn (beløp som \"1250.00\", datoer "
                           "som \"2026-01-05\")",
            "model_type": "må være et JSON-objekt", "model_attributes_type":
            "må være et JSON-objekt", "dict_type": "må være et JSON-objekt",
            "list_type": "må være en JSON-liste", "int_type": "må være et heltall",
            "int_parsing": "må være et heltall", "int_from_float": "må være et heltall",
            "bool_type": "må være true eller false", "bool_parsing": "må være true eller false",
            "greater_than_equal": "er for lite", "less_than_equal": "er for stort",
            "greater_than": "er for lite", "less_than": "er for stort",
            "string_too_short": "er for kort", "string_too_long": "er for lang",
            "too_short": "har for få elementer", "too_long": "har for mange elementer",
            "string_pattern_mismatch": "har feil form", "literal_error": "ukjent verdi",
            "enum": "ukjent verdi", "string_unicode": "må være gyldig UTF-8"}
ALLOWED = {"greater_than_equal": "minst {ge}", "less_than_equal": "høyst {le}",
           "greater_than": "over {gt}", "less_than": "under {lt}",
           "string_too_short": "minst {min_length} tegn",
           "string_too_long": "høyst {max_length} tegn",
           "too_short": "minst {min_length} elementer", "too_long": "høyst {max_length} elementer",
           "string_pattern_mismatch": "{pattern}", "literal_error": "{expected}",
           "enum": "{expected}"}


def field_errors(errors: list[Any], fields: Any, **extra: Any) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{field, message, allowed}`` in bokmål (``fields``: the model's;
    an unknown field is told which ones are allowed)."""
    out = []
    for e in errors:
        field = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        kind = e.get("type", "")
        item = {**extra, "field": field or "body", "message": MESSAGES.get(kind, e.get("msg", ""))}
        if kind == "extra_forbidden" and fields:
            item["allowed"] = ", ".join(fields)
        elif kind in ALLOWED:
            try:
                item["allowed"] = ALLOWED[kind].format(**(e.get("ctx") or {}))
            except (KeyError, IndexError):
                pass
        out.append(item)
    return out


def _body_fields(request: Request) -> Any:
    """The fields of the model a route takes as its body (for «allowed»), if it takes one."""
    body = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(body, "field_info", None), "annotation", None)
    return getattr(model, "model_fields", None)
