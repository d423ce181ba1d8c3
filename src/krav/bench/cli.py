"""``krav bench nightly``: the nightly run's benchmark (letters and payments add their own)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from krav.bench.nightly import bench_nightly
from krav.cli.apps import bench_app
from krav.cli.common import DbOption, JsonOption, console, print_json, today
from krav.db.engine import make_engine, reset_schema
from krav.kernel.errors import UnableToProceed


@bench_app.command("nightly")
def nightly(
    claims: Annotated[int, typer.Option("--claims", help="antall åpne krav")] = 200_000,
    due: Annotated[int, typer.Option("--due", help="antall med steg som forfaller")] = 10_000,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Bygg N åpne krav (M med forfalt steg) i en tom database og ta tiden på én nattkjøring."""
    if due > claims or claims <= 0 or due < 0:
        raise UnableToProceed("--due må være mellom 0 og --claims, og --claims positivt")
    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        reset_schema(engine)
        result = bench_nightly(engine, claims_count=claims, due=due, as_of=today())
        engine.dispose()
    if as_json:
        print_json(result)
    else:
        console.print(result)
