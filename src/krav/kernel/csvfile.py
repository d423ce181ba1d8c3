"""Reading a CSV file as people export it: encoding, delimiter, row shape and dialect.

Shared by the claims import (``krav import claims``) and the payments CSV (``krav payments
import``); each reader validates the *values* itself. The rules, documented in README.md:

- **Encoding.** UTF-8, with or without a BOM. A byte that is not UTF-8 is an error naming the
  row and the byte (``FILE, rad 7: ugyldig tegn (byte 0xE6, posisjon 12 i raden) – filen er ikke
  UTF-8; bruk --dialect no for Windows-1252``). With ``--dialect no`` a file that is not UTF-8
  (and has no BOM) is read as Windows-1252 (cp1252), the encoding Excel uses for "CSV" in Norway.
- **Delimiter.** Read from the header row: ``,``, ``;`` or a tab, whichever splits it into the
  most known column names (so a ``;`` file is never "missing every column"). Fields may be quoted.
- **Shape.** CRLF or LF line ends; empty lines (also ``;;;;``) are skipped anywhere; trailing
  empty cells past the header (Excel's trailing ``;``) are ignored. Any other row with fewer or
  more cells than the header is an error naming the row: a cut-off last line is never imported.
- **Dialect.** ``standard`` (the default): amounts ``1234.50``, dates ``ÅÅÅÅ-MM-DD``, exactly as
  before. ``no``: amounts with decimal comma — ``1234,50``, ``1 234,50`` (space, no-break or thin
  space between thousands) or ``1.234,50`` — and dates ``DD.MM.ÅÅÅÅ`` (ISO dates are also
  accepted). Strict and unambiguous: thousands groups are exactly three digits with one kind of
  separator, and ``1.234`` without a decimal part is refused (thousands or decimals?). Only ASCII
  digits. A standard file whose amount or date looks Norwegian gets a hint to use ``--dialect no``.

Rows are numbered as an editor or spreadsheet shows them: the header is row 1, and a row's
number is the line it starts on.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from krav.kernel.errors import InvalidInput
from krav.kernel.limits import csv_problem

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Dialect:
    """How a file writes numbers, dates and text; see the module docstring."""

    name: str
    fallback_encoding: str | None  # used when the file is not UTF-8
    delimiter: str  # preferred when the header does not tell
    decimal_comma: bool
    day_first: bool


STANDARD = Dialect("standard", None, ",", decimal_comma=False, day_first=False)
NORWEGIAN = Dialect("no", "cp1252", ";", decimal_comma=True, day_first=True)
DIALECTS = {"standard": STANDARD, "no": NORWEGIAN}
DIALECT_HELP = ("standard: UTF-8, 1234.50, ÅÅÅÅ-MM-DD (skilletegn , eller ; gjenkjennes); "
                "no: som Excel i Norge — ; , desimalkomma (1 234,50), DD.MM.ÅÅÅÅ, "
                "Windows-1252 når filen ikke er UTF-8")

#: The rules above in bokmål, for ``--help`` of the commands that read CSV.
FILE_RULES = ("Filen: UTF-8 (med eller uten BOM), skilletegn , eller ; (leses fra overskriften), "
              "beløp 1234.50, datoer ÅÅÅÅ-MM-DD. Med --dialect no: desimalkomma (1234,50, "
              "1 234,50, 1.234,50), datoer DD.MM.ÅÅÅÅ og Windows-1252 når filen ikke er UTF-8. "
              "Tomme linjer og Excels avsluttende ; hoppes over; en rad med for få eller for "
              "mange celler er en feil.")


def dialect_named(name: str | None, *, where: str = "--dialect") -> Dialect:
    """The dialect called ``name`` (``standard`` when None)."""
    if name is None:
        return STANDARD
    try:
        return DIALECTS[name.strip().lower()]
    except KeyError:
        raise InvalidInput(f"ukjent dialekt {name!r}", where=where,
                           allowed=", ".join(DIALECTS)) from None


def decode(data: bytes, source: str, dialect: Dialect = STANDARD) -> str:
    """The file's text: UTF-8 (a BOM is dropped), else the dialect's fallback encoding."""
    if data.startswith(BOM):  # a BOM promises UTF-8; positions are counted after it
        return _decode(data[len(BOM):], "utf-8", source,
                       "filen har UTF-8-BOM, men er ikke UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if dialect.fallback_encoding is None:
            raise _bad_byte(data, exc.start, source, "filen er ikke UTF-8; bruk --dialect no "
                            "for Windows-1252") from None
    return _decode(data, dialect.fallback_encoding, source,
                   "filen er verken UTF-8 eller Windows-1252")


def _decode(data: bytes, encoding: str, source: str, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _bad_byte(data, exc.start, source, what) from None


def _bad_byte(data: bytes, at: int, source: str, what: str) -> InvalidInput:
    row = data.count(b"\n", 0, at) + 1
    column = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return InvalidInput(f"ugyldig tegn (byte 0x{data[at]:02X}, posisjon {column} i raden) – "
                        f"{what}", where=f"{source}, rad {row}")


@dataclass
class Table:
    """A file's header and its non-empty rows ``(row number, {column: text})``; ``problems``
    lists rows of the wrong shape or with values the dialect cannot read (those rows are not in
    ``rows``)."""

    header: list[str]
    delimiter: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def sniff_delimiter(first_line: str, known: Iterable[str], preferred: str) -> str:
    """The delimiter that splits the header into the most ``known`` column names."""
    names = set(known)

    def score(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(1 for c in cells if c.strip().lower() in names)

    best = max(DELIMITERS, key=lambda d: (score(d), d == preferred))
    return best if score(best) else preferred


def read_table(text: str, source: str, *, known: Sequence[str], dialect: Dialect = STANDARD,
               amounts: Sequence[str] = (), dates: Sequence[str] = (),
               prefix: str = "") -> Table:
    """Split ``text`` into header and rows (see the module docstring). ``amounts`` and ``dates``
    are converted from the dialect to ``1234.50`` and ``ÅÅÅÅ-MM-DD`` for the caller to
    validate; ``prefix`` starts every problem's place (e.g. ``"fil.csv, "``)."""
    first = text.split("\n", 1)[0].rstrip("\r")
    delimiter = sniff_delimiter(first, known, dialect.delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InvalidInput(f"overskriften kan ikke leses ({exc})", where=f"{source}, rad 1") \
            from None
    while header and not header[-1]:
        header.pop()  # Excel's trailing delimiter
    for i, name in enumerate(header, start=1):
        if not name:
            raise InvalidInput(f"kolonne {i} har ingen overskrift", where=f"{source}, rad 1")
        if header.index(name) != i - 1:
            raise InvalidInput(f"kolonnen {name} står to ganger", where=f"{source}, rad 1")
    table = Table(header=header, delimiter=delimiter)
    width, done = len(header), reader.line_num
    while True:
        start = done + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:  # e.g. a quote never closed
            table.problems.append(f"{prefix}rad {start}: {csv_problem(exc)}")
            break
        done = reader.line_num
        if cells is None:
            break
        if not any(c.strip() for c in cells):
            continue
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) != width:
            which = "færre" if len(cells) < width else "flere"
            table.problems.append(f"{prefix}rad {start}: {which} celler enn kolonner "
                                  f"({len(cells)} celler, overskriften har {width})")
            continue
        row = dict(zip(header, cells, strict=True))
        bad = _convert(row, start, dialect, amounts, dates, prefix)
        if bad:
            table.problems.extend(bad)
        else:
            table.rows.append((start, row))
    return table


