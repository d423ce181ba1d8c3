"""``krav payments …``, ``krav settle`` and ``krav bench payments``: thin entry points.

Only these read the clock (``--on``/``--as-of`` default to today); everything else takes dates.
"""

from __future__ import annotations

import sys
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


SETTLE_HELP = """Oppgjør til oppdragsgiverne for en periode, med rapport og betalingsfil.

Uten --creditor gjøres oppgjør for hver oppdragsgiver som har krav. Med --out skrives
oppgjørsrapportene og én ISO 20022 pain.001.001.03-fil (pain001-MSGID.xml) som betaler hvert
oppgjør med positivt netto fra klientkontoen (KRAV_AGENCY_ACCOUNT_NUMBER, KRAV_AGENCY_BIC). Et
oppgjør betales bare én gang: en ny kjøring tar bare med oppgjør som ingen betalingsfil har betalt.
--reissue skriver de betalingsfilene som allerede er laget for perioden på nytt, helt like (samme
MsgId og EndToEndId, så banken avviser en dublett). En oppdragsgiver uten gyldig kontonummer holdes
tilbake (én linje hver, avslutningskode 3).
""".replace("\n", " ").replace("  ", "\n\n")


@app.command("settle", help=SETTLE_HELP)
def settle_command(
    period: Annotated[str, typer.Option("--period", help="ÅÅÅÅ-MM")],
    creditor: Annotated[str | None, typer.Option(
        "--creditor", help="Oppdragsgiverens org.nr. (standard: alle som har krav)")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Mappe for rapportene (CSV og PDF) og betalingsfilen (pain.001)")] = None,
    reissue: Annotated[bool, typer.Option(
        "--reissue", help="Skriv periodens betalingsfiler på nytt, helt like")] = False,
    as_of: AsOfOption = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    from sqlalchemy.exc import IntegrityError

    from krav.payments.payout import pay_out, payout_of, stored_files
    from krav.payments.report import write_reports
    from krav.payments.settlement import period_bounds, settle, settled_creditors

    day = day_option(as_of, "--as-of")
    period_bounds(period)
    if reissue and out is None:
        raise InvalidInput("--reissue trenger --out (mappen filene skrives i)", where="--reissue")
    settings, actor, now = load_settings(), cli_actor(), datetime.now().replace(microsecond=0)
    try:
        with open_db(db).begin() as conn:
            orgnrs = [creditor] if creditor else settled_creditors(conn)
            results = [settle(conn, creditor_orgnr=orgnr, period=period, as_of=day, actor=actor)
                       for orgnr in orgnrs]
            ids = [r.id for r in results]
            run, reissued = None, []
            if reissue:
                reissued = stored_files(conn, ids, actor=actor)
                if not reissued:
                    raise UnableToProceed(f"ingen betalingsfil er laget for {period}"
                                          + (f" og {creditor}" if creditor else "")
                                          + "; kjør uten --reissue for å lage den")
            elif out is not None:
                run = pay_out(conn, ids, period=period, agency=settings.agency, now=now,
                              execution=day, actor=actor)
            states = {r.id: payout_of(conn, r) for r in results}
    except IntegrityError:
        raise UnableToProceed("en annen kjøring betalte de samme oppgjørene samtidig; ingenting "
                              "er skrevet — kjør «krav settle» igjen") from None
    files: list[Path] = []
    if out is not None:
        for r in results:
            files += write_reports(r, out, settings.agency, states[r.id])
        payment_files = reissued or ([(run.msg_id, run.content)] if run and run.msg_id else [])
        for msg_id, content in payment_files:
            files.append(_write_atomically(out / f"pain001-{msg_id}.xml", content))
    _report_settle(results, states, run, files, creditor=creditor, period=period,
                   as_json=as_json, reissued=[m for m, _ in reissued])
    if run and run.held:
        _refuse_held(run.held, period)


def _write_atomically(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file (never a half-written file)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path


def _report_settle(results, states, run, files, *, creditor, period, as_json,  # type: ignore[no-untyped-def]
                   reissued) -> None:
    from krav.payments.report import settlement_json

    items = [{**settlement_json(r), "payout_status": states[r.id].status} for r in results]
    payment = run.as_json() if run else None
    if as_json:
        extra = {"files": [str(f) for f in files], "payment_file": payment,
                 "reissued": reissued,
                 "held": [r["id"] for r in run.held] if run else []}
        print_json({**items[0], **extra} if creditor else
                   {"period": period, "settlements": items, **extra})
        return
    for r, data in zip(results, items, strict=True):
        if r.already:
            console.print(f"Oppgjør for {data['creditor']} {period} er allerede gjort "
                          f"(nr. {r.id}).")
        console.print(f"Oppgjør {r.id} for {data['creditor']} {period}: innkrevd "
                      f"{fmt_nok(data['collected'])} kr, til oppdragsgiver "
                      f"{fmt_nok(data['payout'])} kr, til foretaket "
                      f"{fmt_nok(data['agency_transfer'])} kr"
                      + (f", faktureres {fmt_nok(data['invoice'])} kr"
                         if r.totals["invoice_ore"] else "") + ".")
    if payment:
        console.print(f"Betalingsfil {payment['msg_id']}: {payment['transactions']} "
                      f"overføringer, {fmt_nok(payment['total'])} kr fra klientkontoen.")
    elif run is not None:
        console.print("Ingen nye utbetalinger: ingen betalingsfil laget"
                      + (f" ({len(run.already)} oppgjør er betalt før)" if run.already else "")
                      + ".")
    for msg_id in reissued:
        console.print(f"Betalingsfil {msg_id} skrevet på nytt, uendret.")
    for f in files:
        console.print(f"  {f}")


def _refuse_held(held: list[dict], period: str) -> None:
    """One ``krav:`` line per creditor held back for want of an account number, and exit 3 (as
    ``krav run`` does for creditors it holds back)."""
    from krav.engine.cli import HELD_EXIT_CODE
    from krav.kernel.money import from_ore
    from krav.payments.settlement import reference

    for row in held:
        print(f"krav: oppgjør {reference(row['period'], row['id'])} til {row['orgnr']} "
              f"{row['name']} ({fmt_nok(from_ore(row['payout_ore']))} kr) holdes tilbake: "
              f"mangler gyldig kontonummer — registrer det med «krav creditor update "
              f"{row['orgnr']} --account KONTONR» og kjør «krav settle --period {period} "
              "--out MAPPE» igjen", file=sys.stderr)
    raise typer.Exit(HELD_EXIT_CODE)


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
