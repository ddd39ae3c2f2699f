"""The language of an article, so that only English text goes through the English model.

The English NER model reads any text as English: on an Indonesian page it tags "Dan" ("and")
and "Jika" ("if") as people. Ingest therefore detects each article's language and runs the
model only on English; other languages get no entities (no model for them installs with
searchkit), and ``stats`` counts articles per language.

Detection is two-step, for speed: a text whose words are largely English function words is
English at once (almost every article of an English archive, for the cost of a word count);
anything else goes to py3langid (a maintained fork of langid.py, 97 languages, pure Python
and numpy), loaded on first use. A text too short or too odd to tell (an earnings table:
"Shr 22 cts vs 15 cts") stays English, the archive's language, unless py3langid rules
English out (:data:`MAX_ENGLISH`).

Example::

    detect_language("The border closure comes after six weeks of protests.")  # 'en'
    detect_language("Pemerintah akan menaikkan harga bahan bakar minggu depan.")  # 'id'
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

DEFAULT_LANGUAGE = "en"
ENGLISH_SHARE = 0.2
"""English prose has 40-50% function words; a text with at least this share is English."""
MAX_ENGLISH = 0.1
"""A text is non-English when py3langid gives English at most this probability (normalised);
the top language is then its language. (Close languages share the rest: Indonesian 0.52,
Malay 0.48 on a short Indonesian paragraph, English near 0.)"""
MIN_WORDS = 20
"""A text with fewer words of four letters or more is too short, or too much of a table
("Shr 22 cts vs 15 cts Net 1,234,000 vs 998,000 Revs ..."), to tell: it counts as English."""
SAMPLE_CHARS = 4000
"""Characters of a long text that are looked at: the language does not change half-way."""

_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the a an and or but of to in on at by for with from as is are was were be been has have had "
    "it its this that these those he she they we you his her their our which who what when not "
    "will would can could should said says than then there after over into about".split()
)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (``"en"`` when unsure)."""
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if sum(len(w) >= 4 for w in words) < MIN_WORDS:
        return DEFAULT_LANGUAGE
    if sum(w in _ENGLISH_FUNCTION_WORDS for w in words) >= ENGLISH_SHARE * len(words):
        return DEFAULT_LANGUAGE
    ranked = _identifier().rank(sample)
    english = next((p for lang, p in ranked if lang == DEFAULT_LANGUAGE), 0.0)
    return str(ranked[0][0]) if english <= MAX_ENGLISH else DEFAULT_LANGUAGE


@cache
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities (its model loads in ~1 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
