"""The REST API (``/api/v1/claims``, ``/api/v1/creditor``) on SQLite and PostgreSQL: the same
answers as the CLI's ``--json``, tenancy (another creditor's ref is a 404 like an unknown one),
cursor pages, claims posted with the claims file's validation (all or nothing, every error with
its item and field), idempotent retries, the creditor's profile, and the audit rows."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from tests.e2e.test_web import PROBLEM, link_of, log_in, set_password
from tests.factories import (
    BYGG,
    FJORDNETT,
    KARI,
    NORDLYS,
    OLA,
    Krav,
    add_creditor,
    claim_row,
    import_claims,
    table_counts,
)

from krav.audit.tables import audit
from krav.db.tables import claims, creditors
from krav.settings import Settings
from krav.web.app import create_app


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    import_claims(engine, tmp_path, [
        claim_row(invoice="1001", debtor=KARI), claim_row(invoice="1002", debtor=OLA),
        claim_row(invoice="1003", debtor=BYGG, amount="2500.50"),
        claim_row(creditor=FJORDNETT, invoice="1001", debtor=KARI)])
    return Krav(db_url, capsys)


@pytest.fixture
def client(engine) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(public_url="http://testserver"), engine))


def bearer(krav: Krav, creditor=NORDLYS) -> dict[str, str]:  # type: ignore[no-untyped-def]
    key = krav.json("apikey", "create", "--creditor", creditor.orgnr, "--name", "ERP")["key"]
    return {"authorization": f"Bearer {key}"}


def staff(krav: Krav, engine) -> TestClient:  # type: ignore[no-untyped-def]
    person = TestClient(create_app(Settings(public_url="http://testserver"), engine))
    set_password(person, link_of(krav, "handler@krav.example", "--role", "handler"))
    assert log_in(person, "handler@krav.example").status_code == 303
    return person


def count(engine, table=claims) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def audit_rows(engine, action: str) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(audit).where(audit.c.action == action)
                            .order_by(audit.c.id)).all()


def test_a_claim_is_case_show_json_and_another_creditors_is_not_found(krav, client,  # type: ignore[no-untyped-def]
                                                                       engine) -> None:
    nordlys = bearer(krav)
    shown = client.get("/api/v1/claims/K-0000003", headers=nordlys)
    assert shown.status_code == 200
    assert shown.json() == krav.json("case", "show", "K-0000003")
    assert shown.json()["principal"] == "2500.50" and shown.json()["due"] == "2026-01-05"
    assert client.get("/api/v1/claims/k-0000003", headers=nordlys).json()["ref"] == "K-0000003"
    theirs = client.get("/api/v1/claims/K-0000004", headers=nordlys)
    unknown = client.get("/api/v1/claims/K-0000009", headers=nordlys)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.headers["content-type"] == unknown.headers["content-type"] == PROBLEM
    assert set(theirs.json()) == set(unknown.json())
    assert theirs.json()["detail"].replace("4", "9") == unknown.json()["detail"]
    # Fjordnett's key sees its own, agency staff see every creditor's
    assert client.get("/api/v1/claims/K-0000004",
                      headers=bearer(krav, FJORDNETT)).status_code == 200
    person = staff(krav, engine)
    assert person.get("/api/v1/claims/K-0000004").json()["creditor"]["orgnr"] == FJORDNETT.orgnr
    assert client.get("/api/v1/claims/K-0000001").status_code == 401


def test_the_list_is_paged_by_cursor_filtered_by_creditor_in_sql(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    nordlys = bearer(krav)
    client.get("/api/v1/whoami", headers=nordlys)  # the key's first use is recorded once
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    first = client.get("/api/v1/claims?limit=2", headers=nordlys).json()
    first_count = len(statements)
    assert [c["ref"] for c in first["items"]] == ["K-0000001", "K-0000002"]
    assert first["items"][0] == krav.json("cases")[0]
    second = client.get(f"/api/v1/claims?limit=2&cursor={first['next_cursor']}",
                        headers=nordlys).json()
    assert [c["ref"] for c in second["items"]] == ["K-0000003"]
    assert second["next_cursor"] is None
    statements.clear()
    whole = client.get("/api/v1/claims", headers=nordlys).json()
    assert len(statements) == first_count  # three claims or two: the same queries
    assert {c["creditor_orgnr"] for c in whole["items"]} == {NORDLYS.orgnr}
    assert len(whole["items"]) == 3
    assert len(staff(krav, engine).get("/api/v1/claims").json()["items"]) == 4
    assert client.get("/api/v1/claims?status=closed", headers=nordlys).json()["items"] == []
    for query, status, field in (("cursor=xyz", 400, "cursor"), ("cursor=aWQ6eA", 400, "cursor"),
                                 ("limit=0", 422, "query.limit"),
                                 ("limit=501", 422, "query.limit"),
                                 ("status=gone", 422, "status")):
        bad = client.get(f"/api/v1/claims?{query}", headers=nordlys)
        assert bad.status_code == status, query
        assert bad.headers["content-type"] == PROBLEM
        assert bad.json()["errors"][0]["field"] == field


def new_claim(invoice: str = "2001", **overrides: object) -> dict[str, object]:
    row = {k: v for k, v in claim_row(invoice=invoice, debtor=OLA).items()
           if not k.startswith("creditor_")}
    return {**row, **overrides}


def test_posting_claims_is_the_import_all_or_nothing(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    nordlys = {**bearer(krav), "x-request-id": "erp-post-1"}
    one = client.post("/api/v1/claims", json=new_claim(), headers=nordlys)
    assert one.status_code == 201, one.text
    assert one.json()["claims"][0]["ref"] == "K-0000005"
    shown = krav.json("case", "show", "K-0000005")
    assert shown["creditor"]["orgnr"] == NORDLYS.orgnr and shown["principal"] == "1000.00"
    row = audit_rows(engine, "claims.import")[-1]
    assert row.request_id == "erp-post-1" and row.actor.startswith("apikey:")
    assert row.details["claims"] == 1 and row.details["first"] == "K-0000005"

    many = client.post("/api/v1/claims", json=[new_claim("2002"), new_claim("2003")],
                       headers=nordlys)
    assert many.status_code == 201
    assert [c["invoice_number"] for c in many.json()["claims"]] == ["2002", "2003"]

    before = count(engine)
    bad = client.post("/api/v1/claims", headers=nordlys, json=[
        new_claim("3001"), new_claim("3002", amount="12,50.0", debtor_postcode="X"),
        new_claim("3003", due_date="2026-13-01", colour="red"), new_claim("2001"),
        new_claim("3004", amount=1000)])
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    errors = {(e["index"], e["field"]) for e in bad.json()["errors"]}
    assert {(1, "amount"), (1, "debtor_postcode"), (2, "colour"), (2, "due_date"),
            (4, "amount")} <= errors
    assert count(engine) == before  # nothing written, not even the good items
    colour = next(e for e in bad.json()["errors"] if e["field"] == "colour")
    assert colour["message"] == "ukjent felt" and "invoice_number" in colour["allowed"]
    bad = client.post("/api/v1/claims", headers=nordlys,
                      json=[new_claim("3001"), new_claim("2001")])
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["index"] == 1
    assert bad.json()["errors"][0]["field"] == "invoice_number"
    assert "allerede importert" in bad.json()["errors"][0]["message"]
    assert count(engine) == before

    broken = client.post("/api/v1/claims", headers={**nordlys, "content-type":
                                                    "application/json"}, content=b"{\"a\": ")
    assert broken.status_code == 400 and broken.json()["errors"][0]["field"] == "body"
    assert client.post("/api/v1/claims", headers=nordlys, content=b"x").status_code == 415
    assert client.post("/api/v1/claims", headers=nordlys, json=[]).status_code == 422
    assert client.post("/api/v1/claims", json=new_claim("4001")).status_code == 401
    assert count(engine) == before


def test_an_over_large_body_is_refused(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    from krav.intake.api import MAX_BODY

    items = json.dumps([new_claim("5000")]).encode()
    big = client.post("/api/v1/claims", headers={**bearer(krav),
                                                 "content-type": "application/json"},
                      content=items[:-1] + b" " * MAX_BODY + b"]")
    assert big.status_code == 413 and big.headers["content-type"] == PROBLEM
    assert count(engine) == 4


def test_an_idempotency_key_makes_a_retry_safe(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    nordlys = {**bearer(krav), "idempotency-key": "batch-7"}
    first = client.post("/api/v1/claims", json=[new_claim("7001")], headers=nordlys)
    again = client.post("/api/v1/claims", json=[new_claim("7001")], headers=nordlys)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert count(engine) == 5 and len(audit_rows(engine, "claims.import")) == 1
    other = client.post("/api/v1/claims", json=[new_claim("7002")], headers=nordlys)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    # the key is the creditor's own: another creditor's same key is another request
    fjordnett = {**bearer(krav, FJORDNETT), "idempotency-key": "batch-7"}
    assert client.post("/api/v1/claims", json=[new_claim("7001")],
                       headers=fjordnett).status_code == 201
    assert count(engine) == 6


def test_the_creditor_profile_read_and_edited(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    nordlys = {**bearer(krav), "x-request-id": "erp-profile"}
    shown = client.get("/api/v1/creditor", headers=nordlys)
    assert shown.status_code == 200
    assert shown.json() == krav.json("creditor", "show", NORDLYS.orgnr)
    changed = client.patch("/api/v1/creditor", headers=nordlys,
                           json={"email": "regnskap@nordlys.no", "phone": "+47 22 33 44 55"})
    assert changed.status_code == 200 and changed.json()["email"] == "regnskap@nordlys.no"
    row = audit_rows(engine, "creditor.update")[-1]
    assert row.request_id == "erp-profile" and row.details["changed"]["email"] == \
        "regnskap@nordlys.no"
    before = krav.json("creditor", "show", NORDLYS.orgnr)
    broken = client.patch("/api/v1/creditor", headers={**nordlys, "content-type":
                                                       "application/json"}, content=b'{"a":')
    assert broken.status_code == 400 and broken.json()["errors"][0]["field"] == "body"
    huge = client.patch("/api/v1/creditor", headers=nordlys,
                        json={"address": "x" * 100_000})
    assert huge.status_code == 413 and huge.headers["content-type"] == PROBLEM
    for body, status, field in (({"account_number": "12038004564"}, 422, "account_number"),
                                ({"colour": "red"}, 422, "colour"),
                                ({"email": 7}, 422, "email"),
                                ({"commission_pct": "5"}, 403, "commission_pct"),
                                ({}, 422, "")):
        bad = client.patch("/api/v1/creditor", headers=nordlys, json=body)
        assert bad.status_code == status, (body, bad.text)
        assert bad.headers["content-type"] == PROBLEM
        assert bad.json()["errors"][0]["field"] == field
    assert krav.json("creditor", "show", NORDLYS.orgnr) == before
    assert client.get(f"/api/v1/creditor?orgnr={FJORDNETT.orgnr}",
                      headers=nordlys).status_code == 404
    person = staff(krav, engine)
    assert person.get("/api/v1/creditor").status_code == 422
    edited = person.patch(f"/api/v1/creditor?orgnr={FJORDNETT.orgnr}",
                          json={"commission_pct": "12.5", "language": "en"})
    assert edited.status_code == 200, edited.text
    with engine.connect() as conn:
        assert conn.execute(select(creditors.c.language).where(
            creditors.c.orgnr == FJORDNETT.orgnr)).scalar_one() == "en"
    assert audit_rows(engine, "creditor.update")[-1].actor.startswith("user:")
    made = person.post(f"/api/v1/claims?orgnr={FJORDNETT.orgnr}", json=new_claim("8001"))
    assert made.status_code == 201 and krav.json("case", "show", made.json()["claims"][0][
        "ref"])["creditor"]["orgnr"] == FJORDNETT.orgnr
    assert person.post("/api/v1/claims", json=new_claim("8002")).status_code == 422


def test_a_creditor_user_reads_but_does_not_write(krav, engine) -> None:  # type: ignore[no-untyped-def]
    person = TestClient(create_app(Settings(public_url="http://testserver"), engine))
    set_password(person, link_of(krav, "les@nordlys.no", "--role", "creditor_user",
                                 "--creditor", NORDLYS.orgnr))
    assert log_in(person, "les@nordlys.no").status_code == 303
    assert person.get("/api/v1/claims/K-0000001").status_code == 200
    assert person.get("/api/v1/claims/K-0000004").status_code == 404
    assert [c["ref"] for c in person.get("/api/v1/claims").json()["items"]] == [
        "K-0000001", "K-0000002", "K-0000003"]
    assert person.get("/api/v1/creditor").json()["orgnr"] == NORDLYS.orgnr
    assert person.patch("/api/v1/creditor", json={"phone": "22334455"}).status_code == 403
    assert person.get("/api/v1/webhooks").status_code == 403
    assert person.post("/api/v1/claims", json=new_claim("8003")).status_code == 403
    assert count(engine) == 4


# Every route under /api/v1, what a second creditor (Fjordnett) may do with the first's
# (Nordlys's) data. A new route fails test_no_api_route_leaks_another_creditors_data until it
# is listed here with the request that would reach Nordlys's data.
FIRST = "K-0000001"  # Nordlys's
TENANCY = {
    ("GET", "/api/v1/openapi.json"): ("get", "/api/v1/openapi.json", None, 200),
    ("GET", "/api/v1/docs"): ("get", "/api/v1/docs", None, 200),  # Swagger UI: no data
    ("GET", "/api/v1/whoami"): ("get", "/api/v1/whoami", None, 200),
    ("GET", "/api/v1/claims/{ref}"): ("get", f"/api/v1/claims/{FIRST}", None, 404),
    ("GET", "/api/v1/claims"): ("get", "/api/v1/claims", None, 200),
    ("POST", "/api/v1/claims"): ("post", f"/api/v1/claims?orgnr={NORDLYS.orgnr}",
                                 [new_claim("9001")], 404),
    ("GET", "/api/v1/creditor"): ("get", f"/api/v1/creditor?orgnr={NORDLYS.orgnr}", None, 404),
    ("PATCH", "/api/v1/creditor"): ("patch", f"/api/v1/creditor?orgnr={NORDLYS.orgnr}",
                                    {"email": "x@fjordnett.no"}, 404),
    # webhook 1 is Nordlys's (made in the test); a key cannot name another creditor
    ("GET", "/api/v1/webhooks"): ("get", "/api/v1/webhooks", None, 200),
    ("POST", "/api/v1/webhooks"): ("post", "/api/v1/webhooks", {
        "url": "https://erp.example/h", "events": ["claim.created"],
        "creditor": NORDLYS.orgnr}, 422),
    ("GET", "/api/v1/webhooks/{webhook_id}"): ("get", "/api/v1/webhooks/1", None, 404),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): ("delete", "/api/v1/webhooks/1", None, 404),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): (
        "get", "/api/v1/webhooks/1/deliveries", None, 404),
    # the claim actions: another creditor's claim is not found, nothing is written
    ("POST", "/api/v1/claims/{ref}/withdraw"): (
        "post", f"/api/v1/claims/{FIRST}/withdraw", {"reason": "x"}, 404),
    ("POST", "/api/v1/claims/{ref}/approve"): (
        "post", f"/api/v1/claims/{FIRST}/approve", {}, 404),
    ("POST", "/api/v1/claims/{ref}/disputes"): (
        "post", f"/api/v1/claims/{FIRST}/disputes", {"reason": "nei"}, 404),
    ("POST", "/api/v1/claims/{ref}/direct-payments"): (
        "post", f"/api/v1/claims/{FIRST}/direct-payments",
        {"amount": "10.00", "paid_on": "2026-01-20"}, 404),
    ("POST", "/api/v1/claims/{ref}/credit-notes"): (
        "post", f"/api/v1/claims/{FIRST}/credit-notes",
        {"amount": "10.00", "on": "2026-01-20", "reason": "KN"}, 404),
    # letter 1 is Nordlys's reminder on K-0000001 (made in the test)
    ("GET", "/api/v1/claims/{ref}/letters"): ("get", f"/api/v1/claims/{FIRST}/letters", None, 404),
    ("GET", "/api/v1/letters/{letter_id}.pdf"): ("get", "/api/v1/letters/1.pdf", None, 404),
    # settlement 1 is Nordlys's January (made in the test)
    ("GET", "/api/v1/settlements"): (
        "get", f"/api/v1/settlements?period=2026-01&orgnr={NORDLYS.orgnr}", None, 404),
    ("GET", "/api/v1/settlements/{settlement_id}"): ("get", "/api/v1/settlements/1", None, 404),
    ("GET", "/api/v1/settlements/{settlement_id}.csv"): (
        "get", "/api/v1/settlements/1.csv", None, 404),
    ("GET", "/api/v1/settlements/{settlement_id}.pdf"): (
        "get", "/api/v1/settlements/1.pdf", None, 404),
    # the dashboard's figures: a key sees its own creditor; naming another is a 404
    ("GET", "/api/v1/kpi"): ("get", f"/api/v1/kpi?period=2026-01&orgnr={NORDLYS.orgnr}",
                             None, 404),
}


def route_table(routes, prefix: str = "") -> list[tuple[str, set[str]]]:  # type: ignore[no-untyped-def]
    """Every (path, methods) of the app, through included routers (FastAPI ≥ 0.165 keeps an
    included router as one entry) and mounts."""
    out = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            out += route_table(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            out.append((prefix + route.path, set(route.methods)))
        elif getattr(route, "routes", None):
            out += route_table(route.routes, prefix + route.path)
    return out


def test_no_api_route_leaks_another_creditors_data(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    routes = {(method, path) for path, methods in route_table(client.app.routes)
              if path.startswith("/api/v1") for method in methods - {"HEAD", "OPTIONS"}}
    assert routes == set(TENANCY), "list every /api/v1 route in TENANCY"
    fjordnett = bearer(krav, FJORDNETT)
    with engine.connect() as conn:
        nordlys_profile = conn.execute(select(creditors).where(
            creditors.c.orgnr == NORDLYS.orgnr)).one()
    from krav.accounts.principal import Actor, Principal
    from krav.webhooks.service import create
    from krav.webhooks.tables import webhooks

    with engine.begin() as conn:
        hook = create(conn, creditor_id=nordlys_profile.id, url="https://nordlys.example/h",
                      events_=["claim.created"], secret_key="k",
                      actor=Actor(Principal.cli("test"), datetime(2026, 1, 6)))
    assert hook.row["id"] == 1
    from tests.factories import letters_of, run_days

    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))  # every claim gets its reminder
    assert letters_of(engine, FIRST)[0]["id"] == 1
    assert krav.json("settle", "--creditor", NORDLYS.orgnr, "--period", "2026-01",
                     "--as-of", "2026-02-01")["settlement"] == 1
    before, hooks_before = count(engine), count(engine, webhooks)
    tables_before, audit_before = table_counts(engine), count(engine, audit)
    leaks = ["K-0000001", "K-0000002", "K-0000003", NORDLYS.orgnr, NORDLYS.name,
             "nordlys.example"]
    for key, (method, url, body, status) in sorted(TENANCY.items()):
        answer = client.request(method.upper(), url, headers=fjordnett,
                                **({"json": body} if body is not None else {}))
        assert answer.status_code == status, (key, answer.text)
        if key[1] not in ("/api/v1/openapi.json", "/api/v1/docs"):  # the API's description
            echoed = answer.text.replace(repr(FIRST), "").replace(repr(NORDLYS.orgnr), "")
            assert not [x for x in leaks if x in echoed], (key, answer.text)
    with engine.connect() as conn:
        assert conn.execute(select(creditors).where(
            creditors.c.orgnr == NORDLYS.orgnr)).one() == nordlys_profile
    assert count(engine) == before and count(engine, webhooks) == hooks_before
    assert table_counts(engine) == tables_before
    assert count(engine, audit) == audit_before
    with engine.connect() as conn:
        assert conn.execute(select(webhooks.c.deleted_at)).scalar() is None


def test_updated_since_lists_the_claims_changed_after_a_time(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from krav.db.tables import claims as claim_table

    nordlys = bearer(krav)
    with engine.connect() as conn:
        stamps = conn.execute(select(claim_table.c.updated_at)).scalars().all()
    assert None not in stamps  # set on insert
    since = (datetime.now(UTC) + timedelta(milliseconds=1)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/api/v1/claims?updated_since={since}",
                      headers=nordlys).json()["items"] == []
    krav.ok("case", "dispute", "K-0000002", "--reason", "bestrider beløpet")
    krav.ok("case", "dispute", "K-0000004", "--reason", "bestrider beløpet")  # Fjordnett's
    changed = client.get(f"/api/v1/claims?updated_since={since}", headers=nordlys).json()
    assert [c["ref"] for c in changed["items"]] == ["K-0000002"]
    assert len(client.get("/api/v1/claims?updated_since=2000-01-01",
                          headers=nordlys).json()["items"]) == 3
    for bad in ("yesterday", "2026-12-03T15:00:00"):  # a time without its zone is ambiguous
        refused = client.get(f"/api/v1/claims?updated_since={bad}", headers=nordlys)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == \
            "updated_since"
