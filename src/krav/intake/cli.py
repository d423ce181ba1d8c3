"""``krav import claims FILE.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from krav.cli.apps import import_app
from krav.cli.common import DbOption, JsonOption, cli_actor, console, open_db, print_json, today
from krav.intake.claims_csv import COLUMNS, CREDITOR_COLUMNS, REQUIRED
from krav.intake.service import import_claims_file
from krav.kernel.csvfile import DIALECT_HELP, FILE_RULES, dialect_named

DialectOption = Annotated[str | None, typer.Option("--dialect", help=DIALECT_HELP)]


CLAIMS_HELP = f"""Importer krav fra en CSV-fil: alle rader gyldige, ellers importeres ingenting.

Kolonner (overskriftsrad, vilkårlig rekkefølge): {", ".join(COLUMNS)}.
Påkrevd verdi: {", ".join(REQUIRED)}. Valgfrie kolonner for oppdragsgiverens profil:
{", ".join(CREDITOR_COLUMNS)}.

{FILE_RULES}
"""


@import_app.command("claims", help=CLAIMS_HELP)
def import_claims(file: Annotated[Path, typer.Argument(help="CSV-filen med krav")],
                  dialect: DialectOption = None, db: DbOption = None,
                  as_json: JsonOption = False) -> None:
    engine = open_db(db)
    result = import_claims_file(engine, file, as_of=today(), dialect=dialect_named(dialect),
                                actor=cli_actor())
    if as_json:
        print_json({"claims": result.claims, "creditors_created": result.creditors_created,
                    "debtors_created": result.debtors_created})
        return
    console.print(f"Importerte {result.claims} krav ({result.creditors_created} nye kreditorer, "
                  f"{result.debtors_created} nye skyldnere) fra {file}")
    for line in result.incomplete_creditors:  # no letter until the profile is complete
        console.print(f"Merk: {line}; fyll inn med `krav creditor update ORGNR`",
                      highlight=False, soft_wrap=True)
