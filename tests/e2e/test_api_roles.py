"""Who may call which /api/v1 route (README «Roller og tilgang»): the route table walked with
each role — agency staff (admin, handler), a creditor's people (creditor_admin, creditor_user),
its API key, and nobody. A route missing from ACCESS fails the suite, and so does a route whose
``requires(...)`` in the code says something else than ACCESS."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.api_support import ROLES, callers
from tests.e2e.test_api import new_claim
from tests.factories import FJORDNETT, KARI, NORDLYS, Krav, add_creditor, claim_row, import_claims

from krav.audit.tables import audit
from krav.db.tables import claims, creditors
from krav.web.deps import EVERYONE, MANAGERS, STAFF
from krav.web.openapi import api_routes, roles_of

PUBLIC = ()  # no login needed: the API's own description
ORG = f"orgnr={NORDLYS.orgnr}"
HOOK = {"url": "https://erp.example/krav", "events": ["claim.created"]}

# (method, path) -> (roles allowed, url, JSON body) — the request is about Nordlys's own data;
# staff name the creditor where a route is about one.
ACCESS = {
    ("GET", "/api/v1/openapi.json"): (PUBLIC, "/api/v1/openapi.json", None),
    ("GET", "/api/v1/docs"): (PUBLIC, "/api/v1/docs", None),
    ("GET", "/api/v1/whoami"): (EVERYONE, "/api/v1/whoami", None),
    ("GET", "/api/v1/claims"): (EVERYONE, "/api/v1/claims", None),
    ("GET", "/api/v1/claims/{ref}"): (EVERYONE, "/api/v1/claims/K-0000001", None),
    ("POST", "/api/v1/claims"): (MANAGERS, f"/api/v1/claims?{ORG}", new_claim("{n}")),
    ("GET", "/api/v1/creditor"): (EVERYONE, f"/api/v1/creditor?{ORG}", None),
    ("PATCH", "/api/v1/creditor"): (MANAGERS, f"/api/v1/creditor?{ORG}",
                                    {"phone": "22 33 44 55"}),
    ("GET", "/api/v1/webhooks"): (MANAGERS, "/api/v1/webhooks", None),
    ("POST", "/api/v1/webhooks"): (MANAGERS, "/api/v1/webhooks", HOOK),
    ("GET", "/api/v1/webhooks/{webhook_id}"): (MANAGERS, "/api/v1/webhooks/1", None),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): (
        MANAGERS, "/api/v1/webhooks/1/deliveries", None),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): (MANAGERS, "/api/v1/webhooks/1", None),
    # a claim's actions: what the debtor told the creditor, its user may pass on
    ("POST", "/api/v1/claims/{ref}/disputes"): (
        EVERYONE, "/api/v1/claims/K-0000001/disputes", {"reason": "bestrider"}),
    ("POST", "/api/v1/claims/{ref}/direct-payments"): (
        EVERYONE, "/api/v1/claims/K-0000001/direct-payments", {"amount": "1.00"}),
    ("POST", "/api/v1/claims/{ref}/withdraw"): (
        MANAGERS, "/api/v1/claims/K-0000001/withdraw", {"reason": "oppgjort"}),
    ("POST", "/api/v1/claims/{ref}/approve"): (
        MANAGERS, "/api/v1/claims/K-0000001/approve", {}),
    ("POST", "/api/v1/claims/{ref}/credit-notes"): (
        MANAGERS, "/api/v1/claims/K-0000001/credit-notes", {"amount": "1.00", "reason": "KN"}),
    ("GET", "/api/v1/claims/{ref}/letters"): (
        EVERYONE, "/api/v1/claims/K-0000001/letters", None),
    ("GET", "/api/v1/letters/{letter_id}.pdf"): (EVERYONE, "/api/v1/letters/1.pdf", None),
    ("GET", "/api/v1/kpi"): (EVERYONE, f"/api/v1/kpi?period=2026-01&{ORG}", None),
    ("GET", "/api/v1/settlements"): (EVERYONE, f"/api/v1/settlements?period=2026-01&{ORG}",
                                     None),
    ("GET", "/api/v1/settlements/{settlement_id}"): (EVERYONE, "/api/v1/settlements/1", None),
    ("GET", "/api/v1/settlements/{settlement_id}.csv"): (
        EVERYONE, "/api/v1/settlements/1.csv", None),
    ("GET", "/api/v1/settlements/{settlement_id}.pdf"): (
        EVERYONE, "/api/v1/settlements/1.pdf", None),
}


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    import_claims(engine, tmp_path, [claim_row(invoice="1001", debtor=KARI)])
    return Krav(db_url, capsys)


def written(engine) -> tuple:  # type: ignore[no-untyped-def]
    from krav.webhooks.tables import webhooks

    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(audit)).scalar_one(),
                conn.execute(select(func.count()).select_from(claims)).scalar_one(),
                conn.execute(select(func.count()).select_from(webhooks)).scalar_one(),
                conn.execute(select(creditors).order_by(creditors.c.id)).all())


def test_every_route_declares_its_roles_as_the_table_says(krav, engine) -> None:  # type: ignore[no-untyped-def]
    from krav.settings import Settings
    from krav.web.app import create_app

    app = create_app(Settings(public_url="http://testserver"), engine)
    declared = {(method, path): roles_of(route) for path, route in api_routes(app.routes)
                if path.startswith("/api/v1") for method in route.methods - {"HEAD", "OPTIONS"}}
    assert set(declared) == set(ACCESS), "list every /api/v1 route in ACCESS"
    for key, roles in declared.items():
        wanted = ACCESS[key][0]
        assert (roles or PUBLIC) == tuple(wanted), (key, roles, wanted)
    spec = app.openapi()
    for (method, path), (wanted, _, _) in ACCESS.items():
        if wanted:
            operation = spec["paths"][path][method.lower()]
            assert operation["x-krav-roles"] == list(wanted)
            assert "Roller:" in operation["description"]
            assert ("403" in operation["responses"]) == (set(wanted) != set(EVERYONE))


def test_each_role_may_call_exactly_its_routes(krav, engine) -> None:  # type: ignore[no-untyped-def]
    from krav.accounts.principal import Actor, Principal
    from krav.webhooks.service import create

    with engine.begin() as conn:
        nordlys = conn.execute(select(creditors.c.id).where(
            creditors.c.orgnr == NORDLYS.orgnr)).scalar_one()
        from datetime import datetime

        create(conn, creditor_id=nordlys, url="https://nordlys.example/h",
               events_=["claim.created"], secret_key="k",
               actor=Actor(Principal.cli("test"), datetime(2026, 1, 6)))
    clients = callers(krav, engine)
    refused: dict[str, list] = {}
    # first every request a role may not make: 403 (401 without a login), nothing written
    before = written(engine)
    for key, (roles, url, body) in sorted(ACCESS.items()):
        for role in (*ROLES, "anonymous"):
            if role in roles or (not roles):
                continue
            answer = clients[role].request(key[0], url.replace("{n}", "x"),
                                           **({"json": body} if body is not None else {}))
            want = 401 if role == "anonymous" else 403
            assert answer.status_code == want, (key, role, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            refused.setdefault(role, []).append(key)
            if want == 403:
                assert answer.json()["allowed_roles"] == list(roles)
    assert written(engine) == before
    assert set(refused["anonymous"]) == {k for k, v in ACCESS.items() if v[0]}
    assert {k for k in refused.get("creditor_user", [])} == {
        k for k, v in ACCESS.items() if v[0] and "creditor_user" not in v[0]}
    assert "handler" not in refused and "admin" not in refused and "apikey" not in refused
    # then every request a role may make: neither 401 nor 403 (nor a server error)
    for n, (key, (roles, url, body)) in enumerate(sorted(ACCESS.items())):
        for role in (roles or (*ROLES, "anonymous")):
            if key[0] == "DELETE":
                continue  # the one webhook goes once, below
            data = body
            if isinstance(body, dict) and "invoice_number" in body:
                data = {**body, "invoice_number": f"{n}-{role}"}
            answer = clients[role].request(key[0], url,
                                           **({"json": data} if data is not None else {}))
            assert answer.status_code not in (401, 403) and answer.status_code < 500, (
                key, role, answer.text)
    assert clients["creditor_admin"].delete("/api/v1/webhooks/1").status_code == 204


def test_staff_only_fields_and_choices(krav, engine) -> None:  # type: ignore[no-untyped-def]
    """The agreement (name, commission) is the agency's to change; only staff name a creditor
    (``?orgnr=`` of another creditor is a 404, a webhook's ``creditor`` is refused)."""
    clients = callers(krav, engine)
    before = written(engine)
    for role in ("creditor_admin", "apikey"):
        for field, value in (("commission_pct", "5"), ("name", "Nytt Navn AS")):
            answer = clients[role].patch("/api/v1/creditor", json={field: value})
            assert answer.status_code == 403, (role, answer.text)
            assert answer.json()["errors"][0]["field"] == field
        hook = clients[role].post("/api/v1/webhooks", json={**HOOK,
                                                            "creditor": FJORDNETT.orgnr})
        assert hook.status_code == 422 and hook.json()["errors"][0]["field"] == "creditor"
        theirs = clients[role].post(f"/api/v1/claims?orgnr={FJORDNETT.orgnr}",
                                    json=new_claim("7001"))
        assert theirs.status_code == 404
    assert written(engine) == before
    for role in STAFF:
        answer = clients[role].patch(f"/api/v1/creditor?orgnr={NORDLYS.orgnr}",
                                     json={"commission_pct": "7.5"})
        assert answer.status_code == 200 and answer.json()["commission_pct"] == "7.5"
        made = clients[role].post("/api/v1/webhooks",
                                  json={**HOOK, "creditor": FJORDNETT.orgnr})
        assert made.status_code == 201, made.text
