"""Identifiers: organisation, national id and account numbers, postcodes, contact details, KID.

Organisation, national id and account numbers are validated with python-stdnum. KID check
digits follow Nets' "System specification OCR giro" § 5 (MOD10 = Luhn; MOD11 with weights 2–7
from the right, remainder 1 giving ``-``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.exceptions import ValidationError
from stdnum.no import fodselsnummer, kontonr, orgnr

from krav.kernel.errors import InvalidInput


@lru_cache(maxsize=4096)
def _orgnr(value: str) -> str:
    return str(orgnr.validate(value))  # an invalid number raises (and is not cached)


def validate_orgnr(value: str, *, where: str | None = None) -> str:
    """A Norwegian organisation number (9 digits, MOD11), compact form. (Remembered: an import
    checks the same creditor's number on every row.)"""
    try:
        return _orgnr(value)
    except ValidationError:
        raise InvalidInput(f"ugyldig organisasjonsnummer {value!r}", where=where,
                           allowed="9 siffer med gyldig kontrollsiffer") from None


def validate_account(value: str, *, where: str | None = None) -> str:
    """A Norwegian bank account number (kontonummer: 11 digits, MOD11), compact form.

    Dots and spaces as people write them (``1503.20.80119``) are accepted.
    """
    try:
        return kontonr.validate(value)
    except ValidationError:
        raise InvalidInput(f"ugyldig kontonummer {value!r}", where=where,
                           allowed="11 siffer med gyldig kontrollsiffer, f.eks. 1503.20.80119"
                           ) from None


def validate_postcode(value: str, *, where: str | None = None) -> str:
    """A Norwegian postcode (postnummer): four digits."""
    value = value.strip()
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        raise InvalidInput(f"ugyldig postnummer {value!r}", where=where, allowed="fire sifre")
    return value


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ]{8,15}$")


def validate_email(value: str, *, where: str | None = None) -> str:
    """An e-mail address (one ``@``, a dot in the domain, no spaces)."""
    value = value.strip()
    if not EMAIL.match(value) or not value.isprintable():
        raise InvalidInput(f"ugyldig e-postadresse {value!r}", where=where,
                           allowed="en adresse som navn@firma.no")
    return value


def validate_phone(value: str, *, where: str | None = None) -> str:
    """A phone number: 8–15 digits and spaces, optionally starting with ``+``."""
    value = value.strip()
    if not PHONE.match(value) or not value.isascii():
        raise InvalidInput(f"ugyldig telefonnummer {value!r}", where=where,
                           allowed="8–15 sifre, ev. med +")
    return value


def validate_fodselsnummer(value: str, *, where: str | None = None) -> str:
    """A Norwegian national id number (fødselsnummer or D-number, 11 digits)."""
    try:
        return fodselsnummer.validate(value)
    except ValidationError:
        raise InvalidInput(f"ugyldig fødselsnummer {value!r}", where=where,
                           allowed="11 siffer med gyldige kontrollsifre") from None


def validate_debtor_id(kind: str, value: str, *, where: str | None = None) -> str | None:
    """Business debtors carry an org number, consumers a national id; empty means unknown."""
    if not value.strip():
        return None
    if kind == "business":
        return validate_orgnr(value, where=where)
    return validate_fodselsnummer(value, where=where)


def mod11_check(body: str) -> str:
    """MOD11 check character for ``body``: weights 2,3,4,5,6,7 repeating from the right.

    Remainder 0 gives ``0``; remainder 1 gives ``-`` (OCR giro manual § 5).
    """
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    remainder = total % 11
    if remainder == 0:
        return "0"
    if remainder == 1:
        return "-"
    return str(11 - remainder)


_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}  # Luhn: doubled, digits summed


def mod10_check(body: str) -> str:
    """MOD10 (Luhn) check digit for ``body`` (digits): from the right, every other digit
    doubled starting with the last, digit sums added, the check digit brings the sum to a
    multiple of ten (OCR giro manual § 5; the same as ``stdnum.luhn.calc_check_digit``, which
    the tests compare it with, at a fraction of the cost — an import makes one per claim)."""
    if not (body.isascii() and (body.isdigit() or not body)):
        raise ValueError(f"not digits: {body!r}")
    digits = body[::-1]
    return str(-(sum(map(_DOUBLED.__getitem__, digits[0::2])) + sum(map(int, digits[1::2])))
               % 10)


def make_kid(body: str, mod: int) -> str:
    """Append the MOD10 or MOD11 check character to ``body`` (digits only)."""
    if not (body.isdigit() and body.isascii()) or not 1 <= len(body) <= 24:
        raise InvalidInput(f"ugyldig KID-grunnlag {body!r}", allowed="1 til 24 siffer")
    if mod == 10:
        return body + mod10_check(body)
    if mod == 11:
        return body + mod11_check(body)
    raise InvalidInput(f"ukjent modulus {mod}", allowed="10 eller 11")


def kid_valid(kid: str, mod: int | None = None) -> bool:
    """True when ``kid`` (2–25 characters) passes MOD10 or MOD11 (or the one named by ``mod``)."""
    if not 2 <= len(kid) <= 25:
        return False
    body, check = kid[:-1], kid[-1]
    if not (body.isdigit() and kid.isascii()) or not (check.isdigit() or check == "-"):
        return False
    ok10 = check != "-" and mod10_check(body) == check
    ok11 = mod11_check(body) == check
    if mod == 10:
        return ok10
    if mod == 11:
        return ok11
    return ok10 or ok11


def kid_algorithms(kid: str) -> list[str]:
    """Which of MOD10 and MOD11 ``kid`` passes (a KID may pass both)."""
    return [name for name, mod in (("MOD10", 10), ("MOD11", 11)) if kid_valid(kid, mod)]
