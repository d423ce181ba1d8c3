"""Settlement (oppgjør) to a creditor for a period, from the client-funds account.

Collected money sits in the agency's client-funds account (klientkonto, inkassoloven § 6) until
it is settled. A settlement covers every money posting on the creditor's claims dated before the
period's end that no earlier settlement covered (so a late-imported payment is settled in the
next period, and no posting is ever settled twice — ``settlement_lines.posting_id`` is unique):

- the creditor's share (principal, interest, § 3a compensation, fees of letters the creditor
  sent) is paid out, less the agreed success commission and less the agency's part of payments
  the debtor made straight to the creditor (the creditor holds that money);
- the agency's share (salær, fees of letters the agency sent) and the commission go to the
  agency's own account;
- commission = ``commission_pct`` % of the principal and interest collected (through the agency
  or directly), rounded half up per claim; nothing collected → no commission (no cure – no pay);
- VAT on the commission (a taxable service to the creditor, merverdiavgiftsloven § 5-1: the law
  book's ``vat/general_rate`` on the settlement day, recorded with the settlement), per claim on
  its commission, rounded half up to øre like the commission itself; it is deducted with the
  commission and goes to the agency, which owes it to the state;
- if the deductions exceed the creditor's share, nothing is paid out and the rest is invoiced.
Both payouts are recorded as client-funds movements, so the account still reconciles.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, distinct, func, insert, select

from krav.db.tables import claims, creditors, debtors
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.kernel.money import from_ore, round_half_up, to_ore
from krav.law import law_book
from krav.payments.money import fee_senders, money_postings, owner, source_of
from krav.payments.tables import client_funds, settlement_lines, settlements

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

ONE_DAY = timedelta(days=1)
PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}")  # ASCII digits only (int() takes any script's)
PERIOD_ALLOWED = "ÅÅÅÅ-MM"
TOTALS = ("collected_ore", "creditor_share_ore", "agency_share_ore", "direct_ore",
          "direct_agency_ore", "commission_base_ore", "commission_ore", "vat_ore")


@dataclass
class ClaimLine:
    """One claim's part of a settlement (øre)."""

    claim_id: int
    ref: str = ""
    invoice_number: str = ""
    debtor: str = ""
    collected_ore: int = 0  # through client funds
    creditor_share_ore: int = 0
    agency_share_ore: int = 0
    direct_ore: int = 0
    direct_agency_ore: int = 0
    commission_base_ore: int = 0
    commission_ore: int = 0
    vat_ore: int = 0  # on the commission

    @property
    def to_creditor_ore(self) -> int:
        return self.creditor_share_ore - self.commission_ore - self.vat_ore - self.direct_agency_ore


@dataclass
class Settlement:
    id: int
    creditor: dict
    period: str
    period_start: date
    period_end: date  # exclusive
    created_on: date
    commission_pct: Decimal
    vat_pct: Decimal
    totals: dict[str, int]
    lines: list[ClaimLine] = field(default_factory=list)
    already: bool = False

    @property
    def reference(self) -> str:
        """The settlement's reference on the statement and in the payout's remittance."""
        return reference(self.period, self.id)


def reference(period: str, settlement_id: int) -> str:
    return f"OPP-{period}-{settlement_id}"


def period_bounds(period: str) -> tuple[date, date]:
    """``YYYY-MM`` → [first day, first day of the next month)."""
    try:
        if not PERIOD.fullmatch(period):
            raise ValueError(period)
        year, month = (int(p) for p in period.split("-"))
        start = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1]) + ONE_DAY
    except (ValueError, OverflowError):
        raise InvalidInput(f"ugyldig periode {period[:20]!r}", where="--period",
                           allowed=PERIOD_ALLOWED) from None
    return start, end


def commission_rate(text: str, where: str) -> Decimal:
    try:
        pct = Decimal(text or "0")
    except InvalidOperation:
        pct = Decimal(-1)
    if not pct.is_finite() or not 0 <= pct <= 100:
        raise InvalidInput(f"ugyldig provisjonssats {text!r}", where=where, allowed="0–100")
    return pct


def _percent_of(ore: int, pct: Decimal) -> int:
    """``pct`` % of ``ore``, rounded half up to øre (a negative amount gives a negative part)."""
    return to_ore(round_half_up(from_ore(ore) * pct / 100))


