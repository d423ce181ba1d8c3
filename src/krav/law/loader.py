"""Loading the parameter tree (``parameters/no/<group>/<name>.yaml``) into a :class:`LawBook`.

A quantity file::

    description: Inkassosatsen (inkassoforskriften § 1-1 tredje ledd)
    unit: NOK                 # NOK EUR percent factor fraction | days months years count |
                              # bool rounding text list map bands
    keyed_by: date            # optional: date (default) | due_date | regime
    expires_after_months: 6   # optional: the last value lapses (half-yearly rates)
    note: krav's choice …     # optional
    values:
      2017-01-01: {value: "700", source: "…"}

A regime file (``regimes/<id>.yaml``)::

    description: …
    regime: inkl2026
    adopted: 2026-05-22
    in_force: null            # set a date to switch krav to the act
    source: LOV-2026-05-22-19

Strict: a float, a bad date, a duplicate key, an unknown or missing key, a value without a source
or in the wrong form → :class:`LawDataError` naming ``file:line``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from krav.law.book import LawBook, Quantity, Regime, Value
from krav.law.strictyaml import YMap, fail, parse_date_text, read_yaml
from krav.law.units import UNITS, parse_value

DEFAULT_ROOT = Path(__file__).parent / "parameters" / "no"
KEYED_BY = ("date", "due_date", "regime")
QUANTITY_KEYS = ({"description", "unit", "values"}, {"keyed_by", "note", "expires_after_months"})
VALUE_KEYS = ({"value", "source"}, {"note"})
REGIME_KEYS = ({"description", "regime", "adopted", "in_force", "source"}, {"note"})


def law_book(root: Path | None = None) -> LawBook:
    """The law book of ``root`` (default: krav's own Norwegian parameters, loaded once)."""
    if root is None:
        return _default_book()
    return load_book(Path(root))


@lru_cache(maxsize=1)
def _default_book() -> LawBook:
    return load_book(DEFAULT_ROOT)


def load_book(root: Path) -> LawBook:
    """Read every ``*.yaml`` under ``root``; the name is the path without ``.yaml``."""
    if not root.is_dir():
        raise fail(str(root), 1, "mappen med lovparametere finnes ikke")
    quantities: dict[str, Quantity] = {}
    regimes: dict[str, Regime] = {}
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).with_suffix("").as_posix()
        where = path.as_posix()
        data = read_yaml(path, where)
        if name.startswith("regimes/"):
            regimes[name] = _regime(name, data, where)
        else:
            quantities[name] = _quantity(name, data, where)
    _check_regimes(regimes, quantities, root)
    return LawBook(quantities, regimes)


def _check_keys(data: YMap, keys: tuple[set[str], set[str]], where: str, what: str) -> None:
    required, optional = keys
    for key in data:
        if key not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            raise fail(
                where, data.key_lines[key], f"ukjent nøkkel {key!s} i {what} (tillatt: {allowed})"
            )
    for key in sorted(required - set(data)):
        raise fail(where, data.line, f"{what} mangler nøkkelen {key}")


def _text(data: YMap, key: str, where: str) -> str:
    raw = data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        line = data.value_lines.get(key, data.line)
        raise fail(where, line, f"{key} må være en ikke-tom tekst")
    return raw.strip()


def _quantity(name: str, data: YMap, where: str) -> Quantity:
    _check_keys(data, QUANTITY_KEYS, where, "parameterfilen")
    unit = _text(data, "unit", where)
    if unit not in UNITS:
        raise fail(
            where,
            data.value_lines["unit"],
            f"ukjent enhet {unit!r} (tillatt: {', '.join(sorted(UNITS))})",
        )
    keyed_by = data.get("keyed_by", "date")
    if keyed_by not in KEYED_BY:
        raise fail(
            where,
            data.value_lines["keyed_by"],
            f"keyed_by {keyed_by!r} (tillatt: {', '.join(KEYED_BY)})",
        )
    expires = data.get("expires_after_months")
    if expires is not None and (
        isinstance(expires, bool) or not isinstance(expires, int) or expires < 1
    ):
        raise fail(
            where,
            data.value_lines["expires_after_months"],
            "expires_after_months må være et positivt heltall",
        )
    values = _values(data, unit, keyed_by, where)
    note = _text(data, "note", where) if "note" in data else ""
    return Quantity(
        name,
        _text(data, "description", where),
        unit,
        keyed_by,
        values,
        note,
        expires,
        data.key_lines["values"],
    )


