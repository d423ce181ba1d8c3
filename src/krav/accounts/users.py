"""People: add, list, disable; one-time links to set or reset a password.

A creditor role (``creditor_admin``, ``creditor_user``) is bound to exactly one creditor; a staff
role (``admin``, ``handler``) to none. A one-time link carries a random token whose SHA-256 is
stored with its purpose and expiry; it works once. Disabling a person ends every session at once
and keeps the row (the audit trail names it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from krav.accounts import passwords
from krav.accounts.principal import Actor
from krav.accounts.secrets import new_token, token_hash
from krav.accounts.tables import CREDITOR_ROLES, ROLES, sessions, user_tokens, users
from krav.audit.service import creditor_id_for, record
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SET_PASSWORD_PATH = "/passord/"  # + token: the page that sets the password


def normal_email(email: str, where: str = "EMAIL") -> str:
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise InvalidInput(f"ikke en e-postadresse: {email!r}", where=where,
                           allowed="navn@domene.no")
    return value


def password_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{SET_PASSWORD_PATH}{token}"


@dataclass(frozen=True)
class NewUser:
    id: int
    email: str
    role: str
    link: str
    expires_at: datetime


def add_user(conn: Connection, email: str, *, role: str, creditor_orgnr: str | None,
             actor: Actor, public_url: str, valid: timedelta, language: str = "nb") -> NewUser:
    """Create a person and a one-time link to set the first password."""
    email = normal_email(email)
    if role not in ROLES:
        raise InvalidInput(f"ukjent rolle {role!r}", where="--role", allowed=", ".join(ROLES))
    if role in CREDITOR_ROLES and not creditor_orgnr:
        raise InvalidInput(f"rollen {role} hører til én oppdragsgiver: oppgi --creditor ORGNR",
                           where="--creditor")
    if role not in CREDITOR_ROLES and creditor_orgnr:
        raise InvalidInput(f"rollen {role} er foretakets egen og ser alle oppdragsgivere: "
                           "--creditor skal ikke oppgis", where="--creditor")
    if language not in ("nb", "en"):
        raise InvalidInput(f"ukjent språk {language!r}", where="--language", allowed="nb, en")
    creditor_id = creditor_id_for(conn, creditor_orgnr) if creditor_orgnr else None
    if conn.execute(select(users.c.id).where(users.c.email == email)).first() is not None:
        raise UnableToProceed(f"{email} finnes allerede (se `krav user list`)")
    user_id = conn.execute(insert(users).values(
        email=email, role=role, creditor_id=creditor_id, password_hash=None, language=language,
        created_at=actor.at).returning(users.c.id)).scalar_one()
    token, expires = issue_token(conn, user_id, "set_password", at=actor.at, valid=valid)
    record(conn, actor, "user.add", creditor_id=creditor_id,
           details={"user_id": user_id, "email": email, "role": role})
    return NewUser(user_id, email, role, password_link(public_url, token), expires)


def issue_token(conn: Connection, user_id: int, purpose: str, *, at: datetime,
                valid: timedelta) -> tuple[str, datetime]:
    """A new one-time token for ``user_id``; earlier unused ones of the purpose stop working."""
    conn.execute(update(user_tokens).where(user_tokens.c.user_id == user_id,
                                           user_tokens.c.purpose == purpose,
                                           user_tokens.c.used_at.is_(None))
                 .values(used_at=at))
    token = new_token()
    conn.execute(insert(user_tokens).values(user_id=user_id, purpose=purpose,
                                            token_hash=token_hash(token), created_at=at,
                                            expires_at=at + valid))
    return token, at + valid


def new_link(conn: Connection, email: str, *, actor: Actor, public_url: str,
             valid: timedelta) -> NewUser:
    """A fresh set-password link for an existing person (``krav user link``)."""
    user = user_by_email(conn, email)
    if user["disabled_at"] is not None:
        raise UnableToProceed(f"{user['email']} er deaktivert")
    token, expires = issue_token(conn, user["id"], "set_password", at=actor.at, valid=valid)
    record(conn, actor, "user.link", creditor_id=user["creditor_id"],
           details={"user_id": user["id"], "email": user["email"]})
    return NewUser(user["id"], user["email"], user["role"], password_link(public_url, token),
                   expires)


def user_by_email(conn: Connection, email: str) -> Any:
    row = conn.execute(select(users).where(users.c.email == normal_email(email))).mappings().first()
    if row is None:
        raise NotFound(f"ingen bruker med e-post {email.strip().lower()} (se `krav user list`)")
    return row


def token_user(conn: Connection, token: str, *, at: datetime) -> Any | None:
    """The person a still valid, unused, one-time token belongs to (with ``purpose``)."""
    return conn.execute(
        select(users, user_tokens.c.id.label("token_id"), user_tokens.c.purpose)
        .join(user_tokens, user_tokens.c.user_id == users.c.id)
        .where(user_tokens.c.token_hash == token_hash(token), user_tokens.c.used_at.is_(None),
               user_tokens.c.expires_at > at, users.c.disabled_at.is_(None))).mappings().first()


def set_password_with_token(conn: Connection, token: str, password: str, repeated: str, *,
                            at: datetime, request_id: str | None = None) -> Any:
    """Use a one-time link: store the new password's hash, spend the token, end every session."""
    from krav.accounts.principal import Principal

    user = token_user(conn, token, at=at)
    if user is None:
        raise UnableToProceed("lenken er ugyldig, brukt eller utløpt")
    passwords.check_new(password, repeated, user["email"])
    spent = conn.execute(update(user_tokens).where(user_tokens.c.id == user["token_id"],
                                                   user_tokens.c.used_at.is_(None))
                         .values(used_at=at)).rowcount
    if spent != 1:  # two tabs at once: only one wins
        raise UnableToProceed("lenken er ugyldig, brukt eller utløpt")
    conn.execute(update(users).where(users.c.id == user["id"])
                 .values(password_hash=passwords.hash_password(password)))
    conn.execute(update(sessions).where(sessions.c.user_id == user["id"],
                                        sessions.c.ended_at.is_(None)).values(ended_at=at))
    who = Principal(kind="user", user_id=user["id"], creditor_id=user["creditor_id"],
                    roles=(user["role"],), name=user["email"])
    record(conn, Actor(who, at, request_id), f"password.{user['purpose']}",
           creditor_id=user["creditor_id"], details={"user_id": user["id"]})
    return user


