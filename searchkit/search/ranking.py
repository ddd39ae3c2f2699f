"""The ranking model: BM25F over passages, the article score, query-time stop words.

Passages are scored by BM25F over their text and title (title boosted). The top passages are
then re-ranked with their whole article's BM25 score over ``body``, so that a passage of an
article about the query outranks an equally good passage that only mentions it in passing.
An OR query leaves out stop words (the index keeps every word). Every function here takes the
searcher and a :class:`RankingParams`; the values were chosen by leave-one-collection-out over
six IR collections (bench/README.md, "Ranking results"), each method kept only where it held.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from whoosh import query as Q
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F, BM25FScorer, bm25

from ..store.documents import KIND_ARTICLE
from ..store.schema import ARTICLE_FIELD, SEARCH_FIELDS
from ..settings import RankingParams
from ..store.whoosh_ext import memo_on
from .query import as_str
from .segments import ArticleIds

Ranked = list[tuple[int, float]]
"""(docnum, score) pairs, best first."""

STOP_WORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself "
    "she her hers herself it its itself they them their theirs themselves what which who whom "
    "this that these those am is are was were be been being have has had having do does did "
    "doing would should could ought a an the and but if or because as until while of at by for "
    "with about against between into through during before after above below to from up down "
    "in out on off over under again further then once here there when where why how all any "
    "both each few more most other some such no nor not only own same so than too very".split())
"""Words an OR query leaves out (``RankingParams.skip_stop_words``): the Snowball project's
English stop list, its function words without the contractions. "us" is not one of them."""


def skip_stop_words(q: Q.Query, text: str, params: RankingParams) -> Q.Query:
    """``q`` (an OR query parsed from ``text``) without its bare stop words, unless it has
    nothing else. Only the top-level words go: a phrase, a group or a field's words stay, and
    so does everything in an AND query (which never comes here)."""
    if not params.skip_stop_words or type(q) is not Q.Or:
        return q
    kept = [c for c in q.subqueries if not _stop_word(c, text)]
    if not kept or len(kept) == len(q.subqueries):
        return q
    return Q.Or(kept, boost=q.boost) if len(kept) > 1 else kept[0]


def _stop_word(node: Q.Query, text: str) -> bool:
    """A plain word of the query on the text/title fields, as typed, in :data:`STOP_WORDS`."""
    if type(node) is not Q.Term or node.fieldname not in SEARCH_FIELDS:
        return False
    start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
    typed = text[start:end] if start is not None and end is not None else as_str(node.text)
    return typed.lower() in STOP_WORDS


class RobertsonBM25F(BM25F):
    """BM25F with Robertson–Spärck Jones idf, ``log(1 + (N - n + .5) / (n + .5))``.

    Whoosh's own idf differs in how it treats common terms; this one was chosen on
    Cranfield and checked on CISI and MED (bench/README.md, "Ranking results").
    The whole-article field ``body`` lives on article documents only, so its N and average
    length are taken over those (Whoosh would count every passage as an empty article).
    """

    def __init__(self, params: RankingParams) -> None:
        super().__init__(B=params.bm25_b, K1=params.bm25_k1)
        self.title_boost = params.title_boost

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        big_n = population(parent, fieldname)
        return math.log(1 + (big_n - n + 0.5) / (n + 0.5))

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if fieldname == ARTICLE_FIELD:
            return _ArticleScorer(searcher, fieldname, text, self.B, self.K1, qf=qf)
        if fieldname == "title":
            # The index's posting weights already carry the schema's field boost.
            indexed = getattr(searcher.schema[fieldname].format, "field_boost", 1.0) or 1.0
            return _ScaledScorer(searcher, fieldname, text, self.B, self.K1, self.title_boost / indexed, qf=qf)
        return super().scorer(searcher, fieldname, text, qf=qf)


class _ScaledScorer(BM25FScorer):
    """BM25 with the term frequency multiplied by ``scale`` (a field boost set at query time)."""

    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, scale: float,
                 qf: int = 1) -> None:
        self.scale = scale
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)

    def _score(self, weight: float, length: int) -> float:
        return bm25(self.idf, weight * self.scale, length, self.avgfl, self.B, self.K1)


class _ArticleScorer(BM25FScorer):
    """BM25 over ``body``, with the average length over article documents."""

    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: int = 1) -> None:
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.field_length(fieldname) / population(parent, fieldname) or 1
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)


def population(searcher: Any, fieldname: str) -> int:
    """How many documents can hold ``fieldname``: the articles for ``body``, else all.
    (Kept on the searcher: a term lookup for every word scored was 30% of re-ranking.)"""
    if fieldname == ARTICLE_FIELD:
        return memo_on(searcher, "articles", lambda: max(1, searcher.doc_frequency("kind", KIND_ARTICLE)))
    return searcher.doc_count_all()


def or_scores(searcher: Any, q: Q.Query) -> dict[int, float] | None:
    """Every matching passage's score for an OR of plain words (``Term`` leaves on text/title),
    term at a time: each word's postings are read a block at a time and added into one table.

    The same BM25F as Whoosh's matchers compute (the searcher's weighting gives each word's
    scorer: idf, average length, k1, b, the title's scale), without Whoosh's union of 2 x words
    matchers, whose block-quality bookkeeping was ~80% of a long question at BBC 1x. Returns
    None for any other query (Whoosh then runs it)."""
    leaves = list(q.subqueries) if type(q) is Q.Or else [q]
    if not all(type(t) is Q.Term and t.fieldname in SEARCH_FIELDS for t in leaves):
        return None
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
    from whoosh.util.numeric import byte_to_length

    acc: dict[int, float] = {}
    get = acc.get
    weighting = searcher.weighting
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        deleted = set(reader.deleted_docs()) if reader.has_deletions() else None
        for leaf in leaves:
            fieldname, text = leaf.fieldname, leaf.text
            try:
                m = reader.postings(fieldname, text)
            except TermNotFound:
                continue
            scorer = weighting.scorer(searcher, fieldname, text)
            k1, b, avg = scorer.K1, scorer.B, scorer.avgfl
            scale = getattr(scorer, "scale", 1.0)
            c = leaf.boost * scorer.idf * (k1 + 1)
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = memo_on(sub, f"lengths:{fieldname}", lambda c=column: c.load() if c is not None else None)
            norm = [k1 * (1 - b + b * byte_to_length(i) / avg) for i in range(256)]
            if type(m) is W3LeafMatcher and deleted is None and lengths is not None:
                while m.is_active():
                    m._read_ids()
                    m._read_weights()
                    for d, w in zip(m._ids, m._weights):
                        tf = w * scale
                        d += offset
                        acc[d] = get(d, 0.0) + c * tf / (tf + norm[lengths[d - offset]])
                    if m._lastblock:
                        break
                    m._next_block()
                continue
            while m.is_active():  # inlined or filtered postings: one at a time
                d = m.id()
                if deleted is None or d not in deleted:
                    tf = m.weight() * scale
                    length = byte_to_length(lengths[d]) if lengths is not None else 0
                    acc[d + offset] = get(d + offset, 0.0) + c * tf / (tf + k1 * (1 - b + b * length / avg))
                m.next()
    return acc


def rerank_pool(limit: int, operator: str, params: RankingParams) -> int:
    """How many collapsed passages the article score re-ranks for a page of ``limit``."""
    return max(limit, params.rerank_depth if operator == "or" else params.rerank_pages_and * limit)


def rerank(searcher: Any, article_of: ArticleIds, ranked: Ranked, words: dict[str, float],
           params: RankingParams) -> Ranked:
    """Passage hits ``(docnum, score)`` re-ranked with their article's score, best first: each
    hit's score becomes its passage's BM25F plus ``params.article_weight`` x its article's BM25
    over ``body``. Ties keep their order."""
    hits = [(score, docnum, article_of[docnum]) for docnum, score in ranked]
    article_doc = _article_docnums(searcher, hits, article_of)
    body = _scores_at(searcher, sorted(article_doc.values()), (ARTICLE_FIELD,), words)
    weight = params.article_weight
    rescored = [(score + weight * body.get(article_doc.get(a, -1), 0.0), docnum) for score, docnum, a in hits]
    rescored.sort(key=lambda h: -h[0])
    return [(docnum, score) for score, docnum in rescored]


def _scores_at(searcher: Any, docnums: list[int], fieldnames: Sequence[str], words: dict[str, float]
               ) -> dict[int, float]:
    """Sum over ``words`` and ``fieldnames`` of weight x BM25 for these documents only
    (``docnums`` sorted). Each word's postings skip straight to them, so this costs a
    few blocks per word, where a filtered search would score every matching document."""
    scores: dict[int, float] = {}
    for fieldname in fieldnames:
        for word, weight in words.items():
            try:
                m = searcher.postings(fieldname, word)
            except TermNotFound:
                continue
            i = 0
            while i < len(docnums) and m.is_active():  # leapfrog: whichever is behind skips
                docnum, at = docnums[i], m.id()
                if at < docnum:
                    m.skip_to(docnum)
                elif at > docnum:
                    i = bisect.bisect_left(docnums, at, i)
                else:
                    scores[docnum] = scores.get(docnum, 0.0) + weight * m.score()
                    i += 1
    return scores


def _article_docnums(searcher: Any, hits: list[tuple[float, int, str]], article_of: ArticleIds) -> dict[str, int]:
    """article id -> the docnum of its ``kind=article`` document (the one with a body)."""
    reader = searcher.reader()
    first: dict[str, int] = {}  # each article's first hit
    for _, docnum, a in hits:
        first[a] = min(docnum, first.get(a, docnum))
    out: dict[str, int] = {}
    for a, docnum in first.items():
        # The indexer adds an article's document just before its passages: walk back from
        # the hit while the documents are the same article's. Only a lookup of the
        # article's documents finds it if the index is laid out otherwise.
        while docnum >= 0 and article_of[docnum] == a:
            if reader.doc_field_length(docnum, ARTICLE_FIELD):
                out[a] = docnum
                break
            docnum -= 1
        else:
            for docnum in reader.postings("article_id", a).all_ids():  # the article and its passages
                if reader.doc_field_length(docnum, ARTICLE_FIELD):
                    out[a] = docnum
                    break
    return out
