"""KID: the public test vectors (tests/data), and the per-creditor generator (formats.md § 1)."""

from __future__ import annotations

import csv
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from krav.kernel.errors import InvalidInput
from krav.kernel.ids import mod11_check
from krav.payments.kid import (
    KidScheme,
    kid_fits_scheme,
    kid_for_claim,
    kid_for_instalment,
    validate_kid,
)


def _vectors(samples: str) -> list[dict[str, str]]:
    with open(os.path.join(samples, "kid", "kid_test_vectors.csv"), encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_public_vector_validates_as_labelled(samples: str) -> None:
    rows = _vectors(samples)
    assert len(rows) == 72
    for row in rows:
        labels = set(row["valid_algorithms"].split("+")) - {"INVALID"}
        kid = row["kid"]
        assert len(kid) == int(row["length"])
        assert validate_kid(kid, 10) == ("MOD10" in labels), kid
        assert validate_kid(kid, 11) == ("MOD11" in labels), kid
        assert validate_kid(kid) == bool(labels), kid


def test_mod11_minus_vectors_are_accepted_only_as_mod11(samples: str) -> None:
    minus = [r["kid"] for r in _vectors(samples) if r["kid"].endswith("-")]
    assert minus == ["100008-", "100011-", "100025-"]
    for kid in minus:
        assert validate_kid(kid, 11) and not validate_kid(kid, 10)
        assert validate_kid(f"  {kid} ")  # as right-aligned in an OCR record


def test_spec_worked_examples() -> None:
    assert kid_for_claim(KidScheme(mod=10, length=9), 12345678) == "123456782"
    assert validate_kid("123456785", 11) and not validate_kid("123456783")


@pytest.mark.parametrize("mod", [10, 11])
def test_claim_kids_have_the_scheme_length_and_check(mod: int) -> None:
    scheme = KidScheme(mod=mod, length=10, prefix="77")
    kid = kid_for_claim(scheme, 4711)
    assert len(kid) == 10 and kid.startswith("77") and validate_kid(kid, mod)
    assert kid_fits_scheme(kid, scheme)
    assert not kid_fits_scheme(kid, KidScheme(mod=mod, length=9, prefix="77"))
    assert not kid_fits_scheme(kid, KidScheme(mod=mod, length=10, prefix="78"))


def test_mod11_generator_never_emits_a_minus_but_uses_the_filler() -> None:
    scheme = KidScheme(mod=11, length=8)
    skipped = [s for s in range(2000) if mod11_check(f"{s:06d}0") == "-"]
    assert skipped, "some bodies must have remainder 1 with filler 0"
    for sequence in skipped:
        kid = kid_for_claim(scheme, sequence)
        assert kid[-2] == "1" and kid[-1] != "-" and validate_kid(kid, 11)


@given(st.integers(min_value=0, max_value=10**7 - 1), st.integers(min_value=0, max_value=10**7 - 1),
       st.sampled_from([10, 11]))
def test_generator_is_injective_and_valid(a: int, b: int, mod: int) -> None:
    scheme = KidScheme(mod=mod, length=10)
    ka, kb = kid_for_claim(scheme, a), kid_for_claim(scheme, b)
    assert (ka == kb) == (a == b)
    assert validate_kid(ka, mod) and "-" not in ka


def test_instalment_kids_are_longer_and_distinct() -> None:
    scheme = KidScheme(mod=11, length=10)
    claim_kid = kid_for_claim(scheme, 42)
    kids = [kid_for_instalment(scheme, 42, n) for n in range(1, 13)]
    assert len(set(kids)) == 12
    assert all(len(k) == 12 and validate_kid(k, 11) and k != claim_kid for k in kids)
    assert all(kid_fits_scheme(k, scheme) for k in kids)


@pytest.mark.parametrize("kwargs", [{"mod": 12}, {"length": 3}, {"length": 24},
                                    {"prefix": "12a"}, {"length": 5, "prefix": "1234"}])
def test_bad_schemes_are_refused(kwargs: dict) -> None:
    with pytest.raises(InvalidInput):
        KidScheme(**kwargs)


def test_sequence_outside_the_scheme_is_refused() -> None:
    scheme = KidScheme(mod=10, length=5, prefix="9")
    assert scheme.capacity == 1000
    kid_for_claim(scheme, 999)
    with pytest.raises(InvalidInput, match="passer ikke"):
        kid_for_claim(scheme, 1000)
    with pytest.raises(InvalidInput):
        kid_for_instalment(scheme, 1, 100)


@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_mod10_check_is_luhn_as_stdnum_computes_it(body: str) -> None:
    from stdnum import luhn

    from krav.kernel.ids import mod10_check

    assert mod10_check(body) == luhn.calc_check_digit(body)
    assert luhn.is_valid(body + mod10_check(body))
