"""Search: query parsing, entity/site/date filters, ranking, highlights, facets.

This module is the query path: it imports Whoosh and searchkit's own light modules only —
never spaCy, bs4 or lxml — so that ``searchkit search`` starts fast.

Ranking is BM25F over passage text and title (title boosted), then the top passages are
re-ranked with their whole article's BM25 score, so that a passage of an article about the
query outranks an equally good passage that only mentions it in passing; long OR queries
(natural-language questions) get one round of pseudo-relevance feedback. Entity filters
match the passage's own entities by default (``in_article=True`` widens them to the
article's set); a filter value is expanded through the index-wide entity table, so any
alias, any case and a bare surname all work.
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as Q
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.matching.wrappers import RequireMatcher
from whoosh.qparser import AndGroup, FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F, BM25FScorer

from .entity_table import EntityTable
from .docsets import matching_docs, term_docs
from .errors import NotFound, QuerySyntax, SearchkitError, describe
from .records import FACETS, Article, Entity, Highlight, Hit, SearchResult
from .schema import (ARTICLE_FIELD, ENTITY_TABLE, SCHEMA_VERSION, SEARCH_FIELDS, article_facet, check_index_dir,
                     keyword_values)

MAX_LIMIT = 10_000
"""Largest page of hits returned; bigger requests are clamped."""
MAX_QUERY_CHARS = 2_000
MAX_FUZZY_DISTANCE = 2
"""Largest edit distance of ``word~N``: Whoosh builds a Levenshtein automaton whose size
explodes with N (``border~8`` on a long word runs for minutes)."""
PER_ARTICLE = 2
"""Passages shown per article unless collapsing is turned off."""
FACET_TOP = 20
"""Entities listed per facet."""
FACET_SCAN_BELOW = 2_000
"""Up to this many matches, facets read each match's values; above, each entity's postings."""
COUNT_CAP = 1_000
"""Matches counted one by one before ``total`` settles for "at least this many" (the count is
a second pass over the matches in Whoosh; ``exact_total=True`` or facets count them all)."""
BM25_B = 0.75
BM25_K1 = 1.5
QUERY_K3 = 5.0
"""Saturation of repeated query words: a word said twice weighs 2*6/7, not 1 (nor 2)."""

# Re-ranking and feedback (bench/README.md, "Ranking results": chosen on Cranfield, checked
# on CISI and MED).
RERANK_DEPTH = 100
"""Collapsed passages re-ranked by their article's score for an OR query (``limit`` of them if
more are asked): the natural-language questions of the ranking benchmark."""
RERANK_DEPTH_AND = 3
"""For an AND query (every word must match: a narrower set), a pool of this many pages of hits.
A pool of 100 made short AND queries ~20% slower at BBC 1x (p50 2.75 -> 3.27 ms)."""
ARTICLE_WEIGHT = 1.0
"""A hit's score is its passage's BM25F plus this times its article's BM25 over ``body``."""
FEEDBACK_MIN_WORDS = 4
"""Pseudo-relevance feedback runs for OR queries of plain words with at least this many
distinct words (a question, not a 1–3 word keyword search, which it would only slow down)."""
FEEDBACK_ARTICLES = 10
"""Top articles of the first ranking that the feedback words are drawn from."""
FEEDBACK_WORDS = 10
"""Words added to the query."""
FEEDBACK_WEIGHT = 0.3
"""Share of the expanded query's weight given to the added words (RM3's 1 - λ_original)."""
FEEDBACK_MAX_DF = 0.1
"""Words found in more than this share of the articles are never added (Anserini's RM3
threshold: it keeps out the collection's own stop words without a list)."""


class RobertsonBM25F(BM25F):
    """BM25F with Robertson–Spärck Jones idf, ``log(1 + (N - n + .5) / (n + .5))``.

    Whoosh's own idf differs in how it treats common terms; this one was chosen on
    Cranfield and checked on CISI and MED (bench/README.md, "Ranking results").
    The whole-article field ``body`` lives on article documents only, so its N and average
    length are taken over those (Whoosh would count every passage as an empty article).
    """

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        big_n = _population(parent, fieldname)
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
        self.avgfl = parent.field_length(fieldname) / _population(parent, fieldname) or 1
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)


def _population(searcher: Any, fieldname: str) -> int:
    """How many documents can hold ``fieldname``: the articles for ``body``, else all.
    (Kept on the searcher: a term lookup for every word scored was 30% of re-ranking.)"""
    if fieldname == ARTICLE_FIELD:
        articles = getattr(searcher, "_searchkit_articles", None)
        if articles is None:
            articles = max(1, searcher.doc_frequency("kind", "article"))
            searcher._searchkit_articles = articles
        return articles
    return searcher.doc_count_all()

FilterValue = str | Sequence[str] | None


@dataclass(frozen=True)
class IndexStats:
    path: str
    articles: int
    passages: int
    size_bytes: int
    segments: int
    generation: int
    schema_version: int
    sites: tuple[tuple[str, int], ...]
    first_date: str | None
    last_date: str | None
    entities: dict[str, int] = field(default_factory=dict)  # facet -> distinct canonical entities

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "articles": self.articles, "passages": self.passages,
            "size_bytes": self.size_bytes, "segments": self.segments, "generation": self.generation,
            "schema_version": self.schema_version,
            "sites": [{"site": s, "articles": n} for s, n in self.sites],
            "first_date": self.first_date, "last_date": self.last_date, "entities": self.entities,
        }


