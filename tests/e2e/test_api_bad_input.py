"""Bad input to the REST API (issue 9 part 10), one test per case on every POST/PATCH route of
/api/v1: malformed JSON, a wrong type, an unknown field, a missing required field, a 50 MB body
(declared, and chunked without a length), a bad cursor, an expired key, a revoked key and a
disabled person's session. Each is one clear problem+json answer with the right status, naming
the field and what is allowed — and nothing is written: no row anywhere, not even an audit row.

A POST/PATCH route missing from WRITES fails the suite."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.api_support import api_key, app_client, person
from tests.e2e.test_api import new_claim
from tests.factories import FJORDNETT, KARI, NORDLYS, Krav, add_creditor, claim_row, import_claims

from krav.db.engine import load_all_tables
from krav.db.tables import creditors, metadata
from krav.web.openapi import api_routes

PROBLEM = "application/problem+json"
MB = 1024 * 1024

# (method, path) -> (url, a valid body, (field, a value of the wrong type), a required field)
WRITES: dict[tuple[str, str], tuple[str, dict[str, Any], tuple[str, Any], str | None]] = {
    ("POST", "/api/v1/claims"): ("/api/v1/claims", new_claim("5001"), ("amount", 1250),
                                 "debtor_name"),
    ("PATCH", "/api/v1/creditor"): ("/api/v1/creditor", {"phone": "22 33 44 55"},
                                    ("email", ["x"]), None),
    ("POST", "/api/v1/webhooks"): ("/api/v1/webhooks", {
        "url": "https://erp.example/krav", "events": ["claim.created"]}, ("events", "alle"),
        "url"),
    ("POST", "/api/v1/claims/{ref}/disputes"): (
        "/api/v1/claims/K-0000001/disputes", {"reason": "bestrider"}, ("reason", 7), "reason"),
    ("POST", "/api/v1/claims/{ref}/direct-payments"): (
        "/api/v1/claims/K-0000001/direct-payments", {"amount": "10.00"}, ("amount", 10.0),
        "amount"),
    ("POST", "/api/v1/claims/{ref}/credit-notes"): (
        "/api/v1/claims/K-0000001/credit-notes", {"amount": "10.00", "reason": "KN"},
        ("reason", {"x": 1}), "amount"),
    ("POST", "/api/v1/claims/{ref}/withdraw"): (
        "/api/v1/claims/K-0000001/withdraw", {"reason": "oppgjort"}, ("reason", []), None),
    ("POST", "/api/v1/claims/{ref}/approve"): (
        "/api/v1/claims/K-0000001/approve", {"on": "2026-01-20"}, ("on", 20260120), None),
}
CASES = sorted(WRITES)
# a POST whose body is optional (withdraw, approve) has no required field to leave out
REQUIRED = [k for k in CASES if WRITES[k][3] is not None or k[0] == "PATCH"]


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    import_claims(engine, tmp_path, [claim_row(invoice="1001", debtor=KARI)])
    return Krav(db_url, capsys)


@pytest.fixture
def client(krav, engine):  # type: ignore[no-untyped-def]
    keyed = app_client(engine)
    keyed.headers["authorization"] = f"Bearer {api_key(krav)}"
    return keyed


def everything(engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every table's row count, and the creditors' rows (a PATCH changes a row, not a count)."""
    load_all_tables()
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in metadata.sorted_tables}
        return {**counts, "creditors.rows": conn.execute(
            select(creditors).order_by(creditors.c.id)).all()}


