"""Payment requests of a case that stopped or closed before they went out are cancelled."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from tests.factories import claim_row, import_claims, run_days

from krav.cases import service
from krav.db.tables import letters
from krav.letters import outbox


def _statuses(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {r.kind: r.status for r in conn.execute(select(letters.c.kind, letters.c.status))}


def test_a_dispute_cancels_the_unsent_reminder_not_its_acknowledgement(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row()])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19), deliver=False)
    with engine.begin() as conn:
        service.dispute(conn, "K-0000001", on=date(2026, 1, 19), reason="Varen kom aldri")
    claimed = outbox.claim_batch(engine, now=datetime(2026, 1, 20, 9), lease=timedelta(minutes=5),
                                 limit=10)
    assert _statuses(engine) == {"reminder": "cancelled", "dispute_ack": "sending"}
    assert len(claimed) == 1


def test_an_open_case_keeps_its_letters_and_a_paid_one_loses_them(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(), claim_row(invoice="1002")])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19), deliver=False)
    assert outbox.cancel_stale(engine) == 0
    with engine.begin() as conn:
        service.withdraw(conn, "K-0000002", on=date(2026, 1, 19))
    assert outbox.cancel_stale(engine) == 1
    with engine.connect() as conn:
        rows = conn.execute(select(letters.c.claim_id, letters.c.status)
                            .order_by(letters.c.claim_id)).all()
    assert [r.status for r in rows] == ["pending", "cancelled"]
