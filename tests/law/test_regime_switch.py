"""The 2026 act is data: writing its in-force date switches krav's behaviour with no code change."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from krav.kernel.errors import LawDataError
from krav.law import DEFAULT_ROOT, law_book
from krav.law.rules import letter_fee

IN_FORCE = date(2027, 1, 1)


def copy_with_2026_act_in_force(tmp_path: Path, day: str) -> Path:
    root = tmp_path / "no"
    shutil.copytree(DEFAULT_ROOT, root)
    regime_file = root / "regimes" / "inkl2026.yaml"
    text = regime_file.read_text(encoding="utf-8")
    assert "in_force: null" in text
    regime_file.write_text(text.replace("in_force: null", f"in_force: {day}"), encoding="utf-8")
    return root


def test_shipped_data_leaves_the_2026_act_unset() -> None:
    book = law_book()
    assert book.regime(date(2030, 1, 1)) == "inkl1988"
    entry = book.entry("regimes/inkl2026", date(2026, 11, 22))
    assert (entry.value, entry.text) == (False, "ikke i kraft")


def test_setting_the_in_force_date_flips_regime_and_creditor_fees(tmp_path: Path) -> None:
    book = law_book(copy_with_2026_act_in_force(tmp_path, IN_FORCE.isoformat()))
    before, on_the_day = date(2026, 12, 31), IN_FORCE
    assert book.regime(before) == "inkl1988"
    assert book.regime(on_the_day) == "inkl2026"
    assert book.value("regimes/inkl2026", on_the_day) is True
    assert book.value("regimes/inkl1988", on_the_day) is False
    assert book.entry("regimes/inkl1988", on_the_day).since == IN_FORCE  # superseded from that day

    due = date(2026, 11, 1)
    old = letter_fee(book, kind="collection_notice", due=due, sent_on=before, sender="creditor")
    new = letter_fee(book, kind="collection_notice", due=due, sent_on=on_the_day, sender="creditor")
    assert old.amount == 38 and old.rule == "INKF-1-2-inkassovarsel"
    assert new.amount == 0 and new.rule == "INKL2026-20-21-egeninkasso-uten-gebyr"
    assert new.inputs["regime"] == "inkl2026"
    demand = letter_fee(book, kind="payment_demand", due=due, sent_on=on_the_day, sender="creditor")
    assert demand.amount == 0 and demand.rule == "INKL2026-20-21-egeninkasso-uten-gebyr"


def test_under_the_2026_act_reminders_and_the_agencys_notice_keep_their_fee(tmp_path: Path) -> None:
    book = law_book(copy_with_2026_act_in_force(tmp_path, IN_FORCE.isoformat()))
    due = date(2026, 11, 1)
    assert (
        letter_fee(book, kind="reminder", due=due, sent_on=IN_FORCE, sender="creditor").amount == 38
    )
    assert (
        letter_fee(
            book, kind="collection_notice", due=due, sent_on=IN_FORCE, sender="agency"
        ).amount
        == 38
    )
    assert book.value("contact/hours", IN_FORCE)["saturday"] == "09:00-15:00"
    assert "§ 15" in book.entry("contact/hours", IN_FORCE).source


def test_an_in_force_date_before_adoption_is_refused(tmp_path: Path) -> None:
    root = copy_with_2026_act_in_force(tmp_path, "2026-01-01")
    with pytest.raises(
        LawDataError, match=r"inkl2026\.yaml:\d+: in_force kan ikke være før adopted"
    ):
        law_book(root)
