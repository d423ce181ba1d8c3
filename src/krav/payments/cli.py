"""``krav payments …``, ``krav settle`` and ``krav bench payments``: thin entry points.

Only these read the clock (``--on``/``--as-of`` default to today); everything else takes dates.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from krav.cli.apps import app, bench_app, payments_app
from krav.cli.common import (
    DbOption,
    JsonOption,
    cli_actor,
    console,
    day_option,
    err_console,
    open_db,
    print_json,
    progress_bar,
)
from krav.kernel.csvfile import DIALECT_HELP, FILE_RULES, dialect_named
from krav.kernel.errors import InvalidInput, UnableToProceed
from krav.kernel.money import fmt_nok, parse_amount
from krav.payments.formats.csv import DESIGNATIONS
from krav.payments.formats.csv import OPTIONAL as CSV_OPTIONAL
from krav.payments.formats.csv import REQUIRED as CSV_REQUIRED
from krav.payments.model import FORMATS
from krav.settings import load_settings

OnOption = Annotated[str | None, typer.Option("--on", help="Dato (ÅÅÅÅ-MM-DD), standard i dag")]
JSON_KEYS = ("transactions", "total", "matched", "unmatched", "duplicates")
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Bokføringsdag, standard i dag")]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"kan ikke lese filen ({exc.strerror})", where=str(path)) from None


CSV_HELP = f"""Importer en bankfil: match hver innbetaling og før den på kravet.

Formatet gjenkjennes (Nets OCR giro, camt.054/053, CSV) eller velges med --format.

CSV-kolonner (overskriftsrad, vilkårlig rekkefølge): påkrevd {", ".join(CSV_REQUIRED)}; valgfrie
{", ".join(CSV_OPTIONAL)}. Hver rad sier hvilket krav den gjelder: kid, eller invoice_number og
creditor_orgnr. designation er skyldners øremerking: {", ".join(DESIGNATIONS)}.

{FILE_RULES}
""".replace("\n", " ").replace("  ", "\n\n")


@payments_app.command("import", help=CSV_HELP)
def import_command(
    file: Annotated[Path, typer.Argument(help="Bankfil: OCR giro, camt.054/053 eller CSV")],
    fmt_: Annotated[str | None, typer.Option("--format", help="|".join(FORMATS))] = None,
    dialect: Annotated[str | None, typer.Option("--dialect", help="Bare CSV: "
                                                 + DIALECT_HELP)] = None,
    as_of: AsOfOption = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    from krav.payments.service import import_bank_file

    day = day_option(as_of, "--as-of")
    chosen = dialect_named(dialect) if dialect is not None else None
    data = _read(file)
    with open_db(db).begin() as conn:
        if as_json:
            report = import_bank_file(conn, data, name=str(file), fmt=fmt_, as_of=day,
                                      now=datetime.now(), dialect=chosen,
                                      actor=cli_actor())
        else:
            with progress_bar(f"Bokfører {file.name}") as progress:
                report = import_bank_file(conn, data, name=str(file), fmt=fmt_, as_of=day,
                                          now=datetime.now(), progress=progress,
                                          dialect=chosen, actor=cli_actor())
    if report.already_imported:
        (err_console if as_json else console).print(
            f"{file}: filen er allerede importert — ingenting endret "
            f"({report.transactions} transaksjoner).")
    if as_json:  # the contract: exactly these five keys
        summary = report.as_json()
        print_json({k: summary[k] for k in JSON_KEYS})
        return
    if report.already_imported:
        return
    foreign = f" (+ {report.foreign} i annen valuta)" if report.foreign else ""
    console.print(f"{file} ({report.format}): {report.transactions} transaksjoner, "
                  f"{fmt_nok(report.as_json()['total'])} kr{foreign} — {report.matched} matchet, "
                  f"{report.unmatched} i køen, {report.duplicates} allerede bokført, "
                  f"{report.reversals} tilbakeføringer, {report.closed} krav betalt fullt ut.")


@payments_app.command("unmatched")
def unmatched_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Vis innbetalinger som venter på manuell matching, med forslag."""
    from krav.payments.queue import unmatched_queue

    with open_db(db).connect() as conn:
        queue = unmatched_queue(conn)
    if as_json:
        print_json(queue)
        return
    table = Table("Innbetaling", "Dato", "Beløp", "KID", "Betaler", "Årsak", "Forslag")
    for q in queue:
        table.add_row(str(q["payment"]), q["paid_on"].isoformat(), fmt_nok(q["amount"]), q["kid"],
                      q["payer_name"] or q["payer_account"], q["reason"],
                      ", ".join(f"{s['ref']} ({s['reason']})" for s in q["suggestions"]))
    console.print(table if queue else "Køen er tom.")


@payments_app.command("assign")
def assign_command(
    payment: Annotated[int, typer.Argument(help="Innbetalingens nummer")],
    ref: Annotated[str, typer.Argument(help="Saksnummer eller KID")],
    designation: Annotated[str | None, typer.Option(
        "--designation", help="Skyldners øremerking: costs, interest eller principal")] = None,
    on: OnOption = None, db: DbOption = None,
) -> None:
    """Før en innbetaling fra køen på et krav."""
    from krav.payments.queue import assign_payment

    with open_db(db).begin() as conn:
        summary = assign_payment(conn, payment, ref, on=day_option(on, "--on"),
                                 designation=designation, actor=cli_actor())
    console.print(f"Innbetaling {payment} ført på {ref}"
                  + (" — kravet er betalt." if summary.closed else "."))


