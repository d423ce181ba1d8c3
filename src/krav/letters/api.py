"""HTTP callbacks the letters context receives: SMS delivery reports.

``router`` is mounted by the web app (``app.include_router(router)``). The provider posts one
report or a list of reports (LINK Mobility style: ``refId``, ``id``, ``resultCode``; 1001 =
delivered); each is recorded idempotently, so the provider's retries change nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Request

from krav.db.engine import make_engine
from krav.letters.tracking import record_sms_report

router = APIRouter(prefix="/callbacks", tags=["letters"])


def _engine(request: Request):  # type: ignore[no-untyped-def]
    url = getattr(request.app.state, "database_url", None)
    return make_engine(url)


@router.post("/sms/delivery")
def sms_delivery(request: Request, payload: Any = Body(...)) -> dict[str, int]:  # noqa: B008
    """Record delivery reports; answers how many changed something."""
    reports = payload if isinstance(payload, list) else [payload]
    now = datetime.now(UTC).replace(tzinfo=None)  # an entry point: the only clock read here
    engine = _engine(request)
    changed = sum(1 for report in reports if isinstance(report, dict)
                  and record_sms_report(engine, report, at=now))
    return {"received": len(reports), "changed": changed}
