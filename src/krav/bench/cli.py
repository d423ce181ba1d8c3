"""``krav bench nightly``: the nightly run's benchmark (letters and payments add their own)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from krav.bench.nightly import bench_nightly
from krav.cli.apps import bench_app
from krav.cli.common import (
    DbOption,
    JsonOption,
    console,
    err_console,
    print_json,
    progress_bar,
    today,
)
from krav.db.engine import make_engine, reset_schema
from krav.kernel.errors import InvalidInput, UnableToProceed


@contextmanager
def build_progress(description: str, say: Callable[[str], None]
                   ) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on a terminal; otherwise a line on standard error per tenth done."""
    if err_console.is_terminal:
        with progress_bar(description) as report:
            yield report
        return
    shown = [0]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // max(1, total)
        if tenth > shown[0]:
            shown[0] = tenth
            say(f"{description}: {done}/{total}")

    yield report


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


@bench_app.command("api")
def api(
    claims: Annotated[int, typer.Option("--claims", help="antall krav i databasen")] = 100_000,
    rate: Annotated[float, typer.Option("--rate", help="GET-forespørsler per sekund (åpen "
                                                       "sløyfe)")] = 500.0,
    duration: Annotated[float, typer.Option("--duration", help="sekunder per scenario")] = 10.0,
    concurrency: Annotated[int, typer.Option("--concurrency",
                                             help="samtidige forbindelser for GET")] = 32,
    workers: Annotated[int, typer.Option("--workers", help="krav serve --workers")] = 2,
    batch: Annotated[int, typer.Option("--batch", help="krav per POST")] = 1000,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Bygg N krav, start «krav serve» og mål API-et: GET /api/v1/claims/{ref} og POST
    /api/v1/claims i bunter. NB: databasen i --db tømmes først (standard: en midlertidig
    SQLite-fil)."""
    import sys as _sys

    from krav.bench.api import bench_api
    from krav.intake.api import MAX_ITEMS

    if claims < 3:
        raise InvalidInput("må være minst 3", where="--claims")
    if not (0 < rate <= 100_000) or not (0 < duration <= 3600):
        raise InvalidInput("--rate må være 1–100000 og --duration 0–3600 s", where="--rate")
    if not (1 <= concurrency <= 1000) or not (1 <= workers <= 64):
        raise InvalidInput("--concurrency 1–1000, --workers 1–64", where="--concurrency")
    if not 1 <= batch <= MAX_ITEMS:
        raise InvalidInput(f"må være 1–{MAX_ITEMS}", where="--batch")

    def say(text: str) -> None:
        err_console.print(f"[dim]{text}[/dim]") if err_console.is_terminal else \
            print(text, file=_sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="krav-bench-api-") as tmp:
        url = db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        say(f"bygger {claims} krav i {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
        with build_progress(f"Bygger {claims} krav", say) as report:
            result = bench_api(url, claims_count=claims, rate=rate, duration=duration,
                               concurrency=concurrency, workers=workers, batch=batch,
                               as_of=today(), log_dir=Path(tmp), progress=report, say=say)
        make_engine(url).dispose()
    if as_json:
        print_json(result)
    else:
        console.print(result)
