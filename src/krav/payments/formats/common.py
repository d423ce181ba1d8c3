"""Helpers shared by the parsers: the one-line error every bad file gets."""

from __future__ import annotations

from krav.kernel.errors import InvalidInput


class BadBankFile(InvalidInput):
    """A bank file that cannot be booked; the message names the file and the line or element."""

    def __init__(self, name: str, where: str, what: str, allowed: str | None = None) -> None:
        super().__init__(what, where=f"{name}, {where}" if where else name, allowed=allowed)


class BadRows(InvalidInput):
    """A file with bad rows: every problem is listed (row, column, what is wrong), nothing kept."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        head = f"{len(problems)} feil, ingenting importert"
        super().__init__(head + "\n  " + "\n  ".join(problems), where=name)