def _build_lines(items: list[dict], pct: Decimal, vat_pct: Decimal) -> dict[int, ClaimLine]:
    """Per claim the sums of its settlement lines, its commission and the VAT on it."""
    lines: dict[int, ClaimLine] = {}
    for item in items:
        _add_line(lines.setdefault(item["claim_id"], ClaimLine(item["claim_id"])), item)
    for line in lines.values():
        line.commission_ore = _percent_of(line.commission_base_ore, pct)
        line.vat_ore = _percent_of(line.commission_ore, vat_pct)
    return lines


def _add_line(line: ClaimLine, item: dict) -> None:
    amount = item["amount_ore"]
    if item["source"] == "bank":
        line.collected_ore += amount
        if item["owner"] == "creditor":
            line.creditor_share_ore += amount
        else:
            line.agency_share_ore += amount
    else:
        line.direct_ore += amount
        if item["owner"] == "agency":
            line.direct_agency_ore += amount
    if item["component"] in ("principal", "interest"):
        line.commission_base_ore += amount


def _describe(conn: Connection, lines: dict[int, ClaimLine]) -> None:
    ids = sorted(lines)
    for start in range(0, len(ids), 5000):
        for cid, ref, invoice, name in conn.execute(
                select(claims.c.id, claims.c.ref, claims.c.invoice_number, debtors.c.name)
                .join(debtors, debtors.c.id == claims.c.debtor_id)
                .where(claims.c.id.in_(ids[start:start + 5000]))):
            lines[cid].ref, lines[cid].invoice_number, lines[cid].debtor = ref, invoice, name


def settle(conn: Connection, *, creditor_orgnr: str, period: str, as_of: date,
           actor: Actor | None = None) -> Settlement:
    """Settle ``creditor_orgnr`` for ``period`` (see the module docstring); idempotent."""
    creditor = conn.execute(select(creditors).where(creditors.c.orgnr == creditor_orgnr)
                            ).mappings().first()
    if creditor is None:
        raise NotFound(f"ukjent oppdragsgiver {creditor_orgnr}")
    start, end = period_bounds(period)
    if as_of < end - ONE_DAY:
        raise UnableToProceed(f"perioden {period} er ikke over før {end.isoformat()}; "
                              "oppgjør kan tidligst gjøres periodens siste dag")
    existing = conn.execute(select(settlements.c.id).where(
        settlements.c.creditor_id == creditor["id"], settlements.c.period == period)).scalar()
    if existing is not None:
        found = load_settlement(conn, existing)
        found.already = True
        return found
    pct = commission_rate(creditor["commission_pct"], f"oppdragsgiver {creditor_orgnr}")
    rows = money_postings(conn, creditor_id=creditor["id"], before=end)
    senders = fee_senders(conn, {r.claim_id for r in rows})
    items = [{"posting_id": r.id, "claim_id": r.claim_id, "payment_id": r.payment_id,
              "on": r.on, "component": r.component, "amount_ore": -r.amount_ore,
              "owner": owner(r.component, r.claim_id, senders), "source": source_of(r.source)}
             for r in rows]
    vat_pct = law_book().value("vat/general_rate", as_of)  # merverdiavgiftsloven § 5-1
    lines = _build_lines(items, pct, vat_pct)
    totals = {k: sum(getattr(x, k) for x in lines.values()) for k in TOTALS}
    to_creditor = sum(x.to_creditor_ore for x in lines.values())
    totals["payout_ore"] = max(0, to_creditor)
    totals["invoice_ore"] = max(0, -to_creditor)
    totals["agency_transfer_ore"] = totals["collected_ore"] - totals["payout_ore"]
    sid = conn.execute(insert(settlements).values(
        creditor_id=creditor["id"], period=period, period_end=end, created_on=as_of,
        commission_pct=str(pct), vat_pct=str(vat_pct), **totals
    ).returning(settlements.c.id)).scalar_one()
    if items:
        conn.execute(insert(settlement_lines), [{"settlement_id": sid, **i} for i in items])
    _move_funds(conn, sid, as_of, totals, creditor["orgnr"], period)
    from krav.audit.service import record

    record(conn, actor, "settle", creditor_id=creditor["id"],
           details={"settlement_id": sid, "period": period, "as_of": as_of.isoformat(),
                    "claims": len(lines), **{k: int(v) for k, v in totals.items()}})
    _describe(conn, lines)
    return Settlement(sid, dict(creditor), period, start, end, as_of, pct, vat_pct, totals,
                      sorted(lines.values(), key=lambda x: x.ref))


