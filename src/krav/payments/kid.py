"""The per-creditor KID scheme: generating and validating KIDs.

Check digits follow Nets' "System specification OCR giro" § 5 (see ``krav.kernel.ids``): MOD10 is
Luhn; MOD11 uses weights 2–7 from the right, and a remainder of 1 gives the check character ``-``.

Generation (formats.md § 1.4): a KID is ``prefix + sequence`` (zero-padded) + check digit, with the
length fixed by the creditor's agreement. Because a ``-`` is awkward on paper giros and in net
banks, the generator never emits one: a MOD11 scheme reserves one *filler* digit before the check
digit, ``0`` normally and ``1`` when ``0`` would give remainder 1 (changing that digit by one moves
the weighted sum by 2, so ``1`` never gives remainder 1 again). The mapping sequence → KID stays
pure, total and injective — no two sequences share a KID, and no counter state is needed.
Validation still accepts a trailing ``-`` on MOD11 KIDs.

Payment-plan instalments get their own KIDs: the claim's body, then a two-digit instalment
number, then the filler/check digit(s). They are two digits longer than claim KIDs, so they can
never collide with one (Nets allows several KID structures per agreement if their lengths differ).
"""

from __future__ import annotations

from dataclasses import dataclass

from krav.kernel.errors import InvalidInput
from krav.kernel.ids import kid_valid, mod10_check, mod11_check

MIN_LENGTH = 2  # formats.md § 1.4: accept 2–25 when validating …
MIN_GENERATED_LENGTH = 4  # … and generate at least 4 digits
MAX_LENGTH = 25  # the OCR record's KID field


@dataclass(frozen=True)
class KidScheme:
    """A creditor's KID agreement: algorithm (10 or 11), total length incl. check digit, prefix."""

    mod: int = 10
    length: int = 10
    prefix: str = ""

    def __post_init__(self) -> None:
        if self.mod not in (10, 11):
            raise InvalidInput(f"ukjent KID-modulus {self.mod}", where="kid_mod",
                               allowed="10 eller 11")
        if not MIN_GENERATED_LENGTH <= self.length <= MAX_LENGTH - 2:
            raise InvalidInput(f"ugyldig KID-lengde {self.length}", where="kid_length",
                               allowed=f"{MIN_GENERATED_LENGTH}–{MAX_LENGTH - 2} siffer")
        if self.prefix and not self.prefix.isdigit():
            raise InvalidInput(f"ugyldig KID-prefiks {self.prefix!r}", where="kid_prefix",
                               allowed="bare sifre")
        if self.sequence_digits < 1:
            raise InvalidInput(f"KID-prefikset {self.prefix!r} er for langt for lengde "
                               f"{self.length}", where="kid_prefix",
                               allowed="prefiks kortere enn lengden minus kontrollsifre")

    @property
    def sequence_digits(self) -> int:
        """Digits left for the sequence number after prefix, filler (MOD11) and check digit."""
        return self.length - 1 - len(self.prefix) - (1 if self.mod == 11 else 0)

    @property
    def capacity(self) -> int:
        """How many distinct claim KIDs the scheme can give (sequences 0 … capacity − 1)."""
        return 10 ** self.sequence_digits


def _finish(body: str, mod: int) -> str:
    """Append filler (MOD11) and check digit; never produces a ``-``."""
    if mod == 10:
        return body + mod10_check(body)
    for filler in "01":
        check = mod11_check(body + filler)
        if check != "-":
            return body + filler + check
    raise AssertionError("unreachable: fillers 0 and 1 cannot both give remainder 1")


def _core(scheme: KidScheme, sequence: int) -> str:
    if sequence < 0 or sequence >= scheme.capacity:
        raise InvalidInput(f"KID-løpenummer {sequence} passer ikke i KID-ordningen",
                           allowed=f"0–{scheme.capacity - 1} (lengde {scheme.length}, "
                                   f"prefiks {scheme.prefix!r})")
    return scheme.prefix + str(sequence).zfill(scheme.sequence_digits)


def kid_for_claim(scheme: KidScheme, sequence: int) -> str:
    """The KID of the claim with number ``sequence`` under ``scheme`` (exactly ``scheme.length``).

    Pure and injective: different sequences give different KIDs; MOD11 KIDs never end in ``-``
    (formats.md § 1.4 advice; OCR giro manual § 5).
    """
    return _finish(_core(scheme, sequence), scheme.mod)


def kid_for_instalment(scheme: KidScheme, sequence: int, instalment: int) -> str:
    """The KID of instalment ``instalment`` (1–99) of claim ``sequence``; ``scheme.length + 2``
    digits long, so it never equals a claim KID of the same scheme."""
    if not 1 <= instalment <= 99:
        raise InvalidInput(f"ugyldig avdragsnummer {instalment}", allowed="1–99")
    return _finish(_core(scheme, sequence) + f"{instalment:02d}", scheme.mod)


def normalise_kid(raw: str | None) -> str:
    """A KID as written by a payer or a bank: surrounding blanks removed ('' when missing)."""
    return (raw or "").strip()


def validate_kid(kid: str, mod: int | None = None) -> bool:
    """True when ``kid`` (2–25 characters) passes MOD10/MOD11 (or ``mod``).

    A MOD11 KID may end in ``-`` (remainder 1, OCR giro manual § 5)."""
    return kid_valid(normalise_kid(kid), mod)


def kid_fits_scheme(kid: str, scheme: KidScheme) -> bool:
    """True when ``kid`` has the scheme's algorithm and one of its lengths (claim or instalment)."""
    kid = normalise_kid(kid)
    return (len(kid) in (scheme.length, scheme.length + 2) and kid.startswith(scheme.prefix)
            and kid_valid(kid, scheme.mod))
