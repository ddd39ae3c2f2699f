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
