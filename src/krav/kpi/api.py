"""``GET /api/v1/kpi``: the dashboard's figures, the same object as ``krav kpi --json``.

A creditor's key or user sees its own creditor only (naming another answers 404, as an unknown
one does); agency staff name one with ``?orgnr=`` or see every creditor without it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request

from krav.accounts.principal import Principal
from krav.cases.api import NOT_FOUND, PROBLEM, as_json
from krav.kernel.dates import parse_date
from krav.kernel.errors import InvalidInput
from krav.kpi.service import kpi
from krav.web.deps import EVERYONE, engine_of, requires
from krav.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["krav"])


def today() -> date:
    """The day (read at the entry point, as the CLI's ``--as-of`` default)."""
    return date.today()


def figures(request: Request, who: Principal, *, period: str | None, as_of: str | None,
            orgnr: str | None) -> dict[str, Any]:
    """The figures for a request (shared by the API and the pages); bad input is a 422."""
    try:
        day = parse_date(as_of, where="as_of") if as_of else today()
        with engine_of(request).connect() as conn:
            return kpi(conn, period=period or f"{today():%Y-%m}", as_of=day, creditor=orgnr,
                       principal=who)
    except InvalidInput as exc:
        field = "period" if exc.where == "--period" else (exc.where or "")
        raise Problem(422, f"{field}: {exc.what}", errors=[
            {"field": field, "message": exc.what, "allowed": exc.allowed}]) from None


RESPONSES: dict[int | str, dict[str, Any]] = {
    404: dict(NOT_FOUND[404]), 422: {"description": "Ugyldig periode eller dato", **PROBLEM}}


@router.get("/kpi", responses=RESPONSES)
def kpi_show(request: Request, who: Principal = Depends(requires(*EVERYONE)),
             period: str | None = None,
             as_of: str | None = None, orgnr: str | None = None) -> Any:
    """Nøkkeltall, som «krav kpi --creditor ORGNR --period ÅÅÅÅ-MM --as-of DATO --json»:
    utestående etter fase og alder per ``as_of`` (standard i dag), innbetalt i perioden
    (standard denne måneden) og løsningsgraden for sakene overlevert i perioden."""
    return as_json(figures(request, who, period=period, as_of=as_of, orgnr=orgnr))
