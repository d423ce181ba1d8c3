"""The outbox dispatcher: claim due letters, choose the channel, render, send, record.

Exactly-once per letter and channel: the delivery row with the idempotency key
``letter-<id>-<channel>`` is committed *before* the send and checked on every attempt:
- already ``sent``/``delivered``/… → nothing is sent again;
- still ``sending`` (a crash between "sent" and "recorded") → ask the channel
  (:meth:`~krav.letters.channels.Channel.confirm`); when it cannot tell (plain SMTP) the
  delivery becomes ``uncertain`` and the letter is parked for a person — never re-sent blindly.
Failures: :class:`TemporaryFailure` → back-off (``backoff × 2^(attempt-1)``), parked after
``max_attempts``; :class:`PermanentFailure` (address refused) → the next channel in the route,
ending with print; anything else (bad content, a template error) parks the row at once with its
error — a poison row never blocks the others. No function here reads the clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from krav.kernel.errors import KravError
from krav.letters import messages, outbox, tracking
from krav.letters.channels import Channel, Channels, Outgoing, PermanentFailure, TemporaryFailure
from krav.letters.mailbox import mailbox_subject
from krav.letters.outbox import OutboxItem
from krav.letters.render import render_pdf
from krav.letters.routing import Reach, parse_preferences, route
from krav.letters.sms import notice_text
from krav.letters.tables import letter_deliveries as ld

log = logging.getLogger("krav.letters.dispatch")


class Uncertain(Exception):
    """A previous attempt may have sent the message; the channel cannot say."""


@dataclass(frozen=True)
class DispatchConfig:
    batch: int = 50
    max_attempts: int = 5
    lease: timedelta = timedelta(minutes=10)
    backoff: timedelta = timedelta(minutes=1)
    public_url: str = ""


@dataclass
class DispatchReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    letter_ids: dict[str, list[int]] = field(default_factory=dict)  # outcome → letters

    def add(self, outcome: str, letter_id: int | None = None) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if letter_id is not None:
            self.letter_ids.setdefault(outcome, []).append(letter_id)


def dispatch_batch(engine: Engine, channels: Channels, *, now: datetime,
                   config: DispatchConfig = DispatchConfig()) -> DispatchReport:
    """Claim and process one batch of due letters; an empty report means nothing was due."""
    report = DispatchReport()
    ids = outbox.claim_batch(engine, now=now, lease=config.lease, limit=config.batch)
    report.claimed = len(ids)
    if not ids:
        return report
    items = outbox.load(engine, ids)
    bounced = outbox.bounced_addresses(engine, [i.debtor["email"] for i in items] +
                                       [i.creditor["email"] for i in items])
    for item in items:
        report.add(process(engine, item, channels, now=now, config=config, bounced=bounced),
                   item.id)
    return report


def reach_for(item: OutboxItem, channels: Channels, bounced: set[str]) -> Reach:
    if item.kind == "settlement_statement":
        email = item.creditor["email"] if channels.email else ""
        return Reach(email=email, email_consent=True, email_bounced=email.lower() in bounced,
                     postal_ok=bool(item.creditor["address"]))
    d = item.debtor
    national_id = d["national_id"] or ""
    return Reach(
        email=d["email"] if channels.email else "", email_consent=bool(d["email_consent"]),
        email_bounced=(d["email"] or "").lower() in bounced,
        phone=d["phone"] if channels.sms else "",
        postal_ok=not d["address_bad"] and bool(d["address"] and d["postcode"]),
        has_mailbox=bool(channels.mailbox and national_id
                         and channels.mailbox.has_mailbox(national_id)))


def process(engine: Engine, item: OutboxItem, channels: Channels, *, now: datetime,
            config: DispatchConfig, bounced: set[str]) -> str:
    """Route and send one claimed letter; returns its outcome."""
    try:
        prefs = parse_preferences(item.creditor["channels"],
                                  where=f"kreditor {item.creditor['id']}: channels")
        reach = reach_for(item, channels, bounced)
        plan = route(item.kind, reach, prefs)
        if not plan.chain:
            outbox.finish(engine, item, status="held", on=now.date(),
                          error="ingen lovlig kanal: adressen mangler eller er returnert")
            return "held"
        outcome = _deliver(engine, item, plan.chain, channels, now, config, prefs.attach_invoice)
        if plan.sms and outcome in ("sent", "print"):
            _notify_sms(engine, item, reach.phone, channels, now, config)
        outbox.finish(engine, item, status=outcome, on=now.date())
        return outcome
    except TemporaryFailure as exc:
        return _retry_or_park(engine, item, str(exc), now, config)
    except Uncertain as exc:
        outbox.finish(engine, item, status="parked", error=str(exc), on=now.date())
        return "uncertain"
    except Exception as exc:  # noqa: BLE001 - a poison row is parked, never blocks the batch
        # The reason is the letter's last_error (``krav letters attention``); the traceback is for
        # a developer (KRAV_DEBUG=1), never one per letter on an operator's console.
        log.debug("letter %s parked", item.id, exc_info=True)
        kind = "" if isinstance(exc, KravError) else f"{type(exc).__name__}: "
        outbox.finish(engine, item, status="parked", error=f"{kind}{exc}", on=now.date())
        return "parked"


def _retry_or_park(engine: Engine, item: OutboxItem, error: str, now: datetime,
                   config: DispatchConfig) -> str:
    if item.attempts >= config.max_attempts:
        outbox.finish(engine, item, status="parked", on=now.date(),
                      error=f"gitt opp etter {item.attempts} forsøk: {error}")
        return "parked"
    delay = config.backoff * (2 ** (item.attempts - 1))
    outbox.finish(engine, item, status="pending", error=error, next_attempt_at=now + delay)
    return "retry"


def _deliver(engine: Engine, item: OutboxItem, chain: tuple[str, ...], channels: Channels,
             now: datetime, config: DispatchConfig, attach_invoice: bool) -> str:
    for name in chain:
        if name == "print":
            with engine.begin() as conn:
                tracking.record_attempt(conn, letter_id=item.id, channel="print",
                                        recipient=_postal(item), at=now, status="queued")
            return "print"
        adapter = channels.get(name)
        assert adapter is not None  # routing only offers configured channels
        recipient = item.creditor["email"] if item.kind == "settlement_statement" and \
            name == "email" else item.debtor["email"] if name == "email" else \
            item.debtor["national_id"]
        try:
            send_once(engine, item, name, adapter, recipient=recipient, now=now,
                      build=lambda name=name, recipient=recipient: _electronic(
                          item, name, recipient, now, config, attach_invoice))
            return "sent"
        except PermanentFailure as exc:
            log.info("letter %s: %s refused (%s); next channel", item.id, name, exc)
    raise PermanentFailure("ingen kanal tok imot brevet")


def send_once(engine: Engine, item: OutboxItem, name: str, adapter: Channel, *,
              recipient: str, now: datetime, build) -> str:  # type: ignore[no-untyped-def]
    """Send by ``name`` unless the idempotency key says it already went; returns provider id."""
    key = tracking.delivery_key(item.id, name)
    with engine.connect() as conn:
        row = conn.execute(select(ld.c.status, ld.c.provider_id)
                           .where(ld.c.idempotency_key == key)).first()
    if row is not None and row.status in tracking.DONE:
        return row.provider_id or key
    if row is not None and row.status in ("sending", "uncertain"):
        verdict = adapter.confirm(key)
        if verdict is None:
            with engine.begin() as conn:
                tracking.record_outcome(conn, key, status="uncertain", at=now,
                                        error="avbrutt under sending; kanalen kan ikke bekrefte")
            raise Uncertain(f"{key}: usikkert om sendt (avbrudd under sending). Sjekk og send på "
                            f"nytt med «krav letters retry {item.id}».")
        if verdict:
            with engine.begin() as conn:
                tracking.record_outcome(conn, key, status="sent", at=now, provider_id=key)
            return key
    message = build()  # render before the key is written: a template error sends nothing
    with engine.begin() as conn:
        tracking.record_attempt(conn, letter_id=item.id, channel=name, recipient=recipient,
                                at=now)
    try:
        provider_id = adapter.send(message)
    except TemporaryFailure as exc:
        with engine.begin() as conn:
            tracking.record_outcome(conn, key, status="failed", at=now, error=str(exc))
        raise
    except PermanentFailure as exc:
        status = "bounced" if name == "email" else "failed"
        with engine.begin() as conn:
            tracking.record_outcome(conn, key, status=status, at=now, error=str(exc))
        raise
    with engine.begin() as conn:
        tracking.record_outcome(conn, key, status="sent", at=now, provider_id=provider_id)
    return provider_id


def _postal(item: OutboxItem) -> str:
    party = item.content.get("creditor" if item.kind == "settlement_statement" else "debtor", {})
    return ", ".join(x for x in (party.get("name"), party.get("address"),
                                 f"{party.get('postcode', '')} {party.get('city', '')}".strip())
                     if x)


def _invoice_copy(content: dict) -> list[tuple[str, bytes]]:
    path = content.get("invoice_copy")
    if not path or not Path(path).is_file():
        return []
    return [(f"faktura-{content.get('invoice_number', '')}.pdf", Path(path).read_bytes())]


def _electronic(item: OutboxItem, name: str, recipient: str, now: datetime,
                config: DispatchConfig, attach_invoice: bool) -> Outgoing:
    content = item.content
    subject = messages.subject(content)
    if name == "digital_mailbox":
        subject = mailbox_subject(item.kind, content.get("sender") == "agency", subject)
    return Outgoing(
        key=tracking.delivery_key(item.id, name), letter_id=item.id, kind=item.kind,
        language=content.get("language", "nb"), recipient=recipient, subject=subject,
        text=messages.email_text(content, link=messages.pay_link(content, config.public_url)),
        created=now, pdf=render_pdf(content, letter_id=item.id),
        pdf_name=messages.file_name(content, item.id),
        attachments=_invoice_copy(content) if attach_invoice else [])


def _notify_sms(engine: Engine, item: OutboxItem, phone: str, channels: Channels,
                now: datetime, config: DispatchConfig) -> None:
    """The SMS notice is a courtesy beside the letter: its failure never holds the letter back."""
    assert channels.sms is not None
    content = item.content
    text = notice_text(content, sender_name=messages.sender_name(content),
                       link=messages.pay_link(content, config.public_url))
    message = Outgoing(key=tracking.delivery_key(item.id, "sms"), letter_id=item.id,
                       kind=item.kind, language=content.get("language", "nb"), recipient=phone,
                       subject="", text=text, created=now)
    try:
        send_once(engine, item, "sms", channels.sms, recipient=phone, now=now,
                  build=lambda: message)
    except (TemporaryFailure, PermanentFailure, Uncertain) as exc:
        log.warning("letter %s: SMS not sent: %s", item.id, exc)
