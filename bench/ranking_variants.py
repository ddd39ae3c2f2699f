"""Ranking changes, applied to searchkit in-process for measurement only.

Each variant is a set of patches over searchkit's real ingest and search code, so that
``rank_eval.py --variant NAME`` measures exactly what the proposed change would do; the
lead then makes the change in ``searchkit/`` itself. Nothing here is used at runtime.

Knobs (chosen on Cranfield with ``fast_rank.py``, then checked on CISI and MED):

* ``idf="bm25"``: Robertson/Lucene idf ``log(1 + (N - n + .5) / (n + .5))`` instead of
  Whoosh's ``log(N / (n + 1)) + 1``, which gives words in most passages a floor weight of ~1;
* ``k1``/``b``: BM25F saturation and length normalisation;
* ``k3``: repeated query words count again, saturated as ``qtf (k3 + 1) / (qtf + k3)``
  (Whoosh's parser drops repeats, so "titles ... titles ... titles" weighs as much as once);
* ``stemmer="porter2"``: Snowball English (``whoosh.lang.porter2``) instead of Porter;
* ``hybrid``: article score = best passage + ``hybrid`` x a whole-article BM25 score, from an
  unstored, position-free ``body`` field (title + clean text) on the ``kind=article`` document.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

VARIANTS: dict[str, dict[str, Any]] = {
    "as-is": {},
    "idf": {"idf": "bm25"},
    "idf+qtf": {"idf": "bm25", "k3": 5.0},
    "idf+qtf+k1": {"idf": "bm25", "k3": 5.0, "k1": 1.5},
    "idf+qtf+k1+porter2": {"idf": "bm25", "k3": 5.0, "k1": 1.5, "stemmer": "porter2"},
    "tuned": {"idf": "bm25", "k3": 5.0, "k1": 1.5, "stemmer": "porter2", "hybrid": 1.0},
    "tuned-no-porter2": {"idf": "bm25", "k3": 5.0, "k1": 1.5, "hybrid": 1.0},
    "tuned-linear-qtf": {"idf": "bm25", "k3": 1e9, "k1": 1.5, "stemmer": "porter2", "hybrid": 1.0},
}


@contextlib.contextmanager
def applied(knobs: dict[str, Any]) -> Iterator[None]:
    """Patch searchkit for the duration of the block (ingest and search alike)."""
    from searchkit import indexer, schema, search

    saved: list[tuple[Any, str, Any]] = []

    def patch(obj: Any, name: str, value: Any) -> None:
        saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    try:
        if "k1" in knobs:
            patch(search, "BM25_K1", knobs["k1"])
        if "b" in knobs:
            patch(search, "BM25_B", knobs["b"])
        if knobs.get("idf") == "bm25":
            patch(search, "BM25F", _robertson_bm25f())
        if knobs.get("stemmer") == "porter2" or knobs.get("hybrid"):
            patch(schema, "build_schema", _schema_builder(schema.build_schema, knobs))
        if knobs.get("stemmer") == "porter2":
            from whoosh.analysis import StemmingAnalyzer
            from whoosh.lang.porter2 import stem

            patch(schema, "StemmingAnalyzer", lambda *a, **k: StemmingAnalyzer(*a, stemfn=stem, **k))
        if knobs.get("hybrid"):
            patch(indexer, "_add_article", _with_body(indexer._add_article))
        if knobs.get("k3") is not None:
            patch(search.SearchIndex, "parse_query", _with_qtf(search.SearchIndex.parse_query, knobs["k3"]))
        if knobs.get("hybrid"):
            patch(search.SearchIndex, "search", _hybrid_search(search.SearchIndex.search, knobs["hybrid"]))
        yield
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)


def _robertson_bm25f() -> Any:
    from whoosh.scoring import BM25F

    class RobertsonBM25F(BM25F):
        def idf(self, searcher: Any, fieldname: str, text: str) -> float:
            parent = searcher.get_parent()
            n = parent.doc_frequency(fieldname, text)
            big_n = parent.doc_count_all()
            return math.log(1 + (big_n - n + 0.5) / (n + 0.5))

    return RobertsonBM25F


def _schema_builder(original: Any, knobs: dict[str, Any]) -> Any:
    def build_schema() -> Any:
        from whoosh import fields

        s = original()
        if knobs.get("hybrid"):
            s.add("body", fields.TEXT(analyzer=s["text"].analyzer, stored=False, phrase=False))
        return s

    return build_schema


def _with_body(original: Any) -> Any:
    """The article document also gets ``body`` = title + clean text (scored, not stored)."""

    class BodyWriter:
        def __init__(self, writer: Any, body: str) -> None:
            self.writer, self.body = writer, body

        def add_document(self, **doc: Any) -> None:
            if doc.get("kind") == "article":
                doc["body"] = self.body
            self.writer.add_document(**doc)

    def add_article(writer: Any, a: Any, file_hash: str) -> None:
        original(BodyWriter(writer, f"{a.metadata.title or ''}\n{a.text}"), a, file_hash)

    return add_article


def _with_qtf(original: Any, k3: float) -> Any:
    def parse_query(self: Any, text: str, operator: str = "and") -> Any:
        q = original(self, text, operator)
        counts = Counter(t.text for t in self._ix.schema["text"].analyzer(text))
        for leaf in q.leaves():
            qtf = counts.get(getattr(leaf, "text", None), 0)
            if qtf > 1 and getattr(leaf, "fieldname", None) in ("text", "title"):
                leaf.boost *= qtf * (k3 + 1) / (qtf + k3)
        return q

    return parse_query


def _hybrid_search(original: Any, weight: float) -> Any:
    def search(self: Any, query: str = "", *, limit: int = 10, **kw: Any) -> Any:
        from whoosh import query as Q

        result = original(self, query, limit=max(limit, 100), **kw)
        if not result.hits or "body" not in self._ix.schema:
            return replace(result, hits=result.hits[:limit])
        q = self.parse_query(query, kw.get("operator", "and"))
        body_terms = [Q.Term("body", leaf.text, boost=leaf.boost) for leaf in q.leaves()
                      if getattr(leaf, "fieldname", None) == "text" and hasattr(leaf, "text")]
        if not body_terms:
            return replace(result, hits=result.hits[:limit])
        articles = {h.article_id for h in result.hits}
        found = self._searcher.search(Q.Or(body_terms), limit=None, filter=Q.Or(
            [Q.Term("article_id", a) for a in articles]))
        article_score = {found[i]["article_id"]: found.score(i) for i in range(found.scored_length())}
        hits = sorted(result.hits, key=lambda h: -(h.score + weight * article_score.get(h.article_id, 0.0)))
        hits = [replace(h, rank=i + 1, score=h.score + weight * article_score.get(h.article_id, 0.0))
                for i, h in enumerate(hits[:limit])]
        return replace(result, hits=tuple(hits))

    return search
