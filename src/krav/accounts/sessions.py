"""Logging in and out: server-side sessions kept as SHA-256 of a random cookie value.

A session lasts ``session_hours`` at most and ends after ``session_idle_minutes`` without a
request; logout, disabling the person and a new password end it at once (``ended_at``).
``last_seen_at`` is written at most once a minute, so a busy page does not write on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from krav.accounts import passwords, throttle
from krav.accounts.principal import Actor, Principal
from krav.accounts.secrets import new_token, token_hash
from krav.accounts.tables import sessions, users
from krav.audit.service import record
from krav.settings import Settings

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    token: str | None = None  # the cookie value (only when ok)
    locked_until: datetime | None = None


def principal_for(user: Any, session_id: int | None = None) -> Principal:
    return Principal(kind="user", user_id=user["id"], creditor_id=user["creditor_id"],
                     roles=(user["role"],), name=user["email"], session_id=session_id)


def login(conn: Connection, email: str, password: str, *, address: str, at: datetime,
          settings: Settings, request_id: str | None = None) -> LoginResult:
    """Check the throttle, then the password; a success opens a session.

    The answer to a failure is the same whether the address exists, is disabled or the password
    is wrong; a failed attempt is audited with the address typed (no password)."""
    email = email.strip().lower()[:254]
    lock = throttle.locked_until(conn, email, address, at=at)
    if lock is not None:
        return LoginResult(False, locked_until=lock)
    user = conn.execute(select(users).where(users.c.email == email)).mappings().first()
    good = passwords.verify(user["password_hash"] if user else None, password)
    if not good or user is None or user["disabled_at"] is not None:
        throttle.fail(conn, email, address, at=at)
        anonymous = Principal(kind="user", user_id=user["id"] if user else None,
                              creditor_id=None, roles=(), name=email)
        record(conn, Actor(anonymous, at, request_id), "login.failed",
               details={"email": email, "address": address})
        return LoginResult(False, locked_until=throttle.locked_until(conn, email, address, at=at))
    throttle.succeed(conn, email)
    if passwords.needs_rehash(user["password_hash"]):
        conn.execute(update(users).where(users.c.id == user["id"])
                     .values(password_hash=passwords.hash_password(password)))
    token = new_token()
    session_id = conn.execute(insert(sessions).values(
        user_id=user["id"], token_hash=token_hash(token), created_at=at, last_seen_at=at,
        expires_at=at + timedelta(hours=settings.session_hours), client=address[:64])
        .returning(sessions.c.id)).scalar_one()
    record(conn, Actor(principal_for(user, session_id), at, request_id), "login",
           creditor_id=user["creditor_id"], details={"address": address})
    return LoginResult(True, token=token)


def session_principal(conn: Connection, token: str, *, at: datetime,
                      settings: Settings) -> Principal | None:
    """The person behind a session cookie, or ``None`` (unknown, ended, expired, idle, disabled)."""
    row = conn.execute(
        select(sessions.c.id.label("session_id"), sessions.c.last_seen_at, users)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.token_hash == token_hash(token), sessions.c.ended_at.is_(None),
               sessions.c.expires_at > at, users.c.disabled_at.is_(None))).mappings().first()
    if row is None:
        return None
    if row["last_seen_at"] < at - timedelta(minutes=settings.session_idle_minutes):
        conn.execute(update(sessions).where(sessions.c.id == row["session_id"])
                     .values(ended_at=at))
        return None
    if row["last_seen_at"] < at - TOUCH_EVERY:
        conn.execute(update(sessions).where(sessions.c.id == row["session_id"])
                     .values(last_seen_at=at))
    return principal_for(row, row["session_id"])


def logout(conn: Connection, actor: Actor) -> None:
    """End the actor's session."""
    principal = actor.principal
    if principal.session_id is None:
        return
    conn.execute(update(sessions).where(sessions.c.id == principal.session_id,
                                        sessions.c.ended_at.is_(None)).values(ended_at=actor.at))
    record(conn, actor, "logout", creditor_id=principal.creditor_id)
