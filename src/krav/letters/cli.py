"""``krav letters …``, ``krav dispatch`` and ``krav bench letters``: thin entry points.

Only these read the clock; every function below them gets the time passed in.
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from krav.cli.apps import app, bench_app, letters_app
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
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed

OutOption = Annotated[Path, typer.Option("--out", help="Mappe filene skrives til")]


def now_utc() -> datetime:
    """The clock (naive UTC, as stored), read only here."""
    return datetime.now(UTC).replace(tzinfo=None)


@letters_app.command("render")
def render_command(case: Annotated[str, typer.Option("--case", help="Saksnummer (REF)")],
                   out: OutOption, db: DbOption = None) -> None:
    """Skriv én PDF per brev i saken: <sent_on>-<kind>-<brev-id>.pdf."""
    from krav.letters.service import render_case

    paths = render_case(open_db(db), case, out)
    for path in paths:
        console.print(str(path))
    console.print(f"{len(paths)} brev skrevet til {out}")


@letters_app.command("print-batch")
def print_batch_command(
    date_: Annotated[str | None, typer.Option("--date", help="Dagen (ÅÅÅÅ-MM-DD)")] = None,
    out: OutOption = Path("out/print"),
    split: Annotated[bool, typer.Option("--split", help="Også én PDF per brev")] = False,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Dagens utskriftsfil (én PDF) og manifest (CSV) for alle brev som skal i posten."""
    from krav.letters.printing import print_batch
    from krav.letters.service import channels_from_settings
    from krav.settings import load_settings

    day = day_option(date_, "--date")
    engine = open_db(db)
    result = print_batch(engine, day=day, out_dir=out, now=now_utc(),
                         channels=channels_from_settings(load_settings()), split_letters=split,
                         actor=cli_actor())
    if as_json:
        print_json({"date": day, "letters": result.letters, "pages": result.pages,
                    "pdf": str(result.pdf) if result.pdf else None,
                    "print_files": [str(p) for p in result.print_files],
                    "manifest": str(result.manifest) if result.manifest else None})
    elif result.letters:
        names = ", ".join(str(p) for p in result.print_files)
        console.print(f"{result.letters} brev, {result.pages} sider: {names} "
                      f"(manifest {result.manifest})")
        console.print(f"Brevene er ikke sendt før bunken er levert til trykkeri/post: kjør "
                      f"«krav letters handed {day.isoformat()}» den dagen den leveres.")
    else:
        console.print(f"Ingen brev til utskrift {day.isoformat()}{_day_states(engine, day)}.")
    _report_waiting(engine, day=day, what=f"datert {day.isoformat()} ble ikke skrevet ut")


def _day_states(engine, day: date) -> str:  # type: ignore[no-untyped-def]
    """``: av dagens 3 brev er 2 sendt, 1 parkert`` — why nothing was printed."""
    from krav.letters.waiting import day_counts, status_nb

    with engine.connect() as conn:
        counts = day_counts(conn, day)
    if not counts:
        return " (ingen brev er datert denne dagen)"
    states = ", ".join(f"{n} {status_nb(s)}" for s, n in sorted(counts.items()))
    return f": av dagens {sum(counts.values())} brev er {states}"


def _letter_id(value: str) -> int:
    if not (value.isdigit() and value.isascii()):
        raise InvalidInput(f"ikke et brev-id: {value!r}", where="LETTER_ID", allowed="et heltall")
    return int(value)


@letters_app.command("returned")
def returned_command(letter_id: Annotated[str, typer.Argument(help="Brevets id")],
                     db: DbOption = None) -> None:
    """Brevet kom i retur: adressen merkes ugyldig og saken havner i «trenger adresse»-køen."""
    from krav.letters.tracking import mark_returned

    changed = mark_returned(open_db(db), _letter_id(letter_id), at=now_utc(),
                            actor=cli_actor())
    console.print(f"Brev {letter_id}: " + ("registrert som returnert; adressen er merket ugyldig."
                                          if changed else "var allerede registrert som returnert."))


