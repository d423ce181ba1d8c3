"""``krav law show|check|set``, ``krav calc interest``, ``krav calc fees``, ``krav kid make|check``.

Entry points: the only place in the law context that reads the clock (``--on`` defaults to today).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from krav.cli.apps import calc_app, kid_app, law_app
from krav.cli.common import (
    DbOption,
    JsonOption,
    cli_actor,
    console,
    day_option,
    err_console,
    open_db,
    print_json,
)
from krav.kernel.dates import parse_date
from krav.kernel.errors import InvalidInput
from krav.kernel.ids import kid_algorithms, kid_valid, make_kid
from krav.kernel.money import fmt, fmt_nok, parse_amount
from krav.law import Entry, law_book
from krav.law.check import WARN_DAYS, report
from krav.law.loader import overlay_root
from krav.law.overlay import set_local_value
from krav.law.rules import compensation, instalment_uplift, interest, letter_fee, salaer

OnOption = Annotated[str | None, typer.Option("--on", help="Dato (ÅÅÅÅ-MM-DD); standard: i dag")]


@law_app.command("show")
def law_show(on: OnOption = None, json: JsonOption = False) -> None:
    """Vis alle lovparametere i kraft på en dato, med kilde."""
    day = day_option(on, "--on")
    book = law_book()
    entries = book.on(day)
    conflicts = [c.message() for c in book.conflicts]
    if json:
        print_json(
            {
                "on": day,
                "regime": book.regime(day),
                "parameters": {name: _entry_json(e) for name, e in entries.items()},
                "missing": [g.message() for g in book.gaps(day, day)],
                "conflicts": conflicts,
            }
        )
        return
    table = Table(title=f"Lovverket {day.isoformat()} — {book.regime(day)}")
    for column in ("Parameter", "Verdi", "Fra", "Kilde"):
        table.add_column(column, overflow="fold")
    for name, e in entries.items():
        since = e.since.isoformat() + (" (forfall)" if e.keyed_by == "due_date" else "")
        source = f"LOKAL (KRAV_LAW_DIR): {e.source}" if e.local else e.source
        table.add_row(name, e.text + (" (lokal)" if e.local else ""), since, source)
    for gap in book.gaps(day, day):
        table.add_row(gap.name, "MANGLER", gap.first_missing.isoformat(), gap.hint())
    console.print(table)
    for line in conflicts:
        err_console.print(f"advarsel: {line}", markup=False, highlight=False)


@law_app.command("check")
def law_check(
    days: Annotated[int, typer.Option("--days", min=0, max=3660,
                                      help="Så mange dager framover (standard 30)")] = WARN_DAYS,
    on: OnOption = None,
    json: JsonOption = False,
) -> None:
    """Sjekk at alle lovparametere har en verdi hver dag fra --on (i dag) og --days framover.

    Avslutter med kode 1 når en verdi mangler i perioden (for varsling fra cron).
    """
    day = day_option(on, "--on")
    result = report(law_book(), day, days)
    if json:
        print_json(result)
    else:
        for gap in result["gaps"]:
            typer.echo(f"mangler: {gap['message']}")
        for conflict in result["conflicts"]:
            typer.echo(f"konflikt: {conflict['message']}")
        if result["ok"]:
            typer.echo(f"ok: alle lovparametere har verdi {result['from']} – {result['to']}")
    if not result["ok"]:
        raise SystemExit(1)


@law_app.command("set")
def law_set(
    quantity: Annotated[str, typer.Argument(
        help="Lovparameter, f.eks. interest/forsinkelsesrente")],
    start: Annotated[str, typer.Option("--from", help="Gjelder fra (ÅÅÅÅ-MM-DD)")],
    value: Annotated[str, typer.Option("--value", help='Verdien, f.eks. "12.25"')],
    source: Annotated[str, typer.Option("--source", help="Kilden (forskrift, kunngjøring)")],
    db: DbOption = None,
) -> None:
    """Legg inn en kunngjort verdi lokalt (i KRAV_LAW_DIR), uten ny versjon av krav. Endringen
    står i revisjonssporet (`krav audit`) i databasen."""
    from krav.audit.service import record

    day = parse_date(start, where="--from")
    with open_db(db).begin() as conn:  # the audit row commits only if the value was written
        result = set_local_value(overlay_root(), quantity, day, value, source)
        record(conn, cli_actor(), "law.set", details={
            "quantity": result.name, "from": result.start.isoformat(), "value": result.text,
            "source": source, "replaced": result.replaced, "file": str(result.path)})
    replaced = f" (erstattet {result.replaced})" if result.replaced else ""
    typer.echo(f"{result.name} = {result.text} fra {result.start.isoformat()}{replaced}, "
               f"lagret lokalt i {result.path}")
    book = law_book()
    for conflict in book.conflicts:
        err_console.print(f"advarsel: {conflict.message()}", markup=False, highlight=False)


def _entry_json(entry: Entry) -> dict[str, Any]:
    money = entry.unit in ("NOK", "EUR")  # amounts as "1234.50"; rates and factors as written
    return {
        "value": fmt(entry.value) if money else _plain(entry.value),
        "text": entry.text,
        "unit": entry.unit,
        "since": entry.since,
        "keyed_by": entry.keyed_by,
        "source": entry.source,
        "description": entry.description,
        "local": entry.local,
    }


def _plain(value: Any) -> Any:
    """Law values for JSON: Decimals as written ("0.05", "12.25"), never forced to two decimals."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@calc_app.command("interest")
