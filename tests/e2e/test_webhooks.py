"""Webhooks on SQLite and PostgreSQL: made over the API (the secret shown once, stored
encrypted), tenancy (another creditor's webhook answers 404), events enqueued in the transaction
of the change (import, dispute, payment, close, nightly run), and delivery to a real HTTP receiver
on 127.0.0.1: signed, retried with back-off on 500, parked after repeated failure and listed for
the operator."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import FJORDNETT, NORDLYS, Krav, add_creditor, claim_row, import_claims
from tests.webhook_support import Receiver

from krav.settings import Settings
from krav.web.app import create_app
from krav.webhooks.delivery import HookConfig, dispatch_webhooks, failed, retry
from krav.webhooks.tables import EVENTS, webhooks
from krav.webhooks.tables import webhook_deliveries as wd

KEY = "test-secret-key-for-webhooks"
NOW = datetime(2026, 1, 20, 12, 0, 0)
CONFIG = HookConfig(secret_key=KEY, max_attempts=3, backoff=timedelta(minutes=1))


@pytest.fixture
def krav(db_url, capsys, engine) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    return Krav(db_url, capsys)


@pytest.fixture
def client(engine) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(public_url="http://testserver", secret_key=KEY,
                                          webhook_allow_local=1), engine))


def key_for(krav: Krav, orgnr: str) -> dict[str, str]:
    key = krav.json("apikey", "create", "--creditor", orgnr, "--name", "ERP")["key"]
    return {"authorization": f"Bearer {key}"}


def subscribe(client: TestClient, auth: dict[str, str], url: str,
              events: list[str] | None = None) -> dict:
    made = client.post("/api/v1/webhooks", json={"url": url, "events": events or list(EVENTS)},
                       headers=auth)
    assert made.status_code == 201, made.text
    return made.json()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(secret.encode(), headers["x-krav-timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["x-krav-signature"], "sha256=" + expected)


def test_secret_shown_once_stored_encrypted_and_other_creditors_get_404(krav, client, engine):
    nordlys, fjordnett = key_for(krav, NORDLYS.orgnr), key_for(krav, FJORDNETT.orgnr)
    made = subscribe(client, nordlys, "https://erp.nordlys.example/krav", ["claim.created"])
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["events"] == ["claim.created"]
    with engine.connect() as conn:
        stored = conn.execute(select(webhooks)).mappings().one()
    assert made["secret"] not in json.dumps({k: str(v) for k, v in stored.items()})
    listed = client.get("/api/v1/webhooks", headers=nordlys).json()
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    one = client.get(f"/api/v1/webhooks/{made['id']}", headers=nordlys).json()
    assert "secret" not in one and made["secret"] not in json.dumps(one)
    # another creditor: exactly like a webhook that does not exist
    assert client.get("/api/v1/webhooks", headers=fjordnett).json() == []
    for method, path in (("get", f"/api/v1/webhooks/{made['id']}"),
                         ("get", f"/api/v1/webhooks/{made['id']}/deliveries"),
                         ("delete", f"/api/v1/webhooks/{made['id']}")):
        theirs = getattr(client, method)(path, headers=fjordnett)
        other = path.replace(f"/webhooks/{made['id']}", "/webhooks/99999")
        missing = getattr(client, method)(other, headers=fjordnett)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert theirs.headers["content-type"].startswith("application/problem+json")
        assert theirs.json()["detail"] == f"ukjent webhook {made['id']}"
        assert missing.json()["detail"] == "ukjent webhook 99999"
    assert client.get("/api/v1/webhooks").status_code == 401
    # bad input: each a problem+json answer, nothing written
    for body in ({"url": "ftp://x.example/", "events": ["claim.created"]},
                 {"url": "https://x.example/", "events": ["claim.deleted"]},
                 {"url": "https://x.example/", "events": []},
                 {"url": "https://x.example/", "events": ["claim.created"], "extra": 1},
                 {"url": "https://x.example/", "events": ["claim.created"],
                  "creditor": FJORDNETT.orgnr}):
        bad = client.post("/api/v1/webhooks", json=body, headers=nordlys)
        assert bad.status_code == 422, (body, bad.text)
    strict = TestClient(create_app(Settings(secret_key=KEY), engine))
    local = strict.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                  "events": ["claim.created"]}, headers=nordlys)
    assert local.status_code == 422 and "lokal adresse" in local.json()["detail"]
    assert client.delete(f"/api/v1/webhooks/{made['id']}", headers=nordlys).status_code == 204
    assert client.get("/api/v1/webhooks", headers=nordlys).json() == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(webhooks)).scalar() == 1


def _deliveries(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(wd).order_by(wd.c.id)).mappings()]


def test_events_are_signed_retried_with_back_off_and_delivered(krav, client, engine, tmp_path):
    from krav.cases.service import dispute
    from krav.payments.queue import direct_payment

    nordlys = key_for(krav, NORDLYS.orgnr)
    with Receiver([500]) as receiver:
        made = subscribe(client, nordlys, receiver.url)
        import_claims(engine, tmp_path, [
            claim_row(invoice="1"), claim_row(invoice="2"),
            claim_row(creditor=FJORDNETT, invoice="3")])  # no subscription: no delivery
        assert [(d["event_type"], d["claim_id"]) for d in _deliveries(engine)] == [
            ("claim.created", 1), ("claim.created", 2)]
        # the first POST answers 500: retried after the back-off, not before
        assert dispatch_webhooks(engine, now=NOW, config=CONFIG) == {
            "webhook_retry": 1, "webhook_delivered": 1}
        first = _deliveries(engine)[0]
        assert first["status"] == "pending" and first["attempts"] == 1
        assert first["next_attempt_at"] == NOW + timedelta(minutes=1)
        assert first["response_status"] == 500 and first["last_error"] == "HTTP 500"
        assert dispatch_webhooks(engine, now=NOW + timedelta(seconds=59), config=CONFIG) == {}
        assert dispatch_webhooks(engine, now=NOW + timedelta(minutes=1), config=CONFIG) == {
            "webhook_delivered": 1}
        assert dispatch_webhooks(engine, now=NOW + timedelta(hours=1), config=CONFIG) == {}
        assert [d["status"] for d in _deliveries(engine)] == ["delivered", "delivered"]

        with engine.begin() as conn:
            direct_payment(conn, "K-0000001", Decimal("1000.00"), on=date(2026, 1, 10),
                           as_of=date(2026, 1, 10))  # pays the claim in full: it closes
            dispute(conn, "K-0000002", on=date(2026, 1, 11), reason="Har aldri bestilt")
        dispatch_webhooks(engine, now=NOW + timedelta(hours=2), config=CONFIG)

    bodies = receiver.bodies()
    assert len(receiver.requests) == 6  # 2 created (one twice), booked, closed, disputed
    for headers, body in receiver.requests:
        assert verify(made["secret"], headers, body)
        assert not verify(made["secret"] + "x", headers, body)
        payload = json.loads(body)
        assert headers["x-krav-event"] == payload["type"]
        assert headers["x-krav-event-id"] == payload["id"]
        assert payload["creditor"] == NORDLYS.orgnr
    # the retry of the first event carries the same event id
    assert bodies[0]["id"] == bodies[2]["id"] and bodies[0]["ref"] == "K-0000001"
    assert len({b["id"] for b in bodies}) == 5
    by_type = {b["type"]: b for b in bodies}
    assert set(by_type) == {"claim.created", "payment.booked", "claim.closed", "dispute.opened"}
    assert by_type["payment.booked"]["ref"] == "K-0000001"
    assert by_type["payment.booked"]["data"]["amount"] == "1000.00"
    assert by_type["claim.closed"]["ref"] == "K-0000001"
    assert by_type["claim.closed"]["data"]["reason"] == "paid"
    assert by_type["dispute.opened"]["ref"] == "K-0000002"
    assert by_type["dispute.opened"]["data"] == {"on": "2026-01-11",
                                                 "reason": "Har aldri bestilt"}
    shown = client.get(f"/api/v1/webhooks/{made['id']}/deliveries", headers=nordlys).json()
    assert len(shown) == 5 and {d["status"] for d in shown} == {"delivered"}
    assert shown[-1]["attempts"] == 2 and shown[-1]["response_status"] == 200


def test_only_subscribed_events_are_enqueued(krav, client, engine, tmp_path):
    from krav.cases.service import dispute

    subscribe(client, key_for(krav, NORDLYS.orgnr), "https://erp.example/x", ["dispute.opened"])
    import_claims(engine, tmp_path, [claim_row(invoice="1")])
    assert _deliveries(engine) == []
    with engine.begin() as conn:
        dispute(conn, "K-0000001", on=date(2026, 1, 11), reason="Feil beløp")
    assert [d["event_type"] for d in _deliveries(engine)] == ["dispute.opened"]


def test_repeated_failure_parks_the_delivery_for_the_operator(krav, client, engine, tmp_path):
    nordlys = key_for(krav, NORDLYS.orgnr)
    with Receiver(always=500) as receiver:
        made = subscribe(client, nordlys, receiver.url, ["claim.created"])
        import_claims(engine, tmp_path, [claim_row(invoice="1")])
        at = NOW
        outcomes = []
        for _ in range(5):
            outcomes.append(dispatch_webhooks(engine, now=at, config=CONFIG))
            at += timedelta(hours=1)
        assert outcomes[:3] == [{"webhook_retry": 1}, {"webhook_retry": 1},
                                {"webhook_parked": 1}]
        assert outcomes[3:] == [{}, {}] and len(receiver.requests) == 3
        parked = failed(engine)
        assert len(parked) == 1 and parked[0]["ref"] == "K-0000001"
        assert parked[0]["last_error"] == "gitt opp etter 3 forsøk: HTTP 500"
        listed = krav.json("webhooks", "failed")
        assert [d["id"] for d in listed] == [parked[0]["id"]]
        shown = client.get(f"/api/v1/webhooks/{made['id']}/deliveries?status=parked",
                           headers=nordlys).json()
        assert [d["status"] for d in shown] == ["parked"]
        # the operator sends it again once the receiver is fixed
        receiver.always = None
        assert retry(engine, None, now=at) == 1
        assert dispatch_webhooks(engine, now=at, config=CONFIG) == {"webhook_delivered": 1}
        assert failed(engine) == []


def test_the_nightly_run_and_sent_letters_enqueue_stage_changes_and_letter_sent(
        krav, client, engine, tmp_path):
    from tests.factories import run_days

    subscribe(client, key_for(krav, NORDLYS.orgnr), "https://erp.example/x",
              ["claim.stage_changed", "letter.sent"])
    import_claims(engine, tmp_path, [claim_row(invoice="1"),
                                     claim_row(creditor=FJORDNETT, invoice="2")])
    run_days(engine, date(2026, 1, 6), date(2026, 2, 10))
    rows = _deliveries(engine)
    stages = [d for d in rows if d["event_type"] == "claim.stage_changed"]
    sent = [d for d in rows if d["event_type"] == "letter.sent"]
    assert stages and len(sent) == len(stages)  # each step letter: a stage and its sending
    assert {d["claim_id"] for d in rows} == {1}  # the other creditor has no subscription
    from krav.webhooks.delivery import _data
    with engine.connect() as conn:
        data = _data(conn, [type("R", (), {"id": d["id"], "source": d["source"],
                                           "source_id": d["source_id"]}) for d in stages])
    assert data[stages[0]["id"]]["stage"] == "reminder"


def _stage_data(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    """The ``data`` of every claim.stage_changed delivery, oldest first."""
    from krav.webhooks.delivery import _data

    rows = [d for d in _deliveries(engine) if d["event_type"] == "claim.stage_changed"]
    with engine.connect() as conn:
        data = _data(conn, [type("R", (), {"id": d["id"], "source": d["source"],
                                           "source_id": d["source_id"]}) for d in rows])
    return [data[d["id"]] for d in rows]


def test_a_pause_its_end_and_a_resume_are_stage_changes_too(krav, client, engine, tmp_path):
    """A client following its cases by webhook learns when one stops and goes on again — by a
    person's pause/resume and by the nightly run ending a pause — not only from letters."""
    from krav.cases.service import pause, resume
    from krav.engine.run import run_nightly

    subscribe(client, key_for(krav, NORDLYS.orgnr), "https://erp.example/x",
              ["claim.stage_changed"])
    import_claims(engine, tmp_path, [claim_row(invoice="1"), claim_row(invoice="2")])
    with engine.begin() as conn:
        pause(conn, "K-0000001", on=date(2026, 1, 7), until=None, reason="Utsettelse")
        resume(conn, "K-0000001", on=date(2026, 1, 9))
        pause(conn, "K-0000002", on=date(2026, 1, 7), until=date(2026, 1, 12), reason="Avtale")
    run_nightly(engine, as_of=date(2026, 1, 12))  # the pause of K-0000002 runs out
    data = _stage_data(engine)
    assert [(d["status"], d["on"]) for d in data] == [
        ("paused", "2026-01-07"), ("open", "2026-01-09"), ("paused", "2026-01-07"),
        ("open", "2026-01-12")]
    assert {d["stage"] for d in data} == {"invoiced"} and data[0]["reason"] == "Utsettelse"


