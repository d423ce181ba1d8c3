"""The local law overlay (``KRAV_LAW_DIR``, ``krav law set``) and the gap check (issue 8, part 5):
a half-yearly value runs out at the end of its half-year; an agency adds the published value
without a release; krav's own value wins over a local one for the same day, and says so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from krav.kernel.errors import InvalidInput, LawDataError
from krav.law import law_book
from krav.law.check import report, require_known, warnings
from krav.law.loader import overlay_root
from krav.law.overlay import set_local_value

RATE = "interest/forsinkelsesrente"
COMP = "compensation/standardkompensasjon"
JAN = date(2027, 1, 1)


@pytest.fixture
def overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KRAV_LAW_DIR", str(tmp_path / "lov"))
    root = overlay_root()
    assert root == tmp_path / "lov" / "no"
    return root


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}


def test_krav_data_runs_out_at_the_end_of_2026_and_the_gap_is_seen_ahead() -> None:
    book = law_book()
    assert book.gaps(date(2026, 11, 1), date(2026, 12, 31)) == []
    gaps = book.gaps(date(2026, 12, 3), date(2027, 1, 2))
    assert [(g.name, g.first_missing, g.last_known) for g in gaps] == [
        (COMP, JAN, date(2026, 12, 31)), (RATE, JAN, date(2026, 12, 31))]
    assert "krav law set interest/forsinkelsesrente --from 2027-01-01" in gaps[1].message()
    lines = warnings(book, date(2026, 12, 3), 30)
    assert len(lines) == 2 and all(line.startswith("advarsel: ") for line in lines)
    assert warnings(book, date(2026, 11, 1), 30) == []
    require_known(book, date(2026, 12, 31))
    with pytest.raises(LawDataError, match=f"{COMP} har ingen verdi fra 2027-01-01 .*; "
                                           f"{RATE} har ingen verdi fra 2027-01-01"):
        require_known(book, JAN)


def test_compensation_for_2027_is_not_the_2026_amount() -> None:
    """Before issue 8 the § 3 a amount of 2026 H2 (430) was silently charged in 2027."""
    from krav.law.rules import compensation

    book = law_book()
    assert compensation(book, debtor_kind="business", on=date(2026, 12, 31)).amount == 430
    with pytest.raises(LawDataError, match="til og med 2026-12-31"):
        compensation(book, debtor_kind="business", on=JAN)
    assert compensation(book, debtor_kind="consumer", on=JAN).amount == 0  # never owed


def test_set_writes_an_overlay_the_loader_merges(overlay: Path) -> None:
    result = set_local_value(overlay, RATE, JAN, "12,00", "Finanstilsynet, 1. halvår 2027")
    assert result.path == overlay / "interest" / "forsinkelsesrente.yaml"
    assert result.text == "12.00" and result.replaced is None
    text = result.path.read_text(encoding="utf-8")
    assert "period: half_year" in text and "unit: percent" in text
    assert '2027-01-01: {value: "12.00", source: "Finanstilsynet, 1. halvår 2027"}' in text
    book = law_book()  # the cache sees the new file
    entry = book.entry(RATE, date(2027, 3, 1))
    assert (entry.value, entry.since, entry.local) == (Decimal("12.00"), JAN, True)
    assert entry.source == "Finanstilsynet, 1. halvår 2027"
    assert book.entry(RATE, date(2026, 12, 31)).local is False
    assert [g.name for g in book.gaps(date(2026, 12, 3), date(2027, 1, 31))] == [COMP]
    with pytest.raises(LawDataError, match="til og med 2027-06-30"):
        book.value(RATE, date(2027, 7, 1))


def test_a_second_value_is_merged_into_the_file_and_the_same_day_replaced(overlay: Path) -> None:
    set_local_value(overlay, RATE, JAN, "12.00", "a")
    set_local_value(overlay, RATE, date(2027, 7, 1), "11.75", "b")
    again = set_local_value(overlay, RATE, JAN, "12.25", "c")
    assert again.replaced == "12.00"
    book = law_book()
    assert [(e.since, e.text, e.source) for e in book.changes(RATE, JAN, date(2027, 12, 31))] == [
        (JAN, "12.25", "c"), (date(2027, 7, 1), "11.75", "b")]
    assert list(files(overlay)) == ["interest/forsinkelsesrente.yaml"]  # no temporary file left


@pytest.mark.parametrize(("name", "day", "value", "source", "where", "message"), [
    ("interest/rente", JAN, "12", "s", "QUANTITY", "ukjent lovparameter 'interest/rente'"),
    ("regimes/inkl2026", JAN, "true", "s", "QUANTITY", "er et regime"),
    ("salaer/bands", JAN, "1", "s", "QUANTITY", "kan ikke settes"),
    (RATE, date(2027, 2, 1), "12", "s", "--from", "1. januar eller 1. juli"),
    (RATE, date(2026, 7, 1), "12", "s", "--from", "krav har allerede en verdi"),
    (RATE, date(2014, 1, 1), "12", "s", "--from", "har verdier fra 2015-01-01"),
    (RATE, JAN, "12.x", "s", "--value", "ugyldig tall '12.x'"),
    (RATE, JAN, "1225", "s", "--value", "over 100 %"),
    (RATE, JAN, "-1", "s", "--value", "ugyldig tall"),
    (COMP, JAN, "1e3", "s", "--value", "ugyldig tall"),
    (RATE, JAN, "12", "  ", "--source", "kilden mangler"),
    (RATE, JAN, "12", "a\nb", "--source", "én linje"),
])
def test_a_bad_value_is_one_line_and_writes_nothing(
        overlay: Path, name: str, day: date, value: str, source: str, where: str,
        message: str) -> None:
    set_local_value(overlay, COMP, JAN, "440", "before")  # an existing file must stay as it was
    before = files(overlay)
    with pytest.raises(InvalidInput) as raised:
        set_local_value(overlay, name, day, value, source)
    assert raised.value.where == where and message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert files(overlay) == before


def test_without_krav_law_dir_nothing_is_written() -> None:
    assert overlay_root() is None
    with pytest.raises(InvalidInput, match="KRAV_LAW_DIR: ingen mappe"):
        set_local_value(overlay_root(), RATE, JAN, "12", "s")


def test_krav_value_wins_over_a_local_value_for_the_same_day_and_the_conflict_is_reported(
        overlay: Path) -> None:
    """A local value written before a release that brought the official one: krav's own wins."""
    path = overlay / "interest" / "forsinkelsesrente.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("description: r\nunit: percent\nperiod: half_year\nvalues:\n"
                    '  2026-07-01: {value: "12.00", source: "lokal feil"}\n'
                    '  2027-01-01: {value: "12.00", source: "lokal"}\n', encoding="utf-8")
    book = law_book()
    assert book.value(RATE, date(2026, 8, 1)) == Decimal("12.25")
    assert book.entry(RATE, date(2026, 8, 1)).local is False
    assert book.entry(RATE, JAN).local is True
    [conflict] = book.conflicts
    assert (conflict.name, conflict.key, conflict.packaged, conflict.local) == (
        RATE, date(2026, 7, 1), "12.25", "12.00")
    assert "krav bruker 12.25, ikke den lokale 12.00" in conflict.message()
    data = report(book, date(2026, 12, 3), 30)
    assert data["conflicts"][0]["used"] == "packaged"
    assert any("krav bruker 12.25" in line for line in warnings(book, date(2026, 12, 3)))


@pytest.mark.parametrize(("name", "body", "message"), [
    ("interest/rente", "description: r\nunit: percent\nvalues:\n"
                       '  2027-01-01: {value: "12", source: s}\n', "ukjent lovparameter"),
    ("interest/forsinkelsesrente", "description: r\nunit: NOK\nperiod: half_year\nvalues:\n"
                                   '  2027-01-01: {value: "12", source: s}\n',
     "unit er NOK, men krav har percent"),
    ("interest/forsinkelsesrente", "description: r\nunit: percent\nvalues:\n"
                                   '  2027-01-01: {value: "12", source: s}\n',
     "period er ingen, men krav har half_year"),
    ("interest/forsinkelsesrente", "description: r\nunit: percent\nperiod: half_year\nvalues:\n"
                                   "  2027-01-01: {value: 12.5, source: s}\n", "flyttall"),
])
def test_a_broken_overlay_file_is_named_by_the_loader(
        overlay: Path, name: str, body: str, message: str) -> None:
    path = overlay / f"{name}.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LawDataError, match=f"{path.as_posix()}:[0-9]+: .*{message}"):
        law_book()
