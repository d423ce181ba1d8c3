"""Pure rule functions of Norwegian collection law; each returns amounts with their explanation.

Every function takes the :class:`~krav.law.LawBook` first and keyword-only arguments after it,
reads no clock, and cites in its docstring the § it implements.
"""

from krav.law.rules.charge import Charge, apply_rounding
from krav.law.rules.compensation import compensation, offset_against_compensation
from krav.law.rules.deadlines import (
    deadline,
    enforcement_allowed_on,
    legal_action_deadline,
    limitation_date,
    payment_in_time,
)
from krav.law.rules.fees import letter_fee
from krav.law.rules.interest import InterestPeriod, InterestResult, interest
from krav.law.rules.legal import legal_fee
from krav.law.rules.salaer import instalment_uplift, salaer

__all__ = [
    "Charge",
    "InterestPeriod",
    "InterestResult",
    "apply_rounding",
    "compensation",
    "deadline",
    "enforcement_allowed_on",
    "instalment_uplift",
    "interest",
    "legal_action_deadline",
    "legal_fee",
    "letter_fee",
    "limitation_date",
    "offset_against_compensation",
    "payment_in_time",
    "salaer",
]
