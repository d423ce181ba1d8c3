"""The creditor pages' "hand over claims" (``/levere``): upload a CSV or XLSX file, choose which
of its columns is which (remembered per creditor), see a preview with every bad cell marked, and
import all of it or nothing — the same rows, audit row and webhooks as ``krav import claims``
(:func:`krav.intake.service.import_rows`).

The file is kept in ``claim_uploads`` between the steps (see :mod:`krav.intake.tables`). Who may
hand over claims: the creditor's administrator for its own creditor, and agency staff for the
creditor they choose (as ``POST /api/v1/claims``). Another creditor's upload answers 404 like a
missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, insert, select, update

from krav.accounts.pages import read_form
from krav.accounts.principal import Actor, Principal
from krav.cases.access import EVERY, creditor_scope
from krav.cases.pages import TEXT as CASE_TEXT
from krav.cases.pages import check_csrf, page_values, person
from krav.db.tables import creditors
from krav.intake import upload
from krav.intake.claims_csv import ImportRejected
from krav.intake.service import import_rows
from krav.intake.tables import claim_uploads, upload_mappings
from krav.kernel.errors import InvalidInput, NotFound
from krav.web.deps import engine_of, language, now
from krav.web.pages import render
from krav.web.problems import Problem

router = APIRouter(include_in_schema=False)

TEXT = {
    "nb": {**CASE_TEXT["nb"],
           "upload_title": "Lever krav", "file": "Fil (CSV eller Excel)",
           "file_help": "Én rad per faktura. Norsk Excel-CSV (semikolon, desimalkomma, "
                        "Windows-1252) forstås.",
           "upload_button": "Last opp", "creditor": "Oppdragsgiver", "choose": "Velg",
           "mapping": "Hvilken kolonne er hva?", "not_in_file": "(finnes ikke i filen)",
           "format": "Format", "format_auto": "Finn ut selv", "format_no": "Norsk (desimalkomma)",
           "format_standard": "Standard (desimalpunktum)",
           "preview_button": "Vis forhåndsvisning", "import_button": "Importer alle kravene",
           "preview": "Forhåndsvisning", "row": "Rad",
           "problems": "{n} feil – ingenting er importert. Rett filen eller kolonnevalgene.",
           "ready": "{n} krav er klare til import.", "imported": "{n} krav er importert.",
           "to_cases": "Se sakene", "no_file": "Velg en fil.",
           "too_big": "Filen er større enn 5 MB.", "role_upload":
           "Bare oppdragsgiverens administrator og byrået kan levere krav.",
           "file_problems": "Feil i filen", "more_rows": "{n} rader til uten feil vises ikke.",
           "col_" + "invoice_number": "Fakturanummer", "col_invoice_date": "Fakturadato",
           "col_due_date": "Forfallsdato", "col_amount": "Beløp", "col_currency": "Valuta",
           "col_debtor_kind": "Skyldnertype (consumer/business)",
           "col_debtor_name": "Skyldners navn", "col_debtor_id": "Org.nr / fødselsnummer",
           "col_debtor_address": "Adresse", "col_debtor_postcode": "Postnummer",
           "col_debtor_city": "Poststed", "col_debtor_country": "Land",
           "col_debtor_email": "E-post", "col_debtor_phone": "Telefon", "col_kid": "KID",
           "col_description": "Beskrivelse", "required_mark": "(må ha)"},
    "en": {**CASE_TEXT["en"],
           "upload_title": "Hand over claims", "file": "File (CSV or Excel)",
           "file_help": "One row per invoice. Norwegian Excel CSV (semicolon, decimal comma, "
                        "Windows-1252) is understood.",
           "upload_button": "Upload", "creditor": "Creditor", "choose": "Choose",
           "mapping": "Which column is what?", "not_in_file": "(not in the file)",
           "format": "Format", "format_auto": "Detect", "format_no": "Norwegian (decimal comma)",
           "format_standard": "Standard (decimal point)",
           "preview_button": "Show preview", "import_button": "Import all the claims",
           "preview": "Preview", "row": "Row",
           "problems": "{n} errors – nothing is imported. Correct the file or the columns.",
           "ready": "{n} claims are ready to import.", "imported": "{n} claims are imported.",
           "to_cases": "See the cases", "no_file": "Choose a file.",
           "too_big": "The file is larger than 5 MB.", "role_upload":
           "Only the creditor's administrator and the agency can hand over claims.",
           "file_problems": "Errors in the file", "more_rows": "{n} more rows without errors "
           "are not shown.",
           "col_invoice_number": "Invoice number", "col_invoice_date": "Invoice date",
           "col_due_date": "Due date", "col_amount": "Amount", "col_currency": "Currency",
           "col_debtor_kind": "Debtor kind (consumer/business)",
           "col_debtor_name": "Debtor's name", "col_debtor_id": "Org. / national id number",
           "col_debtor_address": "Address", "col_debtor_postcode": "Postcode",
           "col_debtor_city": "City", "col_debtor_country": "Country",
           "col_debtor_email": "E-mail", "col_debtor_phone": "Phone", "col_kid": "KID",
           "col_description": "Description", "required_mark": "(required)"},
}
SHOWN_GOOD_ROWS = 50  # good rows in the preview (every bad row is shown)


def today() -> date:
    return date.today()


def _may_upload(who: Principal, t: dict[str, str]) -> None:
    if not (who.is_staff or "creditor_admin" in who.roles):
        raise Problem(403, t["role_upload"])


def _creditors(conn: Connection, who: Principal) -> list[Any]:
    query = select(creditors.c.id, creditors.c.orgnr, creditors.c.name).order_by(
        creditors.c.name)
    scope = creditor_scope(who)
    if scope is not EVERY:
        query = query.where(creditors.c.id == scope)
    return conn.execute(query).all()


@router.get("/levere")
def upload_page(request: Request) -> Response:
    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    t = TEXT[language(request)]
    _may_upload(who, t)
    with engine_of(request).connect() as conn:
        choices = _creditors(conn, who)
    return render(request, "upload.html", TEXT, creditors=choices, errors={},
                  **page_values(request, who))


@router.post("/levere")
async def upload_submit(request: Request) -> Response:
    """The file (multipart, at most 5 MB) is stored and the mapping step shown (303)."""
    t = TEXT[language(request)]
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > upload.MAX_UPLOAD + 64 * 1024:
        raise Problem(413, t["too_big"])
    form = await request.form(max_files=1, max_fields=5, max_part_size=upload.MAX_UPLOAD)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    who = check_csrf(request, fields)
    _may_upload(who, t)
    file = form.get("file")
    data = await file.read(upload.MAX_UPLOAD + 1) if file is not None and \
        not isinstance(file, str) else b""
    engine = engine_of(request)
    with engine.connect() as conn:
        choices = _creditors(conn, who)
    wanted = fields.get("creditor", "")
    creditor = next((c for c in choices if c.orgnr == wanted), None) if len(choices) != 1 \
        else choices[0]
    errors = {}
    if not data:
        errors["file"] = t["no_file"]
    elif len(data) > upload.MAX_UPLOAD:
        errors["file"] = t["too_big"]
    if creditor is None:
        errors["creditor"] = t["choose"]
    if errors:
        return render(request, "upload.html", TEXT, status=422, creditors=choices,
                      errors=errors, **page_values(request, who))
    assert creditor is not None and file is not None and not isinstance(file, str)
    with engine.begin() as conn:
        upload_id = conn.execute(insert(claim_uploads).values(
            creditor_id=creditor.id, user_id=who.user_id,
            filename=(file.filename or "fil")[-200:], content=data, created_at=now())
            .returning(claim_uploads.c.id)).scalar_one()
    return RedirectResponse(f"/levere/{upload_id}", status_code=303)


def _upload(conn: Connection, who: Principal, upload_id: int) -> Any:
    """The upload ``who`` may see (its creditor's), else 404 like a missing one."""
    query = (select(claim_uploads, creditors.c.orgnr, creditors.c.name.label("creditor_name"))
             .join(creditors, creditors.c.id == claim_uploads.c.creditor_id)
             .where(claim_uploads.c.id == upload_id))
    scope = creditor_scope(who)
    if scope is not EVERY:
        query = query.where(claim_uploads.c.creditor_id == scope)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"ukjent opplasting {upload_id}")
    return row


