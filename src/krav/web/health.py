"""``GET /healthz``: is this server fit to take requests?

200 when the database answers and its schema is at the newest migration, 503 otherwise (a
load balancer then takes the instance out). The outbox's age — the oldest letter waiting to be
sent (``pending``/``sending``, dated today or earlier), the oldest waiting account e-mail and
the oldest webhook delivery not yet made (with the count of parked ones) — is reported, and
marked ``stale`` past ``KRAV_OUTBOX_WARN_MINUTES``, but does not make the server unhealthy: a
stuck dispatcher is an alarm for the operator, not a reason to stop serving pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, func, select, text

from krav.db.migrate import head_revision
from krav.db.tables import letters
from krav.settings import Settings
from krav.web.deps import engine_of, now, settings_of
from krav.webhooks.tables import webhook_deliveries as wd

router = APIRouter(include_in_schema=False)


def check(engine: Engine, settings: Settings, at: datetime) -> tuple[bool, dict[str, Any]]:
    report: dict[str, Any] = {"database": {"ok": False}, "migrations": {"ok": False}}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            report["database"] = {"ok": True, "dialect": conn.dialect.name}
            current = MigrationContext.configure(conn).get_current_revision()
            head = head_revision()
            report["migrations"] = {"ok": current == head, "current": current, "newest": head}
            if current == head:
                report["outbox"] = _outbox(conn, settings, at)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
        failed = "database" if not report["database"]["ok"] else "migrations"
        report[failed] = {"ok": False, "error": type(exc).__name__}
    healthy = report["database"]["ok"] and report["migrations"]["ok"]
    return healthy, {"status": "ok" if healthy else "unavailable", **report}


def _outbox(conn, settings: Settings, at: datetime) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from krav.accounts.mail import oldest_pending

    waiting = (letters.c.status.in_(("pending", "sending")), letters.c.sent_on <= at.date())
    count, oldest_day = conn.execute(select(func.count(), func.min(letters.c.sent_on))
                                     .where(*waiting)).one()
    mail = oldest_pending(conn)
    hooks_waiting, oldest_hook = conn.execute(
        select(func.count(), func.min(wd.c.created_at))
        .where(wd.c.status.in_(("pending", "sending")))).one()
    hooks_parked = conn.execute(select(func.count()).select_from(wd)
                                .where(wd.c.status == "parked")).scalar_one()
    ages = []
    if oldest_hook is not None:
        ages.append((at - oldest_hook).total_seconds())
    if oldest_day is not None:
        ages.append((at - datetime.combine(oldest_day, datetime.min.time())).total_seconds())
    if mail is not None:
        ages.append((at - mail).total_seconds())
    age = max(ages) if ages else 0
    return {"letters_waiting": count,
            "oldest_letter": oldest_day.isoformat() if oldest_day else None,
            "oldest_account_mail": mail.isoformat(timespec="seconds") if mail else None,
            "webhooks_waiting": hooks_waiting,
            "oldest_webhook": oldest_hook.isoformat(timespec="seconds") if oldest_hook else None,
            "webhooks_parked": hooks_parked,
            "age_seconds": int(age), "stale": age > settings.outbox_warn_minutes * 60}


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    healthy, report = check(engine_of(request), settings_of(request), now())
    return JSONResponse(report, status_code=200 if healthy else 503,
                        headers={"Cache-Control": "no-store"})
