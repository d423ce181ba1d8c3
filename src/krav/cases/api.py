"""``/api/v1/claims`` (read) and ``/api/v1/creditor``: the same functions as ``krav case show``,
``krav cases`` and ``krav creditor show/update``, confined to what the principal may see
(:mod:`krav.cases.access`). Amounts are strings with two decimals, dates ISO (as ``--json``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select

from krav.accounts.principal import Actor, Principal
from krav.cases import creditors as creditor_service
from krav.cases import read, service
from krav.cases.access import EVERY, creditor_scope, visible_claim
from krav.cases.model import STAGES, STATUSES
from krav.cli.common import _default
from krav.db.tables import claims, creditors
from krav.kernel.errors import InvalidInput, NotFound
from krav.web import idempotency
from krav.web.deps import (
    EVERYONE,
    MANAGERS,
    actor,
    engine_of,
    json_body,
    json_model,
    requires,
)
from krav.web.problems import Problem, field_errors
from krav.web.schemas import Amount, AmountIn, Day, DayIn, DecimalText

router = APIRouter(prefix="/api/v1", tags=["krav"])
MAX_BODY = 64 * 1024  # a profile change is small
BODY = json_body(MAX_BODY)
PROBLEM = {"content": {"application/problem+json": {}}}
NOT_FOUND = {404: {"description": "Finnes ikke (eller tilhører en annen oppdragsgiver)",
                   **PROBLEM}}
REF = Path(description="sakens ref", examples=["K-0000001"])
STATUS = Field(json_schema_extra={"enum": list(STATUSES)})
STAGE = Field(json_schema_extra={"enum": list(STAGES)})


class CreditorName(BaseModel):
    orgnr: str
    name: str


class DebtorName(BaseModel):
    kind: str = Field(json_schema_extra={"enum": ["consumer", "business"]})
    name: str


class LetterLine(BaseModel):
    id: int
    kind: str
    sender: str
    sent_on: Day
    deadline: Day | None
    fee: Amount
    status: str


class Period(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first: Day = Field(alias="from")
    through: Day
    days: int


class RateLine(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first: Day = Field(alias="from")
    through: Day
    rate: Amount = Field(description="rentesats i prosent per år, to desimaler")


class Posting(BaseModel):
    on: Day
    kind: str
    amount: Amount
    rule: str
    component: str
    reference: str
    inputs: dict[str, Any] = Field(description="regelens inndata (sporbarhet), som tekst")
    period: Period | None = Field(default=None, description="for renteposteringer")
    rates: list[RateLine] | None = Field(default=None, description="for renteposteringer")


class Balance(BaseModel):
    principal: Amount
    interest: Amount
    fees: Amount
    total: Amount


class CaseView(BaseModel):
    """One case as ``krav case show REF --json`` prints it."""

    ref: str
    invoice_number: str
    kid: str
    creditor: CreditorName
    debtor: DebtorName
    principal: Amount
    due: Day
    status: str = STATUS
    stage: str = STAGE
    letters: list[LetterLine]
    postings: list[Posting]
    balance: Balance
    interest_accrued: Amount
    to_pay_today: Amount
    owed_back: Amount
    next_action_on: Day | None
    close_reason: str | None


class CaseRow(BaseModel):
    """One case as a row of ``krav cases --json``."""

    ref: str
    invoice_number: str
    status: str = STATUS
    stage: str = STAGE
    close_reason: str | None
    due: Day
    creditor: str
    creditor_orgnr: str
    debtor: str
    total: Amount
    to_pay_today: Amount
    owed_back: Amount
    next_action_on: Day | None


class CasePage(BaseModel):
    items: list[CaseRow]
    next_cursor: str | None = Field(description="send som «cursor» for neste side; null: "
                                                "ingen flere")


class CreditorProfile(BaseModel):
    """A creditor as ``krav creditor show ORGNR --json`` prints it."""

    orgnr: str
    name: str
    address: str
    postcode: str
    city: str
    account_number: str
    email: str
    phone: str
    commission_pct: DecimalText
    language: str
    missing: list[str] = Field(description="det brevene mangler av profilen")
    allocation_order: str
    kid_mod: int
    kid_length: int
    policy: dict[str, Any]



class _JsonResponse(JSONResponse):
    """JSONResponse whose encoder writes Decimals and dates as ``--json`` does (one pass)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_default, ensure_ascii=False, allow_nan=False,
                          indent=None, separators=(",", ":")).encode("utf-8")