@payments_app.command("refund")
def refund_command(payment: Annotated[int, typer.Argument(help="Innbetalingens nummer")],
                   on: OnOption = None, db: DbOption = None) -> None:
    """Betal tilbake en uidentifisert innbetaling eller det som ble betalt for mye."""
    from krav.payments.queue import refund_payment

    with open_db(db).begin() as conn:
        amount = refund_payment(conn, payment, on=day_option(on, "--on"), actor=cli_actor())
    console.print(f"Innbetaling {payment}: {fmt_nok(amount)} kr betales tilbake.")


@payments_app.command("direct")
def direct_command(
    ref: Annotated[str, typer.Argument(help="Saksnummer eller KID")],
    amount: Annotated[str, typer.Argument(help="Beløp, f.eks. 1234.50")],
    on: Annotated[str, typer.Option("--on", help="Betalingsdato (ÅÅÅÅ-MM-DD)")],
    as_of: AsOfOption = None, db: DbOption = None,
) -> None:
    """Registrer en betaling skyldneren gjorde direkte til oppdragsgiveren."""
    from krav.payments.queue import direct_payment

    value = parse_amount(amount, where="AMOUNT")
    with open_db(db).begin() as conn:
        pid, summary = direct_payment(conn, ref, value, on=day_option(on, "--on"),
                                      as_of=day_option(as_of, "--as-of"), actor=cli_actor())
    console.print(f"Direkte betaling {pid} på {fmt_nok(value)} kr ført på {ref}"
                  + (" — kravet er betalt." if summary.closed else "."))


@payments_app.command("credit-note")
def credit_note_command(
    ref: Annotated[str, typer.Argument(help="Saksnummer eller KID")],
    amount: Annotated[str, typer.Argument(help="Beløp, f.eks. 250.00")],
    reason: Annotated[str, typer.Option("--reason", help="Begrunnelse")],
    on: OnOption = None, db: DbOption = None,
) -> None:
    """Kreditnota fra oppdragsgiveren: reduserer hovedstolen."""
    from krav.payments.queue import credit_note_for

    value = parse_amount(amount, where="AMOUNT")
    with open_db(db).begin() as conn:
        credit_note_for(conn, ref, value, on=day_option(on, "--on"), reason=reason,
                        actor=cli_actor())
    console.print(f"Kreditnota på {fmt_nok(value)} kr ført på {ref}.")


@payments_app.command("reconcile")
def reconcile_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Avstem klientkontoen mot det som skyldes oppdragsgivere, skyldnere og foretaket."""
    from krav.payments.reconcile import reconcile

    with open_db(db).connect() as conn:
        result = reconcile(conn)
    if as_json:
        print_json(result.as_json())
    else:
        d = {k: fmt_nok(v) for k, v in result.as_json().items() if k not in ("ok", "differences")}
        console.print(f"Klientkonto {d['balance']} kr; skyldes oppdragsgivere "
                      f"{d['owed_to_creditors']}, foretaket {d['agency_unsettled']}, skyldnere "
                      f"{d['owed_to_debtors']}; differanse {d['difference']}.")
        for line in result.differences:
            console.print(f"  avvik: {line}")
    if not result.ok:
        raise typer.Exit(1)


@app.command("settle")
def settle_command(
    creditor: Annotated[str, typer.Option("--creditor", help="Oppdragsgiverens org.nr.")],
    period: Annotated[str, typer.Option("--period", help="ÅÅÅÅ-MM")],
    out: Annotated[Path | None, typer.Option("--out", help="Mappe for CSV og PDF")] = None,
    as_of: AsOfOption = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Oppgjør til en oppdragsgiver for en periode, med rapport (CSV og PDF)."""
    from krav.payments.report import settlement_json, write_reports
    from krav.payments.settlement import settle

    with open_db(db).begin() as conn:
        result = settle(conn, creditor_orgnr=creditor, period=period,
                        as_of=day_option(as_of, "--as-of"), actor=cli_actor())
    files = write_reports(result, out, load_settings().agency) if out else []
    data = {**settlement_json(result), "files": [str(f) for f in files]}
    if as_json:
        print_json(data)
        return
    if result.already:
        console.print(f"Oppgjør for {creditor} {period} er allerede gjort (nr. {result.id}).")
    console.print(f"Oppgjør {result.id} for {creditor} {period}: innkrevd "
                  f"{fmt_nok(data['collected'])} kr, til oppdragsgiver "
                  f"{fmt_nok(data['payout'])} kr, til foretaket "
                  f"{fmt_nok(data['agency_transfer'])} kr"
                  + (f", faktureres {fmt_nok(data['invoice'])} kr" if result.totals["invoice_ore"]
                     else "") + ".")
    for f in files:
        console.print(f"  {f}")


@bench_app.command("payments")
def bench_command(
    transactions: Annotated[int, typer.Option("--transactions", help="antall innbetalinger")]
    = 100_000,
    netsgiro: Annotated[bool, typer.Option("--netsgiro", help="mål også netsgiro-parsing")]
    = False,
    fees: Annotated[bool, typer.Option("--fees", help="hvert krav skylder også et purregebyr")]
    = False,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Bygg N åpne krav med KID, skriv en OCR-fil som betaler dem, og ta tiden på importen."""
    from krav.cli.common import today
    from krav.db.engine import make_engine, reset_schema
    from krav.payments.bench import bench_payments

    if transactions <= 0:
        raise UnableToProceed("--transactions må være positivt")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        reset_schema(engine)
        result = bench_payments(engine, Path(tmp), transactions, as_of=today(),
                                netsgiro=netsgiro, fees=fees)
        engine.dispose()
    if as_json:
        print_json(result)
    else:
        console.print(result)
