"""Collecting matches: the top passages (collapsed per article), and how many matched.

A search needs the best few passages and a count of all of them; Whoosh does both in one pass
only when it scores every match, so a broad query takes the top with block skipping and is
counted in a second, cheap pass, up to a cap (:class:`~searchkit.settings.SearchLimits`).
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any

from whoosh import query as Q
from whoosh.collectors import FilterCollector, TopCollector

from .docsets import matching_docs
from .query import expected_matches
from .ranking import Ranked
from .segments import ArticleIds


def top_passages(searcher: Any, q: Q.Query, mask: Q.Query | None, allowed: set[int] | None, limit: int,
                 per_article: int | None, article_of: ArticleIds, *, count_all: bool) -> tuple[Ranked, int]:
    """The top ``limit`` (docnum, score) pairs, at most ``per_article`` per article (None: no
    collapsing); and, with ``count_all``, how many passages matched. ``mask`` matches
    documents to leave out; ``allowed`` (when not None) the only ones to keep.

    Collapsing takes the top 2 x limit passages and keeps the first ``per_article`` of
    each article, asking for 4x more in the rare case that leaves fewer than ``limit``.
    (Whoosh's own collapsing works per matching passage and cost 2x the query on a common
    word.) ``count_all`` turns off block skipping and matcher replacement, so the
    collector sees, and counts, every match."""
    collapse = per_article is not None
    want = limit * 2 if collapse else limit
    while True:
        top = TopCollector(want, usequality=False, replace=0) if count_all else TopCollector(want)
        outer = FilterCollector(top, allowed, mask) if mask is not None or allowed is not None else top
        searcher.search_with_collector(q, outer)
        results = outer.results()
        ranked = [(results.docnum(i), float(results.score(i) or 0.0)) for i in range(results.scored_length())]
        seen = top.count() if count_all else len(ranked)
        if per_article is None:
            return ranked, seen
        kept = collapse_per_article(ranked, limit, per_article, article_of)
        if len(kept) >= limit or len(ranked) < want:
            return kept, seen
        want *= 4


def top_of_scores(scores: dict[int, float], limit: int, per_article: int | None, article_of: ArticleIds) -> Ranked:
    """The top ``limit`` of a table of every match's score (see ``ranking.or_scores``), best
    first and ties in document order as Whoosh's collector has them, at most ``per_article``
    per article (None: no collapsing)."""
    want = limit * 2 if per_article is not None else limit
    while True:
        ranked = _best(scores, want)
        if per_article is None:
            return ranked
        kept = collapse_per_article(ranked, limit, per_article, article_of)
        if len(kept) >= limit or len(ranked) < want:
            return kept
        want *= 4


def _best(scores: dict[int, float], n: int) -> Ranked:
    """The ``n`` best (docnum, score), ties in document order: the same as a heap of
    ``(-score, docnum)``, but the threshold is found by sorting the bare scores (in C), and
    only the few at or above it are sorted as pairs."""
    if n >= len(scores):
        return sorted(scores.items(), key=lambda p: (-p[1], p[0]))
    threshold = heapq.nlargest(n, scores.values())[-1]
    above = [(d, sc) for d, sc in scores.items() if sc >= threshold]
    above.sort(key=lambda p: (-p[1], p[0]))
    return above[:n]


def collapse_per_article(ranked: Ranked, limit: int, per_article: int, article_of: ArticleIds) -> Ranked:
    """The first ``limit`` of ``ranked``, keeping at most ``per_article`` of each article."""
    seen: Counter[str] = Counter()
    kept = []
    for docnum, score in ranked:
        key = article_of[docnum]
        if key and seen[key] >= per_article:
            continue
        seen[key] += 1
        kept.append((docnum, score))
        if len(kept) == limit:
            break
    return kept


def expected_count(searcher: Any, q: Q.Query, allowed: set[int] | None) -> float:
    """``expected_matches`` of ``q``, times the share of the index that ``allowed`` keeps."""
    expected = expected_matches(q, searcher.reader())
    if allowed is not None:
        expected *= len(allowed) / max(1, searcher.doc_count_all())
    return expected


def matching_set(searcher: Any, q: Q.Query, mask: Q.Query | None, allowed: set[int] | None) -> set[int]:
    """Every document ``q`` matches, less ``mask``'s, within ``allowed``."""
    docs = matching_docs(searcher, q)
    if mask is not None:
        docs -= matching_docs(searcher, mask)
    if allowed is not None:
        docs &= allowed
    return docs


def count_matches(searcher: Any, q: Q.Query, mask: Q.Query | None, allowed: set[int] | None, cap: int | None
                  ) -> tuple[int, bool]:
    """Matching passages, counted up to ``cap``: (count, exact)."""
    masked = matching_docs(searcher, mask) if mask is not None else ()
    n = 0
    for d in searcher.docs_for_query(q):
        if d in masked or (allowed is not None and d not in allowed):
            continue
        n += 1
        if cap is not None and n > cap:
            return cap, False
    return n, True
