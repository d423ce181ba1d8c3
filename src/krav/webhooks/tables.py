"""The webhooks context's tables: a creditor's subscriptions and the outbox of deliveries.

A subscription's secret is kept encrypted (Fernet, key from ``KRAV_SECRET_KEY``): krav must be
able to sign with it, so a hash would not do; it is shown once, when the webhook is made.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from krav.db.tables import Id, metadata

EVENTS = ("claim.created", "claim.stage_changed", "claim.closed", "payment.booked",
          "letter.sent", "dispute.opened", "agreement.granted", "agreement.breached",
          "agreement.ended", "agreement.completed")

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Id, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    # ",claim.created,payment.booked," — the set-wise enqueue matches with LIKE '%,<type>,%'
    Column("events", String(300), nullable=False),
    Column("secret_enc", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("deleted_at", DateTime, nullable=True),
)

# One row per (subscription, event): claimed with a lease, retried with back-off, parked.
# ``source``/``source_id`` name the row the event was made from (events, payments, claims,
# letters); the unique constraint makes enqueueing idempotent.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("webhook_id", ForeignKey("webhooks.id"), nullable=False),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("event_type", String(30), nullable=False),
    Column("source", String(10), nullable=False),  # event | payment | claim | letter
    Column("source_id", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # pending | sending | delivered | parked
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime, nullable=False, server_default=func.now()),
    Column("next_attempt_at", DateTime, nullable=True),
    Column("last_attempt_at", DateTime, nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    Column("response_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("webhook_id", "event_type", "source", "source_id",
                     name="uq_webhook_deliveries_event"),
)
Index("ix_webhook_deliveries_status", webhook_deliveries.c.status,
      webhook_deliveries.c.next_attempt_at)
Index("ix_webhook_deliveries_webhook", webhook_deliveries.c.webhook_id,
      webhook_deliveries.c.id)
