"""What to tell a user whose search found nothing, when it is not a misspelt word.

A spelling suggestion ("did you mean: top blair") is the wrong answer when the words were
fine and a filter emptied the result, or when no passage has every word of an AND query.
This module finds which of those it was; the facade asks it only after zero hits, so none of
it costs an ordinary search anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from whoosh import query as Q

if TYPE_CHECKING:  # the entity modules load only when a hint needs them (start-up time)
    from ..entity_table import EntityTable

KIND_NAMES = {"person": "person", "org": "organisation", "place": "place", "group": "group", "site": "site",
              "tag": "tag"}


def plausible_correction(typed: str, suggested: str) -> bool:
    """True when ``suggested`` is close enough to the word the user typed to offer it as a
    spelling correction: the edits allowed grow with the word's length, as spell checkers and
    fuzzy search engines do ("auto" fuzziness: none up to 2 characters, 1 up to 5, then 2).
    Without it a short word is "corrected" into an unrelated common one ('AT&T' to 'at')."""
    from whoosh.support.levenshtein import damerau_levenshtein

    n = len(typed)
    allowed = 0 if n <= 2 else 1 if n <= 5 else 2
    return damerau_levenshtein(typed.lower(), suggested.lower(), allowed + 1) <= allowed


def close_names(value: str, names: Iterable[tuple[str, str]], n: int = 3) -> list[str]:
    """Up to ``n`` names closest to ``value``: ``names`` are (any alias, the name to show),
    compared case- and accent-insensitively."""
    import difflib

    from ..names import name_key

    by_key: dict[str, str] = {}
    for alias, name in names:
        by_key.setdefault(name_key(alias) or alias.lower(), name)
    key = name_key(value) or value.lower()
    close = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.6)
    if not close:  # a surname or a word of a longer name ("angeles" for "Los Angeles Times")
        close = [k for k in by_key if any(difflib.SequenceMatcher(None, key, part).ratio() >= 0.8
                                          for part in k.split())][:n]
    return list(dict.fromkeys(by_key[k] for k in close))


def unknown_value_hint(unknown: Sequence[tuple[str, str]], table: EntityTable, sites: Callable[[], list[str]],
                       tags: Callable[[], list[str]] = list) -> str:
    """``no such person in the index: 'gordon brwn'; did you mean: Gordon Brown?``"""
    parts = []
    for kind, value in unknown:
        if kind == "site":
            names = sites()
            close = close_names(value, ((n, n) for n in names))
        elif kind == "tag":  # the values of the same key (topics=crud: topics=crude)
            key, _, wanted = value.lower().partition("=")
            names = [n for n in tags() if n.startswith(f"{key}=")] or tags()
            close = close_names(wanted, ((n.partition("=")[2], n) for n in names))
        else:
            names = [name for name, _, _ in table.groups(kind)]
            close = close_names(value, ((alias, name) for name, members, _ in table.groups(kind)
                                        for alias in (name, *(v for _, v in members))))
        msg = f"no such {KIND_NAMES.get(kind, kind)} in the index: {value!r}"
        if close:
            msg += f"; did you mean: {', '.join(close)}?"
        elif kind in ("site", "tag") and names:
            msg += f" ({kind}s: {', '.join(names[:5])}{', …' if len(names) > 5 else ''})"
        parts.append(msg)
    return "; ".join(parts)


def emptying_filters(searcher: Any, q: Q.Query, filters: Sequence[Q.Query], labels: Sequence[str],
                     mask: Q.Query | None) -> str | None:
    """Which filters emptied a search whose query alone matches passages: each filter that
    leaves nothing on its own with the query, or else the filters together. None when the
    query itself matches nothing (then spelling, not a filter, is the likely cause)."""
    if not _matches(searcher, q, mask):
        return None
    alone = [label for f, label in zip(filters, labels) if not _matches(searcher, Q.And([q, f]), mask)]
    if alone:
        return f"the query matches passages, but none with {' and none with '.join(alone)}"
    return f"the query matches passages, but none with all of {', '.join(labels)} together"


def _matches(searcher: Any, q: Q.Query, mask: Q.Query | None) -> bool:
    masked = set(searcher.docs_for_query(mask)) if mask is not None else set()
    return any(d not in masked for d in searcher.docs_for_query(q))


def any_word_hint(searcher: Any, or_query: Q.Query, mask: Q.Query | None) -> str | None:
    """For an AND query of several words with no hits: ``--any`` if some passage has some of them."""
    if _matches(searcher, or_query, mask):
        return "no passage has all the words; --any matches passages with any of them"
    return None


def why_no_hits(index: Any, q: Q.Query, text: str, operator: str, exact: bool, filters: Sequence[Q.Query],
                labels: Sequence[str], mask: Q.Query | None, allowed: set[int] | None) -> str | None:
    """A filter that emptied the result, or ``--any`` for an AND of several words; None when
    the words themselves match nothing (``index`` is the :class:`~searchkit.search.SearchIndex`)."""
    from ..errors import SearchkitError
    from .filters import resolve_fields

    try:
        if filters and allowed is None:
            return emptying_filters(index._searcher, q, filters, labels, mask)
        if operator == "and" and not filters and allowed is None and len(text.split()) > 1:
            any_q = index.parse_query(text, "or", exact=exact)
            any_q, _ = resolve_fields(any_q, index.entity_table, index._site_known)
            if any_q != q:
                return any_word_hint(index._searcher, any_q, mask)
    except SearchkitError:
        return None
    return None


def field_values(searcher: Any, fieldname: str) -> list[str]:
    """Every value of a keyword field (``site``, ``tag``) in the index as the field holds
    them (lower case), most documents first: what a hint suggests from."""
    from .query import as_str

    reader = searcher.reader()
    if fieldname not in reader.schema:
        return []
    values = [(as_str(t), reader.doc_frequency(fieldname, t)) for t in reader.lexicon(fieldname)]
    return [t for t, _ in sorted(values, key=lambda p: -p[1])]
