"""Webhooks: subscriptions of a creditor, their secrets, and enqueueing deliveries set-wise.

Enqueueing happens in the transaction of the change it reports, as one ``INSERT … SELECT`` from
the rows just written (events, payments, claims, letters) joined to the subscriptions of their
creditor — only creditors with a subscription to that event get rows, and when nobody subscribes
to an event at all it costs one ``EXISTS`` query. A unique key (webhook, event, source row) makes
enqueueing idempotent. Delivery is :mod:`krav.webhooks.delivery` (``krav dispatch``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Select, and_, exists, func, insert, literal, select, update

from krav.accounts.principal import Actor
from krav.db.tables import claims, events
from krav.kernel.errors import InvalidInput, KravError, NotFound
from krav.webhooks.tables import EVENTS, webhooks
from krav.webhooks.tables import webhook_deliveries as wd

#: events rows (``events.kind``) that are webhook events. ``claim.stage_changed`` is sent for
#: every change of where the case stands that a client acts on — a step letter (see
#: :func:`enqueue_stage_letters`), the transfer to collection, a case held for the creditor's
#: approval or below its minimum, and a pause or resume (``data.stage`` and ``data.status``)
EVENT_KINDS = {"disputed": "dispute.opened", "closed": "claim.closed",
               "withdrawn": "claim.closed", "transferred": "claim.stage_changed",
               "held": "claim.stage_changed", "paused": "claim.stage_changed",
               "resumed": "claim.stage_changed",
               # krav.agreements: deferrals and payment plans
               "deferred": "agreement.granted", "plan_accepted": "agreement.granted",
               "agreement_breached": "agreement.breached", "agreement_ended": "agreement.ended",
               "agreement_cancelled": "agreement.ended",
               "agreement_completed": "agreement.completed"}
MAX_PER_CREDITOR = 20


# --- secrets -------------------------------------------------------------------------------

def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise KravError("KRAV_SECRET_KEY er ikke satt: webhook-hemmeligheter kan ikke lagres "
                        "eller brukes (sett en lang tilfeldig verdi, lik for server og dispatch)")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def encrypt(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt(token: str, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise KravError("webhook-hemmeligheten kan ikke dekrypteres: KRAV_SECRET_KEY er en "
                        "annen enn da webhooken ble laget") from None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# --- subscriptions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Created:
    row: dict[str, Any]
    secret: str


def validate_url(url: str, *, allow_local: bool = False) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"ikke en http(s)-adresse: {url[:200]!r}", where="url",
                           allowed="https://… (http:// tillatt)")
    host = parts.hostname.lower()
    if not allow_local and (host in ("localhost", "0.0.0.0", "::1") or host.startswith("127.")
                            or host.startswith("169.254.")):
        raise InvalidInput(f"lokal adresse er ikke tillatt: {host}", where="url",
                           allowed="en offentlig adresse")
    if len(url) > 2000:
        raise InvalidInput("for lang (over 2000 tegn)", where="url")
    return url


def validate_events(names: list[str]) -> list[str]:
    if not names:
        raise InvalidInput("minst én hendelse", where="events", allowed=", ".join(EVENTS))
    unknown = [n for n in names if n not in EVENTS]
    if unknown:
        raise InvalidInput(f"ukjent hendelse {unknown[0]!r}", where="events",
                           allowed=", ".join(EVENTS))
    return sorted(set(names), key=EVENTS.index)


def create(conn: Connection, *, creditor_id: int, url: str, events_: list[str], actor: Actor,
           secret_key: str, allow_local: bool = False) -> Created:
    """A new subscription; its secret (``whsec_…``) is returned here and never again."""
    from krav.audit.service import record

    url = validate_url(url, allow_local=allow_local)
    names = validate_events(events_)
    count = conn.execute(select(func.count()).where(webhooks.c.creditor_id == creditor_id,
                                                    webhooks.c.deleted_at.is_(None))).scalar()
    if count >= MAX_PER_CREDITOR:
        raise InvalidInput(f"høyst {MAX_PER_CREDITOR} webhooks per oppdragsgiver", where="url")
    secret = "whsec_" + secrets.token_urlsafe(32)
    values = {"creditor_id": creditor_id, "url": url, "events": "," + ",".join(names) + ",",
              "secret_enc": encrypt(secret, secret_key), "created_at": actor.at,
              "created_by": actor.label[:200]}
    wid = conn.execute(insert(webhooks).values(**values).returning(webhooks.c.id)).scalar_one()
    record(conn, actor, "webhook.create", creditor_id=creditor_id,
           details={"webhook_id": wid, "url": url, "events": names})
    return Created(row=view({"id": wid, **values}), secret=secret)


def view(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "url": row["url"],
            "events": [e for e in row["events"].split(",") if e],
            "created_at": row["created_at"].isoformat(timespec="seconds") + "Z"}


def _scope(creditor_id: int | None):  # type: ignore[no-untyped-def]
    return [webhooks.c.deleted_at.is_(None)] + (
        [] if creditor_id is None else [webhooks.c.creditor_id == creditor_id])


def list_for(conn: Connection, creditor_id: int | None) -> list[dict[str, Any]]:
    rows = conn.execute(select(webhooks).where(*_scope(creditor_id))
                        .order_by(webhooks.c.id)).mappings()
    return [view(r) for r in rows]


def get(conn: Connection, webhook_id: int, creditor_id: int | None) -> Any:
    """The webhook, if the caller may see it; another creditor's answers like a missing one."""
    row = conn.execute(select(webhooks).where(webhooks.c.id == webhook_id,
                                              *_scope(creditor_id))).mappings().first()
    if row is None:
        raise NotFound(f"ukjent webhook {webhook_id}")
    return row


