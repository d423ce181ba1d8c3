"""The explained amount every rule returns, and the rounding modes the law data may name."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from krav.kernel.errors import InvalidInput, LawDataError
from krav.kernel.money import KRONE, ORE, ZERO, round_down, round_half_up


@dataclass(frozen=True)
class Charge:
    """An amount with its legal basis: the stable rule id, the § in Norwegian, and the inputs.

    ``inputs`` holds every number the computation used, as strings, so a letter or the debtor
    portal can show *why* ("1/20 × inkassosats 750 = 37,50 → 38").
    """

    amount: Decimal
    rule: str
    reference: str
    inputs: dict[str, str] = field(default_factory=dict)


def apply_rounding(amount: Decimal, mode: str) -> Decimal:
    """Round ``amount`` as the law data says (``fees/rounding``, ``salaer/rounding`` …).

    ``none`` still returns whole øre: an amount with a fraction of an øre under ``none`` is an error
    in the data, because the ledger stores integer øre.
    """
    if mode == "krone-half-up":
        return round_half_up(amount, KRONE).quantize(ORE)
    if mode == "krone-down":
        return round_down(amount, KRONE).quantize(ORE)
    if mode == "ore-half-up":
        return round_half_up(amount, ORE)
    if mode == "ore-down":
        return round_down(amount, ORE)
    if mode == "none":
        exact = amount.quantize(ORE)
        if exact != amount:
            raise LawDataError(f"beløpet {amount} har brøkdel av øre, men avrundingen er 'none'")
        return exact
    raise LawDataError(f"ukjent avrunding {mode!r}")


def zero(rule: str, reference: str, inputs: dict[str, str]) -> Charge:
    """A charge of 0.00 that still says which rule made it zero."""
    return Charge(ZERO, rule, reference, inputs)


def choose(value: str, allowed: tuple[str, ...], what: str) -> str:
    """Refuse a keyword outside ``allowed`` with one clear line."""
    if value not in allowed:
        raise InvalidInput(f"ukjent {what} {value!r}", where=what, allowed=" | ".join(allowed))
    return value


def text(value: Any) -> str:
    """An input as a string: Decimals unchanged ("0.35"), dates ISO, booleans lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)


def non_negative(amount: Decimal, what: str) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise InvalidInput(f"ugyldig beløp {amount!r}", where=what, allowed="et Decimal-beløp ≥ 0")
    return amount