def as_json(data: Any, status: int = 200) -> JSONResponse:
    """``data`` exactly as ``--json`` prints it: Decimals as two-decimal strings, dates ISO."""
    return _JsonResponse(data, status_code=status)


def today() -> date:
    """The day (read at the entry point, as the CLI's ``--as-of`` default)."""
    return date.today()


@router.get("/claims/{ref}", response_model=CaseView, responses=NOT_FOUND)
def claim_show(request: Request, ref: str = REF,
               who: Principal = Depends(requires(*EVERYONE))) -> Any:
    """Én sak, som «krav case show REF --json»."""
    with engine_of(request).connect() as conn:
        view = read.case_view_by_ref(conn, ref, as_of=today(), principal=who)
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


@router.get("/claims", response_model=CasePage,
            responses={400: {"description": "Ugyldig cursor", **PROBLEM}})
def claim_list(request: Request, who: Principal = Depends(requires(*EVERYONE)),
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

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"email": "regnskap@nordlys.no", "phone": "+47 22 33 44 55"}]})
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


@router.get("/creditor", response_model=CreditorProfile, responses=NOT_FOUND)
def creditor_show(request: Request, who: Principal = Depends(requires(*EVERYONE)),
                  orgnr: str | None = None) -> Any:
    """Oppdragsgiverens profil, som «krav creditor show ORGNR --json»."""
    with engine_of(request).connect() as conn:
        return as_json(creditor_service.show_creditor(conn, _creditor_orgnr(conn, who, orgnr)))


@router.patch("/creditor", response_model=CreditorProfile, responses=NOT_FOUND)
def creditor_update(request: Request, who: Principal = Depends(requires(*MANAGERS)),
                    act: Actor = Depends(actor),
                    body: CreditorUpdate = Depends(json_model(CreditorUpdate, MAX_BODY)),
                    orgnr: str | None = None) -> Any:
    """Endre profilen, som «krav creditor update ORGNR»: oppdragsgiverens administrator (økt
    eller API-nøkkel) eller byråets ansatte (med ?orgnr=). Navn og provisjon er avtalen med
    byrået og endres bare av byrået."""
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not values:
        raise Problem(422, "ingenting å endre", errors=[
            {"field": "", "message": "ingenting å endre",
             "allowed": ", ".join(CreditorUpdate.model_fields)}])
    if creditor_scope(who) is not EVERY:
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


# --- actions on a claim ----------------------------------------------------------------------
#
# Each route calls the service function the CLI command calls (``krav case withdraw|approve|
# dispute``, ``krav payments direct|credit-note``) in one transaction, and answers the claim
# exactly as ``GET /api/v1/claims/{ref}`` shows it after the change: 200 when the claim's state
# changed (withdraw, approve), 201 when something was added to it (a dispute, a direct payment,
# a credit note). The state refusing the action is 409; a bad field 422 naming the field; nothing
# is written on any error. ``Idempotency-Key`` as on ``POST /claims``.

ACTION_BODY = json_body(MAX_BODY, optional=True)
ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "Sakens tilstand tillater det ikke (f.eks. allerede avsluttet)",
          **PROBLEM},
    422: {"description": "Ugyldig felt (alle feil i «errors»), eller Idempotency-Key brukt "
                         "med en annen forespørsel", **PROBLEM}}
CHANGED = {200: {"description": "Saken etter endringen, som GET /api/v1/claims/{ref}"}}
ADDED = {201: {"description": "Saken etter endringen, som GET /api/v1/claims/{ref}"}}
#: A ``creditor_user`` may tell the agency what the debtor told the creditor (an objection, a
#: payment made to the creditor): ``EVERYONE``. Giving up a claim, sending it to collection or
#: reducing it is for the creditor's administrator, its systems (API keys) and the agency:
#: ``MANAGERS`` (``requires`` on each route).
FIELD_OF = {"AMOUNT": "amount", "--reason": "reason"}  # the service's option names → fields


class ClaimWithdraw(BaseModel):
    """Trekk saken (``krav case withdraw``). ``on``: dagen (ISO), standard i dag."""

    model_config = ConfigDict(extra="forbid")
    reason: str = ""
    on: str | None = None


class ClaimApprove(BaseModel):
    """Godkjenn oversendelse til inkasso (``krav case approve``). ``on``: standard i dag."""

    model_config = ConfigDict(extra="forbid")
    on: str | None = None


class DisputeCreate(BaseModel):
    """En innsigelse fra skyldneren (``krav case dispute``)."""

    model_config = ConfigDict(extra="forbid")
    reason: str
    on: str | None = None


