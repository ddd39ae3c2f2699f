"""The index's analyzer: every word kept, the symbols that names use, one tokeniser for all.

News is full of names written with symbols — ``AT&T``, ``M&S``, ``C++``, ``.NET``, ``9/11``,
``£1.5bn``, ``COVID-19`` — and of short words that matter (``US``, ``IT``, the "to be or not
to be" of a quote). Whoosh's standard analyzer drops stop words and one-letter words and splits
on every symbol, so none of those could be searched. This tokeniser:

- keeps every word (no stop list, no minimum length): a phrase or an AND keeps all its words;
- joins ``&`` inside a word (``AT&T``, ``R&D``), ``/`` between digits (``9/11``, ``24/7``),
  ``.`` inside a word (``1.5bn``, ``bbc.co.uk``, as Whoosh did), an apostrophe inside a word
  (``don't``, ``O'Brien``), a trailing ``+``/``++``/``#`` (``C++``, ``C#``) and a leading dot
  (``.NET``);
- reads a dotted acronym as its letters (``U.S.`` is ``US``, ``e.g.`` is ``eg``) and drops an
  English possessive (``Blair's`` is ``Blair``);
- makes a currency sign a token of its own (``£1.5bn`` is ``£`` then ``1.5bn``, so
  ``1.5bn`` alone finds it too), and a lone ``&`` a token (``Procter & Gamble``);
- splits on hyphens: ``well-known`` is ``well`` then ``known``. The query field parses a word
  that analyses to several tokens as a phrase, so ``well-known``, ``COVID-19`` and ``F-35s``
  find both the hyphenated form and the spaced one ("well known", "Covid 19").

Two forms of each token are indexed: the normalised one (lower case; words of letters
stemmed with Snowball English; a lone ``&`` read as ``and``) searched by default, and the
exact one (case kept, never stemmed) in the ``exact`` fields, so that ``US`` can be told from
``us`` and ``Apple`` from ``apple``.

:func:`token_spans` is the one tokeniser: the analyzer the index is written with, the query
parser and the highlighter all call it, so a highlight marks exactly what was matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Token, Tokenizer
from whoosh.lang import porter2

CURRENCY = "$£€¥₹₽₩₪₺¢₴₦"
"""Currency signs that are tokens of their own."""

_LETTER = r"[^\W\d_]"
TOKEN = re.compile(
    rf"(?:{_LETTER}\.){{2,}}(?:{_LETTER}(?!\w))?"            # dotted acronym: U.S., E.U., U.S.A
    rf"|(?<![\w.])\.{_LETTER}\w*"                             # leading dot: .NET
    r"|\w+(?:[.&'’]\w+|(?<=\d)/\d+)*(?:\+\+|\+|#)?(?![\w+#])"  # a word, its joins and suffix
    r"|\w+"                                                   # a word before a stray + or #
    rf"|&|[{CURRENCY}]"                                       # lone & and currency signs
)
"""One token. The third branch's suffix must end the token (``C++`` but ``1+1`` is 1, 1)."""

_ACRONYM = re.compile(rf"(?:{_LETTER}\.){{2,}}{_LETTER}?")
_POSSESSIVE = re.compile(r"'s$", re.IGNORECASE)

Span = tuple[int, int, str, str]
"""(start, end, normalised term, exact term) of one token."""


def exact_form(raw: str) -> str:
    """A token as the ``exact`` fields index it: case kept, never stemmed; a dotted acronym
    without its dots, the curly apostrophe straight, an English possessive dropped."""
    word = raw.replace("’", "'")
    if "." in word and _ACRONYM.fullmatch(word):
        return word.replace(".", "")
    if "'" in word:
        stripped = _POSSESSIVE.sub("", word)
        return stripped or word
    return word


@lru_cache(maxsize=100_000)
def normal_form(exact: str) -> str:
    """The default (normalised) form of an exact token: lower case, and words of letters
    stemmed (a symbol or digit in a token keeps it as written: ``at&t``, ``1.5bn``);
    a lone ``&`` reads as ``and``."""
    if exact == "&":
        return "and"
    word = exact.lower()
    if word.replace("'", "").isalpha():
        return porter2.stem(word)
    return word


def token_spans(text: str) -> tuple[Span, ...]:
    """Every token of ``text``: (start, end, normalised, exact)."""
    return _spans(text)


@lru_cache(maxsize=8)
def _spans(text: str) -> tuple[Span, ...]:
    # Cached: ingest analyses each passage twice in a row (text, then exact), a search each
    # hit's text twice (highlights, --explain).
    return tuple([(m.start(), m.end(), *token_forms(m.group())) for m in TOKEN.finditer(text)])


def token_terms(text: str) -> tuple[tuple[str, str], ...]:
    """(normalised, exact) of every token of ``text``, in order: :func:`token_spans` without
    the offsets, which indexing does not need (the same tokens, found with less work)."""
    return _terms(text)


@lru_cache(maxsize=8)
def _terms(text: str) -> tuple[tuple[str, str], ...]:
    # Cached as _spans: ingest indexes each passage twice in a row (text, then exact).
    forms = token_forms
    return tuple([forms(word) for word in TOKEN.findall(text)])


@lru_cache(maxsize=100_000)
def token_forms(raw: str) -> tuple[str, str]:
    """(normalised, exact) of one token as written: a word recurs, its forms are computed once."""
    exact = exact_form(raw)
    return normal_form(exact), exact



class NewsAnalyzer(Tokenizer):
    """The Whoosh analyzer over :func:`token_spans`: normalised terms, or with ``exact`` the
    exact ones. A Tokenizer and the whole analyzer at once (no filter chain: one pass)."""

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and getattr(other, "exact", None) == self.exact

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.exact))

    def term(self, raw: str) -> str:
        """The term one already-separated word indexes as (wildcard and fuzzy words)."""
        exact = exact_form(raw)
        return exact if self.exact else normal_form(exact)

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # a wildcard, prefix or fuzzy word: one term, never split
            t.original = value
            t.text = self.term(value)
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        index = 3 if self.exact else 2
        for pos, span in enumerate(token_spans(value)):
            t.text = span[index]
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[span[0]:span[1]]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + span[0], start_char + span[1]
            yield t
