"""``Idempotency-Key`` for the API's POSTs (``/claims`` and the claim actions): a retried request
— same creditor, same key, same request — answers the first answer again
(``Idempotent-Replayed: true``) and changes nothing; the same key with another request is refused
(422). Keys are per creditor (the creditor whose data the request changes) and stored in
``idempotency_keys`` in the transaction of the change, so an answer is remembered exactly when its
change is committed; a concurrent retry that loses the race on the unique key replays the
winner's answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from krav.intake.tables import idempotency_keys
from krav.web.problems import Problem

HEADER = "idempotency-key"
MAX_KEY = 200
# the header as a route parameter, so the OpenAPI description shows it (``key_of`` reads it)
HEADER_PARAM = Header(default=None, alias="Idempotency-Key", description=(
    f"1–{MAX_KEY} tegn: et nytt forsøk med samme nøkkel og samme forespørsel gir det første "
    "svaret igjen og endrer ingenting"))


def key_of(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` (1–200 characters), or ``None``."""
    key = request.headers.get(HEADER)
    if key is not None and not (0 < len(key) <= MAX_KEY):
        raise Problem(422, f"Idempotency-Key må ha 1–{MAX_KEY} tegn",
                      errors=[{"field": "Idempotency-Key", "message": f"1–{MAX_KEY} tegn"}])
    return key


def digest(body: Any, *, scope: str = "") -> str:
    """SHA-256 of the canonical JSON of ``body`` — with ``scope`` (the method and path) when
    given, so one key sent to two endpoints is two requests."""
    data = body if not scope else {"request": scope, "body": body}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def replay(conn: Connection, creditor_id: int, key: str, request_hash: str
           ) -> JSONResponse | None:
    """The stored answer to an earlier request with ``key``; 422 if that was another request."""
    stored = conn.execute(select(idempotency_keys).where(
        idempotency_keys.c.creditor_id == creditor_id, idempotency_keys.c.key == key)).first()
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise Problem(422, "Idempotency-Key er brukt før med en annen forespørsel",
                      errors=[{"field": "Idempotency-Key",
                               "message": "brukt før med en annen forespørsel",
                               "allowed": "en ny nøkkel for en ny forespørsel"}])
    return JSONResponse(stored.response, status_code=stored.status,
                        headers={"Idempotent-Replayed": "true"})


def remember(conn: Connection, creditor_id: int, key: str, request_hash: str, *, status: int,
             response: Any, at: datetime) -> None:
    """Store the answer, in the transaction of the change it answers."""
    conn.execute(insert(idempotency_keys).values(
        creditor_id=creditor_id, key=key, request_hash=request_hash, status=status,
        response=response, created_at=at))


def run_once(engine: Engine, creditor_id: int, key: str | None, request_hash: str,
             change: Callable[[Connection], tuple[int, Any]], *, at: datetime) -> JSONResponse:
    """Answer an earlier request with ``key`` again, or run ``change`` (``conn -> (status,
    JSON-ready response)``) in one transaction, remembering its answer under ``key``."""
    if key is not None:
        with engine.connect() as conn:
            earlier = replay(conn, creditor_id, key, request_hash)
        if earlier is not None:
            return earlier
    try:
        with engine.begin() as conn:
            status, response = change(conn)
            if key is not None:
                remember(conn, creditor_id, key, request_hash, status=status,
                         response=response, at=at)
    except IntegrityError:
        if key is None:
            raise
        with engine.connect() as conn:  # a concurrent request with the key won; nothing made
            earlier = replay(conn, creditor_id, key, request_hash)
        if earlier is None:
            raise
        return earlier
    return JSONResponse(response, status_code=status)
