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

from krav.kernel.money import fmt, from_ore
from krav.payments.settlement import ClaimLine, Settlement
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


def settlement_content(s: Settlement, agency: Agency) -> dict:
    """The ``settlement_statement`` content (see ``krav.letters.content``) of ``s``."""
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
        "ref": f"OPP-{s.period}-{s.id}", "sent_on": s.created_on.isoformat(),
        "account_number": s.creditor.get("account_number") or MISSING,
        "creditor": _party(s.creditor),
        "agency": {k: v for k, v in asdict(agency).items() if k != "account_number"},
        "period": {"from": s.period_start.isoformat(),
                   "through": (s.period_end - timedelta(days=1)).isoformat()},
        "lines": lines,
        "totals": {"collected": money(totals["collected_ore"] + totals["direct_ore"]),
                   "costs": money(totals["agency_share_ore"] + totals["direct_agency_ore"]),
                   "commission": money(totals["commission_ore"]),
                   "vat": money(totals["vat_ore"]),
                   "to_creditor": money(totals["payout_ore"] - totals["invoice_ore"])},
    }


def settlement_pdf(s: Settlement, agency: Agency) -> bytes:
    from krav.letters.render import render_pdf  # the letters context's Typst renderer

    return render_pdf(settlement_content(s, agency))


def write_reports(s: Settlement, out_dir: Path, agency: Agency) -> list[Path]:
    """Write ``oppgjor-<orgnr>-<period>.csv`` and ``.pdf`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"oppgjor-{s.creditor['orgnr']}-{s.period}"
    csv_path, pdf_path = stem.with_suffix(".csv"), stem.with_suffix(".pdf")
    csv_path.write_text(settlement_csv(s), encoding="utf-8")
    pdf_path.write_bytes(settlement_pdf(s, agency))
    return [csv_path, pdf_path]


def settlement_json(s: Settlement) -> dict:
    totals = {k.removesuffix("_ore"): from_ore(v) for k, v in s.totals.items()}
    return {"settlement": s.id, "creditor": s.creditor["orgnr"], "period": s.period,
            "already_settled": s.already, "commission_pct": str(s.commission_pct),
            "vat_pct": str(s.vat_pct), **totals,
            "claims": len(s.lines)}
