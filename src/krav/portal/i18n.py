"""The portal's languages: bokmål (the source text), nynorsk and English, from babel message
catalogues (``locale/<lang>/LC_MESSAGES/messages.po``) compiled in memory when first used — no
build step, nothing generated to commit, and a fresh clone works as is.

The letters keep their own language (the debtor's, on file); only the pages switch.
"""

from __future__ import annotations

import gettext
import io
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib.resources import files

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from krav.kernel.money import fmt_nok

LANGUAGES = ("nb", "nn", "en")
NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
NBSP = "\u00a0"


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined; translated where it is shown."""
    return message


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES or lang == "nb":
        return gettext.NullTranslations()
    path = files("krav.portal") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def money(amount: Decimal | str | None, lang: str) -> str:
    """``1 234,50`` kr in Norwegian (both written forms), ``NOK 1,234.50`` in English."""
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount))
    if lang == "en":
        return f"NOK{NBSP}{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return f"{fmt_nok(value)}{NBSP}kr"


def day(value: object) -> str:
    return value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else ""  # type: ignore[union-attr]


@cache
def environment(lang: str) -> Environment:
    env = Environment(loader=ChoiceLoader([PackageLoader("krav.portal", "templates"),
                                           PackageLoader("krav.web", "templates")]),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["kr"] = lambda amount: money(amount, lang)
    env.filters["nok"] = lambda amount: fmt_nok(Decimal(str(amount)))
    env.filters["day"] = day
    return env
