"""Options and helpers shared by every ``krav`` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from krav.db.engine import ensure_schema, make_engine
from krav.kernel.dates import parse_date
from krav.kernel.money import fmt

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database-URL (standard: KRAV_DATABASE_URL eller sqlite:///krav.db)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Skriv ut JSON")]


def open_db(url: str | None) -> Engine:
    """Engine for ``url`` with the schema in place."""
    engine = make_engine(url)
    ensure_schema(engine)
    return engine


def cli_actor() -> Actor:
    """Who changes data from the terminal: ``cli:<OS user>``, now (read only here)."""
    import getpass
    from datetime import UTC, datetime

    from krav.accounts.principal import Actor, Principal

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the uid itself
        import os

        user = f"uid{os.getuid()}"
    return Actor(Principal.cli(user), datetime.now(UTC).replace(tzinfo=None))


def today() -> date:
    """The clock, read only at entry points."""
    return date.today()


def day_option(value: str | None, option: str) -> date:
    """Parse an ISO date given to ``option``; today when absent."""
    return parse_date(value, where=option) if value else today()


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Print ``data`` as JSON: Decimals as two-decimal strings, dates ISO."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for a long operation; yields the ``progress(done, total)`` callback the
    domain functions take. It is drawn on standard error, only on a terminal, and disappears
    when the operation ends (standard output stays the command's result)."""
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:
        task = progress.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield report
