"""What a person does to a case: dispute, resume, pause, withdraw, approve for collection.

A dispute (innsigelse) stops everything at once: the claim leaves the nightly run, no new fee,
salær or compensation can be charged, and it waits in a human queue (law-no.md § 7, INKL § 17 (2)).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from krav.cases.content import content_for_claim
from krav.cases.model import CLOSE_NB, STAGE_NB, STATUS_NB
from krav.db.bulk import insert_rows, update_versioned
from krav.db.tables import claims, events, letters
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.law import law_book
from krav.settings import load_settings

if TYPE_CHECKING:
    from krav.accounts.principal import Actor


def claim_by_ref(conn: Connection, ref: str) -> Any:
    row = conn.execute(select(claims).where(claims.c.ref == ref)).mappings().first()
    if row is None:
        raise NotFound(f"ukjent sak {ref!r} (se `krav cases` for saksnumrene)")
    return row


def _event(conn: Connection, claim_id: int, on: date, kind: str, detail: dict[str, Any],
           actor: str = "operator") -> None:
    from krav.webhooks.service import enqueue_event_row

    event_id = conn.execute(insert(events).values(claim_id=claim_id, on=on, kind=kind,
                                                  detail=detail, actor=actor)
                            .returning(events.c.id)).scalar_one()
    enqueue_event_row(conn, event_id, kind)  # dispute.opened, claim.closed (withdrawn)


def _audit(conn: Connection, actor: Actor | None, action: str, claim: Any,
           **details: Any) -> None:
    from krav.audit.service import record

    record(conn, actor, action, claim_id=claim["id"], creditor_id=claim["creditor_id"],
           details={"ref": claim["ref"], **details})


def _set(conn: Connection, claim: Any, **values: Any) -> None:
    result = conn.execute(update(claims).where(claims.c.id == claim["id"],
                                               claims.c.version == claim["version"])
                          .values(version=claims.c.version + 1, **values))
    if result.rowcount != 1:
        raise UnableToProceed(f"sak {claim['ref']} ble endret samtidig; prøv igjen")


def dispute(conn: Connection, ref: str, *, on: date, reason: str,
            actor: Actor | None = None) -> None:
    """Register an objection: the case is disputed and waits for a person (INKL § 17 (2))."""
    if not reason.strip():
        raise InvalidInput("begrunnelse mangler", where="--reason")
    claim = claim_by_ref(conn, ref)
    if claim["status"] == "disputed":
        raise UnableToProceed(f"sak {ref} er allerede bestridt og venter på en saksbehandler")
    if claim["status"] == "closed":
        raise UnableToProceed(f"sak {ref} er avsluttet ({_closed_nb(claim)}) og kan ikke "
                              "bestrides")
    # A paused case's next_action_on is the pause's end; the step date it stopped is in the
    # pause event, and that is what a resume after the dispute gives back.
    schedule = {"next_action_on": _iso(_stopped_schedule(conn, claim))} \
        if claim["status"] == "paused" else _scheduled(claim)
    _set(conn, claim, status="disputed", next_action_on=None)
    _event(conn, claim["id"], on, "disputed", {"reason": reason, "stage": claim["stage"],
                                               **schedule})
    _audit(conn, actor, "case.dispute", claim, on=on.isoformat(), reason=reason)
    book = law_book()
    content = content_for_claim(conn, claim["id"], kind="dispute_ack",
                                sent_on=on, deadline=None, sender=_sender(claim),
                                agency=load_settings().agency, book=book,
                                extra={"reason": reason})
    count = conn.execute(select(letters.c.id).where(letters.c.claim_id == claim["id"],
                                                    letters.c.kind == "dispute_ack")).all()
    conn.execute(insert(letters).values(
        claim_id=claim["id"], step_key=f"dispute_ack:{len(count) + 1}", kind="dispute_ack",
        sender=_sender(claim), sent_on=on, deadline=None, fee_ore=0, language=content["language"],
        content=content, status="pending", attempts=0))


def _closed_nb(claim: Any) -> str:
    return CLOSE_NB.get(claim["close_reason"] or "", claim["close_reason"] or "avsluttet")


def _sender(claim: Any) -> str:
    return "agency" if claim["stage"] in ("collection", "payment_demand", "salaer_lett",
                                          "legal_ready") else "creditor"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _scheduled(claim: Any) -> dict[str, str | None]:
    """The step date a stop takes away, kept in the event so resuming can give it back."""
    return {"next_action_on": _iso(claim["next_action_on"])}


_WAITING_STAGES = ("legal_ready", "awaiting_approval", "below_minimum", "letters_done")


def _next_after_resume(stage: str, scheduled: date | None, on: date) -> date | None:
    """The next step's day for a case resumed on ``on`` (see ``resume``)."""
    if scheduled:
        return max(on, scheduled)
    return None if stage in _WAITING_STAGES else on


