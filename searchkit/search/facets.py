"""Facets: the entities most named by the passages a query matched, counted exactly."""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any, TYPE_CHECKING

from ..results import FACETS
from ..store.documents import keyword_values
from ..settings import SearchLimits
from .docsets import term_docs
from .segments import SegmentColumns

if TYPE_CHECKING:  # the table is loaded only when a filter or facets need it
    from ..entity_table import EntityTable

FacetCounts = dict[str, tuple[tuple[str, int], ...]]


def facet_counts(searcher: Any, columns: SegmentColumns, table: EntityTable, docs: set[int],
                 limits: SearchLimits) -> FacetCounts:
    """The top ``limits.facet_top`` entities of each facet by matching passages (``docs``).

    A few matches (up to ``limits.facet_scan_below``): read each one's facet values. Many:
    walk the entities from the most frequent in the whole index down, counting each one's
    passages among the matches, and stop once no entity left could enter the top (its
    index-wide count is an upper bound). A broad query thus reads the postings of a few dozen
    entities instead of a column value for each of tens of thousands of passages."""
    out: FacetCounts = {}
    if len(docs) <= limits.facet_scan_below:
        by_facet = _counts_by_passage(columns, table, docs)
        for facet in FACETS:
            counts = by_facet[facet]
            out[facet] = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limits.facet_top])
        return out
    for facet in FACETS:
        out[facet] = _top_by_entity(searcher, table, facet, docs, limits.facet_top)
    return out


def _counts_by_passage(columns: SegmentColumns, table: EntityTable, docs: set[int]) -> dict[str, Counter[str]]:
    """Passages per canonical entity, for every facet at once: a value stored in one field
    may count for another facet (the table moved it) or for none (dropped)."""
    counts: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    for segment, ids in columns.by_segment(docs):
        for field_name in FACETS:
            if not segment.has_column(field_name):
                continue
            column = columns.column(segment, field_name)
            for d in ids:
                value = column[d]
                if value:  # passages with no entity of this facet have none: skip
                    seen = {table.canonical(field_name, v) for v in keyword_values(value.decode("utf-8"))}
                    for resolved in seen - {None}:
                        counts[resolved[0]][resolved[1]] += 1  # type: ignore[index]
    return counts


class _Desc(str):
    """A name that sorts backwards, so that a heap of (count, name) keeps, among equal counts,
    the names that come first alphabetically."""

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:
        return str.__lt__(self, other)


def _top_by_entity(searcher: Any, table: EntityTable, facet: str, docs: set[int], top: int
                   ) -> tuple[tuple[str, int], ...]:
    if facet not in searcher.reader().schema:
        return ()
    best: list[tuple[int, str]] = []  # a min-heap of (count, name): the top so far
    for name, values, bound in table.groups(facet):
        if len(best) >= top and bound < best[0][0]:
            break  # every entity left is in fewer passages than the top's last one
        if len(values) == 1:
            n = len(docs.intersection(term_docs(searcher, *values[0])))
        else:  # one passage may name an entity two ways: count it once
            ids: set[int] = set()
            for field_name, v in values:
                ids.update(term_docs(searcher, field_name, v))
            n = len(ids.intersection(docs))
        if not n:
            continue
        item = (n, _Desc(name))
        if len(best) < top:
            heapq.heappush(best, item)
        elif item > best[0]:
            heapq.heapreplace(best, item)
    return tuple((str(name), n) for n, name in sorted(best, reverse=True))