def calc_interest(
    principal: Annotated[str, typer.Option("--principal", help="Hovedstol, f.eks. 10000.00")],
    due: Annotated[str, typer.Option("--due", help="Forfallsdato (ÅÅÅÅ-MM-DD)")],
    until: Annotated[str, typer.Option("--until", help="Betalingsdato, renten regnes til og med")],
    json: JsonOption = False,
) -> None:
    """Forsinkelsesrente fra dagen etter forfall til og med --until."""
    amount = parse_amount(principal, where="--principal")
    start, end = parse_date(due, where="--due"), parse_date(until, where="--until")
    result = interest(law_book(), principal=amount, start=start, end=end)
    periods = [
        {"from": p.first, "to": p.last, "days": p.days, "rate": p.rate, "interest": p.amount}
        for p in result.periods
    ]
    if json:
        print_json({"interest": result.amount, "days": result.days, "periods": periods})
        return
    table = Table(
        title=f"Forsinkelsesrente av {fmt_nok(amount)} kr, forfall {start}, til og med {end}"
    )
    for column in ("Fra", "Til", "Dager", "Sats %", "Rente"):
        table.add_column(column, justify="right")
    for p in result.periods:
        table.add_row(str(p.first), str(p.last), str(p.days), fmt(p.rate), fmt_nok(p.amount))
    table.add_row("Sum", "", str(result.days), "", fmt_nok(result.amount))
    console.print(table)


@calc_app.command("fees")
def calc_fees(
    principal: Annotated[str, typer.Option("--principal", help="Hovedstol (grunnlag for salær)")],
    due: Annotated[str, typer.Option("--due", help="Forfallsdato (ÅÅÅÅ-MM-DD)")],
    debtor: Annotated[str, typer.Option("--debtor", help="consumer | business")],
    no_vat_deduction: Annotated[
        bool, typer.Option("--no-vat-deduction", help="Fordringshaveren har ikke fradrag for mva")
    ] = False,
    on: OnOption = None,
    json: JsonOption = False,
) -> None:
    """Gebyrer for brev sendt --on, salær for hovedstol betalt --on, og standardkompensasjon."""
    amount = parse_amount(principal, where="--principal")
    due_day = parse_date(due, where="--due")
    if debtor not in ("consumer", "business"):
        raise InvalidInput(
            f"ukjent skyldnertype {debtor!r}", where="--debtor", allowed="consumer | business"
        )
    day = day_option(on, "--on")
    result = fees_on(amount, due_day, debtor, vat_deductible=not no_vat_deduction, day=day)
    if json:
        print_json(result)
        return
    table = Table(title=f"Gebyrer og salær {day.isoformat()} (forfall {due_day}, {debtor})")
    table.add_column("Post")
    table.add_column("Beløp", justify="right")
    for key, value in result.items():
        table.add_row(key, fmt_nok(value))
    console.print(table)


def fees_on(
    principal: Decimal, due: date, debtor: str, *, vat_deductible: bool, day: date
) -> dict[str, Decimal]:
    """Figures of ``krav calc fees``: creditor's letter fees sent ``day``, salær paid ``day``."""
    book = law_book()
    fee = {
        kind: letter_fee(book, kind=kind, due=due, sent_on=day, sender="creditor").amount
        for kind in ("reminder", "collection_notice", "payment_demand")
    }
    common = {
        "basis": principal,
        "due": due,
        "sats_on": day,
        "debtor_kind": debtor,
        "vat_deductible": vat_deductible,
    }
    return {
        "inkassosats": book.value("fees/inkassosats", day),
        "reminder_fee": fee["reminder"],
        "collection_notice_fee": fee["collection_notice"],
        "payment_demand_fee": fee["payment_demand"],
        "salaer_lett": salaer(book, level="lett", **common).amount,  # type: ignore[arg-type]
        "salaer_tung": salaer(book, level="tung", **common).amount,  # type: ignore[arg-type]
        "instalment_uplift": instalment_uplift(
            book, sats_on=day, vat_deductible=vat_deductible
        ).amount,
        "compensation": compensation(book, debtor_kind=debtor, on=day).amount,
    }


ModOption = Annotated[int, typer.Option("--mod", help="10 (MOD10/Luhn) eller 11 (MOD11)")]


@kid_app.command("make")
def kid_make(
    digits: Annotated[str, typer.Argument(help="KID-grunnlag (siffer)")],
    mod: ModOption = 10,
    json: JsonOption = False,
) -> None:
    """Lag en KID: grunnlaget pluss kontrollsiffer."""
    kid = make_kid(digits, mod)
    if json:
        print_json({"kid": kid, "mod": mod})
    else:
        typer.echo(kid)


@kid_app.command("check")
def kid_check(
    kid: Annotated[str, typer.Argument(help="KID som skal kontrolleres")],
    mod: Annotated[
        int | None, typer.Option("--mod", help="Bare denne algoritmen (10 eller 11)")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Kontroller en KID; avslutter med kode 1 når den er ugyldig."""
    if mod not in (None, 10, 11):
        raise InvalidInput(f"ukjent modulus {mod}", where="--mod", allowed="10 eller 11")
    valid = kid_valid(kid, mod)
    algorithms = [a for a in kid_algorithms(kid) if mod is None or a == f"MOD{mod}"]
    if json:
        print_json({"kid": kid, "valid": valid, "algorithms": algorithms})
    else:
        typer.echo(f"gyldig ({', '.join(algorithms)})" if valid else "ugyldig")
    if not valid:
        raise SystemExit(1)
