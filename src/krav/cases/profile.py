"""A creditor's profile (oppdragsgiver): who it is, where it lives, where its money goes.

Every letter names the creditor with its address (inkassoloven § 9 and § 10: the debtor must
be told who the claim is owed to), a letter the creditor sends itself gives its account, and the
settlement pays out to its account (inkassoloven § 6, client funds). A creditor whose profile
lacks any of :data:`LETTER_FIELDS` gets no letter: the nightly run holds its cases with the
missing fields named (:func:`missing_fields`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from krav.kernel.errors import InvalidInput
from krav.kernel.ids import validate_account, validate_email, validate_phone, validate_postcode

# What a letter needs from the creditor, with the bokmål name used in messages.
LETTER_FIELDS = {"name": "navn", "address": "adresse", "postcode": "postnummer",
                 "city": "poststed", "account_number": "kontonummer"}
# The profile as stored (table column → bokmål name), in the order it is shown.
PROFILE_FIELDS = {**LETTER_FIELDS, "email": "e-post", "phone": "telefon",
                  "commission_pct": "provisjon", "language": "språk"}
LANGUAGES = ("nb", "en")
# Column lengths of the creditors table: a value is refused, not cut, when longer.
MAX_LENGTH = {"name": 200, "address": 200, "city": 100, "email": 200, "phone": 30}


def missing_fields(profile: Mapping[str, Any]) -> list[str]:
    """The bokmål names of the fields a letter needs that ``profile`` lacks (empty when none)."""
    return [label for key, label in LETTER_FIELDS.items()
            if not str(profile.get(key) or "").strip()]


def hold_reason(orgnr: str, missing: list[str]) -> str:
    """The line the nightly run and ``krav creditor list`` give for an incomplete profile."""
    return f"oppdragsgiver {orgnr} holdes tilbake: mangler {', '.join(missing)}"


def parse_commission(text: str, *, where: str) -> str:
    """A commission percentage 0–100 with at most two decimals; decimal comma or point.

    Stored as text with a point (``creditors.commission_pct``), e.g. ``"12.5"``.
    """
    raw = text.strip().replace(",", ".").removesuffix("%").strip()
    allowed = "en prosentsats fra 0 til 100, f.eks. 12,5"
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"ugyldig provisjonssats {text!r}", where=where,
                           allowed=allowed) from None
    if not raw.isascii() or not raw.replace(".", "", 1).isdigit() or not 0 <= value <= 100:
        raise InvalidInput(f"ugyldig provisjonssats {text!r}", where=where, allowed=allowed)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(f"provisjonssats {text!r} har mer enn to desimaler", where=where,
                           allowed=allowed)
    return str(value.normalize()) if value else "0"


def _text(key: str) -> Callable[[str, str], str]:
    def check(value: str, where: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise InvalidInput("kan ikke være tom", where=where)
        if not value.isprintable():
            raise InvalidInput("inneholder kontrolltegn", where=where)
        if len(value) > MAX_LENGTH[key]:
            raise InvalidInput(f"for lang ({len(value)} tegn)", where=where,
                               allowed=f"høyst {MAX_LENGTH[key]} tegn")
        return value
    return check


def _language(value: str, where: str) -> str:
    if value not in LANGUAGES:
        raise InvalidInput(f"ukjent språk {value!r}", where=where, allowed="nb, en")
    return value


def _optional(check: Callable[..., str]) -> Callable[[str, str], str]:
    """An optional field: an empty value clears it."""
    def run(value: str, where: str) -> str:
        return check(value, where=where) if value.strip() else ""
    return run


_PARSERS: dict[str, Callable[[str, str], str]] = {
    "name": _text("name"), "address": _text("address"),
    "postcode": lambda v, w: validate_postcode(v, where=w), "city": _text("city"),
    "account_number": lambda v, w: validate_account(v, where=w),
    "email": _optional(validate_email), "phone": _optional(validate_phone),
    "commission_pct": lambda v, w: parse_commission(v, where=w), "language": _language,
}


def parse_profile(values: Mapping[str, str | None],
                  where: Callable[[str], str]) -> dict[str, str]:
    """Validate the given fields (``None`` = not given); ``where(field)`` names each place.

    Returns the normalised values (account and org number compact, whitespace collapsed).
    """
    unknown = set(values) - set(_PARSERS)
    if unknown:
        raise ValueError(f"unknown profile fields {sorted(unknown)}")
    return {key: _PARSERS[key](str(value), where(key))
            for key, value in values.items() if value is not None}
