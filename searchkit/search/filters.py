"""Filters: the flags that narrow a search (entities, site, dates), and the in-query fields
that mean the same (``person:``, ``org:``, ``place:``, ``group:``, ``site:``).

An entity value is expanded through the index-wide entity table, so any alias, any case and a
bare surname all work, in a flag and in the query alike; a value that names nothing in the
index is reported (the facade turns it into a "no such person; did you mean" hint).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import datetime, timedelta

from whoosh import query as Q

from ..errors import QuerySyntax
from ..results import FACETS
from ..store.schema import article_facet
from .query import as_str, rewrite_leaves

if TYPE_CHECKING:  # the table is passed in: the module need not load it (start-up time)
    from ..entity_table import EntityTable

FilterValue = str | Sequence[str] | None
"""A filter takes one value or several (all must match)."""

MAX_FILTER_CHARS = 200
"""Longest filter value (a name, a site)."""


@dataclass
class Filters:
    """A search's filters: each filter query with the flag that asked for it (so a search
    that they empty can say which one did), the passages ``--in-article`` allows, and the
    values that name nothing in the index (``("person", "nobodyxyz")``)."""

    queries: list[Q.Query] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    allowed: set[int] | None = None
    allowed_by: list[str] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, q: Q.Query) -> None:
        self.queries.append(q)
        self.labels.append(label)

    @property
    def empty(self) -> bool:
        """True when no passage can pass (a value names nothing, or --in-article allows none)."""
        return bool(self.unknown) or any(f is Q.NullQuery for f in self.queries) or self.allowed == set()


def build_filters(table: EntityTable, passages_of_articles: Callable[[Q.Query], set[int]], site_known: Callable[[str], bool],
                  *, person: FilterValue, org: FilterValue, place: FilterValue, group: FilterValue,
                  site: FilterValue, since: str | None, until: str | None, in_article: bool,
                  tag: FilterValue = None, tag_known: Callable[[str], bool] = lambda term: True) -> Filters:
    """The filters of a search. A filter value is expanded through the index-wide entity
    table, so any alias, any case and a bare surname all work; a value the table does not
    know (or a site or tag no article has) is listed in ``unknown`` (nothing can match).
    Tags (``topics=crude``) of one key are alternatives, of several keys all required."""
    out = Filters()
    by_key: dict[str, list[str]] = {}
    for value in filter_values(tag):
        key, eq, wanted = (part.strip() for part in value.partition("="))
        if not (eq and key and wanted):
            raise QuerySyntax(f"--tag takes KEY=VALUE, not {value!r}", hint="--tag topics=crude")
        term = f"{key}={wanted}".lower()
        if not tag_known(term):
            out.unknown.append(("tag", f"{key}={wanted}"))
        by_key.setdefault(key.lower(), []).append(term)
    for terms in by_key.values():
        out.add(" ".join(f"--tag {t}" for t in terms), Q.Or([Q.Term("tag", t) for t in terms]))
    for facet, values in zip(FACETS, (person, org, place, group)):
        for value in filter_values(values):
            label = f"--{facet} {value}"
            stored = table.expand(facet, value)
            if not stored:
                out.unknown.append((facet, value))
            elif in_article:
                passages = passages_of_articles(Q.Or([Q.Term(article_facet(f), v) for f, v in sorted(stored)]))
                out.allowed = passages if out.allowed is None else out.allowed & passages
                out.allowed_by.append(f"{label} --in-article")
            else:
                out.add(label, Q.Or([Q.Term(f, v) for f, v in sorted(stored)]))  # a value may sit in another type's field
    sites = filter_values(site)
    if sites:
        terms = [s.strip().lower() for s in sites]
        if not any(site_known(t) for t in terms):
            out.unknown.extend(("site", s) for s in sites)
        out.add(" ".join(f"--site {s}" for s in sites), Q.Or([Q.Term("site", t) for t in terms]))
    if since or until:
        start = parse_date_bound(since, end=False) if since else None
        end = parse_date_bound(until, end=True) if until else None
        if start and end and start > end:
            raise QuerySyntax(f"--since {since} is after --until {until}")
        label = " ".join(x for x in (f"--since {since}" if since else "", f"--until {until}" if until else "") if x)
        out.add(label, Q.DateRange("date", start, end))
    return out


def resolve_fields(q: Q.Query, table: EntityTable, site_known: Callable[[str], bool]
                   ) -> tuple[Q.Query, list[tuple[str, str]]]:
    """In-query ``person:``, ``org:``, ``place:``, ``group:`` and ``site:`` with the semantics
    of the filter flags: an entity value is expanded through the entity table (any alias, any
    case, a bare surname), a site matches case-insensitively. Returns the query and the values
    that name nothing in the index (their leaves match nothing)."""
    unknown: list[tuple[str, str]] = []

    def resolve(leaf: Q.Query) -> Q.Query:
        fieldname = getattr(leaf, "fieldname", None)
        if type(leaf) is not Q.Term or fieldname not in (*FACETS, "site"):
            return leaf
        value = as_str(leaf.text)
        if fieldname == "site":
            if site_known(value.lower()):
                return Q.Term("site", value.lower(), boost=leaf.boost)
            unknown.append(("site", value))
            return Q.NullQuery
        stored = table.expand(fieldname, value)
        if not stored:
            unknown.append((fieldname, value))
            return Q.NullQuery
        terms = [Q.Term(f, v, boost=leaf.boost) for f, v in sorted(stored)]
        return terms[0] if len(terms) == 1 else Q.Or(terms)

    return rewrite_leaves(q, resolve), unknown


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


def filter_values(values: FilterValue) -> list[str]:
    """A filter's non-blank values, as a list."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out = [v for v in values if v and v.strip()]
    for v in out:
        if len(v) > MAX_FILTER_CHARS:
            raise QuerySyntax(f"a filter value is longer than {MAX_FILTER_CHARS} characters")
    return out
