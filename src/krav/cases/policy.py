"""Dunning policies: the steps a creditor's claims go through, checked against the law.

A policy that would break the law is refused before it runs (the "compliance lint"): each check
names the rule it enforces. The numbers come from the law data (``book.value``), not from here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from krav.kernel.errors import IllegalPolicy, InvalidInput
from krav.kernel.money import parse_amount, to_ore

PRE_COLLECTION_KINDS = ("reminder", "collection_notice")
SENDERS = ("creditor", "agency")
# A creditor's default for ``Policy.residual_write_off`` (its choice; see there).
DEFAULT_RESIDUAL_WRITE_OFF = Decimal("100.00")


@dataclass(frozen=True)
class Authority:
    """The creditor's authority (fullmakt) for deferrals and payment plans: what the agency may
    grant a debtor on the spot, without asking a person. Everything beyond it becomes a request
    that a case handler decides (``krav plan requests``). Policy data — the creditor's choice,
    not law; the defaults follow the public collector's self-service model (Sismo):

    * ``deferral_max_days``: a deferral (utsettelse) of at most this many days from the day it
      is asked for; it also bounds how far off a plan's first instalment may lie;
    * ``plan_max_months``: a payment plan (nedbetalingsavtale) whose last instalment falls at
      most this many months after the day it is made;
    * ``instalment_min``: the monthly instalment at least this much (kroner);
    * ``clean_months``: only for a debtor without a breached plan in this many months.
    ``plan_breach_after_days``: an instalment unpaid this many days after its due date is a
    breach (a breach notice with ``plan_breach_notice_days`` to pay goes out).
    """

    deferral_max_days: int = 30
    plan_max_months: int = 12
    instalment_min: Decimal = Decimal("500.00")
    clean_months: int = 12
    plan_breach_after_days: int = 14
    plan_breach_notice_days: int = 14

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["instalment_min"] = str(self.instalment_min)
        return data


DEFAULT_AUTHORITY = Authority()


@dataclass(frozen=True)
class LetterStep:
    """One letter before collection.

    ``delay_days`` counts from the due date for the first step and from the previous letter's
    deadline for later steps; ``deadline_days`` is the payment deadline the letter gives.
    """

    kind: str
    delay_days: int
    deadline_days: int
    fee: bool = True
    sender: str = "creditor"


@dataclass(frozen=True)
class Policy:
    """A creditor's dunning policy. ``collection`` turns on transfer to collection (inkasso).

    ``residual_write_off`` is the creditor's choice, not a legal quantity: a rest below it (in
    kroner, interest accrued to the day included) is not worth a letter. A payment that leaves
    less is booked with the rest written off (a ``writeoff`` posting, rule
    ``residual-write-off``) and the case closes as paid; the nightly run never sends a
    fee-bearing letter, charges salær or transfers to collection while less than it is owed.
    The default 100.00 kr mirrors the floor Skatteetaten itself applies before collecting small
    restskatt; ``0`` turns the write-off off.
    """

    steps: tuple[LetterStep, ...]
    collection: bool = True
    approval_required: bool = False
    transfer_delay_days: int = 1
    demand_deadline_days: int = 14
    enforcement_notice: bool = True
    min_amount: Decimal = Decimal("0.00")
    claim_compensation: bool = True
    residual_write_off: Decimal = DEFAULT_RESIDUAL_WRITE_OFF
    authority: Authority = DEFAULT_AUTHORITY

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["min_amount"] = str(self.min_amount)
        data["residual_write_off"] = str(self.residual_write_off)
        data["authority"] = self.authority.to_json()
        data["steps"] = [asdict(s) for s in self.steps]
        return data


DEFAULT_POLICY = Policy(
    steps=(
        LetterStep("reminder", delay_days=14, deadline_days=14, fee=True, sender="creditor"),
        LetterStep("collection_notice", delay_days=1, deadline_days=14, fee=True,
                   sender="creditor"),
    ),
)

# Under the 2026 act only an inkassoforetak may send the inkassovarsel (LOV-2026-05-22-19 § 20):
# the same process, with the agency sending the notice, so setting the act's in-force date in
# the law data switches the default without a code change.
DEFAULT_POLICY_2026 = Policy(
    steps=(
        DEFAULT_POLICY.steps[0],
        LetterStep("collection_notice", delay_days=1, deadline_days=14, fee=True, sender="agency"),
    ),
)


def default_policy(regime: str) -> Policy:
    """The default policy under ``regime`` (``book.regime(day)``)."""
    return DEFAULT_POLICY_2026 if regime == "inkl2026" else DEFAULT_POLICY


_STEP_KEYS = {f for f in LetterStep.__dataclass_fields__}
_POLICY_KEYS = {f for f in Policy.__dataclass_fields__}


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{value!r} er ikke et heltall", where=where)
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{value!r} er ikke true/false", where=where)
    return value


def policy_from_json(data: Mapping[str, Any] | None, *, where: str = "policy") -> Policy:
    """Parse a policy from JSON; ``None`` gives the default policy. Unknown keys are refused."""
    if data is None:
        return DEFAULT_POLICY
    unknown = set(data) - _POLICY_KEYS
    if unknown:
        raise InvalidInput(f"ukjent felt {sorted(unknown)[0]!r}", where=where,
                           allowed=", ".join(sorted(_POLICY_KEYS)))
    steps = []
    for i, raw in enumerate(data.get("steps", [asdict(s) for s in DEFAULT_POLICY.steps])):
        here = f"{where}.steps[{i}]"
        unknown = set(raw) - _STEP_KEYS
        if unknown:
            raise InvalidInput(f"ukjent felt {sorted(unknown)[0]!r}", where=here,
                               allowed=", ".join(sorted(_STEP_KEYS)))
        kind = raw.get("kind")
        if kind not in PRE_COLLECTION_KINDS:
            raise InvalidInput(f"ukjent brevtype {kind!r}", where=f"{here}.kind",
                               allowed=", ".join(PRE_COLLECTION_KINDS))
        sender = raw.get("sender", "creditor")
        if sender not in SENDERS:
            raise InvalidInput(f"ukjent avsender {sender!r}", where=f"{here}.sender",
                               allowed=", ".join(SENDERS))
        steps.append(LetterStep(
            kind=kind, sender=sender,
            delay_days=_int(raw.get("delay_days"), f"{here}.delay_days"),
            deadline_days=_int(raw.get("deadline_days"), f"{here}.deadline_days"),
            fee=_bool(raw.get("fee", True), f"{here}.fee"),
        ))
    defaults = DEFAULT_POLICY
    return Policy(
        steps=tuple(steps),
        collection=_bool(data.get("collection", defaults.collection), f"{where}.collection"),
        approval_required=_bool(data.get("approval_required", defaults.approval_required),
                                f"{where}.approval_required"),
        transfer_delay_days=_int(data.get("transfer_delay_days", defaults.transfer_delay_days),
                                 f"{where}.transfer_delay_days"),
        demand_deadline_days=_int(data.get("demand_deadline_days", defaults.demand_deadline_days),
                                  f"{where}.demand_deadline_days"),
        enforcement_notice=_bool(data.get("enforcement_notice", defaults.enforcement_notice),
                                 f"{where}.enforcement_notice"),
        min_amount=parse_amount(str(data.get("min_amount", "0.00")), where=f"{where}.min_amount",
                                allow_zero=True),
        claim_compensation=_bool(data.get("claim_compensation", defaults.claim_compensation),
                                 f"{where}.claim_compensation"),
        residual_write_off=_residual(data, where),
        authority=authority_from_json(data.get("authority"), where=f"{where}.authority"),
    )


_AUTHORITY_KEYS = {f for f in Authority.__dataclass_fields__}


def authority_from_json(data: Any, *, where: str = "policy.authority") -> Authority:
    """The ``authority`` object of a policy (absent: the defaults; a missing key: its default)."""
    if data is None:
        return DEFAULT_AUTHORITY
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{data!r} er ikke et objekt", where=where,
                           allowed=", ".join(sorted(_AUTHORITY_KEYS)))
    unknown = set(data) - _AUTHORITY_KEYS
    if unknown:
        raise InvalidInput(f"ukjent felt {sorted(unknown)[0]!r}", where=where,
                           allowed=", ".join(sorted(_AUTHORITY_KEYS)))
    d = DEFAULT_AUTHORITY
    values: dict[str, Any] = {}
    for key in _AUTHORITY_KEYS - {"instalment_min"}:
        value = _int(data.get(key, getattr(d, key)), f"{where}.{key}")
        if value < (0 if key == "clean_months" else 1):
            raise InvalidInput(f"{value} er for lite", where=f"{where}.{key}",
                               allowed="0 eller mer" if key == "clean_months" else "1 eller mer")
        values[key] = value
    raw = data.get("instalment_min", str(d.instalment_min))
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise InvalidInput(f"{raw!r} er ikke et beløp", where=f"{where}.instalment_min")
    values["instalment_min"] = parse_amount(str(raw), where=f"{where}.instalment_min",
                                            allow_zero=True)
    return Authority(**values)


def _residual(data: Mapping[str, Any], where: str) -> Decimal:
    raw = data.get("residual_write_off")
    if raw is None:
        return DEFAULT_RESIDUAL_WRITE_OFF
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InvalidInput(f"{raw!r} er ikke et beløp", where=f"{where}.residual_write_off",
                           allowed="et beløp i kroner, 0 eller mer (0 slår av nedskrivningen)")
    return parse_amount(str(raw), where=f"{where}.residual_write_off", allow_zero=True)


def residual_write_off_ore(raw: Any) -> int:
    """The ``residual_write_off`` of a stored policy (JSON text, a mapping or ``None`` for the
    default) in øre, for the payment lanes, which read it straight from the creditor row.

    A stored policy was validated when it was set; an unreadable one falls back to the default
    rather than stopping a bank import (the nightly run holds such a creditor anyway)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    try:
        amount = _residual(raw if isinstance(raw, Mapping) else {}, "policy")
    except InvalidInput:
        amount = DEFAULT_RESIDUAL_WRITE_OFF
    return to_ore(amount)


