"""The one Whoosh schema and its version.

Two kinds of Whoosh documents live in an index (see :mod:`searchkit.store.documents`): one
``passage`` per searchable paragraph, and one ``article`` per source article, which holds what
``show`` and incremental ingest need (metadata, removed blocks, hashes) in a stored JSON field
and is never matched by a text query. The article document also indexes the whole article
(title and clean text) in ``body``, which search reads only to re-rank the passages it found
(never to match). The folder around the index is :mod:`searchkit.store.folder`'s business.
"""

from __future__ import annotations

from typing import Any

from whoosh import fields

from ..results import FACETS
from .analysis import NewsAnalyzer

SCHEMA_VERSION = 5
"""5: a JSONL record's tags (``tag``, filterable), each passage's source ``line``, each
article's ``input_kind``. 4: every word indexed (no stop list), symbols in names kept
(:mod:`.analysis`), and the case-kept, unstemmed ``exact`` and ``title_exact`` fields."""
TITLE_BOOST = 2.0
GENERATION_FIELD = "generation"
"""On an article's document: the index generation of the commit that wrote it (saved searches'
"what's new"). An index made before it has none: its writer adds the field on the next ingest
(:func:`searchkit.store.whoosh_ext.new_writer`), so the schema version stays, and the older
articles simply count as seen."""


def article_facet(facet: str) -> str:
    """The field holding an article's whole entity set, on its ``article`` document."""
    return f"article_{facet}"


def generation_field() -> fields.NUMERIC:
    return fields.NUMERIC(stored=True, bits=64)


def build_schema() -> fields.Schema:
    # Snowball English (porter2): +0.005 nDCG@10 on CISI and MED over Porter, same on Cranfield.
    # No stop list: any word and any phrase can be searched (see .analysis).
    analyzer = NewsAnalyzer()
    exact = NewsAnalyzer(exact=True)
    # A query word that analyses to several tokens (well-known, COVID-19, £1.5bn) is a phrase.
    text_field = dict(multitoken_query="phrase")
    keyword = dict(commas=True, lowercase=False, scorable=False)
    facet_fields: dict[str, Any] = {}
    for facet in FACETS:
        # sortable: a column holds each passage's value string, read for facet counts.
        facet_fields[facet] = fields.KEYWORD(stored=True, sortable=True, **keyword)
        facet_fields[article_facet(facet)] = fields.KEYWORD(stored=False, **keyword)
    return fields.Schema(
        kind=fields.ID(),
        passage_id=fields.ID(stored=True, unique=True),
        article_id=fields.ID(stored=True, sortable=True),
        ordinal=fields.NUMERIC(stored=True),
        start=fields.STORED(),
        end=fields.STORED(),
        text=fields.TEXT(analyzer=analyzer, stored=True, phrase=True, **text_field),
        # The passage text and title as written (case kept, unstemmed) for --exact and exact:.
        exact=fields.TEXT(analyzer=exact, stored=False, phrase=True, **text_field),
        title_exact=fields.TEXT(analyzer=exact, stored=False, field_boost=TITLE_BOOST, **text_field),
        # The whole article on its kind=article document, scored to re-rank passages; no
        # positions, no vector, not stored (the passages are): +32% index size on BBC news.
        body=fields.TEXT(analyzer=analyzer, stored=False, phrase=False),
        title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST, **text_field),
        path=fields.STORED(),  # stored, not indexed: shown and read back, never searched
        source_id=fields.STORED(),
        site=fields.KEYWORD(stored=True, lowercase=True, commas=True),
        url=fields.STORED(),
        date=fields.DATETIME(stored=True, sortable=True),
        record=fields.STORED(),
        **{GENERATION_FIELD: generation_field()},
        # A JSONL record's other short fields as "key=value" terms (lower case), on each
        # passage, for --tag KEY=VALUE; stored as written for hits.
        tag=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        line=fields.STORED(),  # the passage's line in its source file (text and HTML files)
        input_kind=fields.ID(),  # on the article document: html, txt, jsonl, warc... (stats)
        **facet_fields,
    )


SEARCH_FIELDS = ("text", "title")
"""Fields a bare query word searches (BM25F over both)."""

EXACT_FIELDS = ("exact", "title_exact")
"""The same two as written: what a word searches in exact mode (``--exact``, ``exact:``)."""

EXACT_OF = dict(zip(SEARCH_FIELDS, EXACT_FIELDS))
"""Each normalised field's exact twin."""

TEXT_FIELDS = SEARCH_FIELDS + EXACT_FIELDS
"""Every field a word of the query can match in a passage."""

ARTICLE_FIELD = "body"
"""The whole-article field of ``kind=article`` documents; never in :data:`SEARCH_FIELDS`."""

