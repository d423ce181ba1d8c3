"""``krav demo``: the main job on the embedded default (SQLite), with a progress bar."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from krav.cases.cli import STAGE_NB
from krav.cases.read import stage_counts
from krav.cli.apps import app
from krav.cli.common import DbOption, console, open_db, today
from krav.demo.run import demo_totals, run_demo
from krav.kernel.money import fmt_nok
from krav.law import law_book
from krav.law.check import covered_until

KIND_NB = {
    "reminder_fee": "purregebyr", "collection_notice_fee": "gebyr inkassovarsel",
    "payment_demand_fee": "gebyr betalingsoppfordring", "compensation": "kompensasjon § 3a",
    "interest": "forsinkelsesrente", "salaer": "salær", "principal": "hovedstol",
    "payment": "innbetalt", "reversal": "reversert", "writeoff": "nedskrevet",
}


@app.command("demo")
def demo(db: DbOption = None,
         claims: Annotated[int, typer.Option(help="antall krav i eksempelet")] = 1000,
         out: Annotated[Path, typer.Option(help="mappe for brevene")] = Path("out/letters"),
         ) -> None:
    """Last inn ~1 000 eksempelkrav og kjør et års nattkjøringer fram til i dag."""
    engine = open_db(db)
    day = today()
    # The demo's year of nightly runs ends where krav's law data ends (a half-yearly rate not
    # yet published would stop the run on 1 January): it says so and shows the year before.
    covered = covered_until(law_book(), day - timedelta(days=366), day)
    if covered < day:
        console.print(f"Lovdataene har ikke verdier etter {covered.isoformat()} (se krav law "
                      f"check); demoen kjører fram til den dagen.", markup=False)
        day = covered
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} dager"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("Nattkjøringer dag for dag", total=None)
        result = run_demo(engine, today=day, count=claims,
                          progress=lambda done, total: progress.update(task, completed=done,
                                                                       total=total))
    _report(engine, result)
    _write_letters(engine, out)
    _how_to_open_the_pages(engine)


DEMO_ADMIN = "demo@krav.example"


def _how_to_open_the_pages(engine) -> None:  # type: ignore[no-untyped-def]
    """An admin for the demo book with a one-time link, and how to open the pages."""
    from krav.accounts.tables import users
    from krav.accounts.users import add_user, new_link
    from krav.cli.common import cli_actor
    from krav.settings import load_settings, site_url

    settings = load_settings()
    valid = timedelta(hours=settings.invite_hours)
    with engine.begin() as conn:
        known = conn.execute(users.select().where(users.c.email == DEMO_ADMIN)).first()
        made = (new_link if known else add_user)(
            conn, DEMO_ADMIN, actor=cli_actor(), public_url=site_url(settings), valid=valid,
            **({} if known else {"role": "admin", "creditor_orgnr": None}))
    console.print("\n[bold]Sidene i nettleseren[/]: en administrator er laget for demoen "
                  f"({DEMO_ADMIN}).\n"
                  "  1. Start serveren i en annen terminal:  .venv/bin/krav serve\n"
                  "  2. Åpne engangslenken og velg et passord (minst 10 tegn):\n"
                  f"     {made.link}\n"
                  f"  3. Logg inn på {site_url(settings)}/login — og prøv "
                  f"{site_url(settings)}/healthz\n"
                  "  API-nøkkel for en oppdragsgiver: krav apikey create --creditor ORGNR "
                  "--name test (se krav creditor list)", highlight=False, soft_wrap=True)


def _write_letters(engine, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Every letter of the demo as a print-ready PDF (issue 3: the sample's letters)."""
    from krav.letters.service import write_all_letters

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.pdf"):
        old.unlink()
    with console.status(f"Skriver brevene som PDF til {out}/ …"):
        paths = write_all_letters(engine, out)
    console.print(f"{len(paths)} brev skrevet som PDF til [bold]{out}/[/] "
                  f"(f.eks. {paths[0].name if paths else '—'})")


def _report(engine, result) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        counts = stage_counts(conn)
    stages = Table(title=f"Saker per fase per {result.today} ({result.claims} krav, "
                         f"{result.first_day} → {result.today})")
    stages.add_column("Status")
    stages.add_column("Fase")
    stages.add_column("Antall", justify="right")
    for status, stage, n in counts:
        stages.add_row(status, STAGE_NB.get(stage, stage), str(n))
    console.print(stages)
    totals = demo_totals(engine)
    money = Table(title="Belastet og innkrevd (kr)")
    money.add_column("Post")
    money.add_column("Beløp", justify="right")
    for kind in ("principal", "interest", "reminder_fee", "collection_notice_fee",
                 "payment_demand_fee", "compensation", "salaer", "payment", "reversal"):
        if kind in totals:
            money.add_row(KIND_NB[kind], fmt_nok(totals[kind]))
    money.add_row("[bold]innbetalt totalt[/]", fmt_nok(totals["collected"]))
    console.print(money)
    check = "ingen avvik" if not result.ledger_problems else "; ".join(result.ledger_problems[:5])
    console.print(f"{result.payments} innbetalinger, {result.disputes} innsigelser. "
                  f"Hovedbokkontroll: {check}")
    console.print("Se videre:  [bold].venv/bin/krav cases[/]   ·   "
                  "[bold].venv/bin/krav case show K-0000001[/]   ·   "
                  "[bold].venv/bin/krav law show[/]   ·   [bold].venv/bin/krav run --dry-run[/]")
