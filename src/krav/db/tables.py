"""Tables. Money columns end in ``_ore`` and hold integer øre; dates are ``Date``.

SQLAlchemy Core tables (not ORM classes): the nightly run, imports and matching work set-wise
with ``executemany`` and never load one object per row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Naive UTC now, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)

creditors = Table(
    "creditors",
    metadata,
    Column("id", Id, primary_key=True),
    Column("orgnr", String(9), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("address", String(200), nullable=False, default=""),
    Column("postcode", String(10), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("account_number", String(11), nullable=False, default=""),
    Column("kid_mod", Integer, nullable=False, default=10),  # 10 or 11
    Column("kid_length", Integer, nullable=False, default=10),  # incl. check digit
    Column("kid_prefix", String(10), nullable=False, default=""),
    Column("vat_deductible", Boolean, nullable=False, default=True),
    Column("commission_pct", String(10), nullable=False, default="0"),  # Decimal as text
    Column("allocation_order", String(100), nullable=False, default="costs,interest,principal"),
    Column("policy", JSON, nullable=True),  # dunning policy; None = the default policy
    Column("channels", JSON, nullable=True),  # channel preferences; None = defaults
    Column("email", String(200), nullable=False, default=""),
    Column("phone", String(30), nullable=False, default=""),
    Column("language", String(2), nullable=False, default="nb"),  # nb | en (statements to it)
)

debtors = Table(
    "debtors",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(10), nullable=False),  # consumer | business
    Column("name", String(200), nullable=False),
    Column("national_id", String(11), nullable=True, index=True),  # orgnr or fødselsnummer
    Column("address", String(200), nullable=False, default=""),
    Column("postcode", String(10), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("country", String(2), nullable=False, default="NO"),
    Column("email", String(200), nullable=False, default=""),
    Column("email_consent", Boolean, nullable=False, default=False),  # INKL § 3 a
    Column("phone", String(30), nullable=False, default=""),
    Column("language", String(2), nullable=False, default="nb"),  # nb | en
    Column("address_bad", Boolean, nullable=False, default=False),
    # the debtor asked not to be phoned (god inkassoskikk; set in the portal)
    Column("phone_opt_out", Boolean, nullable=False, default=False, server_default=false()),
    Column("identity_key", String(300), nullable=False, unique=True),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Id, primary_key=True),
    Column("ref", String(20), nullable=False, unique=True),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False),
    Column("debtor_id", ForeignKey("debtors.id"), nullable=False, index=True),
    Column("invoice_number", String(50), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("original_principal_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, default="NOK"),
    Column("kid", String(25), nullable=False, index=True),
    Column("description", String(500), nullable=False, default=""),
    Column("imported_on", Date, nullable=False),
    # process state
    Column("status", String(10), nullable=False, default="open"),  # open|paused|disputed|closed
    Column("stage", String(20), nullable=False, default="invoiced"),
    Column("step_index", Integer, nullable=False, default=0),  # pre-collection letters sent
    Column("fee_letters", Integer, nullable=False, default=0),  # fee-bearing letters (max two)
    Column("last_deadline", Date, nullable=True),
    Column("demand_sent_on", Date, nullable=True),
    Column("demand_deadline", Date, nullable=True),
    Column("legal_deadline", Date, nullable=True),
    Column("next_action_on", Date, nullable=True),
    Column("close_reason", String(20), nullable=True),  # paid|withdrawn|written_off|time_barred
    Column("closed_on", Date, nullable=True),
    Column("approved", Boolean, nullable=False, default=False),
    Column("instalments", Integer, nullable=False, default=0),
    Column("limitation_date", Date, nullable=True),
    # cached balances (checked against the ledger by ledger.check)
    Column("principal_ore", BigInteger, nullable=False),
    Column("interest_ore", BigInteger, nullable=False, default=0),
    Column("costs_ore", BigInteger, nullable=False, default=0),
    Column("interest_through", Date, nullable=False),  # interest crystallised up to this day
    Column("recovery_costs_ore", BigInteger, nullable=False, default=0),  # gross fees+salær
    Column("compensation_ore", BigInteger, nullable=False, default=0),  # § 3a claimed
    Column("version", Integer, nullable=False, default=0),
    # when the row last changed (UTC, the server's clock): set by every Core insert and update
    # of ``claims`` (``default``/``onupdate``) and by the set-wise payment UPDATE
    # (ledger.setwise); ``GET /api/v1/claims?updated_since=`` filters on it. NULL: not changed
    # since before migration 0011.
    Column("updated_at", DateTime, nullable=True, default=utcnow, onupdate=utcnow),
    UniqueConstraint("creditor_id", "invoice_number", name="uq_claims_creditor_invoice"),
)
Index("ix_claims_updated_at", claims.c.updated_at)
# The nightly run's selection: status = 'open' AND next_action_on <= as_of, answered from the index.
Index("ix_claims_due", claims.c.status, claims.c.next_action_on)
# ``krav case show 1001`` / ``krav cases --search 1001``: an invoice number across creditors.
Index("ix_claims_invoice_number", claims.c.invoice_number)
# ``krav kpi``: the claims handed over in a period (migration 0016).
Index("ix_claims_imported_on", claims.c.imported_on)

# A case's access code is not stored: it is a keyed hash of the ref and ``serial``
# (krav.cases.codes); ``krav case access-code`` moves the serial on, which invalidates the code
# printed before. A case without a row has serial 0.
case_access = Table(
    "case_access",
    metadata,
    Column("claim_id", ForeignKey("claims.id"), primary_key=True),
    Column("serial", Integer, nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("issued_by", String(300), nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("id", Id, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("on", Date, nullable=False),
    Column("kind", String(30), nullable=False),
    # which balance the posting moves: principal, interest, reminder_fee, collection_notice_fee,
    # payment_demand_fee, compensation, salaer, or overpaid (money owed back to the debtor)
    Column("component", String(30), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),  # charges positive, payments negative
    Column("rule", String(80), nullable=False),
    Column("reference", String(200), nullable=False, default=""),
    Column("inputs", JSON, nullable=True),
    Column("payment_id", ForeignKey("payments.id"), nullable=True),
    Column("reverses_id", Id, nullable=True),
    Column("key", String(80), nullable=False),  # idempotency key, unique per claim
    # also the index for every lookup by claim (its leading column)
    UniqueConstraint("claim_id", "key", name="uq_postings_claim_key"),
)
# ``krav kpi`` (migration 0016): postings dated after a day and a period's money postings; the
# few postings of money owed back (partial).
Index("ix_postings_on", postings.c.on)
Index("ix_postings_overpaid", postings.c.claim_id, sqlite_where=text("component = 'overpaid'"),
      postgresql_where=text("component = 'overpaid'"))

letters = Table(
    "letters",
    metadata,
    Column("id", Id, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False, index=True),
    Column("step_key", String(60), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("sender", String(10), nullable=False),  # creditor | agency
    Column("sent_on", Date, nullable=False, index=True),
    Column("deadline", Date, nullable=True),
    Column("fee_ore", BigInteger, nullable=False, default=0),
    Column("language", String(2), nullable=False, default="nb"),
    Column("content", JSON, nullable=False),  # amounts and lines as of sent_on
    Column("status", String(12), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    # Delivery is state (INKL § 9, INKF § 1-2): the day the letter actually went out (the
    # channel accepted it; print: the print file was handed to the printer/post), None until then.
    Column("dispatched_on", Date, nullable=True),
    # A letter cancelled and made afresh points to its replacement; a cancelled letter without
    # one, of a case still open, is still owed and blocks the case's next step.
    Column("replaced_by", Id, nullable=True),
    # Whether the letter's fee posting stands (False once reversed because it was not sent).
    Column("fee_charged", Boolean, nullable=False, default=True, server_default=true()),
    UniqueConstraint("claim_id", "step_key", name="uq_letters_claim_step"),
)
Index("ix_letters_status", letters.c.status)

import_files = Table(
    "import_files",
    metadata,
    Column("id", Id, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("format", String(10), nullable=False),
    Column("imported_at", DateTime, nullable=False),
    Column("transactions", Integer, nullable=False, default=0),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("source", String(10), nullable=False),  # csv|ocr|camt054|camt053|direct
    Column("file_id", ForeignKey("import_files.id"), nullable=True),
    Column("external_id", String(120), nullable=True, unique=True),  # bank transaction identity
    Column("paid_on", Date, nullable=False),
    Column("booked_on", Date, nullable=True),
    Column("amount_ore", BigInteger, nullable=False),
    Column("kid", String(25), nullable=True),
    Column("invoice_number", String(50), nullable=True),
    Column("creditor_orgnr", String(9), nullable=True),
    Column("payer_name", String(200), nullable=True),
    Column("payer_account", String(34), nullable=True),
    Column("text", String(500), nullable=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=True, index=True),
    Column("status", String(12), nullable=False),  # matched|unmatched|refunded|reversed|direct
    Column("designation", String(30), nullable=True),  # debtor's designation, e.g. principal
    # ISO 4217; a payment in another currency than NOK stays in the unmatched queue, outside
    # every NOK sum (client funds, reconciliation), until a person handles it (issue 8)
    Column("currency", String(3), nullable=False, server_default="NOK"),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False, index=True),
    Column("on", Date, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("detail", JSON, nullable=True),
    Column("actor", String(40), nullable=False, default="system"),
)
# ``krav kpi``: the objections registered in a period (migration 0016).
Index("ix_events_kind_on", events.c.kind, events.c.on)

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("claims_due", Integer, nullable=False, default=0),
    Column("actions", Integer, nullable=False, default=0),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)
