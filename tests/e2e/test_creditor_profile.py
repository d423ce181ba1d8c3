"""Onboarding a creditor (issue 8, part 1): ``krav creditor add|update|show|list``, the profile
columns of the claims import, and the nightly run holding a creditor whose profile lacks what its
letters need — on SQLite and PostgreSQL, through the real entry point."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from tests.factories import (
    CREDITOR_PROFILE,
    FJORDNETT,
    NORDLYS,
    Krav,
    add_creditor,
    claim_row,
    import_claims,
    letters_of,
    table_counts,
    write_csv,
)

from krav.db.tables import creditors, letters
from krav.engine.run import run_nightly
from krav.settings import Agency

BLANK_PROFILE = dict.fromkeys(CREDITOR_PROFILE, "")
ORGNR = "923609016"  # a valid org number no persona uses
ADD = ["creditor", "add", ORGNR, "--name", "Fjordtann AS", "--address", "Kaigaten 4",
       "--postcode", "5015", "--city", "Bergen", "--account", "1503.20.80119"]


@pytest.fixture
def krav(db_url, capsys) -> Krav:  # type: ignore[no-untyped-def]
    return Krav(db_url, capsys)


def user_error(engine, krav: Krav, *argv: str, says: str) -> str:  # type: ignore[no-untyped-def]
    """One ``krav:`` line on stderr, a non-zero exit, nothing written."""
    before = table_counts(engine)
    code, out, err = krav(*argv)
    assert code != 0
    assert err.startswith("krav: ") and err.count("\n") == 1, err
    assert says in err, err
    assert "Traceback" not in err + out
    assert table_counts(engine) == before
    return err


def test_add_show_and_update_a_creditor(krav, engine) -> None:  # type: ignore[no-untyped-def]
    added = krav.json(*ADD, "--email", "faktura@fjordtann.no", "--phone", "+47 55 12 34 56",
                      "--commission", "12,5", "--language", "en")
    assert added["orgnr"] == ORGNR and added["account_number"] == "15032080119"
    assert added["commission_pct"] == "12.5" and added["language"] == "en"
    assert added["missing"] == []
    shown = krav.json("creditor", "show", ORGNR)
    assert {k: shown[k] for k in ("name", "address", "postcode", "city", "email", "phone")} == {
        "name": "Fjordtann AS", "address": "Kaigaten 4", "postcode": "5015", "city": "Bergen",
        "email": "faktura@fjordtann.no", "phone": "+47 55 12 34 56"}
    text = krav.ok("creditor", "show", ORGNR)
    assert "1503.20.80119" in text and "12,50\u00a0%" in text and "komplett" in text
    krav.ok("creditor", "update", ORGNR, "--city", "BERGEN", "--email", "")
    shown = krav.json("creditor", "show", ORGNR)
    assert shown["city"] == "BERGEN" and shown["email"] == "" and shown["address"] == "Kaigaten 4"
    listed = krav.json("creditor", "list")
    assert [(c["orgnr"], c["missing"], c["account_number"]) for c in listed] == [
        (ORGNR, [], "15032080119")]


@pytest.mark.parametrize("extra, says", [
    (["--account", "1503.20.80118"], "--account: ugyldig kontonummer '1503.20.80118'"),
    (["--postcode", "501"], "--postcode: ugyldig postnummer '501'"),
    (["--email", "faktura.fjordtann.no"], "--email: ugyldig e-postadresse"),
    (["--phone", "55-12-34"], "--phone: ugyldig telefonnummer"),
    (["--commission", "101"], "--commission: ugyldig provisjonssats '101'"),
    (["--commission", "-1"], "--commission: ugyldig provisjonssats '-1'"),
    (["--commission", "12,345"], "--commission: provisjonssats '12,345' har mer enn to"),
    (["--language", "se"], "--language: ukjent språk 'se'"),
])
def test_add_refuses_a_bad_value_with_one_line(krav, engine, extra, says) -> None:  # type: ignore[no-untyped-def]
    user_error(engine, krav, *ADD, *extra, says=says)


def test_add_update_and_show_refuse_what_they_cannot_do(krav, engine) -> None:  # type: ignore[no-untyped-def]
    user_error(engine, krav, "creditor", "add", "923609017", "--name", "X", "--address", "A",
               "--postcode", "0150", "--city", "Oslo", "--account", "15032080119",
               says="ORGNR: ugyldig organisasjonsnummer '923609017'")
    user_error(engine, krav, "creditor", "add", ORGNR, "--name", "Fjordtann AS",
               says="mangler --address, --postcode, --city, --account")
    user_error(engine, krav, "creditor", "update", ORGNR, "--city", "Bergen",
               says="ukjent oppdragsgiver 923609016")
    user_error(engine, krav, "creditor", "show", ORGNR, says="ukjent oppdragsgiver 923609016")
    krav.ok(*ADD)
    user_error(engine, krav, *ADD, says="finnes allerede")
    user_error(engine, krav, "creditor", "update", ORGNR, says="ingenting å endre")
    user_error(engine, krav, "creditor", "update", ORGNR, "--address", " ",
               says="--address: kan ikke være tom")


def test_a_creditor_created_by_the_import_gets_the_profile_columns(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [claim_row(creditor_account="1503.20.80119", creditor_email=""),
            claim_row(invoice="1002", creditor_address="", creditor_account="",
                      creditor_email="post@nordlys.no")]
    krav.json("import", "claims", str(write_csv(tmp_path / "c.csv", rows)))
    shown = krav.json("creditor", "show", NORDLYS.orgnr)
    assert (shown["address"], shown["postcode"], shown["city"], shown["account_number"],
            shown["email"]) == ("Næringsveien 5", "0150", "Oslo", "15032080119",
                                "post@nordlys.no")
    assert shown["missing"] == []


def test_an_import_fills_in_what_a_profile_lacks(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = krav.ok("import", "claims", str(write_csv(tmp_path / "a.csv",
                                                    [claim_row(**BLANK_PROFILE)])))
    assert f"Merk: oppdragsgiver {NORDLYS.orgnr} holdes tilbake: mangler adresse, postnummer, " \
           "poststed, kontonummer" in " ".join(out.split())
    assert krav.json("creditor", "show", NORDLYS.orgnr)["missing"] == [
        "adresse", "postnummer", "poststed", "kontonummer"]
    out = krav.ok("import", "claims", str(write_csv(tmp_path / "b.csv",
                                                    [claim_row(invoice="2")])))
    assert krav.json("creditor", "show", NORDLYS.orgnr)["missing"] == []
    assert "Merk" not in out


def test_a_column_that_contradicts_the_profile_is_a_row_error(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    path = write_csv(tmp_path / "conflict.csv", [
        claim_row(), claim_row(invoice="2", creditor_account="15032080119"),
        claim_row(invoice="3", creditor_city="  oslo ")])  # same city, other case: no conflict
    before = table_counts(engine)
    code, out, err = krav("import", "claims", str(path))
    assert code != 0 and "Traceback" not in err and table_counts(engine) == before
    assert f"{path}: 1 feil, ingenting er importert" in err
    assert f"{path}, rad 3, kolonne creditor_account: '15032080119' avviker fra " \
           "oppdragsgiverens registrerte kontonummer '12038004563'" in err


def test_two_rows_that_disagree_on_a_new_creditor_are_refused(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "two.csv", [
        claim_row(), claim_row(invoice="2", creditor_postcode="0151"),
        claim_row(invoice="3", creditor_postcode="")])
    before = table_counts(engine)
    code, out, err = krav("import", "claims", str(path))
    assert code != 0 and "Traceback" not in err
    assert f"{path}, rad 3, kolonne creditor_postcode: '0151' avviker fra '0150' på rad 2" in err
    assert "rad 4" not in err  # an empty cell is "not given", not a conflict
    assert table_counts(engine) == before
    path = write_csv(tmp_path / "bad.csv", [claim_row(creditor_account="123")])
    code, out, err = krav("import", "claims", str(path))
    assert code != 0
    assert f"{path}, rad 2, kolonne creditor_account: ugyldig kontonummer '123'" in err
    assert table_counts(engine) == before


def test_the_run_holds_a_creditor_whose_profile_is_incomplete(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [claim_row(**BLANK_PROFILE),
            claim_row(creditor=FJORDNETT, invoice="F1")]
    krav.json("import", "claims", str(write_csv(tmp_path / "c.csv", rows)))
    reason = (f"oppdragsgiver {NORDLYS.orgnr} holdes tilbake: mangler adresse, postnummer, "
              "poststed, kontonummer")
    listed = {c["orgnr"]: c["missing"] for c in krav.json("creditor", "list")}
    assert listed == {NORDLYS.orgnr: ["adresse", "postnummer", "poststed", "kontonummer"],
                      FJORDNETT.orgnr: []}
    assert "adresse, postnummer" in krav.ok("creditor", "list")
    dry = run_nightly(engine, as_of=date(2026, 1, 19), dry_run=True)
    assert dry.held_creditors == [reason] and dry.claims_held == 1
    assert [p["ref"] for p in dry.plans] == ["K-0000002"]
    code, out, err = krav("run", "--as-of", "2026-01-19")
    assert code == 3
    assert f"krav: {reason}\n" in err
    assert "1 saker ble holdt tilbake; fyll inn profilen med `krav creditor update ORGNR`" in err
    assert letters_of(engine, "K-0000001") == []
    assert [lt["kind"] for lt in letters_of(engine, "K-0000002")] == ["reminder"]
    krav.ok("creditor", "update", NORDLYS.orgnr, "--address", "Kraftveien 2", "--postcode",
            "0580", "--city", "Oslo", "--account", "15032080119")
    code, out, err = krav("run", "--as-of", "2026-01-20")
    assert code == 0, err
    (reminder,) = letters_of(engine, "K-0000001")
    assert reminder["content"]["creditor"]["address"] == "Kraftveien 2"


def test_a_held_creditor_without_a_step_due_does_not_fail_the_run(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new client whose profile is still incomplete and whose claims have no step due yet
    (or who has none) is listed by `krav creditor list`, but is no reason for the nightly run to
    exit 3 every night."""
    add_creditor(engine, FJORDNETT)
    krav.json("import", "claims", str(write_csv(tmp_path / "c.csv", [
        claim_row(creditor=FJORDNETT, invoice="F1")])))
    add_creditor(engine, NORDLYS)
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == NORDLYS.orgnr)
                     .values(account_number="", address=""))
    assert {c["orgnr"]: bool(c["missing"]) for c in krav.json("creditor", "list")} == {
        NORDLYS.orgnr: True, FJORDNETT.orgnr: False}
    code, out, err = krav("run", "--as-of", "2026-01-19")
    assert code == 0, err
    assert "holdes tilbake" not in err
    assert [lt["kind"] for lt in letters_of(engine, "K-0000001")] == ["reminder"]