def delete(conn: Connection, webhook_id: int, creditor_id: int | None, actor: Actor) -> None:
    """Stop a subscription; its undelivered events are parked (kept, visible, not sent)."""
    from krav.audit.service import record

    row = get(conn, webhook_id, creditor_id)
    conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(deleted_at=actor.at))
    conn.execute(update(wd).where(wd.c.webhook_id == webhook_id,
                                  wd.c.status.in_(("pending", "sending")))
                 .values(status="parked", last_error="webhooken er slettet"))
    record(conn, actor, "webhook.delete", creditor_id=row["creditor_id"],
           details={"webhook_id": webhook_id, "url": row["url"]})


def deliveries(conn: Connection, webhook_id: int, *, limit: int = 100,
               status: str | None = None) -> list[dict[str, Any]]:
    query = (select(wd, claims.c.ref).join(claims, claims.c.id == wd.c.claim_id)
             .where(wd.c.webhook_id == webhook_id).order_by(wd.c.id.desc()).limit(limit))
    if status:
        query = query.where(wd.c.status == status)
    return [delivery_view(r) for r in conn.execute(query).mappings()]


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def delivery_view(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "event_id": event_id(r["event_type"], r["source"], r["source_id"]),
            "event": r["event_type"], "ref": r["ref"], "status": r["status"],
            "attempts": r["attempts"], "created_at": _ts(r["created_at"]),
            "next_attempt_at": _ts(r["next_attempt_at"]),
            "delivered_at": _ts(r["delivered_at"]), "response_status": r["response_status"],
            "last_error": r["last_error"]}


def event_id(event_type: str, source: str, source_id: int) -> str:
    """Stable across retries and the same for every subscription: the receiver's dedup key."""
    digest = hashlib.sha256(f"{event_type}:{source}:{source_id}".encode()).hexdigest()
    return "evt_" + digest[:32]


# --- enqueueing (set-wise) -----------------------------------------------------------------

def _subscribed(event_type: str):  # type: ignore[no-untyped-def]
    return and_(webhooks.c.deleted_at.is_(None),
                webhooks.c.events.like(f"%,{event_type},%"))