def _mapping_page(request: Request, who: Principal, row: Any, mapping: dict[str, str] | None,
                  fmt: str, *, status: int = 200, imported: int | None = None) -> Response:
    file_error, result, header = None, None, []
    try:
        header = upload.header_of(row.content, row.filename, fmt)
        if mapping is None:
            with engine_of(request).connect() as conn:
                remembered = conn.execute(select(upload_mappings.c.mapping).where(
                    upload_mappings.c.creditor_id == row.creditor_id)).scalar()
            mapping = upload.default_mapping(header, remembered)
        if imported is None:
            result = upload.preview(row.content, row.filename, mapping, orgnr=row.orgnr,
                                    name=row.creditor_name, fmt=fmt)
    except InvalidInput as exc:
        file_error = str(exc)
        status = 422 if status == 200 else status
    rows = []
    if result is not None:
        good = 0
        for line, cells in result.rows:
            if line in result.problems:
                rows.append((line, cells))
            elif good < SHOWN_GOOD_ROWS:
                good += 1
                rows.append((line, cells))
        hidden = len(result.rows) - len(rows)
    else:
        hidden = 0
    return render(request, "upload_mapping.html", TEXT, status=status, upload=row,
                  header=header, mapping=mapping or {}, fmt=fmt, formats=upload.FORMATS,
                  columns=upload.MAPPED, required=upload.REQUIRED, result=result,
                  rows=rows, hidden=hidden, file_error=file_error, imported=imported,
                  **page_values(request, who))


