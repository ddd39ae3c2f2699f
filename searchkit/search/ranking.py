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
from typing import Any, NamedTuple

from whoosh import query as Q
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F, BM25FScorer, bm25
from whoosh.util.numeric import byte_to_length

from ..store.documents import KIND_ARTICLE
from ..store.schema import ARTICLE_FIELD, SEARCH_FIELDS
from ..settings import RankingParams
from ..store.whoosh_ext import (block_ids, block_max_id, block_weights, is_leaf_postings, last_block, length_bytes,
                                memo_on, next_block, posting_blocks)
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
    idf, average length, k1, b and the title's scale), without Whoosh's union of 2 x words
    matchers, whose block-quality bookkeeping was ~80% of a long question at BBC 1x, and
    without a Whoosh scorer per word and segment (its set-up reads the term's statistics
    across every segment: a quarter of what was left). Returns None for any other query
    (Whoosh then runs it)."""
    leaves = list(q.subqueries) if type(q) is Q.Or else [q]
    if not all(type(t) is Q.Term and t.fieldname in SEARCH_FIELDS for t in leaves):
        return None
    acc: dict[int, float] = {}
    get = acc.get
    constants: dict[int, tuple[float, float, list[float]]] = {}  # leaf -> (c, scale, norm by length byte)
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        deleted = set(reader.deleted_docs()) if reader.has_deletions() else None
        for i, leaf in enumerate(leaves):
            fieldname, text = leaf.fieldname, leaf.text
            try:
                m = reader.postings(fieldname, text)
            except TermNotFound:
                continue
            if i not in constants:
                t = term_constants(searcher, fieldname, text)
                constants[i] = (leaf.boost * t.idf * (t.k1 + 1), t.scale, _norms(searcher, fieldname, t))
            c, scale, norm = constants[i]
            lengths = segment_lengths(sub, fieldname)
            if is_leaf_postings(m) and deleted is None and lengths is not None:
                for ids, weights in posting_blocks(m):
                    if offset or scale != 1.0:
                        for d, w in zip(ids, weights):
                            tf = w * scale
                            g = d + offset
                            acc[g] = get(g, 0.0) + c * tf / (tf + norm[lengths[d]])
                    else:
                        for d, w in zip(ids, weights):
                            acc[d] = get(d, 0.0) + c * w / (w + norm[lengths[d]])
                continue
            while m.is_active():  # inlined or filtered postings: one at a time
                d = m.id()
                if deleted is None or d not in deleted:
                    tf = m.weight() * scale
                    n = norm[lengths[d]] if lengths is not None else norm[0]
                    acc[d + offset] = get(d + offset, 0.0) + c * tf / (tf + n)
                m.next()
    return acc


class TermConstants(NamedTuple):
    """What BM25 needs of a term besides a document's weight and length."""

    idf: float
    k1: float
    b: float
    avgfl: float
    scale: float  # the title's query-time boost over the one indexed (1 elsewhere)


def term_constants(searcher: Any, fieldname: str, text: Any) -> TermConstants:
    """The constants of the searcher's :class:`RobertsonBM25F` scorer for this term, as its
    scorers compute them (``idf`` is cached on the searcher), without building a scorer."""
    weighting = searcher.weighting
    parent = searcher.get_parent()
    if fieldname == ARTICLE_FIELD:
        avgfl = parent.field_length(fieldname) / population(parent, fieldname) or 1
    else:
        avgfl = parent.avg_field_length(fieldname) or 1
    scale = 1.0
    if fieldname == "title":
        indexed = getattr(searcher.schema[fieldname].format, "field_boost", 1.0) or 1.0
        scale = weighting.title_boost / indexed
    return TermConstants(parent.idf(fieldname, text), weighting.K1, weighting.B, avgfl, scale)


def _norms(searcher: Any, fieldname: str, t: TermConstants) -> list[float]:
    """``k1 (1 - b + b length / avgfl)`` for each of the 256 length bytes, once per field."""
    key = f"norms:{fieldname}:{t.k1}:{t.b}:{t.avgfl}"
    return memo_on(searcher, key, lambda: [t.k1 * (1 - t.b + t.b * byte_to_length(i) / t.avgfl) for i in range(256)])


