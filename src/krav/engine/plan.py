"""The nightly run's planner: pure rules that decide each due claim's next steps.

Given a claim's state, its creditor's policy, the law and the run day (``as_of``), the planner
returns what to do — letters, postings, state changes — without touching the database. A run that
was missed for days catches up: letters go out on the run day and deadlines count from it. Steps
that fall due on the same day chain (transfer to collection and the payment demand go together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from krav.cases.model import ClaimState
from krav.cases.policy import LetterStep, Policy
from krav.kernel.dates import add_months, next_business_day_on_or_after
from krav.kernel.money import round_half_up
from krav.law import rules
from krav.ledger.model import Posting
from krav.ledger.working import RESIDUAL_REFERENCE, RESIDUAL_RULE

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PlannedLetter:
    """A letter to record in the outbox; ``lines``/``amounts`` are completed by the applier."""

    step_key: str
    kind: str
    sender: str
    sent_on: date
    deadline: date | None
    fee: Decimal
    enforcement_notice: bool = False


@dataclass
class ClaimPlan:
    """Everything the run will do to one claim, and its state afterwards."""

    before: ClaimState
    after: ClaimState
    letters: list[PlannedLetter] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.after != self.before


@dataclass
class PlanContext:
    """What every claim in a run shares; memoises rule results that repeat across claims."""

    book: Any
    as_of: date
    policies: dict[int, Policy]  # by creditor id
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def letter_fee(self, *, kind: str, due: date, sent_on: date, sender: str) -> Any:
        key = ("fee", kind, due, sent_on, sender)
        if key not in self._memo:
            self._memo[key] = rules.letter_fee(self.book, kind=kind, due=due, sent_on=sent_on,
                                               sender=sender)
        return self._memo[key]

    def interest(self, *, principal: Decimal, start: date, end: date) -> tuple[Decimal, Any]:
        """Interest on ``principal`` for days start+1 … end: (amount, result per krone).

        The exact interest is linear in the principal, so the per-krone result of
        ``rules.interest`` is computed once per period and scaled; the exact product is rounded
        half-up to øre once (FRL § 3, krav's convention in law-no.md § 3).
        """
        key = ("interest", start, end)
        if key not in self._memo:
            self._memo[key] = rules.interest(self.book, principal=Decimal(1), start=start, end=end)
        per_krone = self._memo[key]
        return round_half_up(per_krone.exact * principal), per_krone


def after_deadline(deadline: date, delay_days: int) -> date:
    """When the step after a deadline may run.

    A payment made on the first business day after a deadline that falls on a weekend or holiday
    is in time (law-no.md § 8, finansavtaleloven § 4-5), so the deadline counts as expiring then.
    """
    return next_business_day_on_or_after(deadline) + timedelta(days=delay_days)


def plan_claim(state: ClaimState, ctx: PlanContext) -> ClaimPlan:
    """Plan every step of ``state`` due on or before ``ctx.as_of`` (at most one per stage)."""
    plan = ClaimPlan(before=state, after=state.copy())
    policy = ctx.policies[state.creditor_id]
    for _ in range(8):  # a claim moves through at most a handful of stages in one run
        current = plan.after
        if current.status != "open" or current.next_action_on is None \
                or current.next_action_on > ctx.as_of:
            break
        _step(plan, policy, ctx)
    return plan


def _step(plan: ClaimPlan, policy: Policy, ctx: PlanContext) -> None:
    state = plan.after
    small = _below_residual(plan, policy, ctx)
    if small and _write_off_or_hold(plan, policy, ctx, small):
        return
    if state.stage in ("invoiced", "reminder", "collection_notice") \
            and state.step_index < len(policy.steps):
        _send_pre_collection_letter(plan, policy.steps[state.step_index], ctx, free=bool(small))
    elif state.stage in ("invoiced", "reminder", "collection_notice", "awaiting_approval"):
        _transfer_or_hold(plan, policy, ctx)
    elif state.stage == "collection":
        _send_payment_demand(plan, policy, ctx)
    elif state.stage == "payment_demand":
        _charge_salaer(plan, ctx, level="lett")
    elif state.stage == "salaer_lett":
        _charge_salaer(plan, ctx, level="tung")
    else:  # stages that wait for a person
        plan.after = state.evolve(next_action_on=None)


def _below_residual(plan: ClaimPlan, policy: Policy, ctx: PlanContext) -> Decimal:
    """What the claim owes on the run day (interest accrued to it included) when that is more
    than nothing but less than the creditor's ``residual_write_off``; otherwise zero."""
    state = plan.after
    threshold = policy.residual_write_off
    if threshold <= 0:
        return ZERO
    accrued = ZERO
    if state.principal > 0 and ctx.as_of > state.interest_through:
        accrued, _ = ctx.interest(principal=state.principal, start=state.interest_through,
                                  end=ctx.as_of)
    owed = state.total + accrued
    return owed if ZERO < owed < threshold else ZERO


def _write_off_or_hold(plan: ClaimPlan, policy: Policy, ctx: PlanContext, owed: Decimal) -> bool:
    """A claim that owes less than the creditor's ``residual_write_off`` (``cases.policy``) gets
    no fee-bearing letter, no salær and no transfer to collection. Returns whether the step was
    taken here; otherwise the letter step runs without a fee.

    * Part of the invoice was paid and no costs are owed (the usual rest: the debtor paid the
      letter's amount and interest ran on a few days): the rest is written off on the run day —
      interest crystallised to it, then ``writeoff`` postings naming the rule — and the case
      closes as paid, as a payment that left it would have done (``ledger.working``).
    * Costs are still owed on such a rest (a principal-first order or the debtor's designation):
      the planner has no per-component balances to write them off with, so the case waits for a
      person (held, ``next_action_on`` cleared) with the reason.
    * Nothing was paid (a small invoice): reminders and the inkassovarsel go out without a fee
      (``free``); the transfer to collection — and any later step — is held instead.
    """
    state = plan.after
    threshold = policy.residual_write_off
    paid_part = state.principal < state.original_principal
    if paid_part and state.costs == 0:
        _crystallise_interest(plan, ctx, ctx.as_of)
        after = plan.after
        inputs = {"threshold": str(threshold), "rest": str(after.total)}
        for component, amount in (("interest", after.interest), ("principal", after.principal)):
            if amount > 0:
                plan.postings.append(Posting(
                    claim_id=state.id, on=ctx.as_of, kind="writeoff", component=component,
                    amount=-amount, rule=RESIDUAL_RULE, reference=RESIDUAL_REFERENCE,
                    key=f"writeoff:{ctx.as_of.isoformat()}:{component}", inputs=inputs))
        plan.events.append(("closed", {"reason": "paid", "written_off": str(after.total),
                                       "rule": RESIDUAL_RULE, "threshold": str(threshold)}))
        plan.after = after.evolve(principal=ZERO, interest=ZERO, status="closed",
                                  next_action_on=None)
        return True
    if paid_part or state.stage not in ("invoiced", "reminder", "collection_notice") \
            or state.step_index >= len(policy.steps):
        held = {"reason": "below_residual_write_off", "owed": str(owed),
                "threshold": str(threshold)}
        if state.stage in ("invoiced", "reminder", "collection_notice", "awaiting_approval"):
            plan.after = state.evolve(stage="below_minimum", next_action_on=None)
        else:
            plan.after = state.evolve(next_action_on=None)
        plan.events.append(("held", held))
        return True
    return False


def _crystallise_interest(plan: ClaimPlan, ctx: PlanContext, until: date) -> None:
    """Post interest accrued on the unpaid principal up to ``until`` (FRL § 3; decision 3)."""
    state = plan.after
    if until <= state.interest_through or state.principal <= 0:
        return
    amount, result = ctx.interest(principal=state.principal, start=state.interest_through,
                                  end=until)
    plan.after = state.evolve(interest_through=until)
    if amount <= 0:
        return
    first = result.periods[0].first if result.periods else until
    plan.postings.append(Posting(
        claim_id=state.id, on=until, kind="interest", component="interest", amount=amount,
        rule="FRL-3-forsinkelsesrente", key=f"interest:{until.isoformat()}",
        reference="forsinkelsesrenteloven § 3 første ledd",
        inputs={"principal": str(state.principal), "from": first.isoformat(),
                "through": until.isoformat(), "days": str(result.days),
                "rates": ",".join(str(p.rate) for p in result.periods)},
    ))
    plan.after = plan.after.evolve(interest=plan.after.interest + amount)


def _charge_cost(plan: ClaimPlan, *, component: str, charge: Any, on: date, key: str,
                 extra: dict[str, str] | None = None) -> Decimal:
    """Post a recovery cost, offset against the § 3a compensation already claimed."""
    state = plan.after
    chargeable = rules.offset_against_compensation(
        compensation=state.compensation, costs_before=state.recovery_costs,
        new_cost=charge.amount)
    inputs = {**charge.inputs, **(extra or {}), "full_amount": str(charge.amount)}
    if chargeable != charge.amount:
        inputs["offset_against_compensation"] = str(charge.amount - chargeable)
    plan.after = state.evolve(recovery_costs=state.recovery_costs + charge.amount,
                              costs=state.costs + chargeable)
    if chargeable > 0 or charge.amount > 0:
        plan.postings.append(Posting(
            claim_id=state.id, on=on, kind=component, component=component, amount=chargeable,
            rule=charge.rule, reference=charge.reference, key=key, inputs=inputs))
    return chargeable


def _claim_compensation(plan: ClaimPlan, policy: Policy, ctx: PlanContext) -> None:
    """FRL § 3a: a business debtor owes the standard compensation once per claim."""
    state = plan.after
    if not policy.claim_compensation or state.debtor_kind != "business" or state.compensation:
        return
    charge = rules.compensation(ctx.book, debtor_kind=state.debtor_kind, on=ctx.as_of)
    if charge.amount <= 0:
        return
    # Costs already charged are offset against it: only the excess is new (INKF §§ 1-5, 2-6).
    new_part = max(ZERO, charge.amount - state.recovery_costs)
    plan.postings.append(Posting(
        claim_id=state.id, on=ctx.as_of, kind="compensation", component="compensation",
        amount=new_part, rule=charge.rule, reference=charge.reference, key="compensation",
        inputs={**charge.inputs, "full_amount": str(charge.amount),
                "offset_against_costs": str(charge.amount - new_part)}))
    plan.after = state.evolve(compensation=charge.amount, costs=state.costs + new_part)


def _send_pre_collection_letter(plan: ClaimPlan, step: LetterStep, ctx: PlanContext, *,
                                free: bool = False) -> None:
    """One letter of the policy; ``free``: no fee and no § 3a compensation (a claim below the
    creditor's ``residual_write_off``)."""
    state = plan.after
    sent_on = ctx.as_of
    deadline = sent_on + timedelta(days=step.deadline_days)
    _crystallise_interest(plan, ctx, sent_on)
    if not free:
        _claim_compensation(plan, ctx.policies[state.creditor_id], ctx)
    key = f"step{state.step_index + 1}:{step.kind}"
    fee = ZERO
    max_fees = int(ctx.book.value("rules/max_fee_letters_before_demand", sent_on))
    if step.fee and not free and plan.after.fee_letters < max_fees:
        charge = ctx.letter_fee(kind=step.kind, due=state.due_date, sent_on=sent_on,
                                sender=step.sender)
        if charge.amount > 0:
            fee = _charge_cost(plan, component=f"{step.kind}_fee", charge=charge, on=sent_on,
                               key=f"fee:{key}", extra={"sender": step.sender})
            plan.after = plan.after.evolve(fee_letters=plan.after.fee_letters + 1)
    plan.letters.append(PlannedLetter(step_key=key, kind=step.kind, sender=step.sender,
                                      sent_on=sent_on, deadline=deadline, fee=fee))
    index = plan.after.step_index + 1
    policy = ctx.policies[state.creditor_id]
    next_delay = policy.steps[index].delay_days if index < len(policy.steps) \
        else policy.transfer_delay_days
    plan.after = plan.after.evolve(
        stage=step.kind, step_index=index, last_deadline=deadline,
        next_action_on=after_deadline(deadline, next_delay) if index < len(policy.steps)
        or policy.collection else None)
    if index >= len(policy.steps) and not policy.collection:
        plan.after = plan.after.evolve(stage="letters_done")


def _transfer_or_hold(plan: ClaimPlan, policy: Policy, ctx: PlanContext) -> None:
    """Oversendelse til inkasso: automatic, or held for the creditor's approval / minimum."""
    state = plan.after
    if state.principal < policy.min_amount:
        plan.after = state.evolve(stage="below_minimum", next_action_on=None)
        plan.events.append(("held", {"reason": "below_minimum",
                                     "min_amount": str(policy.min_amount)}))
        return
    if policy.approval_required and not state.approved:
        plan.after = state.evolve(stage="awaiting_approval", next_action_on=None)
        plan.events.append(("held", {"reason": "awaiting_approval"}))
        return
    plan.after = state.evolve(stage="collection", next_action_on=ctx.as_of)
    plan.events.append(("transferred", {"on": ctx.as_of.isoformat()}))


def _send_payment_demand(plan: ClaimPlan, policy: Policy, ctx: PlanContext) -> None:
    """Betalingsoppfordring (INKL § 10) from the agency, with the tvfbl. § 4-18 notice."""
    state = plan.after
    sent_on = ctx.as_of
    deadline = sent_on + timedelta(days=policy.demand_deadline_days)
    _crystallise_interest(plan, ctx, sent_on)
    _claim_compensation(plan, policy, ctx)
    charge = ctx.letter_fee(kind="payment_demand", due=state.due_date, sent_on=sent_on,
                            sender="agency")
    fee = ZERO
    if charge.amount > 0:
        fee = _charge_cost(plan, component="payment_demand_fee", charge=charge, on=sent_on,
                           key="fee:payment_demand", extra={"sender": "agency"})
    plan.letters.append(PlannedLetter(
        step_key="payment_demand", kind="payment_demand", sender="agency", sent_on=sent_on,
        deadline=deadline, fee=fee, enforcement_notice=policy.enforcement_notice))
    months = int(ctx.book.value("rules/legal_action_within_months", sent_on))
    plan.after = plan.after.evolve(
        stage="payment_demand", demand_sent_on=sent_on, demand_deadline=deadline,
        last_deadline=deadline, legal_deadline=add_months(sent_on, months),
        next_action_on=after_deadline(deadline, 1))


def _charge_salaer(plan: ClaimPlan, ctx: PlanContext, *, level: str) -> None:
    """Salær (INKF ch. 2): lett when the demand's deadline is missed, tung after > 28 days."""
    state = plan.after
    assert state.demand_deadline is not None
    charge = rules.salaer(
        ctx.book, basis=state.principal, due=state.due_date, sats_on=ctx.as_of,
        debtor_kind=state.debtor_kind, vat_deductible=state.vat_deductible, level=level,
        instalments=state.instalments)
    if level == "tung":
        lett = rules.salaer(
            ctx.book, basis=state.principal, due=state.due_date, sats_on=ctx.as_of,
            debtor_kind=state.debtor_kind, vat_deductible=state.vat_deductible, level="lett",
            instalments=state.instalments)
        charge = type(charge)(amount=max(ZERO, charge.amount - lett.amount), rule=charge.rule,
                              reference=charge.reference,
                              inputs={**charge.inputs, "less_lett": str(lett.amount)})
    _charge_cost(plan, component="salaer", charge=charge, on=ctx.as_of, key=f"salaer:{level}",
                 extra={"sender": "agency", "level": level})
    if level == "lett":
        tung_after = int(ctx.book.value("rules/salaer_tung_after_days", ctx.as_of))
        plan.after = plan.after.evolve(
            stage="salaer_lett",
            # "exceeded by more than 28 days" counts from the day a weekend/holiday deadline
            # moves to: a payment then is still in time (law-no.md § 8)
            next_action_on=after_deadline(state.demand_deadline, tung_after + 1))
    else:
        plan.after = plan.after.evolve(stage="legal_ready", next_action_on=None)
    plan.events.append((f"salaer_{level}", {"amount": str(charge.amount)}))