def enqueue(conn: Connection, event_type: str, source: str, rows: Select) -> None:
    """One ``INSERT … SELECT``: a delivery per (row, subscription of the row's creditor).

    ``rows`` selects ``(source_id, claim_id)`` of the rows just written."""
    if not conn.execute(select(exists().where(_subscribed(event_type)))).scalar():
        return
    q = rows.subquery("q")
    select_rows = (select(webhooks.c.id, claims.c.creditor_id, q.c.claim_id,
                          literal(event_type), literal(source), q.c.source_id,
                          literal("pending"), literal(0))
                   .select_from(q.join(claims, claims.c.id == q.c.claim_id)
                                .join(webhooks, webhooks.c.creditor_id == claims.c.creditor_id))
                   .where(_subscribed(event_type)))
    stmt = _insert_ignore(conn)(wd).from_select(
        ["webhook_id", "creditor_id", "claim_id", "event_type", "source", "source_id",
         "status", "attempts"], select_rows).on_conflict_do_nothing()
    conn.execute(stmt)


def _insert_ignore(conn: Connection):  # type: ignore[no-untyped-def]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert


def mark(conn: Connection, table: Any = events) -> int | None:
    """Before writing rows to ``table``: its newest id, or ``None`` when no webhook exists
    (then the enqueue after the write does nothing)."""
    if not conn.execute(select(exists().where(webhooks.c.deleted_at.is_(None)))).scalar():
        return None
    return conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()


def events_mark(conn: Connection) -> int | None:
    return mark(conn, events)


def enqueue_created(conn: Connection, claims_mark: int | None) -> None:
    """``claim.created`` for the claims inserted after ``claims_mark`` (an import)."""
    if claims_mark is not None:
        enqueue(conn, "claim.created", "claim", select(
            claims.c.id.label("source_id"), claims.c.id.label("claim_id"))
            .where(claims.c.id > claims_mark))


def enqueue_payments(conn: Connection, payment_ids: list[int]) -> None:
    """``payment.booked`` for the payments just allocated (ids of one chunk)."""
    from krav.db.tables import payments

    if not payment_ids:
        return
    lo, hi = min(payment_ids), max(payment_ids)
    enqueue(conn, "payment.booked", "payment", select(
        payments.c.id.label("source_id"), payments.c.claim_id)
        .where(payments.c.id.between(lo, hi), payments.c.claim_id.is_not(None),
               payments.c.status.in_(("matched", "direct"))))


def enqueue_stage_letters(conn: Connection, letters_mark: int | None) -> None:
    """``claim.stage_changed`` for the step letters the nightly run just made (the stage is the
    letter's kind: reminder, collection_notice, payment_demand)."""
    from krav.db.tables import letters
    from krav.letters.delivery import STEP_KINDS

    if letters_mark is not None:
        enqueue(conn, "claim.stage_changed", "stage", select(
            letters.c.id.label("source_id"), letters.c.claim_id)
            .where(letters.c.id > letters_mark, letters.c.kind.in_(STEP_KINDS)))


def enqueue_letters(conn: Connection, letter_ids: Any) -> None:
    """``letter.sent`` for letters just marked sent (``letter_ids``: a list or a select)."""
    from krav.db.tables import letters

    enqueue(conn, "letter.sent", "letter", select(
        letters.c.id.label("source_id"), letters.c.claim_id)
        .where(letters.c.id.in_(letter_ids), letters.c.status == "sent"))


def enqueue_events(conn: Connection, mark: int | None, *, claim_ids: Any = None) -> None:
    """Deliveries for the webhook-worthy ``events`` rows written after ``mark``."""
    if mark is None:
        return
    for kind, event_type in EVENT_KINDS.items():
        rows = select(events.c.id.label("source_id"), events.c.claim_id).where(
            events.c.id > mark, events.c.kind == kind)
        enqueue(conn, event_type, "event", rows)


def enqueue_event_row(conn: Connection, event_row_id: int, kind: str) -> None:
    """Deliveries for one ``events`` row just written (a case action: dispute, withdrawal)."""
    event_type = EVENT_KINDS.get(kind)
    if event_type is None:
        return
    enqueue(conn, event_type, "event", select(events.c.id.label("source_id"), events.c.claim_id)
            .where(events.c.id == event_row_id))
