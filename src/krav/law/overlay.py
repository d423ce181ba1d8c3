"""``krav law set``: the agency adds a published value to its local overlay, without a release.

The overlay is ``$KRAV_LAW_DIR/no/<group>/<name>.yaml`` in the format of krav's own files
(``docs/law.md``). A value is checked before anything is written: the quantity must exist and be
dated, the value must parse in its unit, a half-yearly quantity's value starts on 1 January or
1 July (forsinkelsesrenteloven § 3 første ledd, § 3 a: fixed per half-year), the source must be
given, and krav's own data must not already have a value for that day (krav's value would win).
The file is written whole to a temporary file, read back through the strict loader and renamed
into place, so a crash or a refusal leaves the old file as it was.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from krav.kernel.errors import InvalidInput, LawDataError
from krav.law.book import LawBook, Quantity, Value
from krav.law.loader import DEFAULT_ROOT, load_book, merge, read_local
from krav.law.units import DECIMAL_UNITS, INT_UNITS, ROUNDING_MODES

SETTABLE = DECIMAL_UNITS | INT_UNITS | {"bool", "rounding", "text"}
MAX_SOURCE = 500
_NUMBER = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")
_FRACTION = re.compile(r"[0-9]{1,6}/[1-9][0-9]{0,5}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HEADER = (
    "# Lokale lovverdier for krav, skrevet av `krav law set` (KRAV_LAW_DIR).\n"
    "# Samme format som krav sine egne filer; der begge har en verdi for samme dag, gjelder\n"
    "# krav sin verdi, og konflikten vises av `krav law check`.\n"
)


@dataclass(frozen=True)
class SetResult:
    path: Path
    name: str
    start: date
    text: str
    replaced: str | None  # the local value it replaced, if any


def set_local_value(overlay: Path | None, name: str, start: date, raw_value: str, source: str,
                    *, root: Path = DEFAULT_ROOT) -> SetResult:
    """Validate and write one local value of ``name`` from ``start`` into ``overlay``."""
    if overlay is None:
        raise InvalidInput("ingen mappe for lokale lovverdier er satt", where="KRAV_LAW_DIR",
                           allowed="en mappe, f.eks. KRAV_LAW_DIR=/etc/krav/lov")
    packaged = load_book(root)
    quantity = _settable(packaged, name)
    if quantity.period == "half_year" and (start.month, start.day) not in ((1, 1), (7, 1)):
        raise InvalidInput(f"{name} fastsettes per halvår; en ny verdi gjelder fra 1. januar "
                           f"eller 1. juli, ikke {start.isoformat()}", where="--from",
                           allowed=f"{start.year}-01-01 eller {start.year}-07-01")
    if start < quantity.starts[0]:
        raise InvalidInput(f"{name} har verdier fra {quantity.starts[0].isoformat()}; krav regner "
                           "ikke med lovdata før det", where="--from")
    text = _value_text(quantity.unit, raw_value)
    source = _source(source)
    own = next((v for v in quantity.values if v.key == start), None)
    if own is not None:
        raise InvalidInput(f"krav har allerede en verdi for {name} fra {start.isoformat()} "
                           f"({own.text}, {own.source}); den gjelder", where="--from")
    path = overlay / f"{name}.yaml"
    values: dict[Any, Value] = {}
    if path.exists():
        values = {v.key: v for v in read_local(path, name, {name: quantity}).values}
    replaced = values[start].text if start in values else None
    values[start] = Value(start, None, text, source)
    body = _render(quantity, [values[k] for k in sorted(values)])
    _write_checked(path, body, name, quantity)
    return SetResult(path, name, start, text, replaced)


def _settable(packaged: LawBook, name: str) -> Quantity:
    if name.startswith("regimes/") and name in packaged.names():
        raise InvalidInput(f"{name} er et regime (en lov), ikke en verdi; ikrafttredelsen settes "
                           "i krav sine egne data", where="QUANTITY")
    try:
        quantity = packaged.quantity(name)
    except LawDataError:
        quantity = None
    if quantity is None:
        raise InvalidInput(f"ukjent lovparameter {name!r}", where="QUANTITY",
                           allowed="et navn fra `krav law show`, f.eks. interest/forsinkelsesrente")
    if quantity.keyed_by == "regime" or quantity.unit not in SETTABLE:
        raise InvalidInput(f"{name} kan ikke settes med krav law set (enhet {quantity.unit}, "
                           f"nøkkel {quantity.keyed_by})", where="QUANTITY",
                           allowed="dato-nøklede tall, satser, beløp og tekster")
    return quantity


def _value_text(unit: str, raw: str) -> str:
    """The value as it is written in the file, after checking it parses in ``unit``."""
    text = raw.strip()
    if unit in DECIMAL_UNITS:
        text = text.removesuffix("%").strip() if unit == "percent" else text
        text = text.replace(",", ".").replace(" ", "")
        ok = _NUMBER.fullmatch(text) or (unit == "fraction" and _FRACTION.fullmatch(text))
        if not ok:
            allowed = 'et tall som "12.25" eller "12,25"' + (
                ' eller en brøk som "1/20"' if unit == "fraction" else "")
            raise InvalidInput(f"ugyldig tall {raw!r} for enheten {unit}", where="--value",
                               allowed=allowed)
        if unit == "percent" and Decimal(text) > 100:
            raise InvalidInput(f"{raw!r} er over 100 %", where="--value",
                               allowed="en sats i prosent per år, f.eks. 12.25")
        return text
    if unit in INT_UNITS:
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise InvalidInput(f"ugyldig heltall {raw!r} ({unit})", where="--value",
                               allowed="et ikke-negativt heltall")
        return str(int(text))
    if unit == "bool":
        if text not in ("true", "false"):
            raise InvalidInput(f"ugyldig verdi {raw!r}", where="--value", allowed="true | false")
        return text
    if unit == "rounding" and text not in ROUNDING_MODES:
        raise InvalidInput(f"ukjent avrunding {raw!r}", where="--value",
                           allowed=" | ".join(sorted(ROUNDING_MODES)))
    if not text or _CONTROL.search(text):
        raise InvalidInput("verdien må være en tekst på én linje", where="--value")
    return text


def _source(raw: str) -> str:
    source = raw.strip()
    if not source:
        raise InvalidInput("kilden mangler", where="--source",
                           allowed="forskriften eller kunngjøringen verdien kommer fra")
    if _CONTROL.search(source) or len(source) > MAX_SOURCE:
        raise InvalidInput(f"kilden må være én linje på høyst {MAX_SOURCE} tegn",
                           where="--source")
    return source


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _render(quantity: Quantity, values: list[Value]) -> str:
    lines = [HEADER.rstrip("\n"),
             f"description: {_quote(quantity.description)}",
             f"unit: {quantity.unit}"]
    if quantity.keyed_by != "date":
        lines.append(f"keyed_by: {quantity.keyed_by}")
    if quantity.period:
        lines.append(f"period: {quantity.period}")
    lines.append("values:")
    for value in values:
        if quantity.unit in INT_UNITS or quantity.unit == "bool":
            written = value.text
        else:
            written = _quote(value.text)
        note = f", note: {_quote(value.note)}" if value.note else ""
        lines.append(f"  {value.key.isoformat()}: "  # type: ignore[union-attr]
                     f"{{value: {written}, source: {_quote(value.source)}{note}}}")
    return "\n".join(lines) + "\n"


def _write_checked(path: Path, body: str, name: str, quantity: Quantity) -> None:
    """Write ``body`` to ``path`` atomically, after the strict loader has accepted it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"kan ikke opprette mappen {path.parent}: {exc.strerror}",
                           where="KRAV_LAW_DIR") from None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the overlay is read by every user of krav
        local = read_local(Path(tmp), name, {name: quantity})
        merge(quantity, local, [])
        os.replace(tmp, path)
    except (OSError, LawDataError):
        Path(tmp).unlink(missing_ok=True)
        raise
