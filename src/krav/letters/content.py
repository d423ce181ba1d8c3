"""The letter content contract: the JSON snapshot in ``letters.content`` and its validation.

The nightly run writes one self-contained snapshot per letter (amounts as strings "1234.50",
dates ISO); rendering never looks anything else up, so a letter can be re-rendered years later
exactly as sent. Shape for letters to a debtor::

    {"kind", "sender": "creditor"|"agency", "language": "nb"|"en", "ref", "invoice_number",
     "invoice_date", "due_date", "description", "sent_on", "deadline" (null allowed for
     dispute_ack), "kid", "account_number",
     "creditor": {name, orgnr, address, postcode, city},
     "agency": {name, orgnr, address, postcode, city, licence, email?, phone?}  (sender agency),
     "debtor": {name, kind, address, postcode, city, country},
     "amounts": {principal, interest, fees, paid, total},
     "interest": {rate, from, through}       (required for payment_demand, optional otherwise),
     "lines": [{label, amount, basis, rule, label_en?}],
     "enforcement_notice": bool              (payment_demand only, tvfbl. § 4-18),
     "schedule": [{due, amount, kid}]        (payment_plan_confirmation: the plan;
                                             plan_breach_notice: the missing instalments),
     "plan": {"ref", "cases", "total", "extra_cost_max"?, "kind"?, "until"?, "rest"?,
              "shortfall"?}                  (the agreement; extra_cost_max: the raised salær
                                             cap, > 4 instalments; shortfall: breach notice),
     "pay_url": "...",
     "invoice_copy": "/path/to/invoice.pdf"  (optional: attached to e-mails when present)}

Settlement statement (to a creditor; designed here, filled by the payments context)::

    {"kind": "settlement_statement", "sender": "agency", "language", "ref" (e.g. "OPP-2026-04"),
     "sent_on" (payout date), "account_number" (the creditor's payout account),
     "creditor": {...}, "agency": {...},
     "period": {"from": "2026-04-01", "through": "2026-04-30"},
     "lines": [{"ref", "invoice_number", "debtor", "collected", "costs", "commission", "vat",
                "to_creditor"}],
     "totals": {"collected", "costs", "commission", "vat", "to_creditor"},
     "payout": {"status", "amount", "invoice"}  (optional; status pending | instructed: the
               amount is transferred; held: held back, no valid account; nothing; invoiced)}

``costs`` are the fees and salær the agency keeps (inkassoforskriften ch. 1-2), ``commission``
the agreed share of the principal (no cure - no pay), ``vat`` the VAT on that commission.
"""

from __future__ import annotations

from typing import Any

from krav.kernel.dates import parse_date
from krav.kernel.errors import InvalidInput
from krav.kernel.money import parse_amount

KINDS = (
    "reminder",
    "collection_notice",
    "payment_demand",
    "rest_notice",
    "dispute_ack",
    "deferral_confirmation",
    "payment_plan_confirmation",
    "plan_breach_notice",
    "settlement_statement",
)
DEBTOR_KINDS = KINDS[:-1]
# Letters that carry a statutory notice (a deadline the law attaches consequences to).
LEGAL_NOTICE_KINDS = ("reminder", "collection_notice", "payment_demand")
LANGUAGES = ("nb", "en")
SENDERS = ("creditor", "agency")

_PARTY = ("name", "address", "postcode", "city")
_DEBTOR_TOP = ("ref", "invoice_number", "invoice_date", "due_date", "sent_on", "kid",
               "account_number")


def _need(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or mapping.get(key) in (None, ""):
        raise InvalidInput(f"mangler feltet {key!r}", where=where)
    return mapping[key]


def _amount(mapping: dict, key: str, where: str) -> None:
    parse_amount(str(_need(mapping, key, where)), where=f"{where}.{key}", allow_zero=True,
                 allow_negative=True)


def _date(mapping: dict, key: str, where: str) -> None:
    parse_date(str(_need(mapping, key, where)), where=f"{where}.{key}")


def validate(content: dict, *, where: str = "brev") -> None:
    """Check a content snapshot; :class:`InvalidInput` names the letter and the field."""
    kind = _need(content, "kind", where)
    if kind not in KINDS:
        raise InvalidInput(f"ukjent brevtype {kind!r}", where=f"{where}.kind",
                           allowed=", ".join(KINDS))
    if content.get("language", "nb") not in LANGUAGES:
        raise InvalidInput(f"ukjent språk {content.get('language')!r}",
                           where=f"{where}.language", allowed="nb, en")
    sender = content.get("sender", "agency")
    if sender not in SENDERS:
        raise InvalidInput(f"ukjent avsender {sender!r}", where=f"{where}.sender",
                           allowed="creditor, agency")
    for key in _PARTY:
        _need(content.get("creditor"), key, f"{where}.creditor")
    if sender == "agency":
        for key in (*_PARTY, "orgnr"):
            _need(content.get("agency"), key, f"{where}.agency")
    if kind == "settlement_statement":
        _validate_settlement(content, where)
    else:
        _validate_debtor_letter(content, kind, where)


def _validate_debtor_letter(content: dict, kind: str, where: str) -> None:
    for key in _DEBTOR_TOP:
        _need(content, key, where)
    for key in ("invoice_date", "due_date", "sent_on"):
        _date(content, key, where)
    if kind != "dispute_ack" or content.get("deadline"):
        _date(content, "deadline", where)
    for key in _PARTY:
        _need(content.get("debtor"), key, f"{where}.debtor")
    _amount(_need(content, "amounts", where), "total", f"{where}.amounts")
    lines = content.get("lines")
    if not isinstance(lines, list) or not lines:
        raise InvalidInput("mangler linjer (hvorfor dette beløpet)", where=f"{where}.lines")
    for i, line in enumerate(lines, 1):
        _need(line, "label", f"{where}.lines[{i}]")
        _amount(line, "amount", f"{where}.lines[{i}]")
    if kind == "payment_demand":
        interest = _need(content, "interest", where)
        _amount(interest, "rate", f"{where}.interest")
        _date(interest, "from", f"{where}.interest")
    if kind == "plan_breach_notice":
        _amount(_need(content, "plan", where), "shortfall", f"{where}.plan")
    if kind == "payment_plan_confirmation":
        schedule = content.get("schedule")
        if not isinstance(schedule, list) or not schedule:
            raise InvalidInput("mangler avdragsplan", where=f"{where}.schedule")
        for i, item in enumerate(schedule, 1):
            _date(item, "due", f"{where}.schedule[{i}]")
            _amount(item, "amount", f"{where}.schedule[{i}]")


def _validate_settlement(content: dict, where: str) -> None:
    for key in ("ref", "sent_on", "account_number"):
        _need(content, key, where)
    period = _need(content, "period", where)
    _date(period, "from", f"{where}.period")
    _date(period, "through", f"{where}.period")
    totals = _need(content, "totals", where)
    for key in ("collected", "costs", "commission", "to_creditor"):
        _amount(totals, key, f"{where}.totals")
    lines = content.get("lines")
    if not isinstance(lines, list):
        raise InvalidInput("mangler linjer", where=f"{where}.lines")
    for i, line in enumerate(lines, 1):
        for key in ("ref", "collected", "to_creditor"):
            _need(line, key, f"{where}.lines[{i}]")
