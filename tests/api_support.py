"""Callers of the REST API for tests: one logged-in client per role, and a creditor's API key."""

from __future__ import annotations

from fastapi.testclient import TestClient

from krav.settings import Settings
from krav.web.app import create_app
from tests.e2e.test_web import link_of, log_in, set_password
from tests.factories import NORDLYS, Creditor, Krav

SECRET = "test-secret-key-" + "k" * 32  # KRAV_SECRET_KEY: webhook secrets are encrypted
ROLES = ("admin", "handler", "creditor_admin", "creditor_user", "apikey")


def app_client(engine) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(public_url="http://testserver", secret_key=SECRET),
                                 engine))


def api_key(krav: Krav, creditor: Creditor = NORDLYS) -> str:
    return krav.json("apikey", "create", "--creditor", creditor.orgnr, "--name", "ERP")["key"]


def person(krav: Krav, engine, role: str, creditor: Creditor = NORDLYS,  # type: ignore[no-untyped-def]
           email: str | None = None) -> TestClient:
    """A client logged in as a new person with ``role`` (of ``creditor`` for its roles)."""
    email = email or f"{role}.{creditor.orgnr}@krav.example"
    bound = ("--creditor", creditor.orgnr) if role.startswith("creditor_") else ()
    client = app_client(engine)
    set_password(client, link_of(krav, email, "--role", role, *bound))
    assert log_in(client, email).status_code == 303
    return client


def callers(krav: Krav, engine, creditor: Creditor = NORDLYS) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    """A client for each role in :data:`ROLES` (the creditor's people and key), and one for
    ``anonymous`` (neither cookie nor key)."""
    out = {role: person(krav, engine, role, creditor) for role in ROLES if role != "apikey"}
    keyed = app_client(engine)
    keyed.headers["authorization"] = f"Bearer {api_key(krav, creditor)}"
    out["apikey"] = keyed
    out["anonymous"] = app_client(engine)
    return out
