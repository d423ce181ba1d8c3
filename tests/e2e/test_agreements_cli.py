"""``krav case defer`` and ``krav plan …`` through the real entry point (SQLite and PostgreSQL):
the JSON contracts, one clear line for a mistake, and an audit row for every change."""

from __future__ import annotations

import json

import pytest
from tests.factories import Krav, claim_row, write_csv

REF = "K-0000001"


@pytest.fixture
def krav(db_url, capsys, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    k = Krav(db_url, capsys)
    path = write_csv(tmp_path / "claims.csv", [claim_row(amount="6000.00"),
                                               claim_row(invoice="1002", amount="2000.00")])
    k.json("import", "claims", str(path))
    k.ok("run", "--as-of", "2026-01-19")
    return k


def actions(krav: Krav) -> list[str]:
    return [r["action"] for r in krav.json("audit")]


def test_plan_commands_and_their_json(krav) -> None:  # type: ignore[no-untyped-def]
    calc = krav.json("plan", "calc", REF, "--instalments", "6", "--first", "2026-02-01",
                     "--on", "2026-01-20")
    assert calc["count"] == 6 and calc["uplift_warning"] is True
    offer = krav.json("plan", "propose", REF, "K-0000002", "--instalments", "6", "--first",
                      "2026-02-01", "--on", "2026-01-20")
    assert list(offer) == ["ref", "status", "instalments", "total", "uplift_warning"]
    assert offer["status"] == "proposed" and offer["uplift_warning"] is True
    first = offer["instalments"][0]
    assert list(first) == ["due", "amount", "kid", "paid"]
    assert first["due"] == "2026-02-01" and first["amount"].count(".") == 1 \
        and len(first["amount"].split(".")[1]) == 2 and first["paid"] == "0.00"
    accepted = krav.json("plan", "accept", offer["ref"], "--warned", "--on", "2026-01-20")
    assert accepted["status"] == "active" and all(i["kid"] for i in accepted["instalments"])
    shown = krav.json("plan", "show", REF)
    assert shown == accepted
    assert "A-0000001" in krav.ok("plan", "show", offer["ref"])
    cancelled = krav.json("plan", "cancel", offer["ref"], "--on", "2026-01-25", "--reason",
                          "skyldneren betaler alt")
    assert cancelled["resumed"] == [REF, "K-0000002"]
    assert krav.json("plan", "show", REF)["status"] == "cancelled"
    # one row per case the agreement covers, so `krav audit --case` finds each
    assert actions(krav)[-6:] == ["plan.propose"] * 2 + ["plan.accept"] * 2 + ["plan.cancel"] * 2
    assert [r["action"] for r in krav.json("audit", "--case", "K-0000002")] == [
        "plan.propose", "plan.accept", "plan.cancel"]


def test_defer_requests_approve_and_reject(krav) -> None:  # type: ignore[no-untyped-def]
    granted = krav.json("case", "defer", REF, "--until", "2026-02-10", "--on", "2026-01-20")
    assert granted["granted"] is True and granted["until"] == "2026-02-10"
    asked = krav.json("case", "defer", "K-0000002", "--until", "2026-04-01", "--on",
                      "2026-01-20")
    assert asked["status"] == "requested" and asked["reasons"]
    queue = krav.json("plan", "requests")
    assert [(r["ref"], r["cases"]) for r in queue] == [(asked["ref"], ["K-0000002"])]
    code, _, err = krav("plan", "reject", asked["ref"])
    assert code == 2 and err.count("\n") == 1  # --reason is required
    krav.ok("plan", "reject", asked["ref"], "--reason", "for lang", "--on", "2026-01-21")
    assert krav.json("plan", "requests") == []
    again = krav.json("case", "defer", "K-0000002", "--until", "2026-04-01", "--on",
                      "2026-01-21")
    approved = krav.json("plan", "approve", again["ref"], "--on", "2026-01-22")
    assert approved["status"] == "active"
    assert actions(krav)[-5:] == ["case.defer", "case.defer.request", "plan.reject",
                                  "case.defer.request", "case.defer"]


def test_mistakes_are_one_line_and_write_nothing(krav) -> None:  # type: ignore[no-untyped-def]
    before = krav.json("audit")
    for argv in (("case", "defer", REF, "--until", "2026-01-01", "--on", "2026-01-20"),
                 ("case", "defer", "K-9999999", "--until", "2026-02-01"),
                 ("plan", "propose", REF, "--first", "2026-02-01"),
                 ("plan", "propose", REF, "--instalments", "0", "--first", "2026-02-01",
                  "--on", "2026-01-20"),
                 ("plan", "accept", "A-0000042"),
                 ("plan", "show", "A-0000042")):
        code, out, err = krav(*argv)
        assert code == 2 and err.startswith("krav: ") and err.count("\n") == 1, (argv, err)
    assert krav.json("audit") == before
    assert json.loads(krav("plan", "requests", "--json")[1]) == []
