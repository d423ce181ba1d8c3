"""Delivering webhooks from the outbox (``krav dispatch``): claim, sign, POST, record.

At least once, never twice after a recorded success:
- a batch is claimed by one conditional UPDATE (``status='sending'``, ``attempts+1``, lease
  until ``now + lease``) committed *before* any request goes out — the attempt is on record;
- every later write is fenced by ``attempts``, so a dispatcher that lost its lease cannot
  overwrite a newer claim's result; ``delivered`` rows are never claimed again;
- a dispatcher killed between the receiver's 2xx and our record leaves the row ``sending``;
  when the lease runs out it is sent again with the same event id (``X-Krav-Event-Id``) —
  the receiver must dedupe by that id (the usual at-least-once contract).
A 2xx answer is delivered; anything else (another status, a refused connection, a timeout) is
retried after ``backoff × 2^(attempt-1)`` (at most six hours), and parked after
``max_attempts`` — kept with its last error for ``krav webhooks failed`` and
``GET /api/v1/webhooks/{id}/deliveries``, sent again by ``krav webhooks retry``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, and_, or_, select, update

from krav.accounts.principal import Actor
from krav.db.tables import claims, creditors, events, letters, payments
from krav.kernel.money import from_ore
from krav.webhooks.service import decrypt, event_id, signature
from krav.webhooks.tables import webhook_deliveries as wd
from krav.webhooks.tables import webhooks

log = logging.getLogger("krav.webhooks")
MAX_DELAY = timedelta(hours=6)


@dataclass(frozen=True)
class HookConfig:
    secret_key: str
    batch: int = 50
    max_attempts: int = 8
    lease: timedelta = timedelta(minutes=5)
    backoff: timedelta = timedelta(minutes=1)
    timeout: float = 10.0


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(and_(wd.c.status == "pending",
                    or_(wd.c.next_attempt_at.is_(None), wd.c.next_attempt_at <= now)),
               and_(wd.c.status == "sending", wd.c.next_attempt_at <= now))


def claim_batch(engine: Engine, *, now: datetime, lease: timedelta, limit: int) -> list[int]:
    with engine.begin() as conn:
        candidates = select(wd.c.id).where(_due(now)).order_by(wd.c.id).limit(limit)
        if conn.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(conn.execute(candidates).scalars())
        if not ids:
            return []
        return sorted(conn.execute(
            update(wd).where(wd.c.id.in_(ids), _due(now))
            .values(status="sending", attempts=wd.c.attempts + 1, next_attempt_at=now + lease,
                    last_attempt_at=now)
            .returning(wd.c.id)).scalars())


def _data(conn, rows: list[Any]) -> dict[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The small ``data`` object of each delivery, read from its source row (one query per
    kind of source)."""
    by_source: dict[str, list[int]] = {}
    for r in rows:
        by_source.setdefault(r.source, []).append(r.source_id)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    if by_source.get("event"):
        for e in conn.execute(select(events.c.id, events.c.on, events.c.kind, events.c.detail)
                              .where(events.c.id.in_(by_source["event"]))):
            detail = e.detail or {}
            data: dict[str, Any] = {"on": e.on.isoformat()}
            if e.kind == "transferred":
                data["stage"] = "collection"
            elif e.kind == "held":  # awaiting_approval or below_minimum: the stage itself
                data.update(stage=detail.get("reason"), status="open")
            elif e.kind in ("paused", "resumed"):
                data.update(stage=detail.get("stage"),
                            status="paused" if e.kind == "paused" else "open")
                if detail.get("reason"):
                    data["reason"] = detail["reason"]
            elif e.kind == "disputed":
                data["reason"] = detail.get("reason")
            else:
                data["reason"] = detail.get("reason", e.kind)
            if detail.get("agreement"):  # krav.agreements: the agreement's ref
                data["agreement"] = detail["agreement"]
            found[("event", e.id)] = data
    if by_source.get("payment"):
        for p in conn.execute(select(payments.c.id, payments.c.paid_on, payments.c.amount_ore)
                              .where(payments.c.id.in_(by_source["payment"]))):
            found[("payment", p.id)] = {"payment_id": p.id, "paid_on": p.paid_on.isoformat(),
                                        "amount": f"{from_ore(p.amount_ore):.2f}"}
    if by_source.get("claim"):
        for c in conn.execute(select(claims.c.id, claims.c.invoice_number, claims.c.due_date,
                                     claims.c.original_principal_ore, claims.c.imported_on)
                              .where(claims.c.id.in_(by_source["claim"]))):
            found[("claim", c.id)] = {"invoice_number": c.invoice_number,
                                      "due_date": c.due_date.isoformat(),
                                      "amount": f"{from_ore(c.original_principal_ore):.2f}",
                                      "on": c.imported_on.isoformat()}
    if by_source.get("letter"):
        for lt in conn.execute(select(letters.c.id, letters.c.kind, letters.c.dispatched_on)
                               .where(letters.c.id.in_(by_source["letter"]))):
            found[("letter", lt.id)] = {"letter_id": lt.id, "kind": lt.kind,
                                        "on": lt.dispatched_on.isoformat()
                                        if lt.dispatched_on else None}
    if by_source.get("stage"):
        for lt in conn.execute(select(letters.c.id, letters.c.kind, letters.c.sent_on)
                               .where(letters.c.id.in_(by_source["stage"]))):
            found[("stage", lt.id)] = {"stage": lt.kind, "letter_id": lt.id,
                                       "on": lt.sent_on.isoformat()}
    return {r.id: found.get((r.source, r.source_id), {}) for r in rows}


