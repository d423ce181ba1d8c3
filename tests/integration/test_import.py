"""CSV claim import on SQLite and PostgreSQL: all rows or none, row errors, KIDs, duplicates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from tests.factories import (
    BYGG,
    FJORDNETT,
    INVALID_FNR,
    INVALID_ORGNR,
    KARI,
    NORDLYS,
    OLA,
    add_creditor,
    claim_row,
    import_claims,
    table_counts,
    write_csv,
)

from krav.db.tables import claims, creditors, debtors, postings
from krav.intake.claims_csv import COLUMNS, ImportRejected
from krav.intake.service import import_claims_file
from krav.kernel.errors import InvalidInput
from krav.kernel.ids import kid_valid


def rejected(engine, tmp_path, rows) -> list[str]:  # type: ignore[no-untyped-def]
    before = table_counts(engine)
    with pytest.raises(ImportRejected) as info:
        import_claims(engine, tmp_path, rows)
    assert table_counts(engine) == before, "a rejected file must leave the database as it was"
    return info.value.problems


def test_a_good_file_imports_every_claim_with_its_principal_posting(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [claim_row(invoice="1001"), claim_row(invoice="1002", debtor=BYGG, amount="2500.50"),
            claim_row(invoice="1003", debtor=OLA, creditor=FJORDNETT, due=date(2026, 2, 1))]
    result = import_claims(engine, tmp_path, rows, as_of=date(2026, 1, 6))
    assert (result.claims, result.creditors_created, result.debtors_created) == (3, 2, 3)
    with engine.connect() as conn:
        got = conn.execute(select(claims).order_by(claims.c.id)).mappings().all()
        assert [c["ref"] for c in got] == ["K-0000001", "K-0000002", "K-0000003"]
        first = got[0]
        assert (first["invoice_number"], first["due_date"], first["principal_ore"],
                first["original_principal_ore"], first["status"], first["stage"],
                first["imported_on"], first["interest_through"]) == (
            "1001", date(2026, 1, 5), 100000, 100000, "open", "invoiced", date(2026, 1, 6),
            date(2026, 1, 5))
        # the default policy's first step: reminder 14 days after the due date
        assert first["next_action_on"] == date(2026, 1, 19)
        assert got[1]["principal_ore"] == 250050
        assert got[2]["next_action_on"] == date(2026, 2, 15)
        principal = conn.execute(select(postings.c.claim_id, postings.c.amount_ore,
                                        postings.c.kind).order_by(postings.c.claim_id)).all()
        assert principal == [(1, 100000, "principal"), (2, 250050, "principal"),
                             (3, 100000, "principal")]
        kinds = dict(conn.execute(select(debtors.c.name, debtors.c.kind)).all())
        assert kinds == {"Kari Nordmann": "consumer", "Hansen Bygg AS": "business",
                         "Ola Hansen": "consumer"}


def test_the_same_debtor_and_creditor_are_reused_across_files(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1")])
    again = import_claims(engine, tmp_path, [claim_row(invoice="2"), claim_row(invoice="3")])
    assert (again.creditors_created, again.debtors_created) == (0, 0)
    assert table_counts(engine)["debtors"] == 1 and table_counts(engine)["claims"] == 3


def test_every_bad_row_is_reported_and_nothing_is_imported(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        claim_row(invoice="1"),
        claim_row(invoice="2", amount="12,50"),
        claim_row(invoice="3", due_date="2026-02-30"),
        claim_row(invoice="4", debtor_kind="person"),
        claim_row(invoice="5", debtor_name=""),
        claim_row(invoice="6", currency="EUR"),
        claim_row(invoice="7", debtor_postcode="150"),
        claim_row(invoice="8", kid="1234567891"),
        claim_row(invoice="9", amount="-100.00"),
        claim_row(invoice="10", debtor_email="kari-at-example"),
        claim_row(invoice="11", invoice_date="2026-02-01"),  # after the due date
    ]
    problems = rejected(engine, tmp_path, rows)
    expected = [(3, "amount"), (4, "due_date"), (5, "debtor_kind"), (6, "debtor_name"),
                (7, "currency"), (8, "debtor_postcode"), (9, "kid"), (10, "amount"),
                (11, "debtor_email"), (12, "due_date")]
    assert len(problems) == len(expected)
    for problem, (line, column) in zip(problems, expected, strict=True):
        assert f"rad {line}, kolonne {column}:" in problem, problem
    assert table_counts(engine)["claims"] == 0 and table_counts(engine)["creditors"] == 0


def test_the_error_says_what_is_wrong_and_what_is_allowed(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    problems = rejected(engine, tmp_path, [claim_row(amount="12,50")])
    assert len(problems) == 1
    assert "ugyldig beløp '12,50'" in problems[0] and "tillatt:" in problems[0]
    assert problems[0].endswith(")") and "rad 2, kolonne amount" in problems[0]


@pytest.mark.parametrize("row, column", [
    (claim_row(creditor_orgnr=INVALID_ORGNR), "creditor_orgnr"),
    (claim_row(debtor=KARI, debtor_id=INVALID_FNR), "debtor_id"),
    (claim_row(debtor=BYGG, debtor_id=INVALID_ORGNR), "debtor_id"),
    (claim_row(debtor=BYGG, debtor_id=KARI.national_id), "debtor_id"),  # fnr for a business
    (claim_row(debtor=KARI, debtor_id=BYGG.national_id), "debtor_id"),  # orgnr for a person
])
def test_bad_orgnr_and_fodselsnummer_are_refused(engine, tmp_path, row, column) -> None:  # type: ignore[no-untyped-def]
    problems = rejected(engine, tmp_path, [row])
    assert len(problems) == 1 and f"kolonne {column}" in problems[0]


def test_a_missing_column_is_refused_naming_it(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "short.csv", [claim_row()],
                     columns=[c for c in COLUMNS if c != "debtor_city"])
    with pytest.raises(InvalidInput) as info:
        import_claims_file(engine, path, as_of=date(2026, 1, 6))
    assert "debtor_city" in str(info.value) and "linje 1" in str(info.value)
    assert table_counts(engine)["claims"] == 0


def test_a_missing_file_and_an_empty_file_are_refused(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="finnes ikke"):
        import_claims_file(engine, tmp_path / "nope.csv", as_of=date(2026, 1, 6))
    with pytest.raises(ImportRejected, match="ingen krav"):
        import_claims(engine, tmp_path, [])


def test_reimporting_the_same_invoice_is_refused_per_row(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1001"), claim_row(invoice="1002")])
    before = table_counts(engine)
    problems = rejected(engine, tmp_path, [claim_row(invoice="2000"), claim_row(invoice="1002"),
                                           claim_row(invoice="1001")])
    assert len(problems) == 2
    assert problems[0].endswith(f"rad 4, kolonne invoice_number: faktura 1001 for {NORDLYS.orgnr} "
                                "er allerede importert")
    assert problems[1].endswith(f"rad 3, kolonne invoice_number: faktura 1002 for {NORDLYS.orgnr} "
                                "er allerede importert")
    assert table_counts(engine) == before


def test_the_same_invoice_number_twice_in_one_file_is_refused(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    problems = rejected(engine, tmp_path, [claim_row(invoice="7"), claim_row(invoice="7")])
    assert len(problems) == 1 and "rad 3" in problems[0] and "rad 2" in problems[0]


def test_the_same_invoice_number_at_another_creditor_is_a_different_claim(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = import_claims(engine, tmp_path, [claim_row(invoice="7"),
                                              claim_row(invoice="7", creditor=FJORDNETT)])
    assert result.claims == 2


def test_a_kid_brought_by_the_row_is_kept(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(kid="1234567897"), claim_row(invoice="2")])
    with engine.connect() as conn:
        kids = conn.execute(select(claims.c.kid).order_by(claims.c.id)).scalars().all()
    assert kids[0] == "1234567897"
    assert kids[1] != kids[0] and kid_valid(kids[1], 10) and len(kids[1]) == 10


def test_a_kid_already_in_use_is_refused(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(kid="1234567897")])
    problems = rejected(engine, tmp_path, [claim_row(invoice="2", kid="1234567897")])
    assert len(problems) == 1 and "kolonne kid" in problems[0]


def test_the_same_kid_twice_in_one_file_is_refused(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    problems = rejected(engine, tmp_path, [claim_row(invoice="1", kid="1234567897"),
                                           claim_row(invoice="2", kid="1234567897")])
    assert len(problems) == 1 and "rad 3, kolonne kid" in problems[0]


@pytest.mark.parametrize("mod", [10, 11])
def test_generated_kids_follow_the_creditors_scheme(engine, tmp_path, mod) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS, kid_mod=mod, kid_length=12)
    rows = [claim_row(invoice=str(n), due=date(2026, 1, 5) + timedelta(days=n))
            for n in range(1, 41)]
    import_claims(engine, tmp_path, rows)
    with engine.connect() as conn:
        kids = conn.execute(select(claims.c.kid)).scalars().all()
    assert len(set(kids)) == 40
    for kid in kids:
        assert len(kid) == 12 and kid.isdigit() and kid_valid(kid, mod), kid
    other = 11 if mod == 10 else 10
    assert not all(kid_valid(kid, other) for kid in kids)


def test_case_refs_continue_across_imports(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1"), claim_row(invoice="2")])
    with pytest.raises(ImportRejected):
        import_claims(engine, tmp_path, [claim_row(invoice="1")])
    import_claims(engine, tmp_path, [claim_row(invoice="3")])
    with engine.connect() as conn:
        refs = conn.execute(select(claims.c.ref).order_by(claims.c.id)).scalars().all()
    assert refs == ["K-0000001", "K-0000002", "K-0000003"]


def test_a_creditor_policy_sets_the_first_action_date(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS, policy={"steps": [
        {"kind": "reminder", "delay_days": 20, "deadline_days": 14},
        {"kind": "collection_notice", "delay_days": 1, "deadline_days": 14}]})
    import_claims(engine, tmp_path, [claim_row()])
    with engine.connect() as conn:
        assert conn.execute(select(claims.c.next_action_on)).scalar_one() == date(2026, 1, 25)
        assert conn.execute(select(creditors.c.name)).scalar_one() == NORDLYS.name


def test_a_debtor_without_id_is_recognised_by_name_and_address(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = import_claims(engine, tmp_path, [claim_row(invoice="1", debtor_id=""),
                                              claim_row(invoice="2", debtor_id="")])
    assert result.debtors_created == 1
    with engine.connect() as conn:
        assert conn.execute(select(debtors.c.national_id)).scalar_one() is None


def test_a_generated_kid_may_not_clash_with_a_kid_another_row_brings(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from krav.payments.kid import KidScheme, kid_for_claim

    first_generated = kid_for_claim(KidScheme(mod=10, length=10), 1)
    problems = rejected(engine, tmp_path, [claim_row(invoice="1"),
                                           claim_row(invoice="2", kid=first_generated)])
    assert len(problems) == 1 and "rad 2, kolonne kid" in problems[0]
