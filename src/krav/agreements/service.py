"""What a debtor, the agency's staff or the portal does with an agreement: one function per action.

- :func:`defer` — a deferral (utsettelse): a new deadline; the case's process waits until it has
  passed, and a confirmation letter goes out;
- :func:`propose` / :func:`accept` — a payment plan (nedbetalingsavtale) or a limited agreement
  (begrenset avtale) for one or more claims of one debtor, granted on the spot within the
  creditor's authority (``cases.policy.Authority``) or stored as a request for a handler;
- :func:`approve` / :func:`reject` — the handler decides a request; :func:`cancel` ends an
  agreement, and the claims' collection resumes where it stood.

Every function takes the connection (the caller owns the transaction), the day (``on``) and the
``actor``, writes its audit row in the same transaction, and reads no clock. A principal bound
to a creditor sees only that creditor's claims and agreements (``cases.access``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from sqlalchemy import Connection, func, insert, select, update

from krav.agreements import plans
from krav.agreements.authority import deferral_reasons
from krav.agreements.tables import LIVE, agreement_claims, agreements
from krav.cases.access import EVERY, creditor_scope, scoped
from krav.cases.policy import Policy, policy_from_json
from krav.db.tables import claims, creditors, events
from krav.kernel.dates import add_months, next_business_day_on_or_after
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.kernel.money import from_ore

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

COLLECTION_STAGES = ("collection", "payment_demand", "salaer_lett", "legal_ready")


# --- loading ---------------------------------------------------------------------------------

def _principal(actor: Actor | None) -> Any:
    return actor.principal if actor is not None else None


def load_claims(conn: Connection, refs: list[str], actor: Actor | None) -> list[Any]:
    """The claims ``refs`` (in the order given) with their creditor's policy, as the actor may
    see them; :class:`NotFound` for a ref that is unknown or not the actor's."""
    wanted = [r.strip().upper() for r in refs]
    if not wanted:
        raise InvalidInput("minst ett saksnummer", where="REF")
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("samme sak er oppgitt to ganger", where="REF")
    query = scoped(select(claims, creditors.c.policy.label("c_policy"),
                          creditors.c.vat_deductible.label("c_vat_deductible"))
                   .join(creditors, creditors.c.id == claims.c.creditor_id)
                   .where(claims.c.ref.in_(wanted)), _principal(actor))
    found = {r["ref"]: r for r in conn.execute(query).mappings()}
    for ref in wanted:
        if ref not in found:
            raise NotFound(f"ukjent sak {ref!r} (se `krav cases` for saksnumrene)")
    return [found[ref] for ref in wanted]


def policy_of(row: Any) -> Policy:
    return policy_from_json(row["c_policy"], where="policy")


def live_agreement_of(conn: Connection, claim_ids: list[int]) -> Any:
    """A live (requested, proposed, active, breached, review) agreement holding one of the
    claims, or ``None``."""
    return conn.execute(
        select(agreements.c.ref, agreements.c.kind, agreements.c.status)
        .join(agreement_claims, agreement_claims.c.agreement_id == agreements.c.id)
        .where(agreement_claims.c.claim_id.in_(claim_ids), agreements.c.status.in_(LIVE))
        .limit(1)).first()


def last_breach(conn: Connection, debtor_id: int, *, on: date, months: int) -> date | None:
    """The day the debtor's last plan ended in breach, within ``months`` before ``on``."""
    if months <= 0:
        return None
    return conn.execute(select(func.max(agreements.c.closed_on)).where(
        agreements.c.debtor_id == debtor_id, agreements.c.kind.in_(("plan", "limited")),
        agreements.c.status == "ended", agreements.c.closed_on > add_months(on, -months))
    ).scalar()


def find(conn: Connection, ref: str, actor: Actor | None) -> Any:
    """An agreement by its ref (``A-0000001``), or by a case ref (that case's newest
    agreement); one the actor may not see is :class:`NotFound`, like a missing one."""
    key = ref.strip().upper()
    query = select(agreements)
    if key.startswith("A-"):
        query = query.where(agreements.c.ref == key)
    else:
        query = (query.join(agreement_claims,
                            agreement_claims.c.agreement_id == agreements.c.id)
                 .join(claims, claims.c.id == agreement_claims.c.claim_id)
                 .where(claims.c.ref == key).order_by(agreements.c.id.desc()).limit(1))
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"ukjent avtale {ref.strip()[:40]!r} (se `krav plan requests` eller "
                       "`krav plan show SAK`)")
    scope = creditor_scope(_principal(actor)) if actor is not None else EVERY
    if scope is not EVERY:
        hidden = conn.execute(
            select(func.count()).select_from(agreement_claims)
            .join(claims, claims.c.id == agreement_claims.c.claim_id)
            .where(agreement_claims.c.agreement_id == row["id"],
                   claims.c.creditor_id != scope)).scalar_one()
        if hidden:
            raise NotFound(f"ukjent avtale {ref.strip()[:40]!r}")
    return row


