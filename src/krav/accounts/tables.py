"""The accounts context's tables: people, their sessions and one-time links, API keys, the
login throttle and the outbox of account e-mails.

No secret is stored as it was handed out: passwords as argon2 hashes, session tokens, one-time
link tokens and API keys as SHA-256 of a 256-bit random value (see ``accounts/secrets.py``).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from krav.db.tables import Id, metadata

ROLES = ("admin", "handler", "creditor_admin", "creditor_user")
STAFF_ROLES = ("admin", "handler")  # agency staff: every creditor
CREDITOR_ROLES = ("creditor_admin", "creditor_user")  # bound to one creditor

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # stored lower-case
    Column("role", String(20), nullable=False),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=True),  # creditor roles only
    Column("password_hash", String(200), nullable=True),  # argon2id; None until set
    Column("language", String(2), nullable=False, default="nb"),
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime, nullable=True),
)

# One-time links: set the first password (``krav user add``) or reset a forgotten one.
user_tokens = Table(
    "user_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("purpose", String(12), nullable=False),  # set_password | reset
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),  # logout, disable or a new password
    Column("client", String(64), nullable=False, default=""),
)

# Failed logins per key (``account:<email>`` or ``address:<ip>``), shared by every worker.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime, nullable=False),
    Column("locked_until", DateTime, nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(20), nullable=False, unique=True),  # shown; e.g. krav_1a2b3c4d
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("last_used_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
    Column("expires_at", DateTime, nullable=True),  # None: until revoked
)

# Account e-mails (password reset) wait here until ``krav dispatch`` sends them.
account_mail = Table(
    "account_mail",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(20), nullable=False),  # reset_password
    Column("recipient", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),  # emptied once sent (it holds a one-time link)
    Column("status", String(10), nullable=False),  # pending | sending | sent | parked
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime, nullable=False),
    Column("next_attempt_at", DateTime, nullable=True),
    Column("sent_at", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
)
Index("ix_account_mail_status", account_mail.c.status)
