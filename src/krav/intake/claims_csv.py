"""Claims from a CSV file (header row): validate every row, then import all or none.

Encoding, delimiter (``,`` or ``;``), row shape and ``--dialect no`` (decimal comma, DD.MM.ÅÅÅÅ,
Windows-1252) are read as :mod:`krav.kernel.csvfile` documents.

Columns (exact, in any order): creditor_orgnr, creditor_name, invoice_number, invoice_date,
due_date, amount, currency, debtor_kind, debtor_name, debtor_id, debtor_address, debtor_postcode,
debtor_city, debtor_country, debtor_email, debtor_phone, kid, description; optional: the
creditor's profile, creditor_address, creditor_postcode, creditor_city, creditor_account,
creditor_email (an empty cell means "not given"; see :mod:`krav.intake.service`).
Every bad row is reported (row, column, what is wrong); one bad row means nothing is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from krav.db.tables import claims, creditors, debtors
from krav.kernel.csvfile import STANDARD, Dialect, decode, read_table
from krav.kernel.dates import parse_date
from krav.kernel.errors import InvalidInput, KravError
from krav.kernel.ids import kid_valid, validate_debtor_id, validate_orgnr
from krav.kernel.limits import CONTROL, CONTROL_ONE_LINE, check_text, column_length
from krav.kernel.money import parse_amount

COLUMNS = (
    "creditor_orgnr", "creditor_name", "invoice_number", "invoice_date", "due_date", "amount",
    "currency", "debtor_kind", "debtor_name", "debtor_id", "debtor_address", "debtor_postcode",
    "debtor_city", "debtor_country", "debtor_email", "debtor_phone", "kid", "description",
)
# Optional: the creditor's profile (krav.cases.profile), column → profile field.
CREDITOR_COLUMNS = {"creditor_address": "address", "creditor_postcode": "postcode",
                    "creditor_city": "city", "creditor_account": "account_number",
                    "creditor_email": "email"}
REQUIRED = ("creditor_orgnr", "creditor_name", "invoice_number", "invoice_date", "due_date",
            "amount", "debtor_kind", "debtor_name", "debtor_address", "debtor_postcode",
            "debtor_city")
# Where each text cell is stored: its length there is the cell's limit (kernel.limits).
TEXT_COLUMNS = {
    "creditor_name": creditors.c.name, "invoice_number": claims.c.invoice_number,
    "debtor_name": debtors.c.name, "debtor_id": debtors.c.national_id,
    "debtor_address": debtors.c.address, "debtor_postcode": debtors.c.postcode,
    "debtor_city": debtors.c.city, "debtor_email": debtors.c.email,
    "debtor_phone": debtors.c.phone, "kid": claims.c.kid, "description": claims.c.description,
}
MULTILINE = ("description",)
# (column, stored column, its length, the control characters refused in it): what
# ``check_text`` checks, looked up once
_TEXT_CHECKS = tuple((c, t, column_length(t) or 1 << 30,
                      CONTROL if c in MULTILINE else CONTROL_ONE_LINE)
                     for c, t in TEXT_COLUMNS.items())
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ]{8,15}$")


class ImportRejected(KravError):
    """The file has bad rows; ``problems`` lists each (one line per problem)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        head = f"{source}: {len(problems)} feil, ingenting er importert"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class ClaimRow:
    line: int
    creditor_orgnr: str
    creditor_name: str
    invoice_number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    currency: str
    debtor_kind: str
    debtor_name: str
    debtor_id: str | None
    debtor_address: str
    debtor_postcode: str
    debtor_city: str
    debtor_country: str
    debtor_email: str
    debtor_phone: str
    kid: str | None
    description: str
    # (profile field, value) for the creditor columns given on this row (krav.cases.profile)
    creditor_profile: tuple[tuple[str, str], ...] = ()


def read_rows(path: Path, dialect: Dialect = STANDARD) -> tuple[list[ClaimRow], list[str]]:
    """Parse ``path``; returns the good rows and one problem line per bad cell or row.

    File-level reading (encoding, delimiter, row shape, ``--dialect no``) is
    :mod:`krav.kernel.csvfile`'s; this function validates the values.
    """
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("filen finnes ikke", where=source) from None
    except OSError as exc:  # a directory, no permission …
        raise InvalidInput(f"kan ikke lese filen ({exc.strerror})", where=source) from None
    table = read_table(decode(data, source, dialect), source,
                       known=(*COLUMNS, *CREDITOR_COLUMNS), dialect=dialect,
                       amounts=("amount",), dates=("invoice_date", "due_date"),
                       prefix=f"{source}, ")
    missing = [c for c in COLUMNS if c not in table.header]
    if missing:
        raise InvalidInput(f"mangler kolonne(r) {', '.join(missing)}", where=f"{source}, linje 1",
                           allowed=", ".join(COLUMNS))
    rows: list[ClaimRow] = []
    problems: list[str] = list(table.problems)
    for line, raw in table.rows:
        row, row_problems = parse_row(raw, line, source)
        problems.extend(row_problems)
        if row:
            rows.append(row)
    problems.sort(key=_row_number)
    if not rows and not problems:
        problems.append(f"{source}: filen har ingen krav")
    return rows, problems


