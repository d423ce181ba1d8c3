"""``krav case defer`` and ``krav plan …``: deferrals, payment plans and the handler's queue."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from krav.agreements import plans, service
from krav.cli.apps import app, case_app
from krav.cli.common import (
    DbOption,
    JsonOption,
    cli_actor,
    console,
    day_option,
    open_db,
    print_json,
)
from krav.kernel.money import fmt_nok, parse_amount

plan_app = typer.Typer(help="Nedbetalingsavtaler og utsettelser: forslag, godkjenning, "
                            "oppfølging.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

OnOption = Annotated[str | None, typer.Option("--on", help="ÅÅÅÅ-MM-DD (standard: i dag)")]
FirstOption = Annotated[str, typer.Option("--first", help="første avdrags forfall, ÅÅÅÅ-MM-DD")]
CountOption = Annotated[int | None, typer.Option("--instalments", help="antall månedlige avdrag")]
AmountOption = Annotated[str | None, typer.Option(
    "--amount", help="beløp per måned (kroner), i stedet for --instalments")]
STATUS_NB = {"requested": "venter på saksbehandler", "proposed": "tilbudt, venter på skyldners "
             "svar", "active": "i kraft", "breached": "misligholdt (varsel sendt)",
             "review": "til vurdering", "completed": "betalt", "ended": "avsluttet",
             "cancelled": "avbrutt", "rejected": "avslått"}


def _amount(value: str | None) -> Decimal | None:
    return parse_amount(value, where="--amount") if value is not None else None


@case_app.command("defer")
def defer(ref: str, until: Annotated[str, typer.Option("--until", help="ny frist, ÅÅÅÅ-MM-DD")],
          on: OnOption = None, note: Annotated[str, typer.Option(
              "--note", help="skyldnerens begrunnelse")] = "",
          db: DbOption = None, as_json: JsonOption = False) -> None:
    """Utsettelse: ny frist; saken venter til fristen er ute og bekreftelse sendes. Utover
    oppdragsgiverens fullmakt blir det en forespørsel til saksbehandler."""
    day = day_option(on, "--on")
    with open_db(db).begin() as conn:
        data = service.defer(conn, ref, until=day_option(until, "--until"), on=day,
                             actor=cli_actor(), note=note)
    if as_json:
        print_json(data)
        return
    if data["granted"]:
        console.print(f"{data['case']}: utsatt til {data['until']:%d.%m.%Y} ({data['ref']}); "
                      "bekreftelse er lagt i utboksen", highlight=False)
    else:
        console.print(f"{data['case']}: utover fullmakten — forespørsel {data['ref']} venter på "
                      f"saksbehandler: {'; '.join(data['reasons'])}", highlight=False)


def _print_plan(data: dict[str, Any]) -> None:
    console.print(f"[bold]{data['ref']}[/] · {STATUS_NB.get(data['status'], data['status'])} · "
                  f"totalt {fmt_nok(data['total'])} kr", highlight=False)
    table = Table(title="Avdrag")
    for column in ("Nr", "Forfall", "Beløp", "KID", "Betalt"):
        table.add_column(column, justify="right" if column in ("Beløp", "Betalt") else "left")
    for n, i in enumerate(data["instalments"], 1):
        table.add_row(str(n), f"{i['due']:%d.%m.%Y}", fmt_nok(i["amount"]), i["kid"] or "—",
                      fmt_nok(i["paid"]))
    console.print(table)
    if data["uplift_warning"]:
        console.print("[bold]Merk:[/] mer enn fire avdrag — grensen for inkassosalær øker med "
                      "1,5 × inkassosatsen (inkassoforskriften § 2-4). Skyldneren må få vite det "
                      "før avtalen godtas (`krav plan accept REF --warned`), ellers kreves "
                      "tillegget ikke.", highlight=False)


@plan_app.command("propose")
def propose(refs: Annotated[list[str], typer.Argument(help="saksnummer (flere: samme skyldner)")],
            first: FirstOption, instalments: CountOption = None, amount: AmountOption = None,
            limited: Annotated[bool, typer.Option(
                "--limited", help="begrenset avtale: --amount per måned i --months måneder, "
                                  "deretter vurdering")] = False,
            months: Annotated[int | None, typer.Option(
                "--months", help="måneder (begrenset avtale)")] = None,
            note: Annotated[str, typer.Option("--note", help="skyldnerens begrunnelse")] = "",
            on: OnOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Foreslå en nedbetalingsavtale. Innenfor fullmakten tilbys den straks (godtas med
    `krav plan accept`); ellers blir den en forespørsel til saksbehandler."""
    with open_db(db).begin() as conn:
        data = plans.propose(conn, refs, on=day_option(on, "--on"),
                             first=day_option(first, "--first"), instalments=instalments,
                             amount=_amount(amount), months=months,
                             kind="limited" if limited else "plan", note=note, actor=cli_actor())
    if as_json:
        print_json(data)
        return
    _print_plan(data)