def test_a_creditor_with_an_incomplete_profile_and_an_unlawful_policy_names_both(  # type: ignore[no-untyped-def]
        engine, tmp_path) -> None:
    add_creditor(engine, NORDLYS, policy={"demand_deadline_days": 7})
    import_claims(engine, tmp_path, [claim_row()])
    with engine.begin() as conn:
        conn.execute(update(creditors).values(account_number=""))
    summary = run_nightly(engine, as_of=date(2026, 1, 19), dry_run=True)
    (line,) = summary.held_creditors
    assert line.startswith(f"oppdragsgiver {NORDLYS.orgnr} holdes tilbake: mangler kontonummer; ")
    assert "inkassoloven § 10" in line


def test_render_names_the_creditor_and_what_a_letter_lacks(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A letter made before the profile was checked: one line, not a template error."""
    krav.json("import", "claims", str(write_csv(tmp_path / "c.csv", [claim_row()])))
    run_nightly(engine, as_of=date(2026, 1, 19), agency=Agency())
    with engine.begin() as conn:
        letter_id, content = conn.execute(select(letters.c.id, letters.c.content)).one()
        content["creditor"].update(address="", postcode="", city="")
        conn.execute(update(letters).values(content=content))
    code, out, err = krav("letters", "render", "--case", "K-0000001", "--out",
                          str(tmp_path / "out"))
    assert code != 0 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"krav: sak K-0000001, brev {letter_id}: oppdragsgiver "
                          f"{NORDLYS.orgnr} {NORDLYS.name} mangler adresse, postnummer, poststed")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
