"""The letters context over HTTP.

``router`` (``/api/v1``, mounted by the web app): a claim's letters and a letter's PDF, confined
to what the principal may see (:mod:`krav.cases.access`) — another creditor's letter answers 404
exactly as a letter that does not exist.

``callbacks`` (not mounted yet): SMS delivery reports. The provider posts one report or a list
of reports (LINK Mobility style: ``refId``, ``id``, ``resultCode``; 1001 = delivered); each is
recorded idempotently, so the provider's retries change nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from krav.accounts.principal import Principal
from krav.cases.access import scoped, visible_claim
from krav.db.engine import make_engine
from krav.db.tables import claims, letters
from krav.kernel.errors import InvalidInput, NotFound
from krav.letters.tracking import history, record_sms_report
from krav.web.deps import EVERYONE, engine_of, requires
from krav.web.problems import Problem
from krav.web.schemas import Amount, Day

router = APIRouter(prefix="/api/v1", tags=["krav"])
callbacks = APIRouter(prefix="/callbacks", tags=["letters"])
PROBLEM = {"content": {"application/problem+json": {}}}
NOT_FOUND = {404: {"description": "Finnes ikke (eller tilhører en annen oppdragsgiver)",
                   **PROBLEM}}


def _engine(request: Request):  # type: ignore[no-untyped-def]
    url = getattr(request.app.state, "database_url", None)
    return make_engine(url)


@callbacks.post("/sms/delivery")
def sms_delivery(request: Request, payload: Any = Body(...)) -> dict[str, int]:  # noqa: B008
    """Record delivery reports; answers how many changed something."""
    reports = payload if isinstance(payload, list) else [payload]
    now = datetime.now(UTC).replace(tzinfo=None)  # an entry point: the only clock read here
    engine = _engine(request)
    changed = sum(1 for report in reports if isinstance(report, dict)
                  and record_sms_report(engine, report, at=now))
    return {"received": len(reports), "changed": changed}


class DeliveryRead(BaseModel):
    channel: str
    status: str
    recipient: str | None
    made_at: str | None = Field(description="UTC, ISO 8601")
    sent_at: str | None
    delivered_at: str | None
    bounced_at: str | None
    returned_at: str | None


class LetterRead(BaseModel):
    id: int
    kind: str
    language: str
    made_on: Day
    deadline: Day | None
    amount: Amount | None = Field(description="det brevet ber skyldneren betale")
    fee: Amount
    status: str
    dispatched_on: Day | None
    channel: str | None
    deliveries: list[DeliveryRead]
    replaced_by: int | None
    pdf: str = Field(description="brevets PDF", examples=["/api/v1/letters/1.pdf"])


class LetterPage(BaseModel):
    items: list[LetterRead]


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def letter_read(row: dict[str, Any]) -> dict[str, Any]:
    """One letter as the API shows it (from :func:`krav.letters.tracking.history`): the
    letter's date (``made_on``), deadline, the amount it asks for and its fee, its status and
    the day it went out (``dispatched_on``), the channel that took it (or was last tried), each
    delivery, the letter that replaced it, and where its PDF is."""
    deliveries = [{"channel": d["channel"], "status": d["status"], "recipient": d["recipient"],
                   **{k: _stamp(d[k]) for k in ("made_at", "sent_at", "delivered_at",
                                                "bounced_at", "returned_at")}}
                  for d in row["deliveries"]]
    took = [d for d in deliveries if d["sent_at"]] or deliveries
    return {"id": row["id"], "kind": row["kind"], "language": row["language"],
            "made_on": row["sent_on"].isoformat(),
            "deadline": row["deadline"].isoformat() if row["deadline"] else None,
            "amount": None if row["amount"] is None else f"{row['amount']:.2f}",
            "fee": f"{row['fee']:.2f}", "status": row["status"],
            "dispatched_on": row["dispatched_on"].isoformat() if row["dispatched_on"] else None,
            "channel": took[-1]["channel"] if took else None, "deliveries": deliveries,
            "replaced_by": row["replaced_by"], "pdf": f"/api/v1/letters/{row['id']}.pdf"}


@router.get("/claims/{ref}/letters", response_model=LetterPage, responses=NOT_FOUND)
def claim_letters(request: Request, ref: str = Path(examples=["K-0000001"]),
                  who: Principal = Depends(requires(*EVERYONE))) -> Any:
    """Sakens brev, eldste først: som «krav letters list --case REF --json», med en lenke til
    hvert brevs PDF. Også kansellerte og erstattede brev (``replaced_by``)."""
    with engine_of(request).connect() as conn:
        visible_claim(conn, ref, who)
        rows = history(conn, ref.strip().upper())
    return {"items": [letter_read(r) for r in rows]}


@router.get("/letters/{letter_id}.pdf", response_class=Response, responses={
    200: {"description": "Brevet som PDF", "content": {"application/pdf": {}}}, **NOT_FOUND,
    409: {"description": "Brevet kan ikke settes (f.eks. mangler oppdragsgiverens adresse)",
          **PROBLEM}})
def letter_pdf(request: Request, letter_id: str = Path(examples=["1"]),
               who: Principal = Depends(requires(*EVERYONE))) -> Any:
    """Brevet som PDF, satt med Typst fra innholdet det ble laget med (det samme som e-post og
    digital postkasse sender); også kansellerte brev kan leses."""
    from krav.letters.messages import file_name
    from krav.letters.render import render_pdf

    number = int(letter_id) if letter_id.isascii() and letter_id.isdigit() \
        and len(letter_id) <= 18 else None
    with engine_of(request).connect() as conn:
        content = None if number is None else conn.execute(scoped(
            select(letters.c.content).join(claims, claims.c.id == letters.c.claim_id)
            .where(letters.c.id == number), who)).scalar()
    if content is None:
        raise NotFound(f"ukjent brev {letter_id[:20]!r}")
    try:
        pdf = render_pdf(content, letter_id=number)
    except InvalidInput as exc:
        raise Problem(409, f"brev {number} kan ikke settes: {exc}") from None
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{file_name(content, number)}"',
        "Cache-Control": "private, max-age=0"})
