"""Reading an uploaded claims file (CSV or XLSX) through a column mapping, with the claims
file's own validation, for the creditor pages' "hand over claims" (``/levere``).

The file is read as ``krav import claims`` reads one: a CSV by :mod:`krav.kernel.csvfile`
(UTF-8 or, with the Norwegian dialect, Windows-1252; the delimiter from the header; with ``;``
the Norwegian dialect — decimal comma, ``DD.MM.ÅÅÅÅ`` — unless chosen otherwise), an XLSX by
openpyxl (the first sheet; numbers and dates as Excel holds them) turned into the same table.
Each row then goes through :func:`krav.intake.claims_csv.parse_row` with the creditor's org
number and name, so a page upload accepts and refuses exactly what the command does; every
problem is tied to its row and to the file's column it came from, to mark the cell.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from krav.intake.claims_csv import COLUMNS, ClaimRow, parse_row
from krav.kernel.csvfile import DELIMITERS, decode, dialect_named, read_table
from krav.kernel.errors import InvalidInput

MAX_UPLOAD = 5 * 1024 * 1024  # bytes in one file
#: the columns a file maps (the creditor's own org number and name come from the login)
MAPPED = tuple(c for c in COLUMNS if c not in ("creditor_orgnr", "creditor_name"))
REQUIRED = ("invoice_number", "invoice_date", "due_date", "amount", "debtor_kind",
            "debtor_name", "debtor_address", "debtor_postcode", "debtor_city")
#: headings people use for each column (lower case), besides the column's own name
SYNONYMS = {
    "invoice_number": ("fakturanummer", "fakturanr", "faktura", "invoice"),
    "invoice_date": ("fakturadato",), "due_date": ("forfallsdato", "forfall"),
    "amount": ("beløp", "belop", "sum", "hovedstol"), "currency": ("valuta",),
    "debtor_kind": ("kundetype", "skyldnertype", "type"),
    "debtor_name": ("navn", "kundenavn", "skyldner"),
    "debtor_id": ("org.nr", "orgnr", "organisasjonsnummer", "fødselsnummer", "personnummer"),
    "debtor_address": ("adresse",), "debtor_postcode": ("postnummer", "postnr"),
    "debtor_city": ("poststed", "sted"), "debtor_country": ("land", "landkode"),
    "debtor_email": ("e-post", "epost", "email"), "debtor_phone": ("telefon", "mobil", "tlf"),
    "kid": ("kid-nummer", "kidnummer"), "description": ("beskrivelse", "tekst"),
}
FORMATS = ("auto", "no", "standard")
PROBLEM = re.compile(r"rad (\d+)(?:, kolonne ([^:]+))?: (.*)", re.S)


@dataclass
class Preview:
    """The file read through a mapping: its headings and rows (``line`` as a spreadsheet numbers
    it, the cells by heading), the good claim rows, and each problem by line and heading
    (``""``: the row as a whole; line 0: the file)."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    claims: list[ClaimRow] = field(default_factory=list)
    problems: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(p) for by_cell in self.problems.values() for p in by_cell.values())

    def add(self, line: int, heading: str, message: str) -> None:
        self.problems.setdefault(line, {}).setdefault(heading, []).append(message)


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def _xlsx_as_csv(data: bytes, source: str) -> str:
    """The first sheet of an XLSX file as CSV text (``;``, standard dialect)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidInput(f"filen kan ikke leses som Excel ({type(exc).__name__})",
                           where=source, allowed="en .xlsx-fil eller CSV") from None
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    for values in book.worksheets[0].iter_rows(values_only=True):
        writer.writerow([_cell_text(v) for v in values])
    book.close()
    return out.getvalue()


def _text_and_dialect(data: bytes, source: str, fmt: str) -> tuple[str, Any]:
    if is_xlsx(data):
        return _xlsx_as_csv(data, source), dialect_named("standard")
    norwegian = dialect_named("no")
    text = decode(data, source, norwegian)  # UTF-8, or Windows-1252 when it is not UTF-8
    if fmt == "auto":
        first = text.split("\n", 1)[0]
        fmt = "no" if first.count(";") >= max(first.count(","), 1) else "standard"
    return text, dialect_named(fmt)


def header_of(data: bytes, source: str, fmt: str = "auto") -> list[str]:
    """The file's headings (the first row)."""
    text, _ = _text_and_dialect(data, source, fmt)
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    delimiter = max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
    headings = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
    while headings and not headings[-1]:
        headings.pop()
    return headings


