"""Parsing a parameter value according to its file's ``unit``.

Money, rates and factors are written as strings and become ``Decimal`` (a fraction may be written
``"1/20"``); counts of days, months and years are plain integers; a few quantities are texts,
lists or maps. Nothing here ever produces a float.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from krav.law.strictyaml import YList, YMap, fail

DECIMAL_UNITS = frozenset({"NOK", "EUR", "percent", "factor", "fraction"})
INT_UNITS = frozenset({"days", "months", "years", "count"})
ROUNDING_MODES = frozenset({"none", "ore-half-up", "ore-down", "krone-half-up", "krone-down"})
OTHER_UNITS = frozenset({"bool", "rounding", "text", "list", "map", "bands"})
UNITS = DECIMAL_UNITS | INT_UNITS | OTHER_UNITS

_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_FRACTION = re.compile(r"([0-9]+)/([0-9]+)")
_BAND_KEYS = frozenset({"up_to", "lett", "tung"})


def parse_decimal(raw: Any, where: str, line: int, *, fraction: bool = False) -> Decimal:
    """A non-negative decimal written as a string: ``"700"``, ``"12.25"`` (or ``"1/20"``)."""
    if not isinstance(raw, str):
        raise fail(
            where, line, f'verdien {raw!r} må skrives som tekst i anførselstegn, f.eks. "700"'
        )
    match = _FRACTION.fullmatch(raw) if fraction else None
    if match:
        numerator, denominator = Decimal(match[1]), Decimal(match[2])
        if denominator == 0:
            raise fail(where, line, f"brøken {raw!r} deler på null")
        return numerator / denominator
    if not _NUMBER.fullmatch(raw):
        allowed = 'et tall som "700" eller "12.25"' + (
            ' eller en brøk som "1/20"' if fraction else ""
        )
        raise fail(where, line, f"ugyldig tall {raw!r} (tillatt: {allowed})")
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise fail(where, line, f"ugyldig tall {raw!r}") from None


def parse_value(unit: str, raw: Any, where: str, line: int) -> tuple[Any, str]:
    """``(value, text)`` for ``raw`` read from a file whose unit is ``unit``."""
    if unit in DECIMAL_UNITS:
        return parse_decimal(raw, where, line, fraction=unit == "fraction"), raw
    if unit in INT_UNITS:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise fail(where, line, f"verdien {raw!r} må være et ikke-negativt heltall ({unit})")
        return raw, str(raw)
    if unit == "bool":
        if not isinstance(raw, bool):
            raise fail(where, line, f"verdien {raw!r} må være true eller false")
        return raw, "true" if raw else "false"
    if unit == "rounding":
        if raw not in ROUNDING_MODES:
            raise fail(
                where,
                line,
                f"ukjent avrunding {raw!r} (tillatt: {', '.join(sorted(ROUNDING_MODES))})",
            )
        return raw, raw
    if unit == "text":
        if not isinstance(raw, str) or not raw.strip():
            raise fail(where, line, "verdien må være en tekst")
        return raw, raw
    if unit == "list":
        return _parse_list(raw, where, line), ", ".join(raw)
    if unit == "map":
        if not isinstance(raw, YMap):
            raise fail(where, line, "verdien må være en mapping (nøkkel: verdi)")
        return _plain(raw), _describe_map(raw)
    if unit == "bands":
        return _parse_bands(raw, where, line), f"{len(raw)} trinn"
    raise fail(where, line, f"ukjent enhet {unit!r}")  # pragma: no cover - checked by the loader


def _parse_list(raw: Any, where: str, line: int) -> tuple[str, ...]:
    if not isinstance(raw, YList) or not raw or not all(isinstance(i, str) for i in raw):
        raise fail(where, line, "verdien må være en ikke-tom liste med tekster")
    if len(set(raw)) != len(raw):
        raise fail(where, line, "listen har samme element to ganger")
    return tuple(raw)


def _plain(value: Any) -> Any:
    """Strip line bookkeeping: maps become dicts, lists become tuples (values are read-only)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_plain(item) for item in value)
    return value


def _describe_map(raw: YMap) -> str:
    return "; ".join(f"{key}: {_describe(item)}" for key, item in raw.items())


def _describe(item: Any) -> str:
    if isinstance(item, list):
        return ", ".join(str(i) for i in item) or "–"
    if item is None:
        return "–"
    return str(item)


def _parse_bands(raw: Any, where: str, line: int) -> tuple[dict[str, Decimal | None], ...]:
    """Salær bands: ascending ``up_to`` (the last ``null`` = above), factors ``lett``/``tung``."""
    if not isinstance(raw, YList) or not raw:
        raise fail(where, line, "verdien må være en liste med trinn {up_to, lett, tung}")
    bands: list[dict[str, Decimal | None]] = []
    for row, row_line in zip(raw, raw.item_lines, strict=True):
        if not isinstance(row, YMap) or set(row) != _BAND_KEYS:
            raise fail(where, row_line, "hvert trinn må ha nøyaktig nøklene up_to, lett og tung")
        last = len(bands) == len(raw) - 1
        up_to = row["up_to"]
        if (up_to is None) != last:
            raise fail(where, row_line, "bare siste trinn har up_to: null (og det må ha det)")
        band = {
            "up_to": None if up_to is None else parse_decimal(up_to, where, row_line),
            "lett": parse_decimal(row["lett"], where, row_line),
            "tung": parse_decimal(row["tung"], where, row_line),
        }
        previous = bands[-1]["up_to"] if bands else None
        if band["up_to"] is not None and previous is not None and band["up_to"] <= previous:
            raise fail(where, row_line, "trinnene må stige (up_to)")
        bands.append(band)
    return tuple(bands)
