"""Access codes and pay links: keyed hashes, never stored.

A case's access code is ten characters from the 31 of :data:`ALPHABET` (digits 2–9 and the
capital letters without I, L and O, so nothing can be misread: 0/O, 1/I/L), printed in two
groups of five (``K7M2Q-XR9TB``): log2(31^10) ≈ 49.5 bits. It is
``HMAC-SHA256(key, "code", ref, serial)`` reduced to that alphabet, where ``key`` is derived
from ``KRAV_SECRET_KEY`` and ``serial`` counts the codes the case has had (``case_access``).

Why derived, not drawn with :mod:`secrets` and stored as a hash like an API key: a letter is a
JSON snapshot made by the nightly run and rendered later — into a print file, an e-mail, the
portal's PDF — by other processes, possibly years later. A random code would have to wait in the
snapshot in clear until then. Derived, the code exists only while a letter is rendered; the
database holds nothing from which it can be computed (the serial and the ref are not secret), and
a stolen database cannot be searched offline for codes without the key — the property a stored
keyed hash would give. It also costs the nightly run nothing: no random draw, no hash, no row
per letter (argon2 at ~50 ms per code would take 14 hours for a million letters; a keyed hash of
a 49-bit code needs no slow hash, since guessing online is throttled and offline guessing needs
the key). The price: rotating ``KRAV_SECRET_KEY`` changes every code (old letters' codes stop
working; ``krav case access-code`` gives a caller a new one).

The pay page's token (``/betal/{ref}/{token}``) is a keyed hash of the ref alone (stable for the
case, 128 bits), so the pay link printed on a letter cannot be guessed from a ref.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
GROUP = 5
PAY_PATH = "/betal/{ref}/{token}"
LOGIN_PATH = "/logg-inn"


def portal_key(secret_key: str) -> bytes | None:
    """The portal's own key, derived from ``KRAV_SECRET_KEY``; ``None`` when that is not set
    (then no code can be made or checked, and letters carry no code or pay link)."""
    if not secret_key:
        return None
    return hmac.new(secret_key.encode("utf-8"), b"krav-portal-v1", hashlib.sha256).digest()


def env_key() -> bytes | None:
    """The key from the environment (renderers that are handed no settings: print batches)."""
    return portal_key(os.environ.get("KRAV_SECRET_KEY", ""))


def _mac(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, "\x00".join(parts).encode("utf-8"), hashlib.sha256).digest()


def access_code(key: bytes, ref: str, serial: int) -> str:
    """The code of case ``ref`` in its ``serial``-th generation, grouped ``XXXXX-XXXXX``."""
    n = int.from_bytes(_mac(key, "code", ref.upper(), str(serial)), "big") % len(ALPHABET) ** LENGTH
    chars = []
    for _ in range(LENGTH):
        n, digit = divmod(n, len(ALPHABET))
        chars.append(ALPHABET[digit])
    code = "".join(chars)
    return f"{code[:GROUP]}-{code[GROUP:]}"


def normal_code(typed: str) -> str:
    """What a person typed, as the code is compared: capitals, no spaces or dashes."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def well_formed(typed: str) -> bool:
    code = normal_code(typed)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def code_matches(key: bytes, ref: str, serial: int, typed: str) -> bool:
    expected = normal_code(access_code(key, ref, serial))
    return hmac.compare_digest(expected.encode(), normal_code(typed)[:64].encode())


def pay_token(key: bytes, ref: str) -> str:
    return base64.urlsafe_b64encode(_mac(key, "pay", ref.upper())[:16]).decode().rstrip("=")


def pay_path(key: bytes, ref: str) -> str:
    return PAY_PATH.format(ref=ref.upper(), token=pay_token(key, ref))


def pay_token_ok(key: bytes, ref: str, token: str) -> bool:
    return hmac.compare_digest(pay_token(key, ref).encode(), token[:64].encode())


class LetterSite:
    """What a rendered letter prints about the portal: its address and the key for the code
    and the pay link. Nothing is printed without a public address (``KRAV_PUBLIC_URL``): a
    letter must not send a debtor to a page that does not exist."""

    def __init__(self, url: str, key: bytes | None) -> None:
        self.url, self.key = url.rstrip("/"), key

    @classmethod
    def from_env(cls) -> LetterSite:
        return cls(os.environ.get("KRAV_PUBLIC_URL", "").strip(), env_key())

    def fields(self, ref: str, serial: int) -> dict[str, str]:
        """``portal_url``, ``access_code`` and ``pay_url`` for a letter of case ``ref``."""
        if not self.url or not ref:
            return {"portal_url": "", "access_code": "", "pay_url": ""}
        if self.key is None:
            return {"portal_url": self.url + LOGIN_PATH, "access_code": "", "pay_url": ""}
        return {"portal_url": self.url + LOGIN_PATH,
                "access_code": access_code(self.key, ref, serial),
                "pay_url": self.url + pay_path(self.key, ref)}
