"""API keys: one per integration of one creditor; shown once, stored as a hash.

A key looks like ``krav_1a2b3c4d_<43 random characters>``: ``krav_`` makes a leaked key easy to
find (secret scanners, logs), the 8 hex characters after it are the public prefix shown by
``krav apikey list`` and in the audit trail, and the random part carries 256 bits. The database
keeps the prefix and SHA-256 of the whole key (see :mod:`krav.accounts.secrets` for why a plain
hash suffices for a random key); a request finds its key by that hash.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from krav.accounts.principal import Actor, Principal
from krav.accounts.secrets import new_token, token_hash
from krav.accounts.tables import api_keys
from krav.audit.service import creditor_id_for, record
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed

KEY = re.compile(r"^krav_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    id: int
    prefix: str
    key: str


def create_key(conn: Connection, *, creditor_orgnr: str, name: str, actor: Actor,
               expires_at: datetime | None = None) -> NewKey:
    """A new key for the creditor; it works until revoked, or until ``expires_at`` (naive
    UTC) when given."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("navnet må ha 1–100 tegn", where="--name")
    if expires_at is not None and expires_at <= actor.at:
        raise InvalidInput(f"utløpet {expires_at:%Y-%m-%d} er allerede passert",
                           where="--expires", allowed="en dag etter i dag")
    creditor_id = creditor_id_for(conn, creditor_orgnr)
    while True:
        prefix = f"krav_{secrets.token_hex(4)}"
        if conn.execute(select(api_keys.c.id).where(api_keys.c.prefix == prefix)).first() is None:
            break
    key = f"{prefix}_{new_token()}"
    key_id = conn.execute(insert(api_keys).values(
        creditor_id=creditor_id, name=name, prefix=prefix, key_hash=token_hash(key),
        created_at=actor.at, created_by=actor.label[:200], expires_at=expires_at)
        .returning(api_keys.c.id)).scalar_one()
    record(conn, actor, "apikey.create", creditor_id=creditor_id,
           details={"api_key_id": key_id, "prefix": prefix, "name": name,
                    "expires_at": _iso(expires_at)})
    return NewKey(key_id, prefix, key)


def list_keys(conn: Connection, creditor_orgnr: str | None = None) -> list[dict[str, Any]]:
    query = (select(api_keys.c.id, api_keys.c.prefix, api_keys.c.name, api_keys.c.created_at,
                    api_keys.c.created_by, api_keys.c.last_used_at, api_keys.c.revoked_at,
                    api_keys.c.expires_at, creditors.c.orgnr)
             .join(creditors, creditors.c.id == api_keys.c.creditor_id).order_by(api_keys.c.id))
    if creditor_orgnr:
        query = query.where(api_keys.c.creditor_id == creditor_id_for(conn, creditor_orgnr))
    return [{"id": r.id, "prefix": r.prefix, "name": r.name, "creditor": r.orgnr,
             "created_at": _iso(r.created_at), "created_by": r.created_by,
             "last_used_at": _iso(r.last_used_at), "revoked_at": _iso(r.revoked_at),
             "expires_at": _iso(r.expires_at)}
            for r in conn.execute(query)]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def revoke_key(conn: Connection, key_id: str, *, actor: Actor) -> dict[str, Any]:
    """Revoke by id or prefix; the key answers 401 from the next request on."""
    column = api_keys.c.id if key_id.isdigit() else api_keys.c.prefix
    row = conn.execute(select(api_keys).where(column == (int(key_id) if key_id.isdigit()
                                                         else key_id))).mappings().first()
    if row is None:
        raise NotFound(f"ingen API-nøkkel {key_id!r} (se `krav apikey list`)")
    if row["revoked_at"] is not None:
        raise UnableToProceed(f"nøkkel {row['prefix']} ble trukket tilbake "
                              f"{row['revoked_at']:%Y-%m-%d %H:%M}")
    conn.execute(update(api_keys).where(api_keys.c.id == row["id"]).values(revoked_at=actor.at))
    record(conn, actor, "apikey.revoke", creditor_id=row["creditor_id"],
           details={"api_key_id": row["id"], "prefix": row["prefix"], "name": row["name"]})
    return dict(row)


# built once: every API request runs it (an indexed lookup of the key's SHA-256)
_BY_HASH = select(api_keys.c.id, api_keys.c.creditor_id, api_keys.c.prefix,
                  api_keys.c.last_used_at).where(
    api_keys.c.key_hash == bindparam("key_hash"), api_keys.c.revoked_at.is_(None),
    or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > bindparam("at")))


def key_principal(conn: Connection, key: str, *, at: datetime) -> Principal | None:
    """The creditor behind ``Authorization: Bearer KEY``, or ``None`` (unknown, revoked or
    expired: :func:`why_refused` tells which)."""
    if not KEY.match(key):
        return None
    row = conn.execute(_BY_HASH, {"key_hash": token_hash(key), "at": at}).mappings().first()
    if row is None:
        return None
    if row["last_used_at"] is None or row["last_used_at"] < at - TOUCH_EVERY:
        conn.execute(update(api_keys).where(api_keys.c.id == row["id"],
                                            or_(api_keys.c.last_used_at.is_(None),
                                                api_keys.c.last_used_at < at - TOUCH_EVERY))
                     .values(last_used_at=at))
    return Principal(kind="apikey", user_id=None, creditor_id=row["creditor_id"], roles=("api",),
                     name=row["prefix"], api_key_id=row["id"])


def why_refused(conn: Connection, key: str, *, at: datetime) -> str:
    """Why a key that :func:`key_principal` refused does not work, for its 401 answer. Only
    the holder of the whole key learns that it was revoked or expired (and when); any other
    string is just unknown."""
    row = conn.execute(select(api_keys.c.revoked_at, api_keys.c.expires_at).where(
        api_keys.c.key_hash == token_hash(key))).first() if KEY.match(key) else None
    if row is None:
        return "API-nøkkelen er ukjent"
    if row.revoked_at is not None:
        return f"API-nøkkelen ble trukket tilbake {row.revoked_at:%Y-%m-%d %H:%M} UTC"
    if row.expires_at is not None and row.expires_at <= at:
        return f"API-nøkkelen utløp {row.expires_at:%Y-%m-%d %H:%M} UTC"
    return "API-nøkkelen er ukjent"
