"""Letters say who to contact (issue 8, part 9): the agency's e-mail and phone from the settings
on every letter it sends, in the e-mail and the SMS; no link to a page that does not exist; one
style for a rate in letters ("12,25 %": decimal comma, non-breaking space before %)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from tests.factories import claim_row, import_claims, letters_of, run_days
from tests.letters_support import pdf_text

from krav.kernel.money import fmt_pct
from krav.letters.content import KINDS
from krav.letters.messages import email_text, pay_link
from krav.letters.render import render_pdf
from krav.letters.samples import sample_content
from krav.letters.sms import notice_text
from krav.letters.view import prepare, rate
from krav.settings import Agency, load_settings

AGENCY = Agency(email="kundeservice@inkasso.example.no", phone="+47 22 11 00 00")
NBSP = "\u00a0"
DOT_PERCENT = re.compile(r"\d\.\d+\s*%")  # "12.25 %": the English style, wrong in bokmål


def test_a_percentage_has_one_style() -> None:
    assert fmt_pct("12.25") == f"12,25{NBSP}%"
    assert fmt_pct("8") == f"8,00{NBSP}%"
    assert fmt_pct("12.5", 1) == f"12,5{NBSP}%"
    assert rate("12.25", "nb") == fmt_pct("12.25")
    assert rate("12.25", "en") == f"12.25{NBSP}%"


def test_no_link_to_a_page_that_does_not_exist() -> None:
    assert load_settings({}).public_url == ""
    for kind in KINDS:
        content = sample_content(kind, "nb")
        assert "pay_url" not in content
        assert pay_link(content, "https://inkasso.example.no") == ""
        assert pay_link(content, "") == ""
        assert "http" not in email_text(content, link=pay_link(content, ""))
        assert "http" not in notice_text(content, sender_name="Krav Inkasso AS", link="")
        assert "krav.example/" not in str(prepare(content))


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_agency_letter_gives_the_agency_email_and_phone(kind, lang) -> None:
    content = sample_content(kind, lang, n=3, sender="agency")
    content["agency"].update(email=AGENCY.email, phone=AGENCY.phone)
    text = " ".join(pdf_text(render_pdf(content, letter_id=3)).replace(NBSP, " ").split())
    assert AGENCY.email in text and AGENCY.phone in text
    mail = email_text(content, link="")
    assert AGENCY.email in mail and AGENCY.phone in mail
    if kind != "settlement_statement":
        assert "+47 22 11 00 00" in notice_text(content, sender_name=AGENCY.name, link="")


def test_nightly_letters_give_the_contact_and_the_rate_in_one_style(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # due in the second half of 2026: forsinkelsesrente 12.25 % (law data)
    import_claims(engine, tmp_path, [claim_row(due=date(2026, 7, 6), amount="10000.00")],
                  as_of=date(2026, 7, 7))
    run_days(engine, date(2026, 7, 20), date(2026, 8, 20), agency=AGENCY)
    letters = letters_of(engine)
    assert [lt["kind"] for lt in letters] == ["reminder", "collection_notice", "payment_demand"]
    bases = []
    for letter in letters:
        content = letter["content"]
        if content["sender"] == "agency":
            assert (content["agency"]["email"], content["agency"]["phone"]) == \
                (AGENCY.email, AGENCY.phone)
        bases += [line["basis"] for line in content["lines"]]
        text = pdf_text(render_pdf(content, letter_id=letter["id"]))
        assert not DOT_PERCENT.search(text), text
        assert not DOT_PERCENT.search(email_text(content, link=""))
    interest = [b for b in bases if b.startswith("forsinkelsesrenteloven § 3")]
    assert interest and all(f"12,25{NBSP}% per år" in b for b in interest), interest
    demand = letters[-1]["content"]
    view = prepare(demand)
    assert view["interest_rate"] == f"12,25{NBSP}%"
    assert AGENCY.email in view["footer_line"] and AGENCY.phone in view["footer_line"]
