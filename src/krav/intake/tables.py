"""Idempotency keys of ``POST /api/v1/claims``: a retried request (same ``Idempotency-Key``,
same creditor, same body) gets the first answer and creates nothing."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

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

# The creditor pages' "hand over claims" (``/levere``): an uploaded CSV or XLSX file waits here
# between the upload, the column mapping and the preview, and the import (all or nothing, as
# ``krav import claims``); ``imported_at`` is set when its claims were imported. Kept in the
# database (not a directory) so every ``krav serve`` worker sees it and a backup holds it.
claim_uploads = Table(
    "claim_uploads",
    metadata,
    Column("id", Id, primary_key=True),
    Column("creditor_id", Id, ForeignKey("creditors.id"), nullable=False, index=True),
    Column("user_id", Id, nullable=True),
    Column("filename", String(200), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("imported_at", DateTime, nullable=True),  # UTC
    Column("claims", Integer, nullable=True),  # how many were imported
)

# The column mapping of each creditor's last imported upload: krav column → the file's heading,
# offered again for the creditor's next file.
upload_mappings = Table(
    "upload_mappings",
    metadata,
    Column("creditor_id", Id, ForeignKey("creditors.id"), primary_key=True),
    Column("mapping", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False),  # UTC
)
