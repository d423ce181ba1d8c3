"""The creditor pages for cases: the list (``/saker``, with CSV/XLSX export) and one case
(``/saker/{ref}``) with its timeline and the actions the role allows.

For logged-in people only (a session; an API key is for ``/api/v1``): a creditor's users see
their creditor's cases, agency staff every creditor's (with a creditor filter). Another
creditor's case answers 404 exactly like a missing one (:func:`krav.cases.access.visible_claim`).

Every action is a form with the session's CSRF token that calls the same service function as
the CLI and the API (``krav case approve|withdraw|dispute|resume``, ``krav payments
direct|credit-note``) in one transaction, with its audit row; a bad field is shown next to the
field (``aria-describedby``), a state that refuses the action (409) above the form.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import Connection, select

from krav.accounts.pages import read_form
from krav.accounts.principal import Actor, Principal
from krav.accounts.secrets import csrf_for, same
from krav.audit.tables import audit
from krav.cases import listing, read, service
from krav.cases.access import EVERY, creditor_scope, visible_claim
from krav.cases.model import CLOSE_NB, DEBTOR_KINDS, STAGE_NB, STAGES, STATUS_NB, STATUSES
from krav.db.tables import creditors, events, payments
from krav.kernel.errors import InvalidInput, UnableToProceed
from krav.kernel.money import fmt_nok
from krav.web.deps import SESSION_COOKIE, engine_of, language, now, optional_principal
from krav.web.pages import render
from krav.web.problems import Problem

router = APIRouter(include_in_schema=False)

STAGE_EN = {"invoiced": "invoiced", "reminder": "reminder sent",
            "collection_notice": "collection notice", "awaiting_approval": "awaiting approval",
            "below_minimum": "below minimum", "letters_done": "letters done",
            "collection": "collection", "payment_demand": "payment demand",
            "salaer_lett": "fee (light)", "legal_ready": "ready for legal steps"}
STATUS_EN = {"open": "open", "paused": "paused", "disputed": "disputed", "closed": "closed"}
CLOSE_EN = {"paid": "paid", "withdrawn": "withdrawn", "written_off": "written off",
            "time_barred": "time-barred"}
KIND_NB = {"consumer": "forbruker", "business": "næringsdrivende"}
KIND_EN = {"consumer": "consumer", "business": "business"}

TEXT = {
    "nb": {
        "nav_cases": "Saker", "nav_upload": "Lever krav", "nav_admin": "Administrasjon",
        "nav_home": "Forsiden",
        "logout": "Logg ut", "nav_label": "Hovedmeny",
        "cases_title": "Saker", "filter": "Filter", "status": "Status", "stage": "Fase",
        "age": "Dager over forfall", "min_amount": "Saldo fra (kr)", "max_amount": "Saldo til (kr)",
        "debtor_kind": "Skyldner", "search": "Søk", "creditor": "Oppdragsgiver",
        "search_help": "Saksnummer, fakturanummer, KID, org.nr eller skyldners navn",
        "all": "Alle", "show": "Vis", "reset": "Nullstill", "sort": "Sorter etter",
        "sort_ref": "Saksnummer", "sort_due": "Forfall", "sort_amount": "Saldo",
        "sort_debtor": "Skyldner", "sort_next": "Neste steg", "descending": "Synkende",
        "ref": "Sak", "invoice": "Faktura", "debtor": "Skyldner", "due": "Forfall",
        "balance": "Saldo", "principal": "Hovedstol", "next": "Neste steg",
        "count": "{n} saker", "count_capped": "Over {n} saker – snevre inn filteret",
        "none": "Ingen saker passer filteret.", "page": "Side {page} av {pages}",
        "previous": "Forrige", "next_page": "Neste", "pages_label": "Sider",
        "export": "Last ned listen", "export_csv": "CSV", "export_xlsx": "Excel (XLSX)",
        "table_cases": "Sakene", "days": "dager",
        "case_title": "Sak {ref}", "kid": "KID", "invoice_number": "Fakturanummer",
        "to_pay": "Å betale i dag", "owed_back": "til gode hos oss",
        "interest": "Renter", "fees": "Gebyrer og salær", "accrued": "Påløpt rente, ikke bokført",
        "timeline": "Historikk", "postings": "Posteringer (hvorfor hver krone)",
        "on": "Dato", "kind": "Type", "amount": "Beløp", "rule": "Regel", "basis": "Hjemmel",
        "letter": "Brev", "pdf": "PDF", "payment": "Innbetaling", "audit": "Logg",
        "deadline": "frist", "fee": "gebyr", "actions": "Handlinger",
        "approve": "Godkjenn oversendelse til inkasso",
        "approve_help": "Saken venter på deres godkjenning før den går til inkasso.",
        "withdraw": "Trekk saken", "withdraw_help": "Saken avsluttes; ingenting mer kreves.",
        "reason": "Begrunnelse", "direct_payment": "Registrer direkte betaling",
        "direct_help": "Skyldneren har betalt dere direkte.", "paid_on": "Betalt dato",
        "credit_note": "Kreditnota", "credit_help": "Reduserer hovedstolen.",
        "dispute": "Registrer innsigelse", "dispute_help": "Saken stanses til en saksbehandler "
        "har vurdert innsigelsen (inkassoloven § 17).",
        "answer_dispute": "Svar på innsigelsen", "outcome": "Utfall",
        "uphold": "Kravet står ved lag – saken fortsetter",
        "drop": "Kravet frafalles – saken trekkes",
        "reduce": "Kravet reduseres med en kreditnota – saken fortsetter",
        "amount_reduce": "Beløp å redusere (kr)", "note": "Skriv et notat", "text": "Notat",
        "submit": "Utfør", "error_summary": "Noe må rettes:", "refused": "Ikke utført",
        "done_approve": "Saken er godkjent for inkasso.", "done_withdraw": "Saken er trukket.",
        "done_direct_payment": "Betalingen er registrert.",
        "done_credit_note": "Kreditnotaen er registrert.",
        "done_dispute": "Innsigelsen er registrert.",
        "done_answer_dispute": "Svaret på innsigelsen er registrert.",
        "done_note": "Notatet er lagret.",
        "required": "Må fylles ut.", "choose": "Velg et utfall.",
        "csrf": "Skjemaet er utløpt eller kom ikke fra denne siden. Last siden på nytt og prøv "
                "igjen.",
        "role_refused": "Rollen din kan ikke gjøre dette.",
        "ev_disputed": "Innsigelse", "ev_resumed": "Gjenopptatt", "ev_paused": "Pause",
        "ev_withdrawn": "Trukket", "ev_approved": "Godkjent for inkasso", "ev_note": "Notat",
        "closed_as": "avsluttet", "original": "opprinnelig",
    },
    "en": {
        "nav_cases": "Cases", "nav_upload": "Hand over claims", "nav_admin": "Administration",
        "nav_home": "Front page", "logout": "Log out",
        "nav_label": "Main menu",
        "cases_title": "Cases", "filter": "Filter", "status": "Status", "stage": "Stage",
        "age": "Days past due", "min_amount": "Balance from (NOK)",
        "max_amount": "Balance to (NOK)", "debtor_kind": "Debtor", "search": "Search",
        "creditor": "Creditor",
        "search_help": "Case number, invoice number, KID, org. number or the debtor's name",
        "all": "All", "show": "Show", "reset": "Reset", "sort": "Sort by",
        "sort_ref": "Case number", "sort_due": "Due date", "sort_amount": "Balance",
        "sort_debtor": "Debtor", "sort_next": "Next step", "descending": "Descending",
        "ref": "Case", "invoice": "Invoice", "debtor": "Debtor", "due": "Due",
        "balance": "Balance", "principal": "Principal", "next": "Next step",
        "count": "{n} cases", "count_capped": "More than {n} cases – narrow the filter",
        "none": "No cases match the filter.", "page": "Page {page} of {pages}",
        "previous": "Previous", "next_page": "Next", "pages_label": "Pages",
        "export": "Download the list", "export_csv": "CSV", "export_xlsx": "Excel (XLSX)",
        "table_cases": "The cases", "days": "days",
        "case_title": "Case {ref}", "kid": "KID", "invoice_number": "Invoice number",
        "to_pay": "To pay today", "owed_back": "owed back to the debtor",
        "interest": "Interest", "fees": "Fees", "accrued": "Interest accrued, not yet posted",
        "timeline": "History", "postings": "Postings (why every krone)",
        "on": "Date", "kind": "Kind", "amount": "Amount", "rule": "Rule", "basis": "Legal basis",
        "letter": "Letter", "pdf": "PDF", "payment": "Payment", "audit": "Log",
        "deadline": "deadline", "fee": "fee", "actions": "Actions",
        "approve": "Approve transfer to collection",
        "approve_help": "The case waits for your approval before it goes to collection.",
        "withdraw": "Withdraw the case", "withdraw_help": "The case closes; nothing more is "
        "claimed.", "reason": "Reason", "direct_payment": "Report a direct payment",
        "direct_help": "The debtor paid you directly.", "paid_on": "Paid on",
        "credit_note": "Credit note", "credit_help": "Reduces the principal.",
        "dispute": "Register an objection", "dispute_help": "The case stops until a handler has "
        "assessed the objection (Debt Collection Act § 17).",
        "answer_dispute": "Answer the objection", "outcome": "Outcome",
        "uphold": "The claim stands – the case continues",
        "drop": "The claim is dropped – the case is withdrawn",
        "reduce": "The claim is reduced by a credit note – the case continues",
        "amount_reduce": "Amount to reduce (NOK)", "note": "Write a note", "text": "Note",
        "submit": "Submit", "error_summary": "Please correct:", "refused": "Not done",
        "done_approve": "The case is approved for collection.",
        "done_withdraw": "The case is withdrawn.",
        "done_direct_payment": "The payment is recorded.",
        "done_credit_note": "The credit note is recorded.",
        "done_dispute": "The objection is recorded.",
        "done_answer_dispute": "The answer to the objection is recorded.",
        "done_note": "The note is saved.",
        "required": "Required.", "choose": "Choose an outcome.",
        "csrf": "The form has expired or did not come from this page. Reload the page and try "
                "again.",
        "role_refused": "Your role cannot do this.",
        "ev_disputed": "Objection", "ev_resumed": "Resumed", "ev_paused": "Paused",
        "ev_withdrawn": "Withdrawn", "ev_approved": "Approved for collection", "ev_note": "Note",
        "closed_as": "closed", "original": "originally",
    },
}

#: the URL of each action → its name (the names of ``krav.cases.api.USER_ACTIONS``)
ACTIONS = {"godkjenn": "approve", "trekk": "withdraw", "direkte-betaling": "direct_payment",
           "kreditnota": "credit_note", "innsigelse": "dispute",
           "svar-innsigelse": "answer_dispute", "notat": "note"}
URL_OF = {name: url for url, name in ACTIONS.items()}
#: what a ``creditor_user`` may do (as the API's ``USER_ACTIONS``, and a note)
USER_ACTIONS = ("dispute", "direct_payment", "note")
FIELD_OF = {"AMOUNT": "amount", "--reason": "reason", "--text": "text", "--on": "on"}


def today() -> date:
    """The day (read at the entry point)."""
    return date.today()


def person(request: Request) -> Principal | None:
    """The logged-in person (a session, not an API key), or ``None``."""
    who = optional_principal(request)
    return who if who is not None and who.kind == "user" else None


def csrf_token(request: Request) -> str:
    return csrf_for(request.cookies.get(SESSION_COOKIE, ""))


def check_csrf(request: Request, form: dict[str, str]) -> Principal:
    """The person posting ``form`` with the session's CSRF token; 403 otherwise."""
    who = person(request)
    if who is None or not same(form.get("csrf", ""), csrf_token(request)):
        raise Problem(403, TEXT[language(request)]["csrf"])
    return who


