"""The agreements context's tables.

- ``agreements``: one deferral, payment plan or limited agreement with a debtor, its status and
  how it was granted (within the creditor's authority, or by a handler);
- ``agreement_claims``: the claims it covers (a plan may cover several claims of one debtor),
  with the step date each claim had when the agreement stopped its process (``resume_on``);
- ``agreement_instalments``: a plan's monthly instalments, each with its own KID.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from krav.db.tables import Id, metadata

KINDS = ("deferral", "plan", "limited")
# requested: waits for a handler · proposed: granted, waits for the debtor's acceptance ·
# active · breached: a breach notice went out · review: a limited agreement's period ended, a
# handler decides what next · completed: paid · ended: breached and not cured (collection
# resumed), or a deferral that ran out · cancelled · rejected
STATUSES = ("requested", "proposed", "active", "breached", "review", "completed", "ended",
            "cancelled", "rejected")
LIVE = ("requested", "proposed", "active", "breached", "review")
# the agreement holds its claims' process (they are paused)
HOLDING = ("active", "breached", "review")

agreements = Table(
    "agreements",
    metadata,
    Column("id", Id, primary_key=True),
    Column("ref", String(20), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("debtor_id", ForeignKey("debtors.id"), nullable=False, index=True),
    Column("created_on", Date, nullable=False),
    Column("decided_on", Date, nullable=True),
    Column("accepted_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    # deferral: the new deadline; limited agreement: the last day of its period
    Column("until", Date, nullable=True),
    Column("instalments", Integer, nullable=False, default=0),
    Column("first_due", Date, nullable=True),
    Column("amount_ore", BigInteger, nullable=True),  # the level instalment (limited: per month)
    Column("total_ore", BigInteger, nullable=False, default=0),
    # more instalments than INKF § 2-4 allows without raising the salær cap
    Column("uplift_warning", Boolean, nullable=False, default=False),
    # accepted with that warning shown: only then may the raise be charged (INKF § 2-4)
    Column("warned", Boolean, nullable=False, default=False),
    Column("uplift_claim_id", ForeignKey("claims.id"), nullable=True),
    Column("granted", String(10), nullable=True),  # authority | handler
    Column("reasons", JSON, nullable=True),  # why it needed a handler
    Column("breach_notice_on", Date, nullable=True),
    Column("breach_deadline", Date, nullable=True),
    Column("breach_due_ore", BigInteger, nullable=True),  # paid by then cures the breach
    Column("note", Text, nullable=False, default=""),  # the debtor's reason, a rejection's reason
    Column("created_by", String(300), nullable=False, default=""),
    Column("decided_by", String(300), nullable=False, default=""),
    Column("version", Integer, nullable=False, default=0),
)
Index("ix_agreements_status", agreements.c.status)

agreement_claims = Table(
    "agreement_claims",
    metadata,
    Column("agreement_id", ForeignKey("agreements.id"), primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("resume_on", Date, nullable=True),
)
Index("ix_agreement_claims_claim_id", agreement_claims.c.claim_id)

agreement_instalments = Table(
    "agreement_instalments",
    metadata,
    Column("agreement_id", ForeignKey("agreements.id"), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("due", Date, nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("kid", String(27), nullable=True),
)
