"""``krav kpi`` on SQLite and PostgreSQL: hand-made books with known figures (stages, age
buckets, a reversal in the period, a cohort paid in 14 and in 75 days, disputes), the outstanding
total equal to the sum of ``case_view`` over the open cases on any day, and tenancy."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import select, update
from tests.factories import (
    BYGG,
    FJORDNETT,
    KARI,
    NORDLYS,
    OLA,
    Krav,
    add_creditor,
    claim,
    claim_row,
    import_claims,
    run_days,
)

from krav.accounts.principal import Principal
from krav.cases import read
from krav.cases.service import dispute
from krav.db.tables import claims
from krav.kernel.errors import InvalidInput, NotFound
from krav.kernel.money import from_ore
from krav.kpi.service import kpi
from krav.law import law_book, rules
from krav.payments.formats.ocr_writer import OcrPayment, write_ocr
from krav.payments.service import import_bank_file

HANDED = date(2026, 1, 6)
DUE = date(2026, 1, 5)
_transmission = count(1)


def pay(engine, ref: str, ore: int, on: date, tx_type: str = "10") -> None:  # type: ignore[no-untyped-def]
    kid = claim(engine, ref)["kid"]
    data = write_ocr([OcrPayment(ore, kid, bank_date=on, tx_type=tx_type)], nets_date=on,
                     transmission=next(_transmission))
    with engine.begin() as conn:
        import_bank_file(conn, data.encode("latin-1"), name=f"ocr-{ore}-{on}.txt", fmt=None,
                         as_of=on, now=datetime.combine(on, datetime.min.time()))


def figures(engine, period: str, as_of: date, **kwargs):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return kpi(conn, period=period, as_of=as_of, **kwargs)


def interest(amount: str, start: date, end: date) -> Decimal:
    return rules.interest(law_book(), principal=Decimal(amount), start=start, end=end).amount


@pytest.fixture
def book(engine, tmp_path):  # type: ignore[no-untyped-def]
    """Nordlys hands over four claims on 6 January 2026 and Fjordnett one:
    K1 1000.00 is paid 20 January (14 days after the handover) with 5.07 too much;
    K2 2000.00 is paid 22 March (75 days); K3 2500.50 (due 1 November 2025) stays open and is
    disputed in March; K4 1500.00 is part paid 1000.00 on 10 February, and the bank reverses
    that payment on 5 March; K5 is Fjordnett's 700.00."""
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    import_claims(engine, tmp_path, [
        claim_row(invoice="1", debtor=KARI, amount="1000.00"),
        claim_row(invoice="2", debtor=OLA, amount="2000.00"),
        claim_row(invoice="3", debtor=BYGG, amount="2500.50", due=date(2025, 11, 1)),
        claim_row(invoice="4", debtor=KARI, amount="1500.00"),
        claim_row(creditor=FJORDNETT, invoice="5", debtor=OLA, amount="700.00")], as_of=HANDED)
    pay(engine, "K-0000001", 101_000, date(2026, 1, 20))
    pay(engine, "K-0000004", 100_000, date(2026, 2, 10))
    pay(engine, "K-0000004", -100_000, date(2026, 3, 5), tx_type="18")
    pay(engine, "K-0000002", 210_000, date(2026, 3, 22))
    with engine.begin() as conn:
        dispute(conn, "K-0000003", on=date(2026, 3, 9), reason="bestrider beløpet")
        conn.execute(update(claims).where(claims.c.ref == "K-0000004")
                     .values(stage="payment_demand"))
    return engine


