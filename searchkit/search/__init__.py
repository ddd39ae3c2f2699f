"""Search: the :class:`SearchIndex` facade over the query path.

This package is the query path: it imports Whoosh and searchkit's own light modules only —
never spaCy, bs4 or lxml — so that ``searchkit search`` starts fast. Its parts:

- :mod:`.query` — the query language and its checks; :mod:`.filters` — the filters, the
  in-query fields that mean the same, date bounds; :mod:`.hints` — why nothing matched;
  :mod:`.explain` — why each hit matched;
- :mod:`.ranking` — BM25F, the article score, query-time stop words;
- :mod:`.facets` — entity counts over every match; :mod:`.highlight` — matched spans;
- :mod:`.collect` — the top passages, collapsed per article, and the count of matches;
- :mod:`.docsets` — sets of matching documents read from posting blocks;
- :mod:`.segments` — per-document values through the segments' columns;
- :mod:`.entity_names` — canonical entity names, the entity table on demand;
- :mod:`.stats` — what ``searchkit stats`` shows.

Tuning values travel as :class:`~searchkit.settings.RankingParams` and
:class:`~searchkit.settings.SearchLimits`, held by the :class:`SearchIndex`. Entity filters
match the passage's own entities by default (``in_article=True`` widens them to the article's
set); a filter value is expanded through the index-wide entity table, so any alias, any case
and a bare surname all work.
"""

from __future__ import annotations

import bisect
import os
import re
import time
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from whoosh import query as Q
from whoosh.reading import CorruptIndexError

from ..errors import InternalError, NotFound, QuerySyntax, SearchkitError, describe
from ..results import FACETS, Hit, SearchResult
from ..store.documents import KIND_ARTICLE, article_from_documents, tag_values
from ..store.shards import IndexPath, open_for_search, split_index_arg
from ..settings import RankingParams, SearchLimits
from ..store.whoosh_ext import FilteredQuery
from .corrections import EntityCorrections
from .entity_names import EntityNames
from .stream import Streaming
from .copies import CopyTable, StoryIds, story_docs, with_copies
from .copies import collapse_copies as one_article_per_story
from .collect import count_matches, expected_count, matching_set, top_of_scores, top_passages
from .docsets import matching_docs, term_docs
from .highlight import MatchedTerms, highlight_spans, highlight_terms
from .filters import FilterValue, build_filters, parse_date_bound, resolve_fields
from .query import expand_fuzzy, may_match_articles, scored_words
from .order import SORTS, by_date
from .query import parse_query as parse_query_text
from .ranking import RobertsonBM25F, or_scores, rerank, rerank_pool, skip_stop_words
from .segments import SegmentColumns

if TYPE_CHECKING:
    from ..entity_table import EntityTable
    from ..records import Article, Passage
    from .stats import IndexStats

__all__ = ["SearchIndex", "open_index", "IndexStats", "FilterValue", "parse_date_bound", "highlight_spans"]

# What only some searches need (a timeline, facets, --explain, a hint when nothing matched,
# stats) is imported where it is used: a plain search never loads it (start-up time).


def __getattr__(name: str) -> Any:
    if name == "IndexStats":
        from .stats import IndexStats

        return IndexStats
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_index(path: IndexPath | None = None, *, ranking: RankingParams = RankingParams(),
               limits: SearchLimits = SearchLimits()) -> SearchIndex:
    """Open an index for searching (read-only; works on a read-only folder too). ``path`` may
    be a sharded index, or several folders (a list, or joined by ``os.pathsep``), searched as
    one with pooled statistics (:mod:`searchkit.store.shards`).

    Example::

        with searchkit.open_index("index") as idx:
            for hit in idx.search("border closure", person="lukashenko").hits:
                print(hit.rank, hit.title, hit.text[:80])
    """
    return SearchIndex(path if path is not None else os.environ.get("SEARCHKIT_INDEX", "index"),
                       ranking=ranking, limits=limits)


