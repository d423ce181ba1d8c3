"""The short texts around a letter: e-mail subject and body, file names. Bokmål and English."""

from __future__ import annotations

from krav.letters.view import account, day, money

TITLES = {
    "nb": {"reminder": "Purring", "collection_notice": "Inkassovarsel",
           "payment_demand": "Betalingsoppfordring", "rest_notice": "Restbeløp etter delbetaling",
           "dispute_ack": "Vi har mottatt innsigelsen din",
           "deferral_confirmation": "Bekreftelse på betalingsutsettelse",
           "payment_plan_confirmation": "Bekreftelse på nedbetalingsavtale",
           "plan_breach_notice": "Varsel om manglende avdrag",
           "settlement_statement": "Oppgjørsoppstilling"},
    "en": {"reminder": "Payment reminder", "collection_notice": "Collection notice",
           "payment_demand": "Payment demand",
           "rest_notice": "Remaining balance after part payment",
           "dispute_ack": "We have received your objection",
           "deferral_confirmation": "Confirmation of deferred payment",
           "payment_plan_confirmation": "Confirmation of payment plan",
           "plan_breach_notice": "Notice of missed instalments",
           "settlement_statement": "Settlement statement"},
}


def sender_party(content: dict) -> dict:
    """The party the letter is from: the agency, or the creditor for its own letters."""
    party = content.get("agency") if content.get("sender", "agency") == "agency" else None
    return party or content.get("creditor") or {}


def sender_name(content: dict) -> str:
    return sender_party(content).get("name", "")


def contact_line(content: dict) -> str:
    """Who to contact about the letter: the sender's e-mail and phone as the letter gives them
    (the agency's from ``KRAV_AGENCY_EMAIL`` / ``KRAV_AGENCY_PHONE``); empty when it has none."""
    lang = content.get("language", "nb")
    party = sender_party(content)
    email, phone = party.get("email", ""), party.get("phone", "")
    if lang == "en":
        ways = [f"e-mail {email}" if email else "", f"phone {phone}" if phone else ""]
        joined = " or ".join(w for w in ways if w)
        return f"Questions about the case? Contact {party.get('name', 'us')}: {joined}." \
            if joined else ""
    ways = [f"e-post {email}" if email else "", f"telefon {phone}" if phone else ""]
    joined = " eller ".join(w for w in ways if w)
    return f"Spørsmål om saken? Kontakt {party.get('name', 'oss')} på {joined}." \
        if joined else ""


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
        lines += [contact_line(content)] if contact_line(content) else []
        lines += ["", "Yours sincerely", sender]
    else:
        lines = [f"Vedlagt er et brev fra {sender}: {title.lower()} i sak {ref}.", ""]
        if content["kind"] != "settlement_statement":
            lines += [f"Å betale: {total}", f"Betalingsfrist: {deadline or '-'}",
                      f"Kontonummer: {acct}", f"KID: {kid}", ""]
        lines += [f"Se saken og betal: {link}"] if link else []
        lines += [contact_line(content)] if contact_line(content) else []
        lines += ["", "Med vennlig hilsen", sender]
    return "\n".join(lines) + "\n"


def pay_link(content: dict, public_url: str) -> str:
    """The case's pay page (``/betal/{ref}/{token}``, :mod:`krav.cases.codes`): the content's
    own ``pay_url``, else one on ``public_url`` when ``KRAV_SECRET_KEY`` is set; empty when
    there is neither (a link must lead somewhere)."""
    from krav.cases.codes import LetterSite, env_key

    if content.get("pay_url"):
        return str(content["pay_url"])
    if content.get("kind") == "settlement_statement":
        return ""
    return LetterSite(public_url, env_key()).fields(str(content.get("ref", "")), 0)["pay_url"]
