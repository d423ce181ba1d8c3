"""The cases list of the creditor pages (``/saker``): filters, search, sorting and pages, and
the same filtered list as CSV or XLSX.

One query per page, set-wise: the filters are SQL conditions on ``claims`` (joined with
``debtors`` and ``creditors``), the search is :func:`krav.cases.search.matching_condition`
composed into it, the tenancy is :func:`krav.cases.access.scoped`. Pages are offsets capped at
:data:`MAX_ROWS` rows (a person narrows the filter rather than paging past 10 000 cases), and
the count is capped the same way (``count(*)`` over at most ``MAX_ROWS + 1`` rows), so a list
over a million claims costs one indexed or top-N query, never a walk of every row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, func, select

from krav.cases.access import EVERY, creditor_scope, scoped
from krav.cases.model import DEBTOR_KINDS, STAGES, STATUSES
from krav.cases.search import creditor_id_of, matching_condition
from krav.db.tables import claims, creditors, debtors
from krav.kernel.errors import InvalidInput, NotFound
from krav.kernel.money import from_ore, parse_amount

if TYPE_CHECKING:
    from krav.accounts.principal import Principal

PAGE_SIZE = 50
MAX_ROWS = 10_000  # the deepest a page goes, and where the count stops
EXPORT_MAX = 100_000  # rows in one CSV/XLSX export
#: days past due (``as_of - due``) of each age bucket, as the KPI's ``outstanding_by_age``;
#: a claim not yet due counts as 0–30
AGE_BUCKETS: dict[str, tuple[int | None, int | None]] = {
    "0-30": (None, 30), "31-60": (31, 60), "61-90": (61, 90), "91-180": (91, 180),
    "180+": (181, None)}
BALANCE = claims.c.principal_ore + claims.c.interest_ore + claims.c.costs_ore
SORTS = {"ref": claims.c.id, "due": claims.c.due_date, "amount": BALANCE,
         "debtor": debtors.c.name, "next": claims.c.next_action_on}


@dataclass(frozen=True)
class CaseFilter:
    """What the list shows: every field optional (``None``: no filter)."""

    status: str | None = None
    stage: str | None = None
    age: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    debtor_kind: str | None = None
    search: str | None = None
    creditor: str | None = None  # org number; agency staff only
    sort: str = "ref"
    descending: bool = False
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)  # field → message, for the form

    def query_string(self, **changes: Any) -> str:
        """The filter as the list's query string (``page``, ``sort`` … changed by ``changes``)."""
        from urllib.parse import urlencode

        f = replace(self, **changes)
        pairs = {"status": f.status, "fase": f.stage, "alder": f.age,
                 "fra": _amount_text(f.min_amount), "til": _amount_text(f.max_amount),
                 "skyldner": f.debtor_kind, "sok": f.search, "oppdragsgiver": f.creditor,
                 "sorter": None if f.sort == "ref" else f.sort,
                 "synkende": "1" if f.descending else None,
                 "side": str(f.page) if f.page > 1 else None}
        return urlencode({k: v for k, v in pairs.items() if v})


