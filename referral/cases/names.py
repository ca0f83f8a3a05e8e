"""A search key for names that tolerates Cyrillic/Latin spelling variants.

"Нұрлан", "Nurlan" and "Nūrlan" all give "nurlan"; "Жанна", "Zhanna" and "Janna" give "jana".
The key is Latin, lower case, one space between words; it is only ever compared with keys made
by the same function, so it may be lossy (it folds letters that officials transliterate
differently: ё/е, й/и, қ/к, ғ/г, ң/н, ө/о, ұ/ү/у, һ/х, і/и, ә/а, kh/h, zh/j, y/i, doubled letters).
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
# Kazakh Latin (2021) and other diacritics that the official alphabets use.
_LATIN = {
    "ä": "a", "ö": "o", "ü": "u", "ū": "u", "ı": "i", "ğ": "g", "ñ": "n", "ş": "sh", "ç": "ch",
    "q": "k", "w": "v", "x": "kh",
}
# Applied in this order, after single letters.
_DIGRAPHS = (("shch", "sh"), ("dzh", "j"), ("zh", "j"), ("kh", "h"), ("dj", "j"), ("y", "i"))
_WORD = re.compile(r"[a-z]+")


def _letters(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _LATIN:
            out.append(_LATIN[ch])
        else:
            out.append(ch)
    # Strip remaining accents (é -> e); drop what is not a Latin letter.
    folded = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in folded if not unicodedata.combining(c))


def _fold_word(word: str) -> str:
    for old, new in _DIGRAPHS:
        word = word.replace(old, new)
    if word.startswith("ie"):  # Yerlan / Ерлан, Yevgenia / Евгения
        word = word[1:]
    return re.sub(r"(.)\1+", r"\1", word)  # Zhanna / Жана, Alla / Ала


def name_words(text: str) -> list[str]:
    """The normalised words of a name, in the order given."""
    return [_fold_word(w) for w in _WORD.findall(_letters(text or ""))]


def name_key(*parts: str) -> str:
    """The search key stored for a person: normalised words joined by single spaces."""
    return " ".join(w for part in parts for w in name_words(part))


def key_matches(key: str, query: str) -> bool:
    """True when every word of the query begins a word of the key (order free)."""
    words = key.split()
    return all(any(w.startswith(q) for w in words) for q in name_words(query))
