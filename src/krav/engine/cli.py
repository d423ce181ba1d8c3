"""``krav run``: the nightly run, with a progress bar and a summary (or ``--json``)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.table import Table

from krav.cli.apps import app
from krav.cli.common import (
    DbOption,
    JsonOption,
    cli_actor,
    console,
    day_option,
    open_db,
    print_json,
    progress_bar,
)
from krav.engine.lock import run_lock
from krav.engine.run import run_nightly
from krav.kernel.money import fmt_nok
from krav.law import law_book
from krav.law.check import warnings


@app.command("run")
def run_command(
    db: DbOption = None, as_json: JsonOption = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="kjøredag ÅÅÅÅ-MM-DD")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="vis planen, skriv ingenting")] = False,
) -> None:
    """Nattkjøringen: før hver sak med et forfalt steg videre (trygg å kjøre flere ganger)."""
    day = day_option(as_of, "--as-of")
    engine = open_db(db)
    _warn_law(day)
    with ExitStack() as held:
        if not dry_run:  # one run at a time per database (engine.lock)
            held.enter_context(run_lock(engine))
        _run(engine, day, as_json=as_json, dry_run=dry_run)


def _run(engine, day, *, as_json: bool, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        summary = run_nightly(engine, as_of=day, dry_run=dry_run, actor=cli_actor())
        print_json(summary.to_json())
        _warn_held(summary)
        return
    with progress_bar(f"Nattkjøring {day}") as report:
        summary = run_nightly(engine, as_of=day, dry_run=dry_run, progress=report,
                              actor=cli_actor())
    table = Table(title=f"Nattkjøring {day}{' (tørrkjøring)' if dry_run else ''}")
    table.add_column("Hva")
    table.add_column("Antall", justify="right")
    if summary.resumed:
        table.add_row("pauser som er utløpt (gjenopptatt)", str(summary.resumed))
    table.add_row("saker med forfalt steg", str(summary.claims_due))
    table.add_row("saker endret", str(summary.claims_changed))
    if summary.claims_held:
        table.add_row("saker holdt tilbake (se under)", str(summary.claims_held))
    if summary.waiting_for_letter:
        table.add_row("venter på at forrige brev sendes", str(summary.waiting_for_letter))
    for kind, n in sorted(summary.letters.items()):
        table.add_row(f"brev: {kind}", str(n))
    for kind, n in sorted(summary.postings.items()):
        table.add_row(f"postering: {kind}", str(n))
    console.print(table)
    console.print(f"Belastet: {fmt_nok(summary.to_json()['charged'])} kr")
    if summary.waiting_for_letter:
        console.print(f"{summary.waiting_for_letter} saker venter: forrige brev er ikke sendt "
                      "(se `krav letters attention`).")
    if dry_run:
        for plan in summary.plans[:50]:
            console.print(f"{plan['ref']}: {plan['from_stage']} → {plan['to_stage']} "
                          + ", ".join(f"{p['kind']} {p['amount']} ({p['rule']})"
                                      for p in plan["postings"]))
    _warn_held(summary)


HELD_EXIT_CODE = 3
PROFILE_MARK = "holdes tilbake: mangler "  # krav.cases.profile.hold_reason


def _warn_law(day) -> None:  # type: ignore[no-untyped-def]
    """Law data running out within 30 days (or a local value krav overrides): one line each on
    standard error, so ``--json`` output stays JSON. A gap on the run day itself is not a
    warning: the run stops with that error before writing anything (``require_known``)."""
    book = law_book()
    if book.gaps(day, day):
        return
    for line in warnings(book, day):
        typer.echo(f"krav: {line}", err=True)


def _warn_held(summary) -> None:  # type: ignore[no-untyped-def]
    """Creditors held back (a policy the law no longer allows, or a profile that lacks what
    letters need): one line each and how to fix it, exit 3."""
    if not summary.held_creditors:
        return
    for line in summary.held_creditors:
        print(f"krav: {line}", file=sys.stderr)
    parts = [part for line in summary.held_creditors for part in line.split("; ")]
    fixes = []
    if any(PROFILE_MARK in part for part in parts):
        fixes.append("fyll inn profilen med `krav creditor update ORGNR`")
    if any(PROFILE_MARK not in part for part in parts):
        fixes.append("rett policyen med `krav creditor set-policy`")
    print(f"krav: {summary.claims_held} saker ble holdt tilbake; {' og '.join(fixes)}",
          file=sys.stderr)
    raise typer.Exit(HELD_EXIT_CODE)