@letters_app.command("bounced")
def bounced_command(file: Annotated[Path, typer.Argument(help="Returmelding (DSN) som .eml")],
                    db: DbOption = None) -> None:
    """En e-post kom i retur: adressen brukes ikke igjen, og brevet går i posten i stedet."""
    from krav.letters.email import bounced_key
    from krav.letters.tracking import record_bounce

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"kan ikke lese filen ({exc.strerror})", where=str(file)) from None
    key = bounced_key(raw)
    if key is None:
        raise InvalidInput("fant ingen brev-nøkkel (X-Krav-Key/Message-ID) i returmeldingen",
                           where=str(file))
    changed = record_bounce(open_db(db), key, at=now_utc(), actor=cli_actor())
    console.print(f"{key}: " + ("registrert som returnert; brevet sendes i posten."
                                if changed else "var allerede registrert."))


@letters_app.command("needs-address")
def needs_address_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Åpne saker der skyldners adresse er ugyldig (returpost)."""
    from krav.letters.tracking import needs_address

    with open_db(db).connect() as conn:
        rows = needs_address(conn)
    if as_json:
        print_json(rows)
        return
    table = Table("Sak", "Skyldner", "Adresse", "Returnert", "Brev holdt tilbake")
    for r in rows:
        table.add_row(r["ref"], r["name"], f"{r['address']}, {r['postcode']} {r['city']}",
                      str(r["returned_at"] or ""), str(r["held_letters"]))
    console.print(table)
    console.print(f"{len(rows)} saker trenger adresse.")


@letters_app.command("handed")
def handed_command(
    target: Annotated[str, typer.Argument(
        help="Utskriftsfilen (ÅÅÅÅ-MM-DD-print.pdf) eller dagen hele bunken ble laget")],
    on: Annotated[str | None, typer.Option("--on", help="Dagen den ble levert (ÅÅÅÅ-MM-DD); "
                                           "i dag om den mangler")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Utskriftsfilen er levert til trykkeri/post: brevene i den er sendt den dagen."""
    from krav.letters.printing import mark_handed

    day = day_option(on, "--on")
    result = mark_handed(open_db(db), target, on=day, actor=cli_actor())
    if as_json:
        print_json({"on": day, "files": result.files, "letters": result.letters,
                    "already": result.already, "late": result.late})
        return
    console.print(f"{result.letters} brev merket sendt {day.isoformat()} "
                  f"({', '.join(result.files)})"
                  + (f"; {result.already} var allerede merket" if result.already else "") + ".")
    if result.late:
        console.print(f"{result.late} brev er datert før {day.isoformat()}: fristen i sakene "
                      "regnes fra leveringsdagen.")


