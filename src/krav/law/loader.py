"""Loading the parameter tree (``parameters/no/<group>/<name>.yaml``) into a :class:`LawBook`.

A quantity file::

    description: Inkassosatsen (inkassoforskriften § 1-1 tredje ledd)
    unit: NOK                 # NOK EUR percent factor fraction | days months years count |
                              # bool rounding text list map bands
    keyed_by: date            # optional: date (default) | due_date | regime
    period: half_year         # optional: each value is valid to the end of its half-year and
                              # none after it; keys must then be 1 January or 1 July
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

The local overlay (``$KRAV_LAW_DIR/no/<group>/<name>.yaml``, written by ``krav law set``) has the
same format. It may only add values to quantities krav has (same unit, keying and period), never
regimes; its values are marked ``local``. Where krav's own data and the overlay both have a value
for a day, krav's value is used and the pair is kept in :attr:`LawBook.conflicts` (reported by
``krav law show``, ``krav law check`` and ``krav run``): a published value that reached krav's
release is the reference.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from krav.law.book import PERIODS, Conflict, LawBook, Quantity, Regime, Value
from krav.law.strictyaml import YMap, fail, parse_date_text, read_yaml
from krav.law.units import UNITS, parse_value
from krav.settings import law_dir

DEFAULT_ROOT = Path(__file__).parent / "parameters" / "no"
KEYED_BY = ("date", "due_date", "regime")
QUANTITY_KEYS = ({"description", "unit", "values"}, {"keyed_by", "note", "period"})
VALUE_KEYS = ({"value", "source"}, {"note"})
REGIME_KEYS = ({"description", "regime", "adopted", "in_force", "source"}, {"note"})


def law_book(root: Path | None = None) -> LawBook:
    """The law book of ``root`` (default: krav's own Norwegian parameters merged with the local
    overlay of ``KRAV_LAW_DIR``, if set). The default book is cached per process; the cache key
    includes the overlay's files with their size and modification time, so ``krav law set`` (or
    another ``KRAV_LAW_DIR``) is seen by the next call."""
    if root is None:
        overlay = overlay_root()
        return _default_book(overlay, _signature(overlay))
    return load_book(Path(root))


def overlay_root() -> Path | None:
    """Where local values live: ``$KRAV_LAW_DIR/no`` (``None`` when the setting is unset)."""
    base = law_dir()
    return None if base is None else base / "no"


def _signature(overlay: Path | None) -> tuple[tuple[str, int, int], ...]:
    if overlay is None or not overlay.is_dir():
        return ()
    result = []
    for path in sorted(overlay.rglob("*.yaml")):
        stat = path.stat()
        result.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(result)


@lru_cache(maxsize=4)
def _default_book(overlay: Path | None, signature: tuple[tuple[str, int, int], ...]) -> LawBook:
    return load_book(DEFAULT_ROOT, overlay)


def load_book(root: Path, overlay: Path | None = None) -> LawBook:
    """Read every ``*.yaml`` under ``root``; the name is the path without ``.yaml``.

    ``overlay`` (a directory of the same layout, possibly absent) adds local values.
    """
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
    conflicts: list[Conflict] = []
    if overlay is not None and overlay.is_dir():
        for path in sorted(overlay.rglob("*.yaml")):
            name = path.relative_to(overlay).with_suffix("").as_posix()
            local = read_local(path, name, quantities)
            quantities[name] = merge(quantities[name], local, conflicts)
    _check_regimes(regimes, quantities, root)
    return LawBook(quantities, regimes, tuple(conflicts))


def read_local(path: Path, name: str, packaged: dict[str, Quantity]) -> Quantity:
    """One overlay file, checked against krav's quantity of the same name."""
    where = path.as_posix()
    base = packaged.get(name)
    if base is None or base.keyed_by == "regime":
        known = "regimer kan ikke endres lokalt" if name.startswith("regimes/") else (
            "filnavnet må være en av krav sine lovparametere, f.eks. "
            "interest/forsinkelsesrente.yaml")
        raise fail(where, 1, f"ukjent lovparameter {name!r} ({known})")
    local = _quantity(name, read_yaml(path, where), where)
    for key, mine, theirs in (("unit", local.unit, base.unit),
                              ("keyed_by", local.keyed_by, base.keyed_by),
                              ("period", local.period, base.period)):
        if mine != theirs:
            raise fail(where, 1, f"{key} er {mine or 'ingen'}, men krav har {theirs or 'ingen'} "
                                 f"for {name}")
    marked = tuple(replace(v, local=True, file=where) for v in local.values)
    return replace(local, values=marked, starts=[])


def merge(base: Quantity, local: Quantity, conflicts: list[Conflict]) -> Quantity:
    """``base`` with ``local``'s values added; krav's own value wins on a day both have."""
    values: dict[Any, Value] = {v.key: v for v in base.values}
    for value in local.values:
        own = values.get(value.key)
        if own is not None:
            conflicts.append(Conflict(base.name, value.key, own.text,  # type: ignore[arg-type]
                                      value.text, value.source, value.file))
            continue
        values[value.key] = value
    return replace(base, values=tuple(values[k] for k in sorted(values)), starts=[])


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
    period = data.get("period")
    if period is not None and (period not in PERIODS or keyed_by != "date"):
        raise fail(
            where,
            data.value_lines["period"],
            f"period {period!r} (tillatt: {', '.join(PERIODS)}, bare med keyed_by: date)",
        )
    values = _values(data, unit, keyed_by, where)
    if period == "half_year":
        for value in values:
            if (value.key.month, value.key.day) not in ((1, 1), (7, 1)):  # type: ignore[union-attr]
                raise fail(where, value.line, f"{value.key}: en halvårsverdi gjelder fra "
                                              "1. januar eller 1. juli")
    note = _text(data, "note", where) if "note" in data else ""
    return Quantity(
        name,
        _text(data, "description", where),
        unit,
        keyed_by,
        values,
        note,
        period,
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
