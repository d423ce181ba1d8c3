"""``krav cases`` and ``krav case …``: read and act on cases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from krav.cases import read, service
from krav.cases.model import CLOSE_NB, STAGE_NB, STATUS_NB
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
from krav.kernel.money import fmt_nok, fmt_pct

# The one name of what settles a case on the day (``read.amount_today``), in both views.
TO_PAY = "Å betale i dag"
OWED_BACK = "til gode"


def _phase(row: dict[str, Any]) -> str:
    """Where a case is, in a word or two: its stage while open, else its status."""
    if row["status"] == "open":
        return STAGE_NB.get(row["stage"], row["stage"])
    if row["status"] == "closed":
        return CLOSE_NB.get(row["close_reason"], "avsluttet")
    return STATUS_NB.get(row["status"], row["status"])


def _to_pay(row: dict[str, Any]) -> str:
    """The amount to pay today, or what the debtor has til gode: never a negative "to pay"."""
    if row["owed_back"] > 0:
        return f"{OWED_BACK} {fmt_nok(row['owed_back'])}"
    return fmt_nok(row["to_pay_today"])


SearchOption = Annotated[str | None, typer.Option(
    "--search", help="saksnummer, KID, fakturanummer, org.nr eller (del av) skyldners navn")]
CreditorOption = Annotated[str | None, typer.Option(
    "--creditor", help="ORGNR: bare denne oppdragsgiverens saker")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="ÅÅÅÅ-MM-DD (standard: i dag)")]


@app.command("cases")
def cases_command(
    db: DbOption = None, as_json: JsonOption = False,
    status: Annotated[str | None, typer.Option(help="open|paused|disputed|closed")] = None,
    stage: Annotated[str | None, typer.Option(help="f.eks. payment_demand")] = None,
    limit: Annotated[int | None, typer.Option(help="høyst så mange")] = None,
    search: SearchOption = None, creditor: CreditorOption = None, as_of: AsOfOption = None,
) -> None:
    """Vis sakene: saksnummer, faktura, skyldner, fase og å betale i dag."""
    day = day_option(as_of, "--as-of")
    engine = open_db(db)
    with engine.connect() as conn:
        rows = read.list_cases(conn, status=status, stage=stage, limit=limit, search=search,
                               creditor=creditor, as_of=day)
    if as_json:
        print_json(rows)
        return
    # fits an 80-column terminal: no vertical rules, names cut with an ellipsis, short dates;
    # the creditor gets a column from 100 columns on (and is in --json). Widths include padding.
    wide = console.width >= 100
    amounts = [_to_pay(r) for r in rows]
    names = max(12, console.width - 49 - max([len(TO_PAY), *map(len, amounts)]))
    table = Table(title=f"Saker ({len(rows)}) per {day:%d.%m.%Y}", box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False, collapse_padding=True)
    table.add_column("Sak", no_wrap=True, width=10)
    table.add_column("Faktura", no_wrap=True, overflow="ellipsis", min_width=7, max_width=10)
    table.add_column("Skyldner", no_wrap=True, overflow="ellipsis",
                     max_width=names * 3 // 5 if wide else names)
    if wide:
        table.add_column("Oppdragsgiver", no_wrap=True, overflow="ellipsis",
                         max_width=names - names * 3 // 5)
    table.add_column("Fase", no_wrap=True, overflow="ellipsis", max_width=14)
    table.add_column(TO_PAY, justify="right", no_wrap=True, min_width=len(TO_PAY))
    table.add_column("Neste", no_wrap=True, width=9)
    for r, amount in zip(rows, amounts, strict=True):
        table.add_row(r["ref"], r["invoice_number"], r["debtor"],
                      *([r["creditor"]] if wide else []), _phase(r), amount,
                      f"{r['next_action_on']:%d.%m.%y}" if r["next_action_on"] else "")
    console.print(table)


def _interest_text(p: dict[str, Any]) -> str:
    """An interest posting's period and rate, as the letters print them."""
    period = p["period"]
    rates = " / ".join(f"{fmt_pct(r['rate'])} per år" for r in p["rates"])
    days = period["days"]
    return (f"{period['from']:%d.%m.%Y}–{period['through']:%d.%m.%Y} "
            f"({days} {'dag' if days == 1 else 'dager'}, {rates})")