def _row_number(problem: str) -> int:
    found = re.search(r", rad (\d+)", problem)
    return int(found.group(1)) if found else 0


def parse_row(raw: dict[str, str | None], line: int,
               source: str) -> tuple[ClaimRow | None, list[str]]:
    problems: list[str] = []
    values = {k: (raw.get(k) or "").strip() for k in COLUMNS}

    def where(column: str) -> str:
        return f"{source}, rad {line}, kolonne {column}"

    def check(column: str, fn):  # type: ignore[no-untyped-def]
        try:
            return fn()
        except InvalidInput as exc:
            problems.append(str(exc))
            return None

    for column in REQUIRED:
        if not values[column]:
            problems.append(f"{where(column)}: mangler verdi")
    for column, stored, limit, control in _TEXT_CHECKS:
        value = values[column]
        if len(value) > limit or control.search(value):  # the common case skips the call
            check(column, lambda c=column, t=stored: check_text(
                values[c], column=t, where=where(c), multiline=c in MULTILINE))
    if problems:
        return None, problems
    kind = values["debtor_kind"]
    if kind not in ("consumer", "business"):
        problems.append(f"{where('debtor_kind')}: ugyldig {kind!r} (tillatt: consumer, business)")
    orgnr = check("creditor_orgnr", lambda: validate_orgnr(values["creditor_orgnr"],
                                                          where=where("creditor_orgnr")))
    invoice_date = check("invoice_date", lambda: parse_date(values["invoice_date"],
                                                            where=where("invoice_date")))
    due = check("due_date", lambda: parse_date(values["due_date"], where=where("due_date")))
    if invoice_date and due and due < invoice_date:
        problems.append(f"{where('due_date')}: forfall {due} er før fakturadato {invoice_date}")
    amount = check("amount", lambda: parse_amount(values["amount"], where=where("amount")))
    currency = values["currency"] or "NOK"
    if currency != "NOK":
        problems.append(f"{where('currency')}: valuta {currency!r} støttes ikke ennå "
                        "(tillatt: NOK)")
    debtor_id = None
    if kind in ("consumer", "business"):
        debtor_id = check("debtor_id", lambda: validate_debtor_id(
            kind, values["debtor_id"], where=where("debtor_id")))
    country = (values["debtor_country"] or "NO").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        problems.append(f"{where('debtor_country')}: ugyldig landkode {country!r} "
                        "(tillatt: ISO 3166 to bokstaver, f.eks. NO)")
    if country == "NO" and not re.fullmatch(r"[0-9]{4}", values["debtor_postcode"]):
        problems.append(f"{where('debtor_postcode')}: ugyldig postnummer "
                        f"{values['debtor_postcode']!r} (tillatt: fire sifre)")
    if values["debtor_email"] and not EMAIL.match(values["debtor_email"]):
        problems.append(f"{where('debtor_email')}: ugyldig e-postadresse "
                        f"{values['debtor_email']!r}")
    if values["debtor_phone"] and not PHONE.match(values["debtor_phone"]):
        problems.append(f"{where('debtor_phone')}: ugyldig telefonnummer "
                        f"{values['debtor_phone']!r} (tillatt: 8–15 sifre, ev. med +)")
    kid = values["kid"] or None
    if kid and not kid_valid(kid):
        problems.append(f"{where('kid')}: ugyldig KID {kid!r} (tillatt: 2–25 sifre med gyldig "
                        "MOD10- eller MOD11-kontrollsiffer)")
    profile = _creditor_profile(raw, where, problems)
    if problems:
        return None, problems
    return ClaimRow(
        line=line, creditor_orgnr=orgnr, creditor_name=values["creditor_name"],
        invoice_number=values["invoice_number"], invoice_date=invoice_date, due_date=due,
        amount=amount, currency=currency, debtor_kind=kind, debtor_name=values["debtor_name"],
        debtor_id=debtor_id, debtor_address=values["debtor_address"],
        debtor_postcode=values["debtor_postcode"], debtor_city=values["debtor_city"],
        debtor_country=country, debtor_email=values["debtor_email"],
        debtor_phone=values["debtor_phone"], kid=kid, description=values["description"],
        creditor_profile=profile,
    ), []


def _creditor_profile(raw: dict[str, str | None], where, problems: list[str]  # type: ignore[no-untyped-def]
                      ) -> tuple[tuple[str, str], ...]:
    """The creditor columns this row fills in, validated (an empty or absent cell: not given)."""
    from krav.cases.profile import parse_profile

    if not any(raw.get(column) for column in CREDITOR_COLUMNS):
        return ()
    given = {field: (raw.get(column) or "").strip() for column, field in CREDITOR_COLUMNS.items()}
    column_of = {field: column for column, field in CREDITOR_COLUMNS.items()}
    out = []
    for field, value in given.items():
        if not value:
            continue
        try:
            out += parse_profile({field: value}, lambda f: where(column_of[f])).items()
        except InvalidInput as exc:
            problems.append(str(exc))
    return tuple(out)