def _stopped_schedule(conn: Connection, claim: Any) -> date | None:
    """When the next step was due before the case was last disputed or paused."""
    detail = conn.execute(select(events.c.detail).where(
        events.c.claim_id == claim["id"], events.c.kind.in_(("disputed", "paused")))
        .order_by(events.c.id.desc()).limit(1)).scalar()
    detail = detail or {}
    if "next_action_on" not in detail:  # stopped before krav kept the date
        last = claim["last_deadline"]
        return last + timedelta(days=1) if last else None
    saved = detail["next_action_on"]
    return date.fromisoformat(saved) if saved else None


def resume(conn: Connection, ref: str, *, on: date, actor: Actor | None = None) -> None:
    """Resume a disputed or paused case: the process continues from its stage.

    The next step keeps the date it had when the case was stopped (a reminder still waits for
    due + 14 days, the tung salær for 28 days past the deadline), but a deadline that ran while
    the case was stopped is not held against the debtor: nothing happens before the resume day.
    """
    claim = claim_by_ref(conn, ref)
    if claim["status"] not in ("disputed", "paused"):
        raise UnableToProceed(f"sak {ref} er {claim['status']}; bare bestridte eller pausede "
                              "saker kan gjenopptas")
    _not_held_by_agreement(conn, claim)
    next_on = _next_after_resume(claim["stage"], _stopped_schedule(conn, claim), on)
    _set(conn, claim, status="open", next_action_on=next_on)
    _event(conn, claim["id"], on, "resumed", {"from": claim["status"], "stage": claim["stage"]})
    _audit(conn, actor, "case.resume", claim, on=on.isoformat(), was=claim["status"])


def _not_held_by_agreement(conn: Connection, claim: Any) -> None:
    """A case held by a deferral or payment plan in force is resumed by ending that agreement
    (``krav plan cancel``), so the agreement and the case never disagree."""
    from krav.agreements.tables import HOLDING, agreement_claims, agreements

    ref = conn.execute(select(agreements.c.ref).join(
        agreement_claims, agreement_claims.c.agreement_id == agreements.c.id).where(
        agreement_claims.c.claim_id == claim["id"], agreements.c.status.in_(HOLDING))).scalar()
    if ref is not None and claim["status"] == "paused":
        raise UnableToProceed(f"sak {claim['ref']} holdes av avtale {ref}; avslutt den med "
                              f"`krav plan cancel {ref}`")


def pause(conn: Connection, ref: str, *, on: date, until: date | None, reason: str,
          actor: Actor | None = None) -> None:
    """Pause (deferral or hold): no steps run until resumed, or until the nightly run of
    ``until`` resumes it (``resume_expired_pauses``); a paused case keeps ``until`` as its
    ``next_action_on``."""
    claim = claim_by_ref(conn, ref)
    if claim["status"] != "open":
        raise UnableToProceed(f"sak {ref} er {claim['status']} og kan ikke settes på pause")
    if until is not None and until <= on:
        raise InvalidInput(f"pausen må vare til en dag etter {on.isoformat()}", where="--until",
                           allowed="en dato etter pausedagen")
    _set(conn, claim, status="paused", next_action_on=until)
    _event(conn, claim["id"], on, "paused", {"until": until.isoformat() if until else None,
                                             "reason": reason, "stage": claim["stage"],
                                             **_scheduled(claim)})
    _audit(conn, actor, "case.pause", claim, on=on.isoformat(), reason=reason,
           until=until.isoformat() if until else None)