def labels(lang: str) -> dict[str, dict[str, str]]:
    """The words for stages, statuses, close reasons and debtor kinds in ``lang``."""
    if lang == "en":
        return {"stage": STAGE_EN, "status": STATUS_EN, "close": CLOSE_EN, "kind": KIND_EN}
    return {"stage": STAGE_NB, "status": STATUS_NB, "close": CLOSE_NB, "kind": KIND_NB}


def day_text(lang: str):  # type: ignore[no-untyped-def]
    def fmt(day: date | None) -> str:
        if day is None:
            return ""
        return day.strftime("%d.%m.%Y") if lang == "nb" else day.isoformat()
    return fmt


def page_values(request: Request, who: Principal) -> dict[str, Any]:
    """What every creditor page's template uses: the CSRF token, formatters, labels, the user."""
    lang = language(request)
    return {"csrf": csrf_token(request), "nok": fmt_nok, "day": day_text(lang),
            "names": labels(lang), "who": who,
            "full": who.is_staff or "creditor_admin" in who.roles,
            "staff": creditor_scope(who) is EVERY}


# --- the list ---------------------------------------------------------------------------------


def _creditor_choices(conn: Connection, who: Principal) -> list[Any]:
    if creditor_scope(who) is not EVERY:
        return []
    return conn.execute(select(creditors.c.orgnr, creditors.c.name)
                        .order_by(creditors.c.name)).all()


