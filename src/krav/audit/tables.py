"""The audit trail: one append-only row per change, written in the transaction of the change.

Nothing in krav updates or deletes a row: triggers on both databases refuse UPDATE and DELETE
(created with the table here for a new database and by migration 0009 for an existing one).
"""

from __future__ import annotations

from sqlalchemy import DDL, JSON, Column, DateTime, Index, String, Table, event

from krav.db.tables import Id, metadata

audit = Table(
    "audit",
    metadata,
    Column("id", Id, primary_key=True),
    Column("at", DateTime, nullable=False),  # UTC
    # user:<id> <e-mail> | apikey:<id> <prefix> | cli:<os user>
    Column("actor", String(300), nullable=False),
    Column("action", String(60), nullable=False),  # e.g. case.dispute, user.add, login.failed
    Column("creditor_id", Id, nullable=True),
    Column("claim_id", Id, nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("details", JSON, nullable=True),
)
Index("ix_audit_claim", audit.c.claim_id)
Index("ix_audit_creditor", audit.c.creditor_id)

MESSAGE = "audit er bare for tillegg: rader kan ikke endres eller slettes"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION krav_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION krav_audit_append_only()
"""
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that makes ``audit`` append-only on ``dialect``."""
    if dialect == "postgresql":
        return [PG_FUNCTION, PG_TRIGGER]
    if dialect == "sqlite":
        return list(SQLITE_TRIGGERS)
    raise ValueError(f"krav runs on SQLite and PostgreSQL, not {dialect}")


for _sql in trigger_statements("postgresql"):
    event.listen(audit, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
for _sql in trigger_statements("sqlite"):
    event.listen(audit, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
