"""What the bank-file parsers produce: plain immutable values, no database.

A :class:`BankTransaction` is a ``NamedTuple`` rather than a dataclass on purpose: a bank file can
hold a million of them, and a tuple is built several times faster and weighs less. Money is kept
as integer øre (``amount_ore``) and offered as ``Decimal`` kroner (``amount``); a reversal has a
negative amount and ``reversal=True``. ``external_id`` is the bank transaction's identity, stable
across files (the same transaction in a camt.054 and a later camt.053 gets the same id), so it is
never booked twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from krav.kernel.money import from_ore

FORMATS = ("ocr", "camt054", "camt053", "csv")


class BankTransaction(NamedTuple):
    """One incoming (or reversed) payment as read from a bank file."""

    external_id: str
    paid_on: date
    booked_on: date | None
    amount_ore: int
    kid: str = ""
    payer_name: str = ""
    payer_account: str = ""
    text: str = ""
    reversal: bool = False
    invoice_number: str = ""
    creditor_orgnr: str = ""
    currency: str = "NOK"
    references: tuple[str, ...] = ()  # further structured references (camt: several Strd blocks)
    line: int = 0  # where the transaction starts in the file (line, record or element number)
    designation: str = ""  # the debtor's designation (costs, interest, principal), if any

    @property
    def amount(self) -> Decimal:
        """The amount in kroner (negative for a reversal)."""
        return from_ore(self.amount_ore)


@dataclass(frozen=True)
class ParsedFile:
    """A parsed bank file: its format and its transactions (already checked against its totals)."""

    format: str
    transactions: list[BankTransaction]
    skipped: int = 0  # entries that are not incoming booked payments (debits, pending, …)
    notes: list[str] = field(default_factory=list)
    # external_id → the identity an earlier krav gave the same transaction (camt, issue 8)
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def total_ore(self) -> int:
        return sum(t.amount_ore for t in self.transactions)
