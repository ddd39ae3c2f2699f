"""Other orders than relevance (``--sort date`` / ``-date``), and a passage's neighbours.

Date order covers every match, not just the relevance top: "the newest passages about X" is
what a reader of news asks. The date is read from the segments' ``date`` column (the field is
sortable), so ordering ten thousand matches costs a column read, not a stored-field read each.
Undated passages come last in either direction. Ties keep document order (the order of an
article's passages), and collapsing keeps at most ``per_article`` passages of an article.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NO_DATE = 2**63  # Whoosh's date column holds 2**64 - 1 for a document without a date

SORTS = ("relevance", "date", "-date")
"""The orders ``search(sort=...)`` accepts: ``-date`` is newest first."""


def by_date(docs_by_segment: list[tuple[Any, list[int]]], starts_of: Callable[[Any], int], *, newest_first: bool,
            per_article: int | None, article_of: Any, limit: int) -> list[int]:
    """The first ``limit`` global document numbers of ``docs`` in date order."""
    dated: list[tuple[int, int]] = []  # (sort key, docnum)
    undated: list[int] = []
    for reader, local in docs_by_segment:
        start = starts_of(reader)
        column = reader.column_reader("date", translate=False) if reader.has_column("date") else None
        for d in local:
            value = column[d] if column is not None else None
            if not isinstance(value, int) or value >= _NO_DATE:
                undated.append(start + d)
            else:
                dated.append((-value if newest_first else value, start + d))
    dated.sort()
    ordered = [d for _, d in dated] + sorted(undated)
    if per_article is None:
        return ordered[:limit]
    taken: dict[str, int] = {}
    out: list[int] = []
    for d in ordered:
        aid = article_of[d]
        if taken.get(aid, 0) < per_article:
            taken[aid] = taken.get(aid, 0) + 1
            out.append(d)
            if len(out) == limit:
                break
    return out


def neighbour_ordinals(ordinal: int, n: int, count: int) -> tuple[list[int], list[int]]:
    """Ordinals of the ``n`` passages before and after ``ordinal`` in an article of ``count``."""
    return list(range(max(0, ordinal - n), ordinal)), list(range(ordinal + 1, min(count, ordinal + n + 1)))
