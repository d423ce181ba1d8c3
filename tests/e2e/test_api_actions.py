"""The claim actions of the REST API (withdraw, approve, disputes, direct payments, credit notes)
on SQLite and PostgreSQL: each answers the claim as ``GET /api/v1/claims/{ref}`` shows it after
the change, refuses what the claim's state does not allow (409) and bad fields (422) with nothing
written, replays an ``Idempotency-Key`` retry, writes its audit row with the request id and its
webhook delivery, and leaves the same ledger as the CLI command it mirrors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.e2e.test_api import audit_rows, bearer, client, krav, staff  # noqa: F401
from tests.e2e.test_web import PROBLEM, link_of, log_in, set_password
from tests.factories import NORDLYS, claim, events_of, postings_of, run_days, table_counts

from krav.accounts.principal import Actor, Principal
from krav.audit.tables import audit
from krav.db.tables import claims, creditors
from krav.intake.tables import idempotency_keys
from krav.settings import Settings
from krav.web.app import create_app
from krav.webhooks.tables import EVENTS, webhook_deliveries

# K-0000001 (Kari) and K-0000002 (Ola) are Nordlys's, alike: 1000.00 due 2026-01-05;
# K-0000003 is Nordlys's 2500.50, K-0000004 Fjordnett's.


@pytest.fixture
def hook(krav, engine) -> int:  # type: ignore[no-untyped-def]  # noqa: F811
    """Nordlys subscribes to every event."""
    from krav.webhooks.service import create

    with engine.begin() as conn:
        nordlys = conn.execute(select(creditors.c.id).where(
            creditors.c.orgnr == NORDLYS.orgnr)).scalar_one()
        made = create(conn, creditor_id=nordlys, url="https://nordlys.example/h",
                      events_=list(EVENTS), secret_key="k",
                      actor=Actor(Principal.cli("test"), datetime(2026, 1, 6)))
    return made.row["id"]


def deliveries(engine, ref: str) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(
            select(webhook_deliveries.c.event_type)
            .join(claims, claims.c.id == webhook_deliveries.c.claim_id)
            .where(claims.c.ref == ref).order_by(webhook_deliveries.c.id)).scalars())


def everything(engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What an error must leave as it was: every core table's rows, the audit trail, the
    outbox of webhooks and the stored idempotency keys."""
    from tests.e2e.test_api import count

    return {**table_counts(engine), "audit": count(engine, audit),
            "webhooks": count(engine, webhook_deliveries),
            "keys": count(engine, idempotency_keys)}


def ledger(engine, ref: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A claim's ledger and state, without what names the claim itself."""
    row = claim(engine, ref)
    return {"postings": [(p["on"], p["kind"], p["component"], p["amount_ore"], p["rule"])
                         for p in postings_of(engine, ref)],
            "events": [(e["on"], e["kind"], e["detail"]) for e in events_of(engine, ref)],
            **{k: row[k] for k in ("status", "stage", "close_reason", "closed_on",
                                   "principal_ore", "interest_ore", "costs_ore",
                                   "next_action_on", "approved")}}


def shown(krav, ref: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]  # noqa: F811
    return krav.json("case", "show", ref)


def test_withdraw_closes_the_claim_once(krav, client, engine, hook) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = {**bearer(krav), "x-request-id": "erp-withdraw-1"}
    done = client.post("/api/v1/claims/k-0000001/withdraw", headers=nordlys,
                       json={"reason": "betalt hos oss", "on": "2026-01-20"})
    assert done.status_code == 200, done.text
    assert done.json() == shown(krav, "K-0000001")
    assert (done.json()["status"], claim(engine)["close_reason"]) == ("closed", "withdrawn")
    assert claim(engine)["closed_on"] == date(2026, 1, 20)
    row = audit_rows(engine, "case.withdraw")[-1]
    assert (row.request_id, row.details["reason"]) == ("erp-withdraw-1", "betalt hos oss")
    assert row.actor.startswith("apikey:") and row.claim_id == claim(engine)["id"]
    assert deliveries(engine, "K-0000001") == ["claim.closed"]

    before = everything(engine)
    again = client.post("/api/v1/claims/K-0000001/withdraw", headers=nordlys)  # no body
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["detail"] == "sak K-0000001 er allerede avsluttet (trukket)"
    assert everything(engine) == before

    # no body at all: today, no reason
    bare = client.post("/api/v1/claims/K-0000002/withdraw", headers=bearer(krav))
    assert bare.status_code == 200 and claim(engine, "K-0000002")["closed_on"] == date.today()


def test_approve_sends_a_held_claim_to_collection(krav, client, engine, hook) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    not_held = client.post("/api/v1/claims/K-0000001/approve", headers=nordlys)
    assert not_held.status_code == 409 and not_held.headers["content-type"] == PROBLEM
    assert not_held.json()["detail"] == \
        "sak K-0000001 venter ikke på godkjenning for inkasso (nå: fakturert)"
    assert audit_rows(engine, "case.approve") == []
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == NORDLYS.orgnr)
                     .values(policy={"approval_required": True}))
    run_days(engine, date(2026, 1, 19), date(2026, 3, 1))
    assert (claim(engine)["stage"], claim(engine)["next_action_on"]) == \
        ("awaiting_approval", None)
    approved = client.post("/api/v1/claims/K-0000001/approve", headers=nordlys,
                           json={"on": "2026-03-02"})
    assert approved.status_code == 200, approved.text
    assert approved.json() == shown(krav, "K-0000001")
    assert claim(engine)["approved"] and claim(engine)["next_action_on"] == date(2026, 3, 2)
    assert audit_rows(engine, "case.approve")[-1].details["on"] == "2026-03-02"
    run_days(engine, date(2026, 3, 2), date(2026, 3, 2))  # the night sends it on
    assert claim(engine)["stage"] == "payment_demand"
    assert "claim.stage_changed" in deliveries(engine, "K-0000001")
    twice = client.post("/api/v1/claims/K-0000001/approve", headers=nordlys)
    assert twice.status_code == 409 and "nå: betalingsoppfordring" in twice.json()["detail"]


