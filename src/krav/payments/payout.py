"""Paying a settlement out to its creditor: whether it can be paid, the payment file that pays
it, and where it stands.

A settlement's net (``payout_ore``; negative nets are invoiced, ``invoice_ore``) is paid from the
agency's client-funds account (klientkonto, inkassoloven § 6) to the creditor's own account by an
ISO 20022 pain.001 credit-transfer file (:mod:`krav.payments.pain001`) that ``krav settle --out``
writes. It can only be paid to a valid Norwegian account number (11 digits, MOD11); a creditor
without one is held back until its profile has one (``krav creditor update ORGNR --account …``).
Zero and negative nets get no transfer.

Never paid twice: each paid settlement gets one ``payouts`` row (``settlement_id`` is unique, so
two runs at once cannot both pay it — the second fails and writes no file), and a later run only
pays settlements that have none. The file is kept as written (``payout_files.content``):
``--reissue`` writes the very same file again, with the same MsgId and EndToEndIds, so the bank
refuses it as a duplicate if the first one did arrive.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput
from krav.kernel.ids import validate_account
from krav.kernel.money import from_ore
from krav.payments.settlement import reference
from krav.payments.tables import payout_files, payouts, settlements

if TYPE_CHECKING:
    from krav.accounts.principal import Actor
    from krav.settings import Agency

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


def payout_state(payout_ore: int, invoice_ore: int, account: str | None,
                 paid: dict[str, Any] | None = None) -> PayoutState:
    """Where a settlement's payout stands (see :data:`STATUSES`); ``paid``: its ``payouts`` row
    with the file's ``msg_id`` and ``created_at``, if a payment file paid it."""
    if paid and paid.get("end_to_end_id"):
        return PayoutState("instructed", paid["paid_account"], paid["msg_id"],
                           paid["end_to_end_id"], paid["file_created_at"])
    compact = payable_account(account)
    if payout_ore <= 0:
        return PayoutState("invoiced" if invoice_ore > 0 else "nothing", compact)
    return PayoutState("pending" if compact else "held", compact)


#: The columns of a settlement's payout (``paid`` of :func:`payout_state`), to select with an
#: outer join of ``payouts`` and ``payout_files`` on the settlement.
PAID_COLUMNS = (payouts.c.end_to_end_id, payouts.c.account_number.label("paid_account"),
                payout_files.c.msg_id, payout_files.c.created_at.label("file_created_at"))


def with_payout(query: Any) -> Any:
    """``query`` (over ``settlements``) with the payout's columns (``None`` when unpaid)."""
    return (query.add_columns(*PAID_COLUMNS)
            .outerjoin(payouts, payouts.c.settlement_id == settlements.c.id)
            .outerjoin(payout_files, payout_files.c.id == payouts.c.file_id))


def payout_of(conn: Connection, settlement: Any) -> PayoutState:
    """Where the payout of a loaded :class:`~krav.payments.settlement.Settlement` stands."""
    paid = conn.execute(select(*PAID_COLUMNS).select_from(payouts)
                        .join(payout_files, payout_files.c.id == payouts.c.file_id)
                        .where(payouts.c.settlement_id == settlement.id)).mappings().first()
    return payout_state(settlement.totals["payout_ore"], settlement.totals["invoice_ore"],
                        settlement.creditor.get("account_number"), dict(paid) if paid else None)


def remittance(period: str, settlement_id: int, agency_name: str) -> str:
    """The transfer's message to the creditor (``Ustrd``): the settlement reference first."""
    return f"{reference(period, settlement_id)} oppgjør {period} fra {agency_name}"


def message_id(created_at: datetime, file_id: int) -> str:
    """GrpHdr/MsgId (at most 35 characters): unique per file, and across databases by time."""
    return f"KRAV-{created_at:%Y%m%d%H%M%S}-{file_id}"


@dataclass
class PayoutRun:
    """What :func:`pay_out` did: the payment file it made (``msg_id`` ``None``: none), the
    settlements it paid, held back (no valid account) or found already paid."""

    msg_id: str | None = None
    content: bytes = b""
    transactions: int = 0
    total_ore: int = 0
    paid: list[int] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)  # settlement and creditor rows
    already: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any] | None:
        if self.msg_id is None:
            return None
        return {"msg_id": self.msg_id, "transactions": self.transactions,
                "total": from_ore(self.total_ore), "settlements": self.paid}


