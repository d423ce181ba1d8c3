"""docs/law.md lists every law parameter krav ships (so a new file cannot go undocumented)."""

from __future__ import annotations

from pathlib import Path

from krav.law import law_book

DOC = Path(__file__).resolve().parents[2] / "docs" / "law.md"


def test_every_parameter_is_listed_in_docs_law_md() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in law_book().names() if f"`{name}`" not in text]
    assert not missing, f"add to docs/law.md: {missing}"


def test_every_parameter_is_named_in_the_package_docstring() -> None:
    import krav.law

    missing = [name for name in law_book().names() if name not in (krav.law.__doc__ or "")]
    assert not missing, f"add to krav/law/__init__.py docstring: {missing}"
