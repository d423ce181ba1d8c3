"""Command-line usage mistakes as one bokmål line: ``krav: ukjent valg --asof (mente du
--as-of?) — se «krav run --help»`` (``main`` adds the ``krav:``).

Typer 0.2x ships its own copy of click (``typer._click``), so the exception classes are looked
up in the module that defines ``typer.BadParameter`` — click's own module on older Typer, the
vendored copy on newer. Catching ``click.exceptions.ClickException`` alone misses them all, which
is why a mistyped option used to end in a 30-line traceback.
"""

from __future__ import annotations

import re
import sys
from difflib import get_close_matches
from typing import Any

import typer

_exceptions = sys.modules[typer.BadParameter.__module__]

#: The base class of every usage error and of click's other user-facing errors.
ClickException: type[Exception] = _exceptions.ClickException
UsageError: type[Exception] = _exceptions.UsageError
NoSuchOption: type[Exception] = _exceptions.NoSuchOption
MissingParameter: type[Exception] = _exceptions.MissingParameter
BadParameter: type[Exception] = _exceptions.BadParameter
BadOptionUsage: type[Exception] = _exceptions.BadOptionUsage
NoArgsIsHelp: type[Exception] | None = getattr(_exceptions, "NoArgsIsHelpError", None)
#: Abort (EOF at a prompt) in both Typer's and click's spelling.
ABORTS: tuple[type[BaseException], ...] = tuple(
    {typer.Abort, *(x for x in (getattr(_exceptions, "Abort", None),) if x is not None)})

_NO_COMMAND = re.compile(r"No such command '(?P<name>.+?)'")
_EXTRA = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)")
_NEEDS_VALUE = re.compile(r"requires (an argument|\d+ arguments)")


def _alternatives(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " eller " + words[-1]


def _param_name(param: Any) -> str:
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if getattr(param, "param_type_name", "") == "option" and opts:
        return f"valget {max(opts, key=len)}"
    return f"argumentet {(getattr(param, 'name', '') or '').upper()}".strip()


def _param_help(param: Any) -> str:
    text = (getattr(param, "help", None) or "").strip()
    return f" ({text})" if text else ""


#: What click/Typer/pydantic say about a value of the wrong type, in bokmål.
_VALUE_MESSAGES = (
    (re.compile(r"valid integer", re.I), "må være et heltall"),
    (re.compile(r"valid (float|number|decimal)", re.I), "må være et tall"),
    (re.compile(r"valid boolean|bool", re.I), "må være true eller false"),
    (re.compile(r"does not exist", re.I), "finnes ikke"),
)


def _bad_value(exc: Any) -> str:
    where = _param_name(exc.param) if exc.param is not None else "en verdi"
    for pattern, text in _VALUE_MESSAGES:
        if pattern.search(exc.message):
            return f"ugyldig verdi for {where}: {text}"
    choices = getattr(getattr(exc.param, "type", None), "choices", None)
    if choices:
        return f"ugyldig verdi for {where} (tillatt: {', '.join(str(c) for c in choices)})"
    return f"ugyldig verdi for {where}: {exc.message}"


def usage_line(exc: Any) -> str:
    """One line (without ``krav:``) for a click/Typer usage error, ending with a pointer to the
    command's ``--help``."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "krav"
    hint = f" — se «{path} --help»"
    if isinstance(exc, NoSuchOption):
        found = get_close_matches(exc.option_name, sorted(exc.possibilities or ()), n=2,
                                  cutoff=0.75)
        guess = f" (mente du {_alternatives(found)}?)" if found else ""
        return f"ukjent valg {exc.option_name}{guess}{hint}"
    if isinstance(exc, MissingParameter):
        param = exc.param
        if param is None:
            return f"mangler en verdi{hint}"
        return f"mangler {_param_name(param)}{_param_help(param)}{hint}"
    if isinstance(exc, BadOptionUsage) and _NEEDS_VALUE.search(exc.message):
        return f"valget {exc.option_name} mangler en verdi{hint}"
    if isinstance(exc, BadOptionUsage) and "does not take a value" in exc.message:
        return f"valget {exc.option_name} tar ingen verdi{hint}"
    if isinstance(exc, BadParameter):
        return f"{_bad_value(exc)}{hint}"
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if isinstance(exc, UsageError):
        if match := _NO_COMMAND.match(exc.message):
            name = match.group("name")
            known = list(ctx.command.list_commands(ctx)) if ctx is not None else []
            close = get_close_matches(name, known, n=3)
            guess = f" (mente du {_alternatives(close)}?)" if close else ""
            return f"ukjent kommando {name!r}{guess}{hint}"
        if match := _EXTRA.match(exc.message):
            return f"for mange argumenter: {match.group('args')}{hint}"
        return f"{message}{hint}"
    return message
