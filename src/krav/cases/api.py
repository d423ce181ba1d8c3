"""``/api/v1/claims`` (read) and ``/api/v1/creditor``: the same functions as ``krav case show``,
``krav cases`` and ``krav creditor show/update``, confined to what the principal may see
(:mod:`krav.cases.access`). Amounts are strings with two decimals, dates ISO (as ``--json``).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from krav.accounts.principal import Actor, Principal
from krav.cases import creditors as creditor_service
from krav.cases import read
from krav.cases.access import EVERY, creditor_scope, visible_claim
from krav.cases.model import STAGES, STATUSES
from krav.cli.common import _default
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound
from krav.web.deps import actor, engine_of, json_body, principal
from krav.web.problems import Problem, field_errors

router = APIRouter(prefix="/api/v1", tags=["krav"])
MAX_BODY = 64 * 1024  # a profile change is small
BODY = json_body(MAX_BODY)
PROBLEM = {"content": {"application/problem+json": {}}}
NOT_FOUND = {404: {"description": "Finnes ikke (eller tilhører en annen oppdragsgiver)",
                   **PROBLEM}}


def as_json(data: Any, status: int = 200) -> JSONResponse:
    """``data`` exactly as ``--json`` prints it: Decimals as two-decimal strings, dates ISO."""
    return JSONResponse(json.loads(json.dumps(data, default=_default)), status_code=status)


def today() -> date:
    """The day (read at the entry point, as the CLI's ``--as-of`` default)."""
    return date.today()


@router.get("/claims/{ref}", responses=NOT_FOUND)
def claim_show(ref: str, request: Request, who: Principal = Depends(principal)) -> Any:
    """Én sak, som «krav case show REF --json»."""
    with engine_of(request).connect() as conn:
        _, orgnr = visible_claim(conn, ref, who)
        view = read.case_view(conn, ref.strip().upper(), as_of=today(), creditor=orgnr)
    return as_json(view)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind != "id" or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(400, "ugyldig cursor; bruk next_cursor fra forrige side",
                      errors=[{"field": "cursor", "message": "ugyldig cursor",
                               "allowed": "next_cursor fra forrige svar"}]) from None


def parse_since(text: str) -> datetime:
    """``updated_since``: an ISO 8601 time with its offset (``2026-12-03T15:00:00Z``, or
    ``+01:00``) or a date (its midnight UTC), as naive UTC."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        at = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
        if at.tzinfo is None:
            raise ValueError(text)
        return at.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise Problem(422, f"updated_since: ugyldig tidspunkt {text[:40]!r}", errors=[
            {"field": "updated_since", "message": f"ugyldig tidspunkt {text[:40]!r}",
             "allowed": "ISO 8601 med tidssone, f.eks. 2026-12-03T15:00:00Z, eller en dato"}]
        ) from None


@router.get("/claims", responses={400: {"description": "Ugyldig cursor", **PROBLEM}})
def claim_list(request: Request, who: Principal = Depends(principal),
               status: str | None = None, stage: str | None = None,
               cursor: str | None = None, updated_since: str | None = None,
               limit: int = Query(100, ge=1, le=500)) -> Any:
    """Sakene forespørselen kan se, i id-rekkefølge, en side om gangen (``next_cursor``)."""
    for field, value, allowed in (("status", status, STATUSES), ("stage", stage, STAGES)):
        if value is not None and value not in allowed:
            raise Problem(422, f"{field}: ukjent verdi {value[:40]!r}",
                          errors=[{"field": field, "message": f"ukjent verdi {value[:40]!r}",
                                   "allowed": ", ".join(allowed)}])
    after = decode_cursor(cursor) if cursor is not None else None
    since = parse_since(updated_since) if updated_since is not None else None
    with engine_of(request).connect() as conn:
        rows = read.list_cases(conn, as_of=today(), status=status, stage=stage,
                               limit=limit + 1, principal=who, after_id=after, with_id=True,
                               updated_since=since)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["id"]) if more else None
    for row in rows:
        del row["id"]
    return as_json({"items": rows, "next_cursor": next_cursor})


class CreditorUpdate(BaseModel):
    """The profile fields ``krav creditor update`` changes (``null`` or absent: unchanged)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    account_number: str | None = None
    email: str | None = None
    phone: str | None = None
    commission_pct: str | None = None
    language: str | None = None


STAFF_ONLY = ("name", "commission_pct")  # the agreement, not the creditor's own to change


def _creditor_orgnr(conn: Any, who: Principal, orgnr: str | None) -> str:
    """The creditor a ``/creditor`` request is about: the principal's own; staff name it with
    ``?orgnr=``. Another creditor's number answers 404, as an unknown one does."""
    scope = creditor_scope(who)
    if scope is EVERY:
        if not orgnr:
            raise Problem(422, "orgnr: mangler; byråets ansatte velger oppdragsgiver med ?orgnr=",
                          errors=[{"field": "orgnr", "message": "mangler",
                                   "allowed": "oppdragsgiverens organisasjonsnummer"}])
        return orgnr
    own = conn.execute(select(creditors.c.orgnr).where(creditors.c.id == scope)).scalar()
    if own is None or (orgnr and orgnr.replace(" ", "") != own):
        raise NotFound(f"ukjent oppdragsgiver {(orgnr or '')[:20]!r}")
    return own


@router.get("/creditor", responses=NOT_FOUND)
def creditor_show(request: Request, who: Principal = Depends(principal),
                  orgnr: str | None = None) -> Any:
    """Oppdragsgiverens profil, som «krav creditor show ORGNR --json»."""
    with engine_of(request).connect() as conn:
        return as_json(creditor_service.show_creditor(conn, _creditor_orgnr(conn, who, orgnr)))


@router.patch("/creditor", responses={**NOT_FOUND, 403: {"description": "Ingen tilgang",
                                                          **PROBLEM}},
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/CreditorUpdate"}}}}})
def creditor_update(request: Request, act: Actor = Depends(actor),
                    data: Any = Depends(BODY), orgnr: str | None = None) -> Any:
    """Endre profilen, som «krav creditor update ORGNR»: oppdragsgiverens administrator (økt
    eller API-nøkkel) eller byråets ansatte (med ?orgnr=). Navn og provisjon er avtalen med
    byrået og endres bare av byrået."""
    who = act.principal
    try:
        body = CreditorUpdate.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc.errors(), CreditorUpdate.model_fields)
        raise Problem(422, "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors=errors) from None
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not values:
        raise Problem(422, "ingenting å endre", errors=[
            {"field": "", "message": "ingenting å endre",
             "allowed": ", ".join(CreditorUpdate.model_fields)}])
    if creditor_scope(who) is not EVERY:
        if who.kind == "user" and "creditor_admin" not in who.roles:
            raise Problem(403, "bare oppdragsgiverens administrator kan endre profilen")
        refused = [f for f in STAFF_ONLY if f in values]
        if refused:
            raise Problem(403, f"{', '.join(refused)}: endres bare av byrået",
                          errors=[{"field": f, "message": "endres bare av byrået"}
                                  for f in refused])
    field_of = {option: field for field, option in creditor_service.OPTION.items()}
    try:
        with engine_of(request).begin() as conn:
            target = _creditor_orgnr(conn, who, orgnr)
            data = creditor_service.update_creditor(conn, target, values, actor=act)
    except InvalidInput as exc:
        field = field_of.get(exc.where or "", "")
        raise Problem(422, f"{field or 'body'}: {exc.what}", errors=[
            {"field": field, "message": exc.what, "allowed": exc.allowed}]) from None
    return as_json(data)