def test_a_case_held_for_the_creditors_approval_is_a_stage_change(krav, client, engine,
                                                                   tmp_path):
    from tests.factories import run_days, set_policy

    set_policy(engine, NORDLYS, {"approval_required": True})
    subscribe(client, key_for(krav, NORDLYS.orgnr), "https://erp.example/x",
              ["claim.stage_changed"])
    import_claims(engine, tmp_path, [claim_row(invoice="1")])
    run_days(engine, date(2026, 1, 6), date(2026, 3, 31))
    stages = [d["stage"] for d in _stage_data(engine)]
    assert stages[-1] == "awaiting_approval", stages
    assert "collection" not in stages


def test_healthz_shows_waiting_and_parked_webhooks_and_dispatch_exits_3_when_it_parks(
        krav, client, engine, tmp_path, monkeypatch):
    """The operator's two alarms for a receiver that keeps failing: ``/healthz`` counts the
    deliveries waiting (with the oldest) and parked, and ``krav dispatch`` says so on standard
    error and exits 3, as it does for letters it could not send."""
    monkeypatch.setenv("KRAV_SECRET_KEY", KEY)
    monkeypatch.setenv("KRAV_WEBHOOK_MAX_ATTEMPTS", "1")
    with Receiver(always=500) as receiver:
        subscribe(client, key_for(krav, NORDLYS.orgnr), receiver.url, ["claim.created"])
        import_claims(engine, tmp_path, [claim_row(invoice="1")])
        waiting = client.get("/healthz").json()["outbox"]
        assert waiting["webhooks_waiting"] == 1 and waiting["webhooks_parked"] == 0
        assert waiting["oldest_webhook"] is not None
        code, out, err = krav("dispatch", "--once")
        assert code == 3, (out, err)
        assert "1 webhook-leveringer ble parkert" in err and "krav webhooks retry" in err
        assert len(receiver.requests) == 1
    parked = client.get("/healthz").json()["outbox"]
    assert parked["webhooks_waiting"] == 0 and parked["webhooks_parked"] == 1
    assert krav("dispatch", "--once")[0] == 0  # nothing parked by this run: a clean exit
    assert "1 leveringer sendes på nytt" in krav.ok("webhooks", "retry", "--all")
    (audited,) = [r for r in krav.json("audit") if r["action"] == "webhook.retry"]
    assert audited["creditor"] == NORDLYS.orgnr and len(audited["details"]["deliveries"]) == 1
    assert client.get("/healthz").json()["outbox"]["webhooks_waiting"] == 1
