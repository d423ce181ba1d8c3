"""Reading cases back: the list and one case with letters, postings, balances and accrued interest.

The JSON shape of ``case_view`` is a contract (issue 2 § 7): ref, invoice_number, kid, creditor
{orgnr, name}, debtor {kind, name}, principal, due, status, stage, letters [{kind, sender,
sent_on, deadline, fee}], postings [{on, kind, amount, rule}], balance {principal, interest, fees,
total}, interest_accrued. Issue 8 adds ``to_pay_today`` and ``owed_back`` (also on every row of
``list_cases``): what the debtor must pay on the day to settle the case — the balance plus the
interest accrued to that day — and what the case owes the debtor back, never a negative "to pay".
Both views compute them with :func:`amount_today`, so ``krav cases`` and ``krav case show``
agree; an interest posting carries its ``period`` and ``rates`` as the letters show them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, select

from krav.cases.access import EVERY, creditor_scope, scoped
from krav.cases.model import STAGES, STATUSES
from krav.cases.search import creditor_id_of, matching_ids, resolve_one
from krav.db.tables import claims, creditors, debtors, letters, postings
from krav.kernel.errors import InvalidInput, NotFound
from krav.kernel.money import from_ore
from krav.law import law_book, rules
from krav.ledger.model import group_balances

if TYPE_CHECKING:
    from krav.accounts.principal import Principal

ZERO = Decimal("0.00")


def amount_today(*, principal: Decimal, interest: Decimal, fees: Decimal, overpaid: Decimal,
                 interest_from: date, as_of: date, status: str, book: Any = None
                 ) -> dict[str, Decimal]:
    """What a case comes to on ``as_of``: ``interest_accrued`` since ``interest_from`` and not yet
    posted (FRL § 3, as a payment that day would crystallise it), ``to_pay_today`` (what settles
    the case that day, never below zero) and ``owed_back`` (money the debtor has til gode, from
    an overpayment). ``overpaid`` is the overpaid balance as a positive amount."""
    accrued = ZERO
    if status != "closed" and principal > 0 and as_of > interest_from:
        accrued = rules.interest(book or law_book(), principal=principal, start=interest_from,
                                 end=as_of).amount
    net = principal + interest + fees + accrued - overpaid
    return {"interest_accrued": accrued, "to_pay_today": max(ZERO, net),
            "owed_back": max(ZERO, -net)}


def _overpaid(conn: Connection, ids: list[int]) -> dict[int, Decimal]:
    """The overpaid balance (positive: owed back) of each of ``ids`` that has one, one query per
    2 000 ids."""
    found: dict[int, Decimal] = {}
    for start in range(0, len(ids), 2000):
        for claim_id, total in conn.execute(
                select(postings.c.claim_id, func.sum(postings.c.amount_ore))
                .where(postings.c.component == "overpaid",
                       postings.c.claim_id.in_(ids[start:start + 2000]))
                .group_by(postings.c.claim_id)):
            if total:
                found[claim_id] = -from_ore(int(total))
    return found


def list_cases(conn: Connection, *, as_of: date, status: str | None = None,
               stage: str | None = None, limit: int | None = None, search: str | None = None,
               creditor: str | None = None, principal: Principal | None = None,
               after_id: int | None = None, with_id: bool = False,
               updated_since: datetime | None = None) -> list[dict[str, Any]]:
    """Cases in id order, optionally filtered; an unknown filter value is refused, not empty.

    ``principal`` narrows to the claims it may see (:mod:`krav.cases.access`), ``after_id`` to
    the claims after that id (the API's cursor); ``with_id`` adds each row's ``id``;
    ``updated_since`` (naive UTC) to the claims changed at or after it.

    ``search`` finds cases as ``krav case show`` does (``cases.search``); ``creditor`` (org
    number) narrows to one creditor. Every row carries ``to_pay_today`` and ``owed_back`` as of
    ``as_of`` (:func:`amount_today`), from the listed rows and one query for overpayments."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"ukjent status {status!r}", where="--status",
                           allowed=", ".join(STATUSES))
    if stage is not None and stage not in STAGES:
        raise InvalidInput(f"ukjent fase {stage!r}", where="--stage", allowed=", ".join(STAGES))
    if limit is not None and limit < 1:
        raise InvalidInput(f"ugyldig antall {limit}", where="--limit", allowed="1 eller flere")
    query = (select(claims.c.id, claims.c.ref, claims.c.invoice_number, claims.c.status,
                    claims.c.stage, claims.c.close_reason,
                    claims.c.due_date, claims.c.principal_ore, claims.c.interest_ore,
                    claims.c.costs_ore, claims.c.interest_through, claims.c.next_action_on,
                    creditors.c.orgnr.label("creditor_orgnr"),
                    creditors.c.name.label("creditor"), debtors.c.name.label("debtor"))
             .join(creditors, creditors.c.id == claims.c.creditor_id)
             .join(debtors, debtors.c.id == claims.c.debtor_id).order_by(claims.c.id))
    if search is not None:
        ids = matching_ids(conn, search, creditor=creditor)
        query = query.where(claims.c.id.in_(ids))
    elif creditor is not None:
        creditor_id = creditor_id_of(conn, creditor)
        query = query.where(claims.c.creditor_id == creditor_id)
    query = scoped(query, principal)
    if after_id is not None:
        query = query.where(claims.c.id > after_id)
    if updated_since is not None:
        query = query.where(claims.c.updated_at >= updated_since)
    if status:
        query = query.where(claims.c.status == status)
    if stage:
        query = query.where(claims.c.stage == stage)
    if limit:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    overpaid = _overpaid(conn, [r.id for r in rows])
    book = law_book()
    out = []
    for r in rows:
        principal, interest, fees = (from_ore(r.principal_ore), from_ore(r.interest_ore),
                                     from_ore(r.costs_ore))
        today = amount_today(principal=principal, interest=interest, fees=fees,
                             overpaid=overpaid.get(r.id, ZERO), interest_from=r.interest_through,
                             as_of=as_of, status=r.status, book=book)
        out.append({
            **({"id": r.id} if with_id else {}),
            "ref": r.ref, "invoice_number": r.invoice_number, "status": r.status,
            "stage": r.stage, "close_reason": r.close_reason, "due": r.due_date,
            "creditor": r.creditor, "creditor_orgnr": r.creditor_orgnr, "debtor": r.debtor,
            "total": principal + interest + fees,
            "to_pay_today": today["to_pay_today"], "owed_back": today["owed_back"],
            "next_action_on": r.next_action_on,
        })
    return out


