"""Every message is translated into Russian and Kazakh, and templates hold no untranslated text.

The messages are extracted afresh from the sources (the same mapping as ``babel.cfg``), so a string
added to the code or a template without running ``scripts/i18n update`` and translating it fails
here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "referral" / "translations"
LANGUAGES = ("ru", "kk")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

# Jinja comments, statements and expressions, then HTML comments, scripts, styles and tags.
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
HTML = re.compile(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>|<[^>]*>", re.S | re.I)
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|\w+);", re.I)
# A "word": two or more Latin or Cyrillic letters (Kazakh letters included).
WORD = re.compile(r"[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]{2,}")
# Attributes a user reads (tooltips, placeholders, screen readers, image text) need translating too.
ATTRIBUTE = re.compile(
    r"""\b(?:title|placeholder|aria-label|alt)\s*=\s*(["'])(.*?)\1""", re.S | re.I
)
# Words that are not language and so need no translation. Keep this tiny: a language's own name is
# written in that language whatever the interface language is (the switcher shows all three).
# Symbols, numbers, "—", "·", "#" and "%" are never flagged, since WORD only matches letters.
ALLOWED_WORDS = frozenset({"English", "Русский", "Қазақша"})




def _extracted_ids() -> dict[str, str]:
    """msgid -> first source location, extracted now from the sources."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options_map, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str, str]:
    ids = _extracted_ids()
    assert len(ids) > 100, "extraction found almost nothing: does babel.cfg still map the sources?"
    return ids


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_extracted_message_is_translated(extracted: dict[str, str], lang: str) -> None:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated: set[str] = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(s and s.strip() for s in strings):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            translated.update(ids)
    missing = sorted(
        f"{where}: {msgid!r}" for msgid, where in extracted.items() if msgid not in translated
    )
    assert not missing, (
        f"{lang}: {len(missing)} message(s) without a translation "
        f"(run `bash scripts/i18n update` and translate them):\n" + "\n".join(missing)
    )


def _untranslated_text(source: str) -> Iterator[tuple[int, str]]:
    """(line number, text) for every run of words left outside translation calls."""

    def blank(match: re.Match[str]) -> str:
        # Keep the newlines so that reported line numbers stay right.
        return re.sub(r"[^\n]", " ", match.group(0))

    attributes = [(source.count("\n", 0, m.start()) + 1, JINJA.sub(" ", m.group(2)))
                  for m in ATTRIBUTE.finditer(source)]
    text = ENTITY.sub(" ", HTML.sub(blank, JINJA.sub(blank, source)))
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)] + attributes
    for lineno, line in lines:
        words = [w for w in WORD.findall(line) if w not in ALLOWED_WORDS]
        if words:
            yield lineno, line.strip()


def test_scanner_catches_bare_text() -> None:
    sample = (
        '{# a comment #}<p class="x">{{ _("Fine") }}</p>\n'
        "<h1>Cases</h1>\n"
        '<a title="Open it" href="{{ url }}">{% if x %}—{% endif %}</a>\n'
        "<span>Русский · 12 %</span>\n"
    )
    assert [n for n, _ in _untranslated_text(sample)] == [2, 3]


def test_templates_have_no_untranslated_text() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates, f"no templates under {TEMPLATES}"
    violations = [
        f"{path.relative_to(ROOT)}:{lineno}: {text!r}"
        for path in templates
        for lineno, text in _untranslated_text(path.read_text(encoding="utf-8"))
    ]
    assert not violations, (
        "user-facing text outside a translation call (wrap it in {{ _(\"…\") }}):\n"
        + "\n".join(violations)
    )
