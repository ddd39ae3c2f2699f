"""The query language: parsing and its checks, and what a parsed query says about itself
(its scored words, whether it can match article documents, how many passages it should
match). The filters, and the in-query fields that mean the same, are :mod:`.filters`.

Whoosh's parser is lenient: it turns an unbalanced quote or an unknown field into an odd query
instead of an error. The checks here catch those mistakes first, so that the user gets a
:class:`~searchkit.errors.QuerySyntax` saying what is wrong; everything this module raises is
about the query or a filter value, never about the index.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from whoosh import query as Q
from whoosh.support.levenshtein import damerau_levenshtein

from ..errors import QuerySyntax, describe
from ..results import FACETS
from ..store.analysis import normal_form, token_spans
from ..store.schema import EXACT_FIELDS, SEARCH_FIELDS, TEXT_FIELDS
from ..settings import RankingParams, SearchLimits


QUERY_FIELDS = ("text", "title", "exact", "site", "date", "article_id", "passage_id", *FACETS)
"""The fields a user may name in a query (``field:value``): what errors and ``--help`` list."""


def parse_query(text: str, operator: str, schema: Any, limits: SearchLimits, ranking: RankingParams,
                *, exact: bool = False) -> Q.Query:
    """Parse Whoosh query syntax (AND/OR/NOT, "phrases", field:value, wildcards, fuzzy~).

    Bare words search the passage text and title, normalised (lower case, stemmed), or as
    written with ``exact``; ``exact:word`` searches one word or phrase as written in any
    query. Every word is kept here; an OR query's stop words are left out by
    :func:`searchkit.search.ranking.skip_stop_words` (``RankingParams.skip_stop_words``)."""
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
    plain = None if exact else plain_words_query(text, operator)
    if plain is not None:
        return weight_repeated_words(plain, text, schema, ranking.query_k3)
    from whoosh.qparser import AndGroup, FuzzyTermPlugin, OrGroup

    from .parser import FieldsParser  # only here: plain words (most queries) never need Whoosh's parser

    group = AndGroup if operator == "and" else OrGroup
    parser = FieldsParser(list(EXACT_FIELDS if exact else SEARCH_FIELDS), schema, group=group,
                     split_words=operator == "or")
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
        raise QuerySyntax("the query has no searchable words (only punctuation?)")
    q = rewrite_leaves(q, exact_in_titles_too)
    q = rewrite_leaves(q, exact_matches_first)
    q = weight_repeated_words(q, text, schema, ranking.query_k3)
    return q


_PLAIN_WORDS = re.compile(r"[A-Za-z0-9]+(?: +[A-Za-z0-9]+)*")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def plain_words_query(text: str, operator: str) -> Q.Query | None:
    """The query Whoosh's parser builds for words of letters and digits only (a typed question, most
    queries), built directly: one term per distinct word, in order, each on the text and the
    title (an AND of those pairs, or one flat OR), with the character span of its first
    occurrence. The parser took a fifth of a long OR question; a test checks that both agree.
    None for anything else (the parser's business)."""
    if not _PLAIN_WORDS.fullmatch(text):
        return None
    first: dict[str, tuple[int, int]] = {}
    for m in re.finditer(r"[A-Za-z0-9]+", text):
        if m.group() in _OPERATOR_WORDS:
            return None
        spans = token_spans(m.group())
        if len(spans) != 1:
            return None
        first.setdefault(spans[0][2], (m.start(), m.end()))
    pairs = []
    for term, (start, end) in first.items():
        pair = []
        for fieldname in SEARCH_FIELDS:
            leaf = Q.Term(fieldname, term)
            leaf.startchar, leaf.endchar = start, end
            pair.append(leaf)
        pairs.append(pair)
    if len(pairs) == 1:
        return Q.Or(pairs[0])
    if operator == "and":
        return Q.And([Q.Or(pair) for pair in pairs])
    return Q.Or([leaf for pair in pairs for leaf in pair])


def rewrite_leaves(q: Q.Query, rewrite: Callable[[Q.Query], Q.Query]) -> Q.Query:
    """``q`` with ``rewrite`` applied to each of its leaves (a word, a phrase, a range...).
    A word that the parser already spread over the title and the text (an ``Or`` of the
    same word on a field and its title twin) is one leaf here."""
    if q.is_leaf() or _spread_word(q):
        return rewrite(q)
    return q.apply(lambda child: rewrite_leaves(child, rewrite))


def _spread_word(q: Q.Query) -> bool:
    kids = list(q.children()) if isinstance(q, Q.Or) else []
    names = {getattr(k, "fieldname", None) for k in kids}
    return len(kids) == 2 and (names == set(SEARCH_FIELDS) or names == set(EXACT_FIELDS))


def exact_in_titles_too(leaf: Q.Query) -> Q.Query:
    """``exact:word`` means the word as written in the passage text or its title, as a bare
    word does in exact mode (the title is indexed as written in ``title_exact``)."""
    if getattr(leaf, "fieldname", None) != "exact" or isinstance(leaf, Q.Or):
        return leaf
    twin = copy.copy(leaf)
    twin.fieldname = "title_exact"
    return Q.Or([leaf, twin])


FUZZY_VARIANT_SCORE = 0.01
"""What a passage scores for matching a variant of a fuzzy word (``blair~1`` matching
"Claire"): a constant below any real BM25 score, so the word itself always ranks first."""


def exact_matches_first(leaf: Q.Query) -> Q.Query:
    """A fuzzy word as the word itself, scored by BM25, or any variant, scored a constant
    :data:`FUZZY_VARIANT_SCORE` (Whoosh scores every variant alike, so a rare variant in a
    title outranked the word)."""
    if isinstance(leaf, Q.Or):
        return leaf.apply(exact_matches_first)
    if not isinstance(leaf, Q.FuzzyTerm):
        return leaf
    return Q.Or([Q.Term(leaf.fieldname, leaf.text, boost=leaf.boost),
                 Q.ConstantScoreQuery(leaf, FUZZY_VARIANT_SCORE * leaf.boost)])


def expand_fuzzy(q: Q.Query, reader: Any) -> Q.Query:
    """Each fuzzy word replaced by the OR of its variants in the index, found once. Whoosh
    expands a ``FuzzyTerm`` by a scan of the field's whole lexicon each time it is asked (to
    estimate, to match, to highlight): three scans cost seconds on a news index."""

    def expand(leaf: Q.Query) -> Q.Query:
        if isinstance(leaf, Q.Or):
            return leaf.apply(expand)
        if not isinstance(leaf, Q.FuzzyTerm):
            return leaf
        variants = fuzzy_variants(reader, leaf.fieldname, as_str(leaf.text), leaf.maxdist, leaf.prefixlength)
        if not variants:
            return Q.NullQuery
        return Q.Or([Q.Term(leaf.fieldname, v, boost=leaf.boost) for v in variants], boost=1.0)

    return rewrite_leaves(q, expand)


def fuzzy_variants(reader: Any, fieldname: str, word: str, maxdist: int, prefix: int = 0) -> list[str]:
    """The field's terms within ``maxdist`` edits (Damerau: a swap of two neighbours is one)
    of ``word``, sharing its first ``prefix`` characters. Whoosh's own ``terms_within``
    computes the distance of every term of the lexicon; a term whose length differs by more
    than ``maxdist`` cannot be that close, and one edit is checked in one pass."""
    head = word[:prefix]
    out = []
    for raw in (reader.expand_prefix(fieldname, head) if head else reader.lexicon(fieldname)):
        term = as_str(raw)
        if abs(len(term) - len(word)) > maxdist or not term.startswith(head):
            continue
        if term == word or (one_edit(word, term) if maxdist == 1 else
                            damerau_levenshtein(word, term, maxdist + 1) <= maxdist):
            out.append(term)
    return out


def one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by exactly one insertion, deletion, substitution or
    swap of neighbours."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                                          and a[i + 2:] == b[i + 2:])
    return len(b) - len(a) == 1 and a[i:] == b[i + 1:]



_FIELD_REF = re.compile(r"(?<![\w\"])([A-Za-z_][A-Za-z0-9_]*):(?=[^\s])")


_DATE_VALUE = re.compile(r'(?<![\w"])date:("[^"]*"|[^\s\[{()"]+)')


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
        if name not in QUERY_FIELDS:
            fields_ = ", ".join(QUERY_FIELDS)
            raise QuerySyntax(f"unknown field {name!r} in the query (fields: {fields_})",
                              hint=f'to search the word, quote it: "{name}:"')
    for m in _DATE_VALUE.finditer(re.sub(r'(?<!:)"[^"]*"', " ", text)):
        value = m.group(1).strip('"')
        try:
            parsed = schema["date"].parse_query("date", value)
            if isinstance(parsed, type(Q.NullQuery)):  # what Whoosh gives for most bad dates
                raise ValueError(value)
        except Exception as e:  # noqa: BLE001 - Whoosh's date parser raises assorted errors
            raise QuerySyntax(f"date:{m.group(1)} is not a date",
                              hint="date:2020, date:2020-09, date:20200917 or date:[20200901 TO 20200930]") from e
    stripped = text.strip()
    if re.fullmatch(r"(AND|OR|NOT|ANDNOT|ANDMAYBE|\s)+", stripped) or re.search(r"(^|\s)(AND|OR)\s*$", stripped):
        raise QuerySyntax("the query ends with an operator or has no words")


def weight_repeated_words(q: Q.Query, text: str, schema: Any, k3: float) -> Q.Query:
    """Whoosh's parser keeps one leaf per distinct word; give repeated words (common in
    long natural-language queries) back a saturating weight, as BM25's k3 term does."""
    spans = token_spans(text)
    normal, exact = Counter(s[2] for s in spans), Counter(s[3] for s in spans)
    if not spans or max(normal.values()) < 2:
        return q
    for leaf in q.leaves():
        fieldname = getattr(leaf, "fieldname", None)
        if fieldname not in TEXT_FIELDS or type(leaf) is not Q.Term:
            continue
        qtf = (normal if fieldname in SEARCH_FIELDS else exact).get(as_str(leaf.text), 0)
        if qtf > 1:
            leaf.boost *= qtf * (k3 + 1) / (qtf + k3)
    return q


# --- what a parsed query says about itself ----------------------------------------------------

def scored_words(q: Q.Query) -> dict[str, float]:
    """The query's positive words (plain terms and phrase words on text/title) with their
    weights: what an article's ``body`` is scored on. Negated words, wildcard and prefix terms
    and a fuzzy word's variants are left out (the passage score has them); a fuzzy word itself
    counts."""
    words: dict[str, float] = {}

    def walk(node: Q.Query, boost: float) -> None:
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a, boost * node.boost)
            return
        if isinstance(node, Q.ConstantScoreQuery):
            return  # a fuzzy word's variants: a constant in the passage score, nothing in the article's
        if type(node) is Q.Term or isinstance(node, Q.Phrase):
            if node.fieldname in TEXT_FIELDS:
                for w in (node.words if isinstance(node, Q.Phrase) else [node.text]):
                    # A word as written scores its article by its normalised form (body's).
                    w = as_str(w) if node.fieldname in SEARCH_FIELDS else normal_form(as_str(w))
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
    # Every leaf, ranges too (a date range lists no terms: date:1987 matched article records).
    return any(getattr(leaf, "fieldname", None) not in TEXT_FIELDS for leaf in q.leaves())


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
