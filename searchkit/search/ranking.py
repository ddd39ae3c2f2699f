"""The ranking model: BM25F over passages, the article score, pseudo-relevance feedback (RM3).

Passages are scored by BM25F over their text and title (title boosted). The top passages are
then re-ranked with their whole article's BM25 score over ``body``, so that a passage of an
article about the query outranks an equally good passage that only mentions it in passing;
long OR queries of plain words (natural-language questions) get one round of pseudo-relevance
feedback. Every function here takes the searcher and a :class:`RankingParams`; nothing is a
module constant. The values were chosen on Cranfield and checked on CISI and MED
(bench/README.md, "Ranking results").
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from whoosh import query as Q
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F, BM25FScorer

from ..store.documents import KIND_ARTICLE
from ..store.schema import ARTICLE_FIELD, SEARCH_FIELDS
from ..settings import RankingParams
from ..store.whoosh_ext import memo_on
from .query import plain_words_only
from .segments import ArticleIds

Ranked = list[tuple[int, float]]
"""(docnum, score) pairs, best first."""


class RobertsonBM25F(BM25F):
    """BM25F with Robertson–Spärck Jones idf, ``log(1 + (N - n + .5) / (n + .5))``.

    Whoosh's own idf differs in how it treats common terms; this one was chosen on
    Cranfield and checked on CISI and MED (bench/README.md, "Ranking results").
    The whole-article field ``body`` lives on article documents only, so its N and average
    length are taken over those (Whoosh would count every passage as an empty article).
    """

    def __init__(self, params: RankingParams) -> None:
        super().__init__(B=params.bm25_b, K1=params.bm25_k1)

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        big_n = population(parent, fieldname)
        return math.log(1 + (big_n - n + 0.5) / (n + 0.5))

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if fieldname == ARTICLE_FIELD:
            return _ArticleScorer(searcher, fieldname, text, self.B, self.K1, qf=qf)
        return super().scorer(searcher, fieldname, text, qf=qf)


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


def rerank_pool(limit: int, operator: str, params: RankingParams) -> int:
    """How many collapsed passages the article score re-ranks for a page of ``limit``."""
    return max(limit, params.rerank_depth if operator == "or" else params.rerank_pages_and * limit)


def rerank(searcher: Any, article_of: ArticleIds, ranked: Ranked, q: Q.Query, words: dict[str, float],
           operator: str, params: RankingParams) -> Ranked:
    """Passage hits ``(docnum, score)`` re-ranked with their article's score, best first.

    Each hit's score becomes its passage's BM25F plus ``params.article_weight`` x its
    article's BM25 over ``body``. A long OR query of plain words then gets one round of
    pseudo-relevance feedback (RM3): the most telling words of the top articles are
    added to the query, and the same hits are scored again with them — passages and
    articles alike — so the feedback costs no second search (and changes no total).
    """
    hits = [(score, docnum, article_of[docnum]) for docnum, score in ranked]
    article_doc = _article_docnums(searcher, hits, article_of)
    hits = _add_scores(searcher, hits, article_doc, words, params, passages=False)
    if operator == "or" and len(words) >= params.feedback_min_words and plain_words_only(q):
        top: dict[str, float] = {}  # article id -> its best hit's score, best first
        for score, _, a in hits:
            if a in article_doc and a not in top and len(top) < params.feedback_articles:
                top[a] = score
        added = feedback_words(searcher, words, top, params)
        if added:
            hits = _add_scores(searcher, hits, article_doc, added, params, passages=True)
    return [(docnum, score) for score, docnum, _ in hits]


def _add_scores(searcher: Any, hits: list[tuple[float, int, str]], article_doc: dict[str, int],
                words: dict[str, float], params: RankingParams, *, passages: bool
                ) -> list[tuple[float, int, str]]:
    """Add ``words``' scores to ``hits`` (score, docnum, article id) and sort them again:
    ``article_weight`` x their article's ``body`` score, and when ``passages`` their
    passage's own BM25F (text and title) too. Ties keep their order."""
    body = _scores_at(searcher, sorted(article_doc.values()), (ARTICLE_FIELD,), words)
    own = _scores_at(searcher, sorted(d for _, d, _ in hits), SEARCH_FIELDS, words) if passages else {}
    weight = params.article_weight
    rescored = [(score + own.get(docnum, 0.0) + weight * body.get(article_doc.get(a, -1), 0.0), docnum, a)
                for score, docnum, a in hits]
    rescored.sort(key=lambda h: -h[0])
    return rescored


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


def feedback_words(searcher: Any, words: dict[str, float], top_articles: dict[str, float],
                   params: RankingParams) -> dict[str, float]:
    """RM3's relevance model: words weighted by their share of each top article's text
    (``tf / length``) times that article's score; the best ``feedback_words`` of them that
    are not in more than ``feedback_max_df`` of the articles, weighted so that they hold
    ``feedback_weight`` of the expanded query (the user's words keep their own weights)."""
    total = sum(top_articles.values())
    if total <= 0:
        return {}
    analyzer = searcher.schema["text"].analyzer
    model: Counter[str] = Counter()
    for article_id, score in top_articles.items():
        # The article's words (title and passages) from its stored passages: re-analysing
        # ~10 articles costs a few ms; a term vector on body would cost index size instead.
        passages = [f for f in searcher.documents(article_id=article_id) if "passage_id" in f]
        texts = [passages[0].get("title") or ""] if passages else []
        texts += [p.get("text", "") for p in passages]
        counts = Counter(t.text for text in texts for t in analyzer(text))
        length = sum(counts.values()) or 1
        for term, tf in counts.items():
            model[term] += tf / length * score / total
    max_df = params.feedback_max_df * population(searcher, ARTICLE_FIELD)
    chosen: dict[str, float] = {}
    for term, p in model.most_common():
        if len(chosen) == params.feedback_words:
            break
        if searcher.doc_frequency(ARTICLE_FIELD, term) <= max_df:
            chosen[term] = p
    mass = sum(chosen.values())
    if not mass:
        return {}
    # RM3 interpolates (1 - w) x query + w x model, both normalised; scaled here so that
    # the user's words keep their weights and scores stay comparable to unexpanded ones.
    scale = params.feedback_weight / (1 - params.feedback_weight) * sum(words.values()) / mass
    return {term: p * scale for term, p in chosen.items()}