@plan_app.command("calc")
def calc_command(refs: Annotated[list[str], typer.Argument(help="saksnummer")],
                 first: FirstOption, instalments: CountOption = None,
                 amount: AmountOption = None, on: OnOption = None, db: DbOption = None,
                 as_json: JsonOption = False) -> None:
    """Kalkulator: antall måneder ↔ beløp per måned, og hva avtalen koster i alt med renter."""
    with open_db(db).connect() as conn:
        data = plans.calculate(conn, refs, on=day_option(on, "--on"),
                               first=day_option(first, "--first"), instalments=instalments,
                               amount=_amount(amount), actor=cli_actor())
    if as_json:
        print_json(data)
        return
    console.print(f"{data['count']} avdrag à {fmt_nok(data['per_month'])} kr (siste "
                  f"{fmt_nok(data['instalments'][-1]['amount'])} kr) · skyldes i dag "
                  f"{fmt_nok(data['owed']['total'])} kr · renter i perioden ca. "
                  f"{fmt_nok(data['interest'])} kr · totalt {fmt_nok(data['total'])} kr",
                  highlight=False)
    if data["uplift_warning"]:
        console.print(f"Mer enn fire avdrag: salærgrensen øker med inntil "
                      f"{fmt_nok(data['uplift_max'])} kr (inkassoforskriften § 2-4).",
                      highlight=False)
    console.print("Innenfor fullmakten." if data["within_authority"] else
                  "Krever saksbehandler: " + "; ".join(data["reasons"]), highlight=False)


@plan_app.command("accept")
def accept(ref: str, warned: Annotated[bool, typer.Option(
               "--warned", help="skyldneren er fortalt at avtalen øker kostnadene (mer enn fire "
                                "avdrag, inkassoforskriften § 2-4); uten dette kreves ikke "
                                "tillegget")] = False,
           on: OnOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Skyldneren godtar avtalen: den trer i kraft, saken stanses og bekreftelsen sendes."""
    with open_db(db).begin() as conn:
        data = plans.accept(conn, ref, on=day_option(on, "--on"), warned=warned,
                            actor=cli_actor())
    if as_json:
        print_json(data)
        return
    _print_plan(data)


@plan_app.command("show")
def show(ref: str, as_of: Annotated[str | None, typer.Option("--as-of", help="ÅÅÅÅ-MM-DD")] = None,
         db: DbOption = None, as_json: JsonOption = False) -> None:
    """Vis en avtale (avtalenummer eller saksnummer): avdrag, KID og hva som er betalt."""
    with open_db(db).connect() as conn:
        data = plans.show(conn, ref, as_of=day_option(as_of, "--as-of"), actor=cli_actor())
    if as_json:
        print_json(data)
        return
    _print_plan(data)


@plan_app.command("cancel")
def cancel(ref: str, reason: Annotated[str, typer.Option("--reason")] = "",
           on: OnOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Avbryt en avtale; innkrevingen fortsetter der den stod."""
    with open_db(db).begin() as conn:
        data = service.cancel(conn, ref, on=day_option(on, "--on"), reason=reason,
                              actor=cli_actor())
    if as_json:
        print_json(data)
        return
    resumed = f"; gjenopptatt: {', '.join(data['resumed'])}" if data["resumed"] else ""
    console.print(f"{data['ref']}: avbrutt{resumed}", highlight=False)


@plan_app.command("requests")
def requests(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Saksbehandlerens kø: forespørsler utover fullmakten og begrensede avtaler til vurdering."""
    with open_db(db).connect() as conn:
        rows = service.requests(conn, actor=cli_actor())
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Forespørsler ({len(rows)})")
    for column in ("Avtale", "Type", "Saker", "Fra", "Hva", "Hvorfor"):
        table.add_column(column)
    for r in rows:
        what = f"til {r['until']:%d.%m.%Y}" if r["kind"] == "deferral" else \
            f"{r['instalments']} × {fmt_nok(r['amount'] or Decimal(0))} kr"
        table.add_row(r["ref"], {"deferral": "utsettelse", "plan": "nedbetaling",
                                 "limited": "begrenset"}[r["kind"]], ", ".join(r["cases"]),
                      f"{r['created_on']:%d.%m.%Y}", what, "; ".join(r["reasons"]))
    console.print(table)


@plan_app.command("approve")
def approve(ref: str, on: OnOption = None, db: DbOption = None,
            as_json: JsonOption = False) -> None:
    """Godkjenn en forespørsel: en utsettelse gis straks, en avtale tilbys skyldneren."""
    with open_db(db).begin() as conn:
        data = service.approve(conn, ref, on=day_option(on, "--on"), actor=cli_actor())
    if as_json:
        print_json(data)
        return
    console.print(f"{data['ref']}: godkjent ({STATUS_NB.get(data['status'], data['status'])})",
                  highlight=False)


@plan_app.command("reject")
def reject(ref: str, reason: Annotated[str, typer.Option("--reason", help="begrunnelse")],
           on: OnOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Avslå en forespørsel med begrunnelse."""
    with open_db(db).begin() as conn:
        data = service.reject(conn, ref, on=day_option(on, "--on"), reason=reason,
                              actor=cli_actor())
    if as_json:
        print_json(data)
        return
    console.print(f"{data['ref']}: avslått", highlight=False)
