"""``krav webhooks list|failed|retry``: the operator's view of webhook deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy import select

from krav.cli.apps import app
from krav.cli.common import DbOption, JsonOption, cli_actor, console, open_db, print_json
from krav.db.tables import creditors
from krav.kernel.errors import NotFound

webhooks_app = typer.Typer(help="Webhooks: abonnementer og leveringer som feilet.",
                           no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


def _creditor_id(engine, orgnr: str | None) -> int | None:  # type: ignore[no-untyped-def]
    if orgnr is None:
        return None
    with engine.connect() as conn:
        found = conn.execute(select(creditors.c.id).where(creditors.c.orgnr == orgnr)).scalar()
    if found is None:
        raise NotFound(f"ukjent oppdragsgiver {orgnr!r}")
    return found


@webhooks_app.command("list")
def list_command(creditor: Annotated[str | None, typer.Option("--creditor")] = None,
                 db: DbOption = None, as_json: JsonOption = False) -> None:
    """Webhookene (uten hemmeligheter)."""
    from krav.webhooks.service import list_for

    engine = open_db(db)
    with engine.connect() as conn:
        rows = list_for(conn, _creditor_id(engine, creditor))
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['id']:>5}  {r['url']}  {', '.join(r['events'])}", markup=False)
    if not rows:
        console.print("Ingen webhooks.")


@webhooks_app.command("failed")
def failed_command(creditor: Annotated[str | None, typer.Option("--creditor")] = None,
                   db: DbOption = None, as_json: JsonOption = False) -> None:
    """Leveringer som er parkert etter gjentatte feil (de sendes ikke før «retry»)."""
    from krav.webhooks.delivery import failed

    engine = open_db(db)
    rows = failed(engine, _creditor_id(engine, creditor))
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['id']:>6}  {r['creditor']}  {r['event']:<20} {r['ref']}  "
                      f"{r['attempts']} forsøk  {r['url']}  {r['last_error'] or ''}",
                      markup=False, soft_wrap=True)
    console.print(f"{len(rows)} parkerte webhook-leveringer." if rows
                  else "Ingen parkerte webhook-leveringer.")


@webhooks_app.command("retry")
def retry_command(ids: Annotated[list[int] | None, typer.Argument(help="Leveringer (ID)")] = None,
                  all_: Annotated[bool, typer.Option("--all", help="Alle parkerte")] = False,
                  db: DbOption = None) -> None:
    """Send parkerte leveringer på nytt ved neste «krav dispatch»."""
    from krav.kernel.errors import InvalidInput
    from krav.webhooks.delivery import retry

    if not ids and not all_:
        raise InvalidInput("oppgi leveringer (ID) eller --all")
    n = retry(open_db(db), None if all_ else ids,
              now=datetime.now(UTC).replace(tzinfo=None), actor=cli_actor())
    console.print(f"{n} leveringer sendes på nytt.")
