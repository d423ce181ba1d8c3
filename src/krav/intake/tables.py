"""Idempotency keys of ``POST /api/v1/claims``: a retried request (same ``Idempotency-Key``,
same creditor, same body) gets the first answer and creates nothing."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint

from krav.db.tables import Id, metadata

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("creditor_id", Id, ForeignKey("creditors.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),  # SHA-256 of the canonical JSON body
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),  # UTC
    UniqueConstraint("creditor_id", "key", name="uq_idempotency_keys_creditor_id_key"),
)
