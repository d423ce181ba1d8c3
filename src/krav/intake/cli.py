"""``krav import claims FILE.csv``."""

from __future__ import annotations

from pathlib import Path

from krav.cli.apps import import_app
from krav.cli.common import DbOption, JsonOption, console, open_db, print_json, today
from krav.intake.service import import_claims_file


@import_app.command("claims")
def import_claims(file: Path, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Importer krav fra en CSV-fil: alle rader gyldige, ellers importeres ingenting."""
    engine = open_db(db)
    result = import_claims_file(engine, file, as_of=today())
    if as_json:
        print_json({"claims": result.claims, "creditors_created": result.creditors_created,
                    "debtors_created": result.debtors_created})
        return
    console.print(f"Importerte {result.claims} krav ({result.creditors_created} nye kreditorer, "
                  f"{result.debtors_created} nye skyldnere) fra {file}")
    for line in result.incomplete_creditors:  # no letter until the profile is complete
        console.print(f"Merk: {line}; fyll inn med `krav creditor update ORGNR`",
                      highlight=False, soft_wrap=True)
