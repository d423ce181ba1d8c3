"""Which channel a letter takes: the law first, then the creditor's preferences.

INKL § 3 a: a notice under the act may be given electronically only "på en betryggende måte" —
to a digital mailbox the person created, or to an e-mail address the person gave for the
purpose (``debtors.email_consent``). Otherwise it goes by post. An address that bounced is not
used again; post to an address marked bad (returned mail) is held until a new address is known.

Per-creditor preferences live in ``creditors.channels`` (JSON, ``None`` = the defaults)::

    {"order": ["digital_mailbox", "email", "print"],   # tried in this order where allowed
     "sms": true,                                     # also send a short SMS notice
     "attach_invoice": true,                          # attach the invoice copy to e-mails
     "kinds": {"payment_demand": {"order": ["print"], "sms": false}},   # per-kind overrides
     "statement": "email"}                            # settlement statements: email | print

``print`` is always the last resort, whether listed or not: a letter the law requires is never
dropped because a creditor preferred another channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from krav.kernel.errors import InvalidInput
from krav.letters.channels import ELECTRONIC
from krav.letters.content import KINDS

DEFAULT_ORDER = ("digital_mailbox", "email", "print")
ORDER_CHOICES = ("digital_mailbox", "email", "print")


@dataclass(frozen=True)
class Preferences:
    order: tuple[str, ...] = DEFAULT_ORDER
    sms: bool = True
    attach_invoice: bool = True
    kinds: tuple[tuple[str, tuple[tuple[str, ...], bool]], ...] = ()
    statement: str = "email"

    def for_kind(self, kind: str) -> tuple[tuple[str, ...], bool]:
        for name, (order, sms) in self.kinds:
            if name == kind:
                return order, sms
        return self.order, self.sms


def _order(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(v not in ORDER_CHOICES for v in value):
        raise InvalidInput(f"ugyldig kanalrekkefølge {value!r}", where=where,
                           allowed="en liste av " + ", ".join(ORDER_CHOICES))
    return tuple(dict.fromkeys(value))


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"ikke sann/usann: {value!r}", where=where, allowed="true, false")
    return value


def parse_preferences(raw: Any, *, where: str = "creditors.channels") -> Preferences:
    """Validate a ``creditors.channels`` value; unknown keys and bad values are refused."""
    if raw is None:
        return Preferences()
    if not isinstance(raw, dict):
        raise InvalidInput("må være et JSON-objekt", where=where)
    unknown = set(raw) - {"order", "sms", "attach_invoice", "kinds", "statement"}
    if unknown:
        raise InvalidInput(f"ukjente nøkler {sorted(unknown)}", where=where,
                           allowed="order, sms, attach_invoice, kinds, statement")
    order = _order(raw["order"], f"{where}.order") if "order" in raw else DEFAULT_ORDER
    sms = _bool(raw.get("sms", True), f"{where}.sms")
    kinds = []
    for kind, override in (raw.get("kinds") or {}).items():
        here = f"{where}.kinds.{kind}"
        if kind not in KINDS or not isinstance(override, dict):
            raise InvalidInput(f"ugyldig brevtype {kind!r}", where=here, allowed=", ".join(KINDS))
        kinds.append((kind, (_order(override["order"], f"{here}.order") if "order" in override
                             else order, _bool(override.get("sms", sms), f"{here}.sms"))))
    statement = raw.get("statement", "email")
    if statement not in ("email", "print"):
        raise InvalidInput(f"ugyldig kanal {statement!r}", where=f"{where}.statement",
                           allowed="email, print")
    return Preferences(order=order, sms=sms,
                       attach_invoice=_bool(raw.get("attach_invoice", True),
                                            f"{where}.attach_invoice"),
                       kinds=tuple(kinds), statement=statement)


@dataclass(frozen=True)
class Reach:
    """What we know about how a recipient can be reached."""

    email: str = ""
    email_consent: bool = False
    email_bounced: bool = False
    phone: str = ""
    postal_ok: bool = True
    has_mailbox: bool = False


@dataclass(frozen=True)
class Route:
    """``chain``: channels to try in order (empty = hold: no lawful way to reach the person)."""

    chain: tuple[str, ...]
    sms: bool = False

    @property
    def primary(self) -> str | None:
        return self.chain[0] if self.chain else None


def allowed(channel: str, reach: Reach) -> bool:
    """INKL § 3 a for electronic channels; a usable postal address for print."""
    if channel == "digital_mailbox":
        return reach.has_mailbox
    if channel == "email":
        return bool(reach.email) and reach.email_consent and not reach.email_bounced
    if channel == "print":
        return reach.postal_ok
    return False


def route(kind: str, reach: Reach, prefs: Preferences) -> Route:
    """The channels for one letter, in order, with print always last."""
    if kind == "settlement_statement":
        # To the creditor, under the agreement with it: its e-mail address on file, else post.
        order: tuple[str, ...] = ("email", "print") if prefs.statement == "email" else ("print",)
        return Route(tuple(c for c in order if allowed(c, reach)))
    order, sms = prefs.for_kind(kind)
    chain = [c for c in order if c != "print" and allowed(c, reach)]
    if allowed("print", reach):
        chain.append("print")
    electronic_or_post = bool(chain)
    return Route(tuple(chain), sms=sms and bool(reach.phone) and electronic_or_post)


def is_electronic(channel: str) -> bool:
    return channel in ELECTRONIC
