"""Highlights: the character ranges of a hit's text that the query matched.

A hit's text is tokenised again by the index's own tokeniser (:data:`~searchkit.store.analysis.TOKEN`, the one the
analyzer runs) and every token whose term the query matched is marked — its normalised form
for a default search, its exact form for an exact one — so highlights agree with what was
searched (stemming, case, symbols).
"""

from __future__ import annotations

from typing import Any

from whoosh import query as Q

from ..results import Highlight
from ..store.analysis import TOKEN, token_forms
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
    """Character spans of ``text`` whose token is one of ``terms``.

    A token's forms (its stem above all: nearly all of a cold search's highlighting) are
    computed only when its first character can begin one of the terms: a token's normalised
    and exact forms begin with its own first character, lower-cased for the first (a lone
    ``&`` reads as ``and``)."""
    normal, exact = terms
    heads = {t[:1] for t in normal} | {t[:1] for t in exact}
    if "and" in normal:
        heads.add("&")
    out = []
    for m in TOKEN.finditer(text):
        raw = m.group()
        if raw[:1] not in heads and raw[:1].lower()[:1] not in heads:
            continue
        norm, as_written = token_forms(raw)
        if norm in normal or as_written in exact:
            out.append(Highlight(m.start(), m.end()))
    return out
