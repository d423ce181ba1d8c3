"""The ``krav`` command tree. Each context adds its commands in its own ``cli.py``."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="krav",
    help="krav — inkasso og purring etter norsk lov, med hver krone forklart.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
law_app = typer.Typer(help="Lovverket som data: satser og regler i kraft på en dato.",
                      no_args_is_help=True)
calc_app = typer.Typer(help="Kalkulatorer: rente og gebyrer.", no_args_is_help=True)
kid_app = typer.Typer(help="KID: lag og kontroller.", no_args_is_help=True)
import_app = typer.Typer(help="Import av krav.", no_args_is_help=True)
payments_app = typer.Typer(help="Innbetalinger: import, matching, kø.", no_args_is_help=True)
case_app = typer.Typer(help="Én sak: vis, bestrid, gjenoppta, trekk.", no_args_is_help=True)
letters_app = typer.Typer(help="Brev: gjengi, utskrift, retur.", no_args_is_help=True)
bench_app = typer.Typer(help="Ytelsesmålinger.", no_args_is_help=True)

app.add_typer(law_app, name="law")
app.add_typer(calc_app, name="calc")
app.add_typer(kid_app, name="kid")
app.add_typer(import_app, name="import")
app.add_typer(payments_app, name="payments")
app.add_typer(case_app, name="case")
app.add_typer(letters_app, name="letters")
app.add_typer(bench_app, name="bench")
