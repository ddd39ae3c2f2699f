"""Passages stage: clean text → paragraph-sized :class:`~searchkit.records.Passage` slices.

A passage is what a search hit shows, so it should read as one unit: a paragraph. Very
short paragraphs (a one-line quote, a dateline) are merged with their neighbour so that a
hit has context and the index is not flooded with fragments; very long ones are split at
sentence boundaries. Offsets always point into the article's clean text:
``text[p.start:p.end] == p.text``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping

from .records import FACETS, Mention, Passage

MIN_CHARS = 80
"""A paragraph shorter than this is merged with the next one (or the previous, at the end)."""
MAX_CHARS = 1200
"""A paragraph longer than this is split at sentence boundaries into pieces of about TARGET_CHARS."""
TARGET_CHARS = 700

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before white
# space and an upper-case letter, digit or opening quote. Abbreviations like "Mr." rarely
# matter here: a split only has to land near a boundary, not exactly on one.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


def split_passages(article_id: str, text: str) -> list[Passage]:
    """Split ``text`` into passages with offsets; see the module docstring for the rules."""
    spans = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]
    spans = [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]
    spans = _merge_short(text, spans)
    pieces: list[tuple[int, int]] = []
    for start, end in spans:
        if end - start > MAX_CHARS:
            pieces.extend(_split_long(text, start, end))
        else:
            pieces.append((start, end))
    return [Passage(article_id, i, a, b, text[a:b]) for i, (a, b) in enumerate(pieces)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _merge_short(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for span in spans:
        if pending is not None:
            span = (pending[0], span[1])
            pending = None
        if span[1] - span[0] < MIN_CHARS:
            pending = span
        else:
            merged.append(span)
    if pending is not None:
        if merged and (merged[-1][1] - merged[-1][0]) + (pending[1] - pending[0]) <= MAX_CHARS:
            merged[-1] = (merged[-1][0], pending[1])
        else:
            merged.append(pending)
    return merged


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [start + m.end() for m in _SENTENCE_END.finditer(text[start:end])] + [end]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for i in range(1, len(cuts)):
        cut = cuts[i]
        if cut - piece_start >= TARGET_CHARS or cut == end:
            if cut == end and pieces and cut - piece_start < MIN_CHARS:
                pieces[-1] = (pieces[-1][0], end)  # a short tail joins the previous piece
            else:
                pieces.append((piece_start, cut))
            piece_start = cut
    # A single sentence longer than MAX_CHARS stays whole unless it is huge; then cut at spaces.
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        a, b = _trim(text, a, b)
        while b - a > 4 * MAX_CHARS:
            cut = text.rfind(" ", a, a + TARGET_CHARS) if " " in text[a:a + TARGET_CHARS] else a + TARGET_CHARS
            cut = cut if cut > a else a + TARGET_CHARS
            out.append(_trim(text, a, cut))
            a = _trim(text, cut, b)[0]
        out.append((a, b))
    return [s for s in out if s[1] > s[0]]


def attach_entities(passages: Iterable[Passage], mentions: Iterable[Mention]) -> list[Passage]:
    """Give each passage the canonical names of the mentions inside it, per facet."""
    passages = list(passages)
    by_passage: list[dict[str, dict[str, None]]] = [{f: {} for f in FACETS} for _ in passages]
    starts = [p.start for p in passages]
    for m in mentions:
        i = bisect.bisect_right(starts, m.start) - 1
        if i >= 0 and m.start < passages[i].end and m.type in by_passage[i]:
            by_passage[i][m.type][m.name] = None
    return [_with_entities(p, ents) for p, ents in zip(passages, by_passage)]


def _with_entities(p: Passage, ents: Mapping[str, dict[str, None]]) -> Passage:
    return Passage(p.article_id, p.ordinal, p.start, p.end, p.text,
                   {f: tuple(names) for f, names in ents.items() if names})


_WORD = re.compile(r"\w+")
_BETWEEN = r"(?:[^\w<&]|<[^>]*>|&#?\w+;)+"
"""What may separate two words of a passage in its source: punctuation and white space,
tags, character references (``&rsquo;``, ``&#8217;``)."""
PROBE_WORDS = 8
"""Words of a passage's opening looked for in the source: enough to be unique in a page."""


def source_lines(content: str, passages: Iterable[Passage], *, html: bool) -> list[int | None]:
    """The line of ``content`` (a decoded text or HTML file) where each passage starts, found
    by its opening words, in order: each is looked for after the previous one and, in HTML,
    outside tags, scripts and styles (where a page repeats its text as metadata); 8 words,
    then 3. None when neither is found (a word the page spells with a character reference
    inside it). The cost is one forward regex scan of the file per passage."""
    hidden = _hidden_spans(content) if html else []
    out: list[int | None] = []
    at, line = 0, 1
    for p in passages:
        words = _WORD.findall(p.text)
        found = None
        for n in (PROBE_WORDS, 3):
            if words[:n]:
                found = _find(content, words[:n], at, html, hidden)
            if found is not None:
                break
        if found is None:
            out.append(None)
            continue
        line += content.count("\n", at, found)
        at = found
        out.append(line)
    return out


def _hidden_spans(content: str) -> list[tuple[int, int]]:
    """(start, end) of each ``<script>`` and ``<style>`` element (lower or upper case), in
    order. ``str.find`` only: ``lower()`` or a case-blind regex over a big page of
    non-ASCII text cost more than finding every passage."""
    spans = []
    for tag in ("script", "style", "SCRIPT", "STYLE"):
        pos = content.find("<" + tag)
        while pos >= 0:
            end = content.find("</" + tag, pos)
            end = end if end >= 0 else len(content)
            spans.append((pos, end))
            pos = content.find("<" + tag, end)
    return sorted(spans)


def _find(content: str, words: list[str], start: int, html: bool, hidden: list[tuple[int, int]]) -> int | None:
    """Where ``words`` (with :data:`_BETWEEN` between them) first occur at or after ``start``,
    at a word's start and, in HTML, neither inside a tag nor in a ``<script>`` or ``<style>``.
    The first word is found with ``str.find`` and the others matched after it one by one (a
    regex of the whole would be compiled anew for every passage, and searched ~50x slower)."""
    first = words[0]
    pos = content.find(first, start)
    while pos >= 0:
        ok = not (pos and (content[pos - 1].isalnum() or content[pos - 1] == "_")) and _follows(content, pos, words)
        if ok and html:
            if content.rfind("<", 0, pos) > content.rfind(">", 0, pos):
                ok = False  # inside a tag (an attribute value)
            else:
                i = bisect.bisect_right(hidden, (pos, len(content))) - 1
                ok = not (i >= 0 and hidden[i][0] <= pos < hidden[i][1])
        if ok:
            return pos
        pos = content.find(first, pos + 1)
    return None


_SEPARATOR = re.compile(_BETWEEN)


def _follows(content: str, pos: int, words: list[str]) -> bool:
    """True when ``words`` are at ``pos``, separated as :data:`_BETWEEN` allows."""
    at = pos + len(words[0])
    for w in words[1:]:
        m = _SEPARATOR.match(content, at)
        if m is None or not content.startswith(w, m.end()):
            return False
        at = m.end() + len(w)
    return True
