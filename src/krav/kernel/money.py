"""Money: ``Decimal`` kroner in the domain, integer øre in the database.

Every rounding names its mode; floats never touch money.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from krav.kernel.errors import InvalidInput

ZERO = Decimal("0.00")
ORE = Decimal("0.01")
KRONE = Decimal("1")


def round_half_up(amount: Decimal, unit: Decimal = ORE) -> Decimal:
    """Round to ``unit`` with halves away from zero (37.50 → 38 when ``unit`` is 1)."""
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


def round_down(amount: Decimal, unit: Decimal = KRONE) -> Decimal:
    """Round towards zero to ``unit`` (rettsgebyr-derived fees: "rundes ned til hele kroner")."""
    return amount.quantize(unit, rounding=ROUND_DOWN)


def to_ore(amount: Decimal) -> int:
    """Kroner to integer øre; refuses amounts with fractions of an øre (no silent rounding)."""
    ore = amount * 100
    if ore != ore.to_integral_value():
        raise ValueError(f"amount {amount} has fractions of an øre; round it first")
    return int(ore)


def from_ore(ore: int) -> Decimal:
    """Integer øre to kroner with two decimals."""
    return (Decimal(int(ore)) / 100).quantize(ORE)


def fmt(amount: Decimal) -> str:
    """Amount as a JSON string with two decimals ("1234.50")."""
    return str(amount.quantize(ORE, rounding=ROUND_HALF_UP))


def fmt_nok(amount: Decimal) -> str:
    """Amount for people, Norwegian style: ``1 234,50``."""
    q = amount.quantize(ORE, rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + "\u00a0".join(groups) + "," + frac


def fmt_pct(value: Decimal | str, places: int = 2) -> str:
    """A percentage for people, Norwegian style: ``12,25 %`` (decimal comma, non-breaking space
    before ``%``, ``places`` decimals rounded half up). The one style of every letter, e-mail
    and text output that shows a rate."""
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:f}".replace(".", ",") + "\u00a0%"


def parse_amount(text: str, *, where: str | None = None, allow_zero: bool = False,
                 allow_negative: bool = False) -> Decimal:
    """Parse ``1234.50`` (dot decimal, at most two decimals) into ``Decimal``.

    Raises :class:`InvalidInput` naming ``where`` on anything else.
    """
    raw = (text or "").strip()
    allowed = "et beløp som 1234.50 (punktum, høyst to desimaler)"
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"ugyldig beløp {raw!r}", where=where, allowed=allowed) from None
    if not value.is_finite() or "," in raw or "e" in raw.lower():
        raise InvalidInput(f"ugyldig beløp {raw!r}", where=where, allowed=allowed)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(f"beløp {raw!r} har mer enn to desimaler", where=where, allowed=allowed)
    if value < 0 and not allow_negative:
        raise InvalidInput(f"negativt beløp {raw!r}", where=where, allowed=allowed)
    if value == 0 and not allow_zero:
        raise InvalidInput(f"beløpet kan ikke være null ({raw!r})", where=where, allowed=allowed)
    return value.quantize(ORE)
