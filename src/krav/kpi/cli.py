"""``krav kpi``: the dashboard's figures on the command line (the same function as the API)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from krav.cases.cli import STAGE_NB, STATUS_NB
from krav.cli.apps import app, bench_app
from krav.cli.common import (
    DbOption,
    JsonOption,
    console,
    day_option,
    open_db,
    print_json,
    progress_bar,
    today,
)
from krav.kernel.money import fmt_nok
from krav.kpi.service import kpi

AGE_NB = {"0-30": "0–30 dager", "31-60": "31–60 dager", "61-90": "61–90 dager",
          "91-180": "91–180 dager", "180+": "over 180 dager"}
COLLECTED_NB = {"principal": "hovedstol", "interest": "renter", "costs": "kostnader",
                "total": "sum", "direct": "herav direkte til oppdragsgiver"}
OUTCOME_NB = {"opened": "registrert", "pending": "venter", "resumed": "gjenopptatt",
              "paid": "betalt", "withdrawn": "trukket", "written_off": "avskrevet",
              "time_barred": "foreldet"}


def this_month(day: date) -> str:
    return f"{day:%Y-%m}"


@app.command("kpi")
def kpi_command(
    creditor: Annotated[str | None, typer.Option(
        "--creditor", help="oppdragsgiverens org.nr (uten: alle oppdragsgivere)")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", help="ÅÅÅÅ-MM (standard: denne måneden)")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="utestående per denne dagen, ÅÅÅÅ-MM-DD (standard: i dag)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Nøkkeltall: utestående etter fase og alder, innbetalt i perioden, løsningsgrad."""
    day = day_option(as_of, "--as-of")
    engine = open_db(db)
    with engine.connect() as conn:
        data = kpi(conn, period=period or this_month(today()), as_of=day, creditor=creditor)
    if as_json:
        print_json(data)
        return
    _print(data)


def _table(title: str, head: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column(head)
    table.add_column("Beløp", justify="right")
    for label, amount in rows:
        table.add_row(label, amount)
    return table


def _print(data: dict[str, Any]) -> None:
    who = f"{data['creditor_name']} ({data['creditor']})" if data["creditor"] \
        else "alle oppdragsgivere"
    console.print(f"[bold]Nøkkeltall[/] for {who} · periode {data['period']} · "
                  f"utestående per {data['as_of']:%d.%m.%Y}")
    console.print(f"Utestående: [bold]{fmt_nok(data['outstanding_total'])}[/] kr i "
                  f"{data['open_cases']} åpne saker (herav påløpt rente "
                  f"{fmt_nok(data['interest_accrued'])})")
    stages = [(STAGE_NB.get(s, s), fmt_nok(a)) for s, a in data["outstanding_by_stage"].items()
              if a or data["open_cases_by_stage"].get(s)]
    console.print(_table("Utestående etter fase", "Fase", stages))
    statuses = [(STATUS_NB.get(s, s), fmt_nok(a))
                for s, a in data["outstanding_by_status"].items()]
    console.print(_table("Utestående etter status", "Status", statuses))
    ages = [(AGE_NB[b], fmt_nok(a)) for b, a in data["outstanding_by_age"].items()]
    console.print(_table("Utestående etter dager over forfall", "Alder", ages))
    money = [(COLLECTED_NB[k], fmt_nok(a)) for k, a in data["collected"].items()]
    console.print(_table(f"Innbetalt i {data['period']}", "Del", money))
    cohort = data["cohort"]
    rate = f"{cohort['rate_90']} %".replace(".", ",") if cohort["rate_90"] is not None else "–"
    console.print(f"Overlevert i {data['period']}: {cohort['handed_over']} saker "
                  f"({fmt_nok(cohort['handed_over_amount'])} kr); betalt innen 30 dager: "
                  f"{cohort['resolved_30']}, 60: {cohort['resolved_60']}, 90: "
                  f"{cohort['resolved_90']} — løst innen 90 dager: {rate}")
    dso = str(data["dso"]).replace(".", ",") if data["dso"] is not None else "–"
    console.print(f"DSO: {dso} dager")
    console.print("Innsigelser i perioden: " + ", ".join(
        f"{OUTCOME_NB.get(k, k)} {v}" for k, v in data["disputes"].items()))


@bench_app.command("kpi")
def bench_kpi_command(
    claims: Annotated[int, typer.Option("--claims", help="antall krav i boken")] = 200_000,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Bygg en toårs bok med N krav i en tom database og ta tiden på nøkkeltallene."""
    import tempfile
    from pathlib import Path

    from krav.db.engine import make_engine, reset_schema
    from krav.kernel.errors import UnableToProceed
    from krav.kpi.bench import bench_kpi

    if claims <= 0:
        raise UnableToProceed("--claims må være positivt")
    with tempfile.TemporaryDirectory() as tmp, progress_bar("Bygger boken") as progress:
        url = db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        reset_schema(engine)
        result = bench_kpi(engine, claims_count=claims, as_of=today(), progress=progress)
        engine.dispose()
    if as_json:
        print_json(result)
    else:
        console.print(result)