def open_index(path: str | os.PathLike[str] | None = None) -> SearchIndex:
    """Open an index for searching (read-only; works on a read-only folder too).

    Example::

        with searchkit.open_index("index") as idx:
            for hit in idx.search("border closure", person="lukashenko").hits:
                print(hit.rank, hit.title, hit.text[:80])
    """
    return SearchIndex(path if path is not None else os.environ.get("SEARCHKIT_INDEX", "index"))


class SearchIndex:
    """A searchkit index opened for reading. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_index_dir(path)
        for attempt in range(5):
            try:
                self._ix = windex.open_dir(str(self.path), readonly=True)
                self._searcher = self._ix.searcher(weighting=RobertsonBM25F(B=BM25_B, K1=BM25_K1))
                # The searcher's own schema: FileIndex.schema re-reads the newest table of
                # contents on every access, which a concurrent commit may just have deleted.
                self._schema = self._searcher.schema
                self._columns = {}
                self._starts: list[int] | None = None
                self._open_segment_files()
                break
            except FileNotFoundError as e:
                # A concurrent ingest committed between our reading the table of contents and
                # opening its segments (and removed the old ones): read the new one.
                if attempt == 4:
                    raise SearchkitError(f"cannot open the index at {self.path}: {describe(e)}",
                                         hint="an ingest is committing; try again") from e
                time.sleep(0.05 * (attempt + 1))
            except Exception as e:  # noqa: BLE001 - whoosh raises many types (EOFError too) for a damaged index
                raise SearchkitError(f"cannot open the index at {self.path}: {describe(e)}",
                                     hint="rebuild it: searchkit ingest --rebuild PATH") from e
        self._table: EntityTable | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        self._searcher.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh(self) -> None:
        """See the latest commit of a concurrent ingest."""
        for attempt in range(5):
            try:
                new = self._searcher.refresh()
                if new is not self._searcher:
                    self._searcher = new
                    self._table = None
                    self._columns = {}
                    self._starts = None
                    self._open_segment_files()
                return
            except FileNotFoundError as e:  # another commit landed meanwhile: read the newest
                if attempt == 4:
                    raise SearchkitError(f"cannot reopen the index at {self.path}: {describe(e)}",
                                         hint="an ingest is committing; try again") from e
                time.sleep(0.05 * (attempt + 1))

    def _open_segment_files(self) -> None:
        """Open now every segment file a search may read later. Segments are kept as separate
        files (see ``indexer.new_writer``), which Whoosh opens lazily; a concurrent ingest may
        merge a segment away and delete its files, and a file already open stays readable."""
        for reader in self._segments()[0]:
            if not reader.doc_count_all():
                continue
            try:
                reader.stored_fields(0)
                for fieldname in (*SEARCH_FIELDS, ARTICLE_FIELD):
                    reader.doc_field_length(0, fieldname)
            except TypeError as e:  # Whoosh found no file for a column it expected
                raise FileNotFoundError(f"a segment file is gone: {describe(e)}") from e
            if not reader.has_column("article_id"):
                raise FileNotFoundError("a segment's article_id column is gone")
            for fieldname in ("article_id", *FACETS):
                self._column(reader, fieldname)

    def _column(self, segment_reader: Any, fieldname: str) -> Any:
        """A segment's column reader, kept for the life of the searcher: Whoosh reads a
        column's offsets table afresh for every new reader, which was 1/6 of a warm query."""
        key = (id(segment_reader), fieldname)
        hit = self._columns.get(key)
        if hit is None or hit[0] is not segment_reader:
            column = (segment_reader.column_reader(fieldname, translate=False)
                      if segment_reader.has_column(fieldname) else _NO_VALUES)
            hit = (segment_reader, column)
            self._columns[key] = hit
        return hit[1]

    # -- entity table -----------------------------------------------------------------------
    @property
    def entity_table(self) -> EntityTable:
        if self._table is None:
            self._table = self._load_table()
        return self._table

    def _load_table(self) -> EntityTable:
        path = self.path / ENTITY_TABLE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("generation") == self._ix.latest_generation():
                return EntityTable.from_json(payload["table"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        # Missing or stale (an ingest was killed after its commit): rebuild in memory.
        from .indexer import facet_value_counts

        return EntityTable.build(facet_value_counts(self._searcher.reader()))

    # -- query building ---------------------------------------------------------------------
    def parse_query(self, text: str, operator: str = "and") -> Q.Query:
        """Parse Whoosh query syntax (AND/OR/NOT, "phrases", field:value, wildcards, fuzzy~)."""
        text = text.strip()
        if len(text) > MAX_QUERY_CHARS:
            raise QuerySyntax(f"query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}")
        if not text or text == "*":
            return Q.Every()
        _check_syntax(text, self._schema)
        if operator not in ("and", "or"):
            raise QuerySyntax(f"operator must be 'and' or 'or', not {operator!r}")
        # A plain OrGroup: BM25 already ranks passages with more of the words higher, and
        # OrGroup.factory's coordination made long OR queries 3.7x slower for no gain.
        group = AndGroup if operator == "and" else OrGroup
        parser = MultifieldParser(list(SEARCH_FIELDS), self._schema, group=group)
        parser.add_plugin(FuzzyTermPlugin())
        try:
            q = parser.parse(text)
        except Exception as e:  # noqa: BLE001 - the parser raises assorted errors on odd input
            raise QuerySyntax(f"cannot parse the query: {describe(e)}") from e
        for leaf in q.leaves():
            if isinstance(leaf, Q.FuzzyTerm) and leaf.maxdist > MAX_FUZZY_DISTANCE:
                raise QuerySyntax(f"fuzzy distance ~{leaf.maxdist} is too large; the limit is ~{MAX_FUZZY_DISTANCE}",
                                  hint=f"{leaf.text}~1 or {leaf.text}~2")
        if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
            raise QuerySyntax("the query has no searchable words (only stop words or punctuation?)")
        return _weight_repeated_words(q, text, self._schema)

    def _filters(self, *, person: FilterValue, org: FilterValue, place: FilterValue, group: FilterValue,
                 site: FilterValue, since: str | None, until: str | None, in_article: bool
                 ) -> tuple[list[Q.Query], set[int] | None]:
        """Filter queries, and with ``in_article`` the set of passages whose articles name
        every filtered entity (None when there is no such filter)."""
        out: list[Q.Query] = []
        allowed: set[int] | None = None
        for facet, values in zip(FACETS, (person, org, place, group)):
            for value in _as_list(values):
                stored = self.entity_table.expand(facet, value)
                if not stored:
                    out.append(Q.NullQuery)
                elif in_article:
                    passages = self.article_passages(Q.Or([Q.Term(article_facet(facet), v) for v in sorted(stored)]))
                    allowed = passages if allowed is None else allowed & passages
                else:
                    out.append(Q.Or([Q.Term(facet, v) for v in sorted(stored)]))
        sites = _as_list(site)
        if sites:
            out.append(Q.Or([Q.Term("site", s.strip().lower()) for s in sites]))
        if since or until:
            start = parse_date_bound(since, end=False) if since else None
            end = parse_date_bound(until, end=True) if until else None
            if start and end and start > end:
                raise QuerySyntax(f"--since {since} is after --until {until}")
            out.append(Q.DateRange("date", start, end))
        return out, allowed

    def article_passages(self, article_query: Q.Query) -> set[int]:
        """The passages of the articles whose ``article`` documents match ``article_query``:
        those that follow each one in document order, up to the next article."""
        starts = self._article_starts()
        end_all = self._searcher.doc_count_all()
        out: set[int] = set()
        for a in matching_docs(self._searcher, article_query):
            i = bisect.bisect_right(starts, a)
            out.update(range(a + 1, starts[i] if i < len(starts) else end_all))
        return out

    def _article_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = sorted(term_docs(self._searcher, "kind", "article"))
        return self._starts

    # -- searching --------------------------------------------------------------------------
    def search(
        self,
        query: str = "",
        *,
        limit: int = 10,
        operator: str = "and",
        person: FilterValue = None,
        org: FilterValue = None,
        place: FilterValue = None,
        group: FilterValue = None,
        site: FilterValue = None,
        since: str | None = None,
        until: str | None = None,
        in_article: bool = False,
        collapse: bool = True,
        highlight: bool = True,
        facets: bool = False,
        exact_total: bool = False,
    ) -> SearchResult:
        """Ranked passages for ``query`` (Whoosh syntax), filtered and highlighted.

        Filters take one value or a list (all must match). ``collapse`` keeps at most
        ``PER_ARTICLE`` passages per article; ``facets`` adds entity counts over all matches.
        ``total`` counts matching passages (before collapsing); past ``COUNT_CAP`` it is a
        lower bound (``total_exact`` is False) unless ``exact_total`` or ``facets`` is set.
        """
        t0 = time.perf_counter()
        limit = max(1, min(int(limit), MAX_LIMIT))
        q = self.parse_query(query, operator)
        filters, allowed = self._filters(person=person, org=org, place=place, group=group, site=site,
                                         since=since, until=until, in_article=in_article)
        if any(f is Q.NullQuery for f in filters) or allowed == set():
            return SearchResult(query, 0, (), {f: () for f in FACETS} if facets else None, None,
                                (time.perf_counter() - t0) * 1000)
        # Require: the filters narrow the matches (and drive the intersection, skipping ahead
        # in the query's postings) but add nothing to the scores.
        matching = _Require(q, filters[0] if len(filters) == 1 else Q.And(filters)) if filters else q
        mask = Q.Term("kind", "article") if _may_match_articles(q) else None
        words = _scored_words(q)  # none (nothing to re-rank by) for *, filters, wildcards only
        depth = limit
        if words:  # the pool that the article score re-ranks (see _rerank)
            depth = max(limit, RERANK_DEPTH if operator == "or" else RERANK_DEPTH_AND * limit)
        try:
            searcher = self._searcher
            docs = self._matching_docs(matching, mask, allowed) if facets else None
            # A query expected to match few passages is scored in full, which counts them for
            # free; a broad one skips what cannot reach the top, and is counted separately,
            # up to COUNT_CAP (cheap: its matches are dense).
            count_in_search = docs is None and (exact_total or self._expected(matching, allowed) <= COUNT_CAP)
            ranked, seen = self._ranked(matching, mask, allowed, depth, collapse, count_all=count_in_search)
            if words and ranked:
                ranked = self._rerank(ranked, q, words, operator)
            ranked = ranked[:limit]
            if docs is not None:
                total, exact = len(docs), True
            elif count_in_search:
                total, exact = seen, True
            else:
                total, exact = self._count(matching, mask, allowed, None if exact_total else COUNT_CAP)
            term_set = _highlight_terms(q, searcher.reader()) if highlight else set()
            hits = tuple(self._hit(rank, score, docnum, term_set) for rank, (docnum, score) in enumerate(ranked, 1))
            facet_counts = self._facet_counts(docs) if docs is not None else None
        except SearchkitError:
            raise
        except Exception as e:  # noqa: BLE001 - keep whoosh internals away from the user
            raise QuerySyntax(f"cannot run the query: {describe(e)}") from e
        suggestion = None
        if not hits and query.strip() and not isinstance(q, Q.Every):
            suggestion = self._suggest(q, query)
        return SearchResult(query, total, hits, facet_counts, suggestion, (time.perf_counter() - t0) * 1000,
                            total_exact=exact)

    def _ranked(self, q: Q.Query, mask: Q.Query | None, allowed: set[int] | None, limit: int, collapse: bool,
                *, count_all: bool) -> tuple[list[tuple[int, float]], int]:
        """The top ``limit`` (docnum, score) pairs, at most PER_ARTICLE per article when
        ``collapse``; and, with ``count_all``, how many passages matched.

        Collapsing takes the top 2 x limit passages and keeps the first PER_ARTICLE of each
        article, asking for 4x more in the rare case that leaves fewer than ``limit``. (Whoosh's
        own collapsing works per matching passage and cost 2x the query on a common word.)
        ``count_all`` turns off block skipping and matcher replacement, so the collector sees,
        and counts, every match."""
        want = limit * 2 if collapse else limit
        while True:
            top = TopCollector(want, usequality=False, replace=0) if count_all else TopCollector(want)
            outer = FilterCollector(top, allowed, mask) if mask is not None or allowed is not None else top
            self._searcher.search_with_collector(q, outer)
            results = outer.results()
            ranked = [(results.docnum(i), float(results.score(i) or 0.0)) for i in range(results.scored_length())]
            seen = top.count() if count_all else len(ranked)
            if not collapse:
                return ranked, seen
            kept = self._collapse(ranked, limit)
            if len(kept) >= limit or len(ranked) < want:
                return kept, seen
            want *= 4

    def _collapse(self, ranked: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
        article_of = self._article_id_column()
        per_article: Counter[str] = Counter()
        kept = []
        for docnum, score in ranked:
            key = article_of[docnum]
            if key and per_article[key] >= PER_ARTICLE:
                continue
            per_article[key] += 1
            kept.append((docnum, score))
            if len(kept) == limit:
                break
        return kept

    def _expected(self, q: Q.Query, allowed: set[int] | None) -> float:
        """``_expected_matches`` of ``q``, times the share of the index that ``allowed`` keeps."""
        expected = _expected_matches(q, self._searcher.reader())
        if allowed is not None:
            expected *= len(allowed) / max(1, self._searcher.doc_count_all())
        return expected

    def _matching_docs(self, q: Q.Query, mask: Q.Query | None, allowed: set[int] | None) -> set[int]:
        docs = matching_docs(self._searcher, q)
        if mask is not None:
            docs -= matching_docs(self._searcher, mask)
        if allowed is not None:
            docs &= allowed
        return docs

    def _count(self, q: Q.Query, mask: Q.Query | None, allowed: set[int] | None, cap: int | None
               ) -> tuple[int, bool]:
        """Matching passages, counted up to ``cap``: (count, exact)."""
        masked = matching_docs(self._searcher, mask) if mask is not None else ()
        n = 0
        for d in self._searcher.docs_for_query(q):
            if d in masked or (allowed is not None and d not in allowed):
                continue
            n += 1
            if cap is not None and n > cap:
                return cap, False
        return n, True

    # -- re-ranking ---------------------------------------------------------------------------
    def _rerank(self, ranked: list[tuple[int, float]], q: Q.Query, words: dict[str, float],
                operator: str) -> list[tuple[int, float]]:
        """Passage hits ``(docnum, score)`` re-ranked with their article's score, best first.

        Each hit's score becomes its passage's BM25F plus ``ARTICLE_WEIGHT`` x its article's
        BM25 over ``body``. A long OR query of plain words then gets one round of
        pseudo-relevance feedback (RM3): the most telling words of the top articles are
        added to the query, and the same hits are scored again with them — passages and
        articles alike — so the feedback costs no second search (and changes no total).
        """
        article_of = self._article_id_column()
        hits = [(score, docnum, article_of[docnum]) for docnum, score in ranked]
        article_doc = self._article_docnums(hits, article_of)
        hits = self._add_scores(hits, article_doc, words, passages=False)
        if operator == "or" and len(words) >= FEEDBACK_MIN_WORDS and _plain_words_only(q):
            top: dict[str, float] = {}  # article id -> its best hit's score, best first
            for score, _, a in hits:
                if a in article_doc and a not in top and len(top) < FEEDBACK_ARTICLES:
                    top[a] = score
            added = self._feedback_words(words, top)
            if added:
                hits = self._add_scores(hits, article_doc, added, passages=True)
        return [(docnum, score) for score, docnum, _ in hits]

    def _add_scores(self, hits: list[tuple[float, int, str]], article_doc: dict[str, int],
                    words: dict[str, float], *, passages: bool) -> list[tuple[float, int, str]]:
        """Add ``words``' scores to ``hits`` (score, docnum, article id) and sort them again:
        ``ARTICLE_WEIGHT`` x their article's ``body`` score, and when ``passages`` their
        passage's own BM25F (text and title) too. Ties keep their order."""
        body = self._scores_at(sorted(article_doc.values()), (ARTICLE_FIELD,), words)
        own = self._scores_at(sorted(d for _, d, _ in hits), SEARCH_FIELDS, words) if passages else {}
        rescored = [(score + own.get(docnum, 0.0) + ARTICLE_WEIGHT * body.get(article_doc.get(a, -1), 0.0),
                     docnum, a) for score, docnum, a in hits]
        rescored.sort(key=lambda h: -h[0])
        return rescored

    def _scores_at(self, docnums: list[int], fieldnames: Sequence[str], words: dict[str, float]
                   ) -> dict[int, float]:
        """Sum over ``words`` and ``fieldnames`` of weight x BM25 for these documents only
        (``docnums`` sorted). Each word's postings skip straight to them, so this costs a
        few blocks per word, where a filtered search would score every matching document."""
        scores: dict[int, float] = {}
        for fieldname in fieldnames:
            for word, weight in words.items():
                try:
                    m = self._searcher.postings(fieldname, word)
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

    def _article_docnums(self, hits: list[tuple[float, int, str]], article_of: Any) -> dict[str, int]:
        """article id -> the docnum of its ``kind=article`` document (the one with a body)."""
        reader = self._searcher.reader()
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

    def _article_id_column(self) -> Any:
        """docnum -> article id, through the segments' column readers opened with the searcher."""
        readers, starts = self._segments()
        columns = [self._column(reader, "article_id") for reader in readers]

        class ArticleIds:
            def __getitem__(self, docnum: int) -> str:
                i = bisect.bisect_right(starts, docnum) - 1
                return _as_str(columns[i][docnum - starts[i]])

        return ArticleIds()

    def _segments(self) -> tuple[list[Any], list[int]]:
        """The searcher's segment readers and the global number of each one's first document."""
        leaves = self._searcher.leaf_searchers()
        return [s.reader() for s, _ in leaves], [offset for _, offset in leaves]

    def _feedback_words(self, words: dict[str, float], top_articles: dict[str, float]) -> dict[str, float]:
        """RM3's relevance model: words weighted by their share of each top article's text
        (``tf / length``) times that article's score; the best ``FEEDBACK_WORDS`` of them that
        are not in more than ``FEEDBACK_MAX_DF`` of the articles, weighted so that they hold
        ``FEEDBACK_WEIGHT`` of the expanded query (the user's words keep their own weights)."""
        total = sum(top_articles.values())
        if total <= 0:
            return {}
        analyzer = self._schema["text"].analyzer
        model: Counter[str] = Counter()
        for article_id, score in top_articles.items():
            # The article's words (title and passages) from its stored passages: re-analysing
            # ~10 articles costs a few ms; a term vector on body would cost index size instead.
            passages = [f for f in self._searcher.documents(article_id=article_id) if "passage_id" in f]
            texts = [passages[0].get("title") or ""] if passages else []
            texts += [p.get("text", "") for p in passages]
            counts = Counter(t.text for text in texts for t in analyzer(text))
            length = sum(counts.values()) or 1
            for term, tf in counts.items():
                model[term] += tf / length * score / total
        max_df = FEEDBACK_MAX_DF * _population(self._searcher, ARTICLE_FIELD)
        chosen: dict[str, float] = {}
        for term, p in model.most_common():
            if len(chosen) == FEEDBACK_WORDS:
                break
            if self._searcher.doc_frequency(ARTICLE_FIELD, term) <= max_df:
                chosen[term] = p
        mass = sum(chosen.values())
        if not mass:
            return {}
        # RM3 interpolates (1 - w) x query + w x model, both normalised; scaled here so that
        # the user's words keep their weights and scores stay comparable to unexpanded ones.
        scale = FEEDBACK_WEIGHT / (1 - FEEDBACK_WEIGHT) * sum(words.values()) / mass
        return {term: p * scale for term, p in chosen.items()}

    def _hit(self, rank: int, score: float, docnum: int, terms: set[str]) -> Hit:
        f = self._searcher.stored_fields(docnum)
        text = f.get("text", "")
        date = f.get("date")
        return Hit(
            rank=rank, score=float(score), passage_id=f["passage_id"], article_id=f["article_id"],
            ordinal=int(f.get("ordinal", 0)), text=text,
            highlights=tuple(highlight_spans(self._schema, text, terms)) if terms else (),
            title=f.get("title"), site=f.get("site"), date=date.isoformat() if isinstance(date, datetime) else None,
            url=f.get("url"), path=f.get("path", ""), entities=self._stored_entities(f),
        )

    def _stored_entities(self, f: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        return self._canonical_names({facet: keyword_values(f[facet]) for facet in FACETS if f.get(facet)})

    def _canonical_names(self, entities: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """Stored entity names per facet → the index-wide canonical names, once each."""
        table = self.entity_table
        out: dict[str, tuple[str, ...]] = {}
        for facet, values in entities.items():
            if values:
                out[facet] = tuple(dict.fromkeys(table.canonical(facet, v) for v in values))
        return out

    def _facet_counts(self, docs: set[int]) -> dict[str, tuple[tuple[str, int], ...]]:
        """The top entities of each facet by matching passages, counted exactly.

        A few matches: read each one's facet values. Many: walk the entities from the most
        frequent in the whole index down, counting each one's passages among the matches, and
        stop once no entity left could enter the top (its index-wide count is an upper bound).
        A broad query thus reads the postings of a few dozen entities instead of a column
        value for each of tens of thousands of passages."""
        out: dict[str, tuple[tuple[str, int], ...]] = {}
        for facet in FACETS:
            if len(docs) <= FACET_SCAN_BELOW:
                counts = self._facet_counts_by_passage(facet, docs)
                out[facet] = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_TOP])
            else:
                out[facet] = self._facet_top_by_entity(facet, docs)
        return out

    def _facet_counts_by_passage(self, facet: str, docs: set[int]) -> Counter[str]:
        counts: Counter[str] = Counter()
        table = self.entity_table
        for segment, ids in self._by_segment(docs):
            if not segment.has_column(facet):
                continue
            column = self._column(segment, facet)
            for d in ids:
                value = column[d]
                if value:  # passages with no entity of this facet have none: skip
                    counts.update({table.canonical(facet, v) for v in keyword_values(value.decode("utf-8"))})
        return counts

    def _by_segment(self, docs: set[int]) -> list[tuple[Any, list[int]]]:
        """Global document numbers grouped by segment: (segment reader, local numbers)."""
        readers, starts = self._segments()
        grouped: dict[int, list[int]] = {}
        for d in docs:
            i = bisect.bisect_right(starts, d) - 1
            grouped.setdefault(i, []).append(d - starts[i])
        return [(readers[i], sorted(ids)) for i, ids in sorted(grouped.items())]

    def _facet_top_by_entity(self, facet: str, docs: set[int]) -> tuple[tuple[str, int], ...]:
        reader = self._searcher.reader()
        if facet not in reader.schema:
            return ()
        best: list[tuple[int, str]] = []  # a min-heap of (count, name): the top so far
        for name, values, bound in self.entity_table.groups(facet):
            if len(best) >= FACET_TOP and bound < best[0][0]:
                break  # every entity left is in fewer passages than the top's last one
            if len(values) == 1:
                n = len(docs.intersection(term_docs(self._searcher, facet, values[0])))
            else:  # one passage may name an entity two ways: count it once
                ids: set[int] = set()
                for v in values:
                    ids.update(term_docs(self._searcher, facet, v))
                n = len(ids.intersection(docs))
            if not n:
                continue
            item = (n, _Desc(name))
            if len(best) < FACET_TOP:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
        return tuple((str(name), n) for n, name in sorted(best, reverse=True))

    def _suggest(self, q: Q.Query, text: str) -> str | None:
        try:
            corrected = self._searcher.correct_query(q, text, prefix=1, maxdist=2)
        except Exception:  # noqa: BLE001 - a suggestion is a nicety, never an error
            return None
        if corrected.query != q and corrected.string.strip() and corrected.string != text:
            return corrected.string
        return None

    # -- other views ------------------------------------------------------------------------
    def similar(self, passage_id: str, *, limit: int = 10) -> SearchResult:
        """Passages like the given one (more-like-this over its most distinctive terms)."""
        t0 = time.perf_counter()
        docnum = self._searcher.document_number(passage_id=passage_id)
        if docnum is None:
            raise NotFound(f"no passage {passage_id!r} in the index",
                           hint="passage ids look like 0f1c63c6d0de:4 (article id, colon, ordinal)")
        limit = max(1, min(int(limit), MAX_LIMIT))
        article_id = self._searcher.stored_fields(docnum)["article_id"]
        # Other articles' passages only: the rest of the same article is one `show` away.
        same = self._searcher.search(Q.Term("article_id", article_id), limit=None, scored=False).docs()
        results = self._searcher.more_like(docnum, "text", top=limit + len(same), numterms=12)
        docnums = [(results.docnum(i), results.score(i) or 0.0) for i in range(results.scored_length())]
        docnums = [(d, sc) for d, sc in docnums if d not in same][:limit]
        hits = tuple(self._hit(i + 1, sc, d, set()) for i, (d, sc) in enumerate(docnums))
        return SearchResult(f"similar:{passage_id}", len(hits), hits, None, None,
                            (time.perf_counter() - t0) * 1000)

    def article(self, article_id: str) -> Article:
        """The article with this id (a unique prefix of at least 6 characters also works)."""
        aid = self._resolve_article_id(article_id)
        from .indexer import article_from_documents

        stored = article_from_documents(aid, self._searcher.documents(article_id=aid))
        if stored is None:
            raise NotFound(f"no article {article_id!r} in the index")
        passages = tuple(replace(p, entities=self._canonical_names(p.entities)) for p in stored.passages)
        return replace(stored, entities=self._canonical_entities(stored.entities), passages=passages)

    def _canonical_entities(self, ents: tuple[Entity, ...]) -> tuple[Entity, ...]:
        """Article-local names → the index-wide canonical names that search shows."""
        merged: dict[tuple[str, str], Entity] = {}
        for e in ents:
            name = self.entity_table.canonical(e.type, e.name)
            prev = merged.get((name, e.type))
            aliases = tuple(dict.fromkeys((*(prev.aliases if prev else ()), *e.aliases, e.name)))
            merged[(name, e.type)] = Entity(name, e.type, e.count + (prev.count if prev else 0),
                                            tuple(a for a in aliases if a != name))
        return tuple(sorted(merged.values(), key=lambda e: -e.count))

    def _resolve_article_id(self, article_id: str) -> str:
        article_id = article_id.strip().split(":")[0]
        if not re.fullmatch(r"[0-9a-f]{6,12}", article_id):
            raise NotFound(f"{article_id!r} is not an article id", hint="ids are 12 hex digits; see search output")
        if self._searcher.document_number(article_id=article_id) is not None:
            return article_id
        matches = [t.decode() if isinstance(t, bytes) else t
                   for t in self._searcher.reader().expand_prefix("article_id", article_id)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFound(f"article id prefix {article_id!r} is ambiguous ({len(matches)} articles)")
        raise NotFound(f"no article {article_id!r} in the index")

    def entities(self, facet: str | None = None, top: int | None = None) -> list[Entity]:
        """Canonical entities with passage counts and aliases, most frequent first."""
        if facet is not None and facet not in FACETS:
            raise QuerySyntax(f"unknown entity type {facet!r}; use one of {', '.join(FACETS)}")
        rows = self.entity_table.entities(facet)
        return rows[:top] if top else rows

    def stats(self) -> IndexStats:
        s = self._searcher
        article_docs = s.search(Q.Term("kind", "article"), limit=None, scored=False)
        articles = len(article_docs)
        sites: Counter[str] = Counter()
        dates: list[datetime] = []
        for docnum in article_docs.docs():
            f = s.stored_fields(docnum)
            if f.get("site"):
                sites[f["site"]] += 1
            if isinstance(f.get("date"), datetime):
                dates.append(f["date"])
        size = _folder_size(self.path)
        table = self.entity_table
        return IndexStats(
            path=str(self.path), articles=articles, passages=s.doc_count() - articles, size_bytes=size,
            segments=len(s.reader().leaf_readers()) if hasattr(s.reader(), "leaf_readers") else 1,
            generation=self._ix.latest_generation(), schema_version=SCHEMA_VERSION,
            sites=tuple(sites.most_common(10)),
            first_date=min(dates).date().isoformat() if dates else None,
            last_date=max(dates).date().isoformat() if dates else None,
            entities={f: len(table.entities(f)) for f in FACETS},
        )


# --- helpers ------------------------------------------------------------------------------------

class _NoValues:
    """The column of a segment that has none (an empty index): no value for any document."""

    def __getitem__(self, docnum: int) -> bytes:
        return b""


_NO_VALUES = _NoValues()


class _RequireMatcher(RequireMatcher):
    """Whoosh's RequireMatcher, minus an assertion error: after skipping blocks of low
    quality, the scored side may already sit on the filter's current document."""

    def skip_to_quality(self, minquality: float) -> int:
        skipped = self.a.skip_to_quality(minquality)
        if self.a.is_active() and self.b.is_active() and self.a.id() != self.b.id():
            self.child._find_next()
        return skipped


class _Require(Q.Require):
    """``a`` filtered by ``b``; scores from ``a`` alone."""

    matcherclass = _RequireMatcher

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return _RequireMatcher(self.a.matcher(searcher, context),
                               self.b.matcher(searcher, searcher.boolean_context()))


class _Desc(str):
    """A name that sorts backwards, so that a heap of (count, name) keeps, among equal counts,
    the names that come first alphabetically."""

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:
        return str.__lt__(self, other)


def _expected_matches(q: Q.Query, reader: Any) -> float:
    """A cheap guess of a query's matches from document frequencies: a union adds them up,
    an intersection (words that must all match, a phrase, a filter) multiplies their shares of
    the index as if the words were independent. Whoosh's own estimate takes the smallest
    part of an intersection, which says thousands for two common words that meet in ten."""
    n = max(1, reader.doc_count_all())
    try:
        if isinstance(q, Q.Term):
            return float(reader.doc_frequency(q.fieldname, q.text))
        if isinstance(q, (Q.And, Q.Require, Q.Phrase)) or type(q).__name__ == "Ordered":
            parts = ([Q.Term(q.fieldname, w) for w in q.words] if isinstance(q, Q.Phrase)
                     else [q.a, q.b] if isinstance(q, Q.Require) else list(q.subqueries))
            share = 1.0
            for part in parts:
                share *= min(1.0, _expected_matches(part, reader) / n)
            return share * n
        if isinstance(q, Q.Or):
            return min(float(n), sum(_expected_matches(part, reader) for part in q.subqueries))
        if isinstance(q, Q.AndNot):
            return _expected_matches(q.a, reader)
        return float(q.estimate_size(reader))
    except Exception:  # noqa: BLE001 - a query type that cannot estimate: call it broad
        return float(n)


def _folder_size(path: Path) -> int:
    """Bytes in the index folder. A concurrent ingest's commit may delete a file between the
    listing and its stat: that file no longer counts."""
    total = 0
    for p in path.iterdir():
        try:
            if p.is_file():
                total += p.stat().st_size
        except FileNotFoundError:
            continue
    return total


_FIELD_REF = re.compile(r"(?<![\w\"])([A-Za-z_][A-Za-z0-9_]*):(?=[^\s])")


def _check_syntax(text: str, schema: Any) -> None:
    """Catch the mistakes Whoosh's lenient parser would silently turn into odd queries."""
    if text.count('"') % 2:
        raise QuerySyntax('unbalanced double quote in the query', hint='close the phrase: "border closure"')
    depth = 0
    in_quote = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch == "(":
            depth += 1
        elif not in_quote and ch == ")":
            depth -= 1
            if depth < 0:
                break
    if depth != 0:
        raise QuerySyntax("unbalanced parentheses in the query")
    for m in _FIELD_REF.finditer(re.sub(r'"[^"]*"', " ", text)):
        name = m.group(1)
        if name not in schema or name in ("kind", "record", "start", "end", ARTICLE_FIELD):
            fields_ = ", ".join(["text", "title", "site", "date", "article_id", "passage_id", *FACETS])
            raise QuerySyntax(f"unknown field {name!r} in the query (fields: {fields_})",
                              hint=f'to search the word, quote it: "{name}:"')
    stripped = text.strip()
    if re.fullmatch(r"(AND|OR|NOT|ANDNOT|ANDMAYBE|\s)+", stripped) or re.search(r"(^|\s)(AND|OR)\s*$", stripped):
        raise QuerySyntax("the query ends with an operator or has no words")


def _weight_repeated_words(q: Q.Query, text: str, schema: Any) -> Q.Query:
    """Whoosh's parser keeps one leaf per distinct word; give repeated words (common in
    long natural-language queries) back a saturating weight, as BM25's k3 term does."""
    counts = Counter(t.text for t in schema["text"].analyzer(text))
    if not counts or max(counts.values()) < 2:
        return q
    for leaf in q.leaves():
        if getattr(leaf, "fieldname", None) not in SEARCH_FIELDS:
            continue
        value = getattr(leaf, "text", None)
        value = value.decode("utf-8") if isinstance(value, bytes) else value
        qtf = counts.get(value, 0)
        if qtf > 1:
            leaf.boost *= qtf * (QUERY_K3 + 1) / (qtf + QUERY_K3)
    return q


def _scored_words(q: Q.Query) -> dict[str, float]:
    """The query's positive words (plain terms and phrase words on text/title) with their
    weights: what an article's ``body`` is scored on. Negated words and wildcard, prefix or
    fuzzy terms are left out (they would need expanding; the passage score has them)."""
    words: dict[str, float] = {}

    def walk(node: Q.Query, boost: float) -> None:
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a, boost * node.boost)
            return
        if type(node) is Q.Term or isinstance(node, Q.Phrase):
            if node.fieldname in SEARCH_FIELDS:
                for w in (node.words if isinstance(node, Q.Phrase) else [node.text]):
                    w = _as_str(w)
                    words[w] = max(words.get(w, 0.0), boost * node.boost)
            return
        if node.is_leaf():
            return
        for child in node.children():
            walk(child, boost * (node.boost if isinstance(node, Q.CompoundQuery) else 1.0))

    walk(q, 1.0)
    return words


def _plain_words_only(q: Q.Query) -> bool:
    """True for a bag of words on text/title: no phrase, wildcard, field, NOT or grouping."""
    if type(q) is Q.Term:
        return q.fieldname in SEARCH_FIELDS
    if type(q) is Q.Or:
        return all(_plain_words_only(c) for c in q.children())
    return False


def _as_str(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _may_match_articles(q: Q.Query) -> bool:
    """Article records have no text or title: only queries on other fields can match them,
    or a NOT (``border OR NOT berlin`` matches every document without "berlin")."""
    if isinstance(q, Q.Every) or any(isinstance(node, Q.Not) for node in _nodes(q)):
        return True
    return any(fname not in SEARCH_FIELDS for fname, _ in _terms_of(q))


def _nodes(q: Q.Query) -> list[Q.Query]:
    out = [q]
    for child in q.children():
        out.extend(_nodes(child))
    return out


def _terms_of(q: Q.Query) -> list[tuple[str, Any]]:
    try:
        return list(q.iter_all_terms())
    except Exception:  # noqa: BLE001
        return [("?", None)]


def _highlight_terms(q: Q.Query, reader: Any) -> set[str]:
    """The indexed (stemmed) text terms that the query matched, wildcards expanded."""
    terms: set[str] = set()
    try:
        pairs = q.existing_terms(reader, phrases=True, expand=True)
    except Exception:  # noqa: BLE001 - some query types cannot list terms; highlight less, not fail
        pairs = set(_terms_of(q))
    for fname, value in pairs:
        if fname in SEARCH_FIELDS and value is not None:
            terms.add(_as_str(value))
    return terms


def highlight_spans(schema: Any, text: str, terms: set[str]) -> list[Highlight]:
    """Character spans of ``text`` whose analysed token is one of ``terms``."""
    analyzer = schema["text"].analyzer
    fast = _token_stems(analyzer)
    if fast is not None:
        return [Highlight(start, end) for start, end, stem in fast(text) if stem in terms]
    spans: list[Highlight] = []
    for tok in analyzer(text, chars=True, removestops=True):
        if tok.text in terms:
            spans.append(Highlight(tok.startchar, tok.endchar))
    return spans


_TOKEN_STEMS: dict[int, tuple[Any, Any]] = {}


def _token_stems(analyzer: Any) -> Any:
    """For the standard stemming analyzer (regex tokens, lower case, stop words, stemmer): a
    function giving the same (start, end, stem) of each kept token in one plain loop, about
    3x faster than Whoosh's chain of token generators. None for any other analyzer."""
    hit = _TOKEN_STEMS.get(id(analyzer))
    if hit is not None and hit[0] is analyzer:
        return hit[1]
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

    items = getattr(analyzer, "items", None)
    fn = None
    if (items and len(items) == 4 and type(items[0]) is RegexTokenizer and not items[0].gaps
            and type(items[1]) is LowercaseFilter and type(items[2]) is StopFilter
            and type(items[3]) is StemFilter and not items[3].lang):
        pattern, stops, minsize, maxsize = items[0].expression, items[2].stops, items[2].min, items[2].max
        stem, ignore = items[3]._stem, items[3].ignore

        def fn(text: str) -> list[tuple[int, int, str]]:
            out = []
            for m in pattern.finditer(text):
                word = m.group().lower()
                if len(word) < minsize or (maxsize is not None and len(word) > maxsize) or word in stops:
                    continue
                out.append((m.start(), m.end(), word if word in ignore else stem(word)))
            return out
    _TOKEN_STEMS[id(analyzer)] = (analyzer, fn)
    return fn


def parse_date_bound(value: str, *, end: bool) -> datetime:
    """``2020``, ``2020-09`` or ``2020-09-17`` (or a full ISO timestamp) → the start of that
    period, or its last instant when ``end``."""
    v = value.strip()
    try:
        if re.fullmatch(r"\d{4}", v):
            start = datetime(int(v), 1, 1)
            nxt = datetime(int(v) + 1, 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}", v):
            y, m = map(int, v.split("-"))
            start = datetime(y, m, 1)
            nxt = datetime(y + (m == 12), m % 12 + 1, 1)
        else:
            start = datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
            nxt = start + timedelta(days=1) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else start
    except ValueError as e:
        raise QuerySyntax(f"{value!r} is not a date", hint="use YYYY, YYYY-MM or YYYY-MM-DD") from e
    if end and nxt != start:
        return nxt - timedelta(microseconds=1)
    return start


def _as_list(values: FilterValue) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out = [v for v in values if v and v.strip()]
    for v in out:
        if len(v) > 200:
            raise QuerySyntax("a filter value is longer than 200 characters")
    return out
