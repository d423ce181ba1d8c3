"""Law data that runs out (issue 8, part 5) through the real entry point: ``krav law check``
warns ahead, ``krav run`` warns and stops before writing on a day without a value, and
``krav law set`` adds the published value locally (``KRAV_LAW_DIR``) without a release."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.factories import BYGG, Krav, claim_row, postings_of, table_counts, write_csv

from krav.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def law_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KRAV_LAW_DIR", str(tmp_path / "lov"))
    return tmp_path / "lov"


def test_law_check_warns_ahead_of_the_gap_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "law", "check", "--on", "2026-12-03", "--days", "30")
    assert code == 1, err
    lines = out.splitlines()
    assert len(lines) == 2 and all(line.startswith("mangler: ") for line in lines)
    assert "interest/forsinkelsesrente har ingen verdi fra 2027-01-01" in out
    assert "compensation/standardkompensasjon har ingen verdi fra 2027-01-01" in out
    assert "til og med 2026-12-31" in out and "krav law set interest/forsinkelsesrente" in out
    code, out, _ = run(capsys, "law", "check", "--on", "2026-12-03", "--days", "28")
    assert code == 0 and out.startswith("ok: ")


def test_law_check_json_has_a_stable_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "law", "check", "--on", "2026-12-03", "--json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"from", "to", "ok", "gaps", "conflicts"}
    assert (data["from"], data["to"], data["ok"], data["conflicts"]) == (
        "2026-12-03", "2027-01-02", False, [])
    assert [g["quantity"] for g in data["gaps"]] == [
        "compensation/standardkompensasjon", "interest/forsinkelsesrente"]
    gap = data["gaps"][1]
    assert set(gap) == {"quantity", "first_missing", "last_known", "period", "hint", "message"}
    assert (gap["first_missing"], gap["last_known"], gap["period"]) == (
        "2027-01-01", "2026-12-31", "half_year")


def test_law_set_then_show_marks_the_local_value_and_check_passes(
        capsys: pytest.CaptureFixture[str], law_dir: Path) -> None:
    code, out, err = run(capsys, "law", "set", "interest/forsinkelsesrente", "--from",
                         "2027-01-01", "--value", "12,00", "--source", "Finanstilsynet 2027-1")
    assert code == 0, err
    assert "interest/forsinkelsesrente = 12.00 fra 2027-01-01, lagret lokalt i" in out
    assert (law_dir / "no" / "interest" / "forsinkelsesrente.yaml").is_file()
    code, out, err = run(capsys, "law", "set", "compensation/standardkompensasjon", "--from",
                         "2027-01-01", "--value", "440", "--source", "Finanstilsynet 2027-1")
    assert code == 0, err
    code, out, _ = run(capsys, "law", "show", "--on", "2027-01-04", "--json")
    rate = json.loads(out)["parameters"]["interest/forsinkelsesrente"]
    assert (rate["value"], rate["since"], rate["source"], rate["local"]) == (
        "12.00", "2027-01-01", "Finanstilsynet 2027-1", True)
    assert json.loads(out)["parameters"]["fees/inkassosats"]["local"] is False
    code, out, _ = run(capsys, "law", "show", "--on", "2027-01-04")
    assert "12.00 (lokal)" in out and "LOKAL" in out
    code, out, _ = run(capsys, "law", "check", "--on", "2026-12-03", "--days", "30")
    assert code == 0 and out.startswith("ok: ")


@pytest.mark.parametrize(("argv", "says"), [
    (["interest/renta", "--from", "2027-01-01", "--value", "12", "--source", "s"],
     "QUANTITY: ukjent lovparameter"),
    (["interest/forsinkelsesrente", "--from", "2027-03-01", "--value", "12", "--source", "s"],
     "--from: interest/forsinkelsesrente fastsettes per halvår"),
    (["interest/forsinkelsesrente", "--from", "2027-13-01", "--value", "12", "--source", "s"],
     "--from"),
    (["interest/forsinkelsesrente", "--from", "2027-01-01", "--value", "tolv", "--source", "s"],
     "--value: ugyldig tall"),
    (["interest/forsinkelsesrente", "--from", "2027-01-01", "--value", "12", "--source", ""],
     "--source: kilden mangler"),
])
def test_a_bad_law_set_is_one_line_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], law_dir: Path, argv: list[str], says: str) -> None:
    code, out, err = run(capsys, "law", "set", *argv)
    assert code == 2 and err.startswith("krav: ") and err.count("\n") == 1, err
    assert says in err and "Traceback" not in err
    assert not law_dir.exists() or not any(law_dir.rglob("*"))


def test_law_set_without_krav_law_dir_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "law", "set", "interest/forsinkelsesrente", "--from",
                       "2027-01-01", "--value", "12", "--source", "s")
    assert code == 2 and err == ("krav: KRAV_LAW_DIR: ingen mappe for lokale lovverdier er satt "
                                 "(tillatt: en mappe, f.eks. KRAV_LAW_DIR=/etc/krav/lov)\n")


def test_a_conflicting_local_value_is_reported_and_krav_value_used(
        capsys: pytest.CaptureFixture[str], law_dir: Path) -> None:
    path = law_dir / "no" / "interest" / "forsinkelsesrente.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("description: r\nunit: percent\nperiod: half_year\nvalues:\n"
                    '  2026-07-01: {value: "11.00", source: "lokal"}\n', encoding="utf-8")
    code, out, err = run(capsys, "law", "show", "--on", "2026-08-01", "--json")
    data = json.loads(out)
    assert data["parameters"]["interest/forsinkelsesrente"]["value"] == "12.25"
    assert len(data["conflicts"]) == 1 and "krav bruker 12.25" in data["conflicts"][0]
    code, out, err = run(capsys, "law", "show", "--on", "2026-08-01")
    assert "advarsel: interest/forsinkelsesrente 2026-07-01" in err
    code, out, _ = run(capsys, "law", "check", "--on", "2026-08-01", "--json")
    assert code == 0 and json.loads(out)["conflicts"][0]["local_value"] == "11.00"


def test_krav_run_warns_on_stderr_and_keeps_json_stdout(db_url, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    krav = Krav(db_url, capsys)
    krav.ok("import", "claims", str(write_csv(tmp_path / "c.csv", [claim_row()])))
    code, out, err = krav("run", "--as-of", "2026-12-10", "--json")
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2026-12-10"
    warned = [line for line in err.splitlines() if "har ingen verdi fra 2027-01-01" in line]
    assert len(warned) == 2 and all(line.startswith("krav: advarsel: ") for line in warned)
    code, out, err = krav("run", "--as-of", "2026-11-20")
    assert code == 0 and "advarsel" not in err


def test_krav_run_stops_before_writing_on_a_day_without_a_value(  # type: ignore[no-untyped-def]
        db_url, engine, capsys, tmp_path, monkeypatch) -> None:
    krav = Krav(db_url, capsys)
    krav.ok("import", "claims", str(write_csv(tmp_path / "c.csv", [
        claim_row(debtor=BYGG, due=date(2026, 12, 20))])))
    before = table_counts(engine)
    code, out, err = krav("run", "--as-of", "2027-01-04")
    assert code == 2 and err.startswith("krav: ") and err.count("\n") == 1, err
    assert "compensation/standardkompensasjon har ingen verdi fra 2027-01-01" in err
    assert "krav law set interest/forsinkelsesrente --from 2027-01-01" in err
    assert table_counts(engine) == before
    # The agency adds the published values locally: the same run now goes through, and the
    # § 3 a compensation is the 2027 amount, not 2026 H2's 430.
    monkeypatch.setenv("KRAV_LAW_DIR", str(tmp_path / "lov"))
    for name, value in (("interest/forsinkelsesrente", "12.00"),
                        ("compensation/standardkompensasjon", "440")):
        code, _, err = run(capsys, "law", "set", name, "--from", "2027-01-01", "--value", value,
                           "--source", "test")
        assert code == 0, err
    code, out, err = krav("run", "--as-of", "2027-01-04")
    assert code == 0, err
    comp = [p for p in postings_of(engine) if p["kind"] == "compensation"]
    assert [(p["amount_ore"], p["inputs"]["nok"]) for p in comp] == [(44000, "440")]


def test_the_demo_ends_where_the_law_data_ends(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``make demo`` run in February 2027 without the 2027 values: a year up to 2026-12-31,
    with one line saying why, instead of stopping on 1 January."""
    import krav.demo.cli as demo_cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo_cli, "today", lambda: date(2027, 2, 1))
    code, out, err = run(capsys, "demo", "--claims", "20", "--db",
                         f"sqlite:///{tmp_path / 'demo.db'}", "--out", str(tmp_path / "brev"))
    assert code == 0, err
    assert "Lovdataene har ikke verdier etter 2026-12-31" in out
