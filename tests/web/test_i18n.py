"""The translations of the services' error sentences (web.i18n.ERRORS) stay those of sentences a service raises."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import calcast
from calcast.core.errors import Conflict, invalid
from calcast.web.i18n import ERRORS, said

SOURCES = Path(calcast.__file__).parent


def _templates_raised() -> set[str]:
    """Every string constant of calcast's modules (adjacent literals are one constant to `ast`)."""
    found: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(ERRORS))
def test_every_translated_sentence_is_still_raised_and_names_only_its_values(language: str) -> None:
    raised = _templates_raised()
    for english, translated in ERRORS[language].items():
        assert english in raised, f"no service raises {english!r} any more: update or remove its translation"
        assert _names(translated) <= _names(english), english


def test_a_sentence_is_filled_with_its_values_in_the_language_and_english_without_a_translation() -> None:
    taken = Conflict(
        "The account {account!r} already has a calendar {code!r}; choose another code.", account="fc", code="home"
    )
    assert taken.message == "The account 'fc' already has a calendar 'home'; choose another code."
    assert said(taken, "de") == "Das Konto 'fc' hat schon einen Kalender 'home'; wählen Sie einen anderen Code."
    assert said(taken, "en") == taken.message
    untranslated = invalid("title", "A sentence only {who} knows.", who="calcast")
    assert said(untranslated, "de") == "A sentence only calcast knows."
    assert untranslated.errors[0].message == "A sentence only calcast knows."
