"""Factories and real local servers for the letters tests.

- :func:`make_case` writes a creditor, a debtor, a claim and letters through the real tables,
  with content built by :func:`krav.letters.samples.sample_content` and adjusted to the rows.
- :class:`SmtpSink` is a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message and
  can refuse chosen recipients with 550.
- :class:`SmsProvider` is a local HTTP server playing a LINK Mobility-style ``POST /sms/send``.
"""

from __future__ import annotations

import io
import itertools
import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pypdf import PdfReader
from sqlalchemy import Engine, insert

from krav.db.tables import claims, creditors, debtors, letters, postings
from krav.kernel.money import fmt, from_ore, to_ore
from krav.letters.samples import sample_content

_seq = itertools.count(1)
SENT_ON = date(2026, 4, 10)  # the day the letters tests dispatch and print


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pdf_text(data: bytes) -> str:
    """All text of a PDF, whitespace collapsed (pypdf)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@dataclass
class Case:
    claim_id: int
    ref: str
    debtor_id: int
    creditor_id: int
    letter_ids: list[int] = field(default_factory=list)


def make_case(engine: Engine, *, kinds: tuple[str, ...] = ("reminder",), lang: str = "nb",
              email: str = "", consent: bool = False, phone: str = "",
              address_bad: bool = False, channels: dict | None = None,
              creditor_email: str = "", content_patch: dict | None = None,
              sent_on: date | None = SENT_ON) -> Case:
    """One creditor + debtor + claim with one letter per kind (status pending), dated
    ``sent_on`` (the letters tests' day, so they are not stale then) with the deadline 14 days
    later; the claim's balance and its principal posting equal what the letters ask for."""
    n = next(_seq)
    base = sample_content("reminder", lang, n=n)
    owed = sum(to_ore(Decimal(base["amounts"][k])) for k in ("principal", "interest", "fees"))
    with engine.begin() as conn:
        creditor_id = conn.execute(insert(creditors).values(
            orgnr=f"{900000000 + n}", name=base["creditor"]["name"], address="Kraftveien 2",
            postcode="0580", city="OSLO", account_number="15032080119", channels=channels,
            email=creditor_email)).inserted_primary_key[0]
        debtor = base["debtor"]
        debtor_id = conn.execute(insert(debtors).values(
            kind="consumer", name=debtor["name"], address=debtor["address"],
            postcode=debtor["postcode"], city=debtor["city"], country=debtor["country"],
            email=email, email_consent=consent, phone=phone, language=lang,
            address_bad=address_bad, identity_key=f"test-{n}")).inserted_primary_key[0]
        ref = f"T-{n:06d}"
        claim_id = conn.execute(insert(claims).values(
            ref=ref, creditor_id=creditor_id, debtor_id=debtor_id,
            invoice_number=base["invoice_number"], invoice_date=date(2026, 1, 10),
            due_date=date(2026, 2, 10), original_principal_ore=100000, kid=base["kid"],
            description=base["description"], imported_on=date(2026, 1, 20),
            principal_ore=owed, interest_through=date(2026, 2, 10))).inserted_primary_key[0]
        conn.execute(insert(postings).values(
            claim_id=claim_id, on=date(2026, 1, 10), kind="principal", component="principal",
            amount_ore=owed, rule="principal", reference="Faktura", inputs={}, key="principal"))
        case = Case(claim_id, ref, debtor_id, creditor_id)
        for i, kind in enumerate(kinds):
            content = sample_content(kind, lang, n=n)
            content.update(ref=ref, **(content_patch or {}))
            amounts = content.get("amounts")
            if amounts:  # what the letter asks for equals the claim's balance
                amounts["fees"] = fmt(from_ore(owed) - Decimal(amounts["principal"])
                                      - Decimal(amounts["interest"]))
            if sent_on:
                content["sent_on"] = sent_on.isoformat()
                if content.get("deadline"):
                    content["deadline"] = (sent_on + timedelta(days=14)).isoformat()
            letter_id = conn.execute(insert(letters).values(
                claim_id=claim_id, step_key=f"{kind}-{i}", kind=kind,
                sender=content.get("sender", "agency"),
                sent_on=date.fromisoformat(content["sent_on"]),
                deadline=date.fromisoformat(content["deadline"]) if content.get("deadline")
                else None, language=lang, content=content,
                status="pending", attempts=0)).inserted_primary_key[0]
            case.letter_ids.append(letter_id)
    return case


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address in self.sink.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


class SmtpSink:
    """A real SMTP server on localhost collecting messages; with ``login`` (user, password) it
    requires AUTH (over the plain local connection) and records who logged in."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.messages: list[Any] = []
        self.refuse: set[str] = set()
        self.logins: list[str] = []
        self.port = free_port()
        extra: dict[str, Any] = {}
        if login:
            def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
                ok = (auth_data.login.decode(), auth_data.password.decode()) == login
                if ok:
                    self.logins.append(auth_data.login.decode())
                return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 235 or 535

            extra = {"authenticator": authenticate, "auth_required": True,
                     "auth_require_tls": False}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     **extra)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def attachments(self, message: Any) -> dict[str, bytes]:
        return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


class SmsProvider:
    """A local HTTP server answering ``POST /sms/send`` like LINK Mobility (one id per refId)."""

    def __init__(self, status: int = 202) -> None:
        self.requests: list[dict] = []
        self.status = status
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append({"path": self.path, "body": body,
                                          "auth": self.headers.get("Authorization")})
                payload = json.dumps({"messageId": f"lm-{len(provider.requests)}",
                                      "resultCode": 1005, "description": "Queued"}).encode()
                self.send_response(provider.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> SmsProvider:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
