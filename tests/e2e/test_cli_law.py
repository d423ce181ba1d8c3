"""``krav law show``, ``calc interest|fees``, ``kid make|check`` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from krav.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_law_show_json_lists_what_is_in_force_with_since_and_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = run_json(capsys, "law", "show", "--on", "2026-01-01")
    assert data["on"] == "2026-01-01" and data["regime"] == "inkl1988"
    sats = data["parameters"]["fees/inkassosats"]
    assert (sats["value"], sats["text"], sats["since"]) == ("750.00", "750", "2026-01-01")
    assert "FOR-2025-12-19-2709" in sats["source"]
    assert data["parameters"]["fees/reminder_fraction"]["text"] == "1/20"
    assert data["parameters"]["interest/forsinkelsesrente"]["value"] == "12.00"
    assert "regimes/inkl2026" not in data["parameters"]  # adopted 2026-05-22
    earlier = run_json(capsys, "law", "show", "--on", "2025-12-31")
    assert earlier["parameters"]["fees/inkassosats"]["value"] == "700.00"
    assert earlier["parameters"]["salaer/bands"]["value"][0] == {
        "up_to": "500",
        "lett": "0.25",
        "tung": "0.5",
    }
    later = run_json(capsys, "law", "show", "--on", "2026-11-22")
    assert later["parameters"]["regimes/inkl2026"]["value"] is False
    assert later["parameters"]["regimes/inkl2026"]["text"] == "ikke i kraft"


def test_law_show_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "law", "show", "--on", "2024-03-01")
    assert code == 0 and "inkl1988" in out and "fees/inkassosats" in out and "700" in out


def test_calc_interest_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        capsys,
        "calc",
        "interest",
        "--principal",
        "10000",
        "--due",
        "2023-12-15",
        "--until",
        "2024-08-01",
    )
    assert data == {
        "interest": "782.38",
        "days": 230,
        "periods": [
            {
                "from": "2023-12-16",
                "to": "2023-12-31",
                "days": 16,
                "rate": "11.75",
                "interest": "51.51",
            },
            {
                "from": "2024-01-01",
                "to": "2024-06-30",
                "days": 182,
                "rate": "12.50",
                "interest": "621.58",
            },
            {
                "from": "2024-07-01",
                "to": "2024-08-01",
                "days": 32,
                "rate": "12.50",
                "interest": "109.29",
            },
        ],
    }


def test_calc_fees_json_business_2026(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        capsys,
        "calc",
        "fees",
        "--principal",
        "800",
        "--due",
        "2025-11-01",
        "--debtor",
        "business",
        "--no-vat-deduction",
        "--on",
        "2026-01-10",
    )
    assert data == {
        "inkassosats": "750.00",
        "reminder_fee": "38.00",
        "collection_notice_fee": "38.00",
        "payment_demand_fee": "113.00",
        "salaer_lett": "492.18",  # 750 × 0.35 × 1.5 × 1.25 = 492.1875, rounded down to øre
        "salaer_tung": "984.37",  # 750 × 0.7 × 1.5 × 1.25 = 984.375
        "instalment_uplift": "1406.25",
        "compensation": "460.00",
    }


def test_calc_fees_json_consumer_2025(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        capsys,
        "calc",
        "fees",
        "--principal",
        "10000",
        "--due",
        "2025-03-01",
        "--debtor",
        "consumer",
        "--on",
        "2025-04-01",
    )
    assert data == {
        "inkassosats": "700.00",
        "reminder_fee": "35.00",
        "collection_notice_fee": "35.00",
        "payment_demand_fee": "105.00",
        "salaer_lett": "560.00",
        "salaer_tung": "1120.00",
        "instalment_uplift": "1050.00",
        "compensation": "0.00",
    }


def test_calc_fees_for_a_letter_sent_too_early_is_zero(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        capsys,
        "calc",
        "fees",
        "--principal",
        "100",
        "--due",
        "2025-03-01",
        "--debtor",
        "consumer",
        "--on",
        "2025-03-10",
    )
    assert data["reminder_fee"] == data["payment_demand_fee"] == "0.00"


def test_kid_make_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kid", "make", "123456789", "--mod", "10")
    assert (code, out.strip()) == (0, "1234567897")
    code, out, _ = run(capsys, "kid", "make", "123456", "--mod", "11")
    assert (code, out.strip()) == (0, "1234560")
    data = run_json(capsys, "kid", "check", "1234567897")
    assert data == {"kid": "1234567897", "valid": True, "algorithms": ["MOD10"]}
    code, out, _ = run(capsys, "kid", "check", "1234560", "--mod", "11")
    assert (code, out.strip()) == (0, "gyldig (MOD11)")


def test_kid_check_invalid_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kid", "check", "1234567890")
    assert (code, out.strip()) == (1, "ugyldig")
    code, out, _ = run(capsys, "kid", "check", "1234567897", "--mod", "11", "--json")
    assert code == 1 and json.loads(out)["valid"] is False


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            [
                "calc",
                "interest",
                "--principal",
                "10,50",
                "--due",
                "2024-01-01",
                "--until",
                "2024-02-01",
            ],
            "--principal",
        ),
        (
            [
                "calc",
                "interest",
                "--principal",
                "100",
                "--due",
                "2024-02-30",
                "--until",
                "2024-03-01",
            ],
            "--due",
        ),
        (
            [
                "calc",
                "interest",
                "--principal",
                "100",
                "--due",
                "2024-01-01",
                "--until",
                "i morgen",
            ],
            "--until",
        ),
        (
            [
                "calc",
                "interest",
                "--principal",
                "100",
                "--due",
                "2013-01-01",
                "--until",
                "2013-02-01",
            ],
            "interest/forsinkelsesrente",
        ),
        (
            ["calc", "fees", "--principal", "100", "--due", "2024-01-01", "--debtor", "company"],
            "--debtor",
        ),
        (
            ["calc", "fees", "--principal", "-5", "--due", "2024-01-01", "--debtor", "consumer"],
            "--principal",
        ),
        (["law", "show", "--on", "01.01.2026"], "--on"),
        (["kid", "make", "12a4", "--mod", "10"], "KID"),
        (["kid", "make", "1234", "--mod", "12"], "modulus"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("krav: ") and needle in lines[0], err


def test_subprocess_entry_point_prints_one_line_on_bad_date() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "krav",
            "calc",
            "interest",
            "--principal",
            "1",
            "--due",
            "x",
            "--until",
            "2024-01-01",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "krav: --due: ugyldig dato 'x' (tillatt: ÅÅÅÅ-MM-DD)"
