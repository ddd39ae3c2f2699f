"""Highlights: the character ranges of a hit's text that the query matched.

A hit's text is tokenised again by the index's own tokeniser (:func:`token_spans`, the one the
analyzer runs) and every token whose term the query matched is marked — its normalised form
for a default search, its exact form for an exact one — so highlights agree with what was
searched (stemming, case, symbols).
"""

from __future__ import annotations

from typing import Any

from whoosh import query as Q

from ..records import Highlight
from ..store.analysis import token_spans
from ..store.schema import EXACT_FIELDS, SEARCH_FIELDS
from .query import as_str, query_terms

MatchedTerms = tuple[frozenset[str], frozenset[str]]
"""(normalised terms, exact terms) that a query matched in passage text or title."""


def highlight_terms(q: Q.Query, reader: Any) -> MatchedTerms:
    """The indexed terms that the query matched, wildcards and fuzzy words expanded."""
    normal: set[str] = set()
    exact: set[str] = set()
    try:
        pairs = q.existing_terms(reader, phrases=True, expand=True)
    except Exception:  # noqa: BLE001 - some query types cannot list terms; highlight less, not fail
        pairs = set(query_terms(q))
    for fname, value in pairs:
        if value is None:
            continue
        if fname in SEARCH_FIELDS:
            normal.add(as_str(value))
        elif fname in EXACT_FIELDS:
            exact.add(as_str(value))
    return frozenset(normal), frozenset(exact)


def highlight_spans(text: str, terms: MatchedTerms) -> list[Highlight]:
    """Character spans of ``text`` whose token is one of ``terms``."""
    normal, exact = terms
    return [Highlight(start, end) for start, end, norm, as_written in token_spans(text)
            if norm in normal or as_written in exact]