def claims_of(conn: Connection, agreement_id: int) -> list[Any]:
    """The agreement's claims in plan order, with what the letters and the ledger need."""
    return list(conn.execute(
        select(claims, agreement_claims.c.resume_on, creditors.c.policy.label("c_policy"),
               creditors.c.vat_deductible.label("c_vat_deductible"))
        .join(agreement_claims, agreement_claims.c.claim_id == claims.c.id)
        .join(creditors, creditors.c.id == claims.c.creditor_id)
        .where(agreement_claims.c.agreement_id == agreement_id)
        .order_by(agreement_claims.c.position)).mappings())


# --- writing ---------------------------------------------------------------------------------

def new_agreement(conn: Connection, *, kind: str, status: str, debtor_id: int, on: date,
                  actor: Actor | None, claim_rows: list[Any], **values: Any) -> dict[str, Any]:
    """Insert an agreement and its claims; its ref is ``A-`` and its id in seven digits."""
    row = {"kind": kind, "status": status, "debtor_id": debtor_id, "created_on": on,
           "instalments": 0, "total_ore": 0, "uplift_warning": False, "warned": False,
           "note": "", "created_by": actor.label[:300] if actor else "", "decided_by": "",
           "version": 0, **values}
    agreement_id = conn.execute(insert(agreements).values(ref="~" + uuid4().hex[:19], **row)
                                .returning(agreements.c.id)).scalar_one()
    ref = f"A-{agreement_id:07d}"
    conn.execute(update(agreements).where(agreements.c.id == agreement_id).values(ref=ref))
    conn.execute(insert(agreement_claims), [
        {"agreement_id": agreement_id, "claim_id": c["id"], "position": i,
         "resume_on": c["next_action_on"]} for i, c in enumerate(claim_rows)])
    return {**row, "id": agreement_id, "ref": ref}


def keep_schedule(conn: Connection, agreement_id: int, rows: list[Any]) -> None:
    """Record each claim's step date as it is when the agreement takes hold (a request may be
    decided days after it was made, and the case may have moved on meanwhile): collection
    resumes from it if the agreement ends."""
    for r in rows:
        conn.execute(update(agreement_claims).where(
            agreement_claims.c.agreement_id == agreement_id,
            agreement_claims.c.claim_id == r["id"]).values(resume_on=r["next_action_on"]))


def set_agreement(conn: Connection, agreement: Any, **values: Any) -> None:
    """Update an agreement, version-checked (two people deciding at once: one wins)."""
    result = conn.execute(update(agreements).where(
        agreements.c.id == agreement["id"], agreements.c.version == agreement["version"])
        .values(version=agreements.c.version + 1, **values))
    if result.rowcount != 1:
        raise UnableToProceed(f"avtale {agreement['ref']} ble endret samtidig; prøv igjen")


def event(conn: Connection, claim_id: int, on: date, kind: str, detail: dict[str, Any],
          actor: str = "operator") -> None:
    """An ``events`` row, with its webhook deliveries (``agreement.*``)."""
    from krav.webhooks.service import enqueue_event_row

    event_id = conn.execute(insert(events).values(claim_id=claim_id, on=on, kind=kind,
                                                  detail=detail, actor=actor)
                            .returning(events.c.id)).scalar_one()
    enqueue_event_row(conn, event_id, kind)


def audit(conn: Connection, actor: Actor | None, action: str, agreement: Any,
          claim_rows: list[Any], **details: Any) -> None:
    from krav.audit.service import record_many

    record_many(conn, actor, action, [
        (c["id"], c["creditor_id"], {"agreement": agreement["ref"], "ref": c["ref"], **details})
        for c in claim_rows])


def sender_of(claim: Any) -> str:
    """Who writes to the debtor about the case: the agency once it is in collection."""
    return "agency" if claim["stage"] in COLLECTION_STAGES else "creditor"


def resume_day(until: date) -> date:
    """The day after a deferral's deadline — a deadline on a weekend or holiday moves to the next
    business day (law-no.md § 8, finansavtaleloven § 4-5), and the process waits for that."""
    return next_business_day_on_or_after(until) + timedelta(days=1)


# --- deferral ----------------------------------------------------------------------------------

