"""``krav case access-code REF``: a fresh access code for the debtor portal."""

from __future__ import annotations

from typing import Annotated

import typer

from krav.cli.apps import case_app
from krav.cli.common import DbOption, JsonOption, cli_actor, console, open_db, print_json


@case_app.command("access-code")
def access_code(ref: Annotated[str, typer.Argument(help="Saksnummeret, f.eks. K-0000001")],
                db: DbOption = None, as_json: JsonOption = False) -> None:
    """Ny tilgangskode til skyldnerportalen for saken (for telefon); den gamle slutter å virke."""
    from krav.cases.codes import portal_key
    from krav.portal.service import issue_code
    from krav.settings import load_settings

    key = portal_key(load_settings().secret_key)
    with open_db(db).begin() as conn:
        data = issue_code(conn, ref, key=key, actor=cli_actor())
    if as_json:
        print_json({"ref": data["ref"], "code": data["code"]})
        return
    console.print(f"Ny tilgangskode for {data['ref']} (den forrige virker ikke lenger):")
    print(data["code"])