class DirectPaymentCreate(BaseModel):
    """En betaling skyldneren gjorde direkte til oppdragsgiveren (``krav payments direct``).
    ``amount`` som tekst (``"1234.50"``), ``paid_on`` ISO, standard i dag."""

    model_config = ConfigDict(extra="forbid")
    amount: AmountIn = Field(examples=["1234.50"])
    paid_on: DayIn | None = Field(None, examples=["2026-01-20"])


class CreditNoteCreate(BaseModel):
    """En kreditnota fra oppdragsgiveren (``krav payments credit-note``): reduserer
    hovedstolen, høyst det som står igjen av den."""

    model_config = ConfigDict(extra="forbid")
    amount: AmountIn = Field(examples=["250.00"])
    reason: str = Field(examples=["kreditnota 2026-118"])
    on: DayIn | None = Field(None, examples=["2026-01-20"])


def _request_body(model: type[BaseModel], *, required: bool) -> dict[str, Any]:
    """The OpenAPI request body of an action: the model's JSON schema, inline (the body is read
    by ``json_body``, so FastAPI does not list the model itself)."""
    return {"requestBody": {"required": required, "content": {"application/json": {
        "schema": model.model_json_schema()}}},
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "description": "Et nytt forsøk med samme nøkkel og samme forespørsel får "
                                       "det første svaret igjen og endrer ingenting",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]}


