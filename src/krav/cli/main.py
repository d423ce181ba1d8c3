"""Entry point of the ``krav`` command: every user error is one line and a non-zero exit."""

from __future__ import annotations

import os
import sys

from krav.cli import errors
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
    "krav.accounts.cli",
    "krav.audit.cli",
    "krav.webhooks.cli",
    "krav.portal.cli",
    "krav.kpi.cli",
    "krav.agreements.cli",
)


INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h): a bug in krav, not the user's mistake


def _debug() -> bool:
    """``KRAV_DEBUG=1``: full tracebacks and debug logging (e.g. why a letter was parked)."""
    return os.environ.get("KRAV_DEBUG", "") not in ("", "0")


def _load_commands() -> None:
    import_present(COMMAND_MODULES)


def main(argv: list[str] | None = None) -> int:
    """Run ``krav``; every way it can end is an exit code and, on failure, one ``krav:`` line.

    - a user's mistake (:class:`KravError`): ``krav: <message>``, exit 2;
    - a usage mistake (unknown command or option, missing or bad value): one bokmål line naming
      the command and pointing to its ``--help``, exit 2 (click's usage exit code);
    - Ctrl-C or end of input at a prompt: ``krav: avbrutt``, exit 130 (Ctrl-C) or 1;
    - anything else is a bug in krav: one line naming the exception, exit 70 (``EX_SOFTWARE``);
      with ``KRAV_DEBUG=1`` the exception propagates with its full traceback.
    """
    if _debug():
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    try:
        _load_commands()
        # Without standalone mode click returns the code given to ``typer.Exit`` (or None), and
        # raises usage errors instead of printing them in English with a box around.
        code = app(args=argv, prog_name="krav", standalone_mode=False)
    except KravError as exc:
        print(f"krav: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # typer/click exit paths
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("krav: avbrutt", file=sys.stderr)
        return INTERRUPTED
    except errors.ABORTS:
        print("krav: avbrutt", file=sys.stderr)
        return 1
    except errors.ClickException as exc:
        if errors.NoArgsIsHelp is not None and isinstance(exc, errors.NoArgsIsHelp):
            exc.show()  # a group without its subcommand: the group's help
            return exc.exit_code
        print(f"krav: {errors.usage_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        if _debug():
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        print(f"krav: intern feil ({type(exc).__name__}: {first}); kjør igjen med KRAV_DEBUG=1 "
              "for hele sporingen, og meld feilen", file=sys.stderr)
        return INTERNAL_ERROR
    if code == INTERRUPTED:  # Typer turns Ctrl-C inside a command into Exit(130)
        print("krav: avbrutt", file=sys.stderr)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
