"""The creditor pages' administration (``/admin``) on SQLite and PostgreSQL: a creditor's
administrator adds a person (the one-time link shown once) and disables one, creates an API key
(shown once) and revokes it, adds a webhook (its secret shown once) and deletes it — each through
the CLI's service functions with its audit row; errors next to the field; CSRF; roles; and
another creditor's person, key or webhook is a 404 with nothing changed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.e2e.test_api import audit_rows
from tests.e2e.test_api_actions import everything
from tests.e2e.test_web import csrf, link_of, log_in, set_password
from tests.factories import FJORDNETT, NORDLYS, Krav, add_creditor

from krav.accounts.tables import api_keys, users
from krav.settings import Settings
from krav.web.app import create_app
from krav.webhooks.tables import webhooks


def person(krav: Krav, engine, email: str, role: str,  # type: ignore[no-untyped-def]
           creditor=NORDLYS) -> TestClient:
    """A logged-in person of a server with KRAV_SECRET_KEY (webhook secrets are stored
    encrypted with it)."""
    client = TestClient(create_app(Settings(public_url="http://testserver",
                                            secret_key="k" * 40), engine))
    extra = ("--creditor", creditor.orgnr) if creditor else ()
    set_password(client, link_of(krav, email, "--role", role, *extra))
    assert log_in(client, email).status_code == 303
    return client


@pytest.fixture
def krav(db_url, capsys, engine) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    return Krav(db_url, capsys)


def change(client, path: str, **form: str):  # type: ignore[no-untyped-def]
    page = client.get("/admin")
    return client.post(path, data={"csrf": csrf(page), **form}, follow_redirects=False)


def row_id(engine, table, **where: str) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with engine.connect() as conn:
        query = select(table.c.id)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        return str(conn.execute(query).scalar_one())


def test_people_keys_and_webhooks_of_the_creditor(krav, engine) -> None:  # type: ignore[no-untyped-def]
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    page = boss.get("/admin")
    assert page.status_code == 200 and "sjef@nordlys.no" in page.text
    assert "<h2>API-nøkler</h2>" in page.text
    added = change(boss, "/admin/brukere", email="ny@nordlys.no", role="creditor_user")
    assert added.status_code == 200
    assert re.search(r'<p class="secret">http://testserver/passord/[A-Za-z0-9_-]{43}</p>',
                     added.text)
    assert audit_rows(engine, "user.add")[-1].details["email"] == "ny@nordlys.no"
    assert "ny@nordlys.no" in boss.get("/admin").text
    bad = change(boss, "/admin/brukere", email="ikke en adresse", role="creditor_user")
    assert bad.status_code == 422 and 'aria-describedby="person-email-error"' in bad.text
    twice = change(boss, "/admin/brukere", email="ny@nordlys.no", role="creditor_user")
    assert twice.status_code == 409
    new_id = row_id(engine, users, email="ny@nordlys.no")
    assert change(boss, "/admin/brukere/deaktiver", id=new_id).status_code == 303
    assert audit_rows(engine, "user.disable")

    key = change(boss, "/admin/nokler", name="ERP")
    assert key.status_code == 200
    assert re.search(r'<p class="secret">krav_[0-9a-f]{8}_[A-Za-z0-9_-]{43}</p>', key.text)
    assert change(boss, "/admin/nokler", name="").status_code == 422
    key_id = row_id(engine, api_keys, name="ERP")
    assert change(boss, "/admin/nokler/trekk", id=key_id).status_code == 303
    assert audit_rows(engine, "apikey.revoke")

    hook = change(boss, "/admin/webhooker", url="https://nordlys.example/h",
                  **{"event_claim.closed": "1"})
    assert hook.status_code == 200 and "whsec_" in hook.text
    assert change(boss, "/admin/webhooker", url="ikke en adresse", **{"event_claim.closed": "1"}) \
        .status_code == 422
    hook_id = row_id(engine, webhooks, url="https://nordlys.example/h")
    assert change(boss, "/admin/webhooker/slett", id=hook_id).status_code == 303
    assert audit_rows(engine, "webhook.delete")


def test_roles_csrf_and_another_creditors_objects(krav, engine) -> None:  # type: ignore[no-untyped-def]
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    change(boss, "/admin/nokler", name="ERP")
    change(boss, "/admin/webhooker", url="https://nordlys.example/h",
           **{"event_claim.closed": "1"})
    user = person(krav, engine, "les@nordlys.no", "creditor_user")
    assert user.get("/admin").status_code == 403
    handler = person(krav, engine, "handler@krav.example", "handler", creditor=None)
    assert handler.get("/admin").status_code == 403
    assert boss.post("/admin/nokler", data={"name": "x"}).status_code == 403  # no CSRF token
    other = person(krav, engine, "sjef@fjordnett.no", "creditor_admin", creditor=FJORDNETT)
    before = everything(engine)
    keys_before = audit_rows(engine, "apikey.revoke")
    for url, table, where in (("/admin/brukere/deaktiver", users, {"email": "les@nordlys.no"}),
                              ("/admin/nokler/trekk", api_keys, {"name": "ERP"}),
                              ("/admin/webhooker/slett", webhooks,
                               {"url": "https://nordlys.example/h"})):
        theirs = change(other, url, id=row_id(engine, table, **where))
        missing = change(other, url, id="99999")
        assert theirs.status_code == missing.status_code == 404, url
    assert change(other, "/admin/nokler", name="x", oppdragsgiver=NORDLYS.orgnr) \
        .status_code == 404
    assert everything(engine) == before and audit_rows(engine, "apikey.revoke") == keys_before
    admin = person(krav, engine, "ops@krav.example", "admin", creditor=None)
    assert "Velg oppdragsgiver" in admin.get("/admin").text
    made = change(admin, "/admin/nokler", name="Agency", oppdragsgiver=FJORDNETT.orgnr)
    assert made.status_code == 200 and "krav_" in made.text