def test_known_figures_of_a_small_book(book) -> None:  # type: ignore[no-untyped-def]
    as_of = date(2026, 3, 31)
    march = figures(book, "2026-03", as_of, creditor=NORDLYS.orgnr)
    k3 = Decimal("2500.50") + interest("2500.50", date(2025, 11, 1), as_of)
    # K4: the interest crystallised by the reversed payment stands (17.75, to 10 February), and
    # interest runs on the whole principal again from then
    k4 = Decimal("1517.75") + interest("1500.00", date(2026, 2, 10), as_of)
    assert k3 == Decimal("2500.50") + Decimal("50.35") + Decimal("73.99")
    assert march["creditor"] == NORDLYS.orgnr and march["period"] == "2026-03"
    assert march["outstanding_total"] == k3 + k4
    assert march["open_cases"] == 2
    assert march["outstanding_by_stage"]["invoiced"] == k3  # disputed, still at its stage
    assert march["outstanding_by_stage"]["payment_demand"] == k4
    assert march["outstanding_by_stage"]["reminder"] == Decimal("0.00")
    assert march["outstanding_by_status"] == {"open": k4, "paused": Decimal("0.00"),
                                              "disputed": k3}
    # K3 is 150 days past due, K4 85
    assert march["outstanding_by_age"] == {
        "0-30": Decimal("0.00"), "31-60": Decimal("0.00"), "61-90": k4, "91-180": k3,
        "180+": Decimal("0.00")}
    # March: K2 paid (2000.00 and 76 days' interest, 49.97), K4's 1000.00 reversed (982.25
    # principal and 17.75 interest taken back)
    k2_interest = interest("2000.00", DUE, date(2026, 3, 22))
    k4_interest = interest("1500.00", DUE, date(2026, 2, 10))
    assert (k2_interest, k4_interest) == (Decimal("49.97"), Decimal("17.75"))
    assert march["collected"] == {
        "principal": Decimal("2000.00") - (Decimal("1000.00") - k4_interest),
        "interest": k2_interest - k4_interest, "costs": Decimal("0.00"),
        "total": Decimal("2000.00") + k2_interest - Decimal("1000.00"),
        "direct": Decimal("0.00")}
    assert march["disputes"] == {"opened": 1, "pending": 1, "resumed": 0, "paid": 0,
                                 "withdrawn": 0}
    assert march["cohort"]["handed_over"] == 0 and march["cohort"]["rate_90"] is None
    february = figures(book, "2026-02", as_of, creditor=NORDLYS.orgnr)
    assert february["collected"]["total"] == Decimal("1000.00")
    assert february["collected"]["interest"] == k4_interest
    january = figures(book, "2026-01", as_of, creditor=NORDLYS.orgnr)
    k1_interest = interest("1000.00", DUE, date(2026, 1, 20))
    assert january["collected"]["total"] == Decimal("1000.00") + k1_interest  # not the 5.07
    assert january["cohort"] == {"handed_over": 4, "resolved_30": 1, "resolved_60": 1,
                                 "resolved_90": 2, "rate_90": Decimal("50.00"),
                                 "handed_over_amount": Decimal("7000.50")}
    assert january["outstanding_total"] == march["outstanding_total"]  # as_of, not the period
    # DSO: outstanding ÷ handed over in January × 31 days
    assert january["dso"] == (march["outstanding_total"] / Decimal("7000.50") * 31).quantize(
        Decimal("0.01"))


def test_every_creditor_and_tenancy(book) -> None:  # type: ignore[no-untyped-def]
    as_of = date(2026, 3, 31)
    everyone = figures(book, "2026-01", as_of)
    fjordnett = figures(book, "2026-01", as_of, creditor=FJORDNETT.orgnr)
    nordlys = figures(book, "2026-01", as_of, creditor=NORDLYS.orgnr)
    assert everyone["creditor"] is None
    assert fjordnett["outstanding_total"] == Decimal("700.00") + interest("700.00", DUE, as_of)
    assert everyone["outstanding_total"] == (nordlys["outstanding_total"]
                                             + fjordnett["outstanding_total"])
    assert everyone["cohort"]["handed_over"] == 5
    with book.connect() as conn:
        nordlys_id = conn.execute(select(claims.c.creditor_id).where(
            claims.c.ref == "K-0000001")).scalar_one()
    key = Principal(kind="apikey", user_id=None, creditor_id=nordlys_id, roles=(), name="k")
    # a creditor's key sees its own creditor, with or without naming it
    assert figures(book, "2026-01", as_of, principal=key) == nordlys
    assert figures(book, "2026-01", as_of, principal=key, creditor=NORDLYS.orgnr) == nordlys
    for other in (FJORDNETT.orgnr, "999999999"):
        with pytest.raises(NotFound) as refused:
            figures(book, "2026-01", as_of, principal=key, creditor=other)
        assert FJORDNETT.name not in str(refused.value)
    for bad in ("2026-13", "2026-1", "januar", ""):
        with pytest.raises(InvalidInput, match="--period"):
            figures(book, bad, as_of)


def _owed_on(conn, ref: str, as_of: date) -> Decimal:  # type: ignore[no-untyped-def]
    """What ``case_view`` says the case owed on ``as_of``; for a case closed since, with the
    interest it was then accruing (``case_view`` accrues none for a closed case)."""
    view = read.case_view(conn, ref, as_of=as_of)
    if view["status"] != "closed":
        return view["to_pay_today"]
    row = claim(conn.engine, ref)
    balance = view["balance"]
    overpaid = balance["principal"] + balance["interest"] + balance["fees"] - balance["total"]
    last = max([date.fromisoformat(str(p["on"])) for p in view["postings"]
                if p["kind"] == "interest"] + [row["due_date"]])
    since = row["interest_through"] if as_of >= row["interest_through"] else last
    return read.amount_today(principal=balance["principal"], interest=balance["interest"],
                             fees=balance["fees"], overpaid=overpaid, interest_from=since,
                             as_of=as_of, status="open")["to_pay_today"]


def _open_on(engine, as_of: date) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(select(claims.c.ref).where(
            claims.c.imported_on <= as_of,
            (claims.c.status != "closed") | (claims.c.closed_on > as_of))).scalars())


