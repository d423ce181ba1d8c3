"""The agreements' part of the nightly run, set-wise (a few queries for every agreement at once).

Runs before the claims are planned, so a claim whose plan ends tonight takes its next step
tonight. While an agreement holds its claims they are paused: the run sends them no reminder,
notice or demand and charges them nothing.

1. **Paid**: an agreement whose claims are all closed is ``completed``.
2. **Deferral over**: a deferral whose new deadline has passed is ``ended`` (its case resumed
   the day after the deadline, ``cases.service.resume_expired_pauses``).
3. **Breach**: a plan with an instalment unpaid ``plan_breach_after_days`` after its due date
   (the creditor's policy, default 14) — or, after its last instalment, a rest still owed — gets
   a breach notice with a new deadline (``plan_breach_notice_days``) and becomes ``breached``.
4. **After the notice**: paid up by the deadline, the plan is ``active`` again; otherwise it
   ``ended`` and its claims' collection resumes where it stood (``agreements.resume``: nothing
   charged before is charged again; a rest below ``residual_write_off`` is written off).
5. **Limited agreements**: when the period is over, the agreement waits for a handler
   (``review``, in ``krav plan requests``); its claims stay paused until the handler decides.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, exists, select

from krav.agreements.plans import paid_by_agreement
from krav.agreements.resume import resume_claims
from krav.agreements.tables import (
    HOLDING,
    agreement_claims,
    agreement_instalments,
    agreements,
)
from krav.cases.content import balances_by_component, build_content, claim_rows_query
from krav.cases.policy import policy_from_json
from krav.db.bulk import insert_rows, update_versioned
from krav.db.tables import claims, creditors, events, letters
from krav.kernel.dates import next_business_day_on_or_after
from krav.kernel.money import ZERO, fmt, from_ore, to_ore
from krav.settings import Agency

CHUNK = 2000


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def run_agreements(conn: Connection, *, as_of: date, book: Any, agency: Agency) -> dict[str, int]:
    """Advance every agreement for the run of ``as_of``; returns counts by what happened."""
    from krav.webhooks.service import enqueue_events, events_mark

    mark = events_mark(conn)
    counts: dict[str, int] = {}
    counts["completed"] = _complete(conn, as_of)
    counts["deferrals_ended"] = _end_deferrals(conn, as_of)
    breached, cured, ended = _after_notice(conn, as_of)
    counts["cured"], counts["ended"] = cured, ended
    counts["breach_notices"], counts["review"] = _check_plans(conn, as_of, book, agency,
                                                              skip=breached)
    enqueue_events(conn, mark)
    return {k: v for k, v in counts.items() if v}


def _members(conn: Connection, ids: list[int]) -> dict[int, list[Any]]:
    """The claims of each agreement in plan order (one query per chunk)."""
    out: dict[int, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        for r in conn.execute(
                select(agreement_claims.c.agreement_id, agreement_claims.c.resume_on,
                       claims.c.id, claims.c.ref, claims.c.status, claims.c.creditor_id,
                       claims.c.stage, claims.c.principal_ore, claims.c.interest_ore,
                       claims.c.costs_ore, creditors.c.policy)
                .join(claims, claims.c.id == agreement_claims.c.claim_id)
                .join(creditors, creditors.c.id == claims.c.creditor_id)
                .where(agreement_claims.c.agreement_id.in_(chunk))
                .order_by(agreement_claims.c.agreement_id, agreement_claims.c.position)
        ).mappings():
            out[r["agreement_id"]].append(r)
    return out


def _events(conn: Connection, rows: list[tuple[int, date, str, dict[str, Any]]]) -> None:
    insert_rows(conn, events, ("claim_id", "on", "kind", "detail", "actor"),
                [(*r, "nightly") for r in rows])


def _complete(conn: Connection, as_of: date) -> int:
    """Agreements holding only closed claims are paid: ``completed``."""
    still_open = exists().where(agreement_claims.c.agreement_id == agreements.c.id,
                                agreement_claims.c.claim_id == claims.c.id,
                                claims.c.status != "closed")
    done = conn.execute(select(agreements.c.id, agreements.c.ref, agreements.c.version)
                        .where(agreements.c.status.in_(HOLDING), ~still_open)).all()
    if not done:
        return 0
    update_versioned(conn, agreements, ("status", "closed_on"),
                     [("completed", as_of, r.id, r.version) for r in done])
    members = _members(conn, [r.id for r in done])
    _events(conn, [(m["id"], as_of, "agreement_completed",
                    {"agreement": r.ref, "reason": "avtalen er betalt"})
                   for r in done for m in members[r.id]])
    return len(done)


def _end_deferrals(conn: Connection, as_of: date) -> int:
    rows = conn.execute(select(agreements.c.id, agreements.c.version).where(
        agreements.c.kind == "deferral", agreements.c.status == "active",
        agreements.c.until < as_of)).all()
    update_versioned(conn, agreements, ("status", "closed_on"),
                     [("ended", as_of, r.id, r.version) for r in rows])
    return len(rows)


def _after_notice(conn: Connection, as_of: date) -> tuple[set[int], int, int]:
    """Breached plans: those whose notice deadline has passed are cured or ended. Returns the
    ids still within their notice (not checked again tonight), and the counts."""
    rows = conn.execute(select(agreements).where(agreements.c.status == "breached")
                        ).mappings().all()
    waiting, over = set(), []
    for r in rows:
        if next_business_day_on_or_after(r["breach_deadline"]) + timedelta(days=1) <= as_of:
            over.append(r)
        else:
            waiting.add(r["id"])
    if not over:
        return waiting, 0, 0
    paid = {}
    for chunk in _chunks([r["id"] for r in over]):
        paid.update(paid_by_agreement(conn, chunk))
    cured = [r for r in over if to_ore(paid.get(r["id"], ZERO)) >= r["breach_due_ore"]]
    ended = [r for r in over if r not in cured]
    update_versioned(conn, agreements, ("status", "breach_notice_on", "breach_deadline",
                                        "breach_due_ore"),
                     [("active", None, None, None, r["id"], r["version"]) for r in cured])
    update_versioned(conn, agreements, ("status", "closed_on"),
                     [("ended", as_of, r["id"], r["version"]) for r in ended])
    members = _members(conn, [r["id"] for r in over])
    _events(conn, [(m["id"], as_of, "agreement_cured", {"agreement": r["ref"]})
                   for r in cured for m in members[r["id"]][:1]])
    _events(conn, [(m["id"], as_of, "agreement_ended",
                    {"agreement": r["ref"], "reason": "misligholdt: avdrag ikke betalt innen "
                                                     "fristen i varselet"})
                   for r in ended for m in members[r["id"]]])
    resume_claims(conn, [(r["ref"], m) for r in ended for m in members[r["id"]]], on=as_of,
                  actor="nightly")
    return waiting, len(cured), len(ended)


def _check_plans(conn: Connection, as_of: date, book: Any, agency: Agency, *,
                 skip: set[int]) -> tuple[int, int]:
    """Active plans: a breach notice where instalments are missing; limited agreements whose
    period is over go to review."""
    plans = [r for r in conn.execute(select(agreements).where(
        agreements.c.status == "active", agreements.c.kind.in_(("plan", "limited")))
    ).mappings().all() if r["id"] not in skip]
    if not plans:
        return 0, 0
    ids = [r["id"] for r in plans]
    members = _members(conn, ids)
    schedule: dict[int, list[Any]] = defaultdict(list)
    paid: dict[int, Decimal] = {}
    for chunk in _chunks(ids):
        for i in conn.execute(select(agreement_instalments)
                              .where(agreement_instalments.c.agreement_id.in_(chunk))
                              .order_by(agreement_instalments.c.agreement_id,
                                        agreement_instalments.c.n)).mappings():
            schedule[i["agreement_id"]].append(i)
        paid.update(paid_by_agreement(conn, chunk))
    breaches, reviews = [], []
    for plan in plans:
        claims_of = members[plan["id"]]
        if not claims_of or any(m["status"] == "disputed" for m in claims_of):
            continue  # a disputed claim gets no payment request (law-no.md § 7)
        authority = policy_from_json(claims_of[0]["policy"]).authority
        grace = timedelta(days=authority.plan_breach_after_days)
        due = [i for i in schedule[plan["id"]] if i["due"] + grace < as_of]
        if not due:
            continue
        got = to_ore(paid.get(plan["id"], ZERO))
        owed_cum = sum(i["amount_ore"] for i in due)
        all_due = len(due) == len(schedule[plan["id"]])
        if plan["kind"] == "limited" and all_due and got >= owed_cum:
            reviews.append(plan)
            continue
        rest = sum(m["principal_ore"] + m["interest_ore"] + m["costs_ore"] for m in claims_of
                   if m["status"] != "closed")
        if got < owed_cum:
            missing, shortfall = _missing(due, got), owed_cum - got
        elif all_due and plan["kind"] == "plan" and rest > 0:
            missing, shortfall = [], rest  # every instalment paid, but a rest is still owed
        else:
            continue
        deadline = as_of + timedelta(days=authority.plan_breach_notice_days)
        breaches.append((plan, missing, shortfall, got + shortfall, deadline))
    update_versioned(conn, agreements, ("status",), [("review", r["id"], r["version"])
                                                     for r in reviews])
    _events(conn, [(members[r["id"]][0]["id"], as_of, "agreement_review",
                    {"agreement": r["ref"], "reason": "perioden er over"}) for r in reviews])
    if breaches:
        update_versioned(conn, agreements, ("status", "breach_notice_on", "breach_deadline",
                                            "breach_due_ore"),
                         [("breached", as_of, deadline, due_ore, p["id"], p["version"])
                          for p, _, _, due_ore, deadline in breaches])
        _notices(conn, breaches, members, as_of, book, agency)
    return len(breaches), len(reviews)


def _per_case(content: dict[str, Any], members: list[Any]) -> None:
    owed = [(m["ref"], from_ore(m["principal_ore"] + m["interest_ore"] + m["costs_ore"]))
            for m in members if m["status"] != "closed"]
    content["lines"] = [{"label": f"Sak {ref}", "amount": fmt(amount),
                         "basis": "hovedstol, renter og kostnader bokført til nå",
                         "label_en": f"Case {ref}", "rule": "agreement"} for ref, amount in owed]
    content["amounts"]["total"] = fmt(sum((a for _, a in owed), ZERO))


def _missing(due: list[Any], paid_ore: int) -> list[Any]:
    """The instalments (in order) that the payments so far do not cover."""
    out = []
    for i in due:
        covered = min(i["amount_ore"], paid_ore)
        paid_ore -= covered
        if covered < i["amount_ore"]:
            out.append({**i, "amount_ore": i["amount_ore"] - covered})
    return out


def _notices(conn: Connection, breaches: list[Any], members: dict[int, list[Any]], as_of: date,
             book: Any, agency: Agency) -> None:
    """One breach notice per plan, about its first claim (three queries in all)."""
    from krav.agreements.service import sender_of

    anchors = [members[p["id"]][0]["id"] for p, *_ in breaches]
    rows: dict[int, Any] = {}
    for chunk in _chunks(anchors):
        rows.update({r["id"]: r for r in conn.execute(
            claim_rows_query().where(claims.c.id.in_(chunk))).mappings()})
    balances = balances_by_component(conn, anchors)
    letter_rows, event_rows = [], []
    for (plan, missing, shortfall, _, deadline), anchor in zip(breaches, anchors, strict=True):
        first = members[plan["id"]][0]
        sender = sender_of(first)
        extra = {"agreement": plan["ref"],
                 "schedule": [{"n": i["n"], "due": i["due"].isoformat(),
                               "amount": fmt(from_ore(i["amount_ore"])), "kid": i["kid"]}
                              for i in missing],
                 "plan": {"ref": plan["ref"], "kind": plan["kind"],
                          "cases": [m["ref"] for m in members[plan["id"]]],
                          "total": fmt(from_ore(plan["total_ore"])),
                          "shortfall": fmt(from_ore(shortfall))}}
        content = build_content(kind="plan_breach_notice", sender=sender, sent_on=as_of,
                                deadline=deadline, claim=rows[anchor],
                                balances=balances.get(anchor, {}), agency=agency, book=book,
                                extra=extra)
        if len(members[plan["id"]]) > 1:  # what each of the plan's cases still owes
            _per_case(content, members[plan["id"]])
        letter_rows.append((anchor, f"plan_breach:{plan['ref']}:{as_of.isoformat()}",
                            "plan_breach_notice", sender, as_of, deadline, 0,
                            content["language"], content, "pending", 0))
        for m in members[plan["id"]]:
            event_rows.append((m["id"], as_of, "agreement_breached",
                               {"agreement": plan["ref"], "shortfall": fmt(from_ore(shortfall)),
                                "deadline": deadline.isoformat(),
                                "reason": "avdrag ikke betalt"}))
    insert_rows(conn, letters, ("claim_id", "step_key", "kind", "sender", "sent_on", "deadline",
                                "fee_ore", "language", "content", "status", "attempts"),
                letter_rows)
    _events(conn, event_rows)