def defer(conn: Connection, ref: str, *, until: date, on: date, actor: Actor | None = None,
          note: str = "") -> dict[str, Any]:
    """A deferral (utsettelse) of case ``ref`` to ``until``: within the creditor's authority
    (``deferral_max_days``, no breached plan lately) it is granted at once — the case waits
    (``status`` paused) until the day after ``until``, when the nightly run resumes it where it
    stood, and a confirmation letter with the new deadline goes out; otherwise it is stored as
    a request for a handler (``krav plan requests``)."""
    (claim,) = load_claims(conn, [ref], actor)
    if until <= on:
        raise InvalidInput(f"ny frist {until.isoformat()} må være etter {on.isoformat()}",
                           where="--until", allowed=f"en dato etter {on.isoformat()}")
    _ready(conn, [claim])
    policy = policy_of(claim)
    reasons = deferral_reasons(policy.authority, on=on, until=until, breached_on=last_breach(
        conn, claim["debtor_id"], on=on, months=policy.authority.clean_months))
    agreement = new_agreement(conn, kind="deferral", status="requested",
                              debtor_id=claim["debtor_id"], on=on, actor=actor,
                              claim_rows=[claim], until=until, reasons=reasons or None, note=note)
    if reasons:
        audit(conn, actor, "case.defer.request", agreement, [claim], until=until.isoformat(),
              reasons=reasons)
    else:
        agreement = grant_deferral(conn, agreement, on=on, actor=actor, granted="authority")
    return deferral_view(agreement, claim)


def grant_deferral(conn: Connection, agreement: Any, *, on: date, actor: Actor | None,
                   granted: str) -> dict[str, Any]:
    """Put the deferral in force: the case paused until the day after the new deadline, its
    step date kept to resume from, and the confirmation letter queued."""
    from krav.agreements.letters import queue_letter
    from krav.cases.service import pause

    (claim,) = claims_of(conn, agreement["id"])
    until: date = agreement["until"]
    if claim["status"] != "open":
        raise UnableToProceed(f"sak {claim['ref']} er {claim['status']}; utsettelsen kan ikke "
                              "gis nå")
    keep_schedule(conn, agreement["id"], [claim])
    pause(conn, claim["ref"], on=on, until=resume_day(until),
          reason=f"utsettelse {agreement['ref']} til {until.isoformat()}")
    values = {"status": "active", "decided_on": on, "accepted_on": on, "granted": granted,
              "decided_by": actor.label[:300] if actor else ""}
    set_agreement(conn, agreement, **values)
    agreement = {**agreement, **values, "version": agreement["version"] + 1}
    queue_letter(conn, claim, kind="deferral_confirmation", key=f"deferral:{agreement['ref']}",
                 on=on, deadline=until, extra={"agreement": agreement["ref"]})
    event(conn, claim["id"], on, "deferred", {"agreement": agreement["ref"],
                                              "until": until.isoformat(), "granted": granted,
                                              "reason": "utsettelse"})
    audit(conn, actor, "case.defer", agreement, [claim], until=until.isoformat(),
          granted=granted)
    return agreement


def deferral_view(agreement: Any, claim: Any) -> dict[str, Any]:
    return {"ref": agreement["ref"], "kind": "deferral", "case": claim["ref"],
            "status": agreement["status"], "until": agreement["until"],
            "granted": agreement["status"] == "active",
            "reasons": agreement.get("reasons") or []}


def _ready(conn: Connection, rows: list[Any]) -> None:
    """Claims an agreement may take: open (not paused, disputed or closed) and in no other
    live agreement."""
    for c in rows:
        if c["status"] != "open":
            word = {"paused": "på pause", "disputed": "bestridt", "closed": "avsluttet"}.get(
                c["status"], c["status"])
            raise UnableToProceed(f"sak {c['ref']} er {word}; en avtale krever en åpen sak")
    live = live_agreement_of(conn, [c["id"] for c in rows])
    if live is not None:
        raise UnableToProceed(f"saken har allerede avtale {live.ref} ({live.status}); avbryt "
                              f"den først med `krav plan cancel {live.ref}`")


# --- deciding requests ---------------------------------------------------------------------------

def _staff(actor: Actor | None, what: str) -> None:
    if actor is not None and creditor_scope(actor.principal) is not EVERY:
        raise UnableToProceed(f"bare byråets saksbehandlere kan {what}")