@dataclass
class _Limits:
    fee_min_days_after_due: int
    min_deadline_days: int
    max_fee_letters: int
    regime: str
    problems: list[str] = field(default_factory=list)


def policy_problems(policy: Policy, book: Any, *, on: date) -> list[str]:
    """Every way ``policy`` would break the law in force ``on``; empty when it is lawful."""
    limits = _Limits(
        fee_min_days_after_due=int(book.value("rules/fee_min_days_after_due", on)),
        min_deadline_days=int(book.value("rules/min_deadline_days", on)),
        max_fee_letters=int(book.value("rules/max_fee_letters_before_demand", on)),
        regime=book.regime(on),
    )
    _check_steps(policy, limits)
    _check_collection(policy, limits)
    return limits.problems


def _check_steps(policy: Policy, limits: _Limits) -> None:
    days_after_due = 0
    fee_steps = 0
    for i, step in enumerate(policy.steps, start=1):
        days_after_due += step.delay_days
        name = f"steg {i} ({step.kind})"
        if step.delay_days < (0 if i == 1 else 1):
            earliest = "på forfallsdagen" if i == 1 else "dagen etter forrige frist"
            limits.problems.append(
                f"{name}: brevet kan tidligst sendes {earliest} "
                "(inkassoloven § 9: fristen i forrige brev må være utløpt)")
        if step.fee:
            fee_steps += 1
            if days_after_due < limits.fee_min_days_after_due:
                limits.problems.append(
                    f"{name}: gebyr krever at brevet sendes minst {limits.fee_min_days_after_due} "
                    f"dager etter forfall, policyen sender etter {days_after_due} "
                    "(inkassoforskriften § 1-2 første ledd)")
        next_fee = i < len(policy.steps) and policy.steps[i].fee
        if (step.fee or next_fee or step.kind == "collection_notice") and \
                step.deadline_days < limits.min_deadline_days:
            limits.problems.append(
                f"{name}: betalingsfristen må være minst {limits.min_deadline_days} dager, "
                f"policyen gir {step.deadline_days} (inkassoloven § 9, inkassoforskriften § 1-2)")
        if step.kind == "collection_notice" and step.fee and step.sender == "creditor" \
                and limits.regime == "inkl2026":
            limits.problems.append(
                f"{name}: etter inkassoloven 2026 § 20 kan bare et inkassoforetak kreve gebyr for "
                "inkassovarsel; sett sender til agency eller fee til false")
        days_after_due += step.deadline_days
    if fee_steps > limits.max_fee_letters:
        limits.problems.append(
            f"policyen har {fee_steps} brev med gebyr før betalingsoppfordringen; høyst "
            f"{limits.max_fee_letters} er tillatt (inkassoforskriften § 1-3 første ledd)")


