"""Vipps MobilePay ePayment: a thin httpx client, the webhook's signature, and booking a
captured payment like a bank payment.

Flow (the pay page, :mod:`krav.portal.pages`): each click creates a fresh payment request
(``POST /epayment/v1/payments`` with an ``Idempotency-Key``; a request lives about 10 minutes)
and sends the browser to Vipps; when the person approves, Vipps posts ``AUTHORIZED`` to the
webhook (and the browser comes back to the return page, which asks too): krav captures the
whole amount (``…/capture``, its own ``Idempotency-Key``) and books it.

Booking: the captured amount is booked through :func:`krav.payments.service.book_transactions`
as a transaction with the case's KID and the identity ``vipps:<reference>`` — so it is matched,
allocated and queued exactly like a bank payment, and booked once however often the webhook,
the return page or a retry report it (``payments.external_id`` is unique). Vipps pays the money
out later as a lump sum without KID; that bank transaction matches no case and is never booked
against one (channels.md: "never match them to claims") — the payments are not booked twice.

Webhook signature (Vipps Webhooks API): ``Authorization: HMAC-SHA256
SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>`` over
``POST\\n<path and query>\\n<x-ms-date>;<host>;<x-ms-content-sha256>`` with the webhook's
secret, and ``x-ms-content-sha256`` = base64 SHA-256 of the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import Connection, insert, select, update

from krav.db.tables import claims, payments
from krav.kernel.errors import UnableToProceed
from krav.payments.model import BankTransaction
from krav.payments.tables import vipps_payments
from krav.settings import Settings

TIMEOUT = 15.0


@dataclass(frozen=True)
class VippsConfig:
    url: str
    client_id: str
    client_secret: str
    subscription_key: str
    msn: str  # Merchant-Serial-Number
    webhook_secret: str

    @classmethod
    def of(cls, settings: Settings) -> VippsConfig | None:
        if not (settings.vipps_url and settings.vipps_client_id and settings.vipps_msn):
            return None
        return cls(settings.vipps_url.rstrip("/"), settings.vipps_client_id,
                   settings.vipps_client_secret, settings.vipps_subscription_key,
                   settings.vipps_msn, settings.vipps_webhook_secret)


class VippsClient:
    """The few calls krav makes; every error is one :class:`UnableToProceed` line."""

    def __init__(self, config: VippsConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.http = httpx.Client(base_url=config.url, timeout=TIMEOUT, transport=transport)

    def _headers(self, token: str | None = None, key: str | None = None) -> dict[str, str]:
        headers = {"Ocp-Apim-Subscription-Key": self.config.subscription_key,
                   "Merchant-Serial-Number": self.config.msn,
                   "Vipps-System-Name": "krav", "Vipps-System-Version": "1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UnableToProceed(f"Vipps svarer ikke ({type(exc).__name__})") from None
        if answer.status_code >= 400:
            raise UnableToProceed(f"Vipps avviste {method} {path} ({answer.status_code})")
        return answer.json() if answer.content else {}

    def token(self) -> str:
        data = self._call("POST", "/accesstoken/get", headers={
            **self._headers(), "client_id": self.config.client_id,
            "client_secret": self.config.client_secret})
        return str(data["access_token"])

    def create(self, *, reference: str, amount_ore: int, return_url: str,
               description: str) -> str:
        """A payment request; the URL to send the person to."""
        data = self._call("POST", "/epayment/v1/payments",
                          headers=self._headers(self.token(), key=reference), json={
                              "amount": {"currency": "NOK", "value": amount_ore},
                              "paymentMethod": {"type": "WALLET"}, "reference": reference,
                              "returnUrl": return_url, "userFlow": "WEB_REDIRECT",
                              "paymentDescription": description[:100]})
        return str(data["redirectUrl"])

    def get(self, reference: str) -> dict[str, Any]:
        return self._call("GET", f"/epayment/v1/payments/{reference}",
                          headers=self._headers(self.token()))

    def capture(self, reference: str, amount_ore: int) -> dict[str, Any]:
        return self._call("POST", f"/epayment/v1/payments/{reference}/capture",
                          headers=self._headers(self.token(), key=f"{reference}-capture"),
                          json={"modificationAmount": {"currency": "NOK", "value": amount_ore}})


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def signature(secret: str, *, path_and_query: str, date_header: str, host: str,
              body: bytes) -> str:
    """The ``Authorization`` value Vipps sends with a webhook of ``body``."""
    signed = f"POST\n{path_and_query}\n{date_header};{host};{content_hash(body)}"
    mac = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())
    return f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={mac.decode()}"


def webhook_ok(secret: str, *, path_and_query: str, headers: Any, body: bytes) -> bool:
    """Whether a webhook really comes from Vipps: the body's hash and the HMAC both match."""
    if not secret:
        return False
    date_header, host = headers.get("x-ms-date", ""), headers.get("host", "")
    if not date_header or not hmac.compare_digest(headers.get("x-ms-content-sha256", ""),
                                                  content_hash(body)):
        return False
    expected = signature(secret, path_and_query=path_and_query, date_header=date_header,
                         host=host, body=body)
    return hmac.compare_digest(headers.get("authorization", ""), expected)


