"""E-mail by SMTP: the letter as a PDF attachment (and the invoice copy when there is one).

The idempotency key travels in the ``Message-ID`` (``<letter-42-email@domain>``) and in
``X-Krav-Key``, so a bounce (DSN) names the letter it is about and a receiving system can drop
a duplicate. Plain SMTP cannot be asked afterwards whether a message arrived, so
:meth:`SmtpChannel.confirm` answers ``None``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

from krav.kernel.errors import InvalidInput
from krav.letters.channels import Outgoing, PermanentFailure, TemporaryFailure

KEY_PATTERN = re.compile(r"letter-\d+-[a-z_]+")


def message_id(key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] or "krav.invalid"
    return f"<{key}@{domain}>"


def build_message(message: Outgoing, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created)
    mail["Message-ID"] = message_id(message.key, sender)
    mail["X-Krav-Key"] = message.key
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text)
    if message.pdf is not None:
        mail.add_attachment(message.pdf, maintype="application", subtype="pdf",
                            filename=message.pdf_name)
    for name, data in message.attachments:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mail


@dataclass
class SmtpChannel:
    """An SMTP server: implicit TLS when ``tls`` (by default on port 465); ``starttls``
    upgrades a plain connection; with ``username`` it logs in (AUTH) before sending."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    name: str = "email"
    tls: bool | None = None  # None: implicit TLS exactly on port 465
    plain_login: bool = False  # log in over an unencrypted connection (KRAV_SMTP_SECURITY=none)

    def __post_init__(self) -> None:
        """A password is never sent in the clear unless the setting says so explicitly."""
        encrypted = self.starttls or self.tls or (self.tls is None and self.port == 465)
        if self.username and not encrypted and not self.plain_login:
            raise InvalidInput(
                f"SMTP-innlogging som {self.username!r} mot {self.host}:{self.port} uten TLS "
                "ville sende passordet ukryptert", where="KRAV_SMTP_SECURITY",
                allowed="tls (port 465), starttls (port 587), eller none for å tillate "
                        "ukryptert innlogging uttrykkelig")

    @classmethod
    def with_security(cls, *, host: str, port: int, sender: str, security: str,
                      username: str = "", password: str = "") -> SmtpChannel:
        """``security``: ``auto`` (TLS on 465, STARTTLS on 587, else none), ``tls``,
        ``starttls`` or ``none``. With a username, ``auto`` that resolves to none is refused:
        only an explicit ``none`` allows a login without TLS."""
        plain_login = security == "none"
        if security == "auto":
            security = {465: "tls", 587: "starttls"}.get(port, "none")
        return cls(host=host, port=port, sender=sender, starttls=security == "starttls",
                   tls=security == "tls", username=username, password=password,
                   plain_login=plain_login)

    def _connect(self) -> smtplib.SMTP:
        if self.tls or (self.tls is None and self.port == 465):
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: Outgoing) -> str:
        mail = build_message(message, self.sender)
        self.send_raw(mail)
        return str(mail["Message-ID"])

    def send_raw(self, mail: EmailMessage) -> None:
        """Send a built message (letters and account e-mails alike)."""
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(f"mottaker avvist: {exc.recipients}") from None
            raise TemporaryFailure(f"mottaker midlertidig avvist: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if exc.smtp_code >= 500:
                raise PermanentFailure(text) from None
            raise TemporaryFailure(text) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"SMTP {self.host}:{self.port}: {exc}") from None

    def confirm(self, key: str) -> bool | None:
        return None


def bounced_key(raw: bytes) -> str | None:
    """The idempotency key a bounce (DSN, RFC 3464) is about, or ``None``.

    Looks in the returned headers (``text/rfc822-headers`` or ``message/rfc822``) for our
    ``X-Krav-Key`` or ``Message-ID``; falls back to the first key-shaped string in the message.
    """
    mail = message_from_bytes(raw, policy=policy.default)
    for part in mail.walk():
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            payload = part.get_payload()
            if isinstance(payload, list):
                text = str(payload[0])
            else:
                raw_part = part.get_payload(decode=True)
                text = raw_part.decode("utf-8", "replace") if isinstance(raw_part, bytes) else ""
            match = KEY_PATTERN.search(text)
            if match:
                return match.group(0)
    match = KEY_PATTERN.search(raw.decode("utf-8", "replace"))
    return match.group(0) if match else None
