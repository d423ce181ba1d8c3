"""Fees for letters before collection: purring, inkassovarsel, the creditor's betalingsoppfordring.

Inkassoforskriften (INKF) § 1-2: a fraction of the inkassosats **in force on the day the letter is
sent** (fourth ledd); the fraction itself depends on the claim's **due date** (1/10 and 3/10 for
claims due before 2020-10-01, 1/20 and 3/20 from); a fee only when the letter is sent at least
14 days after the due date (first and second ledd). From 2026-01-01 the amount is rounded half-up
to whole kroner (FOR-2025-12-19-2709). Under the 2026 act (LOV-2026-05-22-19 §§ 20–21) only an
inkassoforetak sends inkassovarsel and betalingsoppfordring, so a creditor's own such letters get
no fee. The agency's betalingsoppfordring never carries this fee: the agency is paid by salær
(INKF chapter 2).

The sequence rules (at most two fees before the betalingsoppfordring, INKF § 1-3; the missed
≥ 14-day deadline before the betalingsoppfordring) are about a claim's history and belong to the
caller; :func:`letter_fee` prices one letter.
"""

from __future__ import annotations

from datetime import date

from krav.law.book import LawBook
from krav.law.rules.charge import Charge, apply_rounding, choose, text, zero

KINDS = ("reminder", "collection_notice", "payment_demand")
SENDERS = ("creditor", "agency")

_RULES = {
    "reminder": (
        "INKF-1-2-purregebyr",
        "inkassoforskriften § 1-2 første ledd",
        "fees/reminder_fraction",
    ),
    "collection_notice": (
        "INKF-1-2-inkassovarsel",
        "inkassoforskriften § 1-2 andre ledd",
        "fees/collection_notice_fraction",
    ),
    "payment_demand": (
        "INKF-1-2-betalingsoppfordring",
        "inkassoforskriften § 1-2 tredje ledd",
        "fees/payment_demand_fraction",
    ),
}


def letter_fee(book: LawBook, *, kind: str, due: date, sent_on: date, sender: str) -> Charge:
    """The § 1-2 fee for a letter of ``kind`` sent ``sent_on`` by ``sender``, claim due ``due``.

    Zero (with a rule id saying why) when the letter may carry no fee: an agency's
    betalingsoppfordring (salær instead), a creditor's own inkassovarsel/betalingsoppfordring under
    the 2026 act, or a letter sent less than 14 days after the due date.
    """
    choose(kind, KINDS, "kind")
    choose(sender, SENDERS, "sender")
    regime = book.regime(sent_on)
    inputs = {
        "kind": kind,
        "sender": sender,
        "due": text(due),
        "sent_on": text(sent_on),
        "regime": regime,
    }
    refused = _not_fee_bearing(book, kind=kind, sender=sender, sent_on=sent_on, regime=regime)
    if refused:
        return zero(*refused, inputs)
    days = (sent_on - due).days
    minimum = book.value("rules/fee_min_days_after_due", sent_on)
    inputs.update(days_after_due=str(days), min_days_after_due=str(minimum))
    if days < minimum:
        return zero(
            "INKF-1-2-for-tidlig",
            f"inkassoforskriften § 1-2: gebyr bare når brevet sendes tidligst {minimum} dager "
            "etter forfall",
            inputs,
        )
    rule, reference, fraction_name = _RULES[kind]
    sats = book.entry("fees/inkassosats", sent_on)
    fraction = book.entry(fraction_name, due)
    rounding = book.value("fees/rounding", sent_on)
    amount = apply_rounding(sats.value * fraction.value, rounding)
    inputs.update(
        inkassosats=sats.text,
        inkassosats_since=text(sats.since),
        fraction=fraction.text,
        fraction_for_due_from=text(fraction.since),
        exact=text(sats.value * fraction.value),
        rounding=rounding,
    )
    return Charge(amount, rule, reference, inputs)


def _not_fee_bearing(
    book: LawBook, *, kind: str, sender: str, sent_on: date, regime: str
) -> tuple[str, str] | None:
    """``(rule, reference)`` when this sender's letter of this kind may carry no fee."""
    allowed = book.value("letters/fee_bearing", sent_on)[sender]
    if kind in allowed:
        return None
    if sender == "agency" and kind == "payment_demand":
        return (
            "INKF-2-salaer-ikke-gebyr",
            "inkassoforskriften § 1-2 tredje ledd (bare fordringshaverens egen "
            "betalingsoppfordring); "
            "inkassoforetaket får salær etter kapittel 2",
        )
    if regime == "inkl2026":
        return (
            "INKL2026-20-21-egeninkasso-uten-gebyr",
            "inkassoloven 2026 §§ 20–21: bare inkassoforetak sender inkassovarsel og "
            "betalingsoppfordring; fordringshaverens egne slike brev gir ikke gebyr",
        )
    return ("INKF-1-2-uten-gebyr", f"inkassoforskriften § 1-2: {kind} fra {sender} gir ikke gebyr")