def _values(data: YMap, unit: str, keyed_by: str, where: str) -> tuple[Value, ...]:
    raw = data["values"]
    if not isinstance(raw, YMap) or not raw:
        raise fail(where, data.value_lines["values"], "values må være en ikke-tom mapping")
    result: dict[Any, Value] = {}
    for key, item in raw.items():
        line = raw.key_lines[key]
        parsed_key = _key(key, keyed_by, where, line)
        if parsed_key in result:
            raise fail(where, line, f"nøkkelen {parsed_key!s} står to ganger")
        if not isinstance(item, YMap):
            raise fail(where, raw.value_lines[key], "hver verdi skrives {value: …, source: …}")
        _check_keys(item, VALUE_KEYS, where, f"verdien for {parsed_key!s}")
        value, text = parse_value(unit, item["value"], where, item.value_lines["value"])
        note = _text(item, "note", where) if "note" in item else ""
        result[parsed_key] = Value(
            parsed_key, value, text, _text(item, "source", where), note, line
        )
    if keyed_by == "regime":
        return tuple(result.values())
    return tuple(result[key] for key in sorted(result))


def _key(key: Any, keyed_by: str, where: str, line: int) -> date | str:
    if keyed_by == "regime":
        if not isinstance(key, str):
            raise fail(where, line, f"nøkkelen {key!s} må være et regime (f.eks. inkl1988)")
        return key
    if isinstance(key, date):
        return key
    if isinstance(key, str):
        return parse_date_text(key, where, line)
    raise fail(where, line, f"ugyldig dato {key!r} (tillatt: ÅÅÅÅ-MM-DD)")


def _regime(name: str, data: YMap, where: str) -> Regime:
    _check_keys(data, REGIME_KEYS, where, "regimefilen")
    regime_id = _text(data, "regime", where)
    if regime_id != name.split("/", 1)[1]:
        raise fail(
            where, data.value_lines["regime"], f"regime {regime_id!r} må hete som filen ({name})"
        )
    adopted, in_force = data["adopted"], data["in_force"]
    if not isinstance(adopted, date):
        raise fail(where, data.value_lines["adopted"], "adopted må være en dato (ÅÅÅÅ-MM-DD)")
    if in_force is not None and not isinstance(in_force, date):
        raise fail(
            where,
            data.value_lines["in_force"],
            "in_force må være en dato eller null (ikke i kraft)",
        )
    if in_force is not None and in_force < adopted:
        raise fail(where, data.value_lines["in_force"], "in_force kan ikke være før adopted")
    note = _text(data, "note", where) if "note" in data else ""
    return Regime(
        name,
        regime_id,
        _text(data, "description", where),
        adopted,
        in_force,
        _text(data, "source", where),
        note,
    )


def _check_regimes(regimes: dict[str, Regime], quantities: dict[str, Quantity], root: Path) -> None:
    """Regime-keyed quantities must give a value for every regime; in-force dates must differ."""
    ids = {r.regime for r in regimes.values()}
    days = [r.in_force for r in regimes.values() if r.in_force is not None]
    if len(days) != len(set(days)):
        raise fail(str(root / "regimes"), 1, "to regimer kan ikke tre i kraft samme dag")
    for quantity in quantities.values():
        if quantity.keyed_by != "regime":
            continue
        where = (root / f"{quantity.name}.yaml").as_posix()
        for value in quantity.values:
            if value.key not in ids:
                known = ", ".join(sorted(ids))
                raise fail(where, value.line, f"ukjent regime {value.key!s} (kjente: {known})")
        keys = {v.key for v in quantity.values}
        for missing in sorted(ids - keys):  # type: ignore[operator]
            raise fail(where, quantity.line, f"mangler verdi for regimet {missing}")