class SearchIndex(EntityNames, EntityCorrections, Streaming):
    """A searchkit index opened for reading. Use as a context manager or call ``close()``."""

    def __init__(self, path: IndexPath, *, ranking: RankingParams = RankingParams(),
                 limits: SearchLimits = SearchLimits()) -> None:
        self.path = split_index_arg(path)[0]
        self.ranking = ranking
        self.limits = limits
        for attempt in range(5):
            try:
                # One folder, a sharded one, or several (--index A --index B): one index here.
                self.path, self._ix = open_for_search(path)
                self._searcher = self._ix.searcher(weighting=RobertsonBM25F(ranking))
                # The searcher's own schema: FileIndex.schema re-reads the newest table of
                # contents on every access, which a concurrent commit may just have deleted.
                self._schema = self._searcher.schema
                self._starts: list[int] | None = None
                self._columns = SegmentColumns(self._searcher)
                self._columns.open_all()
                break
            except SearchkitError:
                raise
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
        self._names: dict[str, dict[str, str]] | None = None  # facet -> stored value -> canonical name
        self._names_tried = False  # entity_names.json read (None above: missing, stale, or edits apply)
        self._copies: CopyTable | None = None

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
                    self._forget_entity_names()
                    self._copies = None
                    self._starts = None
                    self._columns = SegmentColumns(new)
                    self._columns.open_all()
                return
            except FileNotFoundError as e:  # another commit landed meanwhile: read the newest
                if attempt == 4:
                    raise SearchkitError(f"cannot reopen the index at {self.path}: {describe(e)}",
                                         hint="an ingest is committing; try again") from e
                time.sleep(0.05 * (attempt + 1))

    @property
    def copy_table(self) -> CopyTable:
        """The clusters of copies ingest found (``duplicates/``), read on first use."""
        if self._copies is None:
            self._copies = CopyTable.load(self.path)
        return self._copies

    # -- query building ---------------------------------------------------------------------
    def parse_query(self, text: str, operator: str = "and", *, exact: bool = False) -> Q.Query:
        """Parse Whoosh query syntax (AND/OR/NOT, "phrases", field:value, wildcards, fuzzy~)."""
        return parse_query_text(text, operator, self._schema, self.limits, self.ranking, exact=exact)

    def article_passages(self, article_query: Q.Query) -> set[int]:
        """The passages of the articles whose ``article`` documents match ``article_query``:
        those that follow each one in document order, up to the next article."""
        if self._starts is None:
            self._starts = sorted(term_docs(self._searcher, "kind", KIND_ARTICLE))
        starts = self._starts
        end_all = self._searcher.doc_count_all()
        out: set[int] = set()
        for a in matching_docs(self._searcher, article_query):
            i = bisect.bisect_right(starts, a)
            out.update(range(a + 1, starts[i] if i < len(starts) else end_all))
        return out

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
        tag: FilterValue = None,
        in_article: bool = False,
        collapse: bool = True,
        collapse_copies: bool = True,
        highlight: bool = True,
        facets: bool = False,
        exact_total: bool = False,
        exact: bool = False,
        explain: bool = False,
        sort: str = "relevance",
        timeline: str | None = None,
        newer_than: int | None = None,
    ) -> SearchResult:
        """Ranked passages for ``query`` (Whoosh syntax), filtered and highlighted.

        Filters take one value or a list (all must match; ``tag`` values ``KEY=VALUE``, one of
        each key's). ``collapse`` keeps at most
        ``limits.per_article`` passages per article; ``collapse_copies`` one article per story
        (copies listed in each hit's ``copies``; facets count a story once); ``facets`` adds
        entity counts over all matches. ``total`` counts matching passages (before collapsing); past
        ``limits.count_cap`` it is a lower bound (``total_exact`` is False) unless
        ``exact_total`` or ``facets`` is set. ``exact`` matches bare words as written (case
        kept, no stemming; ``exact:word`` does it for one word); ``explain`` adds to each hit
        which query terms matched in which field, and its passage and article scores. ``sort``
        is ``relevance``, ``date`` (oldest first) or ``-date`` (newest first; both over every
        match, undated last). ``timeline`` (a unit of :data:`searchkit.timeline.UNITS` or
        ``auto``) adds matching articles per period of their publication date;
        ``newer_than`` keeps the articles an ingest wrote after that index generation
        (saved searches' "what's new"). When
        nothing matches, ``hint`` says why if a filter or the AND is the cause. Raises :class:`QuerySyntax` for a query or filter
        that cannot be understood, :class:`InternalError` for anything else that fails.
        """
        t0 = time.perf_counter()
        if sort not in SORTS:
            raise QuerySyntax(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        limits = self.limits
        limit = max(1, min(int(limit), limits.max_limit))
        if timeline is not None:
            from ..timeline import check_unit

            check_unit(timeline)
        q, parsed, unknown, built, allowed = self._prepare(query, operator, exact, newer_than, dict(
            person=person, org=org, place=place, group=group, site=site, since=since, until=until,
            in_article=in_article, tag=tag))
        filters = built.queries
        if built.empty or allowed == set():  # (an empty set is no filter to Whoosh)
            from ..timeline import build_timeline
            from .hints import field_values, unknown_value_hint

            hint = unknown_value_hint(built.unknown, self.entity_table, lambda: field_values(self._searcher, "site"),
                                      lambda: field_values(self._searcher, "tag")) if built.unknown else \
                f"no passage passes {', '.join(built.allowed_by or built.labels)}" if built.empty else \
                f"no article was added or changed since generation {newer_than}"
            return SearchResult(query, 0, (), {f: () for f in FACETS} if facets else None, None,
                                (time.perf_counter() - t0) * 1000, hint=hint,
                                timeline=build_timeline({}, timeline) if timeline else None)
        matching, mask = self._matching(q, filters)
        words = scored_words(q)  # none (nothing to re-rank by) for *, filters, wildcards only
        depth = rerank_pool(limit, operator, self.ranking) if words else limit
        try:
            searcher = self._searcher
            docs = matching_set(searcher, matching, mask, allowed) \
                if facets or sort != "relevance" or timeline else None
            # A query expected to match few passages is scored in full, which counts them for
            # free; a broad one skips what cannot reach the top, and is counted separately,
            # up to count_cap (cheap: its matches are dense).
            # An OR of plain words (a question) is scored term at a time, which also counts it.
            scores = or_scores(searcher, q) if operator == "or" and not filters and allowed is None \
                and mask is None and docs is None else None
            count_in_search = docs is None and (scores is not None or exact_total or
                                                expected_count(searcher, matching, allowed) <= limits.count_cap)
            article_of = self._columns.article_ids()
            copies = collapse_copies and bool(self.copy_table)
            # The collectors collapse by story only for a pool of one page (date order, filters
            # only): a re-ranked pool (3+ pages) keeps enough stories collapsed per article,
            # and keying it by story made broad queries take a second, 4x deeper pass.
            story_of = StoryIds(article_of, self.copy_table) if copies and depth <= limit else article_of
            per_article = limits.per_article if collapse else None
            if docs is not None and sort != "relevance":
                ranked, seen = self._by_date(matching, docs, sort, per_article, story_of, limit), len(docs)
                passage_scores = dict(ranked)
            else:
                if scores is not None:
                    ranked, seen, count_in_search = top_of_scores(scores, depth, per_article, story_of), len(scores), True
                else:
                    ranked, seen = top_passages(searcher, matching, mask, allowed, depth, per_article, story_of,
                                                count_all=count_in_search)
                passage_scores = dict(ranked)
                if words and ranked:
                    ranked = rerank(searcher, article_of, ranked, words, self.ranking)
            ranked = (one_article_per_story(ranked, article_of, self.copy_table) if copies else ranked)[:limit]
            if docs is not None:
                total, exact_count = len(docs), True
            elif count_in_search:
                total, exact_count = seen, True
            else:
                # Counted at least as far as the page returned: a total is never below it.
                total, exact_count = count_matches(searcher, matching, mask, allowed,
                                             None if exact_total else max(limits.count_cap, len(ranked)))
            total = max(total, len(ranked))
            term_set = highlight_terms(q, searcher.reader()) if highlight or explain else None
            hits = with_copies((self._hit(rank, score, docnum, term_set if highlight else None)
                                for rank, (docnum, score) in enumerate(ranked, 1)), self.copy_table)
            if explain and hits:
                from .explain import explain_hits

                hits = explain_hits(searcher, parsed, query, hits, [d for d, _ in ranked], passage_scores,
                                    article_of, words, self.ranking)
            # A story counts once in facets (unless every copy is asked for); the timeline counts
            # articles, each copy on its own date: how much was published when.
            counted = story_docs(docs, searcher, article_of, self.copy_table, limits.facet_scan_below) \
                if collapse_copies and facets else docs
            counts = None
            if facets:
                from .facets import facet_counts

                counts = facet_counts(searcher, self._columns, self.entity_table, counted, limits)
            dated = None
            if timeline:
                from ..timeline import article_dates, build_timeline

                dated = build_timeline(article_dates(self._columns, docs or (), article_of), timeline)
        except SearchkitError:
            raise
        except CorruptIndexError as e:  # Whoosh found a damaged file: not the query, not a bug
            raise SearchkitError(f"the index at {self.path} is damaged: {describe(e)}",
                                 hint="rebuild it: searchkit ingest --rebuild PATH") from e
        except Exception as e:  # noqa: BLE001 - the query was checked: a failure here is a bug
            raise InternalError.wrap(e) from e
        suggestion = hint = None
        if not hits:
            from .hints import field_values, unknown_value_hint, why_no_hits

            if unknown:  # person:nobodyxyz in the query
                hint = unknown_value_hint(unknown, self.entity_table, lambda: field_values(self._searcher, "site"))
            else:
                hint = why_no_hits(self, q, query, operator, exact, filters, built.labels, mask, allowed)
                if hint is None and query.strip() and not isinstance(q, Q.Every):
                    suggestion = self._suggest(q, query)
        return SearchResult(query, total, hits, counts, suggestion, (time.perf_counter() - t0) * 1000,
                            total_exact=exact_count, hint=hint, timeline=dated)

    def _prepare(self, query: str, operator: str, exact: bool, newer_than: int | None,
                 filter_args: dict[str, Any]) -> tuple[Q.Query, Q.Query, Any, Any, set[int] | None]:
        """The query as searched, as parsed (for ``explain``), its unknown field values, the
        filters and the passages they allow: what :meth:`search` and :meth:`stream` share."""
        q = self.parse_query(query, operator, exact=exact)
        if operator == "or":
            q = skip_stop_words(q, query.strip(), self.ranking)
        q, unknown = resolve_fields(q, self._table_on_demand, self._site_known)
        parsed, q = q, expand_fuzzy(q, self._searcher.reader())
        built = build_filters(self._table_on_demand, self.article_passages, self._site_known, **filter_args,
                              tag_known=lambda t: bool(self._searcher.doc_frequency("tag", t)))
        allowed = built.allowed
        if newer_than is not None:
            fresh = self.fresh_passages(newer_than)
            allowed = fresh if allowed is None else allowed & fresh
        return q, parsed, unknown, built, allowed

    def _matching(self, q: Q.Query, filters: list[Q.Query]) -> tuple[Q.Query, Q.Query | None]:
        """The query with its filters, and the documents to leave out (article documents)."""
        # FilteredQuery: the filters narrow the matches (and drive the intersection, skipping
        # ahead in the query's postings) but add nothing to the scores.
        matching = FilteredQuery(q, filters[0] if len(filters) == 1 else Q.And(filters)) if filters else q
        return matching, Q.Term("kind", KIND_ARTICLE) if may_match_articles(q) else None

    def _site_known(self, site: str) -> bool:
        """True when some document has this (lower-case) site."""
        return bool(self._searcher.doc_frequency("site", site))

    def _by_date(self, matching: Q.Query, docs: set[int], sort: str, per_article: int | None, article_of: Any,
                 limit: int) -> list[tuple[int, float]]:
        """The first ``limit`` matches in date order, each with its relevance score."""
        readers, starts = self._columns.segments()
        start_of = {id(r): st for r, st in zip(readers, starts)}
        chosen = by_date(self._columns.by_segment(docs), lambda r: start_of[id(r)], newest_first=sort == "-date",
                         per_article=per_article, article_of=article_of, limit=limit)
        scored = self._searcher.search(matching, filter=set(chosen), limit=max(1, len(chosen)))
        scores = {scored.docnum(i): scored.score(i) or 0.0 for i in range(scored.scored_length())}
        return [(d, scores.get(d, 0.0)) for d in chosen]

    def context(self, passage_id: str, n: int) -> tuple[tuple[Passage, ...], tuple[Passage, ...]]:
        """The ``n`` passages before and after a passage in its article (``search -C N``)."""
        article_id, _, ordinal = passage_id.rpartition(":")
        if not ordinal.isdigit():
            raise NotFound(f"no passage {passage_id!r} in the index")
        o = int(ordinal)

        from ..records import Passage

        def passages(ordinals: range) -> tuple[Passage, ...]:
            found = []
            for k in ordinals:
                docnum = self._searcher.document_number(passage_id=f"{article_id}:{k}")
                if docnum is not None:
                    f = self._searcher.stored_fields(docnum)
                    text = f.get("text", "")
                    start = int(f.get("start", 0))
                    found.append(Passage(article_id, k, start, int(f.get("end", start + len(text))), text,
                                         self._stored_entities(f)))
            return tuple(found)

        return passages(range(max(0, o - n), o)), passages(range(o + 1, o + n + 1))


    def _hit(self, rank: int, score: float, docnum: int, terms: MatchedTerms | None) -> Hit:
        f = self._searcher.stored_fields(docnum)
        text = f.get("text", "")
        date = f.get("date")
        return Hit(
            rank=rank, score=float(score), passage_id=f["passage_id"], article_id=f["article_id"],
            ordinal=int(f.get("ordinal", 0)), text=text,
            highlights=tuple(highlight_spans(text, terms)) if terms else (),
            title=f.get("title"), site=f.get("site"), date=date.isoformat() if isinstance(date, datetime) else None,
            url=f.get("url"), path=f.get("path", ""), entities=self._stored_entities(f),
            source_id=f.get("source_id", ""), line=f.get("line"), tags=tag_values(f.get("tag") or ""),
        )

    def _suggest(self, q: Q.Query, text: str) -> str | None:
        from .hints import plausible_correction

        try:
            corrected = self._searcher.correct_query(q, text, prefix=1, maxdist=2)
        except Exception:  # noqa: BLE001 - a suggestion is a nicety, never an error
            return None
        if corrected.query != q and corrected.string.strip() and corrected.string != text \
                and all(plausible_correction(t.original, t.text) for t in corrected.tokens):
            return corrected.string
        return None

    # -- other views ------------------------------------------------------------------------
    def similar(self, target: str, *, limit: int = 10, person: FilterValue = None, org: FilterValue = None,
                place: FilterValue = None, group: FilterValue = None, site: FilterValue = None,
                since: str | None = None, until: str | None = None, in_article: bool = False) -> SearchResult:
        """Passages of other articles like a passage (``a151617c9f3d:4``) or like a whole
        article (its id, or a unique prefix): more-like-this over the most distinctive terms,
        with the same filters as :meth:`search`; never the article's own story (its copies), and
        one hit per story."""
        from .similar import similar_passages

        return similar_passages(self, target, limit=limit, person=person, org=org, place=place, group=group,
                                site=site, since=since, until=until, in_article=in_article)

    def article(self, article_id: str) -> Article:
        """The article with this id (any unique prefix of it also works, and so does a passage
        id ``ID:ORD``)."""
        aid = self._resolve_article_id(article_id)
        stored = article_from_documents(aid, self._searcher.documents(article_id=aid))
        if stored is None:
            raise NotFound(f"no article {article_id!r} in the index")
        passages = tuple(replace(p, entities=self._canonical_names(p.entities)) for p in stored.passages)
        return replace(stored, entities=self._canonical_entities(stored.entities), passages=passages,
                       copies=self.copy_table.copies_of(aid))

    def _resolve_article_id(self, article_id: str) -> str:
        article_id = article_id.strip().split(":")[0].lower()
        if not re.fullmatch(r"[0-9a-f]{1,12}", article_id):
            raise NotFound(f"{article_id!r} is not an article id",
                           hint="ids are 12 hex digits (any unique prefix works); see search output")
        if self._searcher.document_number(article_id=article_id) is not None:
            return article_id
        matches = [t.decode() if isinstance(t, bytes) else t
                   for t in self._searcher.reader().expand_prefix("article_id", article_id)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFound(f"article id prefix {article_id!r} is ambiguous ({len(matches):,} articles)",
                           hint="give more of the id")
        raise NotFound(f"no article {article_id!r} in the index")

    def stats(self) -> IndexStats:
        from .stats import index_stats

        return index_stats(self._searcher, self.path, self._ix.latest_generation(), self.entity_table)
