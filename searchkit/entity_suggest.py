"""Likely duplicates in the entity table, with the evidence, for the user to accept.

The table joins values only on safe evidence (one name key, a gazetteer alias group, a
dominant full name for a bare surname). What it leaves apart but a person would look at
twice is listed here, each suggestion with why and as the ``merge`` edit that accepts it:

* **surname / full name** — a one-word person that is the last word of a full name the
  table did not join it to (too rare, or two people share the surname), with the articles
  that mention both when the index can tell;
* **acronym / expansion** — an all-caps org or place whose letters are the initials of
  another entity of the same type ("OSCE", "Organization for Security and Co-operation in
  Europe"), and, when the index can tell, named in the same articles (the initials alone
  fit too many names: "EC" fits a dozen organisations of a news archive);
* **plural / adjective and spelling variants** — two names of one type whose keys differ by
  a plural ending, a doubled letter or one letter in a long name ("Lukashenka"/"Lukashenko";
  names that differ in their first letters are not compared).

Suggestions that articles naming both support come first, then the rest, each by the
passages involved.

Example::

    for s in suggest_merges(table):
        print(s.edit.to_line(), "#", s.evidence)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .entity_edits import Edit
from .entity_table import EntityTable
from .names import name_key
from .results import FACETS

SharedArticles = Callable[[str, str, str], int]
"""Articles that name both entities (facet, name a, name b)."""

_CONNECTORS = frozenset({"of", "the", "and", "for", "de", "du", "la", "&", "in", "on"})
_DOUBLE = re.compile(r"(.)\1")


@dataclass(frozen=True)
class Suggestion:
    edit: Edit
    evidence: str
    weight: int  # passages involved: the order of the list (after ``shared``)
    shared: int = 0  # articles that name both, when the index was asked


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w and w.casefold() not in _CONNECTORS and w[0].isalpha()).upper()


def _one_letter_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b or min(len(a), len(b)) < 6:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _variant(a: str, b: str) -> str | None:
    """Why two keys look like one name, or None."""
    if a == b:  # the table keeps them apart on purpose: a firm's suffix ("US co" is not the US)
        return None
    if a.rstrip("s") == b.rstrip("s"):
        return "plural"
    if _DOUBLE.sub(r"\1", a) == _DOUBLE.sub(r"\1", b):
        return "doubled letter"
    if _one_letter_apart(a, b):
        return "one letter apart"
    return None


def suggest_merges(table: EntityTable, shared: SharedArticles | None = None, limit: int = 50) -> list[Suggestion]:
    """Suggestions over every facet, the most passages first."""
    found = [s for facet in FACETS for s in _facet_suggestions(table, facet, shared)]
    found.sort(key=lambda s: (s.shared == 0, -s.weight, s.edit.to_line()))
    return found[:limit]


def _facet_suggestions(table: EntityTable, facet: str, shared: SharedArticles | None) -> Iterator[Suggestion]:
    rows = table.groups(facet)
    counts = {name: count for name, _, count in rows}
    singles = [n for n in counts if " " not in n]
    by_last: dict[str, list[str]] = defaultdict(list)
    by_initials: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        words = name.split()
        if len(words) > 1:
            by_last[name_key(words[-1])].append(name)
            by_initials[_initials(name)].append(name)
    if facet == "person":
        for single in singles:
            for full in by_last.get(name_key(single), []):
                both = shared(facet, single, full) if shared else None
                if shared and not both:
                    continue
                yield Suggestion(Edit("merge", facet, full, single), f"surname of {full!r}{_both(both)}",
                                 counts[single] + counts[full], both or 0)
    if facet in ("org", "place"):
        for single in singles:
            if single.isupper() and 2 <= len(single) <= 6:
                for full in by_initials.get(single, []):
                    both = shared(facet, single, full) if shared else None
                    if shared and not both:
                        continue
                    yield Suggestion(Edit("merge", facet, full, single), f"acronym of {full!r}{_both(both)}",
                                     counts[single] + counts[full], both or 0)
    keyed = sorted(((name_key(n), n) for n in counts), key=lambda t: t[0])
    buckets: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, name in keyed:
        buckets[key[:3]].append((key, name))
    for bucket in buckets.values():
        for i, (ka, a) in enumerate(bucket):
            for kb, b in bucket[i + 1:]:
                why = _variant(ka, kb)
                if why:
                    keep, other = (a, b) if counts[a] >= counts[b] else (b, a)
                    both = shared(facet, a, b) if shared else None
                    yield Suggestion(Edit("merge", facet, keep, other), f"{why}: {other!r} / {keep!r}{_both(both)}",
                                     counts[a] + counts[b], both or 0)


def _both(shared: int | None) -> str:
    if not shared:
        return ""
    return "; 1 article names both" if shared == 1 else f"; {shared} articles name both"
