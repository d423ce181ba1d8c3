"""``krav user …`` and ``krav apikey …``: people and API keys, from the terminal."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from krav.accounts.tables import ROLES
from krav.cli.apps import app
from krav.cli.common import DbOption, JsonOption, cli_actor, console, open_db, print_json

user_app = typer.Typer(help="Brukere: foretakets ansatte og oppdragsgivernes folk.",
                       no_args_is_help=True)
apikey_app = typer.Typer(help="API-nøkler for oppdragsgivernes systemer.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")

CreditorOption = Annotated[str | None, typer.Option("--creditor", help="Oppdragsgiverens org.nr.")]


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="E-postadressen (brukernavnet)")],
    role: Annotated[str, typer.Option("--role", help="|".join(ROLES))],
    creditor: CreditorOption = None,
    language: Annotated[str, typer.Option("--language", help="nb|en")] = "nb",
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Legg til en bruker og skriv ut en engangslenke for å velge passord."""
    from krav.accounts.users import add_user
    from krav.settings import load_settings, site_url

    settings = load_settings()
    with open_db(db).begin() as conn:
        new = add_user(conn, email, role=role, creditor_orgnr=creditor, actor=cli_actor(),
                       public_url=site_url(settings), language=language,
                       valid=timedelta(hours=settings.invite_hours))
    if as_json:
        print_json({"id": new.id, "email": new.email, "role": new.role, "link": new.link,
                    "expires_at": new.expires_at.isoformat(timespec="seconds")})
        return
    console.print(f"Bruker {new.email} ({new.role}) lagt til. Engangslenke for å velge passord "
                  f"(gyldig til {new.expires_at:%Y-%m-%d %H:%M} UTC):")
    print(new.link)  # plain, unwrapped: to be copied


@user_app.command("link")
def user_link(email: Annotated[str, typer.Argument(help="E-postadressen")],
              db: DbOption = None) -> None:
    """Ny engangslenke for å velge passord (en tidligere ubrukt lenke slutter å virke)."""
    from krav.accounts.users import new_link
    from krav.settings import load_settings, site_url

    settings = load_settings()
    with open_db(db).begin() as conn:
        new = new_link(conn, email, actor=cli_actor(), public_url=site_url(settings),
                       valid=timedelta(hours=settings.invite_hours))
    console.print(f"Engangslenke for {new.email} (gyldig til {new.expires_at:%Y-%m-%d %H:%M} "
                  "UTC):")
    print(new.link)


@user_app.command("list")
def user_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Vis brukerne: rolle, oppdragsgiver, om passord er satt, om de er deaktivert."""
    from krav.accounts.users import list_users

    with open_db(db).connect() as conn:
        rows = list_users(conn)
    if as_json:
        print_json(rows)
        return
    table = Table("E-post", "Rolle", "Oppdragsgiver", "Passord", "Innlogget", "Deaktivert",
                  title=f"Brukere ({len(rows)})")
    for r in rows:
        table.add_row(r["email"], r["role"], r["creditor"] or "alle",
                      "satt" if r["password_set"] else "venter på lenke",
                      "ja" if r["has_open_session"] else "", r["disabled_at"] or "")
    console.print(table)


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="E-postadressen")],
                 db: DbOption = None) -> None:
    """Deaktiver en bruker: ingen innlogging fra nå, og alle åpne økter avsluttes."""
    from krav.accounts.users import disable_user

    with open_db(db).begin() as conn:
        ended = disable_user(conn, email, actor=cli_actor())
    console.print(f"{email.strip().lower()} er deaktivert; {ended} åpne økter avsluttet.")


@apikey_app.command("create")
def apikey_create(
    creditor: Annotated[str, typer.Option("--creditor", help="Oppdragsgiverens org.nr.")],
    name: Annotated[str, typer.Option("--name", help="Hva nøkkelen brukes til, f.eks. ERP")],
    expires: Annotated[str | None, typer.Option(
        "--expires", help="ÅÅÅÅ-MM-DD: nøkkelen virker til denne dagen begynner (UTC)")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Lag en API-nøkkel for en oppdragsgiver. Nøkkelen vises bare nå; krav lagrer en hash."""
    from datetime import date, datetime

    from krav.accounts.apikeys import create_key
    from krav.kernel.errors import InvalidInput

    until = None
    if expires is not None:
        try:
            until = datetime.combine(date.fromisoformat(expires), datetime.min.time())
        except ValueError:
            raise InvalidInput(f"ugyldig dato {expires[:20]!r}", where="--expires",
                               allowed="ÅÅÅÅ-MM-DD") from None
    with open_db(db).begin() as conn:
        new = create_key(conn, creditor_orgnr=creditor, name=name, actor=cli_actor(),
                         expires_at=until)
    if as_json:
        print_json({"id": new.id, "prefix": new.prefix, "key": new.key,
                    "expires_at": until.isoformat() if until else None})
        return
    console.print(f"API-nøkkel {new.id} ({new.prefix}) for {creditor}. Den vises bare denne ene "
                  "gangen — ta vare på den:")
    print(new.key)


@apikey_app.command("list")
def apikey_list(creditor: CreditorOption = None, db: DbOption = None,
                as_json: JsonOption = False) -> None:
    """Vis API-nøklene (aldri selve nøkkelen): id, prefiks, navn, laget, sist brukt, trukket."""
    from krav.accounts.apikeys import list_keys

    with open_db(db).connect() as conn:
        rows = list_keys(conn, creditor)
    if as_json:
        print_json(rows)
        return
    table = Table("Id", "Prefiks", "Oppdragsgiver", "Navn", "Laget", "Sist brukt", "Trukket",
                  "Utløper", title=f"API-nøkler ({len(rows)})")
    for r in rows:
        table.add_row(str(r["id"]), r["prefix"], r["creditor"], r["name"], r["created_at"],
                      r["last_used_at"] or "", r["revoked_at"] or "", r["expires_at"] or "")
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="Nøkkelens id eller prefiks")],
                  db: DbOption = None) -> None:
    """Trekk tilbake en API-nøkkel: den avvises (401) fra neste forespørsel."""
    from krav.accounts.apikeys import revoke_key

    with open_db(db).begin() as conn:
        row = revoke_key(conn, key_id, actor=cli_actor())
    console.print(f"API-nøkkel {row['id']} ({row['prefix']}, {row['name']}) er trukket tilbake.")
