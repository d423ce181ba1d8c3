"""``krav audit``: the audit trail, for one case, one creditor or everything."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from krav.cli.apps import app
from krav.cli.common import DbOption, JsonOption, console, open_db, print_json


@app.command("audit")
def audit_command(
    case: Annotated[str | None, typer.Option("--case", help="Saksnummer (REF)")] = None,
    creditor: Annotated[str | None, typer.Option("--creditor", help="Oppdragsgiverens org.nr.")]
    = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Bare de siste N radene")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Revisjonssporet: hvem gjorde hva, når, i hvilken sak eller for hvilken oppdragsgiver."""
    from krav.audit.service import history
    from krav.kernel.errors import InvalidInput

    if limit is not None and limit < 1:
        raise InvalidInput("må være minst 1", where="--limit")
    with open_db(db).connect() as conn:
        rows = history(conn, ref=case, creditor_orgnr=creditor, limit=limit)
    if as_json:
        print_json(rows)
        return
    table = Table("Tid (UTC)", "Hvem", "Hva", "Sak", "Oppdragsgiver", "Detaljer",
                  title=f"Revisjonsspor ({len(rows)})")
    for r in rows:
        table.add_row(r["at"], r["actor"], r["action"], r["case"] or "", r["creditor"] or "",
                      json.dumps(r["details"], ensure_ascii=False)[:80])
    console.print(table)
