"""Runs the YAML scenarios in ``scenarios/``: law values and rule results on chosen days.

A scenario file has up to three sections::

    quantities:            # name → {day: expected value | error}
      fees/inkassosats: {2016-12-31: "670", 2017-01-01: "700"}
    regime: {2026-11-22: inkl1988}
    rules:                 # rule function → cases
      letter_fee:
        - {args: {kind: reminder, …}, expect: {amount: "35.00", rule: INKF-1-2-purregebyr}}

Expected values are written from law-no.md, never derived from the parameter files. A separate test
checks that every dated change in the parameter tree is checked on the day before and the day of.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from krav.kernel.errors import LawDataError
from krav.law import law_book
from krav.law import rules as law_rules

SCENARIOS = Path(__file__).parent / "scenarios"
BOOK = law_book()
DECIMAL_ARGS = {"principal", "basis", "compensation", "costs_before", "new_cost"}
WITHOUT_BOOK = {"payment_in_time", "offset_against_compensation"}


class ScenarioLoader(yaml.SafeLoader):
    """YAML 1.2 booleans only: ``on:`` is an argument name here, not ``True``."""


ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def _load() -> dict[str, dict[str, Any]]:
    return {
        path.stem: yaml.load(path.read_text(encoding="utf-8"), Loader=ScenarioLoader)  # noqa: S506
        for path in sorted(SCENARIOS.glob("*.yaml"))
    }


FILES = _load()
QUANTITY_CHECKS = [
    (f, name, day, expected)
    for f, data in FILES.items()
    for name, checks in (data.get("quantities") or {}).items()
    for day, expected in checks.items()
]
REGIME_CHECKS = [
    (f, day, expected)
    for f, data in FILES.items()
    for day, expected in (data.get("regime") or {}).items()
]
RULE_CASES = [
    (f, rule, i, case)
    for f, data in FILES.items()
    for rule, cases in (data.get("rules") or {}).items()
    for i, case in enumerate(cases)
]


def same(expected: Any, actual: Any) -> bool:
    """Compare a value written in a scenario with the law's value (Decimals by value)."""
    if isinstance(actual, Decimal):
        return isinstance(expected, str) and Decimal(expected) == actual
    if isinstance(actual, dict):
        return (
            isinstance(expected, dict)
            and expected.keys() == actual.keys()
            and all(same(expected[k], actual[k]) for k in actual)
        )
    if isinstance(actual, (list, tuple)):
        return (
            isinstance(expected, list)
            and len(expected) == len(actual)
            and all(same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual


@pytest.mark.parametrize(
    ("file", "name", "day", "expected"),
    QUANTITY_CHECKS,
    ids=[f"{c[1]}@{c[2]}" for c in QUANTITY_CHECKS],
)
def test_quantity(file: str, name: str, day: date, expected: Any) -> None:
    if expected == "error":
        with pytest.raises(LawDataError, match=name.replace("/", ".")):
            BOOK.value(name, day)
        return
    actual = BOOK.value(name, day)
    assert same(expected, actual), (
        f"{file}: {name} on {day}: expected {expected!r}, law says {actual!r}"
    )


@pytest.mark.parametrize(
    ("file", "day", "expected"), REGIME_CHECKS, ids=[str(c[1]) for c in REGIME_CHECKS]
)
def test_regime(file: str, day: date, expected: str) -> None:
    assert BOOK.regime(day) == expected


@pytest.mark.parametrize(
    ("file", "rule", "index", "case"), RULE_CASES, ids=[f"{c[1]}-{c[0]}-{c[2]}" for c in RULE_CASES]
)
def test_rule(file: str, rule: str, index: int, case: dict[str, Any]) -> None:
    function = getattr(law_rules, rule)
    args = {k: Decimal(str(v)) if k in DECIMAL_ARGS else v for k, v in case["args"].items()}
    result = function(**args) if rule in WITHOUT_BOOK else function(BOOK, **args)
    expected = case["expect"]
    if not isinstance(expected, dict):
        assert result == expected, f"{file} {rule} #{index}"
        return
    for field, value in expected.items():
        actual = getattr(result, field)
        if isinstance(actual, Decimal):
            assert actual == Decimal(value), f"{file} {rule} #{index}: {field} {actual} != {value}"
            assert actual.as_tuple().exponent == -2, f"{rule} #{index}: {actual} is not whole øre"
        else:
            assert actual == value, f"{file} {rule} #{index}: {field} {actual!r} != {value!r}"


def test_every_dated_change_is_checked_the_day_before_and_the_day_of() -> None:
    checked = {(name, day) for _, name, day, _ in QUANTITY_CHECKS}
    missing = []
    for name in BOOK.names():
        if name.startswith("regimes/"):
            continue
        quantity = BOOK.quantity(name)
        if quantity.keyed_by == "regime":
            if not any(n == name for n, _ in checked):
                missing.append(f"{name}: no check at all")
            continue
        for value in quantity.values:
            for day in (value.key - timedelta(days=1), value.key):
                if (name, day) not in checked:
                    missing.append(f"{name} {day}")
    assert not missing, "scenarios missing for: " + ", ".join(missing)


def test_every_regime_is_checked_on_adoption_and_in_force_days() -> None:
    checked = {(name, day) for _, name, day, _ in QUANTITY_CHECKS}
    for regime in BOOK.regimes():
        days = [regime.adopted - timedelta(days=1), regime.adopted]
        if regime.in_force:
            days += [regime.in_force - timedelta(days=1), regime.in_force]
        assert all((regime.name, d) in checked for d in days), regime.name
