"""Channels: the small interface every way of reaching a person implements.

A channel gets an :class:`Outgoing` (already rendered, with its idempotency key) and returns the
provider's id for it, or raises :class:`TemporaryFailure` (try again later) or
:class:`PermanentFailure` (this address will not work: fall back). After a crash that left a
send's outcome unknown, :meth:`Channel.confirm` asks the provider whether the key arrived;
``None`` means the channel cannot tell (plain SMTP), and the dispatcher then refuses to guess.

Concrete adapters: :mod:`krav.letters.email` (SMTP), :mod:`krav.letters.sms` (LINK Mobility-style
HTTP API), :mod:`krav.letters.mailbox` (digital mailbox interface; no provider yet). Print is not
an adapter: print letters are collected into the day's print file (:mod:`krav.letters.printing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

CHANNELS = ("digital_mailbox", "email", "print", "sms")
ELECTRONIC = ("digital_mailbox", "email")


class ChannelError(Exception):
    """A channel could not take a message."""


class TemporaryFailure(ChannelError):
    """The channel is unavailable now (connection refused, 4xx): retry with back-off."""


class PermanentFailure(ChannelError):
    """The recipient cannot be reached this way (5xx on the address): use the next channel."""


@dataclass(frozen=True)
class Outgoing:
    """One message for one channel, fully prepared."""

    key: str  # idempotency key, e.g. "letter-42-email"
    letter_id: int
    kind: str
    language: str
    recipient: str  # e-mail address, phone number or national id number
    subject: str
    text: str
    created: datetime
    pdf: bytes | None = None
    pdf_name: str = "brev.pdf"
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Hand ``message`` over; return the provider's id for it."""
        ...

    def confirm(self, key: str) -> bool | None:
        """Did a message with idempotency ``key`` reach the provider? ``None``: cannot tell."""
        ...


class DigitalMailbox(Channel, Protocol):
    def has_mailbox(self, national_id: str) -> bool:
        """Has this person opened a mailbox with the provider (INKL § 3 a: one they created)?"""
        ...


@dataclass
class Channels:
    """The adapters one dispatcher uses (chosen at the entry point)."""

    email: Channel | None = None
    sms: Channel | None = None
    mailbox: DigitalMailbox | None = None

    def get(self, name: str) -> Channel | None:
        return {"email": self.email, "sms": self.sms, "digital_mailbox": self.mailbox}.get(name)
