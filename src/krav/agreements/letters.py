"""The agreements' letters: confirmations (deferral, plan) and the breach notice.

Each is a row in the letters outbox with a self-contained content snapshot (``cases.content``),
about the agreement's first claim; the content names every claim the agreement covers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, insert

from krav.cases.content import content_for_claim
from krav.db.tables import letters
from krav.law import law_book
from krav.settings import load_settings


def sender_of(claim: Any) -> str:
    from krav.agreements.service import sender_of as sender

    return sender(claim)


def queue_letter(conn: Connection, claim: Any, *, kind: str, key: str, on: date,
                 deadline: date | None, extra: dict[str, Any] | None = None) -> int:
    """Queue one letter of ``kind`` about ``claim`` (no fee: an agreement's letters are free)."""
    sender = sender_of(claim)
    content = content_for_claim(conn, claim["id"], kind=kind, sent_on=on, deadline=deadline,
                                sender=sender, agency=load_settings().agency, book=law_book(),
                                extra=extra)
    return conn.execute(insert(letters).values(
        claim_id=claim["id"], step_key=key[:60], kind=kind, sender=sender, sent_on=on,
        deadline=deadline, fee_ore=0, language=content["language"], content=content,
        status="pending", attempts=0).returning(letters.c.id)).scalar_one()
