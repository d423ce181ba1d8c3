"""SMS notices through an HTTP provider shaped like LINK Mobility's REST API.

``POST {base}/sms/send`` with JSON ``{source, destination, userData, refId, platformId}``;
the answer carries the provider's ``messageId``. Delivery reports are posted back to us
(``resultCode`` 1001 = delivered) and recorded idempotently (:mod:`krav.letters.tracking`).
Texts are kept inside the GSM 03.38 alphabet (æøå are in it; curly quotes, dashes and emoji
are not and would cut a message from 160 to 70 characters).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from krav.letters.channels import Outgoing, PermanentFailure, TemporaryFailure
from krav.letters.messages import sender_party
from krav.letters.view import day, money

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")
REPLACEMENTS = {"\u00a0": " ", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u2026": "...",
                "á": "a", "ó": "o", "í": "i", "ú": "u", "ê": "e", "ë": "e", "ï": "i"}
DELIVERED = 1001


def to_gsm7(text: str) -> str:
    """``text`` with every character outside GSM-7 replaced by a close one (or ``?``)."""
    out = []
    for ch in text:
        ch = REPLACEMENTS.get(ch, ch)
        out.append(ch if all(c in GSM7 or c in GSM7_EXTENDED for c in ch) else "?")
    return "".join(out)


def gsm7_length(text: str) -> int:
    """Septets used (extended characters take two)."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def notice_text(content: dict, *, sender_name: str, link: str) -> str:
    """The short notice: who, case, amount, deadline, who to call (the sender's phone, else its
    e-mail) and a link where a page exists; nothing else about the debt."""
    lang = content.get("language", "nb")
    amount = money((content.get("amounts") or {}).get("total"), lang)
    deadline = day(content.get("deadline"))
    ref = content.get("ref", "")
    party = sender_party(content)
    contact = party.get("phone") or party.get("email") or ""
    if lang == "en":
        text = f"{sender_name}: case {ref}, {amount}"
        text += f", pay by {deadline}." if deadline else "."
        text += f" Details and payment: {link}" if link else ""
        text += f" Questions: {contact}" if contact else ""
    else:
        text = f"{sender_name}: sak {ref}, {amount}"
        text += f", betales innen {deadline}." if deadline else "."
        text += f" Se saken og betal: {link}" if link else ""
        text += f" Spørsmål: {contact}" if contact else ""
    return to_gsm7(text)


@dataclass
class LinkSmsChannel:
    """A LINK Mobility-style SMS REST API at ``base_url`` (bearer token)."""

    base_url: str
    token: str = ""
    source: str = "Krav"
    timeout: float = 15.0
    name: str = "sms"

    def send(self, message: Outgoing) -> str:
        body = {"source": self.source, "destination": message.recipient,
                "userData": to_gsm7(message.text), "refId": message.key,
                "platformId": "COMMON_API"}
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.post(f"{self.base_url.rstrip('/')}/sms/send", json=body,
                                  headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"SMS-leverandør utilgjengelig: {exc}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TemporaryFailure(f"SMS-leverandør svarte {response.status_code}")
        if response.status_code >= 400:
            raise PermanentFailure(f"SMS avvist ({response.status_code}): {response.text[:200]}")
        data = response.json()
        return str(data.get("messageId") or data.get("id") or message.key)

    def confirm(self, key: str) -> bool | None:
        return None