def stage_counts(conn: Connection) -> list[tuple[str, str, int]]:
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        select(claims.c.status, claims.c.stage, func.count()).group_by(claims.c.status,
                                                                        claims.c.stage)
        .order_by(claims.c.status, claims.c.stage))]


# One case: the claim with its creditor and debtor in one query, then its postings and letters.
# The statements are built once (bound parameters), so a request only executes them: the API
# reads one case per request (``GET /api/v1/claims/{ref}``) and building and cache-keying the
# statements each time cost more than running them (docs/performance.md).
_CASE = (select(claims, creditors.c.orgnr.label("creditor_orgnr"),
                creditors.c.name.label("creditor_name"), debtors.c.kind.label("debtor_kind"),
                debtors.c.name.label("debtor_name"))
         .join(creditors, creditors.c.id == claims.c.creditor_id)
         .join(debtors, debtors.c.id == claims.c.debtor_id))
_CASE_BY_ID = _CASE.where(claims.c.id == bindparam("claim_id"))
_CASE_BY_REF = _CASE.where(claims.c.ref == bindparam("ref"))
_CASE_BY_REF_OF = _CASE_BY_REF.where(claims.c.creditor_id == bindparam("creditor_id"))
_POSTINGS = (select(postings.c.on, postings.c.kind, postings.c.component, postings.c.amount_ore,
                    postings.c.rule, postings.c.reference, postings.c.inputs)
             .where(postings.c.claim_id == bindparam("claim_id"),
                    postings.c.on <= bindparam("as_of"))
             .order_by(postings.c.on, postings.c.id))
_LETTERS = (select(letters.c.id, letters.c.kind, letters.c.sender, letters.c.sent_on,
                   letters.c.deadline, letters.c.fee_ore, letters.c.status)
            .where(letters.c.claim_id == bindparam("claim_id"),
                   letters.c.sent_on <= bindparam("as_of"))
            .order_by(letters.c.sent_on, letters.c.id))


