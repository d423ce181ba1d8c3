"""``krav demo``: a year of a collection agency's life on the sample book, day by day.

Imports ~1 000 claims for three creditors, runs the nightly process for every day from the
earliest due date up to today, lets some debtors pay (in full or in part) and a few dispute,
then reports how the book stands. Everything goes through the real import, run and ledger code.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from sqlalchemy import Engine, func, insert, select

from krav.cases import service as case_service
from krav.db.tables import claims, creditors, payments, postings
from krav.demo.sample import write_claims_csv
from krav.engine.run import run_nightly
from krav.intake.service import import_claims_file
from krav.kernel.money import from_ore, to_ore
from krav.ledger.check import check
from krav.ledger.service import PaymentToAllocate, allocate_payments
from krav.letters.printing import mark_handed, print_batch

PAYING_STAGES = ("reminder", "collection_notice", "payment_demand", "salaer_lett", "legal_ready")


@dataclass
class DemoResult:
    first_day: date
    today: date
    claims: int
    disputes: int = 0
    payments: int = 0
    letters_sent: int = 0
    ledger_problems: list[str] = field(default_factory=list)


def run_demo(engine: Engine, *, today: date, count: int = 1000, workdir: Path = Path("out/demo"),
             progress: Callable[[int, int], None] | None = None, seed: int = 7) -> DemoResult:
    sample = write_claims_csv(workdir / "claims.csv", count=count, today=today)
    _configure_creditors(engine, sample.creditors)
    rng = random.Random(seed)
    first = today - timedelta(days=366)
    import_claims_file(engine, sample.path, as_of=first)
    result = DemoResult(first_day=first, today=today, claims=count)
    days = (today - first).days + 1
    disputed: dict[str, date] = {}
    for n in range(days):
        day = first + timedelta(days=n)
        run_nightly(engine, as_of=day)
        result.payments += _payments_of_the_day(engine, day, rng)
        _disputes_of_the_day(engine, day, rng, disputed, result)
        result.letters_sent += _post_room(engine, day, workdir / "print")
        if progress:
            progress(n + 1, days)
    with engine.connect() as conn:
        result.ledger_problems = check(conn)
    return result


def _configure_creditors(engine: Engine, sample_creditors: list[tuple[str, str]]) -> None:
    """Three agreements: full autopilot; approval before collection; MOD11 KIDs, min. amount."""
    rows = [
        {"orgnr": sample_creditors[0][0], "name": sample_creditors[0][1], "kid_mod": 10,
         "policy": None, "commission_pct": "0", "account_number": "12038004563"},
        {"orgnr": sample_creditors[1][0], "name": sample_creditors[1][1], "kid_mod": 11,
         "policy": {"approval_required": True}, "commission_pct": "10",
         "account_number": "15032080119"},
        {"orgnr": sample_creditors[2][0], "name": sample_creditors[2][1], "kid_mod": 10,
         "policy": {"min_amount": "500.00"}, "commission_pct": "0",
         "account_number": "60110514460"},
    ]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(insert(creditors).values(
                **row, address="Næringsveien 5", postcode="0150", city="Oslo", kid_length=10,
                kid_prefix="", vat_deductible=True, allocation_order="costs,interest,principal",
                channels=None, email="faktura@example.no"))


def _post_room(engine: Engine, day: date, out_dir: Path) -> int:
    """The day's letters go out the agency's way: the day's print file (no e-mail or SMS is
    configured in the demo) is made and handed to the post the same day — a letter is sent, and
    its case moves on, only then (``krav letters print-batch`` + ``krav letters handed``)."""
    printed = print_batch(engine, day=day, out_dir=out_dir,
                          now=datetime.combine(day, time(9)), workers=1)
    if not printed.letters:
        return 0
    return mark_handed(engine, day.isoformat(), on=day).letters


def _payments_of_the_day(engine: Engine, day: date, rng: random.Random) -> int:
    with engine.begin() as conn:
        open_claims = conn.execute(
            select(claims.c.id, claims.c.stage, claims.c.kid, claims.c.principal_ore,
                   claims.c.interest_ore, claims.c.costs_ore)
            .where(claims.c.status == "open", claims.c.stage.in_(PAYING_STAGES))
            .order_by(claims.c.id)).all()
        chosen = []
        for row in open_claims:
            roll = rng.random()
            total = row.principal_ore + row.interest_ore + row.costs_ore
            if roll < 0.03:
                # the debtor pays what the last letter said, plus a little interest since
                chosen.append((row, from_ore(total) + Decimal(rng.randint(0, 40))))
            elif roll < 0.036:
                part = (from_ore(total) * Decimal("0.4")).quantize(Decimal("1"), ROUND_DOWN)
                chosen.append((row, part))
        if not chosen:
            return 0
        items = []
        for row, amount in chosen:
            pid = conn.execute(insert(payments).values(
                source="giro", paid_on=day, booked_on=day, amount_ore=to_ore(amount),
                kid=row.kid, claim_id=row.id, status="matched")
                .returning(payments.c.id)).scalar_one()
            items.append(PaymentToAllocate(payment_id=pid, claim_id=row.id, amount=amount,
                                           paid_on=day))
        allocate_payments(conn, items, as_of=day)
        return len(items)


def _disputes_of_the_day(engine: Engine, day: date, rng: random.Random,
                         disputed: dict[str, date], result: DemoResult) -> None:
    with engine.begin() as conn:
        for ref, since in list(disputed.items()):
            if (day - since).days >= 21:
                case_service.resume(conn, ref, on=day)
                del disputed[ref]
        if rng.random() < 0.04:
            chosen: str | None = conn.execute(select(claims.c.ref).where(
                claims.c.status == "open",
                claims.c.stage.in_(("payment_demand", "collection_notice")))
                .order_by(claims.c.id).limit(1).offset(rng.randint(0, 20))).scalar()
            if chosen:
                case_service.dispute(conn, chosen, on=day,
                                     reason="Skyldner mener varen var mangelfull")
                result.disputes += 1
                if rng.random() < 0.5:
                    disputed[chosen] = day


def demo_totals(engine: Engine) -> dict[str, Decimal]:
    """Charged per posting kind and collected, for the summary table."""
    with engine.connect() as conn:
        rows = conn.execute(select(postings.c.kind, func.sum(postings.c.amount_ore))
                            .group_by(postings.c.kind)).all()
        collected = conn.execute(select(func.sum(payments.c.amount_ore))).scalar() or 0
    totals = {kind: from_ore(int(total or 0)) for kind, total in rows}
    totals["collected"] = from_ore(int(collected))
    return totals

