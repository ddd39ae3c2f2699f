"""The query language: parsing and its checks, the filters, date bounds, and what a parsed
query says about itself (its scored words, whether it can match article documents, how many
passages it should match).

Whoosh's parser is lenient: it turns an unbalanced quote or an unknown field into an odd query
instead of an error. The checks here catch those mistakes first, so that the user gets a
:class:`~searchkit.errors.QuerySyntax` saying what is wrong; everything this module raises is
about the query or a filter value, never about the index.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TYPE_CHECKING

from whoosh import query as Q
from whoosh.qparser import AndGroup, FuzzyTermPlugin, MultifieldParser, OrGroup

from ..errors import QuerySyntax, describe
from ..records import FACETS
from ..store.schema import ARTICLE_FIELD, SEARCH_FIELDS, article_facet
from ..settings import RankingParams, SearchLimits

if TYPE_CHECKING:  # the table is loaded only when a filter or facets need it
    from ..entity_table import EntityTable

FilterValue = str | Sequence[str] | None
"""A filter takes one value or several (all must match)."""

MAX_FILTER_CHARS = 200
"""Longest filter value (a name, a site)."""


def parse_query(text: str, operator: str, schema: Any, limits: SearchLimits, ranking: RankingParams) -> Q.Query:
    """Parse Whoosh query syntax (AND/OR/NOT, "phrases", field:value, wildcards, fuzzy~)."""
    text = text.strip()
    if len(text) > limits.max_query_chars:
        raise QuerySyntax(f"query is {len(text):,} characters long; the limit is {limits.max_query_chars:,}")
    if not text or text == "*":
        return Q.Every()
    check_syntax(text, schema)
    if operator not in ("and", "or"):
        raise QuerySyntax(f"operator must be 'and' or 'or', not {operator!r}")
    # A plain OrGroup: BM25 already ranks passages with more of the words higher, and
    # OrGroup.factory's coordination made long OR queries 3.7x slower for no gain.
    group = AndGroup if operator == "and" else OrGroup
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, group=group)
    parser.add_plugin(FuzzyTermPlugin())
    try:
        q = parser.parse(text)
    except Exception as e:  # noqa: BLE001 - the parser raises assorted errors on odd input
        raise QuerySyntax(f"cannot parse the query: {describe(e)}") from e
    for leaf in q.leaves():
        if isinstance(leaf, Q.FuzzyTerm) and leaf.maxdist > limits.max_fuzzy_distance:
            raise QuerySyntax(f"fuzzy distance ~{leaf.maxdist} is too large; "
                              f"the limit is ~{limits.max_fuzzy_distance}",
                              hint=f"{leaf.text}~1 or {leaf.text}~2")
    if q is Q.NullQuery or isinstance(q, type(Q.NullQuery)):
        raise QuerySyntax("the query has no searchable words (only stop words or punctuation?)")
    return weight_repeated_words(q, text, schema, ranking.query_k3)


_FIELD_REF = re.compile(r"(?<![\w\"])([A-Za-z_][A-Za-z0-9_]*):(?=[^\s])")


def check_syntax(text: str, schema: Any) -> None:
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


def weight_repeated_words(q: Q.Query, text: str, schema: Any, k3: float) -> Q.Query:
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
            leaf.boost *= qtf * (k3 + 1) / (qtf + k3)
    return q


# --- filters ------------------------------------------------------------------------------------

def build_filters(table_of: Callable[[], EntityTable], passages_of_articles: Callable[[Q.Query], set[int]], *,
                  person: FilterValue, org: FilterValue, place: FilterValue, group: FilterValue,
                  site: FilterValue, since: str | None, until: str | None, in_article: bool
                  ) -> tuple[list[Q.Query], set[int] | None]:
    """Filter queries, and with ``in_article`` the set of passages whose articles name every
    filtered entity (None when there is no such filter). A filter value is expanded through
    the index-wide entity table (``table_of()``: loaded only when an entity filter is given),
    so any alias, any case and a bare surname all work; a value the table does not know gives
    ``Q.NullQuery`` (nothing can match)."""
    out: list[Q.Query] = []
    allowed: set[int] | None = None
    for facet, values in zip(FACETS, (person, org, place, group)):
        for value in filter_values(values):
            stored = table_of().expand(facet, value)
            if not stored:
                out.append(Q.NullQuery)
            elif in_article:
                passages = passages_of_articles(Q.Or([Q.Term(article_facet(facet), v) for v in sorted(stored)]))
                allowed = passages if allowed is None else allowed & passages
            else:
                out.append(Q.Or([Q.Term(facet, v) for v in sorted(stored)]))
    sites = filter_values(site)
    if sites:
        out.append(Q.Or([Q.Term("site", s.strip().lower()) for s in sites]))
    if since or until:
        start = parse_date_bound(since, end=False) if since else None
        end = parse_date_bound(until, end=True) if until else None
        if start and end and start > end:
            raise QuerySyntax(f"--since {since} is after --until {until}")
        out.append(Q.DateRange("date", start, end))
    return out, allowed


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


# --- what a parsed query says about itself ----------------------------------------------------

def scored_words(q: Q.Query) -> dict[str, float]:
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
                    w = as_str(w)
                    words[w] = max(words.get(w, 0.0), boost * node.boost)
            return
        if node.is_leaf():
            return
        for child in node.children():
            walk(child, boost * (node.boost if isinstance(node, Q.CompoundQuery) else 1.0))

    walk(q, 1.0)
    return words


def plain_words_only(q: Q.Query) -> bool:
    """True for a bag of words on text/title: no phrase, wildcard, field, NOT or grouping."""
    if type(q) is Q.Term:
        return q.fieldname in SEARCH_FIELDS
    if type(q) is Q.Or:
        return all(plain_words_only(c) for c in q.children())
    return False


def may_match_articles(q: Q.Query) -> bool:
    """Article records have no text or title: only queries on other fields can match them,
    or a NOT (``border OR NOT berlin`` matches every document without "berlin")."""
    if isinstance(q, Q.Every) or any(isinstance(node, Q.Not) for node in _nodes(q)):
        return True
    return any(fname not in SEARCH_FIELDS for fname, _ in query_terms(q))


def _nodes(q: Q.Query) -> list[Q.Query]:
    out = [q]
    for child in q.children():
        out.extend(_nodes(child))
    return out


def query_terms(q: Q.Query) -> list[tuple[str, Any]]:
    """Every (field, term) of the query; ``("?", None)`` when a query type cannot list them."""
    try:
        return list(q.iter_all_terms())
    except Exception:  # noqa: BLE001
        return [("?", None)]


def expected_matches(q: Q.Query, reader: Any) -> float:
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
                share *= min(1.0, expected_matches(part, reader) / n)
            return share * n
        if isinstance(q, Q.Or):
            return min(float(n), sum(expected_matches(part, reader) for part in q.subqueries))
        if isinstance(q, Q.AndNot):
            return expected_matches(q.a, reader)
        return float(q.estimate_size(reader))
    except Exception:  # noqa: BLE001 - a query type that cannot estimate: call it broad
        return float(n)


def as_str(value: Any) -> str:
    """A Whoosh term (bytes or str) as str."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
