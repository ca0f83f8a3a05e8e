"""The Russian and Kazakh catalogues parse, keep placeholders intact and are used by the app."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "referral" / "translations"
LANGUAGES = ("ru", "kk")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _po(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="session")
def compiled_catalogues() -> None:
    """Compile the .mo files (gitignored) when a catalogue is missing or older than its .po."""
    for lang in LANGUAGES:
        po = _po(lang)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(
                [sys.executable, "-m", "babel.messages.frontend", "compile",
                 "-d", str(TRANSLATIONS), "-l", lang],
                check=True,
                capture_output=True,
            )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_parses_and_is_partly_translated(lang: str) -> None:
    with _po(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = [m for m in catalog if m.id and m.string and not m.fuzzy]
    assert translated, f"{lang}: no translated messages"
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"{lang}: fuzzy entries"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_placeholders(lang: str) -> None:
    with _po(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    mismatches = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for string in strings:
            if string and _placeholders(string) != expected:
                mismatches.append((message.id, string))
    assert not mismatches, f"{lang}: placeholder mismatch: {mismatches}"


@pytest.mark.parametrize(("lang", "log_in"), [("ru", "Войти"), ("kk", "Кіру")])
def test_login_page_follows_accept_language(
    compiled_catalogues: None, client: Any, lang: str, log_in: str
) -> None:
    response = client.get("/login", headers={"Accept-Language": lang})
    assert response.status_code == 200
    assert log_in in response.get_data(as_text=True)