def _check_collection(policy: Policy, limits: _Limits) -> None:
    if not policy.collection:
        return
    kinds = [s.kind for s in policy.steps]
    if "collection_notice" not in kinds:
        limits.problems.append(
            "overføring til inkasso krever et inkassovarsel først (inkassoloven § 9)")
    elif kinds[-1] != "collection_notice":
        limits.problems.append(
            "inkassovarselet må være siste brev før overføring til inkasso (inkassoloven § 9: "
            "inkasso starter når varselets frist er ute)")
    if policy.transfer_delay_days < 1:
        limits.problems.append(
            "overføring til inkasso kan tidligst skje dagen etter at varselets frist er ute "
            "(inkassoloven § 9)")
    if policy.demand_deadline_days < limits.min_deadline_days:
        limits.problems.append(
            f"betalingsoppfordringen må gi minst {limits.min_deadline_days} dagers frist, "
            f"policyen gir {policy.demand_deadline_days} (inkassoloven § 10)")
    if policy.min_amount < 0:
        limits.problems.append("minstebeløpet kan ikke være negativt")
    if policy.residual_write_off < 0:
        limits.problems.append("grensen for nedskrivning av restbeløp (residual_write_off) kan "
                               "ikke være negativ")


def validate_policy(policy: Policy, book: Any, *, on: date) -> Policy:
    """Return ``policy`` if lawful on ``on``; otherwise :class:`IllegalPolicy` naming the rule."""
    problems = policy_problems(policy, book, on=on)
    if problems:
        raise IllegalPolicy("ulovlig policy: " + "; ".join(problems))
    return policy
