"""From a content snapshot to the view a Typst template lays out: every text formatted.

Formatting lives here, not in Typst: amounts ``1 234,50 kr`` (nb) / ``NOK 1,234.50`` (en),
rates ``12,25 %`` (nb) / ``12.25 %`` (en), always with a non-breaking space before ``%``,
dates ``dd.mm.yyyy`` in both languages, account numbers ``1503.20.80119``, org numbers
``914 778 271``. The templates hold the sentences; this module holds the numbers.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from krav.cases.codes import LetterSite
from krav.kernel.money import fmt_nok, fmt_pct

NBSP = "\u00a0"

# Line labels arrive in Norwegian from the nightly run; English letters translate the usual
# ones (a line may also carry its own ``label_en``).
LABELS_EN = {
    "Hovedstol": "Principal",
    "Forsinkelsesrente": "Late-payment interest",
    "Renter": "Interest",
    "Purregebyr": "Reminder fee",
    "Inkassovarselgebyr": "Collection notice fee",
    "Gebyr for inkassovarsel": "Collection notice fee",
    "Gebyr for betalingsoppfordring": "Payment demand fee",
    "Betalingsoppfordringsgebyr": "Payment demand fee",
    "Salær": "Collection fee (salær)",
    "Inkassosalær": "Collection fee (salær)",
    "Kompensasjon": "Standard compensation",
    "Standardkompensasjon": "Standard compensation",
    "Innbetalt": "Paid",
    "Kreditnota": "Credit note",
}

COUNTRIES = {
    "SE": "SVERIGE / SWEDEN", "DK": "DANMARK / DENMARK", "FI": "FINLAND", "DE": "GERMANY",
    "GB": "UNITED KINGDOM", "PL": "POLAND", "US": "USA", "IS": "ICELAND", "NL": "NETHERLANDS",
}


def money(text: str | None, lang: str) -> str:
    """``"1234.50"`` → ``1 234,50 kr`` (nb) or ``NOK 1,234.50`` (en)."""
    if text in (None, ""):
        return ""
    amount = Decimal(str(text))
    if lang == "en":
        return f"NOK{NBSP}{amount:,.2f}"
    return f"{fmt_nok(amount)}{NBSP}kr"


def day(text: str | None) -> str:
    """ISO date → ``dd.mm.yyyy``; empty stays empty."""
    if not text:
        return ""
    return date.fromisoformat(str(text)).strftime("%d.%m.%Y")


def rate(text: str | None, lang: str) -> str:
    """``"12.00"`` → ``12,00 %`` (nb, :func:`krav.kernel.money.fmt_pct`) or ``12.00 %`` (en);
    a non-breaking space before ``%`` in both."""
    if text in (None, ""):
        return ""
    if lang != "en":
        return fmt_pct(str(text))
    return f"{Decimal(str(text)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}{NBSP}%"


def account(number: str) -> str:
    """Norwegian account number in the usual 4.2.5 grouping."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if len(digits) != 11:
        return str(number)
    return f"{digits[:4]}.{digits[4:6]}.{digits[6:]}"


def group_orgnr(number: str) -> str:
    """``914778271`` → ``914 778 271``."""
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 9 else digits


def orgnr(number: str, lang: str) -> str:
    grouped = group_orgnr(number)
    return f"{'Org. no.' if lang == 'en' else 'Org.nr.'} {grouped}" if grouped else ""


def _address_lines(party: dict) -> list[str]:
    lines = [party.get("address", ""), f"{party.get('postcode', '')} {party.get('city', '')}"]
    country = (party.get("country") or "NO").upper()
    if country != "NO":
        lines.append(COUNTRIES.get(country, country))
    return [line.strip() for line in lines if line.strip()]


def _sender(content: dict, lang: str) -> dict[str, Any]:
    if content.get("sender", "agency") == "agency":
        party = content["agency"]
        licence = party.get("licence", "")
    else:
        party = content["creditor"]
        licence = ""
    contact = [x for x in (party.get("email", ""), party.get("phone", "")) if x]
    return {
        "name": party["name"],
        "lines": _address_lines(party) + contact,
        "orgnr": orgnr(party.get("orgnr", ""), lang),
        "licence": licence,
        "party": party,
    }


def _lines(content: dict, lang: str) -> list[dict[str, str]]:
    out = []
    for line in content.get("lines") or []:
        label = line.get("label", "")
        if lang == "en":
            label = line.get("label_en") or LABELS_EN.get(label, label)
        out.append({"label": label, "amount": money(line.get("amount"), lang),
                     "basis": line.get("basis", "")})
    return out


