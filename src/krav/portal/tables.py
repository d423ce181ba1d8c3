"""The debtor portal's tables: debtors' sessions.

Debtors' sessions are kept apart from the staff and creditor ``sessions`` (which belong to a
``users`` row): a code login binds its session to the cases whose codes were given
(``debtor_session_claims``); a BankID login to the person's national id.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, String, Table

from krav.db.tables import Id, metadata

debtor_sessions = Table(
    "debtor_sessions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("method", String(10), nullable=False),  # code | bankid
    Column("national_id", String(11), nullable=True),  # bankid: the person's fødselsnummer
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),
    Column("client", String(64), nullable=False, default=""),
)

debtor_session_claims = Table(
    "debtor_session_claims",
    metadata,
    Column("session_id", ForeignKey("debtor_sessions.id"), primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), primary_key=True),
)
