"""``POST /api/v1/claims``: one claim or a list, through the same validation and import as
``krav import claims`` (:func:`krav.intake.claims_csv.parse_row`, :func:`krav.intake.service.
import_rows`) — all or nothing, every bad field reported at once.

The fields are the claims file's columns without the creditor's (the creditor is the API key's,
or for agency staff the one named with ``?orgnr=``). An ``Idempotency-Key`` header makes a retry
safe: the same key with the same body answers the first answer again and creates nothing; the
same key with another body is refused (422).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select

from krav.accounts.principal import Actor, Principal
from krav.cases.access import EVERY, creditor_scope
from krav.db.tables import creditors
from krav.intake.claims_csv import ClaimRow, ImportRejected, parse_row
from krav.intake.service import import_rows
from krav.kernel.errors import NotFound
from krav.web import idempotency
from krav.web.deps import MANAGERS, actor, engine_of, json_body, requires
from krav.web.problems import Problem, field_errors
from krav.web.schemas import AmountIn, DayIn

router = APIRouter(prefix="/api/v1", tags=["krav"])
PROBLEM = {"content": {"application/problem+json": {}}}
MAX_BODY = 10 * 1024 * 1024  # bytes
MAX_ITEMS = 10_000
SOURCE = "api"
PROBLEM_LINE = re.compile(r"^api, rad (\d+), kolonne (\w+): (.*)$", re.S)


class ClaimCreate(BaseModel):
    """One claim: the claims file's columns (README «Claims file»), the creditor implied.
    Amounts are strings (``"1250.00"``), dates ISO (``"2026-01-05"``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "invoice_number": "10045", "invoice_date": "2026-01-05", "due_date": "2026-01-19",
        "amount": "1250.00", "debtor_kind": "consumer", "debtor_name": "Kari Nordmann",
        "debtor_address": "Storgata 1", "debtor_postcode": "0155", "debtor_city": "Oslo"}]})
    invoice_number: str
    invoice_date: DayIn
    due_date: DayIn
    amount: AmountIn
    currency: str = "NOK"
    debtor_kind: str
    debtor_name: str
    debtor_id: str = ""
    debtor_address: str
    debtor_postcode: str
    debtor_city: str
    debtor_country: str = "NO"
    debtor_email: str = ""
    debtor_phone: str = ""
    kid: str = ""
    description: str = ""


class ClaimCreated(BaseModel):
    ref: str
    invoice_number: str
    kid: str


class ClaimsCreated(BaseModel):
    created: int = Field(description="antall nye krav")
    claims: list[ClaimCreated] = Field(description="de nye kravene, i rekkefølgen de kom")


BODY = json_body(MAX_BODY, schema=ClaimCreate | list[ClaimCreate])


def today() -> date:
    return date.today()


def _creditor(conn: Connection, who: Principal, orgnr: str | None) -> Any:
    """The creditor the claims are for: the principal's own; agency staff name it."""
    scope = creditor_scope(who)
    if scope is EVERY:
        if not orgnr:
            raise Problem(422, "orgnr: mangler; byråets ansatte velger oppdragsgiver med ?orgnr=",
                          errors=[{"field": "orgnr", "message": "mangler"}])
        query = select(creditors.c.id, creditors.c.orgnr, creditors.c.name).where(
            creditors.c.orgnr == orgnr.replace(" ", ""))
    else:
        query = select(creditors.c.id, creditors.c.orgnr, creditors.c.name).where(
            creditors.c.id == scope)
        if orgnr:
            query = query.where(creditors.c.orgnr == orgnr.replace(" ", ""))
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"ukjent oppdragsgiver {(orgnr or '')[:20]!r}")
    return row


def validate_items(items: list[Any], creditor: Any) -> tuple[list[ClaimRow], list[dict]]:
    """Each item through the model (types, unknown fields) and then the claims file's own row
    validation; returns the rows and every error as ``{index, field, message}``."""
    rows: list[ClaimRow] = []
    errors: list[dict] = []
    for index, item in enumerate(items):
        try:
            claim: dict[str, Any] | None = ClaimCreate.model_validate(item).model_dump()
            typed: list[dict] = []
        except ValidationError as exc:
            typed = field_errors(exc.errors(), ClaimCreate.model_fields, index=index)
            # the fields that are well-typed still get the file's checks, so one answer names
            # every bad field
            claim = None
            given = item if isinstance(item, dict) else {}
            partial = {k: v for k, v in given.items()
                       if k in ClaimCreate.model_fields and isinstance(v, str)}
        raw = {"creditor_orgnr": creditor.orgnr, "creditor_name": creditor.name,
               **(claim if claim is not None else partial)}
        row, problems = parse_row(raw, index, SOURCE)
        flagged = {e["field"] for e in typed}
        errors += typed + [e for e in map(problem_error, problems) if e["field"] not in flagged]
        if row is not None and not typed:
            rows.append(row)
    return rows, errors


def problem_error(problem: str) -> dict[str, Any]:
    """``api, rad 3, kolonne amount: …`` (the import's problem line) as a structured error."""
    found = PROBLEM_LINE.match(problem)
    if not found:
        return {"index": None, "field": "", "message": problem}
    return {"index": int(found.group(1)), "field": found.group(2), "message": found.group(3)}


def _refused(errors: list[dict]) -> Problem:
    detail = "; ".join(f"[{e['index']}] {e['field']}: {e['message']}" for e in errors[:20])
    return Problem(422, f"{len(errors)} feil, ingenting er opprettet: {detail}", errors=errors)


@router.post("/claims", status_code=201, response_model=ClaimsCreated, responses={
    404: {"description": "Ukjent oppdragsgiver (?orgnr=)", **PROBLEM},
    422: {"description": "Ugyldige krav (alle feil i «errors»)", **PROBLEM}})
def claims_create(request: Request, who: Principal = Depends(requires(*MANAGERS)),
                  act: Actor = Depends(actor), body: Any = Depends(BODY),
                  orgnr: str | None = Query(default=None, description=(
                      "oppdragsgiverens organisasjonsnummer (byråets ansatte)")),
                  idempotency_key: str | None = idempotency.HEADER_PARAM) -> Any:
    """Opprett ett krav eller en liste, validert som en kravfil; alt eller ingenting. Å sende
    krav til inkasso er oppdragsgiverens administrator, dens systemer (API-nøkler) eller byrået
    sitt valg."""
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > MAX_ITEMS:
        raise Problem(422, f"send ett krav eller en liste med 1–{MAX_ITEMS} krav",
                      errors=[{"field": "body", "message": "feil antall krav"}])
    key = idempotency.key_of(request)
    engine = engine_of(request)
    with engine.connect() as conn:
        creditor = _creditor(conn, act.principal, orgnr)
        digest = idempotency.digest(body) if key is not None else ""  # only a key needs it
        if key is not None and (earlier := idempotency.replay(conn, creditor.id, key, digest)):
            return earlier
    rows, errors = validate_items(items, creditor)
    if errors:
        raise _refused(errors)

    def change(conn: Connection) -> tuple[int, Any]:
        try:
            result = import_rows(conn, rows, as_of=today(), source=SOURCE, actor=act)
        except ImportRejected as exc:
            raise _refused([problem_error(p) for p in exc.problems]) from None
        created = [{"ref": ref, "invoice_number": invoice, "kid": kid}
                   for ref, invoice, kid in result.created]
        return 201, {"created": len(created), "claims": created}

    return idempotency.run_once(engine, creditor.id, key, digest, change, at=act.at)

