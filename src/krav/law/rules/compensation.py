"""Standard compensation for recovery costs (forsinkelsesrenteloven § 3 a) and its offset.

A business (or public) debtor owes EUR 40 in NOK, as fixed for the half-year, per invoice, from
the due date and without a reminder; a consumer never does. It does not stack with reminder fees
or salær: whichever is claimed is deducted from the other (inkassoforskriften §§ 1-5 and 2-6), so
the creditor gets at most the larger of the compensation and the costs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from krav.kernel.money import ZERO
from krav.law.book import LawBook
from krav.law.rules.charge import Charge, choose, non_negative, text, zero
from krav.law.rules.salaer import DEBTOR_KINDS


def compensation(book: LawBook, *, debtor_kind: str, on: date) -> Charge:
    """The § 3 a compensation claimed on ``on``: the NOK amount that day, 0 for a consumer."""
    choose(debtor_kind, DEBTOR_KINDS, "debtor_kind")
    inputs = {"debtor_kind": debtor_kind, "on": text(on)}
    if debtor_kind == "consumer":
        return zero(
            "FRL-3a-ikke-forbruker",
            "forsinkelsesrenteloven § 3 a: standardkompensasjon kan ikke kreves av forbrukere",
            inputs,
        )
    amount = book.entry("compensation/standardkompensasjon", on)
    inputs.update(eur="40", nok=amount.text, nok_since=text(amount.since))
    return Charge(
        amount.value.quantize(ZERO),
        "FRL-3a-kompensasjon",
        "forsinkelsesrenteloven § 3 a første ledd",
        inputs,
    )


def offset_against_compensation(
    *, compensation: Decimal, costs_before: Decimal, new_cost: Decimal
) -> Decimal:
    """The part of ``new_cost`` still chargeable after ``compensation`` (INKF §§ 1-5, 2-6).

    ``costs_before`` are the fees and salær charged before (gross, before any offset). The total the
    debtor pays for costs and compensation together is ``max(compensation, all costs)``; the result
    is the growth of that total, so it lies between 0 and ``new_cost``. With no compensation the
    whole new cost is chargeable.
    """
    non_negative(compensation, "compensation")
    non_negative(costs_before, "costs_before")
    non_negative(new_cost, "new_cost")
    return max(compensation, costs_before + new_cost) - max(compensation, costs_before)
