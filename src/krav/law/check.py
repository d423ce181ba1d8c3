"""Is the law data complete for the days ahead? (``krav law check``, the nightly run's guard.)

Half-yearly quantities (``period: half_year``: the forsinkelsesrente, forsinkelsesrenteloven § 3
første ledd, and the standardkompensasjon, § 3 a) lapse at the end of their half-year. The next
value is published in late June / late December; until it is in the data (krav's own, or the
agency's overlay written by ``krav law set``) the run stops on the first day without it. This
module finds such gaps ahead of time so that cron can alert while there is still time.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from krav.kernel.errors import LawDataError
from krav.law.book import Conflict, Gap, LawBook

WARN_DAYS = 30  # ``krav run`` warns this many days ahead of a gap


def gaps_ahead(book: LawBook, first: date, days: int) -> list[Gap]:
    """Every quantity's first day without a value in ``[first, first + days]``."""
    return book.gaps(first, first + timedelta(days=days))


def covered_until(book: LawBook, first: date, last: date) -> date:
    """The last day of ``[first, last]`` up to which every quantity has a value (``last`` when
    nothing runs out; the day before ``first`` when the first day already lacks one)."""
    missing = [g.first_missing for g in book.gaps(first, last)]
    return min(last, max(first, min(missing)) - timedelta(days=1)) if missing else last


def require_known(book: LawBook, day: date) -> None:
    """Raise :class:`LawDataError` (one line per missing quantity, joined) unless every
    quantity has a value on ``day``: the nightly run calls this before it writes anything."""
    missing = book.gaps(day, day)
    if missing:
        raise LawDataError("; ".join(g.message() for g in missing))


def warnings(book: LawBook, day: date, days: int = WARN_DAYS) -> list[str]:
    """One line (bokmål) per quantity that runs out within ``days`` of ``day``, and per conflict
    between krav's data and the local overlay."""
    lines = [f"advarsel: {g.message()}" for g in gaps_ahead(book, day, days)]
    lines += [f"advarsel: {c.message()}" for c in book.conflicts]
    return lines


def report(book: LawBook, first: date, days: int) -> dict[str, Any]:
    """The ``krav law check --json`` document (keys documented in README)."""
    last = first + timedelta(days=days)
    gaps = book.gaps(first, last)
    return {
        "from": first,
        "to": last,
        "ok": not gaps,
        "gaps": [_gap_json(g) for g in gaps],
        "conflicts": [_conflict_json(c) for c in book.conflicts],
    }


def _gap_json(gap: Gap) -> dict[str, Any]:
    return {
        "quantity": gap.name,
        "first_missing": gap.first_missing,
        "last_known": gap.last_known,
        "period": gap.period,
        "hint": gap.hint(),
        "message": gap.message(),
    }


def _conflict_json(conflict: Conflict) -> dict[str, Any]:
    return {
        "quantity": conflict.name,
        "from": conflict.key,
        "packaged_value": conflict.packaged,
        "local_value": conflict.local,
        "local_source": conflict.local_source,
        "local_file": conflict.file,
        "used": "packaged",
        "message": conflict.message(),
    }
