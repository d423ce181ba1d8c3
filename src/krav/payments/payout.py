"""Paying a settlement out to its creditor: whether it can be paid, and where it stands.

A settlement's net (``payout_ore``; negative nets are invoiced, ``invoice_ore``) is paid from the
agency's client-funds account (klientkonto, inkassoloven § 6) to the creditor's own account. It
can only be paid to a valid Norwegian account number (11 digits, MOD11); a creditor without one
is held back until its profile has one (``krav creditor update ORGNR --account …``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from krav.kernel.errors import InvalidInput
from krav.kernel.ids import validate_account

#: The payout statuses, with what each means for the creditor (bokmål).
STATUSES = {
    "pending": "venter på betalingsfil til banken",
    "held": "holdt tilbake: oppdragsgiveren mangler gyldig kontonummer",
    "nothing": "ingenting å utbetale",
    "invoiced": "ingenting utbetales; fradragene er større enn det som er innkrevd, og "
                "resten faktureres oppdragsgiveren",
    "instructed": "betalingsoppdrag laget (pain.001 til banken)",
}


def payable_account(account: str | None) -> str | None:
    """The creditor's account in compact form, or ``None`` when it is missing or invalid (an
    all-zero number passes MOD11 but is no account)."""
    if not account or not account.strip():
        return None
    try:
        compact = validate_account(account)
    except InvalidInput:
        return None
    return None if set(compact) == {"0"} else compact


@dataclass(frozen=True)
class PayoutState:
    status: str
    account_number: str | None = None
    msg_id: str | None = None
    end_to_end_id: str | None = None
    file_created_at: datetime | None = None

    def as_json(self, amount_ore: int) -> dict[str, object]:
        from krav.kernel.money import from_ore

        return {"status": self.status, "status_text": STATUSES[self.status],
                "amount": from_ore(amount_ore), "account_number": self.account_number,
                "msg_id": self.msg_id, "end_to_end_id": self.end_to_end_id,
                "file_created_at": self.file_created_at.isoformat()
                if self.file_created_at else None}


def payout_state(payout_ore: int, invoice_ore: int, account: str | None) -> PayoutState:
    """Where a settlement's payout stands, before any payment file (see :data:`STATUSES`)."""
    compact = payable_account(account)
    if payout_ore <= 0:
        return PayoutState("invoiced" if invoice_ore > 0 else "nothing", compact)
    return PayoutState("pending" if compact else "held", compact)