def default_mapping(header: list[str], remembered: dict[str, str] | None) -> dict[str, str]:
    """krav column → the file's heading: the creditor's remembered mapping where the heading is
    in this file, else the column's own name or a usual Norwegian heading."""
    lower = {h.lower(): h for h in header}
    mapping: dict[str, str] = {}
    for column in MAPPED:
        known = (remembered or {}).get(column)
        if known in header:
            mapping[column] = known
            continue
        for name in (column, *SYNONYMS.get(column, ())):
            if name in lower:
                mapping[column] = lower[name]
                break
    return mapping


def preview(data: bytes, source: str, mapping: dict[str, str], *, orgnr: str, name: str,
            fmt: str = "auto") -> Preview:
    """Read every row through ``mapping`` and validate it as ``krav import claims`` does."""
    text, dialect = _text_and_dialect(data, source, fmt)
    header = header_of(data, source, fmt)
    mapped = {c: h for c, h in mapping.items() if h and h in header}
    column_of = {c: h for c, h in mapped.items()}
    table = read_table(text.lstrip("\ufeff"), source, known=[h.lower() for h in header],
                       dialect=dialect,
                       amounts=[h for c, h in mapped.items() if c == "amount"],
                       dates=[h for c, h in mapped.items() if c in ("invoice_date", "due_date")],
                       prefix="")
    result = Preview(header=table.header, rows=list(table.rows))
    for problem in table.problems:  # the file's own: a row's shape, a Norwegian amount or date
        _add(result, problem, lambda heading: heading)
    for column in REQUIRED:
        if column not in mapped:
            result.add(0, "", f"kolonnen for {column} er ikke valgt")
    if result.problems.get(0):
        return result
    bad_lines = set(result.problems)
    for line, cells in table.rows:
        raw: dict[str, str | None] = {"creditor_orgnr": orgnr, "creditor_name": name}
        raw.update({c: cells.get(h, "") for c, h in mapped.items()})
        row, problems = parse_row(raw, line, "fil")  # a plain source: PROBLEM finds its row
        for problem in problems:
            _add(result, problem, lambda column: column_of.get(column, ""))
        if row is not None and line not in bad_lines:
            result.claims.append(row)
    # every line of the file that was read, good or not (a row of the wrong shape has no cells)
    shown = {line for line, _ in result.rows}
    result.rows += [(line, {}) for line in sorted(set(result.problems) - shown - {0})]
    result.rows.sort()
    if not result.rows:
        result.add(0, "", "filen har ingen krav")
    return result


def _add(result: Preview, problem: str, heading_of: Any) -> None:
    found = PROBLEM.search(problem)
    if found is None:
        result.add(0, "", problem)
        return
    line, column, message = int(found.group(1)), found.group(2), found.group(3)
    result.add(line, heading_of(column.strip()) if column else "", message)


def problem_lines(result: Preview) -> list[str]:
    """Every problem as one line (``rad 3, kolonne Beløp: …``), file problems first."""
    lines = []
    for line in sorted(result.problems):
        for heading, messages in result.problems[line].items():
            place = "" if line == 0 else f"rad {line}" + (f", kolonne {heading}" if heading
                                                           else "")
            lines += [f"{place}: {m}" if place else m for m in messages]
    return lines
