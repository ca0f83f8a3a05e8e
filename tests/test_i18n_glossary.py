"""The Russian and Kazakh texts use the glossary's terms (referral/data/glossary.json).

For every English text that names a glossary term, each translation must contain one of the term's
stems (stems, so that inflected forms pass: «пострадавшей», «жәбірленушінің»); a forbidden variant
(«потерпевшая» for the survivor, «зардап шеккен») may appear in no translation at all. Both the
catalogues and the data files' labels (which the catalogues do not hold) are checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "referral" / "data" / "glossary.json"
TRANSLATIONS = ROOT / "referral" / "translations"
DATA = ROOT / "referral" / "data"
LANGUAGES = ("ru", "kk")
# Placeholders name variables, not terms: "%(agency)s" is no mention of an agency.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
# Data files with labels in three languages: file, list key (None: the top level), field stem.
DATA_LABELS = (("measure_types.json", "measure_types", "title"),
               ("measure_types.json", "measure_types", "legal_basis"),
               ("offences.json", "offences", "title"),
               ("regions.json", None, "name"))


@dataclass(frozen=True)
class Term:
    id: str
    en: re.Pattern[str]
    stems: dict[str, list[re.Pattern[str]]]
    forbidden: dict[str, list[re.Pattern[str]]]
    exceptions: frozenset[str]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def load_terms() -> list[Term]:
    raw = json.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    return [Term(id=t["id"], en=_compile(t["en"]),
                 stems={lang: [_compile(s) for s in t[f"{lang}_stems"]] for lang in LANGUAGES},
                 forbidden={lang: [_compile(s) for s in t[f"{lang}_forbidden"]]
                            for lang in LANGUAGES},
                 exceptions=frozenset(t.get("exceptions", {})))
            for t in raw]


def violations(terms: Iterable[Term], lang: str,
               pairs: Iterable[tuple[str, str, str]]) -> Iterator[str]:
    """Messages for every (where, English, translation) that breaks a term's rule."""
    terms = list(terms)
    for where, english, translated in pairs:
        if not translated:
            continue
        plain = PLACEHOLDER.sub(" ", english)
        for term in terms:
            for bad in term.forbidden[lang]:
                if bad.search(translated):
                    yield f"{where}: {lang} uses {bad.pattern!r} (forbidden for {term.id!r}): " \
                          f"{english!r} -> {translated!r}"
            if (term.en.search(plain) and english not in term.exceptions
                    and not any(s.search(translated) for s in term.stems[lang])):
                wanted = " | ".join(s.pattern for s in term.stems[lang])
                yield f"{where}: {term.id!r} should be {wanted!r} in {lang}: " \
                      f"{english!r} -> {translated!r}"


def catalogue_pairs(lang: str) -> Iterator[tuple[str, str, str]]:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            for msgid in ids:
                yield f"messages.po ({ids[0][:40]!r})", msgid, string


def data_pairs(lang: str) -> Iterator[tuple[str, str, str]]:
    for name, key, stem in DATA_LABELS:
        loaded = json.loads((DATA / name).read_text(encoding="utf-8"))
        rows = loaded[key] if key else loaded
        for row in rows:
            where = f"{name} ({row.get('code')} {row.get('article', '')})".strip()
            yield where, row.get(f"{stem}_en", ""), row.get(f"{stem}_{lang}", "")


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return load_terms()


def test_the_glossary_is_complete_and_consistent(terms: list[Term]) -> None:
    """Every term has stems in both languages, and its own ru/kk wording passes its rules."""
    raw = {t["id"]: t for t in json.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]}
    assert len(raw) >= 30
    for term in terms:
        for lang in LANGUAGES:
            assert term.stems[lang], (term.id, lang)
            own = raw[term.id][lang]
            assert not [b.pattern for b in term.forbidden[lang] if b.search(own)], (term.id, lang)
            if not term.stems[lang][0].pattern.startswith("^"):
                assert any(s.search(own) for s in term.stems[lang]), (term.id, lang, own)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogues_use_the_glossary_terms(terms: list[Term], lang: str) -> None:
    found = sorted(set(violations(terms, lang, catalogue_pairs(lang))))
    assert not found, f"{len(found)} text(s) against the glossary:\n" + "\n".join(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_data_files_labels_use_the_glossary_terms(terms: list[Term], lang: str) -> None:
    found = sorted(set(violations(terms, lang, data_pairs(lang))))
    assert not found, f"{len(found)} label(s) against the glossary:\n" + "\n".join(found)


@pytest.mark.parametrize(("lang", "english", "translated", "flagged"), [
    # inflected forms of the right term pass
    ("ru", "Choose a survivor of this case.", "Выберите пострадавшее лицо по этому случаю.", False),
    ("ru", "The survivor's consent", "Согласие пострадавшей", False),
    ("kk", "The survivor's consent", "Жәбірленушінің келісімі", False),
    ("kk", "Referrals of the case", "Істің жолдамалары", False),
    # the procedural status for the survivor, and the Kazakh variant, are caught
    ("ru", "The survivor agreed.", "Потерпевшая согласилась.", True),
    ("kk", "The survivor agreed.", "Зардап шеккен келісті.", True),
    # a forbidden word is caught even where the English does not name the term
    ("ru", "Ask her in private.", "Спросите потерпевшую наедине.", True),
    # a term dropped from the translation is caught
    ("ru", "Referral escalated.", "Направление передано на рассмотрение.", True),
    ("kk", "Code word", "Код сөз", True),
    ("kk", "In progress", "Жұмыста", True),
    ("ru", "Put on hold", "Приостановлено", True),
    # "escalation" of violence is not the referral's escalation
    ("ru", "e.g. escalation, forced marriage", "например, эскалация, принудительный брак", False),
    # a placeholder's name is not a mention of the term
    ("ru", "Ask %(agency)s for access", "Запросить доступ у %(agency)s", False),
])
def test_the_check_catches_a_regression_and_passes_inflections(
        terms: list[Term], lang: str, english: str, translated: str, flagged: bool) -> None:
    found = list(violations(terms, lang, [("sample", english, translated)]))
    assert bool(found) == flagged, found
