"""Per-document values read through the segments' columns, kept for the life of a searcher.

Collapsing, re-ranking and facets all ask "which article is this passage of?" or "which
entities does it name?" for many documents. A column answers in one array lookup, but Whoosh
reads a column's offsets table afresh for every new column reader (1/6 of a warm query), so
the readers are opened once per searcher here and reused.
"""

from __future__ import annotations

import bisect
from typing import Any

from ..results import FACETS
from ..store.schema import ARTICLE_FIELD, SEARCH_FIELDS
from ..store.whoosh_ext import column_reader, open_segment_files
from .query import as_str


class _NoValues:
    """The column of a segment that has none (an empty index): no value for any document."""

    def __getitem__(self, docnum: int) -> bytes:
        return b""


_NO_VALUES = _NoValues()


class ArticleIds:
    """docnum (global) -> article id."""

    def __init__(self, columns: list[Any], starts: list[int]) -> None:
        self._columns, self._starts = columns, starts
        self._seen: dict[int, str] = {}  # a search asks for the same hits' ids 3-4 times

    def __getitem__(self, docnum: int) -> str:
        got = self._seen.get(docnum)
        if got is None:
            i = bisect.bisect_right(self._starts, docnum) - 1
            got = self._seen[docnum] = as_str(self._columns[i][docnum - self._starts[i]])
        return got


class SegmentColumns:
    """The column readers of one searcher's segments."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._columns: dict[tuple[int, str], tuple[Any, Any]] = {}

    def open_all(self) -> None:
        """Open every segment file a search may read later (a concurrent ingest may merge a
        segment away and delete its files; a file already open stays readable). Raises
        ``FileNotFoundError`` when one is already gone."""
        open_segment_files(self.segments()[0], (*SEARCH_FIELDS, ARTICLE_FIELD), ("article_id", *FACETS),
                           self.column)

    def segments(self) -> tuple[list[Any], list[int]]:
        """The searcher's segment readers and the global number of each one's first document."""
        leaves = self._searcher.leaf_searchers()
        return [s.reader() for s, _ in leaves], [offset for _, offset in leaves]

    def column(self, segment_reader: Any, fieldname: str) -> Any:
        """A segment's column reader (no values when the segment has no such column)."""
        key = (id(segment_reader), fieldname)
        hit = self._columns.get(key)
        if hit is None or hit[0] is not segment_reader:
            column = (column_reader(segment_reader, fieldname)
                      if segment_reader.has_column(fieldname) else _NO_VALUES)
            hit = (segment_reader, column)
            self._columns[key] = hit
        return hit[1]

    def article_ids(self) -> ArticleIds:
        """docnum -> article id, through the segments' ``article_id`` columns."""
        readers, starts = self.segments()
        return ArticleIds([self.column(reader, "article_id") for reader in readers], starts)

    def by_segment(self, docs: set[int]) -> list[tuple[Any, list[int]]]:
        """Global document numbers grouped by segment: (segment reader, local numbers)."""
        readers, starts = self.segments()
        grouped: dict[int, list[int]] = {}
        for d in docs:
            i = bisect.bisect_right(starts, d) - 1
            grouped.setdefault(i, []).append(d - starts[i])
        return [(readers[i], sorted(ids)) for i, ids in sorted(grouped.items())]