def _move_funds(conn: Connection, sid: int, on: date, totals: dict[str, int], orgnr: str,
                period: str) -> None:
    moves = [("payout", totals["payout_ore"], f"oppgjør {period} til {orgnr}"),
             ("agency", totals["agency_transfer_ore"], f"salær, gebyrer, provisjon og mva "
                                                       f"{period} ({orgnr})")]
    rows = [{"on": on, "kind": kind, "amount_ore": -amount, "settlement_id": sid, "text": text}
            for kind, amount, text in moves if amount]
    if rows:
        conn.execute(insert(client_funds), rows)


def load_settlement(conn: Connection, settlement_id: int) -> Settlement:
    """A stored settlement with its claim lines rebuilt from ``settlement_lines``."""
    row = conn.execute(select(settlements).where(settlements.c.id == settlement_id)
                       ).mappings().one()
    creditor = conn.execute(select(creditors).where(creditors.c.id == row["creditor_id"])
                            ).mappings().one()
    pct, vat_pct = Decimal(row["commission_pct"]), Decimal(row["vat_pct"])
    items = [dict(r) for r in conn.execute(select(settlement_lines).where(
        settlement_lines.c.settlement_id == settlement_id)).mappings()]
    lines = _build_lines(items, pct, vat_pct)
    _describe(conn, lines)
    start, _ = period_bounds(row["period"])
    totals = {k: row[k] for k in (*TOTALS, "payout_ore", "invoice_ore", "agency_transfer_ore")}
    return Settlement(row["id"], dict(creditor), row["period"], start, row["period_end"],
                      row["created_on"], pct, vat_pct, totals,
                      sorted(lines.values(), key=lambda x: x.ref))


MAX_ID = 2**63 - 1  # beyond it no row can have the id (and PostgreSQL's bigint would overflow)


def find_settlement(conn: Connection, settlement_id: int, creditor_id: int | None) -> Settlement:
    """Settlement ``settlement_id`` if it is ``creditor_id``'s (``None``: anyone's, agency
    staff); :class:`NotFound` alike for a missing one and another creditor's."""
    query = select(settlements.c.id).where(settlements.c.id == settlement_id)
    if creditor_id is not None:
        query = query.where(settlements.c.creditor_id == creditor_id)
    if not 0 < settlement_id <= MAX_ID or conn.execute(query).scalar() is None:
        raise NotFound(f"ukjent oppgjør {settlement_id}")
    return load_settlement(conn, settlement_id)


def list_settlements(conn: Connection, *, period: str,
                     creditor_id: int | None) -> list[dict[str, Any]]:
    """The settlements of ``period`` (of ``creditor_id``, or every creditor's when ``None``), in
    org-number order: each row's columns, the creditor's orgnr, name and account number, how
    many claims it covers and its payout (``payout.PAID_COLUMNS``) — one query."""
    from krav.payments.payout import with_payout

    period_bounds(period)
    claims_in = (select(func.count(distinct(settlement_lines.c.claim_id)))
                 .where(settlement_lines.c.settlement_id == settlements.c.id)
                 .scalar_subquery())
    query = (select(settlements, creditors.c.orgnr, creditors.c.name.label("creditor_name"),
                    creditors.c.account_number, claims_in.label("claims"))
             .join(creditors, creditors.c.id == settlements.c.creditor_id)
             .where(settlements.c.period == period)
             .order_by(creditors.c.orgnr, settlements.c.id))
    if creditor_id is not None:
        query = query.where(settlements.c.creditor_id == creditor_id)
    return [dict(r) for r in conn.execute(with_payout(query)).mappings()]


def settled_creditors(conn: Connection) -> list[str]:
    """The org numbers of every creditor with at least one claim (``krav settle`` without
    ``--creditor`` settles each of them), in order."""
    has_claims = select(claims.c.id).where(claims.c.creditor_id == creditors.c.id).exists()
    return list(conn.execute(select(creditors.c.orgnr).where(has_claims)
                             .order_by(creditors.c.orgnr)).scalars())