def test_outstanding_is_the_sum_of_case_show_on_any_day(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A book run through two months of nightly runs (letters, fees, § 3a compensation, salær),
    part payments, full payments, an overpayment and a reversal: on every day asked, the total
    is the sum of what ``case_view`` gives each case open that day."""
    add_creditor(engine, NORDLYS)
    rows = [claim_row(invoice=str(i), debtor=(KARI, OLA, BYGG)[i % 3],
                      amount=f"{700 + 137 * i}.{i % 100:02d}",
                      due=date(2025, 12, 1) + timedelta(days=8 * i)) for i in range(12)]
    import_claims(engine, tmp_path, rows, as_of=date(2026, 1, 2))
    run_days(engine, date(2026, 1, 2), date(2026, 2, 10))
    pay(engine, "K-0000001", 50_000, date(2026, 1, 25))
    pay(engine, "K-0000002", 500_000, date(2026, 1, 28))  # more than owed
    pay(engine, "K-0000003", 30_000, date(2026, 2, 3))
    pay(engine, "K-0000003", -30_000, date(2026, 2, 9), tx_type="18")
    run_days(engine, date(2026, 2, 11), date(2026, 3, 10))
    today = date(2026, 3, 10)
    for as_of in (today, date(2026, 3, 31), date(2026, 2, 5), date(2026, 1, 26),
                  date(2026, 1, 2)):
        with engine.connect() as conn:
            expected = sum((_owed_on(conn, ref, as_of) for ref in _open_on(engine, as_of)),
                           Decimal("0.00"))
        got = figures(engine, "2026-01", as_of)
        assert got["outstanding_total"] == expected, as_of
        assert sum(got["outstanding_by_stage"].values()) == expected
        assert sum(got["outstanding_by_age"].values()) == expected
    stages = {claim(engine, f"K-{i:07d}")["stage"] for i in range(4, 13)}
    assert len(stages) >= 2  # the book really spreads over stages


def test_a_sum_exactly_half_an_ore_is_rounded_as_case_show_rounds_it(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """950.00 kroner from 26 April 2021 to 3 December 2026 accrues exactly 585.675 kroner in
    fractions, which ``rules.interest`` (a Decimal sum of its periods) rounds to 585.67."""
    add_creditor(engine, NORDLYS)
    import_claims(engine, tmp_path, [claim_row(amount="950.00", due=date(2021, 4, 26))],
                  as_of=date(2021, 4, 27))
    as_of = date(2026, 12, 3)
    with engine.connect() as conn:
        shown = read.case_view(conn, "K-0000001", as_of=as_of)
    assert shown["interest_accrued"] == Decimal("585.67")
    assert figures(engine, "2026-12", as_of)["outstanding_total"] == shown["to_pay_today"]


def test_the_command_line(book, db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    krav = Krav(db_url, capsys)
    data = krav.json("kpi", "--creditor", NORDLYS.orgnr, "--period", "2026-03",
                     "--as-of", "2026-03-31")
    assert list(data)[:8] == ["creditor", "period", "as_of", "outstanding_total",
                              "outstanding_by_stage", "outstanding_by_age", "collected",
                              "cohort"]
    assert data["as_of"] == "2026-03-31"
    assert data["collected"]["total"] == "1049.97"
    assert list(data["outstanding_by_age"]) == ["0-30", "31-60", "61-90", "91-180", "180+"]
    assert set(data["cohort"]) >= {"handed_over", "resolved_30", "resolved_60", "resolved_90",
                                   "rate_90"}
    with book.connect() as conn:
        assert data["outstanding_total"] == str(kpi(
            conn, period="2026-03", as_of=date(2026, 3, 31),
            creditor=NORDLYS.orgnr)["outstanding_total"])
    table = krav.ok("kpi", "--creditor", NORDLYS.orgnr, "--period", "2026-01", "--as-of",
                    "2026-03-31")
    assert "Nordlys Energi AS" in table and "løst innen 90 dager: 50,00 %" in table
    code, _, err = krav("kpi", "--creditor", "999999999", "--period", "2026-01")
    assert code == 2 and err.startswith("krav: ukjent oppdragsgiver")
    code, _, err = krav("kpi", "--period", "2026-99")
    assert code == 2 and "ÅÅÅÅ-MM" in err
    assert from_ore(0) == Decimal("0.00")



def test_the_figures_are_a_fixed_handful_of_queries(book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Set-wise: as many statements for five claims as for twenty-five, none per case."""
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(book, "before_cursor_execute", lambda *args: statements.append(args[2]))
    figures(book, "2026-01", date(2026, 2, 15))
    few = len(statements)
    import_claims(book, tmp_path, [claim_row(invoice=f"x{i}", amount="100.00") for i in range(20)],
                  as_of=HANDED)
    statements.clear()
    figures(book, "2026-01", date(2026, 2, 15))
    assert len(statements) == few <= 10