def _load(engine: Engine, ids: list[int]) -> list[Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(wd.c.id, wd.c.attempts, wd.c.event_type, wd.c.source, wd.c.source_id,
                   wd.c.created_at, webhooks.c.url, webhooks.c.secret_enc,
                   claims.c.ref, creditors.c.orgnr)
            .join(webhooks, webhooks.c.id == wd.c.webhook_id)
            .join(claims, claims.c.id == wd.c.claim_id)
            .join(creditors, creditors.c.id == wd.c.creditor_id)
            .where(wd.c.id.in_(ids), wd.c.status == "sending").order_by(wd.c.id)).all()
        data = _data(conn, rows)
    return [(r, data[r.id]) for r in rows]


def body_of(row: Any, data: dict[str, Any]) -> bytes:
    payload = {"id": event_id(row.event_type, row.source, row.source_id),
               "type": row.event_type, "created": row.created_at.isoformat(timespec="seconds")
               + "Z", "creditor": row.orgnr, "ref": row.ref, "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _finish(engine: Engine, row: Any, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(wd).where(wd.c.id == row.id, wd.c.attempts == row.attempts,
                                      wd.c.status == "sending").values(**values))


def dispatch_webhooks(engine: Engine, *, now: datetime, config: HookConfig,
                      client: httpx.Client | None = None) -> dict[str, int]:
    """Claim and send one batch; returns ``{"webhook_delivered": n, …}`` (empty: nothing due)."""
    ids = claim_batch(engine, now=now, lease=config.lease, limit=config.batch)
    outcomes: dict[str, int] = {}
    if not ids:
        return outcomes
    own = client is None
    http = client or httpx.Client(timeout=config.timeout, follow_redirects=False)
    try:
        for row, data in _load(engine, ids):
            outcome = _send(engine, http, row, data, now=now, config=config)
            key = "webhook_" + outcome
            outcomes[key] = outcomes.get(key, 0) + 1
    finally:
        if own:
            http.close()
    return outcomes


def _send(engine: Engine, http: httpx.Client, row: Any, data: dict[str, Any], *,
          now: datetime, config: HookConfig) -> str:
    body = body_of(row, data)
    timestamp = str(int(now.timestamp())) if now.tzinfo else \
        str(int((now - datetime(1970, 1, 1)).total_seconds()))
    status: int | None = None
    try:
        secret = decrypt(row.secret_enc, config.secret_key)
        headers = {"Content-Type": "application/json", "User-Agent": "krav-webhooks/1",
                   "X-Krav-Event": row.event_type,
                   "X-Krav-Event-Id": event_id(row.event_type, row.source, row.source_id),
                   "X-Krav-Timestamp": timestamp,
                   "X-Krav-Signature": signature(secret, timestamp, body)}
        response = http.post(row.url, content=body, headers=headers)
        status = response.status_code
        if 200 <= status < 300:
            _finish(engine, row, status="delivered", delivered_at=now, response_status=status,
                    last_error=None, next_attempt_at=None)
            return "delivered"
        error = f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    except Exception as exc:  # noqa: BLE001 - a poison row is parked, never blocks the batch
        log.debug("webhook delivery %s parked", row.id, exc_info=True)
        _finish(engine, row, status="parked", response_status=status, last_error=str(exc)[:2000])
        return "parked"
    if row.attempts >= config.max_attempts:
        _finish(engine, row, status="parked", response_status=status,
                last_error=f"gitt opp etter {row.attempts} forsøk: {error}")
        return "parked"
    delay = min(config.backoff * (2 ** (row.attempts - 1)), MAX_DELAY)
    _finish(engine, row, status="pending", response_status=status, last_error=error,
            next_attempt_at=now + delay)
    return "retry"


def failed(engine: Engine, creditor_id: int | None = None) -> list[dict[str, Any]]:
    """Parked deliveries, oldest first (the operator's list)."""
    from krav.webhooks.service import delivery_view

    query = (select(wd, claims.c.ref, webhooks.c.url, creditors.c.orgnr)
             .join(claims, claims.c.id == wd.c.claim_id)
             .join(webhooks, webhooks.c.id == wd.c.webhook_id)
             .join(creditors, creditors.c.id == wd.c.creditor_id)
             .where(wd.c.status == "parked").order_by(wd.c.id))
    if creditor_id is not None:
        query = query.where(wd.c.creditor_id == creditor_id)
    with engine.connect() as conn:
        return [{**delivery_view(r), "webhook_id": r["webhook_id"], "url": r["url"],
                 "creditor": r["orgnr"]} for r in conn.execute(query).mappings()]


def retry(engine: Engine, ids: list[int] | None, *, now: datetime,
          actor: Actor | None = None) -> int:
    """Parked deliveries (all, or ``ids``) of live webhooks go back to the outbox, due now;
    one audit row per creditor whose deliveries went back."""
    from krav.audit.service import record_many

    live = select(webhooks.c.id).where(webhooks.c.deleted_at.is_(None))
    stmt = update(wd).where(wd.c.status == "parked", wd.c.webhook_id.in_(live))
    if ids:
        stmt = stmt.where(wd.c.id.in_(ids))
    with engine.begin() as conn:
        moved = conn.execute(stmt.values(status="pending", attempts=0, next_attempt_at=now,
                                         last_error=None).returning(wd.c.id, wd.c.creditor_id)
                             ).all()
        per_creditor: dict[int, list[int]] = {}
        for row in moved:
            per_creditor.setdefault(row.creditor_id, []).append(row.id)
        record_many(conn, actor, "webhook.retry", [
            (None, creditor, {"deliveries": sorted(ids_)})
            for creditor, ids_ in sorted(per_creditor.items())])
        return len(moved)
