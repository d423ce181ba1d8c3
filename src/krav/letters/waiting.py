"""Letters that wait for a person, and why: the reporting behind ``krav dispatch``,
``krav letters print-batch`` and the needs-attention queue (``krav letters attention``).

A command that leaves letters unsent says how many and why (issue 8 part 7): the reason is the
letter's ``last_error`` with the letter's own id taken out, so that the same cause on many
letters is counted once ("kreditor: mangler feltet 'address': 12").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from krav.db.tables import claims, letters

#: Letter states that need a person before anything more happens.
WAITING = ("parked", "held")
STATUS_NB = {
    "pending": "venter på utsending", "sending": "sendes nå", "print": "i utskriftskøen",
    "sent": "sendt", "parked": "parkert", "held": "holdt tilbake", "cancelled": "kansellert",
    "printed": "skrevet ut, ikke levert til posten", "returned": "returnert",
}
_LETTER_PREFIX = re.compile(r"^brev(?: nr\.)? \d+\.?")
_KEY = re.compile(r"letter-\d+-")
_PARTY = {"creditor": "kreditor", "debtor": "skyldner"}


def status_nb(status: str) -> str:
    return STATUS_NB.get(status, status)


def reason(error: str | None, letter_id: int | None = None) -> str:
    """The cause in ``last_error``, without the letter's id (so equal causes count as one)."""
    if not error:
        return "ingen årsak registrert"
    text = _KEY.sub("letter-…-", _LETTER_PREFIX.sub("", error.strip().splitlines()[0]))
    if letter_id is not None:
        text = re.sub(rf"(?<![0-9]){letter_id}(?![0-9])", "ID", text)
    text = text.rstrip(". ")
    head, sep, rest = text.partition(": ")
    if sep and head in _PARTY:
        text = f"{_PARTY[head]}: {rest}"
    return text[:200]


def waiting_letters(conn: Connection, *, day: date | None = None,
                    ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Parked and held letters (of ``day``, or among ``ids``), with case and reason."""
    query = (select(letters.c.id, claims.c.ref, claims.c.status.label("case_status"),
                    claims.c.stage, letters.c.kind, letters.c.sent_on,
                    letters.c.status, letters.c.attempts, letters.c.last_error)
             .join(claims, claims.c.id == letters.c.claim_id)
             .where(letters.c.status.in_(WAITING)).order_by(letters.c.sent_on, letters.c.id))
    if day is not None:
        query = query.where(letters.c.sent_on == day)
    if ids is not None:
        chosen = sorted(set(ids))
        if not chosen:
            return []
        rows: list[dict[str, Any]] = []
        for start in range(0, len(chosen), 1000):
            rows += [dict(r) for r in conn.execute(
                query.where(letters.c.id.in_(chosen[start:start + 1000]))).mappings()]
        rows.sort(key=lambda r: (r["sent_on"], r["id"]))
    else:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["reason"] = reason(row.pop("last_error"), row["id"])
    return rows


def day_counts(conn: Connection, day: date) -> dict[str, int]:
    """How many letters dated ``day`` are in each state."""
    return {status: n for status, n in conn.execute(
        select(letters.c.status, func.count()).where(letters.c.sent_on == day)
        .group_by(letters.c.status))}


def summary(rows: list[dict[str, Any]]) -> str:
    """``3 parkert, 1 holdt tilbake — kreditor: mangler feltet 'address' (3), …``."""
    by_status = Counter(r["status"] for r in rows)
    by_reason = Counter(r["reason"] for r in rows)
    states = ", ".join(f"{n} {status_nb(s)}" for s, n in sorted(by_status.items()))
    reasons = "; ".join(f"{text} ({n})" for text, n in by_reason.most_common(3))
    more = len(by_reason) - 3
    if more > 0:
        reasons += f"; {more} andre årsaker"
    return f"{states} — {reasons}"
