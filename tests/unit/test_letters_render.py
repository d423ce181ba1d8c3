"""Rendered PDFs read back with pypdf: every kind's mandatory content, in Bokmål and English,
the window-envelope position of the address, and batch page ranges."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from tests.letters_support import pdf_text

from krav.kernel.errors import InvalidInput
from krav.letters.content import DEBTOR_KINDS, KINDS
from krav.letters.render import render_batch, render_pdf, render_png, split
from krav.letters.samples import sample_content, varied_contents
from krav.letters.view import account, day, money, rate

MM = 72 / 25.4  # PDF points per millimetre
TITLES = {
    ("reminder", "nb"): "Purring", ("reminder", "en"): "Payment reminder",
    ("collection_notice", "nb"): "Inkassovarsel", ("collection_notice", "en"): "Collection notice",
    ("payment_demand", "nb"): "Betalingsoppfordring", ("payment_demand", "en"): "Payment demand",
    ("rest_notice", "nb"): "Restbeløp etter delbetaling",
    ("rest_notice", "en"): "Remaining balance after part payment",
    ("dispute_ack", "nb"): "Vi har mottatt innsigelsen din",
    ("dispute_ack", "en"): "We have received your objection",
    ("deferral_confirmation", "nb"): "Bekreftelse på betalingsutsettelse",
    ("deferral_confirmation", "en"): "Confirmation of deferred payment",
    ("payment_plan_confirmation", "nb"): "Bekreftelse på nedbetalingsavtale",
    ("payment_plan_confirmation", "en"): "Confirmation of payment plan",
    ("plan_breach_notice", "nb"): "Varsel om manglende avdrag",
    ("plan_breach_notice", "en"): "Notice of missed instalments",
    ("settlement_statement", "nb"): "Oppgjørsoppstilling",
    ("settlement_statement", "en"): "Settlement statement",
}


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("kind", DEBTOR_KINDS)
def test_every_debtor_letter_shows_the_payment_facts_and_why(kind, lang):
    content = sample_content(kind, lang, n=7)
    text = pdf_text(render_pdf(content, letter_id=7))
    assert TITLES[(kind, lang)] in text
    expected = [content["kid"], account(content["account_number"]), content["invoice_number"],
                flat(money(content["amounts"]["total"], lang)), content["ref"],
                content["debtor"]["name"], content["creditor"]["name"]]
    if content["deadline"]:
        expected.append(day(content["deadline"]))
    for line in content["lines"]:
        expected += [flat(money(line["amount"], lang)), flat(line["basis"])]
    for value in expected:
        assert value in text, f"{kind}/{lang}: {value!r} missing"


@pytest.mark.parametrize("lang, must", [
    ("nb", ["Kreditor:", "Hovedstolen og hvert tillegg", "Forsinkelsesrenten er",
            "ytterligere kostnader", "rettslige skritt", "Finansklagenemnda",
            "tvangsfullbyrdelsesloven § 4-18", "innsigelse"]),
    ("en", ["Creditor:", "principal and each addition", "Late-payment interest is",
            "further costs", "legal steps", "Finansklagenemnda", "Enforcement Act § 4-18",
            "objection"]),
])
def test_payment_demand_has_what_inkassoloven_10_requires(lang, must):
    content = sample_content("payment_demand", lang, n=0)
    assert content["enforcement_notice"] is True and content["sender"] == "agency"
    text = pdf_text(render_pdf(content))
    for phrase in must + [flat(rate(content["interest"]["rate"], lang)),
                          day(content["interest"]["from"]), content["description"]]:
        assert phrase in text, phrase
    assert "Org.nr. 914 778 271" in text or "Org. no. 914 778 271" in text
    assert content["agency"]["licence"] in text


def test_payment_demand_without_enforcement_notice_and_from_the_creditor():
    content = sample_content("payment_demand", "nb", n=0) | {"enforcement_notice": False,
                                                            "sender": "creditor"}
    text = pdf_text(render_pdf(content))
    assert "§ 4-18" not in text
    assert "Finansklagenemnda" not in text  # the complaint right is the agency's duty
    assert "Inkassobevilling" not in text


def test_collection_notice_says_plainly_that_collection_follows():
    content = sample_content("collection_notice", "nb", n=2)
    text = pdf_text(render_pdf(content))
    assert f"Dersom beløpet ikke er betalt innen {day(content['deadline'])}, vil kravet bli " \
           "sendt til inkasso." in text


@pytest.mark.parametrize("n, instalments, warned", [(0, 6, True), (1, 3, False)])
def test_payment_plan_schedule_and_cost_warning(n, instalments, warned):
    content = sample_content("payment_plan_confirmation", "nb", n=n)
    assert len(content["schedule"]) == instalments
    text = pdf_text(render_pdf(content))
    for item in content["schedule"]:
        assert day(item["due"]) in text and item["kid"] in text
        assert flat(money(item["amount"], "nb")) in text
    assert ("mer enn fire avdrag" in text) is warned
    assert ("1,5 ganger inkassosatsen" in text) is warned


def test_rest_notice_shows_the_payment_received():
    content = sample_content("rest_notice", "nb", n=3)
    text = pdf_text(render_pdf(content))
    assert f"Takk for innbetalingen på {flat(money(content['amounts']['paid'], 'nb'))}" in text


def test_dispute_ack_has_no_deadline_and_says_collection_stopped():
    content = sample_content("dispute_ack", "nb", n=1)
    text = pdf_text(render_pdf(content))
    assert "Innkrevingen er stanset" in text and "ingen (stanset)" in text


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_settlement_statement_lists_claims_and_totals(lang):
    content = sample_content("settlement_statement", lang, n=2)
    text = pdf_text(render_pdf(content))
    assert TITLES[("settlement_statement", lang)] in text
    for line in content["lines"]:
        assert line["ref"] in text and flat(money(line["to_creditor"], lang)) in text
    for key in ("collected", "costs", "commission", "vat", "to_creditor"):
        assert flat(money(content["totals"][key], lang)) in text
    assert account(content["account_number"]) in text


def _positions(pdf: bytes, wanted: str) -> list[tuple[float, float]]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    height = float(page.mediabox.height)
    found: list[tuple[float, float]] = []

    def visit(text, cm, tm, font, size):  # noqa: ANN001
        if wanted in text:
            x, y = cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]
            found.append((x / MM, (height - y) / MM))
    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("kind", ["payment_demand", "settlement_statement"])
def test_recipient_address_sits_in_the_envelope_window(kind):
    """C5/E65 left window (DIN 5008 B): 20-105 mm from the left, 45-90 mm from the top;
    the text keeps a few millimetres inside it."""
    content = sample_content(kind, "nb", n=4)
    party = content["creditor" if kind == "settlement_statement" else "debtor"]
    pdf = render_pdf(content)
    for wanted in (party["name"], party["address"], party["city"]):
        spots = _positions(pdf, wanted)
        assert spots, wanted
        x, y = spots[0]
        assert 22 <= x <= 95 and 50 <= y <= 85, (wanted, x, y)


def test_batch_page_ranges_match_the_pdf_and_split_letters_are_whole():
    contents = varied_contents(12)
    contents[3]["lines"] = contents[3]["lines"] * 9  # a long letter runs onto a second page
    rendered = render_batch(contents, ids=list(range(100, 112)))
    assert len(rendered.pages) == 12
    assert rendered.pages[0][0] == 1
    for (_, last), (first, _) in zip(rendered.pages, rendered.pages[1:], strict=False):
        assert first == last + 1
    assert rendered.pages[3][1] > rendered.pages[3][0]
    assert rendered.pages[-1][1] == len(PdfReader(io.BytesIO(rendered.pdf)).pages)
    for content, part in zip(contents, split(rendered), strict=True):
        text = pdf_text(part)
        assert content["ref"] in text
        others = [c["ref"] for c in contents if c["ref"] != content["ref"]]
        assert not any(ref in text for ref in others)


def test_bad_content_is_refused_with_the_letter_named():
    contents = varied_contents(3)
    contents[1]["account_number"] = ""
    with pytest.raises(InvalidInput, match="brev 51: mangler feltet 'account_number'"):
        render_batch(contents, ids=[50, 51, 52])


def test_png_preview_of_every_kind():
    for kind in KINDS:
        pages = render_png(sample_content(kind, "en"), ppi=30)
        assert pages and all(page.startswith(b"\x89PNG") for page in pages)


def test_parallel_rendering_keeps_the_order():
    from krav.letters.parallel import MIN_PARALLEL, render_files, render_letters

    contents = varied_contents(MIN_PARALLEL)
    pdfs = render_letters(contents, workers=2)
    assert len(pdfs) == MIN_PARALLEL
    for index in (0, 1, MIN_PARALLEL // 2, MIN_PARALLEL - 1):
        assert contents[index]["ref"] in pdf_text(pdfs[index])
    files = render_files(contents, workers=2)
    assert len(files) == 2 and sum(len(f.pages) for f in files) == MIN_PARALLEL
    assert contents[-1]["ref"] in pdf_text(files[1].pdf)
