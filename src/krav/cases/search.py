"""Finding a case the way people ask for it: its ref, a KID, an invoice number, a debtor's org
number (or fødselsnummer) or a debtor's name.

One resolver serves ``krav case show REF`` (exactly one case, or a one-line message listing the
candidates) and ``krav cases --search TEXT`` (every match). Exact identifiers come first, each an
indexed lookup (``claims.ref``, ``claims.kid``, ``claims.invoice_number``, ``debtors.national_id``);
only when none of them matches is the text taken as part of a debtor's name (case-insensitive,
also for æ, ø and å on SQLite: ``krav_fold`` in ``db.engine``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select

from krav.db.tables import claims, creditors, debtors
from krav.kernel.errors import InvalidInput, NotFound

# How many candidates a "which one?" message names before it says how many more there are.
SHOWN = 8


def creditor_id_of(conn: Connection, orgnr: str) -> int:
    """The id of the creditor with ``orgnr``; an unknown one is refused, not an empty list."""
    found = conn.execute(select(creditors.c.id)
                         .where(creditors.c.orgnr == orgnr.replace(" ", ""))).scalar()
    if found is None:
        raise NotFound(f"ukjent oppdragsgiver {orgnr!r} (se `krav creditor list`)")
    return int(found)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_ids(conn: Connection, text: str, *, creditor: str | None = None) -> list[int]:
    """Ids of the claims ``text`` names, in id order (module docstring); ``creditor`` (org
    number) narrows to one creditor's claims."""
    term = text.strip()
    if not term:
        raise InvalidInput("tomt søk", where="søk",
                           allowed="saksnummer, KID, fakturanummer, org.nr eller navn")
    creditor_id = None if creditor is None else creditor_id_of(conn, creditor)

    def narrowed(query: Select[Any]) -> Select[Any]:
        if creditor_id is not None:
            query = query.where(claims.c.creditor_id == creditor_id)
        return query

    condition = matching_condition(conn, term, creditor_id=creditor_id)
    query = select(claims.c.id).join(debtors, debtors.c.id == claims.c.debtor_id) \
        .where(condition).order_by(claims.c.id)
    return list(conn.execute(narrowed(query)).scalars())


def matching_condition(conn: Connection, text: str, *,
                       creditor_id: int | None = None) -> ColumnElement[bool]:
    """The condition (over ``claims`` joined with ``debtors``) for the claims ``text`` names:
    the ids of the exact matches (each an indexed lookup), else part of a debtor's name. The
    creditor pages' list (``cases.listing``) composes it with its filters and paging, so a name
    that matches many claims is never loaded as a list of ids."""
    term = text.strip()
    if not term:
        raise InvalidInput("tomt søk", where="søk",
                           allowed="saksnummer, KID, fakturanummer, org.nr eller navn")

    def narrowed(query: Select[Any]) -> Select[Any]:
        if creditor_id is not None:
            query = query.where(claims.c.creditor_id == creditor_id)
        return query

    digits = term.replace(" ", "")
    exact: set[int] = set()
    lookups = [claims.c.ref == term.upper(), claims.c.kid == digits,
               claims.c.invoice_number == term]
    for condition in lookups:  # each an indexed lookup of its own
        exact.update(conn.execute(narrowed(select(claims.c.id).where(condition))).scalars())
    if digits.isdigit():
        exact.update(conn.execute(narrowed(
            select(claims.c.id).join(debtors, debtors.c.id == claims.c.debtor_id)
            .where(debtors.c.national_id == digits))).scalars())
    if exact:
        return claims.c.id.in_(sorted(exact))
    fold = func.krav_fold if conn.dialect.name == "sqlite" else func.lower
    pattern = f"%{_escape_like(term.lower())}%"
    return or_(fold(debtors.c.name).like(pattern, escape="\\"))


def resolve_one(conn: Connection, text: str, *, creditor: str | None = None) -> int:
    """The one claim ``text`` names; otherwise one line saying none or which ones matched."""
    ids = matching_ids(conn, text, creditor=creditor)
    if not ids:
        raise NotFound(f"fant ingen sak for {text.strip()!r} (søk på saksnummer, KID, "
                       "fakturanummer, org.nr eller skyldners navn; se `krav cases`)")
    if len(ids) == 1:
        return ids[0]
    rows = conn.execute(
        select(claims.c.ref, claims.c.invoice_number, creditors.c.name, creditors.c.orgnr,
               debtors.c.name.label("debtor"))
        .join(creditors, creditors.c.id == claims.c.creditor_id)
        .join(debtors, debtors.c.id == claims.c.debtor_id)
        .where(claims.c.id.in_(ids[:SHOWN])).order_by(claims.c.id)).all()
    listed = "; ".join(f"{r.ref} (faktura {r.invoice_number}, {r.name} {r.orgnr}, {r.debtor})"
                       for r in rows)
    more = f" og {len(ids) - SHOWN} til" if len(ids) > SHOWN else ""
    hint = "oppgi saksnummeret" + ("" if creditor else " eller --creditor ORGNR") + \
        f" (alle: krav cases --search {text.strip()!r})"
    raise InvalidInput(f"{text.strip()!r} passer på {len(ids)} saker: {listed}{more}; {hint}")
