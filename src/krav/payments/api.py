"""``/api/v1/settlements``: a creditor's settlements (oppgjør) and their statements.

The list of a month, one settlement as JSON (a line per claim, what was held back and why, and
where the payout stands), and the statement files ``krav settle --out`` writes (CSV and PDF,
:mod:`krav.payments.report`). A creditor's key or user sees its own; agency staff see every
creditor's and may name one with ``?orgnr=``. Another creditor's settlement answers 404, exactly
like one that does not exist (:mod:`krav.cases.access`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import Connection, select

from krav.accounts.principal import Principal
from krav.cases.access import EVERY, creditor_scope
from krav.cases.api import as_json
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound
from krav.payments import report
from krav.payments.payout import PayoutState, payout_of, payout_state
from krav.payments.settlement import (
    PERIOD_ALLOWED,
    Settlement,
    find_settlement,
    list_settlements,
    period_bounds,
)
from krav.web.deps import EVERYONE, engine_of, requires, settings_of
from krav.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["settlements"])
PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Ikke innlogget / ukjent nøkkel", **PROBLEM},
    404: {"description": "Finnes ikke (eller tilhører en annen oppdragsgiver)", **PROBLEM}}
READERS = Depends(requires(*EVERYONE))
BAD_PERIOD = {422: {"description": "Ugyldig periode", **PROBLEM}}
ALLOWED = f"{PERIOD_ALLOWED}, f.eks. 2026-01"


def _period(period: str | None) -> str:
    """``?period=``, checked: a bad or missing one is 422 naming ``period`` and its form."""
    try:
        if not period:
            raise InvalidInput("mangler")
        period_bounds(period)
    except InvalidInput as exc:
        what = "mangler" if not period else f"ugyldig periode {period[:20]!r}"
        raise Problem(422, f"period: {what}; bruk {ALLOWED}", errors=[
            {"field": "period", "message": what, "allowed": ALLOWED}]) from exc
    return period


def _scope(conn: Connection, who: Principal, orgnr: str | None) -> int | None:
    """The creditor whose settlements are asked for: the principal's own (another creditor's
    ``?orgnr=`` is 404, as an unknown one); agency staff: the one named, else every one."""
    scope = creditor_scope(who)
    if not orgnr or not orgnr.strip():
        return scope
    query = select(creditors.c.id).where(creditors.c.orgnr == orgnr.replace(" ", ""))
    if scope is not EVERY:
        query = query.where(creditors.c.id == scope)
    found = conn.execute(query).scalar()
    if found is None:
        raise NotFound(f"ukjent oppdragsgiver {orgnr[:20]!r}")
    return found


def _visible(request: Request, who: Principal, settlement_id: int,
             ) -> tuple[Settlement, PayoutState]:
    with engine_of(request).connect() as conn:
        s = find_settlement(conn, settlement_id, creditor_scope(who))
        return s, payout_of(conn, s)


@router.get("/settlements", responses={**ERRORS, **BAD_PERIOD})
def settlement_list(request: Request, who: Principal = READERS,
                    period: str | None = None, orgnr: str | None = None) -> Any:
    """Oppgjørene for en måned (``period=ÅÅÅÅ-MM``): oppdragsgiverens egne; byråets ansatte ser
    alle oppdragsgiveres, eller én med ``?orgnr=``."""
    month = _period(period)
    with engine_of(request).connect() as conn:
        rows = list_settlements(conn, period=month, creditor_id=_scope(conn, who, orgnr))
    return as_json({"period": month, "items": [
        report.settlement_list_item(row, payout_state(row["payout_ore"], row["invoice_ore"],
                                                      row["account_number"], row))
        for row in rows]})


@router.get("/settlements/{settlement_id}.csv", responses={
    200: {"description": "Oppgjørsrapporten som CSV", "content": {"text/csv": {}}}, **ERRORS},
    response_class=Response)
def settlement_csv(settlement_id: int, request: Request,
                   who: Principal = READERS) -> Response:
    """Oppgjørsrapporten som CSV (én rad per sak og en sumrad), som «krav settle --out»."""
    s, _ = _visible(request, who, settlement_id)
    return Response(report.settlement_csv(s), media_type="text/csv; charset=utf-8",
                    headers=_attachment(s, "csv"))


@router.get("/settlements/{settlement_id}.pdf", responses={
    200: {"description": "Oppgjørsrapporten som PDF", "content": {"application/pdf": {}}},
    **ERRORS}, response_class=Response)
def settlement_pdf(settlement_id: int, request: Request,
                   who: Principal = READERS) -> Response:
    """Oppgjørsrapporten som PDF, som «krav settle --out»."""
    s, payout = _visible(request, who, settlement_id)
    return Response(report.settlement_pdf(s, settings_of(request).agency, payout),
                    media_type="application/pdf", headers=_attachment(s, "pdf"))


@router.get("/settlements/{settlement_id}", responses=ERRORS)
def settlement_show(settlement_id: int, request: Request,
                    who: Principal = READERS) -> Any:
    """Ett oppgjør: tallene, en linje per sak, hva som er holdt tilbake og hvorfor, og hvor
    utbetalingen står."""
    s, payout = _visible(request, who, settlement_id)
    return as_json(report.settlement_detail(s, payout))


def _attachment(s: Settlement, suffix: str) -> dict[str, str]:
    return {"content-disposition":
            f'attachment; filename="{report.statement_name(s)}.{suffix}"'}
