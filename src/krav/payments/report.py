"""The settlement report to a creditor: CSV (one row per claim and a sum row) and PDF.

The PDF is the letters context's ``settlement_statement`` (its Typst template and content
contract, ``krav.letters.content``); this module fills the content from a :class:`Settlement`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from krav.kernel.money import fmt, fmt_pct, from_ore
from krav.payments.payout import PayoutState, payout_state
from krav.payments.settlement import TOTALS, ClaimLine, Settlement, period_bounds, reference
from krav.settings import Agency

CSV_COLUMNS = ("ref", "invoice_number", "debtor", "collected", "creditor_share", "agency_share",
               "direct", "direct_agency_share", "commission", "vat", "to_creditor")
MISSING = "—"


def _cells(line: ClaimLine) -> list[str]:
    values = (line.collected_ore, line.creditor_share_ore, line.agency_share_ore,
              line.direct_ore, line.direct_agency_ore, line.commission_ore, line.vat_ore,
              line.to_creditor_ore)
    return [line.ref, line.invoice_number, line.debtor, *(fmt(from_ore(v)) for v in values)]


def settlement_csv(s: Settlement) -> str:
    """One row per claim, then the sum row, then payout / agency / invoice rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    total = ClaimLine(0, ref="SUM")
    for line in s.lines:
        writer.writerow(_cells(line))
        for key in ("collected_ore", "creditor_share_ore", "agency_share_ore", "direct_ore",
                    "direct_agency_ore", "commission_ore", "vat_ore"):
            setattr(total, key, getattr(total, key) + getattr(line, key))
    writer.writerow(_cells(total))
    for label, key in (("utbetales til oppdragsgiver", "payout_ore"),
                       ("overføres til inkassoforetaket", "agency_transfer_ore"),
                       ("faktureres oppdragsgiver", "invoice_ore")):
        writer.writerow([label, "", "", *[""] * 7, fmt(from_ore(s.totals[key]))])
    return out.getvalue()


def _party(row: dict) -> dict:
    return {"name": row["name"], "orgnr": row["orgnr"],
            **{k: row.get(k) or MISSING for k in ("address", "postcode", "city")}}


def _state(s: Settlement, payout: PayoutState | None) -> PayoutState:
    return payout or payout_state(s.totals["payout_ore"], s.totals["invoice_ore"],
                                  s.creditor.get("account_number"))


def settlement_content(s: Settlement, agency: Agency, payout: PayoutState | None = None) -> dict:
    """The ``settlement_statement`` content (see ``krav.letters.content``) of ``s``; the
    statement says whether the net is transferred, held back, nothing, or invoiced."""
    def money(ore: int) -> str:
        return fmt(from_ore(ore))

    lines = [{"ref": x.ref, "invoice_number": x.invoice_number, "debtor": x.debtor,
              "collected": money(x.collected_ore + x.direct_ore),
              "costs": money(x.agency_share_ore + x.direct_agency_ore),
              "commission": money(x.commission_ore), "vat": money(x.vat_ore),
              "to_creditor": money(x.to_creditor_ore)}
             for x in s.lines]
    totals = s.totals
    return {
        "kind": "settlement_statement", "sender": "agency", "language": "nb",
        "ref": s.reference, "sent_on": s.created_on.isoformat(),
        "account_number": s.creditor.get("account_number") or MISSING,
        "creditor": _party(s.creditor),
        "agency": {k: v for k, v in asdict(agency).items() if k not in ("account_number", "bic")},
        "period": {"from": s.period_start.isoformat(),
                   "through": (s.period_end - timedelta(days=1)).isoformat()},
        "lines": lines,
        "totals": {"collected": money(totals["collected_ore"] + totals["direct_ore"]),
                   "costs": money(totals["agency_share_ore"] + totals["direct_agency_ore"]),
                   "commission": money(totals["commission_ore"]),
                   "vat": money(totals["vat_ore"]),
                   "to_creditor": money(totals["payout_ore"] - totals["invoice_ore"])},
        "payout": {"status": _state(s, payout).status, "amount": money(totals["payout_ore"]),
                   "invoice": money(totals["invoice_ore"])},
    }


def settlement_pdf(s: Settlement, agency: Agency, payout: PayoutState | None = None) -> bytes:
    from krav.letters.render import render_pdf  # the letters context's Typst renderer

    return render_pdf(settlement_content(s, agency, payout))