@case_app.command("show")
def show(ref: Annotated[str, typer.Argument(
             help="saksnummer, KID, fakturanummer, org.nr eller skyldners navn")],
         db: DbOption = None, as_json: JsonOption = False,
         as_of: Annotated[str | None, typer.Option("--as-of", help="ÅÅÅÅ-MM-DD")] = None,
         creditor: CreditorOption = None) -> None:
    """Vis én sak: brev, posteringer med hjemmel, saldo og å betale i dag."""
    day = day_option(as_of, "--as-of")
    engine = open_db(db)
    with engine.connect() as conn:
        view = read.case_view(conn, ref, as_of=day, creditor=creditor)
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{view['ref']}[/] faktura {view['invoice_number']} · KID {view['kid']} · "
                  f"{view['creditor']['name']} ({view['creditor']['orgnr']}) → "
                  f"{view['debtor']['name']} ({view['debtor']['kind']})")
    console.print(f"Status: {view['status']} · fase: {STAGE_NB.get(view['stage'], view['stage'])}"
                  f" · forfall {view['due']} · per {day}")
    letters = Table(title="Brev")
    for column in ("Sendt", "Type", "Avsender", "Frist", "Gebyr", "Status"):
        letters.add_column(column)
    for letter in view["letters"]:
        letters.add_row(str(letter["sent_on"]), letter["kind"], letter["sender"],
                        str(letter["deadline"] or ""), fmt_nok(letter["fee"]), letter["status"])
    console.print(letters)
    postings = Table(title="Posteringer (hvorfor hver krone)")
    for column in ("Dato", "Type", "Beløp", "Regel", "Hjemmel"):
        postings.add_column(column, justify="right" if column == "Beløp" else "left")
    for p in view["postings"]:
        basis = p["reference"] + (f", {_interest_text(p)}" if "period" in p else "")
        if p["rule"] == "residual-write-off" and "threshold" in p["inputs"]:
            basis += (f": rest {fmt_nok(Decimal(p['inputs']['rest']))} under "
                      f"{fmt_nok(Decimal(p['inputs']['threshold']))}")
        postings.add_row(str(p["on"]), p["kind"], fmt_nok(p["amount"]), p["rule"], basis)
    console.print(postings)
    b = view["balance"]
    console.print(f"Saldo: hovedstol {fmt_nok(b['principal'])} · renter {fmt_nok(b['interest'])}"
                  f" · gebyrer {fmt_nok(b['fees'])} · påløpt rente ikke bokført "
                  f"{fmt_nok(view['interest_accrued'])}")
    if view["owed_back"] > 0:
        console.print(f"[bold]{TO_PAY}: {fmt_nok(view['to_pay_today'])}[/] · skyldneren har "
                      f"[bold]{fmt_nok(view['owed_back'])} {OWED_BACK}[/] (skal tilbakebetales)")
    else:
        console.print(f"[bold]{TO_PAY}: {fmt_nok(view['to_pay_today'])}[/]"
                      " (saldo og påløpt rente til og med dagen)")


ReasonOption = Annotated[str, typer.Option("--reason", help="begrunnelse")]
OnOption = Annotated[str | None, typer.Option("--on", help="ÅÅÅÅ-MM-DD (standard: i dag)")]


@case_app.command("dispute")
def dispute(ref: str, reason: ReasonOption, on: OnOption = None, db: DbOption = None) -> None:
    """Registrer en innsigelse: saken stanses og venter på en saksbehandler."""
    engine = open_db(db)
    with engine.begin() as conn:
        service.dispute(conn, ref, on=day_option(on, "--on"), reason=reason, actor=cli_actor())
    console.print(f"{ref}: bestridt — prosessen er stanset")


@case_app.command("resume")
def resume(ref: str, on: OnOption = None, db: DbOption = None) -> None:
    """Gjenoppta en bestridt eller pauset sak."""
    engine = open_db(db)
    with engine.begin() as conn:
        service.resume(conn, ref, on=day_option(on, "--on"), actor=cli_actor())
    console.print(f"{ref}: gjenopptatt")