_DIGITS = "[0-9]"
NO_AMOUNT = re.compile(
    rf"^(?P<sign>[-\u2212]?)(?P<int>{_DIGITS}{{1,3}}(?P<sep>[ \u00a0\u202f\u2009.]){_DIGITS}{{3}}"
    rf"(?:(?P=sep){_DIGITS}{{3}})*|{_DIGITS}+)(?:,(?P<frac>{_DIGITS}+))?$")
NO_DATE = re.compile(r"^(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})$")
NO_AMOUNTS = "1234,50, 1 234,50 eller 1.234,50"


def norwegian_amount(raw: str) -> str | None:
    """``1 234,50`` → ``1234.50``; None when ``raw`` is not an unambiguous Norwegian amount."""
    match = NO_AMOUNT.match(raw)
    if not match or (match.group("sep") == "." and match.group("frac") is None):
        return None
    sign = "-" if match.group("sign") else ""
    whole = match.group("int").replace(match.group("sep") or "§", "")
    frac = match.group("frac")
    return f"{sign}{whole}.{frac}" if frac is not None else f"{sign}{whole}"


def norwegian_date(raw: str) -> str | None:
    """``05.01.2026`` → ``2026-01-05``; None when ``raw`` is not a real ``DD.MM.ÅÅÅÅ`` date."""
    match = NO_DATE.match(raw)
    if not match:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
    except ValueError:
        return None


def _convert(row: dict[str, str], line: int, dialect: Dialect, amounts: Sequence[str],
             dates: Sequence[str], prefix: str) -> list[str]:
    problems: list[str] = []
    for column in amounts:
        raw = (row.get(column) or "").strip()
        if not raw:
            continue
        where = f"{prefix}rad {line}, kolonne {column}"
        if dialect.decimal_comma:
            value = norwegian_amount(raw)
            if value is None:
                problems.append(str(InvalidInput(f"ugyldig beløp {raw!r}", where=where,
                                                 allowed=NO_AMOUNTS)))
            else:
                row[column] = value
        elif "," in raw and norwegian_amount(raw) is not None:
            problems.append(str(InvalidInput(
                f"ugyldig beløp {raw!r} — desimalkomma? bruk --dialect no", where=where,
                allowed="1234.50")))
    for column in dates:
        raw = (row.get(column) or "").strip()
        if not raw or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            continue  # ISO dates are read (and validated) by the caller in every dialect
        where = f"{prefix}rad {line}, kolonne {column}"
        converted = norwegian_date(raw)
        if dialect.day_first:
            if converted is None:
                problems.append(str(InvalidInput(f"ugyldig dato {raw!r}", where=where,
                                                 allowed="DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD")))
            else:
                row[column] = converted
        elif converted is not None:
            problems.append(str(InvalidInput(f"ugyldig dato {raw!r} — DD.MM.ÅÅÅÅ? bruk "
                                             "--dialect no", where=where,
                                             allowed="ÅÅÅÅ-MM-DD")))
    return problems
