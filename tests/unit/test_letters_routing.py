"""Channel choice under INKL § 3 a and creditor preferences; SMS text; formatting; validation."""

from __future__ import annotations

import pytest

from krav.kernel.errors import InvalidInput
from krav.letters.content import KINDS, validate
from krav.letters.messages import email_text, file_name, pay_link, subject
from krav.letters.routing import Preferences, Reach, parse_preferences, route
from krav.letters.samples import sample_content
from krav.letters.sms import GSM7, GSM7_EXTENDED, gsm7_length, notice_text, to_gsm7
from krav.letters.view import account, day, money, orgnr, prepare, rate

CONSENTED = Reach(email="ola@example.no", email_consent=True, phone="+4791234567")


def test_email_only_with_consent_otherwise_print():
    assert route("payment_demand", CONSENTED, Preferences()).chain == ("email", "print")
    no_consent = Reach(email="ola@example.no", email_consent=False)
    assert route("payment_demand", no_consent, Preferences()).chain == ("print",)


def test_bounced_address_falls_back_to_print():
    bounced = Reach(email="ola@example.no", email_consent=True, email_bounced=True)
    assert route("collection_notice", bounced, Preferences()).chain == ("print",)


def test_digital_mailbox_first_when_the_person_has_one():
    reach = Reach(email="a@b.no", email_consent=True, has_mailbox=True)
    assert route("reminder", reach, Preferences()).chain == ("digital_mailbox", "email", "print")


def test_bad_address_without_electronic_consent_is_held():
    reach = Reach(email="a@b.no", email_consent=False, postal_ok=False, phone="+4790000000")
    plan = route("payment_demand", reach, Preferences())
    assert plan.chain == () and plan.primary is None and plan.sms is False


def test_creditor_preference_cannot_drop_print():
    prefs = parse_preferences({"order": ["email"]})
    assert route("reminder", Reach(), prefs).chain == ("print",)
    assert route("reminder", CONSENTED, prefs).chain == ("email", "print")


def test_per_kind_override_and_sms_flag():
    prefs = parse_preferences({"sms": True, "kinds": {"payment_demand": {"order": ["print"],
                                                                         "sms": False}}})
    assert route("payment_demand", CONSENTED, prefs).chain == ("print",)
    assert route("payment_demand", CONSENTED, prefs).sms is False
    assert route("reminder", CONSENTED, prefs).sms is True
    assert route("reminder", Reach(email_consent=True), prefs).sms is False  # no phone


def test_settlement_statement_goes_to_the_creditor_by_agreement():
    reach = Reach(email="faktura@kreditor.no", email_consent=True)
    assert route("settlement_statement", reach, Preferences()).chain == ("email", "print")
    prefs = parse_preferences({"statement": "print"})
    assert route("settlement_statement", reach, prefs).chain == ("print",)


@pytest.mark.parametrize("raw, where", [
    ({"order": ["fax"]}, "creditors.channels.order"),
    ({"sms": "yes"}, "creditors.channels.sms"),
    ({"kinds": {"purring": {}}}, "creditors.channels.kinds.purring"),
    ({"colour": "red"}, "creditors.channels"),
    ({"statement": "sms"}, "creditors.channels.statement"),
    ([], "creditors.channels"),
])
def test_bad_preferences_name_the_field(raw, where):
    with pytest.raises(InvalidInput) as err:
        parse_preferences(raw)
    assert str(err.value).startswith(where + ":")


def test_sms_text_is_gsm7_and_short():
    content = sample_content("collection_notice", "nb", n=3)
    link = f"https://portal.example.no/betal/{content['ref']}"  # a page that exists some day
    text = notice_text(content, sender_name="Krav Inkasso AS", link=link)
    assert all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text)
    assert gsm7_length(text) <= 160
    assert content["ref"] in text and "kr" in text and link in text
    assert day(content["deadline"]) in text
    assert to_gsm7("«Hei» – ’x’ …") == '"Hei" - \'x\' ...'
    assert to_gsm7("æøåÆØÅ") == "æøåÆØÅ"
    assert to_gsm7("🙂") == "?"


def test_formatting():
    assert money("1234.50", "nb") == "1\u00a0234,50\u00a0kr"
    assert money("-300.00", "nb") == "-300,00\u00a0kr"
    assert money("1234.50", "en") == "NOK\u00a01,234.50"
    assert day("2026-04-16") == "16.04.2026"
    assert rate("12", "nb") == "12,00\u00a0%" and rate("12.25", "en") == "12.25\u00a0%"
    assert account("15032080119") == "1503.20.80119"
    assert orgnr("914778271", "nb") == "Org.nr. 914 778 271"


def test_view_recipient_is_the_debtor_and_creditor_for_statements():
    letter = sample_content("payment_demand", "nb", n=4)
    view = prepare(letter)
    assert view["recipient"][0] == letter["debtor"]["name"]
    assert view["sender"]["licence"] == letter["agency"]["licence"]
    statement = sample_content("settlement_statement", "nb", n=4)
    assert prepare(statement)["recipient"][0] == statement["creditor"]["name"]


def test_english_view_translates_norwegian_line_labels():
    view = prepare(sample_content("payment_demand", "en", n=2))
    assert [line["label"] for line in view["lines"]][:2] == ["Principal", "Late-payment interest"]


@pytest.mark.parametrize("kind", KINDS)
def test_samples_are_valid(kind):
    validate(sample_content(kind, "nb"), where="x")
    validate(sample_content(kind, "en", n=5), where="x")


@pytest.mark.parametrize("patch, field", [
    ({"kind": "brev"}, "brev 7.kind"),
    ({"kid": ""}, "brev 7"),
    ({"deadline": "16.04.2026"}, "brev 7.deadline"),
    ({"amounts": {"total": "12,50"}}, "brev 7.amounts.total"),
    ({"lines": []}, "brev 7.lines"),
    ({"interest": None}, "brev 7"),
    ({"language": "se"}, "brev 7.language"),
])
def test_validation_names_the_letter_and_field(patch, field):
    content = sample_content("payment_demand", "nb") | patch
    with pytest.raises(InvalidInput) as err:
        validate(content, where="brev 7")
    assert str(err.value).startswith(field + ":")


def test_messages():
    content = sample_content("payment_demand", "nb", n=1)
    assert subject(content).startswith("Betalingsoppfordring – sak K-")
    text = email_text(content, link="https://x/betal/1")
    assert "KID: " + content["kid"] in text
    assert "Betalingsfrist: " + day(content["deadline"]) in text
    assert file_name(content, 42) == f"{content['sent_on']}-payment_demand-42.pdf"
    # without KRAV_SECRET_KEY no pay link can be made (krav.cases.codes), even with a public URL
    assert pay_link(content | {"pay_url": None}, "https://inkasso.example.no/") == ""
