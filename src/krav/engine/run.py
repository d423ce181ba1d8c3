"""The nightly run: select due claims set-wise, plan them (pure), apply each batch atomically.

Architecture decision 4: claims carry an indexed ``next_action_on``; the run selects
``status = 'open' AND next_action_on <= as_of`` in id order, plans each claim with pure rules
and writes state, postings, letters (the outbox) and events in **one transaction per batch**.
Letters and postings are keyed ``(claim, step)`` unique and claims are updated with an optimistic
``version`` check, so a second run of the same day, or a re-run after a crash, never doubles a
letter or a fee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select
from sqlalchemy.engine import RowMapping

from krav.accounts.principal import Actor
from krav.audit.service import record
from krav.cases.content import balances_by_component, build_content, claim_rows_query
from krav.cases.model import ClaimState
from krav.cases.policy import Policy, default_policy, policy_from_json, validate_policy
from krav.cases.profile import LETTER_FIELDS, hold_reason, missing_fields
from krav.cases.service import expired_pauses, resume_expired_pauses
from krav.db.bulk import insert_rows, update_versioned
from krav.db.tables import (
    case_access,
    claims,
    creditors,
    debtors,
    events,
    letters,
    postings,
    runs,
)
from krav.engine.plan import ClaimPlan, PlanContext, plan_claim
from krav.kernel.errors import KravError
from krav.kernel.money import from_ore, to_ore
from krav.law import law_book
from krav.law.check import require_known
from krav.letters.delivery import awaiting_letter
from krav.settings import Agency, load_settings

BATCH_SIZE = 5000


@dataclass
class RunSummary:
    as_of: date
    dry_run: bool
    claims_due: int = 0
    claims_changed: int = 0
    letters: dict[str, int] = field(default_factory=dict)
    postings: dict[str, int] = field(default_factory=dict)
    charged_ore: int = 0
    events: dict[str, int] = field(default_factory=dict)
    plans: list[dict[str, Any]] = field(default_factory=list)  # dry-run detail
    # creditors held back: a policy no longer lawful, or a profile letters cannot be made from
    held_creditors: list[str] = field(default_factory=list)
    claims_held: int = 0
    resumed: int = 0  # paused cases whose pause ran out
    waiting_for_letter: int = 0  # due, but the letter before the step is not sent yet
    agreements: dict[str, int] = field(default_factory=dict)  # krav.agreements.nightly

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of, "dry_run": self.dry_run, "claims_due": self.claims_due,
            "claims_changed": self.claims_changed, "letters": self.letters,
            "postings": self.postings, "charged": from_ore(self.charged_ore),
            "events": self.events, "held_creditors": self.held_creditors,
            "claims_held": self.claims_held, "resumed": self.resumed,
            "waiting_for_letter": self.waiting_for_letter, "agreements": self.agreements,
            **({"plans": self.plans} if self.dry_run else {}),
        }


def load_policies(conn: Connection, book: Any, on: date
                  ) -> tuple[dict[int, Policy], dict[int, str]]:
    """Every creditor's policy, parsed and checked against the law in force ``on``, and its
    profile checked for what the letters need (one query for all creditors).

    Returns the lawful policies by creditor id, and for each creditor held back the reason: its
    stored policy is no longer lawful (the law changed since it was set), or its profile lacks
    what its letters must show (``krav.cases.profile``: name, address, account). Those
    creditors' cases are held — nothing is sent or charged for them — while every other
    creditor's cases run.
    """
    lawful: dict[int, Policy] = {}
    held: dict[int, str] = {}
    profile_columns = [creditors.c[key] for key in LETTER_FIELDS]
    for row in conn.execute(select(creditors.c.id, creditors.c.orgnr, creditors.c.policy,
                                   *profile_columns)):
        cid, orgnr, raw = row.id, row.orgnr, row.policy
        reasons = []
        missing = missing_fields(row._mapping)
        if missing:
            reasons.append(hold_reason(orgnr, missing))
        try:
            policy = default_policy(book.regime(on)) if raw is None \
                else policy_from_json(raw, where=f"policy for {orgnr}")
            policy = validate_policy(policy, book, on=on)
        except KravError as exc:
            reasons.append(f"oppdragsgiver {orgnr} holdes tilbake: {exc}")
        if reasons:
            held[cid] = "; ".join(reasons)
        else:
            lawful[cid] = policy
    return lawful, held


_STATE_COLUMNS = [
    claims.c.id, claims.c.ref, claims.c.creditor_id, claims.c.due_date, claims.c.status,
    claims.c.stage, claims.c.step_index, claims.c.fee_letters, claims.c.last_deadline,
    claims.c.demand_sent_on, claims.c.demand_deadline, claims.c.legal_deadline,
    claims.c.next_action_on, claims.c.approved, claims.c.instalments,
    debtors.c.kind.label("debtor_kind"), creditors.c.vat_deductible, claims.c.principal_ore,
    claims.c.interest_ore, claims.c.costs_ore, claims.c.interest_through,
    claims.c.recovery_costs_ore, claims.c.compensation_ore, claims.c.version,
    claims.c.original_principal_ore,
]
_MONEY = {"principal_ore": "principal", "interest_ore": "interest", "costs_ore": "costs",
          "recovery_costs_ore": "recovery_costs", "compensation_ore": "compensation",
          "original_principal_ore": "original_principal"}


_STATE_KEYS = [c.key for c in _STATE_COLUMNS]
_MONEY_AT = frozenset(i for i, key in enumerate(_STATE_KEYS) if key in _MONEY)
assert [_MONEY.get(k, k) for k in _STATE_KEYS] == list(ClaimState.__dataclass_fields__), \
    "_STATE_COLUMNS must list ClaimState's fields in order"


def state_from_row(row: Any) -> ClaimState:
    """A ``ClaimState`` from a row whose first columns are ``_STATE_COLUMNS`` (øre → kroner)."""
    values: list[Any] = [from_ore(v) if i in _MONEY_AT else v
                         for i, v in enumerate(row[:len(_STATE_KEYS)])]
    return ClaimState(*values)


def _due_filter(as_of: date):  # type: ignore[no-untyped-def]
    """Due: open, a step due by ``as_of``, and no step letter still waiting to be sent — the
    next step waits until the letter before it went out (INKL § 9: the deadline runs from
    sending). One correlated NOT EXISTS, answered from the index on ``letters.claim_id``."""
    return and_(claims.c.status == "open", claims.c.next_action_on <= as_of,
                ~awaiting_letter())


def _due_batch(conn: Connection, as_of: date, after_id: int, size: int) -> list[Any]:
    """One batch of due claims with everything the planner and the letters need (one query)."""
    content_columns = [c for c in claim_rows_query().selected_columns
                       if c.key not in {col.key for col in _STATE_COLUMNS}]
    query = (select(*_STATE_COLUMNS, *content_columns)
             .join(debtors, debtors.c.id == claims.c.debtor_id)
             .join(creditors, creditors.c.id == claims.c.creditor_id)
             .outerjoin(case_access, case_access.c.claim_id == claims.c.id)
             .where(_due_filter(as_of), claims.c.id > after_id)
             .order_by(claims.c.id).limit(size))
    return list(conn.execute(query).all())


def run_nightly(engine: Engine, *, as_of: date, dry_run: bool = False,
                batch_size: int = BATCH_SIZE, agency: Agency | None = None,
                progress: Callable[[int, int], None] | None = None,
                actor: Actor | None = None) -> RunSummary:
    """Advance every claim with an action due on or before ``as_of``.

    ``progress(done, total)`` is called after each batch. Returns what was (or, with
    ``dry_run``, would be) done. A run that was not a dry run writes one audit row (``run``,
    by ``actor``) with what it did.
    """
    book = law_book()
    # Every quantity the run may use (the half-yearly interest rate and § 3 a compensation among
    # them) must be known for the run day: a gap stops the run here, before anything is
    # written, not halfway through.
    require_known(book, as_of)
    agency = agency or load_settings().agency
    summary = RunSummary(as_of=as_of, dry_run=dry_run)
    # A pause that ran out (``krav case pause --until``) ends first, so its case's step can run
    # tonight; a dry run only counts them.
    if dry_run:
        with engine.connect() as reader:
            summary.resumed = expired_pauses(reader, as_of)
    else:
        with engine.begin() as conn:
            summary.resumed = resume_expired_pauses(conn, as_of)
        # deferrals and payment plans: completed, breached (a notice), ended (collection
        # resumes tonight); the claims they hold are paused and get no step below
        from krav.agreements.nightly import run_agreements

        with engine.begin() as conn:
            summary.agreements = run_agreements(conn, as_of=as_of, book=book, agency=agency)
    with engine.connect() as reader:
        policies, held = load_policies(reader, book, as_of)
        ctx = PlanContext(book=book, as_of=as_of, policies=policies)
        # a creditor held back matters tonight only when it has a step due: an incomplete
        # profile of a new client with no claims yet is not a reason to fail the run
        summary.held_creditors = sorted(held[c] for c in _with_due_claims(reader, held, as_of))
        summary.claims_due = reader.execute(
            select(func.count()).select_from(claims).where(_due_filter(as_of))).scalar_one()
        summary.waiting_for_letter = reader.execute(
            select(func.count()).select_from(claims).where(
                claims.c.status == "open", claims.c.next_action_on <= as_of,
                awaiting_letter())).scalar_one()
    started = datetime.now()
    done = 0
    last_id = 0
    while True:
        with engine.begin() as conn:
            rows = _due_batch(conn, as_of, last_id, batch_size)
            if not rows:
                break
            last_id = rows[-1][0]
            plans = [plan_claim(state_from_row(row), ctx) for row in rows
                     if row.creditor_id in policies]
            summary.claims_held += len(rows) - len(plans)
            _count(summary, plans)
            if dry_run:
                summary.plans.extend(_describe(p) for p in plans if p.changed)
            else:
                _apply(conn, plans, ctx, agency, {row[0]: row._mapping for row in rows})
        done += len(rows)
        if progress:
            progress(done, summary.claims_due)
    if not dry_run:
        with engine.begin() as conn:
            conn.execute(insert(runs).values(
                as_of=as_of, started_at=started, finished_at=datetime.now(),
                claims_due=summary.claims_due, actions=summary.claims_changed))
            record(conn, actor, "run", details={
                "as_of": as_of.isoformat(), "claims_due": summary.claims_due,
                "claims_changed": summary.claims_changed, "claims_held": summary.claims_held,
                "letters": summary.letters, "postings": summary.postings,
                "charged": f"{from_ore(summary.charged_ore):.2f}",
                "held_creditors": len(summary.held_creditors)})
    return summary


def _with_due_claims(conn: Connection, held: dict[int, str], as_of: date) -> list[int]:
    """The creditors of ``held`` that have a claim due on ``as_of`` (one query)."""
    if not held:
        return []
    return list(conn.execute(select(claims.c.creditor_id).distinct().where(
        claims.c.creditor_id.in_(list(held)), _due_filter(as_of))).scalars())


def _count(summary: RunSummary, plans: list[ClaimPlan]) -> None:
    for plan in plans:
        summary.claims_changed += plan.changed
        for letter in plan.letters:
            summary.letters[letter.kind] = summary.letters.get(letter.kind, 0) + 1
        for posting in plan.postings:
            summary.postings[posting.kind] = summary.postings.get(posting.kind, 0) + 1
            summary.charged_ore += to_ore(posting.amount)
        for kind, _ in plan.events:
            summary.events[kind] = summary.events.get(kind, 0) + 1


def _describe(plan: ClaimPlan) -> dict[str, Any]:
    return {
        "ref": plan.before.ref, "from_stage": plan.before.stage, "to_stage": plan.after.stage,
        "letters": [{"kind": x.kind, "sender": x.sender, "sent_on": x.sent_on,
                     "deadline": x.deadline, "fee": x.fee} for x in plan.letters],
        "postings": [{"kind": p.kind, "amount": p.amount, "rule": p.rule,
                      "reference": p.reference} for p in plan.postings],
        "next_action_on": plan.after.next_action_on,
    }


_POSTING_COLUMNS = ("claim_id", "on", "kind", "component", "amount_ore", "rule", "reference",
                    "inputs", "key")
_LETTER_COLUMNS = ("claim_id", "step_key", "kind", "sender", "sent_on", "deadline", "fee_ore",
                   "language", "content", "status", "attempts")
_CLAIM_STATE_COLUMNS = ("stage", "step_index", "fee_letters", "last_deadline", "demand_sent_on",
                        "demand_deadline", "legal_deadline", "next_action_on", "interest_ore",
                        "costs_ore", "interest_through", "recovery_costs_ore", "compensation_ore",
                        "principal_ore", "status", "close_reason", "closed_on")


def _apply(conn: Connection, plans: list[ClaimPlan], ctx: PlanContext, agency: Agency,
           rows: dict[int, RowMapping]) -> None:
    """Write one batch: postings, claim state (version-checked), letters with content, events.

    The rows go to the driver as plain tuples (``krav.db.bulk``): this is the run's hot path.
    """
    changed = [p for p in plans if p.changed]
    with_letters = [p for p in changed if p.letters]
    letter_rows = _letter_rows(conn, with_letters, ctx, agency, rows) if with_letters else []
    insert_rows(conn, postings, _POSTING_COLUMNS, [
        (p.claim_id, p.on, p.kind, p.component, to_ore(p.amount), p.rule, p.reference, p.inputs,
         p.key) for plan in changed for p in plan.postings])
    update_versioned(conn, claims, _CLAIM_STATE_COLUMNS, [
        (a.stage, a.step_index, a.fee_letters, a.last_deadline, a.demand_sent_on,
         a.demand_deadline, a.legal_deadline, a.next_action_on, to_ore(a.interest),
         to_ore(a.costs), a.interest_through, to_ore(a.recovery_costs), to_ore(a.compensation),
         # the planner closes a case only as paid: a rest below the residual write-off
         to_ore(a.principal), a.status, "paid" if a.status == "closed" else None,
         ctx.as_of if a.status == "closed" else None,
         plan.before.id, plan.before.version)
        for plan in changed for a in (plan.after,)])
    from krav.webhooks.service import enqueue_events, enqueue_stage_letters, mark

    letters_mark, events_mark = mark(conn, letters), mark(conn, events)
    insert_rows(conn, letters, _LETTER_COLUMNS, letter_rows)
    insert_rows(conn, events, ("claim_id", "on", "kind", "detail", "actor"), [
        (plan.before.id, ctx.as_of, kind, detail, "nightly")
        for plan in changed for kind, detail in plan.events])
    # webhooks, set-wise from the rows just written: claim.stage_changed (a step letter or the
    # transfer to collection) and claim.closed
    enqueue_stage_letters(conn, letters_mark)
    enqueue_events(conn, events_mark)


def _balances_before_plan(conn: Connection, plans: list[ClaimPlan],
                          rows: dict[int, RowMapping]) -> dict[int, dict[str, Decimal]]:
    """Per-component balances before this run's postings.

    A claim that has only its principal (no costs, no interest, nothing paid: most claims getting
    their first letter) needs no query; the others are read from the ledger in one statement.
    """
    result: dict[int, dict[str, Decimal]] = {}
    need = []
    for plan in plans:
        b = plan.before
        row = rows[b.id]
        # interest crystallised after the due date means a letter or a payment happened, and a
        # payment of exactly the costs and interest leaves them at zero but shows as "paid"
        if b.costs or b.interest or b.compensation or b.interest_through > b.due_date or \
                row["principal_ore"] != row["original_principal_ore"]:
            need.append(b.id)
        else:
            result[b.id] = {"principal": b.principal}
    for start in range(0, len(need), 2000):
        result.update(balances_by_component(conn, need[start:start + 2000]))
    return result


def _letter_rows(conn: Connection, plans: list[ClaimPlan], ctx: PlanContext, agency: Agency,
                 rows: dict[int, RowMapping]) -> list[tuple[Any, ...]]:
    before = _balances_before_plan(conn, plans, rows)
    letter_rows = []
    for plan in plans:
        row = rows[plan.before.id]
        balances = dict(before.get(plan.before.id, {}))
        for posting in plan.postings:
            balances[posting.component] = (balances.get(posting.component, Decimal(0))
                                           + posting.amount)
        for letter in plan.letters:
            content = build_content(
                kind=letter.kind, sender=letter.sender, sent_on=letter.sent_on,
                deadline=letter.deadline, claim=row, balances=balances,
                agency=agency, book=ctx.book, enforcement_notice=letter.enforcement_notice,
                fee=letter.fee)
            letter_rows.append((
                plan.before.id, letter.step_key, letter.kind, letter.sender, letter.sent_on,
                letter.deadline, to_ore(letter.fee), content["language"], content, "pending", 0))
    return letter_rows
