"""Who is asking: one :class:`Principal` for a logged-in person, an API key or the command line,
and the :class:`Actor` (principal, time, request id) that every change is recorded with.

Made at the entry points only — the web layer's one dependency (``krav.web.deps``) from a session
cookie or ``Authorization: Bearer KEY``, the CLI from the OS user (``cli:<os user>``) — and
passed down to the service functions, which never look at the clock or the OS themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from krav.accounts.tables import STAFF_ROLES

KINDS = ("user", "apikey", "cli", "debtor")


@dataclass(frozen=True)
class Principal:
    kind: str  # user | apikey | cli | debtor (the debtor portal: krav.portal.sessions)
    user_id: int | None
    creditor_id: int | None  # None: agency staff (every creditor)
    roles: tuple[str, ...]
    name: str  # the e-mail, the key's prefix or the OS user
    api_key_id: int | None = None
    session_id: int | None = None

    @classmethod
    def cli(cls, os_user: str) -> Principal:
        """The operator at the terminal: the agency's own admin."""
        return cls(kind="cli", user_id=None, creditor_id=None, roles=("admin",), name=os_user)

    @property
    def is_staff(self) -> bool:
        return self.creditor_id is None and any(r in STAFF_ROLES for r in self.roles)

    @property
    def label(self) -> str:
        """The audit trail's "who": ``user:<id> <e-mail>``, ``apikey:<id> <prefix>``,
        ``cli:<os user>``, ``debtor:<portal session id> <how>``; ``anonymous <e-mail typed>``
        for a failed login to no account."""
        if self.kind == "user":
            return f"user:{self.user_id} {self.name}" if self.user_id is not None \
                else f"anonymous {self.name}"
        if self.kind == "apikey":
            return f"apikey:{self.api_key_id} {self.name}"
        if self.kind == "debtor":  # name: how they got in, e.g. "kode K-0000001" or "BankID"
            return f"debtor:{self.session_id} {self.name}" if self.session_id is not None \
                else f"anonymous debtor {self.name}"
        return f"cli:{self.name}"

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "user_id": self.user_id, "creditor_id": self.creditor_id,
                "roles": list(self.roles), "name": self.name, "api_key_id": self.api_key_id}


@dataclass(frozen=True)
class Actor:
    """A principal acting at a moment (naive UTC) in a request (``None`` on the CLI)."""

    principal: Principal
    at: datetime
    request_id: str | None = None

    @property
    def label(self) -> str:
        return self.principal.label


ANONYMOUS = Principal(kind="user", user_id=None, creditor_id=None, roles=(), name="anonym")