def test_a_dispute_stops_the_claim(krav, client, engine, hook) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = {**bearer(krav), "x-request-id": "erp-dispute"}
    made = client.post("/api/v1/claims/K-0000001/disputes", headers=nordlys,
                       json={"reason": "Har ikke mottatt varen", "on": "2026-01-21"})
    assert made.status_code == 201, made.text
    assert made.json() == shown(krav, "K-0000001") and made.json()["status"] == "disputed"
    assert [lt["kind"] for lt in made.json()["letters"]] == ["dispute_ack"]
    assert audit_rows(engine, "case.dispute")[-1].request_id == "erp-dispute"
    assert deliveries(engine, "K-0000001") == ["dispute.opened"]
    before = everything(engine)
    again = client.post("/api/v1/claims/K-0000001/disputes", headers=nordlys,
                        json={"reason": "igjen"})
    assert again.status_code == 409
    assert again.json()["detail"] == \
        "sak K-0000001 er allerede bestridt og venter på en saksbehandler"
    client.post("/api/v1/claims/K-0000002/withdraw", headers=nordlys)
    before = everything(engine)
    closed = client.post("/api/v1/claims/K-0000002/disputes", headers=nordlys,
                         json={"reason": "for sent"})
    assert closed.status_code == 409 and "avsluttet (trukket)" in closed.json()["detail"]
    assert everything(engine) == before


def test_a_direct_payment_is_booked_on_the_claim(krav, client, engine, hook) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    part = client.post("/api/v1/claims/K-0000001/direct-payments", headers=nordlys,
                       json={"amount": "400.00", "paid_on": "2026-01-20"})
    assert part.status_code == 201, part.text
    assert part.json() == shown(krav, "K-0000001")
    assert part.json()["balance"]["principal"] == "604.93"  # interest first (dekningsloven)
    row = audit_rows(engine, "payment.direct")[-1]
    assert (row.details["amount"], row.details["paid_on"]) == ("400.00", "2026-01-20")
    assert deliveries(engine, "K-0000001") == ["payment.booked"]
    rest = client.post("/api/v1/claims/K-0000001/direct-payments", headers=nordlys,
                       json={"amount": "700.00", "paid_on": "2026-01-20"})
    assert rest.status_code == 201 and rest.json()["status"] == "closed"
    assert deliveries(engine, "K-0000001") == ["payment.booked", "payment.booked",
                                               "claim.closed"]


def test_a_credit_note_reduces_the_principal_and_may_close(krav, client, engine, hook) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    before = everything(engine)
    too_much = client.post("/api/v1/claims/K-0000001/credit-notes", headers=nordlys,
                           json={"amount": "1000.01", "on": "2026-01-20", "reason": "KN-1"})
    assert too_much.status_code == 422 and too_much.headers["content-type"] == PROBLEM
    error = too_much.json()["errors"][0]
    assert (error["field"], error["allowed"]) == ("amount", "høyst 1000.00")
    assert everything(engine) == before
    part = client.post("/api/v1/claims/K-0000001/credit-notes", headers=nordlys,
                       json={"amount": "250.00", "on": "2026-01-20", "reason": "KN-1"})
    assert part.status_code == 201, part.text
    assert part.json() == shown(krav, "K-0000001")
    assert part.json()["balance"]["principal"] == "750.00"
    assert audit_rows(engine, "payment.credit_note")[-1].details["reason"] == "KN-1"
    assert deliveries(engine, "K-0000001") == []
    whole = client.post("/api/v1/claims/K-0000001/credit-notes", headers=nordlys,
                        json={"amount": "750.00", "on": "2026-01-21", "reason": "KN-2"})
    assert whole.status_code == 201 and whole.json()["status"] == "closed"
    assert claim(engine)["close_reason"] == "withdrawn"
    assert deliveries(engine, "K-0000001") == ["claim.closed"]