def list_users(conn: Connection) -> list[dict[str, Any]]:
    open_sessions = select(sessions.c.user_id).where(sessions.c.ended_at.is_(None))
    active = set(conn.execute(open_sessions).scalars())
    rows = conn.execute(select(users, creditors.c.orgnr, creditors.c.name.label("creditor_name"))
                        .outerjoin(creditors, creditors.c.id == users.c.creditor_id)
                        .order_by(users.c.email)).mappings()
    return [{"id": r["id"], "email": r["email"], "role": r["role"], "creditor": r["orgnr"],
             "creditor_name": r["creditor_name"], "language": r["language"],
             "password_set": r["password_hash"] is not None,
             "created_at": r["created_at"].isoformat(timespec="seconds"),
             "disabled_at": r["disabled_at"].isoformat(timespec="seconds")
             if r["disabled_at"] else None,
             "has_open_session": r["id"] in active} for r in rows]


def disable_user(conn: Connection, email: str, *, actor: Actor) -> int:
    """Disable a person: no login from now, every open session ended. Returns the number of
    sessions ended. The row stays (the audit trail refers to it)."""
    user = user_by_email(conn, email)
    if user["disabled_at"] is not None:
        raise UnableToProceed(f"{user['email']} er allerede deaktivert")
    conn.execute(update(users).where(users.c.id == user["id"]).values(disabled_at=actor.at))
    ended = conn.execute(update(sessions).where(sessions.c.user_id == user["id"],
                                                sessions.c.ended_at.is_(None))
                         .values(ended_at=actor.at)).rowcount
    conn.execute(update(user_tokens).where(user_tokens.c.user_id == user["id"],
                                           user_tokens.c.used_at.is_(None))
                 .values(used_at=actor.at))
    record(conn, actor, "user.disable", creditor_id=user["creditor_id"],
           details={"user_id": user["id"], "email": user["email"], "sessions_ended": ended})
    return ended