@case_app.command("withdraw")
def withdraw(ref: str, on: OnOption = None, db: DbOption = None,
             reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    """Oppdragsgiver trekker kravet; saken avsluttes."""
    engine = open_db(db)
    with engine.begin() as conn:
        service.withdraw(conn, ref, on=day_option(on, "--on"), reason=reason,
                         actor=cli_actor())
    console.print(f"{ref}: trukket")


@case_app.command("approve")
def approve(ref: str, on: OnOption = None, db: DbOption = None) -> None:
    """Godkjenn oversendelse til inkasso for en sak som venter på oppdragsgivers godkjenning."""
    engine = open_db(db)
    with engine.begin() as conn:
        service.approve(conn, ref, on=day_option(on, "--on"), actor=cli_actor())
    console.print(f"{ref}: godkjent for inkasso")


@case_app.command("pause")
def pause(ref: str, reason: ReasonOption, on: OnOption = None,
          until: Annotated[str | None, typer.Option(
              "--until", help="Pausen varer til denne datoen (ÅÅÅÅ-MM-DD); nattkjøringen den "
                              "dagen gjenopptar saken. Uten: til `krav case resume`")] = None,
          db: DbOption = None) -> None:
    """Sett en sak på pause (utsettelse eller stans)."""
    engine = open_db(db)
    end = day_option(until, "--until") if until else None
    with engine.begin() as conn:
        service.pause(conn, ref, on=day_option(on, "--on"), until=end, reason=reason,
                      actor=cli_actor())
    console.print(f"{ref}: satt på pause" + (f" til {end.isoformat()}" if end else ""))


creditor_app = typer.Typer(help="Oppdragsgivere: profil, policy og avtaler.",
                           no_args_is_help=True)
app.add_typer(creditor_app, name="creditor")

NameOpt = Annotated[str | None, typer.Option("--name", help="Navn, f.eks. Nordlys Energi AS")]
AddressOpt = Annotated[str | None, typer.Option("--address", help="Gateadresse eller postboks")]
PostcodeOpt = Annotated[str | None, typer.Option("--postcode", help="Postnummer (fire sifre)")]
CityOpt = Annotated[str | None, typer.Option("--city", help="Poststed")]
AccountOpt = Annotated[str | None, typer.Option(
    "--account", help="Kontonummer for utbetaling (11 sifre, f.eks. 1503.20.80119)")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="E-post (tom verdi fjerner den)")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Telefon (tom verdi fjerner den)")]
CommissionOpt = Annotated[str | None, typer.Option(
    "--commission", help="Provisjon i prosent av innkrevd hovedstol, 0–100 (f.eks. 12,5)")]
LanguageOpt = Annotated[str | None, typer.Option(
    "--language", help="Språk i det oppdragsgiveren får fra oss: nb eller en")]


def _profile_values(name: str | None, address: str | None, postcode: str | None,
                    city: str | None, account: str | None, email: str | None, phone: str | None,
                    commission: str | None, language: str | None) -> dict[str, str | None]:
    return {"name": name, "address": address, "postcode": postcode, "city": city,
            "account_number": account, "email": email, "phone": phone,
            "commission_pct": commission, "language": language}


def _print_profile(data: dict) -> None:  # type: ignore[type-arg]
    from krav.kernel.money import fmt_pct
    from krav.letters.view import account, group_orgnr

    console.print(f"[bold]{data['name']}[/] (org.nr. {group_orgnr(data['orgnr'])})")
    rows = [("Adresse", data["address"]), ("Postnummer og sted",
                                            f"{data['postcode']} {data['city']}".strip()),
            ("Kontonummer", account(data["account_number"])), ("E-post", data["email"]),
            ("Telefon", data["phone"]),
            ("Provisjon", fmt_pct(data["commission_pct"] or "0")),
            ("Språk", {"nb": "bokmål", "en": "engelsk"}.get(data["language"], data["language"]))]
    for label, value in rows:
        console.print(f"  {label}: {value or '—'}", highlight=False)
    if data["missing"]:
        console.print(f"  [bold red]Mangler for brev:[/] {', '.join(data['missing'])} "
                      f"(sakene holdes tilbake til dette er fylt inn)", highlight=False)
    else:
        console.print("  Profilen er komplett for brev.")


@creditor_app.command("add")
def creditor_add(orgnr: str, name: NameOpt = None, address: AddressOpt = None,
                 postcode: PostcodeOpt = None, city: CityOpt = None, account: AccountOpt = None,
                 email: EmailOpt = None, phone: PhoneOpt = None,
                 commission: CommissionOpt = None, language: LanguageOpt = None,
                 db: DbOption = None, as_json: JsonOption = False) -> None:
    """Registrer en ny oppdragsgiver med navn, adresse og kontonummer (påkrevd for brev)."""
    from krav.cases.creditors import add_creditor

    values = _profile_values(name, address, postcode, city, account, email, phone, commission,
                             language)
    with open_db(db).begin() as conn:
        data = add_creditor(conn, orgnr, values, actor=cli_actor())
    if as_json:
        print_json(data)
        return
    console.print(f"{data['orgnr']}: oppdragsgiver registrert")
    _print_profile(data)


@creditor_app.command("update")
def creditor_update(orgnr: str, name: NameOpt = None, address: AddressOpt = None,
                    postcode: PostcodeOpt = None, city: CityOpt = None,
                    account: AccountOpt = None, email: EmailOpt = None, phone: PhoneOpt = None,
                    commission: CommissionOpt = None, language: LanguageOpt = None,
                    db: DbOption = None, as_json: JsonOption = False) -> None:
    """Endre oppdragsgiverens profil; bare feltene som er oppgitt endres."""
    from krav.cases.creditors import update_creditor

    values = _profile_values(name, address, postcode, city, account, email, phone, commission,
                             language)
    with open_db(db).begin() as conn:
        data = update_creditor(conn, orgnr, values, actor=cli_actor())
    if as_json:
        print_json(data)
        return
    console.print(f"{data['orgnr']}: profil oppdatert")
    _print_profile(data)


@creditor_app.command("show")
def creditor_show(orgnr: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Vis én oppdragsgiver: profil, hva brevene mangler, og avtalen."""
    from krav.cases.creditors import show_creditor

    with open_db(db).connect() as conn:
        data = show_creditor(conn, orgnr)
    if as_json:
        print_json(data)
        return
    _print_profile(data)
    steps = ", ".join(s["kind"] for s in data["policy"]["steps"])
    console.print(f"  Dekningsrekkefølge: {data['allocation_order']} · brev før inkasso: "
                  f"{steps or '—'} · godkjenning: "
                  f"{'ja' if data['policy']['approval_required'] else 'nei'}", highlight=False)


@creditor_app.command("list")
def creditor_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Vis oppdragsgiverne med profil, policy og hva brevene mangler."""
    from krav.cases.creditors import list_creditors

    engine = open_db(db)
    with engine.connect() as conn:
        rows = list_creditors(conn)
    if as_json:
        print_json(rows)
        return
    table = Table(title="Oppdragsgivere")
    for column in ("Org.nr", "Navn", "Poststed", "Brev før inkasso", "Godkjenning", "Profil"):
        table.add_column(column)
    for r in rows:
        steps = ", ".join(s["kind"] for s in r["policy"]["steps"])
        table.add_row(r["orgnr"], r["name"], r["city"], steps,
                      "ja" if r["policy"]["approval_required"] else "nei",
                      "[red]ufullstendig[/]" if r["missing"] else "komplett")
    console.print(table)
    from krav.cases.profile import hold_reason

    for r in rows:
        if r["missing"]:
            console.print(hold_reason(r["orgnr"], r["missing"]), highlight=False, soft_wrap=True)
    if any(r["missing"] for r in rows):
        console.print("Fyll inn med `krav creditor update ORGNR`; ingen brev lages for "
                      "oppdragsgiveren før profilen er komplett.", highlight=False)


@creditor_app.command("set-policy")
def creditor_set_policy(orgnr: str, file: Path, db: DbOption = None, on: OnOption = None) -> None:
    """Sett oppdragsgiverens purre- og inkassopolicy fra en JSON-fil; en ulovlig policy avvises."""
    from krav.cases.creditors import read_policy_file, set_policy

    engine = open_db(db)
    with engine.begin() as conn:
        set_policy(conn, orgnr, read_policy_file(file), on=day_option(on, "--on"),
                   where=str(file), actor=cli_actor())
    console.print(f"{orgnr}: policy lagret")


@creditor_app.command("set-order")
def creditor_set_order(orgnr: str, order: str, db: DbOption = None) -> None:
    """Sett dekningsrekkefølgen, f.eks. costs,interest,principal."""
    from krav.cases.creditors import set_allocation_order

    engine = open_db(db)
    with engine.begin() as conn:
        set_allocation_order(conn, orgnr, order, actor=cli_actor())
    console.print(f"{orgnr}: dekningsrekkefølge {order}")
