"""``--explain``: why each hit matched and how it scored.

For every hit: which of the query's terms matched in which field (the passage text, its
title, or their as-written twins), what each matched term came from (the word as typed, its
stem, a fuzzy or wildcard variant, a phrase), the passage's own BM25F score and what
re-ranking by its article added. Computed for the page of hits only, after the search, from
their stored text through the index's own tokeniser, so it costs nothing unless asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from whoosh import query as Q

from ..results import Hit
from ..settings import RankingParams
from ..store.analysis import exact_form, token_spans
from ..store.schema import ARTICLE_FIELD, EXACT_FIELDS, SEARCH_FIELDS, TEXT_FIELDS
from .query import as_str
from .ranking import _article_docnums, _scores_at
from .segments import ArticleIds

Source = tuple[str, str]
"""(what the user typed, how it became the term: "word", "stemmed", "fuzzy", "wildcard", "phrase")."""


def term_sources(q: Q.Query, text: str, reader: Any) -> dict[tuple[str, str], Source]:
    """(field, indexed term) -> where it came from, for every text term the query can match."""
    typed: dict[tuple[bool, str], str] = {}  # (exact?, term) -> the word as typed
    for start, end, norm, exact in token_spans(text):
        typed.setdefault((False, norm), text[start:end])
        typed.setdefault((True, exact), text[start:end])
    out: dict[tuple[str, str], Source] = {}

    def walk(node: Q.Query) -> None:
        fieldname = getattr(node, "fieldname", None)
        if isinstance(node, Q.Not):
            return
        if fieldname in TEXT_FIELDS:
            exact = fieldname in EXACT_FIELDS
            if isinstance(node, Q.Phrase):
                phrase = '"' + " ".join(as_str(w) for w in node.words) + '"'
                for w in node.words:
                    out.setdefault((fieldname, as_str(w)), (phrase, "phrase"))
                return
            if isinstance(node, (Q.FuzzyTerm, Q.Prefix, Q.Wildcard)):
                how = "fuzzy" if isinstance(node, Q.FuzzyTerm) else "wildcard"
                shown = f"{as_str(node.text)}~{node.maxdist}" if how == "fuzzy" else _pattern(node)
                try:
                    variants = [as_str(t) for _, t in node.expanded_terms(reader)]
                except Exception:  # noqa: BLE001 - an expansion we cannot list: say less
                    variants = []
                for v in variants:
                    out.setdefault((fieldname, v), (shown, how))
                return
            if type(node) is Q.Term:
                term = as_str(node.text)
                word = typed.get((exact, term), term)
                stemmed = not exact and exact_form(word).lower() != term
                out[(fieldname, term)] = (word, "stemmed" if stemmed else "word")
                return
        for child in node.children():
            walk(child)

    walk(q)
    return out


def _pattern(node: Q.Query) -> str:
    text = as_str(node.text)
    return text + "*" if isinstance(node, Q.Prefix) else text


def matched_terms(hit: Hit, sources: dict[tuple[str, str], Source]) -> list[dict[str, str]]:
    """The query terms found in the hit's text and title, with where each came from."""
    out = []
    for fieldname, content in (("text", hit.text), ("title", hit.title or "")):
        spans = token_spans(content)
        present = {fieldname: {s[2] for s in spans}, _twin(fieldname): {s[3] for s in spans}}
        for (f, term), (typed, how) in sources.items():
            if f in present and term in present[f]:
                out.append({"field": f, "term": term, "query": typed, "how": how})
    return out


def _twin(fieldname: str) -> str:
    return EXACT_FIELDS[SEARCH_FIELDS.index(fieldname)]


def explain_hits(searcher: Any, q: Q.Query, text: str, hits: Sequence[Hit], docnums: Sequence[int],
                 passage_scores: dict[int, float], article_of: ArticleIds, words: dict[str, float],
                 params: RankingParams) -> tuple[Hit, ...]:
    """``hits`` with ``explain`` filled in: ``matched`` terms, ``passage_score`` (BM25F over text
    and title), ``article_score`` (BM25 of the user's words over the whole article, added
    ``article_weight`` times); the two add up to the hit's score."""
    sources = term_sources(q, text, searcher.reader())
    triples = [(0.0, d, article_of[d]) for d in docnums]
    article_doc = _article_docnums(searcher, triples, article_of) if words else {}
    body = _scores_at(searcher, sorted(article_doc.values()), (ARTICLE_FIELD,), words) if words else {}
    out = []
    for hit, docnum in zip(hits, docnums):
        passage = passage_scores.get(docnum, hit.score)
        article = params.article_weight * body.get(article_doc.get(article_of[docnum], -1), 0.0)
        explain = {
            "matched": matched_terms(hit, sources),
            "passage_score": round(passage, 4),
            "article_score": round(article, 4),
        }
        out.append(replace(hit, explain=explain))
    return tuple(out)