def approve(conn: Connection, ref: str, *, on: date, actor: Actor | None = None
            ) -> dict[str, Any]:
    """A handler grants a request: a deferral takes effect at once; a plan is offered to the
    debtor (``proposed``) to accept; a limited agreement in review is closed and collection
    resumes unless a new agreement is made."""
    _staff(actor, "avgjøre forespørsler")
    agreement = find(conn, ref, actor)
    if agreement["status"] != "requested":
        raise UnableToProceed(f"avtale {agreement['ref']} venter ikke på en saksbehandler "
                              f"(status {agreement['status']})")
    rows = claims_of(conn, agreement["id"])
    if agreement["kind"] == "deferral":
        agreement = grant_deferral(conn, agreement, on=on, actor=actor, granted="handler")
        return deferral_view(agreement, rows[0])
    values = {"status": "proposed", "decided_on": on, "granted": "handler",
              "decided_by": actor.label[:300] if actor else ""}
    set_agreement(conn, agreement, **values)
    audit(conn, actor, "plan.approve", agreement, rows)
    return plans.show(conn, agreement["ref"], as_of=on, actor=actor)


def reject(conn: Connection, ref: str, *, on: date, reason: str,
           actor: Actor | None = None) -> dict[str, Any]:
    """A handler refuses a request (with the reason); nothing changes for the claims."""
    _staff(actor, "avgjøre forespørsler")
    if not reason.strip():
        raise InvalidInput("begrunnelse mangler", where="--reason")
    agreement = find(conn, ref, actor)
    if agreement["status"] != "requested":
        raise UnableToProceed(f"avtale {agreement['ref']} venter ikke på en saksbehandler "
                              f"(status {agreement['status']})")
    set_agreement(conn, agreement, status="rejected", decided_on=on, closed_on=on, note=reason,
                  decided_by=actor.label[:300] if actor else "")
    audit(conn, actor, "plan.reject", agreement, claims_of(conn, agreement["id"]), reason=reason)
    return {"ref": agreement["ref"], "kind": agreement["kind"], "status": "rejected",
            "reason": reason}


def requests(conn: Connection, *, actor: Actor | None = None) -> list[dict[str, Any]]:
    """What waits for a handler: requests beyond the creditor's authority, and limited
    agreements whose period ended (review), oldest first."""
    rows = conn.execute(select(agreements).where(agreements.c.status.in_(("requested", "review")))
                        .order_by(agreements.c.id)).mappings().all()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    members: dict[int, list[Any]] = {}
    for m in conn.execute(scoped(
            select(agreement_claims.c.agreement_id, claims.c.ref, claims.c.creditor_id)
            .join(claims, claims.c.id == agreement_claims.c.claim_id)
            .where(agreement_claims.c.agreement_id.in_(ids))
            .order_by(agreement_claims.c.agreement_id, agreement_claims.c.position),
            _principal(actor))):
        members.setdefault(m.agreement_id, []).append(m.ref)
    return [{"ref": r["ref"], "kind": r["kind"], "status": r["status"],
             "cases": members[r["id"]], "created_on": r["created_on"], "until": r["until"],
             "instalments": r["instalments"],
             "amount": from_ore(r["amount_ore"]) if r["amount_ore"] is not None else None,
             "total": from_ore(r["total_ore"]),
             "reasons": r["reasons"] or ([] if r["status"] == "requested"
                                         else ["perioden for den begrensede avtalen er over"]),
             "note": r["note"]}
            for r in rows if r["id"] in members]


def cancel(conn: Connection, ref: str, *, on: date, reason: str = "",
           actor: Actor | None = None) -> dict[str, Any]:
    """End an agreement before its time: a request or an offer simply lapses; an agreement in
    force ends and its claims' collection resumes where it stood (nothing charged before is
    charged again: the process continues from its stage)."""
    agreement = find(conn, ref, actor)
    if agreement["status"] not in LIVE:
        raise UnableToProceed(f"avtale {agreement['ref']} er {agreement['status']} og kan ikke "
                              "avbrytes")
    rows = claims_of(conn, agreement["id"])
    holding = agreement["status"] in ("active", "breached", "review")
    set_agreement(conn, agreement, status="cancelled", closed_on=on, note=reason or
                  agreement["note"])
    if holding:
        from krav.agreements.resume import resume_claims

        resume_claims(conn, [(agreement["ref"], c) for c in rows], on=on, actor="operator")
        for c in rows:
            event(conn, c["id"], on, "agreement_cancelled",
                  {"agreement": agreement["ref"], "reason": reason or "avtalen er avbrutt"})
    audit(conn, actor, "plan.cancel", agreement, rows, reason=reason, resumed=holding)
    return {"ref": agreement["ref"], "kind": agreement["kind"], "status": "cancelled",
            "resumed": [c["ref"] for c in rows] if holding else []}


def decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
