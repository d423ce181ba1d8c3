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
    """Parse ``1234.50`` (ASCII digits, dot decimal, at most two decimals) into ``Decimal``.

    Raises :class:`InvalidInput` naming ``where`` on anything else, and on an amount beyond
    :data:`krav.kernel.limits.MAX_AMOUNT` (``1e30``, ``1_000``, ``٣`` and 20-digit amounts are
    refused here, before they reach the database).
    """
    from krav.kernel.limits import AMOUNT_ALLOWED, amount_in_range, amount_text_ok

    raw = (text or "").strip()
    allowed = AMOUNT_ALLOWED
    if not amount_text_ok(raw):
        if "." in raw and amount_text_ok(raw.split(".")[0]) and raw.split(".")[1].isdecimal() \
                and raw.split(".")[1].isascii():
            raise InvalidInput(f"beløp {raw!r} har mer enn to desimaler", where=where,
                               allowed=allowed)
        raise InvalidInput(f"ugyldig beløp {raw!r}", where=where, allowed=allowed)
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
        raise InvalidInput(f"ugyldig beløp {raw!r}", where=where, allowed=allowed) from None
    amount_in_range(value, raw=raw, where=where)
    if value < 0 and not allow_negative:
        raise InvalidInput(f"negativt beløp {raw!r}", where=where, allowed=allowed)
    if value == 0 and not allow_zero:
        raise InvalidInput(f"beløpet kan ikke være null ({raw!r})", where=where, allowed=allowed)
    return value.quantize(ORE)