@router.get("/levere/{upload_id}")
def mapping_page(request: Request, upload_id: int) -> Response:
    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    _may_upload(who, TEXT[language(request)])
    with engine_of(request).connect() as conn:
        row = _upload(conn, who, upload_id)
    if row.imported_at is not None:
        return _mapping_page(request, who, row, None, "auto", imported=row.claims)
    return _mapping_page(request, who, row, None, "auto")


@router.post("/levere/{upload_id}")
def mapping_submit(request: Request, upload_id: int,
                   form: dict[str, str] = Depends(read_form)) -> Response:
    """Preview with the chosen columns, or (``action=import``) import every row or none."""
    who = check_csrf(request, form)
    engine = engine_of(request)
    with engine.connect() as conn:
        row = _upload(conn, who, upload_id)
    _may_upload(who, TEXT[language(request)])
    if row.imported_at is not None:
        return RedirectResponse(f"/levere/{upload_id}", status_code=303)
    mapping = {c: form.get(f"map_{c}", "") for c in upload.MAPPED}
    fmt = form.get("format", "auto")
    fmt = fmt if fmt in upload.FORMATS else "auto"
    if form.get("action") != "import":
        return _mapping_page(request, who, row, mapping, fmt)
    try:
        result = upload.preview(row.content, row.filename, mapping, orgnr=row.orgnr,
                                name=row.creditor_name, fmt=fmt)
    except InvalidInput:
        return _mapping_page(request, who, row, mapping, fmt, status=422)
    if result.problems:
        return _mapping_page(request, who, row, mapping, fmt, status=422)
    act = Actor(who, now(), request.state.request_id)
    try:
        with engine.begin() as conn:
            done = import_rows(conn, result.claims, as_of=today(), source=row.filename,
                               actor=act)
            conn.execute(update(claim_uploads).where(claim_uploads.c.id == upload_id)
                         .values(imported_at=act.at, claims=done.claims))
            _remember(conn, row.creditor_id, {c: h for c, h in mapping.items() if h}, act)
    except ImportRejected as exc:  # e.g. an invoice number the creditor already has
        result.problems.clear()
        for problem in exc.problems:
            upload._add(result, problem, lambda column: mapping.get(column, ""))
        return _render_result(request, who, row, mapping, fmt, result)
    return RedirectResponse(f"/levere/{upload_id}", status_code=303)


def _render_result(request: Request, who: Principal, row: Any, mapping: dict[str, str],
                   fmt: str, result: upload.Preview) -> Response:
    header = result.header
    return render(request, "upload_mapping.html", TEXT, status=422, upload=row, header=header,
                  mapping=mapping, fmt=fmt, formats=upload.FORMATS, columns=upload.MAPPED,
                  required=upload.REQUIRED, result=result,
                  rows=[r for r in result.rows if r[0] in result.problems], hidden=0,
                  file_error=None, imported=None, **page_values(request, who))


def _remember(conn: Connection, creditor_id: int, mapping: dict[str, str], act: Actor) -> None:
    """The creditor's column mapping, offered for its next file."""
    found = conn.execute(update(upload_mappings)
                         .where(upload_mappings.c.creditor_id == creditor_id)
                         .values(mapping=mapping, updated_at=act.at)).rowcount
    if not found:
        conn.execute(insert(upload_mappings).values(creditor_id=creditor_id, mapping=mapping,
                                                    updated_at=act.at))
