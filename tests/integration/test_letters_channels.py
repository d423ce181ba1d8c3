"""The SMS delivery-report callback over HTTP, and the digital-mailbox adapter interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.letters_support import SmsProvider, make_case, pdf_text

from krav.db.tables import debtors, letters
from krav.letters.api import callbacks as router
from krav.letters.channels import Channels, Outgoing
from krav.letters.dispatch import DispatchConfig, dispatch_batch
from krav.letters.sms import LinkSmsChannel
from krav.letters.tables import letter_deliveries as ld

NOW = datetime(2026, 4, 10, 9, 0, 0)


def test_sms_delivery_callback_is_idempotent(engine, db_url):
    case = make_case(engine, kinds=("reminder",), phone="+4790000001")
    with SmsProvider() as provider:
        dispatch_batch(engine, Channels(sms=LinkSmsChannel(provider.url)), now=NOW,
                       config=DispatchConfig())
    app = FastAPI()
    app.state.database_url = db_url
    app.include_router(router)
    client = TestClient(app)
    report = {"refId": f"letter-{case.letter_ids[0]}-sms", "id": "lm-1", "resultCode": 1001}
    first = client.post("/callbacks/sms/delivery", json=[report])
    assert first.status_code == 200 and first.json() == {"received": 1, "changed": 1}
    again = client.post("/callbacks/sms/delivery", json=report)
    assert again.json() == {"received": 1, "changed": 0}
    with engine.connect() as conn:
        status = conn.execute(select(ld.c.status).where(
            ld.c.idempotency_key == report["refId"])).scalar()
    assert status == "delivered"


@dataclass
class FakeMailbox:
    """A digital mailbox provider that knows one person and refuses duplicate message ids."""

    people: set[str]
    received: dict[str, Outgoing] = field(default_factory=dict)
    name: str = "digital_mailbox"

    def has_mailbox(self, national_id: str) -> bool:
        return national_id in self.people

    def send(self, message: Outgoing) -> str:
        assert message.key not in self.received, "duplicate message id"
        self.received[message.key] = message
        return f"dp-{len(self.received)}"

    def confirm(self, key: str) -> bool | None:
        return key in self.received


def test_digital_mailbox_first_with_inkasso_subject(engine):
    case = make_case(engine, kinds=("payment_demand",), email="ola@example.no", consent=True)
    with engine.begin() as conn:
        conn.execute(update(debtors).where(debtors.c.id == case.debtor_id)
                     .values(national_id="01019012345"))
    mailbox = FakeMailbox(people={"01019012345"})
    report = dispatch_batch(engine, Channels(mailbox=mailbox), now=NOW, config=DispatchConfig())
    assert report.outcomes == {"sent": 1}
    message = mailbox.received[f"letter-{case.letter_ids[0]}-digital_mailbox"]
    assert message.subject.startswith("[INKASSO] Betalingsoppfordring")
    assert message.recipient == "01019012345"
    assert "Finansklagenemnda" in pdf_text(message.pdf)


def test_a_crash_is_settled_by_asking_the_mailbox_provider(engine):
    """Unlike plain SMTP, a provider that knows our message ids can answer after a crash."""
    case = make_case(engine, kinds=("reminder",))
    letter_id = case.letter_ids[0]
    key = f"letter-{letter_id}-digital_mailbox"
    with engine.begin() as conn:
        conn.execute(update(debtors).where(debtors.c.id == case.debtor_id)
                     .values(national_id="02029012345"))
        conn.execute(update(letters).where(letters.c.id == letter_id).values(
            status="sending", attempts=1, next_attempt_at=NOW))
        conn.execute(ld.insert().values(letter_id=letter_id, channel="digital_mailbox",
                                        idempotency_key=key, recipient="02029012345",
                                        status="sending", attempts=1, made_at=NOW,
                                        updated_at=NOW))
    mailbox = FakeMailbox(people={"02029012345"})
    mailbox.received[key] = None  # type: ignore[assignment]  # it did arrive before the crash
    report = dispatch_batch(engine, Channels(mailbox=mailbox), now=NOW, config=DispatchConfig())
    assert report.outcomes == {"sent": 1}  # confirmed, not re-sent (send() would assert)
    assert len(mailbox.received) == 1