def new_reference(ref: str) -> str:
    return f"krav-{ref.lower()}-{secrets.token_hex(6)}"


def start(conn: Connection, client: VippsClient, *, claim_id: int, ref: str, amount_ore: int,
          return_url: str, at: datetime) -> str:
    """A fresh payment request for case ``ref``; the URL of Vipps to send the person to."""
    if amount_ore <= 0:
        raise UnableToProceed("det er ingenting å betale i saken")
    reference = new_reference(ref)
    conn.execute(insert(vipps_payments).values(reference=reference, claim_id=claim_id,
                                               amount_ore=amount_ore, state="CREATED",
                                               created_at=at, updated_at=at))
    return client.create(reference=reference, amount_ore=amount_ore,
                         return_url=return_url.format(reference=reference),
                         description=f"Sak {ref}")


def settle(conn: Connection, client: VippsClient, reference: str, *, on: date,
           at: datetime) -> str:
    """Bring our row up to what Vipps says: capture an authorised payment, book a captured one
    (once). Returns the state."""
    row = conn.execute(select(vipps_payments).where(vipps_payments.c.reference == reference)
                       .with_for_update()).mappings().first()
    if row is None:
        raise UnableToProceed(f"ukjent Vipps-betaling {reference[:60]!r}")
    state = str(client.get(reference).get("state", row["state"]))
    if state == "AUTHORIZED":
        client.capture(reference, row["amount_ore"])
        state = "CAPTURED"
    if state == "CAPTURED" and row["payment_id"] is None:
        payment_id = book(conn, reference, claim_id=row["claim_id"],
                          amount_ore=row["amount_ore"], on=on)
        conn.execute(update(vipps_payments).where(vipps_payments.c.reference == reference)
                     .values(payment_id=payment_id))
    conn.execute(update(vipps_payments).where(vipps_payments.c.reference == reference)
                 .values(state=state, updated_at=at))
    return state


def book(conn: Connection, reference: str, *, claim_id: int, amount_ore: int,
         on: date) -> int:
    """Book a captured Vipps payment like a bank payment with the case's KID (once)."""
    from krav.payments.service import book_transactions

    kid = conn.execute(select(claims.c.kid).where(claims.c.id == claim_id)).scalar_one()
    external = f"vipps:{reference}"
    book_transactions(conn, [BankTransaction(
        external_id=external, paid_on=on, booked_on=on, amount_ore=amount_ore, kid=kid,
        payer_name="Vipps MobilePay", text=f"Vipps {reference}")],
        source="vipps", file_id=None, as_of=on)
    return int(conn.execute(select(payments.c.id).where(payments.c.external_id == external))
               .scalar_one())
