"""KIDs for payment-plan instalments (issue 4 § 1: every instalment can get its own KID).

The payment plan itself (nedbetalingsavtale) belongs to the cases context; when a plan is made it
calls :func:`instalment_kids_for` and prints the KIDs on the confirmation. A payment with an
instalment's KID is matched to the plan's claim like a payment with the claim's own KID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, insert, select

from krav.db.tables import claims, creditors
from krav.kernel.errors import NotFound, UnableToProceed
from krav.kernel.money import to_ore
from krav.payments.kid import KidScheme, kid_for_instalment
from krav.payments.tables import instalment_kids


def instalment_kids_for(conn: Connection, claim_id: int,
                        schedule: Sequence[tuple[date, Decimal]]) -> list[str]:
    """Give each ``(due, amount)`` of a plan its KID (claim id as the scheme's sequence).

    Idempotent: KIDs already given to this claim's instalments are returned, not made again.
    """
    row = conn.execute(select(creditors.c.kid_mod, creditors.c.kid_length, creditors.c.kid_prefix)
                       .join(claims, claims.c.creditor_id == creditors.c.id)
                       .where(claims.c.id == claim_id)).first()
    if row is None:
        raise NotFound(f"ukjent krav-id {claim_id}")
    scheme = KidScheme(mod=row.kid_mod, length=row.kid_length, prefix=row.kid_prefix)
    existing = {n: kid for n, kid in conn.execute(
        select(instalment_kids.c.instalment, instalment_kids.c.kid)
        .where(instalment_kids.c.claim_id == claim_id))}
    wanted = {n: kid_for_instalment(scheme, claim_id, n) for n in range(1, len(schedule) + 1)
              if n not in existing}
    clash = conn.execute(select(claims.c.kid).where(claims.c.kid.in_(list(wanted.values())))
                         ).scalars().first() if wanted else None
    if clash:
        raise UnableToProceed(f"avdrags-KID {clash} er allerede KID for et annet krav")
    if wanted:
        conn.execute(insert(instalment_kids), [
            {"kid": kid, "claim_id": claim_id, "instalment": n, "due_date": schedule[n - 1][0],
             "amount_ore": to_ore(schedule[n - 1][1])} for n, kid in wanted.items()])
    return [existing.get(n) or wanted[n] for n in range(1, len(schedule) + 1)]
