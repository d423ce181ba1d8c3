# ruff: noqa: E501 - the msgids are the messages themselves, kept whole to be found
"""Writes the portal's nynorsk and English catalogues (``messages.po``) from the template
extracted from the code (``pybabel extract``) and the table below — ``make portal-messages``.

The table is the translators' source for now; a message missing here fails the test that every
message of the portal is translated (tests/unit/test_portal_messages.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

# bokmål (msgid) -> (nynorsk, English)
T = {
    "hovedstolen": ("hovudstolen", "the principal"),
    "renter": ("renter", "interest"),
    "purregebyret": ("purregebyret", "the reminder fee"),
    "gebyret for inkassovarsel": ("gebyret for inkassovarsel", "the collection notice fee"),
    "gebyret for betalingsoppfordring": ("gebyret for betalingsoppmoding",
                                         "the payment demand fee"),
    "kompensasjonen": ("kompensasjonen", "the compensation"),
    "inkassosalæret": ("inkassosalæret", "the collection fee (salær)"),
    "det du har til gode": ("det du har til gode", "what you are owed"),
    "kostnader": ("kostnader", "costs"),
    "hovedstol": ("hovudstol", "principal"),
    "fordi fakturaen ikke var betalt %(days)s dager etter forfall (%(fraction)s av inkassosatsen %(sats)s)":
        ("fordi fakturaen ikkje var betalt %(days)s dagar etter forfall (%(fraction)s av "
         "inkassosatsen %(sats)s)",
         "because the invoice was still unpaid %(days)s days after it fell due (%(fraction)s of "
         "the inkassosats, %(sats)s)"),
    "Innbetalt mer enn kravet": ("Innbetalt meir enn kravet", "Paid more than the claim"),
    "beløpet skal betales tilbake til deg": ("beløpet skal betalast tilbake til deg",
                                             "the amount will be paid back to you"),
    "Innbetaling": ("Innbetaling", "Payment"),
    "dekningsrekkefølgen: %(order)s": ("dekningsrekkjefølgja: %(order)s",
                                       "order of allocation: %(order)s"),
    "ført mot %(what)s": ("ført mot %(what)s", "allocated to %(what)s"),
    "Hovedstol": ("Hovudstol", "Principal"),
    "faktura %(n)s": ("faktura %(n)s", "invoice %(n)s"),
    "beløpet på fakturaen, med forfall %(due)s": ("beløpet på fakturaen, med forfall %(due)s",
                                                  "the amount of the invoice, due %(due)s"),
    "Forsinkelsesrente": ("Forseinkingsrente", "Late-payment interest"),
    "forsinkelsesrenteloven § 3": ("forsinkelsesrenteloven § 3",
                                   "Late Payment Interest Act s. 3"),
    "%(rate)s per år av %(principal)s i %(days)s dager (%(from)s–%(through)s), fordi beløpet ikke var betalt ved forfall":
        ("%(rate)s per år av %(principal)s i %(days)s dagar (%(from)s–%(through)s), fordi "
         "beløpet ikkje var betalt ved forfall",
         "%(rate)s a year on %(principal)s for %(days)s days (%(from)s–%(through)s), because "
         "the amount was not paid when due"),
    "Purregebyr": ("Purregebyr", "Reminder fee"),
    "inkassoforskriften § 1-2": ("inkassoforskrifta § 1-2", "Debt Collection Regulations s. 1-2"),
    "Gebyr for inkassovarsel": ("Gebyr for inkassovarsel", "Collection notice fee"),
    "inkassoloven § 9, inkassoforskriften § 1-2": (
        "inkassolova § 9, inkassoforskrifta § 1-2",
        "Debt Collection Act s. 9, Debt Collection Regulations s. 1-2"),
    "Gebyr for betalingsoppfordring": ("Gebyr for betalingsoppmoding", "Payment demand fee"),
    "inkassoloven § 10, inkassoforskriften § 1-2": (
        "inkassolova § 10, inkassoforskrifta § 1-2",
        "Debt Collection Act s. 10, Debt Collection Regulations s. 1-2"),
    "Inkassosalær (lett sats)": ("Inkassosalær (lett sats)", "Collection fee (lower rate)"),
    "inkassoforskriften § 2-2": ("inkassoforskrifta § 2-2", "Debt Collection Regulations s. 2-2"),
    "fordi fristen i betalingsoppfordringen gikk ut uten betaling (%(factor)s × inkassosatsen %(sats)s for krav %(band)s kr)":
        ("fordi fristen i betalingsoppmodinga gjekk ut utan betaling (%(factor)s × "
         "inkassosatsen %(sats)s for krav %(band)s kr)",
         "because the deadline of the payment demand passed without payment (%(factor)s × the "
         "inkassosats %(sats)s for claims %(band)s NOK)"),
    "Inkassosalær (tung sats)": ("Inkassosalær (tung sats)", "Collection fee (higher rate)"),
    "inkassoforskriften §§ 2-2 og 2-3": ("inkassoforskrifta §§ 2-2 og 2-3",
                                         "Debt Collection Regulations ss. 2-2 and 2-3"),
    "fordi kravet fortsatt ikke var betalt mer enn 28 dager etter fristen i betalingsoppfordringen; tillegget til lett sats":
        ("fordi kravet framleis ikkje var betalt meir enn 28 dagar etter fristen i "
         "betalingsoppmodinga; tillegget til lett sats",
         "because the claim was still unpaid more than 28 days after the deadline of the "
         "payment demand; the addition to the lower rate"),
    "Standardkompensasjon": ("Standardkompensasjon", "Standard compensation"),
    "forsinkelsesrenteloven § 3 a": ("forsinkelsesrenteloven § 3 a",
                                     "Late Payment Interest Act s. 3 a"),
    "fordi skyldneren er næringsdrivende: EUR %(eur)s omregnet til %(nok)s": (
        "fordi skuldnaren er næringsdrivande: EUR %(eur)s omrekna til %(nok)s",
        "because the debtor is a business: EUR %(eur)s converted to %(nok)s"),
    "Tilbakeført: %(what)s": ("Tilbakeført: %(what)s", "Reversed: %(what)s"),
    "brevet gebyret gjaldt ble ikke sendt": ("brevet gebyret galdt, vart ikkje sendt",
                                            "the letter the fee was for was not sent"),
    "Nedskrevet restbeløp": ("Nedskrive restbeløp", "Remaining amount written off"),
    "resten var så liten at den ikke kreves inn": (
        "resten var så liten at han ikkje blir kravd inn",
        "the rest was so small that it is not collected"),
    "Skjemaet er utløpt eller kom ikke fra denne siden. Last siden på nytt og prøv igjen.": (
        "Skjemaet har gått ut eller kom ikkje frå denne sida. Last sida på nytt og prøv igjen.",
        "The form has expired or did not come from this page. Reload the page and try again."),
    "Saken finnes ikke, eller du er ikke logget inn på den.": (
        "Saka finst ikkje, eller du er ikkje logga inn på ho.",
        "The case does not exist, or you are not logged in to it."),
    "Skriv saksnummeret fra brevet, for eksempel K-0000001.": (
        "Skriv saksnummeret frå brevet, til dømes K-0000001.",
        "Type the case number from the letter, for example K-0000001."),
    "Skriv koden fra brevet.": ("Skriv koden frå brevet.", "Type the code from the letter."),
    "Koden har 10 tegn (bokstaver og tall), for eksempel K7M2Q-XR9TB.": (
        "Koden har 10 teikn (bokstavar og tal), til dømes K7M2Q-XR9TB.",
        "The code has 10 characters (letters and digits), for example K7M2Q-XR9TB."),
    "Innlogging med kode er ikke satt opp ennå. Ring oss.": (
        "Innlogging med kode er ikkje sett opp enno. Ring oss.",
        "Logging in with a code is not set up yet. Please call us."),
    "For mange feil forsøk. Prøv igjen om %(n)s minutt(er), eller ring oss.": (
        "For mange feil forsøk. Prøv igjen om %(n)s minutt, eller ring oss.",
        "Too many failed attempts. Try again in %(n)s minute(s), or call us."),
    "Saksnummeret eller koden er feil. Sjekk brevet og prøv igjen.": (
        "Saksnummeret eller koden er feil. Sjekk brevet og prøv igjen.",
        "The case number or the code is wrong. Check the letter and try again."),
    "QR-kode til betalingssiden": ("QR-kode til betalingssida", "QR code for the payment page"),
    "Skriv gateadressen eller postboksen.": ("Skriv gateadressa eller postboksen.",
                                            "Type the street address or PO box."),
    "Postnummeret har fire sifre.": ("Postnummeret har fire siffer.",
                                     "The postcode has four digits."),
    "Skriv poststedet.": ("Skriv poststaden.", "Type the town."),
    "Dette ser ikke ut som en e-postadresse (navn@domene.no).": (
        "Dette ser ikkje ut som ei e-postadresse (namn@domene.no).",
        "This does not look like an e-mail address (name@domain.no)."),
    "Skriv e-postadressen du vil få brevene til.": (
        "Skriv e-postadressa du vil få breva til.",
        "Type the e-mail address you want the letters sent to."),
    "Skriv telefonnummeret med 8 sifre, eller med landskode (+46…).": (
        "Skriv telefonnummeret med 8 siffer, eller med landskode (+46 …).",
        "Type the phone number with 8 digits, or with a country code (+46…)."),
    "Betalingslenken er ugyldig. Sjekk adressen i brevet.": (
        "Betalingslenkja er ugyldig. Sjekk adressa i brevet.",
        "The payment link is not valid. Check the address in the letter."),
    "Min sak": ("Mi sak", "My case"),
    "Gå til innholdet": ("Gå til innhaldet", "Skip to content"),
    "Språk": ("Språk", "Language"),
    "Sak": ("Sak", "Case"),
    "Alle sakene dine": ("Alle sakene dine", "All your cases"),
    "Saksnummer": ("Saksnummer", "Case number"),
    "Fakturanummer": ("Fakturanummer", "Invoice number"),
    "Fakturadato": ("Fakturadato", "Invoice date"),
    "Forfall": ("Forfall", "Due date"),
    "Gjelder": ("Gjeld", "Concerns"),
    "Å betale i dag": ("Å betala i dag", "Amount to pay today"),
    "Saken er avsluttet. Du skylder ingenting.": ("Saka er avslutta. Du skuldar ingenting.",
                                                  "The case is closed. You owe nothing."),
    "Du har sagt at du er uenig i kravet. Innkrevingen er stanset til innsigelsen er vurdert.": (
        "Du har sagt at du er usamd i kravet. Innkrevjinga er stansa til innvendinga er "
        "vurdert.",
        "You have said that you disagree with the claim. Collection is stopped until your "
        "objection has been assessed."),
    "Du har %(amount)s til gode. Beløpet betales tilbake til deg.": (
        "Du har %(amount)s til gode. Beløpet blir betalt tilbake til deg.",
        "You are owed %(amount)s. The amount will be paid back to you."),
    "Slik er beløpet satt sammen": ("Slik er beløpet sett saman", "What the amount is made of"),
    "Renter": ("Renter", "Interest"),
    "Gebyrer": ("Gebyr", "Fees"),
    "Inkassosalær": ("Inkassosalær", "Collection fee (salær)"),
    "Innbetalt for mye": ("Innbetalt for mykje", "Overpaid"),
    "Sum": ("Sum", "Total"),
    "Renter er regnet til og med i dag, %(day)s.": (
        "Renter er rekna til og med i dag, %(day)s.",
        "Interest is counted up to and including today, %(day)s."),
    "Betaler du innen fristen %(day)s, er beløpet %(amount)s (renten løper til du betaler).": (
        "Betaler du innan fristen %(day)s, er beløpet %(amount)s (renta går til du betaler).",
        "If you pay by the deadline %(day)s, the amount is %(amount)s (interest runs until you "
        "pay)."),
    "Slik betaler du": ("Slik betaler du", "How to pay"),
    "Beløp": ("Beløp", "Amount"),
    "Kontonummer": ("Kontonummer", "Account number"),
    "KID": ("KID", "KID (payment reference)"),
    "Frist": ("Frist", "Deadline"),
    "Bruk KID-nummeret når du betaler i nettbanken, så blir betalingen ført på riktig sak.": (
        "Bruk KID-nummeret når du betaler i nettbanken, så blir betalinga ført på rett sak.",
        "Use the KID number when you pay in your online bank, so that the payment is "
        "allocated to the right case."),
    "Betalingssiden:": ("Betalingssida:", "The payment page:"),
    "åpne på telefonen": ("opne på telefonen", "open on your phone"),
    "Hver krone forklart": ("Kvar krone forklart", "Every krone explained"),
    "Forsinkelsesrente, ikke bokført ennå": ("Forseinkingsrente, ikkje bokført enno",
                                             "Late-payment interest, not yet booked"),
    "forsinkelsesrenteloven § 3, renten som har løpt siden sist den ble regnet": (
        "forsinkelsesrenteloven § 3, renta som har gått sidan ho sist vart rekna",
        "Late Payment Interest Act s. 3, the interest that has run since it was last counted"),
    "Brev": ("Brev", "Letters"),
    "Ingen brev ennå.": ("Ingen brev enno.", "No letters yet."),
    "frist": ("frist", "deadline"),
    "Endre adresse, e-post eller telefon": ("Endre adresse, e-post eller telefon",
                                            "Change address, e-mail or phone"),
    "Dine saker": ("Sakene dine", "Your cases"),
    "Vi finner ingen saker på deg.": ("Vi finn ingen saker på deg.", "We find no cases for you."),
    "faktura": ("faktura", "invoice"),
    "Kontaktopplysninger": ("Kontaktopplysningar", "Contact details"),
    "Tilbake til saken": ("Tilbake til saka", "Back to the case"),
    "Endringene er lagret.": ("Endringane er lagra.", "Your changes are saved."),
    "Noe må rettes før vi kan lagre. Se under.": (
        "Noko må rettast før vi kan lagre. Sjå under.",
        "Something must be corrected before we can save. See below."),
    "Postadresse": ("Postadresse", "Postal address"),
    "Adresse": ("Adresse", "Address"),
    "Postnummer": ("Postnummer", "Postcode"),
    "Poststed": ("Poststad", "Town"),
    "E-post og telefon": ("E-post og telefon", "E-mail and phone"),
    "E-post": ("E-post", "E-mail"),
    "Send brevene om saken til e-postadressen min": ("Send breva om saka til e-postadressa mi",
                                                     "Send the letters about the case to my "
                                                     "e-mail address"),
    "Da får du brevene på e-post i stedet for i posten (inkassoloven § 3 a). Du kan ombestemme deg når som helst.": (
        "Då får du breva på e-post i staden for i posten (inkassolova § 3 a). Du kan ombestemme "
        "deg når som helst.",
        "Then you get the letters by e-mail instead of by post (Debt Collection Act s. 3 a). "
        "You can change your mind at any time."),
    "Telefon": ("Telefon", "Phone"),
    "Ikke ring meg om saken": ("Ikkje ring meg om saka", "Do not call me about the case"),
    "Lagre": ("Lagre", "Save"),
    "Logg inn": ("Logg inn", "Log in"),
    "Se saken din": ("Sjå saka di", "See your case"),
    "Du er logget ut.": ("Du er logga ut.", "You are logged out."),
    "Logg inn med saksnummeret og koden som står nederst i brevet du fikk.": (
        "Logg inn med saksnummeret og koden som står nedst i brevet du fekk.",
        "Log in with the case number and the code at the bottom of the letter you got."),
    "Kode": ("Kode", "Code"),
    "10 tegn, for eksempel K7M2Q-XR9TB. Store eller små bokstaver spiller ingen rolle.": (
        "10 teikn, til dømes K7M2Q-XR9TB. Store eller små bokstavar spelar inga rolle.",
        "10 characters, for example K7M2Q-XR9TB. Capital or small letters do not matter."),
    "Har du ikke brevet, eller virker ikke koden? Ring oss, så får du en ny kode.": (
        "Har du ikkje brevet, eller verkar ikkje koden? Ring oss, så får du ein ny kode.",
        "No letter, or the code does not work? Call us and you will get a new code."),
    "Logg ut": ("Logg ut", "Log out"),
    "Betal": ("Betal", "Pay"),
    "Beløp i dag": ("Beløp i dag", "Amount today"),
    "Bruk KID-nummeret når du betaler i nettbanken. Renten løper til du betaler, så beløpet kan øke litt fra dag til dag.": (
        "Bruk KID-nummeret når du betaler i nettbanken. Renta går til du betaler, så beløpet kan "
        "auke litt frå dag til dag.",
        "Use the KID number when you pay in your online bank. Interest runs until you pay, so "
        "the amount may grow a little from day to day."),
    "Det er ingenting å betale i denne saken nå.": ("Det er ingenting å betala i denne saka no.",
                                                    "There is nothing to pay in this case now."),
    "BankID er ikke satt opp.": ("BankID er ikkje sett opp.", "BankID is not set up."),
    "BankID-innloggingen kom ikke fra denne nettleseren, eller den tok for lang tid. Prøv igjen.": (
        "BankID-innlogginga kom ikkje frå denne nettlesaren, eller ho tok for lang tid. Prøv "
        "igjen.",
        "The BankID login did not come from this browser, or it took too long. Try again."),
    "BankID-innloggingen ble avbrutt.": ("BankID-innlogginga vart avbroten.",
                                         "The BankID login was cancelled."),
    "eller": ("eller", "or"),
    "Logg inn med BankID": ("Logg inn med BankID", "Log in with BankID"),
    "Med BankID ser du alle sakene dine hos oss.": ("Med BankID ser du alle sakene dine hos oss.",
                                                    "With BankID you see all your cases with "
                                                    "us."),
    "Takk! Betalingen med Vipps er mottatt og ført på saken.": (
        "Takk! Betalinga med Vipps er motteken og ført på saka.",
        "Thank you! The Vipps payment is received and entered on the case."),
    "Betalingen med Vipps ble ikke fullført. Ingenting er trukket.": (
        "Betalinga med Vipps vart ikkje fullført. Ingenting er trekt.",
        "The Vipps payment was not completed. Nothing has been charged."),
    "Betal %(amount)s med Vipps": ("Betal %(amount)s med Vipps", "Pay %(amount)s with Vipps"),
    "Vipps er ikke satt opp.": ("Vipps er ikkje sett opp.", "Vipps is not set up."),
    "Ukjent betaling.": ("Ukjend betaling.", "Unknown payment."),
    "Logg inn for å se hele saken og hva hver krone gjelder": (
        "Logg inn for å sjå heile saka og kva kvar krone gjeld",
        "Log in to see the whole case and what every krone is for"),
}


def write(template: Path, locale_dir: Path) -> list[str]:
    """Write ``<locale_dir>/<lang>/LC_MESSAGES/messages.po``; returns the msgids not in ``T``."""
    with template.open("rb") as source:
        pot = read_po(source)
    missing = [m.id for m in pot if m.id and m.id not in T]
    for index, lang in enumerate(("nn", "en")):
        catalog = Catalog(locale=lang, project="krav", fuzzy=False)
        for message in pot:
            if message.id and message.id in T:
                catalog.add(message.id, T[message.id][index])
        out = locale_dir / lang / "LC_MESSAGES" / "messages.po"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as sink:
            write_po(sink, catalog, width=100, omit_header=False, no_location=True)
    return missing


if __name__ == "__main__":
    left = write(Path(sys.argv[1]), Path(__file__).parent)
    for msgid in left:
        print(f"untranslated: {msgid!r}")
    sys.exit(1 if left else 0)
