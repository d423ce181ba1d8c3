"""Write and read the audit trail.

:func:`record` is called by the service function that makes a change, on the same connection
(so in the same transaction): the change and its audit row commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from krav.accounts.principal import Actor
from krav.audit.tables import audit
from krav.db.tables import claims, creditors
from krav.kernel.errors import NotFound
from krav.kernel.ids import validate_orgnr


def record(conn: Connection, actor: Actor | None, action: str, *, claim_id: int | None = None,
           creditor_id: int | None = None, details: dict[str, Any] | None = None) -> None:
    """Append one row: ``actor`` did ``action`` (to a claim and/or a creditor).

    Every entry point (CLI command, API route, page) passes its actor; ``None`` is left for
    internal callers (tests, benchmarks, the demo's own set-up) and records nothing.
    ``tests/e2e/test_audit_cli.py`` checks that each command that changes data writes its row."""
    if actor is None:
        return
    conn.execute(insert(audit).values(
        at=actor.at, actor=actor.label[:300], action=action, claim_id=claim_id,
        creditor_id=creditor_id, request_id=actor.request_id, details=details))


def record_many(conn: Connection, actor: Actor | None, action: str,
                rows: Iterable[tuple[int | None, int | None, dict[str, Any] | None]]) -> None:
    """Append one row per ``(claim_id, creditor_id, details)``, in one statement."""
    if actor is None:
        return
    values = [{"at": actor.at, "actor": actor.label[:300], "action": action,
               "claim_id": claim_id, "creditor_id": creditor_id,
               "request_id": actor.request_id, "details": details}
              for claim_id, creditor_id, details in rows]
    if values:
        conn.execute(insert(audit), values)


def claim_and_creditor(conn: Connection, ref: str) -> tuple[int, int]:
    """The ids an audit row about case ``ref`` names."""
    row = conn.execute(select(claims.c.id, claims.c.creditor_id)
                       .where(claims.c.ref == ref)).first()
    if row is None:
        raise NotFound(f"ukjent sak {ref!r}")
    return row.id, row.creditor_id


def creditor_id_for(conn: Connection, orgnr: str, where: str = "--creditor") -> int:
    orgnr = validate_orgnr(orgnr, where=where)
    found = conn.execute(select(creditors.c.id).where(creditors.c.orgnr == orgnr)).scalar()
    if found is None:
        raise NotFound(f"ukjent kreditor {orgnr} (se `krav creditor list`)")
    return found


def history(conn: Connection, *, ref: str | None = None, creditor_orgnr: str | None = None,
            limit: int | None = None) -> list[dict[str, Any]]:
    """Audit rows, oldest first, for one case, one creditor (its own rows and its cases'), or
    all of them."""
    query = (select(audit, claims.c.ref, creditors.c.orgnr)
             .outerjoin(claims, claims.c.id == audit.c.claim_id)
             .outerjoin(creditors, creditors.c.id == audit.c.creditor_id)
             .order_by(audit.c.id))
    if ref is not None:
        claim_id, _ = claim_and_creditor(conn, ref)
        query = query.where(audit.c.claim_id == claim_id)
    if creditor_orgnr is not None:
        query = query.where(audit.c.creditor_id == creditor_id_for(conn, creditor_orgnr))
    if limit is not None:
        query = query.order_by(None).order_by(audit.c.id.desc()).limit(limit)
    rows = [{"id": r.id, "at": _iso(r.at), "actor": r.actor, "action": r.action,
             "case": r.ref, "creditor": r.orgnr, "request_id": r.request_id,
             "details": r.details or {}} for r in conn.execute(query)]
    return sorted(rows, key=lambda r: r["id"])


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds") + "Z"
