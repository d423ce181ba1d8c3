"""Every message of the debtor portal (its templates and Python code) is translated in the
nynorsk and English catalogues, with the same placeholders — so a page never shows bokmål in the
middle of nynorsk or English, and a ``%(name)s`` never goes missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from krav.portal.i18n import translations

PORTAL = Path(__file__).parents[2] / "src" / "krav" / "portal"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def messages() -> set[str]:
    found = extract_from_dir(
        str(PORTAL), method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n",
                                           "trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"_": None, "N_": None})
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def test_the_portal_has_messages() -> None:
    assert len(messages()) > 100


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    with (PORTAL / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source)
    missing = [m for m in messages() if not (catalog.get(m) and catalog.get(m).string)]
    assert missing == [], f"untranslated ({lang}); run make portal-messages"
    for message in messages():
        assert set(PLACEHOLDER.findall(message)) == set(
            PLACEHOLDER.findall(catalog.get(message).string)), message
    assert translations(lang).gettext("Å betale i dag") != "Å betale i dag"
