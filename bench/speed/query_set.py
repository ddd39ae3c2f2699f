"""The fixed query set of ``perf.py``: 200 seeded queries over the passages of the smallest
scale (the same at every scale), and the broad word for the facets query."""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from _common import STOP_WORDS

QUERY_KINDS = ("two-word", "rare-word", "phrase", "entity")
_WORD = re.compile(r"[A-Za-z]+")


def build_queries(passages: list[dict[str, Any]], n: int = 200, seed: int = 5) -> list[dict[str, Any]]:
    """A fixed, seeded set of ``n`` queries, a quarter of each kind in ``QUERY_KINDS``.

    Words are alphabetic, lower-cased, not stopwords, at least 3 letters. Rare words occur in
    2–5 passages; the entity kind pairs a word with an entity of the same passage (so that it
    has at least one hit) and filters on it.
    """
    rng = random.Random(seed)
    words_of = [[w.lower() for w in _WORD.findall(p["text"])] for p in passages]
    df: Counter[str] = Counter()
    for ws in words_of:
        df.update(set(ws))

    def content(w: str) -> bool:
        return len(w) >= 3 and w not in STOP_WORDS and w not in ("and", "or", "not")

    rare = sorted(w for w, c in df.items() if 2 <= c <= 5 and content(w) and len(w) >= 5)
    per_kind = n // len(QUERY_KINDS)
    queries: list[dict[str, Any]] = []
    order = list(range(len(passages)))
    rng.shuffle(order)
    it = iter(order * 4)
    while sum(q["kind"] == "two-word" for q in queries) < per_kind:
        ws = [w for w in words_of[next(it)] if content(w) and df[w] > 1]
        if len(ws) >= 2:
            a, b = rng.sample(ws, 2)
            if a != b:
                queries.append({"kind": "two-word", "terms": [a, b]})
    for w in rng.sample(rare, per_kind):
        queries.append({"kind": "rare-word", "terms": [w]})
    while sum(q["kind"] == "phrase" for q in queries) < per_kind:
        ws = words_of[next(it)]
        starts = [i for i in range(len(ws) - 1) if content(ws[i]) and content(ws[i + 1])]
        if starts:
            i = rng.choice(starts)
            queries.append({"kind": "phrase", "terms": ws[i:i + 2]})
    while sum(q["kind"] == "entity" for q in queries) < n - 3 * per_kind:
        p = passages[k := next(it)]
        ents = [e for e in p.get("entities") or [] if e.split("=", 1)[0] in ("person", "org", "place")]
        ws = [w for w in words_of[k] if content(w) and df[w] > 1]
        if ents and ws:
            queries.append({"kind": "entity", "terms": [rng.choice(ws)], "entity": rng.choice(ents)})
    return queries


def broad_word(passages: list[dict[str, Any]]) -> str:
    """The most frequent content word by passage count: the broad query for facets."""
    df: Counter[str] = Counter()
    for p in passages:
        df.update({w.lower() for w in _WORD.findall(p["text"])})
    return next(w for w, _ in df.most_common() if w not in STOP_WORDS and len(w) >= 4)
