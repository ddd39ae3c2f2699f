"""Tuning values as frozen objects, passed in and never monkeypatched.

Each field keeps today's value and the reason for it. Change one for an experiment with
``dataclasses.replace``::

    from dataclasses import replace
    from searchkit.settings import RankingParams
    with searchkit.open_index("index", ranking=replace(RankingParams(), feedback_weight=0.0)) as idx:
        ...

Where a value came from a benchmark, ``bench/README.md`` says which run chose it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingParams:
    """How hits are scored: BM25F over passages, the article score, pseudo-relevance feedback."""

    bm25_b: float = 0.75
    """BM25 length normalisation (the textbook value; Whoosh's own default)."""
    bm25_k1: float = 1.5
    """BM25 term-frequency saturation."""
    query_k3: float = 5.0
    """Saturation of repeated query words: a word said twice weighs 2*6/7, not 1 (nor 2)."""
    title_boost: float = 2.0
    """Weight of a title match against a match in the passage text. Applied when the index is
    written (the schema's title field boost, ``schema.TITLE_BOOST``): a change needs a rebuild."""
    rerank_depth: int = 100
    """Collapsed passages re-ranked by their article's score for an OR query (``limit`` of them if
    more are asked): the natural-language questions of the ranking benchmark."""
    rerank_pages_and: int = 3
    """For an AND query (every word must match: a narrower set), a pool of this many pages of hits.
    A pool of 100 made short AND queries ~20% slower at BBC 1x (p50 2.75 -> 3.27 ms)."""
    article_weight: float = 1.0
    """A hit's score is its passage's BM25F plus this times its article's BM25 over ``body``."""
    feedback_min_words: int = 4
    """Pseudo-relevance feedback runs for OR queries of plain words with at least this many
    distinct words (a question, not a 1–3 word keyword search, which it would only slow down)."""
    feedback_articles: int = 10
    """Top articles of the first ranking that the feedback words are drawn from."""
    feedback_words: int = 10
    """Words added to the query."""
    feedback_weight: float = 0.3
    """Share of the expanded query's weight given to the added words (RM3's 1 - λ_original)."""
    feedback_max_df: float = 0.1
    """Words found in more than this share of the articles are never added (Anserini's RM3
    threshold: it keeps out the collection's own stop words without a list)."""


@dataclass(frozen=True)
class SearchLimits:
    """Bounds that keep one query from running away, and how much is counted or listed."""

    max_limit: int = 10_000
    """Largest page of hits returned; bigger requests are clamped."""
    max_query_chars: int = 2_000
    """Longer query strings are refused (a pasted document is not a query)."""
    max_fuzzy_distance: int = 2
    """Largest edit distance of ``word~N``: Whoosh builds a Levenshtein automaton whose size
    explodes with N (``border~8`` on a long word runs for minutes)."""
    per_article: int = 2
    """Passages shown per article unless collapsing is turned off."""
    facet_top: int = 20
    """Entities listed per facet."""
    facet_scan_below: int = 2_000
    """Up to this many matches, facets read each match's values; above, each entity's postings."""
    count_cap: int = 1_000
    """Matches counted one by one before ``total`` settles for "at least this many" (the count is
    a second pass over the matches in Whoosh; ``exact_total=True`` or facets count them all)."""


@dataclass(frozen=True)
class IngestSettings:
    """How an ingest runs: commits, segments, batches sent to the worker processes."""

    commit_every: int = 2000
    """Articles per commit: what a killed ingest can lose (about half a minute of work), and what
    sets the number of index segments before the final merge."""
    max_segments: int = 3
    """An ingest that leaves more segments merges the small ones: every query pays for each
    segment, ~0.4 ms at 170k passages."""
    batch_size: int = 16
    """Articles per task sent to a worker: big enough for nlp.pipe batching, small enough to balance."""
    window_per_worker: int = 4
    """Batches in flight per worker (submitted, not yet written). Two would keep a worker busy
    while the writer adds another batch's articles, but not through a commit (a second or more
    of writing every ``commit_every`` articles): with two, the workers of a BBC ingest sat idle
    for ~3.5 s of its ~28 s, with four for under 0.6 s. Results wait in memory (~10 KB an article)."""
