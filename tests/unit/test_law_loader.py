"""The strict loader: every malformed parameter file is refused with its file and line."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from krav.kernel.errors import LawDataError
from krav.law import DEFAULT_ROOT, law_book, load_book

REGIME_1988 = """\
description: Inkassoloven 1988
regime: inkl1988
adopted: 1988-05-13
in_force: 1989-10-01
source: LOV-1988-05-13-26
"""

GOOD = """\
description: Inkassosatsen
unit: NOK
values:
  2017-01-01: {value: "700", source: "INKF § 1-1"}
  2026-01-01: {value: "750", source: "FOR-2025-12-19-2709"}
"""


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "no"
    for name, body in {"regimes/inkl1988": REGIME_1988, **files}.items():
        path = root / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def refused(tmp_path: Path, body: str, name: str = "fees/sats") -> str:
    """Load a tree holding ``body`` and return the error message (which must name file:line)."""
    root = tree(tmp_path, {name: body})
    with pytest.raises(LawDataError) as caught:
        load_book(root)
    return str(caught.value)


def test_good_file_loads_with_decimal_values_and_sources(tmp_path: Path) -> None:
    book = load_book(tree(tmp_path, {"fees/sats": GOOD}))
    assert book.value("fees/sats", date(2025, 12, 31)) == Decimal("700")
    entry = book.entry("fees/sats", date(2026, 1, 1))
    assert (entry.value, entry.since, entry.source) == (
        Decimal("750"),
        date(2026, 1, 1),
        "FOR-2025-12-19-2709",
    )
    assert isinstance(entry.value, Decimal)
    assert book.names() == ["fees/sats", "regimes/inkl1988"]


def test_unquoted_float_is_refused_with_file_and_line(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace('"750"', "12.5"))
    assert re.search(r"fees/sats\.yaml:5: flyttall '12\.5'", message), message


def test_unquoted_integer_for_money_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace('"750"', "750"))
    assert "fees/sats.yaml:5:" in message and "anførselstegn" in message


@pytest.mark.parametrize("bad_key", ["2026-13-01", "2026-1-1", "2026-02-30", "1. januar 2026"])
def test_bad_date_key_is_refused(tmp_path: Path, bad_key: str) -> None:
    message = refused(tmp_path, GOOD.replace("2026-01-01", bad_key))
    assert "fees/sats.yaml:5: ugyldig dato" in message, message


def test_duplicate_date_key_is_refused_naming_both_lines(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace("2026-01-01", "2017-01-01"))
    assert "fees/sats.yaml:5: nøkkelen 2017-01-01 står to ganger (først på linje 4)" in message


def test_duplicate_key_quoted_and_unquoted_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace("2026-01-01", '"2017-01-01"'))
    assert "fees/sats.yaml:5:" in message and "to ganger" in message


def test_duplicate_top_level_key_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD + "unit: EUR\n")
    assert "fees/sats.yaml:6: nøkkelen unit står to ganger (først på linje 2)" in message


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace("unit: NOK", "unit: NOK\nvalid_from: 2017-01-01"))
    assert "fees/sats.yaml:3: ukjent nøkkel valid_from" in message


def test_unknown_key_in_a_value_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace('source: "INKF § 1-1"', 'source: "x", kilde: "y"'))
    assert "fees/sats.yaml:4: ukjent nøkkel kilde" in message


def test_value_without_source_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace(', source: "FOR-2025-12-19-2709"', ""))
    assert "fees/sats.yaml:5: verdien for 2026-01-01 mangler nøkkelen source" in message


def test_empty_source_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace('"FOR-2025-12-19-2709"', '""'))
    assert "fees/sats.yaml:5: source må være en ikke-tom tekst" in message


def test_missing_description_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace("description: Inkassosatsen\n", ""))
    assert "fees/sats.yaml:1: parameterfilen mangler nøkkelen description" in message


def test_unknown_unit_and_keyed_by_are_refused(tmp_path: Path) -> None:
    assert "fees/sats.yaml:2: ukjent enhet 'kroner'" in refused(
        tmp_path, GOOD.replace("NOK", "kroner")
    )
    body = GOOD.replace("unit: NOK", "unit: NOK\nkeyed_by: sent_on")
    assert "fees/sats.yaml:3: keyed_by 'sent_on'" in refused(tmp_path, body)


def test_yaml_11_boolean_words_are_refused(tmp_path: Path) -> None:
    body = "description: x\nunit: bool\nvalues:\n  2017-01-01: {value: yes, source: s}\n"
    assert "fees/sats.yaml:4: 'yes' er tvetydig" in refused(tmp_path, body)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD + '  2027-01-01: {value: "800", source: \n  oops: [\n')
    assert re.search(r"fees/sats\.yaml:\d+: ugyldig YAML", message), message


def test_bad_number_text_is_refused(tmp_path: Path) -> None:
    assert "fees/sats.yaml:5: ugyldig tall '7,50'" in refused(
        tmp_path, GOOD.replace('"750"', '"7,50"')
    )
    assert "ugyldig tall '1e3'" in refused(tmp_path, GOOD.replace('"750"', '"1e3"'))


def test_fraction_unit_accepts_a_over_b(tmp_path: Path) -> None:
    body = (
        "description: x\nunit: fraction\nkeyed_by: due_date\nvalues:\n"
        '  2020-10-01: {value: "3/20", source: s}\n'
    )
    book = load_book(tree(tmp_path, {"fees/f": body}))
    entry = book.entry("fees/f", date(2021, 1, 1))
    assert (entry.value, entry.text, entry.keyed_by) == (Decimal("0.15"), "3/20", "due_date")


def test_bands_must_rise_and_end_open(tmp_path: Path) -> None:
    head = "description: x\nunit: bands\nvalues:\n  2020-10-01:\n    source: s\n    value:\n"
    falling = (
        head
        + '      - {up_to: "1000", lett: "1", tung: "2"}\n'
        + '      - {up_to: "500", lett: "1", tung: "2"}\n'
        '      - {up_to: null, lett: "1", tung: "2"}\n'
    )
    assert "x.yaml:8: trinnene må stige" in refused(tmp_path, falling, "salaer/x")
    closed = head + '      - {up_to: "1000", lett: "1", tung: "2"}\n'
    assert "x.yaml:7: bare siste trinn har up_to: null" in refused(tmp_path, closed, "salaer/x")


def test_day_before_first_value_names_the_quantity(tmp_path: Path) -> None:
    book = load_book(tree(tmp_path, {"fees/sats": GOOD}))
    with pytest.raises(
        LawDataError,
        match=r"fees/sats har ingen verdi for 2016-12-31 \(første verdi gjelder fra 2017-01-01\)",
    ):
        book.value("fees/sats", date(2016, 12, 31))


def test_unknown_name_is_refused(tmp_path: Path) -> None:
    book = load_book(tree(tmp_path, {"fees/sats": GOOD}))
    with pytest.raises(LawDataError, match="ukjent lovparameter 'fees/satsen'"):
        book.value("fees/satsen", date(2020, 1, 1))


def test_half_yearly_value_lapses_after_its_half_year(tmp_path: Path) -> None:
    body = (
        "description: r\nunit: percent\nperiod: half_year\nvalues:\n"
        '  2026-07-01: {value: "12.25", source: s}\n'
    )
    book = load_book(tree(tmp_path, {"interest/r": body}))
    assert book.value("interest/r", date(2026, 12, 31)) == Decimal("12.25")
    with pytest.raises(LawDataError, match=r"interest/r har ingen verdi for 2027-01-01: siste "
                       r"kjente verdi gjelder til og med 2026-12-31; .*krav law set interest/r "
                       r"--from 2027-01-01"):
        book.value("interest/r", date(2027, 1, 1))


def test_a_missing_half_year_in_the_middle_is_a_gap_too(tmp_path: Path) -> None:
    """Issue 8: a half-yearly value is valid to the end of its half-year and none after it —
    also when a later half-year has a value again (no silent reuse of an older amount)."""
    body = (
        "description: k\nunit: NOK\nperiod: half_year\nvalues:\n"
        '  2026-01-01: {value: "460", source: s}\n  2027-01-01: {value: "440", source: s}\n'
    )
    book = load_book(tree(tmp_path, {"compensation/k": body}))
    with pytest.raises(LawDataError, match="til og med 2026-06-30"):
        book.value("compensation/k", date(2026, 7, 1))
    assert book.value("compensation/k", date(2027, 3, 1)) == Decimal("440")
    gaps = book.gaps(date(2026, 6, 1), date(2027, 12, 31))
    assert [(g.name, g.first_missing, g.last_known) for g in gaps] == [
        ("compensation/k", date(2026, 7, 1), date(2026, 6, 30))]
    assert book.gaps(date(2027, 1, 1), date(2027, 6, 30)) == []
    later = book.gaps(date(2027, 1, 1), date(2027, 7, 1))
    assert [(g.first_missing, g.last_known) for g in later] == [
        (date(2027, 7, 1), date(2027, 6, 30))]


def test_half_yearly_values_start_on_1_january_or_1_july(tmp_path: Path) -> None:
    body = (
        "description: r\nunit: percent\nperiod: half_year\nvalues:\n"
        '  2026-01-01: {value: "12", source: s}\n  2026-08-01: {value: "12.25", source: s}\n'
    )
    assert "r.yaml:6: 2026-08-01: en halvårsverdi gjelder fra 1. januar eller 1. juli" in refused(
        tmp_path, body, "interest/r")


def test_unknown_period_is_refused(tmp_path: Path) -> None:
    body = ("description: r\nunit: percent\nperiod: quarter\nvalues:\n"
            '  2026-01-01: {value: "12", source: s}\n')
    assert "r.yaml:3: period 'quarter'" in refused(tmp_path, body, "interest/r")


def test_every_half_yearly_quantity_is_marked_in_the_data() -> None:
    """The half-year rule is data (``period: half_year``), not a list in code: krav's two
    half-yearly quantities (FRL § 3 and § 3 a, law-no.md §§ 3–4) carry it, the others do not."""
    book = load_book(DEFAULT_ROOT)
    half_yearly = sorted(n for n in book.names() if not n.startswith("regimes/")
                         and book.quantity(n).period == "half_year")
    assert half_yearly == ["compensation/standardkompensasjon", "interest/forsinkelsesrente"]


def test_regime_keyed_quantity_must_cover_every_regime(tmp_path: Path) -> None:
    body = (
        "description: x\nunit: text\nkeyed_by: regime\nvalues:\n  inkl1988: {value: a, source: s}\n"
        "  inkl1999: {value: b, source: s}\n"
    )
    assert "x.yaml:6: ukjent regime inkl1999" in refused(tmp_path, body, "letters/x")


def test_regime_file_must_be_named_after_its_regime(tmp_path: Path) -> None:
    root = tree(tmp_path, {"regimes/inkl2026": REGIME_1988})
    with pytest.raises(
        LawDataError, match=r"inkl2026\.yaml:2: regime 'inkl1988' må hete som filen"
    ):
        load_book(root)


def test_regime_in_force_must_be_a_date_or_null(tmp_path: Path) -> None:
    body = REGIME_1988.replace("inkl1988", "inkl2026").replace("1989-10-01", "snart")
    root = tree(tmp_path, {"regimes/inkl2026": body})
    with pytest.raises(
        LawDataError, match=r"inkl2026\.yaml:4: in_force må være en dato eller null"
    ):
        load_book(root)


def test_the_shipped_tree_loads_and_every_value_has_a_source() -> None:
    book = law_book()
    assert book is law_book()  # cached
    assert len(book.names()) >= 35
    for name in book.names():
        if name.startswith("regimes/"):
            continue
        for value in book.quantity(name).values:
            assert value.source.strip(), name


def test_a_copy_of_the_shipped_tree_loads_uncached(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_ROOT, tmp_path / "no")
    copy = law_book(tmp_path / "no")
    assert copy is not law_book()
    assert copy.names() == law_book().names()
