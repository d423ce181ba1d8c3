"""Random tokens and how they are kept.

Session tokens, one-time link tokens and API keys are 256-bit random values
(``secrets.token_urlsafe(32)``); the database keeps only their SHA-256. A fast unkeyed hash is
enough for such values — nobody can guess or brute-force a 2^256 preimage, unlike a password —
and it lets a request find its row by an index lookup. Passwords, which people choose, are hashed
with argon2id instead (:mod:`krav.accounts.passwords`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(token: str) -> str:
    """The CSRF token of a session (or of an anonymous visitor's form cookie): derived from the
    secret cookie value, so it needs no storage, differs per session and cannot be computed by a
    page that cannot read the HttpOnly cookie."""
    return hashlib.sha256(b"krav-csrf:" + token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
