"""Every posting of a case in plain words with its legal basis, for the debtor: what it is, the
§ it rests on and why it was charged — from the rule id and the inputs the posting carries
(:class:`krav.law.rules.charge.Charge`), so the page says exactly what the computation used.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from krav.portal.i18n import N_, day, money, translations

COMPONENT = {
    "principal": N_("hovedstolen"), "interest": N_("renter"), "reminder_fee": N_("purregebyret"),
    "collection_notice_fee": N_("gebyret for inkassovarsel"),
    "payment_demand_fee": N_("gebyret for betalingsoppfordring"),
    "compensation": N_("kompensasjonen"), "salaer": N_("inkassosalæret"),
    "overpaid": N_("det du har til gode"),
}

ORDER = {"costs": N_("kostnader"), "interest": N_("renter"), "principal": N_("hovedstol")}


def _fee_why(_: Any, inputs: dict[str, Any], lang: str) -> str:
    return _("fordi fakturaen ikke var betalt %(days)s dager etter forfall "
             "(%(fraction)s av inkassosatsen %(sats)s)") % {
        "days": inputs.get("days_after_due", "?"), "fraction": inputs.get("fraction", "?"),
        "sats": money(inputs.get("inkassosats"), lang)}


def explain(posting: dict[str, Any], lang: str, invoice_number: str) -> dict[str, str]:
    """``{label, basis, why}`` of one posting in ``lang``."""
    _ = translations(lang).gettext
    rule, kind, inputs = posting["rule"], posting["kind"], posting.get("inputs") or {}
    amount = posting["amount"]
    if kind == "payment":
        target = _(COMPONENT.get(posting["component"], posting["component"]))
        if posting["component"] == "overpaid":
            return {"label": _("Innbetalt mer enn kravet"), "basis": "",
                    "why": _("beløpet skal betales tilbake til deg")}
        order = " → ".join(_(ORDER.get(w, w)) for w in str(inputs.get("order", "")).split(",")
                           if w)
        return {"label": _("Innbetaling"),
                "basis": _("dekningsrekkefølgen: %(order)s") % {"order": order}
                if rule == "dekningsrekkefolge" and order else posting.get("reference", ""),
                "why": _("ført mot %(what)s") % {"what": target}}
    if rule == "principal":
        return {"label": _("Hovedstol"), "basis": _("faktura %(n)s") % {"n": invoice_number},
                "why": _("beløpet på fakturaen, med forfall %(due)s") % {
                    "due": day(_date(inputs.get("due")))} if inputs.get("due") else ""}
    if rule == "FRL-3-forsinkelsesrente":
        period = posting.get("period") or {}
        rates = " / ".join(f"{_pct(r['rate'], lang)}" for r in posting.get("rates") or [])
        return {"label": _("Forsinkelsesrente"), "basis": _("forsinkelsesrenteloven § 3"),
                "why": _("%(rate)s per år av %(principal)s i %(days)s dager (%(from)s–"
                         "%(through)s), fordi beløpet ikke var betalt ved forfall") % {
                    "rate": rates or "?", "principal": money(inputs.get("principal"), lang),
                    "days": period.get("days", inputs.get("days", "?")),
                    "from": day(period.get("from")), "through": day(period.get("through"))}}
    if rule == "INKF-1-2-purregebyr":
        return {"label": _("Purregebyr"), "basis": _("inkassoforskriften § 1-2"),
                "why": _fee_why(_, inputs, lang)}
    if rule == "INKF-1-2-inkassovarsel":
        return {"label": _("Gebyr for inkassovarsel"),
                "basis": _("inkassoloven § 9, inkassoforskriften § 1-2"),
                "why": _fee_why(_, inputs, lang)}
    if rule == "INKF-1-2-betalingsoppfordring":
        return {"label": _("Gebyr for betalingsoppfordring"),
                "basis": _("inkassoloven § 10, inkassoforskriften § 1-2"),
                "why": _fee_why(_, inputs, lang)}
    if rule == "INKF-2-2-salaer-lett":
        return {"label": _("Inkassosalær (lett sats)"), "basis": _("inkassoforskriften § 2-2"),
                "why": _("fordi fristen i betalingsoppfordringen gikk ut uten betaling "
                         "(%(factor)s × inkassosatsen %(sats)s for krav %(band)s kr)") % {
                    "factor": _number(inputs.get("factor", "?"), lang),
                    "sats": money(inputs.get("inkassosats"), lang),
                    "band": inputs.get("band", "")}}
    if rule == "INKF-2-3-salaer-tung":
        return {"label": _("Inkassosalær (tung sats)"),
                "basis": _("inkassoforskriften §§ 2-2 og 2-3"),
                "why": _("fordi kravet fortsatt ikke var betalt mer enn 28 dager etter fristen "
                         "i betalingsoppfordringen; tillegget til lett sats")}
    if rule == "FRL-3a-kompensasjon":
        return {"label": _("Standardkompensasjon"),
                "basis": _("forsinkelsesrenteloven § 3 a"),
                "why": _("fordi skyldneren er næringsdrivende: EUR %(eur)s omregnet til "
                         "%(nok)s") % {"eur": inputs.get("eur", "40"),
                                       "nok": money(inputs.get("nok"), lang)}}
    if kind == "reversal":
        return {"label": _("Tilbakeført: %(what)s") % {
                    "what": _(COMPONENT.get(posting["component"], posting["component"]))},
                "basis": posting.get("reference", ""),
                "why": _("brevet gebyret gjaldt ble ikke sendt") if Decimal(amount) < 0 else ""}
    if kind == "writeoff":
        return {"label": _("Nedskrevet restbeløp"), "basis": posting.get("reference", ""),
                "why": _("resten var så liten at den ikke kreves inn")}
    return {"label": kind, "basis": posting.get("reference", ""), "why": ""}


def _date(text: Any) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _number(value: Any, lang: str) -> str:
    """A factor from the law data (``"1.60"``) as Norwegian writes it (``1,60``)."""
    return str(value) if lang == "en" else str(value).replace(".", ",")


def _pct(rate: Any, lang: str) -> str:
    value = Decimal(str(rate)).quantize(Decimal("0.01"))
    text = f"{value}" if lang == "en" else f"{value}".replace(".", ",")
    return f"{text}\u00a0%"
