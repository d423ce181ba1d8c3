"""The server (``krav.web.app.create_app``) on SQLite and PostgreSQL, through FastAPI's test
client: the set-password link (single use, expiry), login with CSRF and throttling, the session
(ended by logout and by disabling the person), password reset by e-mail through the outbox
(never revealing whether an address exists), API keys (shown once, stored hashed, revoked → 401),
problem+json errors, ``/healthz`` (200, and 503 behind on migrations) and the request id.
``test_krav_serve_over_http`` starts the real ``krav serve`` and talks to it over TCP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from tests.factories import NORDLYS, Krav, add_creditor

from krav.accounts.tables import account_mail, api_keys, sessions, user_tokens, users
from krav.audit.tables import audit
from krav.settings import Settings
from krav.web.app import create_app

PASSWORD = "korthest batteri stift"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
PROBLEM = "application/problem+json"


@pytest.fixture
def krav(db_url, capsys, engine) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    return Krav(db_url, capsys)


@pytest.fixture
def settings() -> Settings:
    return Settings(public_url="http://testserver")


@pytest.fixture
def client(engine, settings) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(settings, engine))


def link_of(krav: Krav, email: str, *role: str) -> str:
    data = krav.json("user", "add", email, *role)
    # without KRAV_PUBLIC_URL the links point at krav serve's own default address
    assert data["link"].startswith("http://127.0.0.1:8000/passord/")
    return urlsplit(data["link"]).path


def csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


def set_password(client: TestClient, path: str, password: str = PASSWORD,
                 repeated: str | None = None) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf": csrf(page), "password": password,
                                   "repeated": password if repeated is None else repeated},
                       follow_redirects=False)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf(page), "email": email, "password": password},
                       follow_redirects=False)


def actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(select(audit.c.action).order_by(audit.c.id)).scalars())


def test_set_password_link_login_landing_and_logout(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    path = link_of(krav, "kunde@nordlys.no", "--role", "creditor_admin",
                   "--creditor", NORDLYS.orgnr)
    assert re.fullmatch(r"/passord/[A-Za-z0-9_-]{43}", path)
    bad = set_password(client, path, "kort", "kort")
    assert bad.status_code == 422 and "minst 10 tegn" in bad.text
    assert set_password(client, path, PASSWORD, PASSWORD + "x").status_code == 422
    done = set_password(client, path)
    assert done.status_code == 303 and done.headers["location"] == "/login?melding=satt"
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
        tokens = conn.execute(select(user_tokens.c.token_hash, user_tokens.c.used_at)).all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert path.rsplit("/", 1)[1] not in str(tokens) and tokens[0].used_at is not None
    # the link works once
    again = client.get(path, headers={"accept": "text/html"})
    assert again.status_code == 404 and "ugyldig, brukt eller utløpt" in again.text

    response = log_in(client, "Kunde@Nordlys.no")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "krav_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http public address, no trusted proxy
    home = client.get("/")
    assert home.status_code == 200
    assert "kunde@nordlys.no" in home.text and NORDLYS.name in home.text
    assert "Oppdragsgivers administrator" in home.text
    assert "Creditor&#39;s administrator" in client.get("/?lang=en").text
    who = client.get("/api/v1/whoami").json()
    assert who["kind"] == "user" and who["roles"] == ["creditor_admin"]
    assert who["creditor"]["orgnr"] == NORDLYS.orgnr

    # logout needs the session's CSRF token
    assert client.post("/logout", data={"csrf": "0" * 64}).status_code == 403
    out = client.post("/logout", data={"csrf": csrf(home)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?melding=ut"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/v1/whoami").status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(sessions.c.ended_at)).scalar_one() is not None
    assert actions(engine) == ["user.add", "password.set_password", "login", "logout"]


def test_an_expired_link_does_not_work(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    path = link_of(krav, "ops@krav.example", "--role", "admin")
    with engine.begin() as conn:
        conn.execute(update(user_tokens).values(
            expires_at=user_tokens.c.created_at - timedelta(seconds=1)))
    assert client.get(path).status_code == 404
    assert client.get(path).headers["content-type"] == PROBLEM


def test_every_form_post_needs_its_csrf_token(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    path = link_of(krav, "ops@krav.example", "--role", "admin")
    client.get("/login")  # has the form cookie, but sends no token
    for url, form in (("/login", {"email": "ops@krav.example", "password": PASSWORD}),
                      ("/passord/glemt", {"email": "ops@krav.example"}),
                      (path, {"password": PASSWORD, "repeated": PASSWORD})):
        answer = client.post(url, data=form)
        assert answer.status_code == 403 and answer.headers["content-type"] == PROBLEM
        assert client.post(url, data={**form, "csrf": "f" * 64}).status_code == 403
    # a token from another visitor's cookie does not fit this visitor's cookie
    other = TestClient(client.app)
    stolen = csrf(other.get("/login"))
    assert client.post("/login", data={"csrf": stolen, "email": "x@y.no",
                                       "password": "x"}).status_code == 403
    with engine.connect() as conn:
        assert conn.execute(select(users.c.password_hash)).scalar_one() is None


def test_failed_logins_lock_the_account_for_a_growing_time(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    set_password(client, link_of(krav, "ops@krav.example", "--role", "admin"))
    for _ in range(4):
        failed = log_in(client, "ops@krav.example", "feil passord")
        assert failed.status_code == 401 and "Feil e-post eller passord" in failed.text
    fifth = log_in(client, "ops@krav.example", "feil passord")
    assert fifth.status_code == 429 and "Retry-After" in fifth.headers
    # locked: even the right password is refused now, with the same answer
    right = log_in(client, "ops@krav.example")
    assert right.status_code == 429 and "krav_session" not in right.headers.get("set-cookie", "")
    # an unknown address is throttled the same way (the answer reveals nothing)
    for _ in range(5):
        unknown = log_in(client, "ingen@krav.example", "feil passord")
    assert unknown.status_code == 429
    from krav.accounts.tables import login_failures

    with engine.begin() as conn:
        row = conn.execute(select(login_failures).where(
            login_failures.c.key == "account:ops@krav.example")).one()
        assert row.failures == 5
        assert row.locked_until - row.last_failure_at == timedelta(seconds=30)
        # the lock has run out: the right password works and clears the account's count
        conn.execute(update(login_failures).values(locked_until=row.last_failure_at))
    assert log_in(client, "ops@krav.example").status_code == 303
    with engine.connect() as conn:
        assert sorted(conn.execute(select(login_failures.c.key)).scalars()) == [
            "account:ingen@krav.example", "address:testclient"]  # the address's count stays
    assert actions(engine).count("login.failed") == 4 + 1 + 5
    with engine.connect() as conn:
        who = set(conn.execute(select(audit.c.actor).where(audit.c.action == "login.failed"))
                  .scalars())
    assert who == {"user:1 ops@krav.example", "anonymous ingen@krav.example"}


def test_the_lock_grows_with_each_failure_after_the_limit() -> None:
    from krav.accounts.throttle import CAP, lock_for

    assert [lock_for(n, 5) for n in (4, 5, 6, 7)] == [
        None, timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert lock_for(40, 5) == CAP


def test_disabling_a_person_ends_the_session(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    set_password(client, link_of(krav, "ops@krav.example", "--role", "handler"))
    assert log_in(client, "ops@krav.example").status_code == 303
    assert client.get("/api/v1/whoami").json()["roles"] == ["handler"]
    krav.ok("user", "disable", "ops@krav.example")
    assert client.get("/api/v1/whoami").status_code == 401
    assert log_in(client, "ops@krav.example").status_code == 401
    listed = krav.json("user", "list")
    assert listed[0]["disabled_at"] and not listed[0]["has_open_session"]


def test_password_reset_by_mail_never_reveals_an_address(krav, client, engine, db_url) -> None:  # type: ignore[no-untyped-def]
    set_password(client, link_of(krav, "ops@krav.example", "--role", "admin"))
    assert log_in(client, "ops@krav.example").status_code == 303
    page = client.get("/passord/glemt")
    known = client.post("/passord/glemt", data={"csrf": csrf(page), "email": "ops@krav.example"})
    unknown = client.post("/passord/glemt", data={"csrf": csrf(page),
                                                  "email": "ingen@krav.example"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text and "Hvis adressen hører til en bruker" in known.text
    with engine.connect() as conn:
        mails = conn.execute(select(account_mail)).all()
    assert [m.recipient for m in mails] == ["ops@krav.example"] and mails[0].status == "pending"
    link = re.search(r"http://testserver(/passord/\S+)", mails[0].body).group(1)
    assert set_password(client, link, "et nytt langt passord").status_code == 303
    # the new password ends the open session, and the old password no longer works
    assert client.get("/api/v1/whoami").status_code == 401
    assert log_in(client, "ops@krav.example").status_code == 401
    assert log_in(client, "ops@krav.example", "et nytt langt passord").status_code == 303
    assert "password.reset" in actions(engine)


def test_account_mail_goes_out_with_krav_dispatch(krav, client, engine,  # type: ignore[no-untyped-def]
                                                  monkeypatch) -> None:
    from tests.letters_support import SmtpSink

    krav.ok("user", "add", "ops@krav.example", "--role", "admin")
    page = client.get("/passord/glemt")
    client.post("/passord/glemt", data={"csrf": csrf(page), "email": "ops@krav.example"})
    with SmtpSink() as sink:
        monkeypatch.setenv("KRAV_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KRAV_SMTP_PORT", str(sink.port))
        assert krav.json("dispatch", "--once") == {"account_mail_sent": 1}
        assert krav.json("dispatch", "--once") == {}
    assert [m["To"] for m in sink.messages] == ["ops@krav.example"]
    assert "/passord/" in sink.messages[0].get_content()
    with engine.connect() as conn:
        mail = conn.execute(select(account_mail)).one()
    assert mail.status == "sent" and mail.body == ""


def test_api_keys_are_shown_once_stored_hashed_and_revocable(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    created = krav.json("apikey", "create", "--creditor", NORDLYS.orgnr, "--name", "ERP")
    key = created["key"]
    assert re.fullmatch(r"krav_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    assert key.startswith(created["prefix"] + "_")
    with engine.connect() as conn:
        stored = conn.execute(select(api_keys)).mappings().one()
    assert key not in json.dumps({k: str(v) for k, v in stored.items()})
    listed = krav.json("apikey", "list", "--creditor", NORDLYS.orgnr)
    assert key not in json.dumps(listed) and listed[0]["last_used_at"] is None
    bearer = {"authorization": f"Bearer {key}", "x-request-id": "erp-42"}
    who = client.get("/api/v1/whoami", headers=bearer)
    assert who.status_code == 200 and who.headers["x-request-id"] == "erp-42"
    assert who.json() == {"kind": "apikey", "user_id": None, "api_key_id": created["id"],
                          "name": created["prefix"], "roles": ["api"],
                          "creditor": {"id": 1, "orgnr": NORDLYS.orgnr,
                                       "name": NORDLYS.name}}
    assert krav.json("apikey", "list")[0]["last_used_at"] is not None
    for header in (f"Bearer {key[:-1]}x", "Bearer nonsense", f"Basic {key}", "Bearer "):
        refused = client.get("/api/v1/whoami", headers={"authorization": header})
        assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM
        assert refused.headers["www-authenticate"].startswith("Bearer")
    krav.ok("apikey", "revoke", created["prefix"])
    revoked = client.get("/api/v1/whoami", headers=bearer)
    assert revoked.status_code == 401 and revoked.headers["content-type"] == PROBLEM
    body = revoked.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id"}
    assert body["status"] == 401 and "trukket tilbake" in body["detail"]
    assert body["instance"] == "urn:krav:request:erp-42"
    code, _, err = krav("apikey", "revoke", created["prefix"])
    assert code != 0 and "trukket tilbake" in err


def test_errors_are_problem_json_never_a_trace(client, engine) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["title"] == "Finnes ikke"
    assert client.delete("/healthz").status_code == 405
    wrong_type = client.post("/login", content=b"{}", headers={"content-type": "application/json"})
    assert wrong_type.status_code == 415 and wrong_type.headers["content-type"] == PROBLEM
    big = client.post("/login", content=b"a=" + b"x" * 20_000,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413

    @client.app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    crashed = TestClient(client.app, raise_server_exceptions=False).get("/api/v1/boom")
    assert crashed.status_code == 500 and crashed.headers["content-type"] == PROBLEM
    assert "secret internals" not in crashed.text and "Traceback" not in crashed.text
    page = client.get("/nowhere", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_request_ids(client) -> None:  # type: ignore[no-untyped-def]
    kept = client.get("/healthz", headers={"x-request-id": "abc.DEF-1:2_3"})
    assert kept.headers["x-request-id"] == "abc.DEF-1:2_3"
    for bad in ("has space", "x" * 65, "<script>", ""):
        made = client.get("/healthz", headers={"x-request-id": bad}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_healthz_is_200_when_current_and_503_behind_on_migrations(client, engine) -> None:  # type: ignore[no-untyped-def]
    from krav.db.migrate import head_revision

    ok = client.get("/healthz")
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "ok" and body["database"]["ok"]
    assert body["migrations"] == {"ok": True, "current": head_revision(),
                                  "newest": head_revision()}
    assert body["outbox"]["letters_waiting"] == 0 and body["outbox"]["stale"] is False
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    try:
        behind = client.get("/healthz")
        assert behind.status_code == 503
        assert behind.json()["migrations"] == {"ok": False, "current": "0004",
                                               "newest": head_revision()}
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))


def test_healthz_is_503_when_the_database_is_unreachable(settings) -> None:
    from krav.db.engine import make_engine

    down = TestClient(create_app(settings, make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")))
    answer = down.get("/healthz")
    assert answer.status_code == 503 and answer.json()["database"]["ok"] is False


def test_cookies_are_secure_behind_https(krav, engine) -> None:  # type: ignore[no-untyped-def]
    path = link_of(krav, "ops@krav.example", "--role", "admin")
    plain = TestClient(create_app(Settings(public_url="http://testserver",
                                           trusted_proxies="testclient"), engine))
    set_password(plain, path)
    page = plain.get("/login")
    proxied = plain.post("/login", data={"csrf": csrf(page), "email": "ops@krav.example",
                                         "password": PASSWORD},
                         headers={"x-forwarded-proto": "https"}, follow_redirects=False)
    assert "Secure" in proxied.headers["set-cookie"]
    https = TestClient(create_app(Settings(public_url="https://krav.example.no"), engine))
    assert "Secure" in https.get("/login").headers["set-cookie"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_krav_serve_over_http(db_url, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The real server as an operator starts it: ``krav serve``, then curl-like requests."""
    add_creditor(engine, NORDLYS)
    port = _free_port()
    env = {**os.environ, "KRAV_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    krav = [sys.executable, "-m", "krav"]
    made = subprocess.run([*krav, "apikey", "create", "--creditor", NORDLYS.orgnr, "--name",
                           "ERP", "--json", "--db", db_url], env=env, capture_output=True,
                          text=True, check=True)
    key = json.loads(made.stdout)["key"]
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([*krav, "serve", "--port", str(port), "--db", db_url], env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        who = httpx.get(f"{base}/api/v1/whoami", headers={"Authorization": f"Bearer {key}",
                                                          "X-Request-ID": "real-1"})
        assert who.status_code == 200 and who.json()["creditor"]["orgnr"] == NORDLYS.orgnr
        assert who.headers["x-request-id"] == "real-1"
        anonymous = httpx.get(f"{base}/api/v1/whoami")
        assert anonymous.status_code == 401 and anonymous.headers["content-type"] == PROBLEM
        login = httpx.get(f"{base}/login")
        assert login.status_code == 200 and "Logg inn" in login.text
        assert httpx.get(f"{base}/static/krav.css").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()
             if line.startswith("{")]
    requests = [r for r in lines if r["msg"] == "request"]
    assert {"request_id": "real-1", "method": "GET", "route": "/api/v1/whoami", "status": 200,
            "principal": f"apikey:1 {key[:13]}"}.items() <= next(
        r for r in requests if r["request_id"] == "real-1").items()
    assert key not in (tmp_path / "serve.log").read_text()
