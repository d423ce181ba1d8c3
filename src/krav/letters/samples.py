"""Sample letter contents of every kind, for previews, the benchmark and tests.

These are *illustrations* of the content contract (see :mod:`krav.letters.content`), varied by
``n`` so a batch has different names, amounts, line counts and languages. The figures are
sample values shaped like real ones; real letters get theirs from the law context and the
ledger through the nightly run.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from krav.kernel.ids import make_kid
from krav.kernel.money import ORE, fmt, round_half_up
from krav.letters.content import KINDS
from krav.settings import Agency

FIRST = ("Ola", "Kari", "Per", "Ingrid", "Nils", "Åse", "Bjørn", "Solveig", "Øystein", "Marit")
LAST = ("Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Dahl", "Bakken")
STREETS = ("Storgata", "Kirkeveien", "Bjørnstjerne Bjørnsons gate", "Elvebakken", "Fjordveien")
PLACES = (("0155", "OSLO"), ("5003", "BERGEN"), ("7010", "TRONDHEIM"), ("9008", "TROMSØ"),
          ("4006", "STAVANGER"))
WHAT = ("Strøm januar", "Tannbehandling", "Abonnement kvartal 1", "Varekjøp nettbutikk",
        "Husleie mars", "Verkstedtjenester")
CREDITORS = (("Nordlys Energi AS", "923609016"), ("Fjordtann AS", "974760673"),
             ("Bygg og Bolig Utleie AS", "985399077"))


def _party(n: int) -> dict:
    postcode, city = PLACES[n % len(PLACES)]
    return {"address": f"{STREETS[n % len(STREETS)]} {1 + n % 97}", "postcode": postcode,
            "city": city}


def agency_block() -> dict:
    a = Agency()
    return {k: v for k, v in asdict(a).items() if k != "account_number"}


def creditor_block(n: int) -> dict:
    name, orgnr = CREDITORS[n % len(CREDITORS)]
    return {"name": name, "orgnr": orgnr, "address": "Kraftveien 2", "postcode": "0580",
            "city": "OSLO", "email": "post@example.no", "phone": "22 33 44 55"}


def _debtor(n: int) -> dict:
    country = "SE" if n % 23 == 7 else "NO"
    name = f"{FIRST[n % len(FIRST)]} {LAST[(n // 3) % len(LAST)]}"
    return {"name": name, "kind": "consumer", "country": country, **_party(n)}


def _lines(kind: str, principal: Decimal, interest: Decimal, paid: Decimal, n: int) -> list:
    lines = [{"label": "Hovedstol", "amount": fmt(principal), "basis": f"Faktura {10045 + n}",
              "rule": "principal"},
             {"label": "Forsinkelsesrente", "amount": fmt(interest),
              "basis": "forsinkelsesrenteloven § 3, 12,00\u00a0% per år fra 11.02.2026",
              "rule": "FRL-3"}]
    if kind in ("reminder", "collection_notice", "payment_demand", "rest_notice") or n % 2:
        lines.append({"label": "Purregebyr", "amount": "38.00",
                      "basis": "inkassoforskriften § 1-2 (1/20 av inkassosatsen)",
                      "rule": "INKF-1-2-purring"})
    if kind in ("payment_demand", "rest_notice", "payment_plan_confirmation") and n % 3 != 1:
        lines.append({"label": "Gebyr for betalingsoppfordring", "amount": "113.00",
                      "basis": "inkassoforskriften § 1-2 (3/20 av inkassosatsen)",
                      "rule": "INKF-1-2-betalingsoppfordring"})
    if paid:
        lines.append({"label": "Innbetalt", "amount": fmt(-paid), "basis": "Innbetaling 20.03.2026",
                      "rule": "payment"})
    return lines


def sample_content(kind: str, lang: str = "nb", *, n: int = 0, sender: str | None = None) -> dict:
    """One content snapshot of ``kind`` in ``lang``; ``n`` varies names and amounts."""
    if kind == "settlement_statement":
        return settlement_sample(lang, n=n)
    sent_on = date(2026, 4, 2) + timedelta(days=n % 5)
    principal = Decimal(1000 + (n * 137) % 24000).quantize(ORE)
    interest = round_half_up(principal * Decimal("0.12") * 50 / 365)
    paid = Decimal("300.00") if kind == "rest_notice" else Decimal("0.00")
    lines = _lines(kind, principal, interest, paid, n)
    fees = sum((Decimal(x["amount"]) for x in lines if x["rule"].startswith("INKF")), Decimal(0))
    total = principal + interest + fees - paid
    sender = sender or ("creditor" if kind == "reminder" and n % 2 == 0 else "agency")
    ref = f"K-{100123 + n:06d}"
    content: dict[str, Any] = {
        "kind": kind, "sender": sender, "language": lang, "ref": ref,
        "invoice_number": str(10045 + n), "invoice_date": "2026-01-10", "due_date": "2026-02-10",
        "description": WHAT[n % len(WHAT)], "sent_on": sent_on.isoformat(),
        "deadline": (sent_on + timedelta(days=14)).isoformat(),
        "kid": make_kid(f"{1234 + n:08d}", 10), "account_number": "15032080119",
        "creditor": creditor_block(n), "agency": agency_block(), "debtor": _debtor(n),
        "amounts": {"principal": fmt(principal), "interest": fmt(interest), "fees": fmt(fees),
                    "paid": fmt(paid), "total": fmt(total)},
        "interest": {"rate": "12.00", "from": "2026-02-11", "through": sent_on.isoformat()},
        "lines": lines,
    }
    if kind == "payment_demand":
        content["enforcement_notice"] = n % 4 != 3
    if kind == "dispute_ack":
        content["deadline"] = None
    if kind == "payment_plan_confirmation":
        content["schedule"] = _schedule(total, sent_on, 6 if n % 2 == 0 else 3, n)
        content["plan"] = {"extra_cost_max": "1125.00", "ref": f"A-{n + 1:07d}", "cases": [ref],
                           "total": fmt(total)}
    if kind == "plan_breach_notice":
        missed = _schedule(total, sent_on - timedelta(days=60), 4, n)[:1 + n % 2]
        content["schedule"] = missed
        content["plan"] = {"ref": f"A-{n + 1:07d}", "cases": [ref], "total": fmt(total),
                           "shortfall": fmt(sum((Decimal(m["amount"]) for m in missed),
                                                Decimal(0)))}
    return content


def _schedule(total: Decimal, start: date, count: int, n: int) -> list:
    share = round_half_up(total / count)
    out = []
    for i in range(count):
        amount = share if i < count - 1 else total - share * (count - 1)
        due = date(start.year + (start.month + i) // 12, (start.month + i) % 12 + 1, 1)
        out.append({"due": due.isoformat(), "amount": fmt(amount),
                    "kid": make_kid(f"{1234 + n:08d}{i + 1:02d}", 10)})
    return out


def settlement_sample(lang: str = "nb", *, n: int = 0) -> dict:
    lines, totals = [], dict.fromkeys(("collected", "costs", "commission", "vat", "to_creditor"),
                                      Decimal(0))
    for i in range(3 + n % 6):
        collected = Decimal(800 + 211 * i)
        costs = Decimal("151.00") if i % 2 else Decimal("38.00")
        commission = round_half_up((collected - costs) * Decimal("0.05"))
        vat = round_half_up(commission * Decimal("0.25"))
        row = {"collected": collected, "costs": costs, "commission": commission, "vat": vat,
               "to_creditor": collected - costs - commission - vat}
        for key, value in row.items():
            totals[key] += value
        lines.append({"ref": f"K-{100200 + i:06d}", "invoice_number": str(20010 + i),
                      "debtor": f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
                      **{k: fmt(v) for k, v in row.items()}})
    return {
        "kind": "settlement_statement", "sender": "agency", "language": lang,
        "ref": f"OPP-2026-{4 + n % 8:02d}", "sent_on": "2026-05-05",
        "account_number": "15032080119", "creditor": creditor_block(n), "agency": agency_block(),
        "period": {"from": "2026-04-01", "through": "2026-04-30"}, "lines": lines,
        "totals": {k: fmt(v) for k, v in totals.items()},
    }


def varied_contents(count: int) -> list[dict]:
    """``count`` contents cycling through every kind and both languages."""
    return [sample_content(KINDS[i % len(KINDS)], "en" if i % 5 == 4 else "nb", n=i)
            for i in range(count)]
