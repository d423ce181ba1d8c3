"""Tables of the payments context (on the shared ``metadata``): money in and out.

- ``client_funds``: every movement on the agency's client-funds account (klientkonto): a bank
  file's booked total in, refunds to debtors out, settlements to creditors and the agency's share
  out. Its sum is the account's balance, which ``reconcile`` compares with what is owed.
- ``settlements`` / ``settlement_lines``: one settlement per creditor and period, and the
  postings it covered (a posting is settled once: ``posting_id`` is unique).
- ``unmatched_reasons`` / ``payment_suggestions``: the unmatched queue — why a payment could not
  be matched, and the claims it might belong to.
- ``instalment_kids``: a payment-plan instalment's own KID, so a payment with it finds its claim.
- ``payment_reversals``: which payment a bank reversal undid (each payment at most once).
- ``payout_files`` / ``payouts``: the pain.001 credit-transfer files that pay settlements out
  (kept as written, so a re-issue is the same file with the same ids), and which settlement each
  transfer pays — once: ``payouts.settlement_id`` is unique.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from krav.db.tables import Id, metadata, postings

client_funds = Table(
    "client_funds",
    metadata,
    Column("id", Id, primary_key=True),
    Column("on", Date, nullable=False),
    # bank_file (in) | refund (out to a debtor) | payout (to a creditor) | agency (to the agency)
    Column("kind", String(12), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),  # in positive, out negative
    Column("file_id", ForeignKey("import_files.id"), nullable=True),
    Column("payment_id", ForeignKey("payments.id"), nullable=True),
    Column("settlement_id", ForeignKey("settlements.id"), nullable=True),
    Column("text", String(200), nullable=False, default=""),
)

settlements = Table(
    "settlements",
    metadata,
    Column("id", Id, primary_key=True),
    Column("creditor_id", ForeignKey("creditors.id"), nullable=False),
    Column("period", String(7), nullable=False),  # YYYY-MM
    Column("period_end", Date, nullable=False),  # first day after the period (half-open)
    Column("created_on", Date, nullable=False),
    Column("commission_pct", String(10), nullable=False),
    Column("collected_ore", BigInteger, nullable=False),  # through the client-funds account
    Column("creditor_share_ore", BigInteger, nullable=False),  # principal, interest, own fees
    Column("agency_share_ore", BigInteger, nullable=False),  # salær and the agency's fees
    Column("direct_ore", BigInteger, nullable=False),  # paid straight to the creditor
    Column("direct_agency_ore", BigInteger, nullable=False),  # the agency's part of those
    Column("commission_base_ore", BigInteger, nullable=False),  # principal + interest collected
    Column("commission_ore", BigInteger, nullable=False),
    # VAT on the commission at vat_pct (vat/general_rate on created_on); settlements made
    # before krav charged it keep 0
    Column("vat_pct", String(10), nullable=False, server_default="0"),
    Column("vat_ore", BigInteger, nullable=False, server_default="0"),
    Column("payout_ore", BigInteger, nullable=False),  # to the creditor
    Column("agency_transfer_ore", BigInteger, nullable=False),  # to the agency's own account
    Column("invoice_ore", BigInteger, nullable=False),  # the creditor owes the agency
    UniqueConstraint("creditor_id", "period", name="uq_settlements_creditor_period"),
)

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("id", Id, primary_key=True),
    Column("settlement_id", ForeignKey("settlements.id"), nullable=False, index=True),
    Column("posting_id", ForeignKey("postings.id"), nullable=False, unique=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("payment_id", ForeignKey("payments.id"), nullable=True),
    Column("on", Date, nullable=False),
    Column("component", String(30), nullable=False),
    Column("owner", String(10), nullable=False),  # creditor | agency
    Column("source", String(10), nullable=False),  # bank | direct
    Column("amount_ore", BigInteger, nullable=False),  # collected: positive
)

unmatched_reasons = Table(
    "unmatched_reasons",
    metadata,
    Column("payment_id", ForeignKey("payments.id"), primary_key=True),
    Column("reason", String(200), nullable=False),
    Column("queued_on", Date, nullable=False),
    Column("resolved_on", Date, nullable=True),
    Column("resolution", String(20), nullable=True),  # assigned | refunded
)

payment_suggestions = Table(
    "payment_suggestions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("payment_id", ForeignKey("payments.id"), nullable=False, index=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    UniqueConstraint("payment_id", "claim_id", name="uq_payment_suggestions_payment_claim"),
)

instalment_kids = Table(
    "instalment_kids",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kid", String(25), nullable=False, unique=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False, index=True),
    Column("instalment", Integer, nullable=False),
    Column("due_date", Date, nullable=True),
    Column("amount_ore", BigInteger, nullable=True),
    Column("created_at", DateTime, nullable=True),
)
payment_reversals = Table(
    "payment_reversals",
    metadata,
    Column("reversal_id", ForeignKey("payments.id"), primary_key=True),  # the negative payment
    Column("original_id", ForeignKey("payments.id"), nullable=False, unique=True),
)

payout_files = Table(
    "payout_files",
    metadata,
    Column("id", Id, primary_key=True),
    Column("msg_id", String(35), nullable=False, unique=True),  # GrpHdr/MsgId
    Column("period", String(7), nullable=False),  # YYYY-MM of the settlements it pays
    Column("created_at", DateTime, nullable=False),  # GrpHdr/CreDtTm
    Column("execution_date", Date, nullable=False),  # PmtInf/ReqdExctnDt
    Column("transactions", Integer, nullable=False),  # NbOfTxs
    Column("total_ore", BigInteger, nullable=False),  # CtrlSum
    Column("debtor_account", String(34), nullable=False),  # the client-funds account
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),  # the file exactly as written (UTF-8)
)

payouts = Table(
    "payouts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("settlement_id", ForeignKey("settlements.id"), nullable=False, unique=True),
    Column("file_id", ForeignKey("payout_files.id"), nullable=False, index=True),
    Column("end_to_end_id", String(35), nullable=False, unique=True),
    Column("amount_ore", BigInteger, nullable=False),
    Column("account_number", String(34), nullable=False),  # the creditor's, as paid to
)

Index("ix_client_funds_on", client_funds.c.on)
# Reversals, settlements and the ledger check look postings up by payment; the core table has no
# index for it, so this context adds one (created with the table on a new database).
Index("ix_postings_payment", postings.c.payment_id)

# Vipps MobilePay ePayment requests made from the pay page (krav.payments.vipps): one row per
# request (a request lives about 10 minutes, so each click makes a new one); ``payment_id`` is
# the payment booked once it was captured.
vipps_payments = Table(
    "vipps_payments",
    metadata,
    Column("reference", String(50), primary_key=True),
    Column("claim_id", ForeignKey("claims.id"), nullable=False, index=True),
    Column("amount_ore", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),  # CREATED | AUTHORIZED | CAPTURED | ABORTED …
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("payment_id", ForeignKey("payments.id"), nullable=True),
)
