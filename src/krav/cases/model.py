"""Claims and their process state (the case state machine's vocabulary).

Statuses: ``open`` (the process runs), ``paused`` (deferral or a hold by a person), ``disputed``
(an objection: everything stops, law-no.md § 7), ``closed`` (paid, withdrawn, written off,
time-barred). Stages while open, in order: ``invoiced`` → ``reminder`` → ``collection_notice`` →
(``awaiting_approval`` | ``below_minimum`` | ``letters_done``) → ``collection`` →
``payment_demand`` → ``salaer_lett`` → ``legal_ready``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

STATUSES = ("open", "paused", "disputed", "closed")
STAGES = (
    "invoiced", "reminder", "collection_notice", "awaiting_approval", "below_minimum",
    "letters_done", "collection", "payment_demand", "salaer_lett", "legal_ready",
)
CLOSE_REASONS = ("paid", "withdrawn", "written_off", "time_barred")
DEBTOR_KINDS = ("consumer", "business")

# The words a person reads for them (CLI, API problem details).
STAGE_NB = {
    "invoiced": "fakturert", "reminder": "purret", "collection_notice": "inkassovarsel",
    "awaiting_approval": "venter godkjenning", "below_minimum": "under minstebeløp",
    "letters_done": "brev ferdig", "collection": "inkasso", "payment_demand":
    "betalingsoppfordring", "salaer_lett": "salær (lett)", "legal_ready": "klar for rettslig",
}
STATUS_NB = {"open": "åpen", "paused": "pause", "disputed": "bestridt", "closed": "avsluttet"}
CLOSE_NB = {"paid": "betalt", "withdrawn": "trukket", "written_off": "avskrevet",
            "time_barred": "foreldet"}


@dataclass(slots=True)
class ClaimState:
    """What the planner needs to decide a claim's next step; amounts in kroner.

    The planner works on its own copy (``plan.after``) and changes it in place; ``evolve`` returns
    that same copy updated, which keeps the hot path free of object churn.
    """

    id: int
    ref: str
    creditor_id: int
    due_date: date
    status: str
    stage: str
    step_index: int
    fee_letters: int
    last_deadline: date | None
    demand_sent_on: date | None
    demand_deadline: date | None
    legal_deadline: date | None
    next_action_on: date | None
    approved: bool
    instalments: int
    debtor_kind: str
    vat_deductible: bool
    principal: Decimal
    interest: Decimal
    costs: Decimal
    interest_through: date
    recovery_costs: Decimal
    compensation: Decimal
    version: int
    # what the invoice was: less principal left means the debtor paid (or was credited) part
    original_principal: Decimal

    def evolve(self, **changes: object) -> ClaimState:
        for name, value in changes.items():
            setattr(self, name, value)
        return self

    def copy(self) -> ClaimState:
        return ClaimState(*[getattr(self, name) for name in _FIELDS])

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.costs


_FIELDS = tuple(ClaimState.__dataclass_fields__)
