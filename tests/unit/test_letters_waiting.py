"""The reason a letter waits, grouped across letters (krav.letters.waiting)."""

from __future__ import annotations

from datetime import date

from krav.letters.waiting import reason, summary


def test_equal_causes_on_different_letters_read_the_same() -> None:
    assert reason("brev 17.creditor: mangler feltet 'address'", 17) == \
        reason("brev 4.creditor: mangler feltet 'address'", 4) == \
        "kreditor: mangler feltet 'address'"
    uncertain = ("letter-{0}-email: usikkert om sendt (avbrudd under sending). Sjekk og send på "
                 "nytt med «krav letters retry {0}».")
    assert reason(uncertain.format(40), 40) == reason(uncertain.format(7), 7)
    assert "retry ID" in reason(uncertain.format(7), 7)
    assert reason(None) == "ingen årsak registrert"


def test_summary_counts_states_and_the_commonest_reasons() -> None:
    rows = [{"status": "parked", "reason": "a", "sent_on": date(2026, 1, 1)}] * 3 + \
        [{"status": "held", "reason": "b", "sent_on": date(2026, 1, 1)}]
    assert summary(rows) == "1 holdt tilbake, 3 parkert — a (3); b (1)"