@letters_app.command("attention")
def attention_command(
    date_: Annotated[str | None, typer.Option("--date", help="Bare brev datert denne dagen "
                                               "(ÅÅÅÅ-MM-DD)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Brev som venter på en person, med sak og årsak: parkert, holdt tilbake, returnert, ikke
    levert til trykkeri eller stoppet. Saken venter til brevet er sendt; gebyret for et brev som
    ikke ble sendt er tilbakeført."""
    from krav.letters.delivery import needs_attention
    from krav.letters.waiting import status_nb

    day = day_option(date_, "--date") if date_ else None
    with open_db(db).connect() as conn:
        rows = needs_attention(conn, day=day)
    if as_json:
        print_json(rows)
        return
    table = Table("Sak", "Brev", "Type", "Dato", "Status", "Gebyr", "Årsak")
    for r in rows:
        table.add_row(r["ref"], str(r["letter_id"]), r["kind"], str(r["sent_on"]),
                      status_nb(r["status"]), "tilbakeført" if r["fee_reversed"] else "",
                      r["reason"])
    if rows:
        console.print(table)
    console.print(f"{len(rows)} brev venter på en person." if rows
                  else "Ingen brev venter på en person.")


@letters_app.command("list")
def list_command(case: Annotated[str, typer.Option("--case", help="Saksnummer (REF)")],
                 db: DbOption = None, as_json: JsonOption = False) -> None:
    """Brevene i en sak: laget, sendt, levert, returnert — per kanal."""
    from krav.letters.tracking import history

    with open_db(db).connect() as conn:
        rows = history(conn, case)
    if as_json:
        print_json(rows)
        return
    from krav.letters.waiting import WAITING, reason

    table = Table("Id", "Type", "Dato", "Status", "Kanal", "Sendt", "Levert/retur", "Årsak")
    for r in rows:
        why = reason(r.get("last_error"), r["id"]) if r["status"] in WAITING else ""
        for d in r["deliveries"] or [{}]:
            table.add_row(str(r["id"]), r["kind"], str(r["sent_on"]), r["status"],
                          d.get("channel", ""), str(d.get("sent_at") or ""),
                          str(d.get("delivered_at") or d.get("bounced_at")
                              or d.get("returned_at") or ""), why)
    console.print(table)


@letters_app.command("retry")
def retry_command(letter_id: Annotated[str, typer.Argument(help="Brevets id")],
                  db: DbOption = None) -> None:
    """Send et parkert, holdt tilbake, returnert eller usikkert brev på nytt (etter manuell
    kontroll): brevet lages på nytt fra dagens data, med dagens dato og ny frist."""
    from krav.letters.outbox import requeue

    status = requeue(open_db(db), _letter_id(letter_id), on=now_utc().date(),
                     actor=cli_actor())
    if status == "missing":
        raise NotFound(f"brev {letter_id} finnes ikke")
    if status != "requeued":
        raise UnableToProceed(f"brev {letter_id} har status {status}; bare parkerte, holdte "
                              "eller returnerte brev kan sendes på nytt")
    console.print(f"Brev {letter_id} er laget på nytt med dagens tall og datoer og ligger i "
                  "utboksen igjen.")


@letters_app.command("mark-sent")
def mark_sent_command(letter_id: Annotated[str, typer.Argument(help="Brevets id")],
                      db: DbOption = None) -> None:
    """Et brev med usikkert utfall kom fram (sjekket i e-postserverens logg): merk det sendt."""
    from krav.letters.outbox import mark_sent

    status = mark_sent(open_db(db), _letter_id(letter_id), at=now_utc(), actor=cli_actor())
    if status == "missing":
        raise NotFound(f"brev {letter_id} finnes ikke")
    if status != "marked":
        raise UnableToProceed(f"brev {letter_id} har ingen usikker sending (status {status})")
    console.print(f"Brev {letter_id} er merket som sendt.")


@letters_app.command("previews")
def previews_command(out: OutOption = Path("docs/letters")) -> None:
    """PNG-forhåndsvisning av hver brevtype på bokmål og engelsk."""
    from krav.letters.service import write_previews

    paths = write_previews(out)
    console.print(f"{len(paths)} forhåndsvisninger skrevet til {out}")


@app.command("dispatch")
def dispatch_command(
    once: Annotated[bool, typer.Option("--once", help="Send det som er klart, og avslutt")] = False,
    batch: Annotated[int, typer.Option("--batch", help="Brev per omgang")] = 50,
    interval: Annotated[float, typer.Option("--interval", help="Sekunder mellom omganger")] = 10.0,
    lease: Annotated[int, typer.Option("--lease", help="Sekunder et brev er reservert")] = 600,
    max_attempts: Annotated[int, typer.Option("--max-attempts")] = 5,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Send brev fra utboksen: velg kanal, lag PDF, send, registrer; prøv igjen ved feil."""
    from krav.letters.dispatch import DispatchConfig, dispatch_batch
    from krav.letters.service import channels_from_settings
    from krav.settings import load_settings

    if batch < 1 or lease < 1 or max_attempts < 1:
        raise InvalidInput("--batch, --lease og --max-attempts må være positive")
    settings = load_settings()
    engine, channels = open_db(db), channels_from_settings(settings)
    config = DispatchConfig(batch=batch, max_attempts=max_attempts,
                            lease=timedelta(seconds=lease), public_url=settings.public_url)
    stopping: list[bool] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    totals: dict[str, int] = {}
    stuck: list[int] = []  # letters this dispatcher parked or held
    try:
        while not stopping:  # SIGTERM: finish the letter in hand, then stop
            report = dispatch_batch(engine, channels, now=now_utc(), config=config)
            mails = _account_mail(engine, channels, settings)
            hooks = _webhooks(engine, settings, batch=batch, lease=lease)
            for outcome, n in [*report.outcomes.items(), *mails.items(), *hooks.items()]:
                totals[outcome] = totals.get(outcome, 0) + n
            for outcome in ("parked", "held", "uncertain"):
                stuck += report.letter_ids.get(outcome, [])
            if report.claimed or mails or hooks:
                continue
            if once:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        print_json(totals)
    else:
        summary = ", ".join(f"{v} {OUTCOME_NB.get(k, k)}" for k, v in sorted(totals.items()))
        console.print(f"Utboksen: {summary or 'ingenting å sende'}")
    sys.stdout.flush()
    parked_hooks = totals.get("webhook_parked", 0)
    if parked_hooks:
        err_console.print(f"krav: {parked_hooks} webhook-leveringer ble parkert etter gjentatte "
                          "feil. Se «krav webhooks failed»; rett mottakeren og send på nytt med "
                          "«krav webhooks retry --all».", markup=False, highlight=False,
                          soft_wrap=True)
    _report_waiting(engine, ids=stuck, what="ble ikke sendt")
    if parked_hooks:
        raise typer.Exit(LEFT_UNDONE)


#: What ``krav dispatch`` did with each letter, in its summary line.
OUTCOME_NB = {"webhook_delivered": "webhooks levert", "webhook_retry": "webhooks prøves igjen",
              "webhook_parked": "webhooks parkert",
              "sent": "sendt", "print": "til utskrift", "retry": "prøves igjen senere",
              "parked": "parkert", "held": "holdt tilbake", "uncertain": "usikre (parkert)"}
#: Exit code when a command leaves letters for a person (as ``krav run`` does for held work).
LEFT_UNDONE = 3


def _report_waiting(engine, *, ids: list[int] | None = None,  # type: ignore[no-untyped-def]
                    day: date | None = None, what: str) -> None:
    """One ``krav:`` line on stderr for letters left parked or held, and exit 3; nothing when
    there are none."""
    from krav.letters.waiting import summary, waiting_letters

    if ids is not None and not ids:
        return
    with engine.connect() as conn:
        rows = waiting_letters(conn, ids=ids, day=day)
    if not rows:
        return
    see = f"krav letters attention --date {day.isoformat()}" if day else \
        "krav letters attention"
    err_console.print(f"krav: {len(rows)} brev {what}: {summary(rows)}. Se «{see}»; rett "
                      "årsaken og send på nytt med «krav letters retry ID».",
                      markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(LEFT_UNDONE)


def _webhooks(engine, settings, *, batch: int,  # type: ignore[no-untyped-def]
              lease: int) -> dict[str, int]:
    """Webhook deliveries go out with the letters (krav.webhooks.delivery); without
    ``KRAV_SECRET_KEY`` they cannot be signed and wait."""
    from krav.webhooks.delivery import HookConfig, dispatch_webhooks

    if not settings.secret_key:
        return {}
    return dispatch_webhooks(engine, now=now_utc(), config=HookConfig(
        secret_key=settings.secret_key, batch=batch, lease=timedelta(seconds=lease),
        max_attempts=settings.webhook_max_attempts))


def _account_mail(engine, channels, settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Account e-mails (password reset) go out with the letters (krav.accounts.mail)."""
    from krav.accounts.mail import dispatch_account_mail

    if channels.email is None:
        return {}
    return dispatch_account_mail(engine, channels.email, now=now_utc(), sender=settings.smtp_from)


@bench_app.command("letters")
def bench_letters_command(
    count: Annotated[int, typer.Option("--count", help="Antall brev")] = 1000,
    workers: Annotated[int, typer.Option("--workers", help="Prosesser (0 = én per kjerne)")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Mål gjengivelse av en utskriftsbunke med varierte brev (brev per sekund)."""
    from krav.letters.service import bench_letters

    if count < 1:
        raise InvalidInput("--count må være minst 1", where="--count")
    if workers < 0:
        raise InvalidInput("--workers kan ikke være negativ", where="--workers")
    result = bench_letters(count, seed=time.time_ns(), workers=workers or None)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['count']} brev på {result['seconds']} s: "
                      f"{result['letters_per_second']} brev/s ({result['pages']} sider)")
