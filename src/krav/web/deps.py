"""The web layer's dependencies: the app's settings and engine, the clock, the client's
address, and the one dependency that makes the :class:`~krav.accounts.principal.Principal`.

A request is authenticated by ``Authorization: Bearer KEY`` (an API key: that creditor) or by the
session cookie (a person); the CLI makes its principal from the OS user instead. Only addresses
in ``KRAV_TRUSTED_PROXIES`` are believed when they send ``X-Forwarded-For``/``-Proto``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy import Engine

from krav.accounts.principal import Actor, Principal
from krav.settings import Settings, trusted_proxies
from krav.web.problems import Problem

SESSION_COOKIE = "krav_session"
FORM_COOKIE = "krav_form"  # an anonymous visitor's CSRF secret (login and password forms)
LANG_COOKIE = "krav_lang"
M = TypeVar("M", bound=BaseModel)


def now() -> datetime:
    """The clock (naive UTC, as stored), read only at the entry points."""
    return datetime.now(UTC).replace(tzinfo=None)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def _from_proxy(request: Request) -> bool:
    peer = request.client.host if request.client else ""
    return peer in trusted_proxies(settings_of(request))


def client_address(request: Request) -> str:
    """The client's address: the peer, or the address a trusted proxy forwarded for it."""
    peer = request.client.host if request.client else ""
    if _from_proxy(request):
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            peer = hops[-1]
    request.state.client_address = peer
    return peer


def is_https(request: Request) -> bool:
    """Cookies are ``Secure`` when the public address is https or a trusted proxy says so."""
    if settings_of(request).public_url.startswith("https://"):
        return True
    if _from_proxy(request):
        return request.headers.get("x-forwarded-proto", "").lower() == "https"
    return request.url.scheme == "https"


def optional_principal(request: Request) -> Principal | None:
    """The principal of a request: API key first, then the session cookie; ``None`` if neither.

    A request that sends an ``Authorization`` header that is not a valid key is refused (401),
    even if it also has a cookie: a client that means a key gets told its key is bad."""
    from krav.accounts.apikeys import key_principal, why_refused
    from krav.accounts.sessions import session_principal

    if hasattr(request.state, "principal"):
        return request.state.principal
    principal: Principal | None = None
    header = request.headers.get("authorization")
    engine, at = engine_of(request), now()
    if header is not None:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Problem(401, "Authorization må være «Bearer <API-nøkkel>»",
                          headers={"WWW-Authenticate": 'Bearer realm="krav"'})
        with engine.begin() as conn:
            principal = key_principal(conn, key.strip(), at=at)
            reason = why_refused(conn, key.strip(), at=at) if principal is None else ""
        if principal is None:
            raise Problem(401, reason,
                          headers={"WWW-Authenticate":
                                   'Bearer realm="krav", error="invalid_token"'})
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            with engine.begin() as conn:
                principal = session_principal(conn, token, at=at,
                                              settings=settings_of(request))
    request.state.principal = principal
    request.state.principal_label = principal.label if principal else None
    return principal


async def principal(found: Principal | None = Depends(optional_principal)) -> Principal:
    """The principal, or 401 problem+json. (``async``: no I/O here, so FastAPI runs it on the
    event loop instead of handing it to a worker thread — a hop per request saved.)"""
    if found is None:
        raise Problem(401, "logg inn, eller send «Authorization: Bearer <API-nøkkel>»",
                      headers={"WWW-Authenticate": 'Bearer realm="krav"'})
    return found


async def actor(request: Request, who: Principal = Depends(principal)) -> Actor:
    """The principal acting now, in this request (for the audit trail); ``async`` as above."""
    return Actor(who, now(), request.state.request_id)


def language(request: Request) -> str:
    """The page language: ``?lang=`` first, then the cookie, else bokmål."""
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "nb"
    return wanted if wanted in ("nb", "en") else "nb"


# Who may call what (README «Roller og tilgang»). A route names the roles it allows with
# ``Depends(requires(...))``; tests/e2e/test_api_roles.py walks the route table with each role.
ROLES = ("admin", "handler", "creditor_admin", "creditor_user", "apikey")
STAFF = ("admin", "handler")  # the agency's people: every creditor
EVERYONE = ROLES  # every login and every API key (each confined to its creditor)
MANAGERS = (*STAFF, "creditor_admin", "apikey")  # a creditor's settings: profile, webhooks


def role_of(who: Principal) -> str:
    """The principal's role in :data:`ROLES` (an API key is ``apikey``; the terminal is the
    agency's ``admin``)."""
    if who.kind == "apikey":
        return "apikey"
    if who.kind == "cli":
        return "admin"
    return who.roles[0] if who.roles else ""


def requires(*roles: str) -> Callable[..., Principal]:
    """A dependency: the principal (401 without one), if its role is one of ``roles``; 403
    problem+json naming the roles allowed otherwise. Checked before any body is read."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}; krav's are {ROLES}")

    def allowed(who: Principal = Depends(principal)) -> Principal:
        if role_of(who) not in roles:
            raise Problem(403, f"rollen {role_of(who) or 'ukjent'} har ikke tilgang her; "
                               f"tillatt: {', '.join(roles)}", allowed_roles=list(roles))
        return who

    allowed.krav_roles = roles  # type: ignore[attr-defined]  # read by krav.web.openapi
    return allowed


def json_body(limit: int, schema: Any = None, *,
              optional: bool = False) -> Callable[[Request], Awaitable[Any]]:
    """A dependency: the request's JSON, read up to ``limit`` bytes (413 beyond, before the
    rest is read) and parsed (400 when malformed); 415 unless it is ``application/json``.
    ``schema`` (a type) is what the OpenAPI description shows as the body; ``optional``: a
    request without a body (no ``Content-Length`` or 0, not chunked) is ``{}``."""

    async def read(request: Request) -> Any:
        if optional and request.headers.get("content-length", "0") == "0" \
                and "transfer-encoding" not in request.headers:
            return {}
        return await _json_body(request, limit)

    read.krav_body_limit = limit  # type: ignore[attr-defined]  # read by krav.web.openapi
    read.krav_body_schema = schema  # type: ignore[attr-defined]
    return read


def json_model(model: type[M], limit: int = 64 * 1024) -> Callable[[Request], Awaitable[M]]:
    """A dependency: the request's JSON body (as :func:`json_body`) validated as ``model``;
    422 problem+json with every bad field otherwise (unknown fields with the allowed ones)."""
    from pydantic import ValidationError

    from krav.web.problems import field_errors

    async def read(request: Request) -> M:
        data = await _json_body(request, limit)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = field_errors(exc.errors(), model.model_fields)
            raise Problem(422, "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                          errors=errors) from None

    read.krav_body_limit = limit  # type: ignore[attr-defined]
    read.krav_body_schema = model  # type: ignore[attr-defined]
    return read


async def _json_body(request: Request, limit: int) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() \
            != "application/json":
        raise Problem(415, "send JSON med «Content-Type: application/json»")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"forespørselen er større enn {limit // 1024 // 1024} MB")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise Problem(413, f"forespørselen er større enn {limit // 1024 // 1024} MB")
    try:
        return json.loads(bytes(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"linje {exc.lineno}, kolonne {exc.colno}" if isinstance(
            exc, json.JSONDecodeError) else "tegnkoding"
        raise Problem(400, f"ugyldig JSON ({where})",
                      errors=[{"field": "body", "message": f"ugyldig JSON ({where})"}]) from None