def _amount_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def parse_amount_field(text: str, where: str) -> Decimal:
    """An amount as a person types it in a form: ``1 234,50`` or ``1234.50``."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    return parse_amount(raw, where=where, allow_zero=True)


def parse_filter(params: Mapping[str, str]) -> CaseFilter:
    """The filter from the list's query parameters (Norwegian names, as in the URL); a bad value
    is kept out of the filter and named in ``errors`` under its parameter."""
    errors: dict[str, str] = {}

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        if value not in allowed:
            errors[name] = f"ukjent verdi {value[:40]!r}"
            return None
        return value

    def amount(name: str) -> Decimal | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        try:
            return parse_amount_field(value, name)
        except InvalidInput as exc:
            errors[name] = exc.what
            return None

    page_text = (params.get("side") or "1").strip()
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
    sort = choice("sorter", tuple(SORTS)) or "ref"
    search = (params.get("sok") or "").strip()[:100] or None
    creditor = (params.get("oppdragsgiver") or "").replace(" ", "")[:9] or None
    return CaseFilter(status=choice("status", STATUSES), stage=choice("fase", STAGES),
                      age=choice("alder", tuple(AGE_BUCKETS)), min_amount=amount("fra"),
                      max_amount=amount("til"), debtor_kind=choice("skyldner", DEBTOR_KINDS),
                      search=search, creditor=creditor, sort=sort,
                      descending=params.get("synkende") == "1", page=page, errors=errors)


def _query(conn: Connection, f: CaseFilter, principal: Principal, as_of: date) -> Select[Any]:
    query = (select(claims.c.id, claims.c.ref, claims.c.invoice_number, claims.c.status,
                    claims.c.stage, claims.c.close_reason, claims.c.due_date,
                    claims.c.next_action_on, claims.c.original_principal_ore,
                    BALANCE.label("balance_ore"), debtors.c.name.label("debtor"),
                    debtors.c.kind.label("debtor_kind"), creditors.c.name.label("creditor"),
                    creditors.c.orgnr.label("creditor_orgnr"))
             .join(debtors, debtors.c.id == claims.c.debtor_id)
             .join(creditors, creditors.c.id == claims.c.creditor_id))
    query = scoped(query, principal)
    creditor_id = None
    if f.creditor and creditor_scope(principal) is EVERY:
        try:
            creditor_id = creditor_id_of(conn, f.creditor)
        except NotFound:
            creditor_id = -1
        query = query.where(claims.c.creditor_id == creditor_id)
    if f.search:
        query = query.where(matching_condition(conn, f.search, creditor_id=creditor_id))
    if f.status:
        query = query.where(claims.c.status == f.status)
    if f.stage:
        query = query.where(claims.c.stage == f.stage)
    if f.debtor_kind:
        query = query.where(debtors.c.kind == f.debtor_kind)
    if f.age:
        low, high = AGE_BUCKETS[f.age]
        if low is not None:  # at least ``low`` days past due: due on or before as_of - low
            query = query.where(claims.c.due_date <= as_of - timedelta(days=low))
        if high is not None:
            query = query.where(claims.c.due_date >= as_of - timedelta(days=high))
    if f.min_amount is not None:
        query = query.where(BALANCE >= int(f.min_amount * 100))
    if f.max_amount is not None:
        query = query.where(BALANCE <= int(f.max_amount * 100))
    column = SORTS[f.sort]
    order = column.desc() if f.descending else column.asc()
    tiebreak = claims.c.id.desc() if f.descending else claims.c.id.asc()
    return query.order_by(order, tiebreak) if f.sort != "ref" else query.order_by(order)


def _row(r: Any, as_of: date) -> dict[str, Any]:
    return {"ref": r.ref, "invoice_number": r.invoice_number, "status": r.status,
            "stage": r.stage, "close_reason": r.close_reason, "due": r.due_date,
            "days_past_due": max(0, (as_of - r.due_date).days),
            "next_action_on": r.next_action_on,
            "principal": from_ore(r.original_principal_ore), "balance": from_ore(r.balance_ore),
            "debtor": r.debtor, "debtor_kind": r.debtor_kind, "creditor": r.creditor,
            "creditor_orgnr": r.creditor_orgnr}


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int  # capped at MAX_ROWS + 1 (then "more than MAX_ROWS")
    page: int
    pages: int

    @property
    def capped(self) -> bool:
        return self.total > MAX_ROWS


def page_of(conn: Connection, f: CaseFilter, principal: Principal, as_of: date) -> Page:
    """One page of the filtered list and the (capped) count: two queries."""
    query = _query(conn, f, principal, as_of)
    total = conn.execute(select(func.count()).select_from(
        query.with_only_columns(claims.c.id).order_by(None).limit(MAX_ROWS + 1).subquery())
    ).scalar_one()
    pages = max(1, -(-min(total, MAX_ROWS) // PAGE_SIZE))
    page = min(f.page, pages)
    rows = conn.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page([_row(r, as_of) for r in rows], total, page, pages)


EXPORT_COLUMNS = (("ref", "saksnummer"), ("invoice_number", "fakturanummer"),
                  ("creditor_orgnr", "oppdragsgiver_orgnr"), ("creditor", "oppdragsgiver"),
                  ("debtor", "skyldner"), ("debtor_kind", "skyldnertype"), ("status", "status"),
                  ("stage", "fase"), ("due", "forfall"), ("days_past_due", "dager_over_forfall"),
                  ("principal", "hovedstol"), ("balance", "saldo"),
                  ("next_action_on", "neste_steg"))


def export_rows(conn: Connection, f: CaseFilter, principal: Principal,
                as_of: date) -> Iterator[dict[str, Any]]:
    """Every row of the filtered list (at most :data:`EXPORT_MAX`), in its order, streamed."""
    query = _query(conn, f, principal, as_of).limit(EXPORT_MAX)
    for r in conn.execution_options(yield_per=2000).execute(query):
        yield _row(r, as_of)
