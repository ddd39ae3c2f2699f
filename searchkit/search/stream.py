"""Every match, one hit at a time (``search --limit 0``), and what identifies the index searched.

An export wants all the passages a query matches, not the top ten, and a million of them
must not be held in memory as hits: :meth:`Streaming.stream` ranks the matches as document
numbers and scores (a few dozen bytes each), then reads, highlights and yields one hit at a
time, so the caller writes each line and forgets it. It is a mixin of
:class:`~searchkit.search.SearchIndex`, and shares its query preparation with ``search``, so
an export takes exactly the query, filters and options ``search`` does.

Order: relevance is the passage's own BM25F score (the article re-ranking of ``search`` is
for the first page, whose size it needs), or publication date (``sort="date"`` / ``-date``,
undated last). Collapsing does not apply: an export holds every matching passage.

The index generation (:attr:`Streaming.generation`), the ``index_id`` of the marker and the
CRC32 of the manifest (which lists every file of that generation with its own CRC32) say
which index state a result came from: what ``--provenance`` writes down.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import query as Q
from whoosh.reading import CorruptIndexError

from ..errors import InternalError, QuerySyntax, SearchkitError, describe
from ..results import Hit
from ..store.documents import KIND_ARTICLE
from ..store.schema import GENERATION_FIELD
from .collect import matching_set
from .filters import FilterValue
from .highlight import highlight_terms
from .order import SORTS, by_date

if TYPE_CHECKING:
    from . import SearchIndex


class Streaming:
    """``stream``, ``fresh_passages`` and the index's identity, for :class:`SearchIndex`."""

    @property
    def generation(self: SearchIndex) -> int:
        """The index generation this searcher reads (Whoosh's commit counter)."""
        return int(self._searcher.reader().generation())

    def identity(self: SearchIndex) -> dict[str, Any]:
        """What names the index state searched: folder, generation, ``index_id`` (from the
        marker; None for an index made before it was written), the manifest's CRC32."""
        from ..store.folder import MARKER
        from ..store.manifest import MANIFEST

        path: Path = self.path
        try:
            index_id = json.loads((path / MARKER).read_text(encoding="utf-8")).get("index_id")
        except (OSError, ValueError, AttributeError):
            index_id = None
        try:
            fingerprint: str | None = f"{zlib.crc32((path / MANIFEST).read_bytes()):08x}"
        except OSError:
            fingerprint = None
        return {"path": str(path.resolve()), "generation": self.generation, "index_id": index_id,
                "manifest_crc32": fingerprint}

    def fresh_passages(self: SearchIndex, generation: int) -> set[int]:
        """The passages of the articles an ingest wrote after index generation ``generation``
        (added, or changed and written again). An index from before this field was kept
        has none for its older articles: they count as seen."""
        if GENERATION_FIELD not in self._schema:
            return set()
        newer = Q.NumericRange(GENERATION_FIELD, generation + 1, None)
        return self.article_passages(Q.And([Q.Term("kind", KIND_ARTICLE), newer]))

    def stream(self: SearchIndex, query: str = "", *, operator: str = "and", person: FilterValue = None,
               org: FilterValue = None, place: FilterValue = None, group: FilterValue = None,
               site: FilterValue = None, since: str | None = None, until: str | None = None,
               in_article: bool = False, tag: FilterValue = None, exact: bool = False, sort: str = "relevance",
               newer_than: int | None = None, highlight: bool = True) -> Iterator[Hit]:
        """Every passage ``query`` matches, best first (or by date), as hits with ranks from 1.

        The arguments mean what they mean for :meth:`SearchIndex.search`. Raises
        :class:`QuerySyntax` for a query it cannot understand before the first hit."""
        if sort not in SORTS:
            raise QuerySyntax(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        q, _, _, built, allowed = self._prepare(query, operator, exact, newer_than, dict(
            person=person, org=org, place=place, group=group, site=site, since=since, until=until,
            in_article=in_article, tag=tag))
        if built.empty or allowed == set():  # (an empty set is no filter to Whoosh)
            return iter(())
        matching, mask = self._matching(q, built.queries)
        try:
            ranked = self._all_ranked(matching, mask, allowed, sort)
            terms = highlight_terms(q, self._searcher.reader()) if highlight else None
        except SearchkitError:
            raise
        except CorruptIndexError as e:
            raise SearchkitError(f"the index at {self.path} is damaged: {describe(e)}",
                                 hint="rebuild it: searchkit ingest --rebuild PATH") from e
        except Exception as e:  # noqa: BLE001 - the query was checked: a failure here is a bug
            raise InternalError.wrap(e) from e
        return (self._hit(rank, score, docnum, terms) for rank, (docnum, score) in enumerate(ranked, 1))

    def _all_ranked(self: SearchIndex, matching: Q.Query, mask: Q.Query | None, allowed: set[int] | None,
                    sort: str) -> list[tuple[int, float]]:
        """(docnum, score) of every match in the order asked for."""
        results = self._searcher.search(matching, limit=None, mask=mask, filter=allowed)
        scored = [(results.docnum(i), float(results.score(i) or 0.0)) for i in range(results.scored_length())]
        if sort == "relevance":
            return scored
        scores = dict(scored)
        docs = matching_set(self._searcher, matching, mask, allowed)
        readers, starts = self._columns.segments()
        start_of = {id(r): st for r, st in zip(readers, starts)}
        order = by_date(self._columns.by_segment(docs), lambda r: start_of[id(r)], newest_first=sort == "-date",
                        per_article=None, article_of=self._columns.article_ids(), limit=len(docs))
        return [(d, scores.get(d, 0.0)) for d in order]