def statement_name(s: Settlement) -> str:
    """The statement files' name without suffix: ``oppgjor-<orgnr>-<period>``."""
    return f"oppgjor-{s.creditor['orgnr']}-{s.period}"


def write_reports(s: Settlement, out_dir: Path, agency: Agency,
                  payout: PayoutState | None = None) -> list[Path]:
    """Write ``oppgjor-<orgnr>-<period>.csv`` and ``.pdf`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / statement_name(s)
    csv_path, pdf_path = stem.with_suffix(".csv"), stem.with_suffix(".pdf")
    csv_path.write_text(settlement_csv(s), encoding="utf-8")
    pdf_path.write_bytes(settlement_pdf(s, agency, payout))
    return [csv_path, pdf_path]


TOTAL_KEYS = (*TOTALS, "payout_ore", "invoice_ore", "agency_transfer_ore")


def settlement_json(s: Settlement) -> dict:
    """What ``krav settle --json`` prints: the settlement's figures (kroner)."""
    totals = {k.removesuffix("_ore"): from_ore(v) for k, v in s.totals.items()}
    return {"settlement": s.id, "creditor": s.creditor["orgnr"], "period": s.period,
            "already_settled": s.already, "commission_pct": str(s.commission_pct),
            "vat_pct": str(s.vat_pct), **totals,
            "claims": len(s.lines)}


def _summary(row: dict[str, Any], payout: PayoutState) -> dict[str, Any]:
    """The figures of a stored settlement row (with its creditor's orgnr and name)."""
    totals = {k.removesuffix("_ore"): from_ore(row[k]) for k in TOTAL_KEYS}
    start, end = period_bounds(row["period"])
    return {"settlement": row["id"], "reference": reference(row["period"], row["id"]),
            "creditor": row["orgnr"], "creditor_name": row["creditor_name"],
            "period": row["period"], "period_from": start,
            "period_through": end - timedelta(days=1), "created_on": row["created_on"],
            "commission_pct": str(row["commission_pct"]), "vat_pct": str(row["vat_pct"]),
            **totals, "net": from_ore(row["payout_ore"] - row["invoice_ore"]),
            "payout_status": payout.status}


def settlement_list_item(row: dict[str, Any], payout: PayoutState) -> dict[str, Any]:
    """One settlement in ``GET /api/v1/settlements`` (a row of ``list_settlements``)."""
    return {**_summary(row, payout), "claims": row["claims"]}


def _held_back(s: Settlement, payout: PayoutState) -> list[dict[str, Any]]:
    """What was kept from the creditor's money, and why (the amounts that are not zero)."""
    t = s.totals
    items = [
        ("commission", t["commission_ore"],
         f"suksesshonorar {fmt_pct(s.commission_pct)} av innkrevd hovedstol og renter "
         "(avtalen med oppdragsgiveren)"),
        ("vat", t["vat_ore"], f"merverdiavgift {fmt_pct(s.vat_pct)} på suksesshonoraret "
                              "(merverdiavgiftsloven § 5-1)"),
        ("direct_agency", t["direct_agency_ore"],
         "inkassoforetakets salær og gebyrer i betalinger skyldneren gjorde direkte til "
         "oppdragsgiveren (oppdragsgiveren har fått de pengene)"),
        ("agency_share", t["agency_share_ore"],
         "salær og gebyrer for brev inkassoforetaket sendte, betalt av skyldneren: de tilhører "
         "foretaket"),
    ]
    out = [{"what": what, "amount": from_ore(ore), "why": why} for what, ore, why in items if ore]
    if payout.status == "held":
        out.append({"what": "payout", "amount": from_ore(t["payout_ore"]),
                    "why": "oppdragsgiveren mangler gyldig kontonummer; utbetales når det er "
                           "registrert"})
    return out


def settlement_detail(s: Settlement, payout: PayoutState) -> dict[str, Any]:
    """``GET /api/v1/settlements/{id}``: the figures, a line per claim (the CSV's columns),
    what was held back and why, and where the payout stands."""
    row = {"id": s.id, "period": s.period, "created_on": s.created_on,
           "commission_pct": s.commission_pct, "vat_pct": s.vat_pct,
           "orgnr": s.creditor["orgnr"], "creditor_name": s.creditor["name"], **s.totals}
    lines = [dict(zip(CSV_COLUMNS, _cells(line), strict=True)) for line in s.lines]
    return {**_summary(row, payout), "claims": len(s.lines),
            "held_back": _held_back(s, payout), "lines": lines,
            "transfer": payout.as_json(s.totals["payout_ore"])}
