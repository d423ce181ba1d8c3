"""Salær — the collection fee a debtor owes once the betalingsoppfordring deadline is missed.

Inkassoforskriften (INKF) chapter 2: a factor of the inkassosats **in force when the principal
is paid**, chosen from a band by the size of the claim (principal plus interest accrued before the
due date) in the table for the claim's due date (the 2010 table, or the 2020-10-01 table) — § 2-2;
the doubled *tung* sats when the deadline is exceeded by more than 28 days — § 2-3; × 1.5 when the
debtor is not a consumer; × 1.25 when the creditor cannot deduct VAT; plus 1.5 × inkassosats
(+ 25 % without VAT deduction) for a payment plan with more than four instalments — § 2-4.
Chapter-2 amounts are not rounded by the regulation; krav stores whole øre and rounds a fraction
of an øre down (``salaer/rounding``), so the maximum is never exceeded.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from krav.kernel.errors import InvalidInput
from krav.law.book import LawBook
from krav.law.rules.charge import Charge, apply_rounding, choose, non_negative, text

LEVELS = ("lett", "tung")
DEBTOR_KINDS = ("consumer", "business")


def salaer(
    book: LawBook,
    *,
    basis: Decimal,
    due: date,
    sats_on: date,
    debtor_kind: str,
    vat_deductible: bool,
    level: str,
    instalments: int = 0,
) -> Charge:
    """Maximum salær (INKF §§ 2-2 to 2-4) for ``basis`` due ``due``, at the sats of ``sats_on``."""
    non_negative(basis, "basis")
    choose(level, LEVELS, "level")
    choose(debtor_kind, DEBTOR_KINDS, "debtor_kind")
    if instalments < 0:
        raise InvalidInput(
            f"ugyldig antall avdrag {instalments}", where="instalments", allowed="0 eller flere"
        )
    sats = book.entry("fees/inkassosats", sats_on)
    table = book.entry("salaer/bands", due)
    band, label = _band(table.value, basis)
    amount = sats.value * band[level]
    inputs = {
        "basis": text(basis),
        "band": label,
        "table_for_due_from": text(table.since),
        "level": level,
        "factor": text(band[level]),
        "inkassosats": sats.text,
        "sats_on": text(sats_on),
        "debtor_kind": debtor_kind,
        "vat_deductible": text(vat_deductible),
        "instalments": str(instalments),
    }
    if debtor_kind == "business":
        factor = book.entry("salaer/business_factor", sats_on)
        amount *= factor.value
        inputs["business_factor"] = factor.text
    if not vat_deductible:
        factor = book.entry("salaer/no_vat_factor", sats_on)
        amount *= factor.value
        inputs["no_vat_factor"] = factor.text
    references = [
        "inkassoforskriften § 2-2" if level == "lett" else "inkassoforskriften §§ 2-2 og 2-3"
    ]
    if instalments > book.value("salaer/instalment_uplift_after_instalments", sats_on):
        uplift = instalment_uplift(book, sats_on=sats_on, vat_deductible=vat_deductible)
        amount += uplift.amount
        inputs["instalment_uplift"] = text(uplift.amount)
        references.append("§ 2-4")
    rounding = book.value("salaer/rounding", sats_on)
    inputs.update(exact=text(amount), rounding=rounding)
    rule = "INKF-2-2-salaer-lett" if level == "lett" else "INKF-2-3-salaer-tung"
    return Charge(apply_rounding(amount, rounding), rule, ", ".join(references), inputs)


def instalment_uplift(book: LawBook, *, sats_on: date, vat_deductible: bool) -> Charge:
    """The raise of the salær cap for a plan with more than four instalments (INKF § 2-4)."""
    sats = book.entry("fees/inkassosats", sats_on)
    factor = book.entry("salaer/instalment_uplift_factor", sats_on)
    amount = sats.value * factor.value
    inputs = {
        "inkassosats": sats.text,
        "factor": factor.text,
        "sats_on": text(sats_on),
        "vat_deductible": text(vat_deductible),
        "after_instalments": str(book.value("salaer/instalment_uplift_after_instalments", sats_on)),
    }
    if not vat_deductible:
        no_vat = book.entry("salaer/instalment_uplift_no_vat_factor", sats_on)
        amount *= no_vat.value
        inputs["no_vat_factor"] = no_vat.text
    rounding = book.value("salaer/rounding", sats_on)
    inputs.update(exact=text(amount), rounding=rounding)
    return Charge(
        apply_rounding(amount, rounding),
        "INKF-2-4-nedbetalingsavtale",
        "inkassoforskriften § 2-4 første ledd",
        inputs,
    )


def _band(bands: tuple[dict[str, Decimal | None], ...], basis: Decimal) -> tuple[dict, str]:
    """The first band whose ``up_to`` (inclusive) covers ``basis``; the last has no limit."""
    lower: Decimal | None = None
    for band in bands:
        up_to = band["up_to"]
        if up_to is None or basis <= up_to:
            label = f"over {lower}" if up_to is None else f"inntil {up_to}"
            return band, label
        lower = up_to
    raise AssertionError("the loader guarantees a last band without limit")  # pragma: no cover