def _body_of(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc.errors(), model.model_fields)
        raise Problem(422, "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors=errors) from None


def _day(value: str | None, field: str, today_: date) -> date:
    """An ISO day given as ``field``, today when absent; never after today."""
    from krav.kernel.dates import parse_date

    if value is None:
        return today_
    try:
        day = parse_date(value, where=field)
    except InvalidInput as exc:
        raise _field_problem(field, exc.what, exc.allowed) from None
    if day > today_:
        raise _field_problem(field, f"{day.isoformat()} er fram i tid",
                             f"{today_.isoformat()} eller tidligere")
    return day


def _amount(value: str) -> Decimal:
    from krav.kernel.money import parse_amount

    try:
        return parse_amount(value, where="amount")
    except InvalidInput as exc:
        raise _field_problem("amount", exc.what, exc.allowed) from None


def _field_problem(field: str, message: str, allowed: str | None = None) -> Problem:
    error = {"field": field, "message": message, **({"allowed": allowed} if allowed else {})}
    return Problem(422, f"{field}: {message}", errors=[error])


def _act(request: Request, act: Actor, ref: str, data: Any, *, action: str, status: int,
         run: Callable[[Connection, str, date], None], on_field: str = "on") -> JSONResponse:
    """``run(conn, ref, today)`` — which validates the body and calls the service function —
    on a claim the principal may see, in one transaction with its idempotency key; answers the
    claim as ``GET /claims/{ref}`` shows it afterwards."""
    who = act.principal
    engine = engine_of(request)
    with engine.connect() as conn:
        claim_id, orgnr = visible_claim(conn, ref, who)
        creditor_id = conn.execute(select(claims.c.creditor_id)
                                   .where(claims.c.id == claim_id)).scalar_one()
    ref = ref.strip().upper()
    key = idempotency.key_of(request)
    digest = idempotency.digest(data, scope=f"POST /api/v1/claims/{ref}/{action}")
    day = today()

    def change(conn: Connection) -> tuple[int, Any]:
        try:
            run(conn, ref, day)
        except InvalidInput as exc:
            field = on_field if exc.where == "--on" else FIELD_OF.get(exc.where or "", "body")
            raise _field_problem(field, exc.what, exc.allowed) from None
        view = read.case_view(conn, ref, as_of=day, creditor=orgnr)
        return status, json.loads(json.dumps(view, default=_default))

    return idempotency.run_once(engine, creditor_id, key, digest, change, at=act.at)


@router.post("/claims/{ref}/withdraw", response_model=CaseView,
             responses={**CHANGED, **ACTION_RESPONSES},
             openapi_extra=_request_body(ClaimWithdraw, required=False))
def claim_withdraw(request: Request, ref: str = REF,
                   who: Principal = Depends(requires(*MANAGERS)),
                   act: Actor = Depends(actor),
                   data: Any = Depends(ACTION_BODY)) -> Any:
    """Oppdragsgiveren trekker kravet, som «krav case withdraw»: saken avsluttes, ingenting
    mer kreves eller sendes (webhook ``claim.closed``). 409 hvis saken alt er avsluttet."""

    def run(conn: Connection, ref: str, day: date) -> None:
        body = _body_of(ClaimWithdraw, data)
        service.withdraw(conn, ref, on=_day(body.on, "on", day), reason=body.reason,
                         actor=act)

    return _act(request, act, ref, data, action="withdraw", status=200, run=run)


@router.post("/claims/{ref}/approve", response_model=CaseView,
             responses={**CHANGED, **ACTION_RESPONSES},
             openapi_extra=_request_body(ClaimApprove, required=False))
def claim_approve(request: Request, ref: str = REF,
                  who: Principal = Depends(requires(*MANAGERS)),
                  act: Actor = Depends(actor),
                  data: Any = Depends(ACTION_BODY)) -> Any:
    """Godkjenn oversendelse til inkasso for en sak som venter på oppdragsgiverens godkjenning
    (policyen krever det), som «krav case approve». Nattkjøringen samme dag overfører saken
    (webhook ``claim.stage_changed``). 409 hvis saken ikke venter på godkjenning."""

    def run(conn: Connection, ref: str, day: date) -> None:
        body = _body_of(ClaimApprove, data)
        service.approve(conn, ref, on=_day(body.on, "on", day), actor=act)

    return _act(request, act, ref, data, action="approve", status=200, run=run)


@router.post("/claims/{ref}/disputes", status_code=201,
             response_model=CaseView, responses={**ADDED, **ACTION_RESPONSES},
             openapi_extra=_request_body(DisputeCreate, required=True))
def claim_dispute(request: Request, ref: str = REF,
                  who: Principal = Depends(requires(*EVERYONE)),
                  act: Actor = Depends(actor),
                  data: Any = Depends(BODY)) -> Any:
    """Registrer skyldnerens innsigelse, som «krav case dispute»: saken stanses og venter på en
    saksbehandler (inkassoloven § 17 (2); webhook ``dispute.opened``). 409 hvis saken alt er
    bestridt eller avsluttet."""

    def run(conn: Connection, ref: str, day: date) -> None:
        body = _body_of(DisputeCreate, data)
        service.dispute(conn, ref, on=_day(body.on, "on", day), reason=body.reason, actor=act)

    return _act(request, act, ref, data, action="dispute", status=201, run=run)


@router.post("/claims/{ref}/direct-payments", status_code=201,
             response_model=CaseView, responses={**ADDED, **ACTION_RESPONSES},
             openapi_extra=_request_body(DirectPaymentCreate, required=True))
def claim_direct_payment(request: Request, ref: str = REF,
                         who: Principal = Depends(requires(*EVERYONE)),
                         act: Actor = Depends(actor),
                         data: Any = Depends(BODY)) -> Any:
    """Skyldneren betalte oppdragsgiveren direkte, som «krav payments direct»: betalingen
    fordeles på kravet som en innbetaling (webhook ``payment.booked``; ``claim.closed`` når
    kravet blir betalt). Bokføres i dag."""

    def run(conn: Connection, ref: str, day: date) -> None:
        from krav.payments.queue import direct_payment

        body = _body_of(DirectPaymentCreate, data)
        amount = _amount(body.amount)
        direct_payment(conn, ref, amount, on=_day(body.paid_on, "paid_on", day), as_of=day,
                       actor=act)

    return _act(request, act, ref, data, action="direct_payment", status=201, run=run,
                on_field="paid_on")


@router.post("/claims/{ref}/credit-notes", status_code=201,
             response_model=CaseView, responses={**ADDED, **ACTION_RESPONSES},
             openapi_extra=_request_body(CreditNoteCreate, required=True))
def claim_credit_note(request: Request, ref: str = REF,
                      who: Principal = Depends(requires(*MANAGERS)),
                      act: Actor = Depends(actor),
                      data: Any = Depends(BODY)) -> Any:
    """Kreditnota fra oppdragsgiveren, som «krav payments credit-note»: hovedstolen reduseres
    (høyst det som står igjen av den); står ingenting igjen, avsluttes saken (``claim.closed``)."""

    def run(conn: Connection, ref: str, day: date) -> None:
        from krav.payments.queue import credit_note_for

        body = _body_of(CreditNoteCreate, data)
        amount = _amount(body.amount)
        credit_note_for(conn, ref, amount, on=_day(body.on, "on", day), reason=body.reason,
                        actor=act)

    return _act(request, act, ref, data, action="credit_note", status=201, run=run)
