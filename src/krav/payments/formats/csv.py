"""Payments as CSV (issue 2): ``paid_on, amount, kid, invoice_number, creditor_orgnr``.

A header row; encoding, delimiter (``,`` or ``;``), row shape and ``--dialect no`` (decimal comma,
DD.MM.ÅÅÅÅ, Windows-1252) as :mod:`krav.kernel.csvfile` documents; amounts ``1234.50``. A row
names its claim by KID or by creditor organisation number + invoice number. Optional columns:
``payer_name, payer_account, text, designation, external_id``. Every bad row (a row with too few
or too many cells included) is reported (row, column, what is wrong) and nothing is returned
when any row is bad.

Identity: ``csv:<external_id>`` when the file gives one; otherwise a digest of the row's values
and its occurrence number among identical rows, so importing the same rows again (in this or
another file) books nothing twice, while two equal payments in one file stay two.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from krav.db.tables import payments
from krav.kernel.csvfile import STANDARD, Dialect, Table, decode, read_table
from krav.kernel.dates import parse_date
from krav.kernel.errors import InvalidInput
from krav.kernel.ids import validate_orgnr
from krav.kernel.limits import check_text, column_length
from krav.kernel.money import parse_amount, to_ore
from krav.payments.formats.common import BadBankFile, BadRows
from krav.payments.kid import validate_kid
from krav.payments.model import BankTransaction, ParsedFile

REQUIRED = ("paid_on", "amount")
OPTIONAL = ("kid", "invoice_number", "creditor_orgnr", "payer_name", "payer_account", "text",
            "designation", "external_id")
DESIGNATIONS = ("costs", "interest", "principal")
# Where each free-text cell is stored: its length there is the cell's limit (kernel.limits).
TEXT_COLUMNS = {"invoice_number": payments.c.invoice_number,
                "payer_name": payments.c.payer_name, "payer_account": payments.c.payer_account,
                "text": payments.c.text}
EXTERNAL_ID_LENGTH = (column_length(payments.c.external_id) or 120) - len("csv:")


def _table(data: bytes, name: str, dialect: Dialect) -> Table:
    """Header and rows (file-level reading is :mod:`krav.kernel.csvfile`'s)."""
    try:
        text = decode(data, name, dialect)
    except InvalidInput as exc:  # a bank file's error is a BadBankFile, as for OCR and camt
        raise BadBankFile(name, (exc.where or "").removeprefix(f"{name}, "), exc.what,
                          exc.allowed) from None
    table = read_table(text, name, known=REQUIRED + OPTIONAL, dialect=dialect,
                       amounts=("amount",), dates=("paid_on",))
    missing = [c for c in REQUIRED if c not in table.header]
    unknown = [c for c in table.header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        what = (f"mangler kolonne(r) {', '.join(missing)}" if missing
                else f"ukjent(e) kolonne(r) {', '.join(unknown)}")
        raise BadBankFile(name, "rad 1 (overskrift)", what, ", ".join(REQUIRED + OPTIONAL))
    return table


def _cell(row: dict, column: str) -> str:
    return (row.get(column) or "").strip()


def _row(row: dict, where: str, seen: Counter) -> BankTransaction:
    """One row → a transaction; :class:`InvalidInput` naming the column on the first fault."""
    if None in row:
        raise InvalidInput("flere celler enn kolonner", where=where)
    paid_on = parse_date(_cell(row, "paid_on"), where=f"{where}, kolonne paid_on")
    amount = parse_amount(_cell(row, "amount"), where=f"{where}, kolonne amount")
    kid, invoice, orgnr = _cell(row, "kid"), _cell(row, "invoice_number"), \
        _cell(row, "creditor_orgnr")
    if kid and not validate_kid(kid):
        raise InvalidInput(f"ugyldig KID {kid!r}", where=f"{where}, kolonne kid",
                           allowed="2–25 sifre med gyldig MOD10- eller MOD11-kontrollsiffer")
    if orgnr:
        orgnr = validate_orgnr(orgnr, where=f"{where}, kolonne creditor_orgnr")
    if not kid and not (invoice and orgnr):
        raise InvalidInput("raden sier ikke hvilket krav den gjelder", where=where,
                           allowed="kid, eller invoice_number og creditor_orgnr")
    for column, stored in TEXT_COLUMNS.items():
        check_text(_cell(row, column), column=stored, where=f"{where}, kolonne {column}",
                   multiline=column == "text")
    designation = _cell(row, "designation")
    if designation and designation not in DESIGNATIONS:
        raise InvalidInput(f"ukjent øremerking {designation!r}", where=f"{where}, kolonne "
                           "designation", allowed=", ".join(DESIGNATIONS))
    ext = check_text(_cell(row, "external_id"), length=EXTERNAL_ID_LENGTH,
                     where=f"{where}, kolonne external_id")
    basis = "|".join((paid_on.isoformat(), str(amount), kid, invoice, orgnr,
                      _cell(row, "payer_account")))
    seen[basis] += 1
    identity = f"csv:{ext}" if ext else \
        "csv:" + hashlib.sha256(f"{basis}|{seen[basis]}".encode()).hexdigest()[:48]
    return BankTransaction(identity, paid_on, None, to_ore(amount), kid,
                           _cell(row, "payer_name")[:200], _cell(row, "payer_account")[:34],
                           _cell(row, "text")[:500], False, invoice, orgnr, "NOK", (), 0,
                           designation)


def parse_csv(data: bytes, *, name: str = "CSV-fil", dialect: Dialect = STANDARD) -> ParsedFile:
    """Parse a payments CSV; :class:`BadRows` listing every bad row, or all rows."""
    table = _table(data, name, dialect)
    out: list[BankTransaction] = []
    problems: list[tuple[int, str]] = [(_number(p), p) for p in table.problems]
    seen: Counter = Counter()
    for number, row in table.rows:
        try:
            out.append(_row(row, f"rad {number}", seen)._replace(line=number))
        except InvalidInput as exc:
            problems.append((number, str(exc)))
    if problems:
        raise BadRows(name, [p for _, p in sorted(problems, key=lambda p: p[0])])
    return ParsedFile("csv", out)


def _number(problem: str) -> int:
    found = re.match(r"rad (\d+)", problem)
    return int(found.group(1)) if found else 0
