"""Errors a user can cause, with one clear line each.

Domain code raises these; entry points (CLI, web) print ``str(error)`` and exit non-zero.
Names follow the house style: ``UnableTo…`` for refused operations.
"""

from __future__ import annotations


class KravError(Exception):
    """Base class for every error krav reports to a user as one line."""


class InvalidInput(KravError):
    """A value given by a user (argument, file cell, setting) is not allowed.

    ``where`` names the place (file, row, column or option); ``allowed`` says what is accepted.
    """

    def __init__(self, what: str, *, where: str | None = None, allowed: str | None = None) -> None:
        self.what = what
        self.where = where
        self.allowed = allowed
        parts = [f"{where}: {what}" if where else what]
        if allowed:
            parts.append(f"(tillatt: {allowed})")
        super().__init__(" ".join(parts))


class NotFound(KravError):
    """A reference (case, payment, creditor) does not exist."""


class UnableToProceed(KravError):
    """An operation is refused because of the state of the data or the law."""


class IllegalPolicy(KravError):
    """A dunning policy would break the law; the message names the rule."""


class LawDataError(KravError):
    """A law parameter file is malformed; the message names the file and line."""
