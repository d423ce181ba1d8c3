"""Passwords: argon2id (argon2-cffi's defaults, RFC 9106's second recommended option).

Only the hash is stored. A login for an unknown address still runs one verification against a
fixed hash, so the answer takes as long as for a known one.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from krav.kernel.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("krav-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Does ``password`` match ``stored``? ``stored`` ``None`` (unknown user, no password yet)
    costs the same and answers ``False``."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def check_new(password: str, repeated: str, email: str) -> None:
    """A new password: long enough, typed twice the same, not the e-mail address.

    Length over composition rules (NIST SP 800-63B § 3.1.1.2)."""
    if password != repeated:
        raise InvalidInput("passordene er ikke like", where="passord")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"passordet må ha minst {MIN_LENGTH} tegn", where="passord")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"passordet kan ha høyst {MAX_LENGTH} tegn", where="passord")
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput("passordet kan ikke være e-postadressen", where="passord")
