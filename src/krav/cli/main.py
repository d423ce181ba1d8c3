"""Entry point of the ``krav`` command: every user error is one line and a non-zero exit."""

from __future__ import annotations

import sys

from krav.cli.apps import app
from krav.db.engine import import_present
from krav.kernel.errors import KravError

# Each context registers its commands on import. A module that does not exist yet is skipped so a
# context can be developed without touching this file.
COMMAND_MODULES = (
    "krav.law.cli",
    "krav.cases.cli",
    "krav.engine.cli",
    "krav.intake.cli",
    "krav.payments.cli",
    "krav.letters.cli",
    "krav.demo.cli",
    "krav.bench.cli",
    "krav.web.cli",
)


def _load_commands() -> None:
    import_present(COMMAND_MODULES)


def main(argv: list[str] | None = None) -> int:
    """Run ``krav``; a :class:`KravError` prints ``krav: <message>`` and exits 2."""
    _load_commands()
    try:
        # Without standalone mode click returns the code given to ``typer.Exit`` (or None).
        code = app(args=argv, standalone_mode=False)
    except KravError as exc:
        print(f"krav: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # typer/click exit paths
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors and friends
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            print("krav: avbrutt", file=sys.stderr)
            return 1
        raise
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