def refused(answer, status: int, field: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert {"type", "title", "status", "detail", "instance", "request_id"} <= set(body)
    assert body["status"] == status and body["detail"] and "Traceback" not in answer.text
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def test_every_post_and_patch_route_is_in_the_table(engine) -> None:  # type: ignore[no-untyped-def]
    app = app_client(engine).app
    writes = {(method, path) for path, route in api_routes(app.routes)
              if path.startswith("/api/v1") for method in route.methods
              if method in ("POST", "PATCH", "PUT")}
    assert writes == set(WRITES), "list every POST/PATCH route of /api/v1 in WRITES"


@pytest.mark.parametrize("route", CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_malformed_json(client, engine, route) -> None:  # type: ignore[no-untyped-def]
    url = WRITES[route][0]
    before = everything(engine)
    for text in (b'{"amount": ', b"{'a': 1}", b"\xff\xfe", b"[1, 2"):
        answer = client.request(route[0], url, content=text,
                                headers={"content-type": "application/json"})
        body = refused(answer, 400, "body")
        assert "ugyldig JSON" in body["detail"]
    refused(client.request(route[0], url, content=b"a=1",
                           headers={"content-type": "application/x-www-form-urlencoded"}), 415)
    assert everything(engine) == before


@pytest.mark.parametrize("route", CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_a_wrong_type(client, engine, route) -> None:  # type: ignore[no-untyped-def]
    url, valid, (field, value), _ = WRITES[route]
    before = everything(engine)
    body = refused(client.request(route[0], url, json={**valid, field: value}), 422, field)
    error = next(e for e in body["errors"] if e["field"] == field)
    assert error["message"] and "Input should" not in error["message"]  # bokmål, not pydantic's
    refused(client.request(route[0], url, json=[1, 2] if route[0] == "PATCH" else "x"), 422)
    assert everything(engine) == before


@pytest.mark.parametrize("route", CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_an_unknown_field(client, engine, route) -> None:  # type: ignore[no-untyped-def]
    url, valid, _, _ = WRITES[route]
    before = everything(engine)
    body = refused(client.request(route[0], url, json={**valid, "colour": "red"}), 422, "colour")
    error = next(e for e in body["errors"] if e["field"] == "colour")
    assert error["message"] == "ukjent felt"
    assert all(name in error["allowed"] for name in valid), error  # names the allowed fields
    assert everything(engine) == before


@pytest.mark.parametrize("route", REQUIRED, ids=[f"{m} {p}" for m, p in REQUIRED])
def test_a_missing_required_field(client, engine, route) -> None:  # type: ignore[no-untyped-def]
    url, valid, _, required = WRITES[route]
    before = everything(engine)
    if required is None:  # a PATCH has no required field, but must change something
        body = refused(client.request(route[0], url, json={}), 422)
        assert body["errors"][0]["allowed"]
    else:
        body = refused(client.request(route[0], url, json={
            k: v for k, v in valid.items() if k != required}), 422, required)
        assert next(e for e in body["errors"] if e["field"] == required)["message"] == \
            "mangler verdi"
    assert everything(engine) == before


def asgi_post(app, method: str, url: str, headers: dict[str, str], size: int,  # type: ignore[no-untyped-def]
              declare: bool) -> tuple[int, bytes, int]:
    """``size`` bytes of body sent in 1 MB chunks straight to the ASGI app (with or without
    Content-Length); the status, the answer and how many bytes the app read."""
    read = 0
    chunks = size // MB

    async def receive() -> dict[str, Any]:
        nonlocal read, chunks
        chunks -= 1
        read += MB
        return {"type": "http.request", "body": b" " * MB, "more_body": chunks > 0}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    if declare:
        raw.append((b"content-length", str(size).encode()))
    else:  # as the server passes a chunked request on
        raw.append((b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": url, "raw_path": url.encode(),
             "query_string": b"", "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    # in a thread of its own: on a test worker that also ran the browser tests, Playwright's sync
    # API keeps an event loop running in this thread, and asyncio.run refuses to nest in it
    failed: list[BaseException] = []

    def call() -> None:
        try:
            asyncio.run(app(scope, receive, send))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            failed.append(exc)

    runner = threading.Thread(target=call)
    runner.start()
    runner.join()
    if failed:
        raise failed[0]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, read


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("route", CASES, ids=[f"{m} {p}" for m, p in CASES])
def test_a_50_mb_body_is_refused_before_it_is_read(krav, client, engine, route, declare) -> None:  # type: ignore[no-untyped-def]
    import json

    before = everything(engine)
    status, body, read = asgi_post(client.app, route[0], WRITES[route][0],
                                   {"authorization": client.headers["authorization"]},
                                   50 * MB, declare)
    assert status == 413, body
    assert json.loads(body)["status"] == 413
    assert read <= (0 if declare else 11 * MB), read  # never the whole 50 MB
    assert everything(engine) == before


def test_a_bad_cursor(client, engine) -> None:  # type: ignore[no-untyped-def]
    before = everything(engine)
    for cursor in ("xyz", "aWQ6eA", "%00", "aWQ6LTE"):
        body = refused(client.get(f"/api/v1/claims?cursor={cursor}"), 400, "cursor")
        assert body["errors"][0]["allowed"]
    assert everything(engine) == before


def test_an_expired_key(krav, engine) -> None:  # type: ignore[no-untyped-def]
    created = krav.json("apikey", "create", "--creditor", NORDLYS.orgnr, "--name", "ERP",
                        "--expires", "2030-01-01")
    keyed = app_client(engine)
    keyed.headers["authorization"] = f"Bearer {created['key']}"
    assert keyed.get("/api/v1/whoami").status_code == 200
    from sqlalchemy import update

    from krav.accounts.tables import api_keys

    with engine.begin() as conn:  # time passes
        conn.execute(update(api_keys).where(api_keys.c.id == created["id"]).values(
            expires_at=api_keys.c.created_at))
    before = everything(engine)
    for method, path in CASES:
        url, valid, _, _ = WRITES[(method, path)]
        body = refused(keyed.request(method, url, json=valid), 401)
        assert "utløp" in body["detail"]
    assert everything(engine) == before
    code, _, err = krav("apikey", "create", "--creditor", NORDLYS.orgnr, "--name", "x",
                        "--expires", "2001-01-01")
    assert code == 2 and "--expires" in err and "Traceback" not in err


def test_a_revoked_key(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/whoami").status_code == 200
    krav.ok("apikey", "revoke", "1")
    before = everything(engine)
    for method, path in CASES:
        url, valid, _, _ = WRITES[(method, path)]
        body = refused(client.request(method, url, json=valid), 401)
        assert "trukket tilbake" in body["detail"]
    assert everything(engine) == before


def test_a_disabled_persons_session(krav, engine) -> None:  # type: ignore[no-untyped-def]
    admin = person(krav, engine, "creditor_admin")
    assert admin.get("/api/v1/whoami").status_code == 200
    krav.ok("user", "disable", f"creditor_admin.{NORDLYS.orgnr}@krav.example")
    before = everything(engine)
    for method, path in CASES:
        url, valid, _, _ = WRITES[(method, path)]
        refused(admin.request(method, url, json=valid), 401)
    assert everything(engine) == before
