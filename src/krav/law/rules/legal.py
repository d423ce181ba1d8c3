"""Court and enforcement fees derived from the rettsgebyr R, rounded down to whole kroner.

Begjæring om utlegg (tvangsfullbyrdelsesloven § 7-2 bokstav f): 1.21 R from 2022 (1.7 R
2016–2021); forliksklage: 1.1 R from 2022; security for a bankruptcy petition (konkursloven
§ 67): 50 R. Rettsgebyrloven § 1: amounts derived from R are rounded down to whole kroner.
"""

from __future__ import annotations

from datetime import date

from krav.law.book import LawBook
from krav.law.rules.charge import Charge, apply_rounding, choose, text

_FEES = {
    "utlegg": (
        "legal/utlegg_fee_factor",
        "RGL-utleggsbegjaering",
        "rettsgebyrloven (gebyr for begjæring om utlegg), tvangsfullbyrdelsesloven § 7-2 bokstav f",
    ),
    "forliksklage": (
        "legal/forliksklage_fee_factor",
        "RGL-forliksklage",
        "rettsgebyrloven (gebyr for behandling i forliksrådet)",
    ),
    "konkurs_security": (
        "legal/konkurs_security_factor",
        "KL-67-sikkerhet",
        "konkursloven § 67 andre ledd (sikkerhet for bobehandlingskostnader)",
    ),
}
KINDS = tuple(_FEES)


def legal_fee(book: LawBook, *, kind: str, on: date) -> Charge:
    """The fee (or security) of ``kind`` on ``on``: factor × R, rounded down to whole kroner."""
    choose(kind, KINDS, "kind")
    factor_name, rule, reference = _FEES[kind]
    r = book.entry("legal/rettsgebyr", on)
    factor = book.entry(factor_name, on)
    rounding = book.value("legal/fee_rounding", on)
    exact = r.value * factor.value
    inputs = {
        "kind": kind,
        "on": text(on),
        "rettsgebyr": r.text,
        "rettsgebyr_since": text(r.since),
        "factor": factor.text,
        "exact": text(exact),
        "rounding": rounding,
    }
    return Charge(apply_rounding(exact, rounding), rule, reference, inputs)