def _payable(conn: Connection, settlement_ids: list[int]) -> list[dict[str, Any]]:
    """The settlements among ``settlement_ids`` with a positive net, with their creditor and
    their payout (if any), in org-number order."""
    query = (select(settlements.c.id, settlements.c.period, settlements.c.payout_ore,
                    settlements.c.creditor_id, creditors.c.orgnr, creditors.c.name,
                    creditors.c.account_number, creditors.c.address, creditors.c.postcode,
                    creditors.c.city, payouts.c.id.label("payout_id"))
             .join(creditors, creditors.c.id == settlements.c.creditor_id)
             .outerjoin(payouts, payouts.c.settlement_id == settlements.c.id)
             .where(settlements.c.id.in_(settlement_ids), settlements.c.payout_ore > 0)
             .order_by(creditors.c.orgnr, settlements.c.id))
    return [dict(r) for r in conn.execute(query).mappings()]


def pay_out(conn: Connection, settlement_ids: list[int], *, period: str, agency: Agency,
            now: datetime, execution: date, actor: Actor | None = None) -> PayoutRun:
    """One pain.001 file paying every settlement of ``settlement_ids`` (of ``period``) with a
    positive net that no earlier file paid, each to its creditor's valid account; recorded and
    audited in the caller's transaction (the caller writes the file after commit). Creditors
    without a valid account are held back (``PayoutRun.held``)."""
    from krav.audit.service import record, record_many
    from krav.payments import pain001

    run = PayoutRun()
    rows = _payable(conn, sorted(set(settlement_ids))) if settlement_ids else []
    run.already = [r["id"] for r in rows if r["payout_id"] is not None]
    todo = [r for r in rows if r["payout_id"] is None]
    run.held = [r for r in todo if payable_account(r["account_number"]) is None]
    todo = [r for r in todo if payable_account(r["account_number"]) is not None]
    if not todo:
        return run
    transfers = [pain001.Transfer(
        end_to_end_id=reference(r["period"], r["id"]), amount_ore=r["payout_ore"],
        name=r["name"], account=payable_account(r["account_number"]) or "",
        remittance=remittance(r["period"], r["id"], agency.name),
        address=r["address"], postcode=r["postcode"], city=r["city"]) for r in todo]
    run.transactions, run.total_ore = len(todo), sum(t.amount_ore for t in transfers)
    file_id = conn.execute(insert(payout_files).values(
        msg_id=f"new-{uuid.uuid4().hex[:30]}", period=period, created_at=now,
        execution_date=execution, transactions=run.transactions, total_ore=run.total_ore,
        debtor_account=validate_account(agency.account_number,
                                        where="KRAV_AGENCY_ACCOUNT_NUMBER"),
        sha256="", content="").returning(payout_files.c.id)).scalar_one()
    run.msg_id = message_id(now, file_id)
    run.content = pain001.build(msg_id=run.msg_id, created_at=now, execution=execution,
                                agency=agency, transfers=transfers)
    digest = hashlib.sha256(run.content).hexdigest()
    conn.execute(update(payout_files).where(payout_files.c.id == file_id).values(
        msg_id=run.msg_id, sha256=digest, content=run.content.decode("utf-8")))
    conn.execute(insert(payouts), [
        {"settlement_id": r["id"], "file_id": file_id, "end_to_end_id": t.end_to_end_id,
         "amount_ore": t.amount_ore, "account_number": t.account}
        for r, t in zip(todo, transfers, strict=True)])
    run.paid = [r["id"] for r in todo]
    record(conn, actor, "settle.payout_file", details={
        "msg_id": run.msg_id, "period": period, "transactions": run.transactions,
        "total_ore": run.total_ore, "sha256": digest, "settlements": run.paid,
        "held": [r["id"] for r in run.held]})
    record_many(conn, actor, "settle.payout", [
        (None, r["creditor_id"], {"settlement_id": r["id"], "msg_id": run.msg_id,
                                  "end_to_end_id": t.end_to_end_id,
                                  "amount_ore": t.amount_ore, "account_number": t.account})
        for r, t in zip(todo, transfers, strict=True)])
    return run


def stored_files(conn: Connection, settlement_ids: list[int], *,
                 actor: Actor | None = None) -> list[tuple[str, bytes]]:
    """The payment files that paid any of ``settlement_ids``, exactly as first written
    (``(msg_id, content)``, oldest first), for ``--reissue``; each re-issue is audited."""
    from krav.audit.service import record

    if not settlement_ids:
        return []
    rows = conn.execute(
        select(payout_files.c.id, payout_files.c.msg_id, payout_files.c.content,
               payout_files.c.sha256)
        .where(payout_files.c.id.in_(select(payouts.c.file_id).where(
            payouts.c.settlement_id.in_(sorted(set(settlement_ids))))))
        .order_by(payout_files.c.id)).all()
    for row in rows:
        record(conn, actor, "settle.payout_file.reissue",
               details={"msg_id": row.msg_id, "sha256": row.sha256})
    return [(row.msg_id, row.content.encode("utf-8")) for row in rows]