def expired_pauses(conn: Connection, as_of: date) -> int:
    """How many paused cases the nightly run of ``as_of`` resumes."""
    return conn.execute(select(func.count()).select_from(claims).where(
        claims.c.status == "paused", claims.c.next_action_on <= as_of)).scalar_one()


def resume_expired_pauses(conn: Connection, as_of: date) -> int:
    """Resume every paused case whose pause ran out on or before ``as_of`` (its ``until``), as
    ``resume`` would on that day — set-wise: one query for the cases, one for their pause events,
    one bulk update (version-checked) and one bulk insert of ``resumed`` events."""
    rows = conn.execute(select(claims.c.id, claims.c.stage, claims.c.next_action_on,
                               claims.c.version).where(
        claims.c.status == "paused", claims.c.next_action_on <= as_of)).all()
    if not rows:
        return 0
    stopped: dict[int, dict[str, Any]] = {}
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 5000):
        for claim_id, detail in conn.execute(
                select(events.c.claim_id, events.c.detail)
                .where(events.c.claim_id.in_(ids[start:start + 5000]),
                       events.c.kind.in_(("disputed", "paused"))).order_by(events.c.id)):
            stopped[claim_id] = detail or {}  # the last one wins
    updates, resumed = [], []
    for r in rows:
        saved = stopped.get(r.id, {}).get("next_action_on")
        next_on = _next_after_resume(r.stage, date.fromisoformat(saved) if saved else None, as_of)
        updates.append(("open", next_on, r.id, r.version))
        resumed.append((r.id, as_of, "resumed", {"from": "paused", "stage": r.stage,
                                                 "until": r.next_action_on.isoformat()},
                        "nightly"))
    from krav.webhooks.service import enqueue_events, events_mark

    mark = events_mark(conn)
    update_versioned(conn, claims, ("status", "next_action_on"), updates)
    insert_rows(conn, events, ("claim_id", "on", "kind", "detail", "actor"), resumed)
    enqueue_events(conn, mark)  # claim.stage_changed (resumed), set-wise
    return len(rows)


def withdraw(conn: Connection, ref: str, *, on: date, reason: str = "",
             actor: Actor | None = None) -> None:
    """The creditor withdraws the claim: the case closes, nothing more is charged or sent."""
    claim = claim_by_ref(conn, ref)
    if claim["status"] == "closed":
        raise UnableToProceed(f"sak {ref} er allerede avsluttet ({_closed_nb(claim)})")
    _set(conn, claim, status="closed", close_reason="withdrawn", closed_on=on,
         next_action_on=None)
    _event(conn, claim["id"], on, "withdrawn", {"reason": reason})
    _audit(conn, actor, "case.withdraw", claim, on=on.isoformat(), reason=reason)


def approve(conn: Connection, ref: str, *, on: date, actor: Actor | None = None) -> None:
    """The creditor approves transfer to collection for a case held for approval."""
    claim = claim_by_ref(conn, ref)
    if claim["stage"] != "awaiting_approval" or claim["status"] != "open":
        where = STAGE_NB.get(claim["stage"], claim["stage"]) if claim["status"] == "open" \
            else STATUS_NB.get(claim["status"], claim["status"])
        raise UnableToProceed(f"sak {ref} venter ikke på godkjenning for inkasso (nå: {where})")
    _set(conn, claim, approved=True, next_action_on=on)
    _event(conn, claim["id"], on, "approved", {})
    _audit(conn, actor, "case.approve", claim, on=on.isoformat())


NOTE_MAX = 2000  # characters in one note


def note(conn: Connection, ref: str, *, on: date, text: str, actor: Actor | None = None) -> None:
    """A person's note on the case (the creditor's or the agency's): kept with the case's events
    (kind ``note``, no webhook), shown in the case page's timeline, and in the audit trail."""
    text = text.strip()
    if not text:
        raise InvalidInput("notatet er tomt", where="--text", allowed="noen ord om saken")
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"notatet er {len(text)} tegn langt", where="--text",
                           allowed=f"høyst {NOTE_MAX} tegn")
    claim = claim_by_ref(conn, ref)
    _event(conn, claim["id"], on, "note", {"text": text},
           actor=(actor.label if actor else "operator")[:40])
    _audit(conn, actor, "case.note", claim, on=on.isoformat())
