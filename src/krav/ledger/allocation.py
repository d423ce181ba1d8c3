"""Allocation of a payment over what a claim owes (dekningsrekkefølge, law-no.md § 5).

No statute fixes the order for ordinary invoices: the debtor may designate what a payment covers
(the creditor must honour it), otherwise the creditor chooses. krav's default is the market's:
costs → interest → principal, a per-creditor setting. Pure functions; no rounding happens here
because every input is already whole øre.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Generic, TypeVar

from krav.kernel.errors import InvalidInput
from krav.ledger.model import DEFAULT_ORDER, GROUPS

ZERO = Decimal("0.00")


# Kroner (Decimal) or whole øre (int): the split is the same either way.
Amount = TypeVar("Amount", Decimal, int)


@dataclass(frozen=True)
class Allocation(Generic[Amount]):
    """How one payment was split: ``parts`` per component (positive amounts), and the rest."""

    parts: dict[str, Amount]
    overpaid: Amount
    order: tuple[str, ...]

    @property
    def covered(self) -> Amount:
        return sum(self.parts.values(), self.overpaid * 0)


@lru_cache(maxsize=256)
def parse_order(text: str) -> tuple[str, ...]:
    """A creditor's order setting, e.g. ``"costs,interest,principal"``; every group exactly once."""
    order = tuple(part.strip() for part in text.split(",") if part.strip())
    if sorted(order) != sorted(DEFAULT_ORDER):
        raise InvalidInput(f"ugyldig dekningsrekkefølge {text!r}",
                           allowed="costs, interest og principal, hver én gang")
    return order


def effective_order(order: Sequence[str], designation: str | None) -> tuple[str, ...]:
    """The debtor's designation goes first; the creditor's order covers what is left."""
    if designation is None:
        return tuple(order)
    if designation not in GROUPS:
        raise InvalidInput(f"ukjent øremerking {designation!r}", allowed=", ".join(GROUPS))
    return (designation, *(g for g in order if g != designation))


@lru_cache(maxsize=256)
def components_in_order(order: tuple[str, ...]) -> tuple[str, ...]:
    """Every component of the groups of ``order`` (an effective order), in allocation order."""
    return tuple(c for group in order for c in GROUPS[group])


def split(amount: Amount, balances: Mapping[str, Amount], components: Sequence[str]
          ) -> tuple[dict[str, Amount], Amount]:
    """Cover the positive ``balances`` of ``components`` in turn with ``amount``: the parts
    taken per component, and what is left over."""
    remaining = amount
    parts: dict[str, Amount] = {}
    for component in components:
        if remaining <= 0:
            break
        owed = balances.get(component)
        if owed is None or owed <= 0:
            continue
        take = min(owed, remaining)
        parts[component] = take
        remaining -= take
    return parts, remaining


def allocate(amount: Amount, balances: Mapping[str, Amount], *,
             order: Sequence[str] = DEFAULT_ORDER, designation: str | None = None
             ) -> Allocation[Amount]:
    """Split ``amount`` over the positive ``balances`` in ``order``; what is left is overpaid.

    Invariant (tested with hypothesis): ``covered + overpaid == amount`` — no øre is created
    or lost.
    """
    if amount < 0:
        raise ValueError("allocate takes a non-negative amount; reversals undo postings")
    final_order = effective_order(order, designation)
    parts, remaining = split(amount, balances, components_in_order(final_order))
    return Allocation(parts=parts, overpaid=remaining, order=final_order)