def segment_lengths(sub: Any, fieldname: str) -> Sequence[int] | None:
    """A segment's field-length bytes (one per document), read once per searcher."""
    lengths = memo_on(sub, f"lengths:{fieldname}", lambda: length_bytes(sub.reader(), fieldname) or False)
    return lengths if lengths is not False else None


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
    (``docnums`` sorted). Each word's postings are walked a block at a time, and a block whose
    last id is before the next document wanted is skipped undecoded, so this costs a few
    blocks per word, where a filtered search would score every matching document."""
    scores: dict[int, float] = {}
    if not docnums:
        return scores
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    for fieldname in fieldnames:
        for word, weight in words.items():
            t: TermConstants | None = None
            for k, (sub, offset) in enumerate(leaves):
                lo = bisect.bisect_left(docnums, offset)
                hi = bisect.bisect_left(docnums, offsets[k + 1]) if k + 1 < len(leaves) else len(docnums)
                if lo == hi:
                    continue
                reader = sub.reader()
                try:
                    m = reader.postings(fieldname, word)
                except TermNotFound:
                    continue
                if t is None:
                    t = term_constants(searcher, fieldname, word)
                lengths = segment_lengths(sub, fieldname)
                wanted = [d - offset for d in docnums[lo:hi]]
                found = _weights_at(m, wanted, reader, lengths is None)
                for d, w in found:
                    fl = byte_to_length(lengths[d]) if lengths is not None and lengths[d] else None
                    s = weight * bm25(t.idf, w, fl, t.avgfl, t.b, t.k1)  # type: ignore[arg-type]
                    scores[d + offset] = scores.get(d + offset, 0.0) + s
    return scores


def _weights_at(m: Any, wanted: list[int], reader: Any, generic: bool) -> list[tuple[int, float]]:
    """(local docnum, weight) of the ``wanted`` documents (sorted, segment-local) that the
    posting list ``m`` holds."""
    out: list[tuple[int, float]] = []
    i, n = 0, len(wanted)
    if is_leaf_postings(m) and not generic and not reader.has_deletions():
        while i < n and m.is_active():
            if block_max_id(m) < wanted[i]:  # nothing wanted in this block: skip it undecoded
                if last_block(m):
                    break
                next_block(m)
                continue
            ids = block_ids(m)
            weights: Sequence[float] | None = None
            j = 0
            top = block_max_id(m)
            while i < n and wanted[i] <= top:
                j = bisect.bisect_left(ids, wanted[i], j)
                if j < len(ids) and ids[j] == wanted[i]:
                    if weights is None:
                        weights = block_weights(m)
                    out.append((wanted[i], weights[j]))
                i += 1
            if last_block(m):
                break
            next_block(m)
        return out
    while i < n and m.is_active():  # leapfrog: whichever is behind skips
        at = m.id()
        if at < wanted[i]:
            m.skip_to(wanted[i])
        elif at > wanted[i]:
            i = bisect.bisect_left(wanted, at, i)
        else:
            out.append((at, m.weight()))
            i += 1
    return out


def _article_docnums(searcher: Any, hits: list[tuple[float, int, str]], article_of: ArticleIds) -> dict[str, int]:
    """article id -> the docnum of its ``kind=article`` document (the one with a body)."""
    reader = searcher.reader()
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    first: dict[str, int] = {}  # each article's first hit
    for _, docnum, a in hits:
        first[a] = min(docnum, first.get(a, docnum))
    out: dict[str, int] = {}
    for a, docnum in first.items():
        # The indexer adds an article's document just before its passages: walk back from
        # the hit to the nearest document with a body (through the segment's length
        # bytes). Only a lookup of the article's documents finds it if the index is laid
        # out otherwise.
        k = bisect.bisect_right(offsets, docnum) - 1
        sub, offset = leaves[k]
        lengths = segment_lengths(sub, ARTICLE_FIELD)
        local = docnum - offset
        if lengths is not None:
            while local >= 0 and not lengths[local]:
                local -= 1
        if lengths is not None and local >= 0 and article_of[local + offset] == a:
            out[a] = local + offset
            continue
        for d in reader.postings("article_id", a).all_ids():  # the article and its passages
            if reader.doc_field_length(d, ARTICLE_FIELD):
                out[a] = d
                break
    return out
