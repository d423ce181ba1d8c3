"""``krav bench nightly`` times a run that does the work: every due claim gets its letter.

A benchmark whose book the run holds back (a creditor profile lacking what letters need) times
nothing; the bench refuses to report such a figure.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from krav.bench.nightly import bench_nightly, build_book
from krav.db.tables import creditors, letters
from krav.engine.run import run_nightly
from krav.kernel.errors import KravError

AS_OF = date(2026, 6, 15)


def test_the_bench_run_sends_every_due_claim_its_letter(engine) -> None:  # type: ignore[no-untyped-def]
    result = bench_nightly(engine, claims_count=300, due=30, as_of=AS_OF)
    assert (result["due"], result["changed"], result["letters"]) == (30, 30, 30)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(letters)).scalar_one() == 30


def test_a_run_that_holds_the_book_is_no_figure(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import krav.bench.nightly as bench

    def book_without_accounts(engine, **kwargs):  # type: ignore[no-untyped-def]
        build_book(engine, **kwargs)
        with engine.begin() as conn:
            conn.execute(update(creditors).values(account_number=""))

    monkeypatch.setattr(bench, "build_book", book_without_accounts)
    with pytest.raises(KravError, match="målingen er ugyldig"):
        bench.bench_nightly(engine, claims_count=60, due=6, as_of=AS_OF)
    assert run_nightly(engine, as_of=AS_OF).claims_held == 6
