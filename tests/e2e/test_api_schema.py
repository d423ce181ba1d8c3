"""A schemathesis run over ``/api/v1/openapi.json`` against the app (in-process, ASGI): every
operation the description lists — so a route added later is covered without a line here — with
a creditor's API key and with a handler's session, valid and invalid requests generated from the
schema. No answer may be a server error, and each must be what the description says: a documented
status code, its content type, a body of its schema (problem+json for every error).

Bounded (a fixed number of examples per operation, derandomized) so that it is a test, not a
fuzzing campaign; ``KRAV_SCHEMATHESIS_EXAMPLES`` raises the number for a longer run by hand.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.examples import generate_one
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from tests.api_support import api_key, app_client, person
from tests.factories import BYGG, FJORDNETT, KARI, NORDLYS, OLA, Krav, add_creditor, claim_row
from tests.factories import import_claims as load_claims

from krav.accounts.principal import Actor, Principal
from krav.db.tables import creditors
from krav.web.deps import SESSION_COOKIE

EXAMPLES = int(os.environ.get("KRAV_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    load_claims(engine, tmp_path, [
        claim_row(invoice="1001", debtor=KARI), claim_row(invoice="1002", debtor=OLA),
        claim_row(invoice="1003", debtor=BYGG, amount="2500.50"),
        claim_row(creditor=FJORDNETT, invoice="1001", debtor=KARI)])
    from krav.webhooks.service import create

    with engine.begin() as conn:
        nordlys = conn.execute(select(creditors.c.id).where(
            creditors.c.orgnr == NORDLYS.orgnr)).scalar_one()
        create(conn, creditor_id=nordlys, url="https://nordlys.example/h",
               events_=["claim.created"], secret_key="k",
               actor=Actor(Principal.cli("test"), datetime(2026, 1, 6)))
    return Krav(db_url, capsys)


def failures_of(app, auth: dict[str, dict[str, str]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every operation run with ``auth`` (``headers``/``cookies``); the failures by operation."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    found: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    for operation in operations:
        try:  # first the examples in the description (a real ref, a valid body)
            for strategy in operation.get_strategies_from_examples():
                generate_one(strategy).call_and_validate(checks=CHECKS, **auth)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            found[f"{operation.label} (examples)"] = str(exc)[:3000]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:  # type: ignore[no-untyped-def]
                case.call_and_validate(checks=CHECKS, **auth)

            try:
                run()
            except BaseException as exc:  # noqa: BLE001 - schemathesis reports a FailureGroup
                if isinstance(exc, KeyboardInterrupt):
                    raise
                found[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
    return found


def test_schemathesis_finds_no_server_error_and_no_schema_violation(krav, engine) -> None:  # type: ignore[no-untyped-def]
    staff = person(krav, engine, "handler")
    session = {"cookies": {SESSION_COOKIE: staff.cookies.get(SESSION_COOKIE)}}
    key = {"headers": {"Authorization": f"Bearer {api_key(krav)}"}}
    app = app_client(engine).app
    found = {**{f"key: {k}": v for k, v in failures_of(app, key).items()},
             **{f"staff: {k}": v for k, v in failures_of(app, session).items()}}
    assert not found, "\n\n".join(f"== {k}\n{v}" for k, v in found.items())
