"""The short texts around a letter: e-mail subject and body, file names. Bokmål and English."""

from __future__ import annotations

from krav.letters.view import account, day, money

TITLES = {
    "nb": {"reminder": "Purring", "collection_notice": "Inkassovarsel",
           "payment_demand": "Betalingsoppfordring", "rest_notice": "Restbeløp etter delbetaling",
           "dispute_ack": "Vi har mottatt innsigelsen din",
           "deferral_confirmation": "Bekreftelse på betalingsutsettelse",
           "payment_plan_confirmation": "Bekreftelse på nedbetalingsavtale",
           "settlement_statement": "Oppgjørsoppstilling"},
    "en": {"reminder": "Payment reminder", "collection_notice": "Collection notice",
           "payment_demand": "Payment demand",
           "rest_notice": "Remaining balance after part payment",
           "dispute_ack": "We have received your objection",
           "deferral_confirmation": "Confirmation of deferred payment",
           "payment_plan_confirmation": "Confirmation of payment plan",
           "settlement_statement": "Settlement statement"},
}


def sender_name(content: dict) -> str:
    party = content.get("agency") if content.get("sender", "agency") == "agency" else None
    return (party or content.get("creditor") or {}).get("name", "")


def file_name(content: dict, letter_id: int | None) -> str:
    """``<sent_on>-<kind>-<letter id>.pdf`` (the name ``krav letters render`` writes)."""
    return f"{content.get('sent_on', '')}-{content['kind']}-{letter_id or 0}.pdf"


def subject(content: dict) -> str:
    lang = content.get("language", "nb")
    title = TITLES.get(lang, TITLES["nb"])[content["kind"]]
    word = "case" if lang == "en" else "sak"
    return f"{title} – {word} {content.get('ref', '')} ({sender_name(content)})"


def email_text(content: dict, *, link: str) -> str:
    """The e-mail body: what is attached, the amount, the deadline and how to pay."""
    lang = content.get("language", "nb")
    title = TITLES.get(lang, TITLES["nb"])[content["kind"]]
    total = money((content.get("amounts") or {}).get("total"), lang).replace("\u00a0", " ")
    deadline = day(content.get("deadline"))
    sender, ref = sender_name(content), content.get("ref", "")
    acct, kid = account(content.get("account_number", "")), content.get("kid", "")
    if lang == "en":
        lines = [f"Attached is a letter from {sender}: {title.lower()} for case {ref}.", ""]
        if content["kind"] != "settlement_statement":
            lines += [f"Amount due: {total}", f"Pay by: {deadline or '-'}",
                      f"Account number: {acct}", f"KID (payment reference): {kid}", ""]
        lines += [f"See the case and pay: {link}"] if link else []
        lines += ["", "Yours sincerely", sender]
    else:
        lines = [f"Vedlagt er et brev fra {sender}: {title.lower()} i sak {ref}.", ""]
        if content["kind"] != "settlement_statement":
            lines += [f"Å betale: {total}", f"Betalingsfrist: {deadline or '-'}",
                      f"Kontonummer: {acct}", f"KID: {kid}", ""]
        lines += [f"Se saken og betal: {link}"] if link else []
        lines += ["", "Med vennlig hilsen", sender]
    return "\n".join(lines) + "\n"


def pay_link(content: dict, public_url: str) -> str:
    """The case's pay page: the content's own link, else ``<public_url>/betal/<ref>``."""
    if content.get("pay_url"):
        return str(content["pay_url"])
    if public_url and content.get("ref") and content["kind"] != "settlement_statement":
        return f"{public_url.rstrip('/')}/betal/{content['ref']}"
    return ""
