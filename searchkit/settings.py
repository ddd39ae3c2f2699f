"""Tuning values as frozen objects, passed in and never monkeypatched.

Each field keeps today's value and the reason for it. Change one for an experiment with
``dataclasses.replace``::

    from dataclasses import replace
    from searchkit.settings import RankingParams
    with searchkit.open_index("index", ranking=replace(RankingParams(), article_weight=0.0)) as idx:
        ...

Where a value came from a benchmark, ``bench/README.md`` says which run chose it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingParams:
    """How hits are scored: BM25F over passages plus the article's BM25, query-time stop words.

    There is no pseudo-relevance feedback: RM3 (10 articles, 10 words, weight 0.3) was chosen on
    Cranfield/CISI/MED and lowered nDCG@10 on CACM and on unseen collections; by
    leave-one-collection-out, even its safer variants (fewer words, lower weight, only for
    queries of 10+ words) lose on two held-out folds (CISI, CACM), so it was removed."""

    bm25_b: float = 0.4
    """BM25 length normalisation. Chosen with every other value below by leave-one-collection-out
    over six IR collections (bench/README.md, "Ranking results"): each of the six held-out folds
    chose 0.4 (of 0.3-0.75) on the other five; the textbook 0.75 over-penalises long passages
    once every word, stop words included, counts in their length."""
    bm25_k1: float = 1.2
    """BM25 term-frequency saturation: chosen on every held-out fold (of 0.9, 1.2, 1.5)."""
    query_k3: float = 5.0
    """Saturation of repeated query words: a word said twice weighs 2*6/7, not 1 (nor 2)."""
    title_boost: float = 3.0
    """Weight of a title match against a match in the passage text: it multiplies the title's
    term frequency inside BM25 (as a field boost does), applied when a query is scored, so an
    index built with another boost needs no rebuild. Chosen on every held-out fold (of 1-3)."""
    rerank_depth: int = 100
    """Collapsed passages re-ranked by their article's score for an OR query (``limit`` of them if
    more are asked): the natural-language questions of the ranking benchmark."""
    rerank_pages_and: int = 3
    """For an AND query (every word must match: a narrower set), a pool of this many pages of hits.
    A pool of 100 made short AND queries ~20% slower at BBC 1x (p50 2.75 -> 3.27 ms)."""
    article_weight: float = 4.0
    """A hit's score is its passage's BM25F plus this times its article's BM25 over ``body``: the
    article's evidence dominates, the passage picks which of its passages to show and breaks
    ties. Chosen on every held-out fold (of 0, 0.5-4, or the article alone); 6 and 8 score lower."""
    skip_stop_words: bool = True
    """An OR query leaves out the words of ``ranking.STOP_WORDS`` (Snowball's English list) unless
    it has nothing else: the index keeps every word, so "the" would match every passage and
    weigh on the ranking of a question. Phrases and AND queries keep every word. Chosen on every
    held-out fold over no query-time list, Lucene's 33 words, and Snowball's kept at 0.3."""


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
    """Articles per commit: what a killed ingest can lose (about half a minute of work; up to
    1.5x when the input left is under half a commit and joins the last one, so that no small
    last segment is left), and what sets the number of index segments before the final merge."""
    pool_mb: int = 512
    """Postings an ingest's writer keeps in memory until its commit, counted in Whoosh's
    estimate of a posting's size (``whoosh_ext.POSTING_BYTES``; about 0.14 MB an average BBC
    article, so a commit of up to 1.5x ``commit_every`` such articles fits). Past it the pool
    sorts them into temporary runs on disk (pickled) and merges the runs back at the commit,
    in the writer after the workers are done: at the former 128, a BBC 1x commit spilled three
    runs and its writer spent ~25% more CPU. Memory: the writer alone on BBC 1x peaked at
    564 MiB against 320 MiB at 128."""
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
    dup_threshold: float = 0.6
    """Two articles are copies of one story when max(Jaccard similarity of the 4-word shingles of
    headline and text, containment of the shorter in the longer) reaches it (``--dup-threshold``;
    0 turns copy detection off). 0.6 by leave-one-source-out over BBC, Reuters-21578 and
    synthetic copies (``bench/quality/duplicates.py``): pair precision 0.9995, recall 0.981,
    1 of 710 different stories merged; ``searchkit.duplicates.DEFAULT_THRESHOLD`` is the same value."""
