"""Tenancy: which claims a principal may see, enforced in the queries that load claims.

Agency staff (``admin``/``handler`` sessions, and the operator at the terminal) see every
creditor's claims; a creditor's people and its API keys only that creditor's. A claim of another
creditor is answered exactly like one that does not exist (no "it exists, but not yours"): the
API must not tell a creditor which refs another creditor has (personopplysningsloven art. 5(1)(f),
confidentiality; inkassoloven § 10 good collection practice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, false, select

from krav.db.tables import claims, creditors
from krav.kernel.errors import NotFound

if TYPE_CHECKING:
    from krav.accounts.principal import Principal

EVERY = None  # the scope of agency staff


def creditor_scope(principal: Principal) -> int | None:
    """The one creditor id ``principal`` is confined to, or ``None`` for every creditor (staff).
    A principal that is neither staff nor bound to a creditor is confined to no creditor (-1)."""
    if principal.kind == "cli" or principal.is_staff:
        return EVERY
    return principal.creditor_id if principal.creditor_id is not None else -1


def scoped(query: Select[Any], principal: Principal | None) -> Select[Any]:
    """``query`` (over ``claims``) narrowed to the claims ``principal`` may see."""
    if principal is None:
        return query
    scope = creditor_scope(principal)
    if scope is EVERY:
        return query
    if scope < 0:
        return query.where(false())
    return query.where(claims.c.creditor_id == scope)


def visible_claim(conn: Connection, ref: str, principal: Principal) -> tuple[int, str]:
    """The id and the creditor's org number of the claim with exactly ``ref`` that ``principal``
    may see; :class:`NotFound` (the same for "no such ref" and "not yours") otherwise."""
    row = conn.execute(scoped(
        select(claims.c.id, creditors.c.orgnr)
        .join(creditors, creditors.c.id == claims.c.creditor_id)
        .where(claims.c.ref == ref.strip().upper()), principal)).first()
    if row is None:
        raise NotFound(f"ukjent sak {ref.strip()[:40]!r}")
    return row.id, row.orgnr
