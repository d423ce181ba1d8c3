"""The law book: every legal quantity as dated values, asked "what is in force on this day?".

A quantity is keyed in one of three ways (``keyed_by`` in its file):

- ``date`` — the value in force on the day asked (the usual case: inkassosats, interest rate);
- ``due_date`` — the value for a *claim due on* the day asked (fee fractions, salær tables:
  the 2020-10-01 reform applies by the claim's due date, not by the day of the letter);
- ``regime`` — one value per act (``inkl1988`` / ``inkl2026``); the day asked picks the act.

Regimes (the acts themselves) live in ``regimes/*.yaml`` with an ``in_force`` date that may be
unset (``null``): setting it in data switches :meth:`LawBook.regime` without code changes.

A quantity fixed for a period (``period: half_year`` in its file: the forsinkelsesrente,
forsinkelsesrenteloven § 3 første ledd, and the § 3 a standardkompensasjon) has each value valid
from its 1 January / 1 July to the end of that half-year and **none after it**: a day in a
half-year without a value raises :class:`LawDataError` naming the quantity, the last day it is
known for and the ``krav law set`` command that adds the published value. :meth:`LawBook.gaps`
finds such days ahead of time (``krav law check``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from krav.kernel.errors import LawDataError


@dataclass(frozen=True, slots=True)
class Entry:
    """One value of a quantity as it applies on a day, with where it comes from."""

    name: str
    value: Any
    since: date
    source: str
    description: str
    unit: str = ""
    text: str = ""  # the value as written in the file ("1/20", "700")
    keyed_by: str = "date"
    note: str = ""
    local: bool = False  # from the agency's own overlay (KRAV_LAW_DIR), not from krav's data


@dataclass(frozen=True, slots=True)
class Value:
    """One dated (or per-regime) value as read from a file."""

    key: date | str
    value: Any
    text: str
    source: str
    note: str = ""
    line: int = 0
    local: bool = False  # read from the overlay (KRAV_LAW_DIR), see ``loader``
    file: str = ""  # the overlay file it was read from (local values only)


PERIODS = ("half_year",)


def period_end(start: date, period: str) -> date:
    """The last day of the ``period`` that begins on ``start`` (a half-year: 30 June / 31 Dec)."""
    if period != "half_year":  # pragma: no cover - the loader admits only PERIODS
        raise LawDataError(f"ukjent periode {period!r}")
    return date(start.year, 6, 30) if start.month <= 6 else date(start.year, 12, 31)


@dataclass(frozen=True, slots=True)
class Gap:
    """A quantity has no value from ``first_missing`` on, after ``last_known`` (if any).

    For a periodic quantity ``first_missing`` is the first day of the period without a value
    (1 January / 1 July): the day a published value must be added from.
    """

    name: str
    first_missing: date
    last_known: date | None
    period: str | None

    def hint(self) -> str:
        """How to add the value (bokmål): the ``krav law set`` command line."""
        return (f"krav law set {self.name} --from {self.first_missing.isoformat()} "
                f"--value … --source \"…\"")

    def message(self) -> str:
        """One line (bokmål): which quantity, from which day, the last day known, how to add."""
        known = (f"siste kjente verdi gjelder til og med {self.last_known.isoformat()}"
                 if self.last_known else "ingen verdi før denne dagen")
        return (f"{self.name} har ingen verdi fra {self.first_missing.isoformat()} ({known}); "
                f"legg inn den kunngjorte verdien med: {self.hint()}")


@dataclass(frozen=True, slots=True)
class Conflict:
    """A local (overlay) value on a day krav's own data also has one: krav's value wins."""

    name: str
    key: date
    packaged: str
    local: str
    local_source: str
    file: str

    def message(self) -> str:
        same = "samme verdi; den lokale linjen kan slettes" if self.packaged == self.local else (
            f"krav bruker {self.packaged}, ikke den lokale {self.local}")
        return (f"{self.name} {self.key.isoformat()}: både krav og den lokale filen {self.file} "
                f"har en verdi ({same})")


@dataclass(frozen=True)
class Quantity:
    """A legal quantity: one file under ``parameters/no/``."""

    name: str
    description: str
    unit: str
    keyed_by: str
    values: tuple[Value, ...]
    note: str = ""
    period: str | None = None  # "half_year": each value lapses at the end of its half-year
    line: int = 0  # where ``values:`` starts in the file
    starts: list[date] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.keyed_by != "regime":
            self.starts.extend(v.key for v in self.values)  # type: ignore[misc]


@dataclass(frozen=True)
class Regime:
    """An act (inkassoloven 1988 or 2026) and the day it takes effect (``None``: not yet set)."""

    name: str
    regime: str
    description: str
    adopted: date
    in_force: date | None
    source: str
    note: str = ""


class LawBook:
    """All quantities and regimes of one parameter tree. Pure: no clock, no I/O after loading."""

    def __init__(self, quantities: dict[str, Quantity], regimes: dict[str, Regime],
                 conflicts: tuple[Conflict, ...] = ()) -> None:
        self._quantities = quantities
        self.conflicts = conflicts  # local values overridden by krav's own (see ``loader``)
        self._regimes = regimes
        self._by_id = {r.regime: r for r in regimes.values()}
        self._in_force = sorted(
            (r for r in regimes.values() if r.in_force is not None),
            key=lambda r: r.in_force,  # type: ignore[arg-type, return-value]
        )
        self._in_force_days: list[date] = [r.in_force for r in self._in_force if r.in_force]
        # Entries are immutable: build them once so a lookup is a dict access and a bisect.
        self._entries = {
            name: tuple(_entry(q, v, v.key) for v in q.values)  # type: ignore[arg-type]
            for name, q in quantities.items()
            if q.keyed_by != "regime"
        }

    def names(self) -> list[str]:
        """Every quantity and regime name, sorted (``fees/inkassosats``, ``regimes/inkl2026`` …)."""
        return sorted([*self._quantities, *self._regimes])

    def regime(self, day: date) -> str:
        """The act governing ``day``: the latest regime whose in-force date is on or before it."""
        current = self._current(day)
        if current is None:
            raise LawDataError(f"ingen inkassolov er i kraft {day.isoformat()}")
        return current.regime

    def value(self, name: str, day: date) -> Any:
        """The value of ``name`` in force on ``day`` (``Decimal`` for money, rates and factors)."""
        return self.entry(name, day).value

    def entry(self, name: str, day: date) -> Entry:
        """The value of ``name`` on ``day`` with its start date, source and description."""
        if name in self._regimes:
            return self._regime_entry(self._regimes[name], day)
        quantity = self._quantity(name)
        if quantity.keyed_by == "regime":
            try:
                regime = self.regime(day)
            except LawDataError as exc:
                raise LawDataError(f"{name}: {exc}") from None
            found = next((v for v in quantity.values if v.key == regime), None)
            if found is None:
                raise LawDataError(f"{name}: ingen verdi for regimet {regime}")
            since = self._by_id[regime].in_force
            return _entry(quantity, found, since)  # type: ignore[arg-type]
        return self._entries[name][self._dated(quantity, day)]

    def changes(self, name: str, first: date, last: date) -> list[Entry]:
        """Entries of a date-keyed quantity in force on any day of ``[first, last]``, in order."""
        quantity = self._quantity(name)
        if quantity.keyed_by == "regime":
            raise LawDataError(f"{name} er knyttet til regime, ikke til dato")
        stop = self._dated(quantity, last) + 1  # raises for a day after an expired value
        start = self._index(quantity, first)
        return list(self._entries[name][start:stop])

    def on(self, day: date) -> dict[str, Entry]:
        """All in force on ``day``: quantities with a value that day, regimes adopted by then."""
        result: dict[str, Entry] = {}
        for name in self.names():
            try:
                result[name] = self.entry(name, day)
            except LawDataError:
                continue
        return result

    def quantity(self, name: str) -> Quantity:
        """The whole quantity (all its values), e.g. to list a history."""
        return self._quantity(name)

    def gaps(self, first: date, last: date) -> list[Gap]:
        """Every date-keyed quantity's first day in ``[first, last]`` without a value, by name.

        A quantity without a ``period`` is known from its first value on; a periodic one only
        through the end of each value's period (a missing half-year in the middle is a gap too).
        Quantities keyed by due date are looked up by a claim's due date, not by the day, and
        are known open-ended from their first value like the others.
        """
        result = []
        for name in sorted(self._quantities):
            gap = self.first_gap(name, first, last)
            if gap is not None:
                result.append(gap)
        return result

    def first_gap(self, name: str, first: date, last: date) -> Gap | None:
        """The first day of ``[first, last]`` on which ``name`` has no value (``None``: none)."""
        quantity = self._quantity(name)
        if quantity.keyed_by == "regime":
            return None
        starts = quantity.starts
        day = first
        while day <= last:
            index = bisect_right(starts, day) - 1
            if index < 0:
                return Gap(name, day, None, quantity.period)
            if quantity.period is None:
                return None
            end = period_end(starts[index], quantity.period)
            if day > end:  # the gap began the day after the period ended (maybe before ``first``)
                return Gap(name, end + timedelta(days=1), end, quantity.period)
            day = end + timedelta(days=1)
        return None

    def regimes(self) -> list[Regime]:
        return sorted(self._regimes.values(), key=lambda r: r.adopted)

    # -- internals -------------------------------------------------------------------------

    def _quantity(self, name: str) -> Quantity:
        try:
            return self._quantities[name]
        except KeyError:
            raise LawDataError(f"ukjent lovparameter {name!r}") from None

    def _index(self, quantity: Quantity, day: date) -> int:
        index = bisect_right(quantity.starts, day) - 1
        if index < 0:
            first = quantity.starts[0].isoformat()
            raise LawDataError(
                f"{quantity.name} har ingen verdi for {day.isoformat()} "
                f"(første verdi gjelder fra {first})"
            )
        return index

    def _dated(self, quantity: Quantity, day: date) -> int:
        """Index of the value of ``quantity`` in force on ``day`` (checks its period)."""
        index = self._index(quantity, day)
        if quantity.period is not None:
            end = period_end(quantity.starts[index], quantity.period)
            if day > end:
                gap_start = end + timedelta(days=1)
                gap = Gap(quantity.name, gap_start, end, quantity.period)
                raise LawDataError(
                    f"{quantity.name} har ingen verdi for {day.isoformat()}: siste kjente verdi "
                    f"gjelder til og med {end.isoformat()}; legg inn den kunngjorte verdien fra "
                    f"{gap_start.isoformat()} med: {gap.hint()}"
                )
        return index

    def _current(self, day: date) -> Regime | None:
        index = bisect_right(self._in_force_days, day) - 1
        return self._in_force[index] if index >= 0 else None

    def _regime_entry(self, regime: Regime, day: date) -> Entry:
        """Value ``True`` when ``regime`` governs ``day``; ``since`` says from when that holds."""
        if day < regime.adopted:
            raise LawDataError(f"{regime.name} er ikke vedtatt {day.isoformat()}")
        current = self._current(day)
        governs = current is not None and current.regime == regime.regime
        since = regime.adopted
        if governs:
            since = regime.in_force  # type: ignore[assignment]
        elif current is not None and regime.in_force is not None and regime.in_force <= day:
            since = current.in_force  # type: ignore[assignment]  # superseded by ``current``
        status = "i kraft" if governs else "ikke i kraft"
        return Entry(
            regime.name,
            governs,
            since,
            regime.source,
            regime.description,
            "regime",
            status,
            "regime",
            regime.note,
        )


def _entry(quantity: Quantity, value: Value, since: date) -> Entry:
    return Entry(
        quantity.name,
        value.value,
        since,
        value.source,
        quantity.description,
        quantity.unit,
        value.text,
        quantity.keyed_by,
        value.note or quantity.note,
        value.local,
    )
