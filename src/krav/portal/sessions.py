"""Debtors logging in and out of the portal: case number + access code, server-side sessions.

A code login opens one case; a second code login in the same browser adds that case to the
session. A session is kept as SHA-256 of a 256-bit random cookie value (as the staff's are,
:mod:`krav.accounts.sessions`), lasts ``session_hours`` at most and ends after
``session_idle_minutes`` without a request, or at logout.

Throttling (:mod:`krav.accounts.throttle`, shared by every worker): per case
(``portal-case:<ref>``, 5 failures before a lock of 30 s doubling up to an hour) and per client
address (``portal-address:<ip>``, 20). The answer to a wrong code is the same whether or not the
case exists. Every attempt is audited: ``portal.login`` / ``portal.login_failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from krav.accounts import throttle
from krav.accounts.principal import Actor, Principal
from krav.accounts.secrets import new_token, token_hash
from krav.audit.service import record
from krav.cases import codes
from krav.db.tables import case_access, claims, debtors
from krav.portal.tables import debtor_session_claims, debtor_sessions
from krav.settings import Settings

CASE_LIMIT = 5
ADDRESS_LIMIT = 20
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CodeLogin:
    ok: bool
    token: str | None = None  # the session's new cookie value (only when ok)
    ref: str = ""
    locked_until: datetime | None = None


def throttle_keys(ref: str, address: str) -> list[tuple[str, int]]:
    return [(f"portal-case:{ref[:40]}", CASE_LIMIT), (f"portal-address:{address[:200]}",
                                                       ADDRESS_LIMIT)]


def serial_of(conn: Connection, claim_id: int) -> int:
    return conn.execute(select(case_access.c.serial)
                        .where(case_access.c.claim_id == claim_id)).scalar() or 0


def login_with_code(conn: Connection, ref: str, code: str, *, key: bytes, address: str,
                    at: datetime, settings: Settings, current: Principal | None = None,
                    request_id: str | None = None) -> CodeLogin:
    """Check the throttle, then the code of case ``ref``; a success opens a session for the
    case, or adds the case to ``current`` (a code session of this browser)."""
    ref = ref.strip().upper()[:20]
    limits = throttle_keys(ref, address)
    lock = throttle.locked_until_keys(conn, [k for k, _ in limits], at=at)
    if lock is not None:
        return CodeLogin(False, ref=ref, locked_until=lock)
    claim = conn.execute(select(claims.c.id, claims.c.creditor_id)
                         .where(claims.c.ref == ref)).first()
    serial = serial_of(conn, claim.id) if claim else 0
    good = codes.code_matches(key, ref, serial, code)  # computed also for an unknown case
    if claim is None or not good:
        throttle.fail_keys(conn, limits, at=at)
        who = Principal(kind="debtor", user_id=None, creditor_id=None, roles=(),
                        name=f"kode {ref}")
        record(conn, Actor(who, at, request_id), "portal.login_failed",
               claim_id=claim.id if claim else None,
               creditor_id=claim.creditor_id if claim else None,
               details={"ref": ref, "address": address})
        return CodeLogin(False, ref=ref,
                         locked_until=throttle.locked_until_keys(conn, [k for k, _ in limits],
                                                                 at=at))
    throttle.clear(conn, limits[0][0])
    token = new_token()  # a new cookie value at every login, also when a case is added
    if current is not None and current.session_id is not None:
        session_id = current.session_id
        conn.execute(update(debtor_sessions).where(debtor_sessions.c.id == session_id)
                     .values(token_hash=token_hash(token), last_seen_at=at))
        if conn.execute(select(debtor_session_claims.c.claim_id).where(
                debtor_session_claims.c.session_id == session_id,
                debtor_session_claims.c.claim_id == claim.id)).first() is None:
            conn.execute(insert(debtor_session_claims).values(session_id=session_id,
                                                              claim_id=claim.id))
    else:
        session_id = conn.execute(insert(debtor_sessions).values(
            token_hash=token_hash(token), method="code", national_id=None, created_at=at,
            last_seen_at=at, expires_at=at + timedelta(hours=settings.session_hours),
            client=address[:64]).returning(debtor_sessions.c.id)).scalar_one()
        conn.execute(insert(debtor_session_claims).values(session_id=session_id,
                                                          claim_id=claim.id))
    who = debtor_principal(session_id, f"kode {ref}")
    record(conn, Actor(who, at, request_id), "portal.login", claim_id=claim.id,
           creditor_id=claim.creditor_id, details={"address": address, "method": "code"})
    return CodeLogin(True, token=token, ref=ref)


def bankid_login(conn: Connection, national_id: str, *, address: str, at: datetime,
                 settings: Settings, request_id: str | None = None) -> str:
    """A session for the person BankID identified: it opens every case of a consumer debtor
    with that national id. Returns the cookie value."""
    token = new_token()
    session_id = conn.execute(insert(debtor_sessions).values(
        token_hash=token_hash(token), method="bankid", national_id=national_id, created_at=at,
        last_seen_at=at, expires_at=at + timedelta(hours=settings.session_hours),
        client=address[:64]).returning(debtor_sessions.c.id)).scalar_one()
    record(conn, Actor(debtor_principal(session_id, "BankID"), at, request_id), "portal.login",
           details={"address": address, "method": "bankid"})
    return token


def debtor_principal(session_id: int, name: str) -> Principal:
    return Principal(kind="debtor", user_id=None, creditor_id=None, roles=("debtor",),
                     name=name, session_id=session_id)


@dataclass(frozen=True)
class DebtorSession:
    principal: Principal
    method: str
    national_id: str | None


def session_of(conn: Connection, token: str, *, at: datetime,
               settings: Settings) -> DebtorSession | None:
    """The debtor behind a portal cookie, or ``None`` (unknown, ended, expired, idle)."""
    row = conn.execute(select(debtor_sessions).where(
        debtor_sessions.c.token_hash == token_hash(token), debtor_sessions.c.ended_at.is_(None),
        debtor_sessions.c.expires_at > at)).mappings().first()
    if row is None:
        return None
    if row["last_seen_at"] < at - timedelta(minutes=settings.session_idle_minutes):
        conn.execute(update(debtor_sessions).where(debtor_sessions.c.id == row["id"])
                     .values(ended_at=at))
        return None
    if row["last_seen_at"] < at - TOUCH_EVERY:
        conn.execute(update(debtor_sessions).where(debtor_sessions.c.id == row["id"])
                     .values(last_seen_at=at))
    name = "BankID" if row["method"] == "bankid" else "kode"
    return DebtorSession(debtor_principal(row["id"], name), row["method"], row["national_id"])


def visible_claim_ids(conn: Connection, session: DebtorSession) -> list[int]:
    """The cases a debtor's session opens: those whose codes were given, or — BankID — every
    case of a consumer debtor with the person's national id."""
    if session.method == "bankid" and session.national_id:
        return list(conn.execute(
            select(claims.c.id).join(debtors, debtors.c.id == claims.c.debtor_id)
            .where(debtors.c.national_id == session.national_id,
                   debtors.c.kind == "consumer").order_by(claims.c.id)).scalars())
    return list(conn.execute(
        select(debtor_session_claims.c.claim_id)
        .where(debtor_session_claims.c.session_id == session.principal.session_id)
        .order_by(debtor_session_claims.c.claim_id)).scalars())


def logout(conn: Connection, actor: Actor) -> None:
    if actor.principal.session_id is None:
        return
    conn.execute(update(debtor_sessions).where(debtor_sessions.c.id == actor.principal.session_id,
                                               debtor_sessions.c.ended_at.is_(None))
                 .values(ended_at=actor.at))
    record(conn, actor, "portal.logout")
