"""The limits every value from outside (a file cell, an XML element, a command-line option) must
keep before it is written: one place, the same answer on SQLite and PostgreSQL.

- **Amounts**: ASCII digits with an optional ``-``, a ``.`` and at most two decimals, and
  ``|amount| ≤ MAX_AMOUNT`` (100 000 000 000,00 kr = 10¹³ øre). Money is stored as BigInteger
  øre (≤ 9.2·10¹⁸); the limit leaves a factor of 10⁵ of headroom, so sums over a whole database
  (a client-funds balance, a settlement) cannot overflow, and no claim in a Norwegian collection
  agency comes near it (the largest are a few hundred million). ``Decimal`` would also accept
  ``1e30``, ``1_000``, ``Infinity`` and Arabic-Indic digits (``٣``); none of those is an amount.
- **Dates**: ``MIN_DATE`` … ``MAX_DATE`` (1900-01-01 … 2199-12-31). Dates are moved by deadlines,
  limitation periods (up to 20 years, foreldelsesloven § 7) and interest periods; a date near
  ``date.max`` (9999-12-31) overflows on the first addition. Nothing a collection case deals with
  is older than 1900, and 2199 leaves every deadline arithmetic room.
- **Text**: at most as many characters as the column it is stored in (read from the table
  metadata, never repeated here: PostgreSQL refuses longer text, SQLite would keep it), and no
  control characters (C0 including NUL, DEL and C1; a tab or a line break only where the
  field allows several lines). PostgreSQL refuses NUL in text; SQLite keeps it silently.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import Column

from krav.kernel.errors import InvalidInput

MAX_AMOUNT = Decimal("100000000000.00")
MAX_ORE = 10_000_000_000_000  # MAX_AMOUNT in øre
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]{1,2})?", re.ASCII)
AMOUNT_ALLOWED = "et beløp som 1234.50 (punktum, høyst to desimaler, høyst 100 000 000 000.00)"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def amount_in_range(value: Decimal, *, raw: str, where: str | None) -> Decimal:
    """``value`` itself when ``|value| ≤ MAX_AMOUNT``; :class:`InvalidInput` otherwise."""
    if abs(value) > MAX_AMOUNT:
        raise InvalidInput(f"beløpet {raw!r} er for stort", where=where,
                           allowed="høyst 100 000 000 000.00 kr")
    return value


def amount_text_ok(raw: str) -> bool:
    """Is ``raw`` written as an amount: ASCII digits, optional ``-``, ``.`` and two decimals?"""
    return AMOUNT_TEXT.fullmatch(raw) is not None


def date_in_range(day: date, *, where: str | None) -> date:
    """``day`` itself when within ``MIN_DATE`` … ``MAX_DATE``; :class:`InvalidInput` otherwise."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise InvalidInput(f"datoen {day.isoformat()} er utenfor det tillatte området",
                           where=where, allowed=f"{MIN_DATE.isoformat()} – {MAX_DATE.isoformat()}")
    return day


def column_length(column: Column) -> int | None:
    """The length of a ``String`` column (None: unlimited)."""
    return getattr(column.type, "length", None)


def check_text(value: str, *, where: str | None, column: Column | None = None,
               length: int | None = None, multiline: bool = False) -> str:
    """``value`` when it fits ``column`` (or ``length``) and has no control characters."""
    limit = column_length(column) if column is not None else length
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"teksten har {len(value)} tegn", where=where,
                           allowed=f"høyst {limit} tegn")
    found = (CONTROL if multiline else CONTROL_ONE_LINE).search(value)
    if found:
        raise InvalidInput(f"teksten har et kontrolltegn (U+{ord(found.group()):04X}) "
                           f"ved tegn {found.start() + 1}", where=where,
                           allowed="vanlig tekst uten kontrolltegn"
                           + (" (linjeskift og tabulator går an)" if multiline else ""))
    return value


def first_control(text: str, *, multiline: bool = True) -> int | None:
    """The index of the first control character in ``text`` (None: there is none)."""
    found = (CONTROL if multiline else CONTROL_ONE_LINE).search(text)
    return found.start() if found else None


def csv_problem(exc: Exception) -> str:
    """What a ``csv.Error`` means, in words: a cell beyond the reader's 131 072-character limit
    (longer than any column it could be stored in), or a row that cannot be read."""
    if "field larger than field limit" in str(exc):
        return ("en celle er lengre enn 131 072 tegn "
                "(tillatt: høyst så lang som feltet den lagres i)")
    return f"raden kan ikke leses ({exc})"