def case_view(conn: Connection, ref: str, *, as_of: date,
              creditor: str | None = None, claim_id: int | None = None) -> dict[str, Any]:
    """One case as of ``as_of``: postings up to that day and interest accrued since the last
    crystallisation (FRL § 3), not yet posted. ``ref`` may be anything ``cases.search`` resolves
    (a ref, a KID, an invoice number — with ``creditor`` when several creditors use it —, a
    debtor's org number or name) as long as it names one case; ``claim_id`` names the case
    exactly instead (the debtor portal, where a case number is never a search)."""
    if claim_id is None:
        claim_id = resolve_one(conn, ref, creditor=creditor)
    claim = conn.execute(_CASE_BY_ID, {"claim_id": claim_id}).mappings().one()
    return _view(conn, claim, as_of)


def case_view_by_ref(conn: Connection, ref: str, *, as_of: date,
                     principal: Principal) -> dict[str, Any]:
    """The case with exactly ``ref`` (no search) that ``principal`` may see, as
    :func:`case_view` shows it (``GET /api/v1/claims/{ref}``); :class:`NotFound` — the same for
    "no such ref" and "another creditor's" — otherwise (:mod:`krav.cases.access`)."""
    scope = creditor_scope(principal)
    params: dict[str, Any] = {"ref": ref.strip().upper()}
    statement = _CASE_BY_REF
    if scope is not EVERY:  # confined to one creditor (-1: to none)
        statement, params["creditor_id"] = _CASE_BY_REF_OF, scope
    claim = conn.execute(statement, params).mappings().first()
    if claim is None:
        raise NotFound(f"ukjent sak {ref.strip()[:40]!r}")
    return _view(conn, claim, as_of)


def _view(conn: Connection, claim: Any, as_of: date) -> dict[str, Any]:
    params = {"claim_id": claim["id"], "as_of": as_of}
    posting_rows = conn.execute(_POSTINGS, params).all()
    balances: dict[str, Decimal] = {}
    for p in posting_rows:
        balances[p.component] = balances.get(p.component, ZERO) + from_ore(p.amount_ore)
    grouped = group_balances(balances)
    # interest is crystallised through ``interest_through``; for an earlier day, through the
    # last interest posting on or before it
    last_interest = max([p.on for p in posting_rows if p.kind == "interest"] + [claim["due_date"]])
    through = claim["interest_through"]
    interest_from = through if as_of >= through else last_interest
    book = law_book()
    today = amount_today(principal=grouped["principal"], interest=grouped["interest"],
                         fees=grouped["fees"], overpaid=grouped["overpaid"],
                         interest_from=interest_from, as_of=as_of, status=claim["status"],
                         book=book)
    letter_rows = conn.execute(_LETTERS, params).all()
    return {
        "ref": claim["ref"], "invoice_number": claim["invoice_number"], "kid": claim["kid"],
        "creditor": {"orgnr": claim["creditor_orgnr"], "name": claim["creditor_name"]},
        "debtor": {"kind": claim["debtor_kind"], "name": claim["debtor_name"]},
        "principal": from_ore(claim["original_principal_ore"]), "due": claim["due_date"],
        "status": claim["status"], "stage": claim["stage"],
        "letters": [{"id": lt.id, "kind": lt.kind, "sender": lt.sender, "sent_on": lt.sent_on,
                     "deadline": lt.deadline, "fee": from_ore(lt.fee_ore), "status": lt.status}
                    for lt in letter_rows],
        "postings": [{"on": p.on, "kind": p.kind, "amount": from_ore(p.amount_ore),
                      "rule": p.rule, "component": p.component, "reference": p.reference,
                      "inputs": p.inputs or {}, **_interest_detail(book, p)}
                     for p in posting_rows],
        "balance": {k: grouped[k] for k in ("principal", "interest", "fees", "total")},
        "interest_accrued": today["interest_accrued"],
        "to_pay_today": today["to_pay_today"], "owed_back": today["owed_back"],
        "next_action_on": claim["next_action_on"],
        "close_reason": claim["close_reason"],
    }


def _interest_detail(book: Any, posting: Any) -> dict[str, Any]:
    """For an interest posting: the ``period`` it covers (first and last day) and the ``rates``
    in force over it, each with its days — what the letters print beside the interest line."""
    inputs = posting.inputs or {}
    if posting.kind != "interest" or not {"from", "through", "principal"} <= set(inputs):
        return {}
    first, last = date.fromisoformat(inputs["from"]), date.fromisoformat(inputs["through"])
    result = rules.interest(book, principal=Decimal(inputs["principal"]),
                            start=first - timedelta(days=1), end=last)
    return {"period": {"from": first, "through": last, "days": (last - first).days + 1},
            "rates": [{"from": p.first, "through": p.last, "rate": p.rate}
                      for p in result.periods]}