def test_bad_fields_are_422_naming_the_field_with_nothing_written(krav, client, engine) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    future = (date.today() + timedelta(days=1)).isoformat()
    cases = [
        ("direct-payments", {"amount": 400, "paid_on": "2026-01-20"}, "amount"),
        ("direct-payments", {"amount": "400.001", "paid_on": "2026-01-20"}, "amount"),
        ("direct-payments", {"amount": "-5.00", "paid_on": "2026-01-20"}, "amount"),
        ("direct-payments", {"amount": "0", "paid_on": "2026-01-20"}, "amount"),
        ("direct-payments", {"amount": "1 000", "paid_on": "2026-01-20"}, "amount"),
        ("direct-payments", {"paid_on": "2026-01-20"}, "amount"),
        ("direct-payments", {"amount": "10.00", "paid_on": future}, "paid_on"),
        ("direct-payments", {"amount": "10.00", "paid_on": "20.01.2026"}, "paid_on"),
        ("direct-payments", {"amount": "10.00", "paid_on": "2025-01-01"}, "paid_on"),
        ("direct-payments", {"amount": "10.00", "on": "2026-01-20"}, "on"),
        ("credit-notes", {"amount": "10.00", "on": "2026-01-20"}, "reason"),
        ("credit-notes", {"amount": "10.00", "on": "2026-01-20", "reason": "  "}, "reason"),
        ("credit-notes", {"amount": "10.00", "on": future, "reason": "KN"}, "on"),
        ("disputes", {"on": "2026-01-20"}, "reason"),
        ("disputes", {"reason": " ", "on": "2026-01-20"}, "reason"),
        ("disputes", {"reason": "nei", "on": "2026-02-30"}, "on"),
        ("disputes", ["nei"], "body"),
        ("withdraw", {"on": future}, "on"),
        ("withdraw", {"reason": 7}, "reason"),
        ("withdraw", {"colour": "red"}, "colour"),
        ("approve", {"on": "i dag"}, "on"),
    ]
    before = everything(engine)
    for action, body, field in cases:
        bad = client.post(f"/api/v1/claims/K-0000001/{action}", headers=nordlys, json=body)
        assert bad.status_code == 422, (action, body, bad.text)
        assert bad.headers["content-type"] == PROBLEM
        assert field in [e["field"] for e in bad.json()["errors"]], (action, body, bad.text)
        assert bad.json()["detail"], (action, body)
    unknown = client.post("/api/v1/claims/K-0000001/withdraw", headers=nordlys,
                          json={"colour": "red"}).json()["errors"][0]
    assert unknown["message"] == "ukjent felt" and unknown["allowed"] == "reason, on"
    number = client.post("/api/v1/claims/K-0000001/direct-payments", headers=nordlys,
                         json={"amount": 400}).json()["errors"][0]
    assert "anførselstegn" in number["message"]
    assert client.post("/api/v1/claims/K-0000001/disputes", headers=nordlys).status_code == 415
    assert client.post("/api/v1/claims/K-0000001/withdraw", headers={
        **nordlys, "content-type": "application/json"}, content=b"{").status_code == 400
    assert client.post("/api/v1/claims/K-0000001/withdraw").status_code == 401
    assert client.post("/api/v1/claims/K-0000009/withdraw", headers=nordlys).status_code == 404
    assert everything(engine) == before