def prepare(content: dict, *, seq: int = 0, letter_id: int | None = None,
            site: LetterSite | None = None) -> dict[str, Any]:
    """The Typst view of one letter (``seq`` is its position in a batch). A debtor's letter
    carries the portal's address, the case's access code and the pay link from ``site``
    (default: ``KRAV_PUBLIC_URL`` and ``KRAV_SECRET_KEY``; see :mod:`krav.cases.codes`)."""
    lang = content.get("language", "nb")
    sender = _sender(content, lang)
    party = sender.pop("party")
    recipient_party = content["creditor"] if content["kind"] == "settlement_statement" \
        else content["debtor"]
    creditor = content["creditor"]
    on_behalf = creditor["name"] if content.get("sender", "agency") == "agency" else ""
    footer = (party["name"], orgnr(party.get("orgnr", ""), lang), party.get("email", ""),
              party.get("phone", ""))
    view: dict[str, Any] = {
        "seq": seq,
        "id": letter_id or 0,
        "kind": content["kind"],
        "lang": lang,
        "sender": sender,
        "agency_sender": content.get("sender", "agency") == "agency",
        "on_behalf": "" if content["kind"] == "settlement_statement" else on_behalf,
        "return_line": ", ".join([party["name"], *_address_lines(party)]),
        "recipient": [recipient_party["name"], *_address_lines(recipient_party)],
        "footer_line": "  ·  ".join(x for x in footer if x),
        "ref": str(content.get("ref", "")),
        "creditor_name": creditor["name"],
        "creditor_orgnr": group_orgnr(creditor.get("orgnr", "")),
        "sent_on": day(content.get("sent_on")),
        "deadline": day(content.get("deadline")),
        "account": account(content.get("account_number", "")),
        "pay_url": content.get("pay_url") or "",
        "portal_url": "",
        "access_code": "",
    }
    if content["kind"] != "settlement_statement":
        portal = (site or LetterSite.from_env()).fields(
            str(content.get("ref", "")), int(content.get("access_serial") or 0))
        view.update({k: v for k, v in portal.items() if v and not (k == "pay_url" and
                                                                     view["pay_url"])})
    if content["kind"] == "settlement_statement":
        view.update(_settlement(content, lang))
    else:
        view.update(_debtor_fields(content, lang))
    return view


def _debtor_fields(content: dict, lang: str) -> dict[str, Any]:
    amounts = content.get("amounts") or {}
    interest = content.get("interest") or {}
    schedule = content.get("schedule") or []
    plan = content.get("plan") or {}
    return {
        "invoice_number": str(content.get("invoice_number", "")),
        "invoice_date": day(content.get("invoice_date")),
        "due_date": day(content.get("due_date")),
        "description": content.get("description") or "",
        "kid": str(content.get("kid", "")),
        "amount_due": money(amounts.get("total"), lang),
        "paid": money(amounts.get("paid"), lang),
        "lines": _lines(content, lang),
        "interest_rate": rate(interest.get("rate"), lang),
        "interest_from": day(interest.get("from")),
        "interest_through": day(interest.get("through")),
        "enforcement_notice": bool(content.get("enforcement_notice")),
        "schedule": [{"n": str(s.get("n") or i), "due": day(s.get("due")),
                      "amount": money(s.get("amount"), lang),
                      "kid": str(s.get("kid") or content.get("kid", ""))}
                     for i, s in enumerate(schedule, 1)],
        "instalments": str(len(schedule)),
        # an agreement's letter warns only when the debtor accepted the raise (extra_cost_max)
        "cost_warning": len(schedule) > 4 and (content["kind"] != "payment_plan_confirmation"
                                               or not plan.get("ref")
                                               or bool(plan.get("extra_cost_max"))),
        "plan_extra_max": money(plan.get("extra_cost_max"), lang),
        "plan_ref": str(plan.get("ref") or ""),
        "plan_cases": ", ".join(plan.get("cases") or [content.get("ref", "")]),
        "plan_total": money(plan.get("total"), lang),
        "plan_shortfall": money(plan.get("shortfall"), lang),
        "plan_limited": plan.get("kind") == "limited",
        "plan_until": day(plan.get("until")),
        "plan_rest": money(plan.get("rest"), lang),
    }


def _settlement(content: dict, lang: str) -> dict[str, Any]:
    period = content.get("period") or {}
    totals = content.get("totals") or {}
    payout = content.get("payout") or {}
    keys = ("collected", "costs", "commission", "to_creditor")
    return {
        "period_from": day(period.get("from")),
        "period_through": day(period.get("through")),
        "settlement_lines": [
            {"ref": str(line.get("ref", "")), "invoice_number": str(line.get("invoice_number", "")),
             "debtor": line.get("debtor", ""),
             **{k: money(line.get(k) or "0.00", lang) for k in (*keys, "vat")}}
            for line in content.get("lines") or []
        ],
        "totals": {k: money(totals.get(k) or "0.00", lang) for k in (*keys, "vat")},
        "to_creditor": money(totals.get("to_creditor"), lang),
        # transferred (pending/instructed), held back, nothing to pay, or invoiced
        "payout_status": payout.get("status") or "pending",
        "payout_amount": money(payout.get("amount") or totals.get("to_creditor"), lang),
        "invoice": money(payout.get("invoice") or "0.00", lang),
    }