@router.get("/saker")
def cases_page(request: Request) -> Response:
    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    f = listing.parse_filter(request.query_params)
    with engine_of(request).connect() as conn:
        page = listing.page_of(conn, f, who, today())
        choices = _creditor_choices(conn, who)
    return render(request, "cases.html", TEXT, f=f, page=page, creditors=choices,
                  statuses=STATUSES, stages=STAGES, ages=tuple(listing.AGE_BUCKETS),
                  kinds=DEBTOR_KINDS, sorts=tuple(listing.SORTS), max_rows=listing.MAX_ROWS,
                  status=422 if f.errors else 200, **page_values(request, who))


def _export_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


@router.get("/saker/eksport.csv")
def cases_csv(request: Request) -> Response:
    """The filtered list as CSV the way Norwegian Excel opens it: UTF-8 with BOM, semicolons,
    decimal comma, ISO dates."""
    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    f = listing.parse_filter(request.query_params)
    engine, day = engine_of(request), today()

    def lines() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([name for _, name in listing.EXPORT_COLUMNS])
        with engine.connect() as conn:
            for n, row in enumerate(listing.export_rows(conn, f, who, day)):
                writer.writerow([_export_cell(row[key]) for key, _ in listing.EXPORT_COLUMNS])
                if n % 500 == 499:
                    yield out.getvalue().encode("utf-8")
                    out.seek(0)
                    out.truncate()
        yield out.getvalue().encode("utf-8")

    def with_bom() -> Iterator[bytes]:
        yield "\ufeff".encode()
        yield from lines()

    return StreamingResponse(with_bom(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="saker-{day.isoformat()}.csv"'})


@router.get("/saker/eksport.xlsx")
def cases_xlsx(request: Request) -> Response:
    """The filtered list as an Excel workbook (openpyxl, write-only): amounts as numbers with
    two decimals, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    f = listing.parse_filter(request.query_params)
    day = today()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Saker")
    sheet.append([name for _, name in listing.EXPORT_COLUMNS])
    with engine_of(request).connect() as conn:
        for row in listing.export_rows(conn, f, who, day):
            cells = []
            for key, _ in listing.EXPORT_COLUMNS:
                value = row[key]
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, Decimal):
                    cell.number_format = "#,##0.00"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={"Content-Disposition":
                                                    f'attachment; filename="saker-'
                                                    f'{day.isoformat()}.xlsx"'})


# --- one case ---------------------------------------------------------------------------------


def allowed_actions(who: Principal, view: dict[str, Any]) -> set[str]:
    """The actions ``who`` may take on the case as it stands."""
    full = who.is_staff or "creditor_admin" in who.roles
    status, stage = view["status"], view["stage"]
    acts = {"note"}
    if status != "closed":
        acts.add("direct_payment")
        if status != "disputed":
            acts.add("dispute")
        if full:
            acts |= {"withdraw", "credit_note"}
    if full and status == "open" and stage == "awaiting_approval":
        acts.add("approve")
    if full and status == "disputed":
        acts.add("answer_dispute")
    return acts


def _basis(p: dict[str, Any], fmt: Any) -> str:
    """A posting's legal basis as ``krav case show`` prints it."""
    text = p["reference"]
    if "period" in p:
        period, days = p["period"], p["period"]["days"]
        rates = " / ".join(f"{r['rate']} % per år" for r in p["rates"])
        text += (f", {fmt(period['from'])}–{fmt(period['through'])} "
                 f"({days} {'dag' if days == 1 else 'dager'}, {rates})")
    if p["rule"] == "residual-write-off" and "threshold" in p["inputs"]:
        text += (f": rest {fmt_nok(Decimal(p['inputs']['rest']))} under "
                 f"{fmt_nok(Decimal(p['inputs']['threshold']))}")
    return text


def _timeline(conn: Connection, claim_id: int, view: dict[str, Any],
              t: dict[str, str]) -> list[dict[str, Any]]:
    """The case's history, newest first: letters (with their PDF), payments, events (disputes,
    notes, approvals …) and the audit trail's rows about it."""
    items: list[dict[str, Any]] = []
    for letter in view["letters"]:
        items.append({"on": letter["sent_on"], "kind": t["letter"], "title": letter["kind"],
                      "letter": letter, "pdf": f"/api/v1/letters/{letter['id']}.pdf"})
    for p in conn.execute(select(payments.c.paid_on, payments.c.amount_ore, payments.c.source,
                                 payments.c.status)
                          .where(payments.c.claim_id == claim_id).order_by(payments.c.id)):
        items.append({"on": p.paid_on, "kind": t["payment"], "amount": Decimal(p.amount_ore) / 100,
                      "title": f"{p.source} ({p.status})"})
    for e in conn.execute(select(events.c.on, events.c.kind, events.c.detail, events.c.actor)
                          .where(events.c.claim_id == claim_id).order_by(events.c.id)):
        detail = e.detail or {}
        items.append({"on": e.on, "kind": t.get(f"ev_{e.kind}", e.kind),
                      "title": detail.get("text") or detail.get("reason") or "",
                      "actor": e.actor})
    for a in conn.execute(select(audit.c.at, audit.c.actor, audit.c.action)
                          .where(audit.c.claim_id == claim_id).order_by(audit.c.id)):
        items.append({"on": a.at.date(), "kind": t["audit"], "title": a.action,
                      "actor": a.actor, "at": a.at})
    return sorted(items, key=lambda i: i["on"], reverse=True)


def _case_response(request: Request, who: Principal, ref: str, *, status: int = 200,
                   errors: dict[str, str] | None = None, refused: str | None = None,
                   open_form: str | None = None, values: dict[str, str] | None = None
                   ) -> Response:
    lang = language(request)
    t = {**TEXT[lang]}
    day = today()
    with engine_of(request).connect() as conn:
        claim_id, orgnr = visible_claim(conn, ref, who)
        view = read.case_view(conn, ref.strip().upper(), as_of=day, creditor=orgnr)
        timeline = _timeline(conn, claim_id, view, t)
    fmt = day_text(lang)
    posting_rows = [{**p, "basis": _basis(p, fmt)} for p in view["postings"]]
    done = request.query_params.get("utfort", "")
    notice = t.get(f"done_{done}") if done in URL_OF else None
    return render(request, "case.html", TEXT, status=status, view=view, timeline=timeline,
                  postings=posting_rows, actions=allowed_actions(who, view), url_of=URL_OF,
                  errors=errors or {}, refused=refused, open_form=open_form,
                  values=values or {}, notice=notice, today=day, **page_values(request, who))


@router.get("/saker/{ref}")
def case_page(request: Request, ref: str) -> Response:
    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    return _case_response(request, who, ref)


def _form_amount(form: dict[str, str], name: str, errors: dict[str, str],
                 t: dict[str, str]) -> Decimal | None:
    text = form.get(name, "").strip()
    if not text:
        errors[name] = t["required"]
        return None
    try:
        return listing.parse_amount_field(text, name)
    except InvalidInput as exc:
        errors[name] = exc.what + (f" ({exc.allowed})" if exc.allowed else "")
        return None


def _form_day(form: dict[str, str], name: str, errors: dict[str, str], day: date) -> date:
    from krav.kernel.dates import parse_date

    text = form.get(name, "").strip()
    if not text:
        return day
    try:
        found = parse_date(text, where=name)
    except InvalidInput as exc:
        errors[name] = exc.what
        return day
    if found > day:
        errors[name] = f"{found.isoformat()} er fram i tid"
    return found


@router.post("/saker/{ref}/{action}")
def case_action(request: Request, ref: str, action: str,
                form: dict[str, str] = Depends(read_form)) -> Response:
    """One action on the case (``ACTIONS``), then back to the case page (303) with a notice."""
    who = check_csrf(request, form)
    name = ACTIONS.get(action)
    if name is None:
        raise Problem(404, f"ingen side eller ressurs på {request.url.path[:200]}")
    engine = engine_of(request)
    with engine.connect() as conn:
        visible_claim(conn, ref, who)  # 404 for another creditor's case, as for a missing one
    t = TEXT[language(request)]
    if not (who.is_staff or "creditor_admin" in who.roles) and name not in USER_ACTIONS:
        raise Problem(403, t["role_refused"])
    ref = ref.strip().upper()
    act = Actor(who, now(), request.state.request_id)
    day = today()
    errors: dict[str, str] = {}
    reason = form.get("reason", "").strip()
    try:
        with engine.begin() as conn:
            if name == "approve":
                service.approve(conn, ref, on=day, actor=act)
            elif name == "withdraw":
                service.withdraw(conn, ref, on=day, reason=reason, actor=act)
            elif name == "dispute":
                if not reason:
                    errors["reason"] = t["required"]
                else:
                    service.dispute(conn, ref, on=day, reason=reason, actor=act)
            elif name == "note":
                if not form.get("text", "").strip():
                    errors["text"] = t["required"]
                else:
                    service.note(conn, ref, on=day, text=form.get("text", ""), actor=act)
            elif name == "direct_payment":
                from krav.payments.queue import direct_payment

                amount = _form_amount(form, "amount", errors, t)
                paid_on = _form_day(form, "paid_on", errors, day)
                if not errors and amount is not None:
                    direct_payment(conn, ref, amount, on=paid_on, as_of=day, actor=act)
            elif name == "credit_note":
                _credit_note(conn, ref, form, errors, t, day, act)
            elif name == "answer_dispute":
                _answer_dispute(conn, ref, form, errors, t, day, act)
            if errors:
                raise _Invalid()
    except _Invalid:
        return _case_response(request, who, ref, status=422, errors=errors, open_form=name,
                              values=form)
    except InvalidInput as exc:
        field = FIELD_OF.get(exc.where or "", "")
        message = exc.what + (f" ({exc.allowed})" if exc.allowed else "")
        if field == "on" and name == "direct_payment":
            field = "paid_on"
        if field and field in form:
            return _case_response(request, who, ref, status=422, errors={field: message},
                                  open_form=name, values=form)
        return _case_response(request, who, ref, status=422, refused=message, open_form=name,
                              values=form)
    except UnableToProceed as exc:
        return _case_response(request, who, ref, status=409, refused=str(exc), open_form=name,
                              values=form)
    return RedirectResponse(f"/saker/{ref}?utfort={name}", status_code=303)


class _Invalid(Exception):
    """A field of the form is bad: nothing is written (the transaction rolls back)."""


def _credit_note(conn: Connection, ref: str, form: dict[str, str], errors: dict[str, str],
                 t: dict[str, str], day: date, act: Actor) -> None:
    from krav.payments.queue import credit_note_for

    amount = _form_amount(form, "amount", errors, t)
    reason = form.get("reason", "").strip()
    if not reason:
        errors["reason"] = t["required"]
    if not errors and amount is not None:
        credit_note_for(conn, ref, amount, on=day, reason=reason, actor=act)


def _answer_dispute(conn: Connection, ref: str, form: dict[str, str], errors: dict[str, str],
                    t: dict[str, str], day: date, act: Actor) -> None:
    """The creditor's answer to an objection: the claim stands (``resume``: the case goes on,
    with new deadlines from today), is dropped (``withdraw``) or reduced by a credit note and
    then resumed — all in one transaction."""
    outcome = form.get("outcome", "")
    claim = service.claim_by_ref(conn, ref)
    if outcome not in ("uphold", "drop", "reduce"):
        errors["outcome"] = t["choose"]
        return
    if claim["status"] != "disputed":
        raise UnableToProceed(f"sak {ref} er ikke bestridt")
    if outcome == "uphold":
        service.resume(conn, ref, on=day, actor=act)
    elif outcome == "drop":
        service.withdraw(conn, ref, on=day, reason=form.get("reason", "").strip()
                         or "innsigelse tatt til følge", actor=act)
    else:
        _credit_note(conn, ref, form, errors, t, day, act)
        if not errors and service.claim_by_ref(conn, ref)["status"] == "disputed":
            service.resume(conn, ref, on=day, actor=act)