def test_an_idempotency_key_makes_an_action_retry_safe(krav, client, engine, hook) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = {**bearer(krav), "idempotency-key": "pay-7"}
    body = {"amount": "400.00", "paid_on": "2026-01-20"}
    first = client.post("/api/v1/claims/K-0000001/direct-payments", headers=nordlys, json=body)
    again = client.post("/api/v1/claims/K-0000001/direct-payments", headers=nordlys, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(audit_rows(engine, "payment.direct")) == 1
    assert shown(krav, "K-0000001")["balance"]["principal"] == "604.93"
    assert deliveries(engine, "K-0000001") == ["payment.booked"]
    before = everything(engine)
    for url, other in (("/api/v1/claims/K-0000001/direct-payments",
                        {"amount": "401.00", "paid_on": "2026-01-20"}),
                       ("/api/v1/claims/K-0000002/direct-payments", body),
                       ("/api/v1/claims/K-0000001/credit-notes", {**body, "reason": "x"})):
        refused = client.post(url, headers=nordlys, json=other)
        assert refused.status_code == 422, url
        assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert everything(engine) == before
    # a retry of a withdrawal is the first answer, not 409
    closing = {**nordlys, "idempotency-key": "withdraw-2"}
    first = client.post("/api/v1/claims/K-0000002/withdraw", headers=closing)
    again = client.post("/api/v1/claims/K-0000002/withdraw", headers=closing)
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert len(audit_rows(engine, "case.withdraw")) == 1


def test_the_cli_and_the_api_leave_the_same_ledger(krav, client, engine) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))  # both reminded alike
    assert ledger(engine, "K-0000001") == ledger(engine, "K-0000002")
    krav.ok("payments", "direct", "K-0000001", "300.00", "--on", "2026-01-22")
    assert client.post("/api/v1/claims/K-0000002/direct-payments", headers=nordlys, json={
        "amount": "300.00", "paid_on": "2026-01-22"}).status_code == 201
    krav.ok("payments", "credit-note", "K-0000001", "200.00", "--on", "2026-01-23",
            "--reason", "KN-9")
    assert client.post("/api/v1/claims/K-0000002/credit-notes", headers=nordlys, json={
        "amount": "200.00", "on": "2026-01-23", "reason": "KN-9"}).status_code == 201
    krav.ok("case", "dispute", "K-0000001", "--on", "2026-01-24", "--reason", "feil beløp")
    assert client.post("/api/v1/claims/K-0000002/disputes", headers=nordlys, json={
        "on": "2026-01-24", "reason": "feil beløp"}).status_code == 201
    assert ledger(engine, "K-0000001") == ledger(engine, "K-0000002")
    krav.ok("case", "withdraw", "K-0000001", "--on", "2026-01-25", "--reason", "oppgjort")
    assert client.post("/api/v1/claims/K-0000002/withdraw", headers=nordlys, json={
        "on": "2026-01-25", "reason": "oppgjort"}).status_code == 200
    assert ledger(engine, "K-0000001") == ledger(engine, "K-0000002")
    def trail(ref: str) -> list[tuple[str, dict]]:
        return [(r.action, {k: v for k, v in r.details.items() if k not in ("ref", "payment_id")})
                for r in _audit_of(engine, ref)]

    assert [a for a, _ in trail("K-0000001")] == ["payment.direct", "payment.credit_note",
                                                  "case.dispute", "case.withdraw"]
    assert trail("K-0000002") == trail("K-0000001")


def _audit_of(engine, ref: str) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(audit).join(claims, claims.c.id == audit.c.claim_id)
                            .where(claims.c.ref == ref).order_by(audit.c.id)).all()


def _person(krav, engine, email: str, role: str) -> TestClient:  # type: ignore[no-untyped-def]  # noqa: F811
    person = TestClient(create_app(Settings(public_url="http://testserver"), engine))
    set_password(person, link_of(krav, email, "--role", role, "--creditor", NORDLYS.orgnr))
    assert log_in(person, email).status_code == 303
    return person


def test_who_may_act(krav, engine) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    user = _person(krav, engine, "les@nordlys.no", "creditor_user")
    before = everything(engine)
    for action, body in (("withdraw", {}), ("approve", {}),
                         ("credit-notes", {"amount": "1.00", "reason": "KN"})):
        refused = user.post(f"/api/v1/claims/K-0000001/{action}", json=body)
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    # the role is checked first: the same 403 for Fjordnett's claim, which tells nothing about it
    assert user.post("/api/v1/claims/K-0000004/withdraw").status_code == 403
    assert user.post("/api/v1/claims/K-0000004/disputes",
                     json={"reason": "nei"}).status_code == 404  # a user's action: not found
    assert everything(engine) == before
    # what the debtor told the creditor, a creditor's user passes on
    assert user.post("/api/v1/claims/K-0000001/direct-payments",
                     json={"amount": "100.00", "paid_on": "2026-01-20"}).status_code == 201
    assert user.post("/api/v1/claims/K-0000001/disputes",
                     json={"reason": "nei"}).status_code == 201
    assert audit_rows(engine, "case.dispute")[-1].actor.startswith("user:")
    boss = _person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    assert boss.post("/api/v1/claims/K-0000002/credit-notes",
                     json={"amount": "1.00", "reason": "KN"}).status_code == 201
    assert boss.post("/api/v1/claims/K-0000002/withdraw").status_code == 200
    handler = staff(krav, engine)
    assert handler.post("/api/v1/claims/K-0000004/withdraw").status_code == 200
    assert audit_rows(engine, "case.withdraw")[-1].actor.startswith("user:")
