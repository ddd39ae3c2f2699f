"""The index-wide type-consistency pass over the entity table: what one article cannot see.

The article stage types a one-word name from one article's evidence, and the small model
is consistent in its mistakes: "Redstone said" is an organisation in every Reuters story
that never repeats Carl Icahn's first name, "O'Gara" a place, "Campese" a people. At the end of ingest the
index as a whole knows more: which words are the surnames of the people it holds. :func:`consistent_types` uses that, after the share vote
of :func:`searchkit.entity_table.decide_types`:

* **a misspelt demonym is the demonym** — a group value one letter away from a known
  demonym of at least :data:`MISSPELLING_MIN_LETTERS` letters is that demonym
  ("Ameican", "Jaspanese", "Canadaian" in wire copy): :func:`nearest_demonym`;
* **a surname is a person** — a value that is no known place, organisation or people
  and is the last word(s) of full names stored as people ("Redstone" of "Sumner
  Redstone", "Kilroy-Silk" of "Robert Kilroy-Silk") is a person, unless the index holds
  as many longer names of its own type that start with it ("Goldman" of "Goldman Sachs",
  "Ford" of "Ford Motor Co"), and only if those full names are common enough beside it
  (:data:`SURNAME_SHARE`);
* **a firm's short name is the firm** — a person value that the index holds as the short
  name of longer firm names ("Merrill Lynch" of "Merrill Lynch and Co Inc") is an
  organisation (:data:`FIRM_SHARE`): the mirror of the surname rule;
* **a person the index never names in full is weakly a person** — a person value that
  starts with no given name ("Everton", "Aston Villa", "Anfield") and of which the index
  holds few or no full names (it is the surname of full names seen in under
  :data:`SURNAME_SHARE` of its passages) takes the other type its name is stored as, when
  that type has at least :data:`UNNAMED_PERSON_OTHER_SHARE` of the name's passages: news
  introduces a person by full name at least once, a club or a ground never has one, and
  the model's PERSON label for a one-word name is its guess from the name alone;

Pure Python, like the table it serves (the query path may rebuild the table).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import cache

from .names import NAME_S, firm_key, gazetteer, name_key, name_rules

Member = tuple[str, str]

FIRM_S_SHARE = 0.25
"""A firm's form with its 's ("Moody's", which an article kept because it said "Moody's said")
is the firm's own name when it has at least this share of the passages of the same name
without it: then the name is no person's surname and the group is named with the 's. Below
it the 's form is an article's slip ("the win was Labour's.") and changes nothing."""
SURNAME_SHARE = 0.33
"""A value moves to people only when the full names it is the surname of are seen in at
least this share of its own passages: a firm named after its founder ("Disney",
20, beside one "Roy Disney") stays a firm, "Icahn" (17, beside 8 "Carl Icahn") is the man.
Chosen by leave-one-set-out over the dev archives: see the README."""


FIRM_SHARE: float | None = 0.5
"""A person value that is the short name of firms the index holds ("Merrill Lynch" of
"Merrill Lynch and Co Inc", "Alex. Brown" of "Alex. Brown and Sons Inc") is that firm when
the firm's longer names are seen in at least this many times its own passages. None: off.
Chosen by leave-one-set-out over the dev archives: see the README."""


UNNAMED_PERSON_OTHER_SHARE: float | None = 0.4
"""A person value with no given name and (nearly) no full name in the index takes the
organisation or place type its name also has in at least this share of its passages
("Everton" the club, stored as an organisation where a fixture or "Everton boss" told the
article). None: off. Chosen by leave-one-set-out over the dev archives: see the README."""


MISSPELLING_MIN_LETTERS = 6
"""Shorter demonyms are too close to each other and to other words ("Thai"/"Tha", "Malian"
is six letters, "Malay" five): one letter away is a misspelling only from six letters on."""

_DOUBLE = re.compile(r"(.)\1")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _demonyms_by_deletion() -> tuple[frozenset[str], dict[str, str]]:
    """The known demonym keys (doubled letters folded, as group keys are) and, for each string
    one deletion away from one of them, that demonym (the first in order, for a stable answer)."""
    known = sorted({_DOUBLE.sub(r"\1", d) for d in gazetteer().demonyms if " " not in d})
    by_deletion: dict[str, str] = {}
    for d in known:
        if len(d) >= MISSPELLING_MIN_LETTERS:
            for v in _deletions(d):
                by_deletion.setdefault(v, d)
    return frozenset(known), by_deletion


def nearest_demonym(key: str) -> str:
    """``key`` itself when it is a known demonym or none is one edit away (an insertion, a
    deletion, a substitution); else that demonym: "ameican" → "american", "jaspanese" →
    "japanese". Used by the group key of the entity table, so the misspelling joins the group."""
    known, by_deletion = _demonyms_by_deletion()
    if key in known or " " in key or len(key) < MISSPELLING_MIN_LETTERS - 1:
        return key
    if key in by_deletion:  # a letter missing: "ameican"
        return by_deletion[key]
    for v in _deletions(key):
        if v in known and len(v) >= MISSPELLING_MIN_LETTERS:  # a letter too many: "jaspanese"
            return v
        if v in by_deletion:  # a letter changed: "canadiun"
            return by_deletion[v]
    return key


def _surnames(value: str, key: str, given: frozenset[str]) -> list[str]:
    """What a full person name gives as its surname: "Robert Kilroy-Silk" → "kilroy silk",
    "silk"; only for a name that starts with a given name written as one ("Sumner" is none,
    nor the acronym "US" of "US Navy"), so that a mis-typed "Entering Westminster" gives none."""
    words, written = key.split(), value.split()
    if not 2 <= len(words) <= 4 or words[0] not in given or not written or written[0].isupper():
        return []
    return list(dict.fromkeys([" ".join(words[1:]), words[-1]]))


def _prefixes(key: str) -> list[str]:
    words = key.split()
    return [" ".join(words[:i]) for i in range(1, len(words))]


def _known(key: str) -> bool:
    """A name the gazetteer or the group data types: the pass never retypes it."""
    from .entity_context import context_rules

    return key in gazetteer().facet or key in name_rules().group_words or key in context_rules().group_forms


def firm_s_holds(with_s: int, without: int) -> bool:
    """Whether a name's form with its 's, seen in ``with_s`` passages, is the firm's own name
    beside the form without it, seen in ``without`` (:data:`FIRM_S_SHARE`)."""
    return with_s >= FIRM_S_SHARE * without


def firm_s_keys(orgs: Mapping[Member, int], keys: Mapping[Member, str]) -> set[str]:
    """The name keys whose organisation values with a kept 's hold :data:`FIRM_S_SHARE` of
    the passages of the values without it."""
    with_s: Counter[str] = Counter()
    without: Counter[str] = Counter()
    for m, c in orgs.items():
        (with_s if m[1].endswith(NAME_S) else without)[keys[m]] += c
    return {k for k, c in with_s.items() if firm_s_holds(c, without[k])}


def consistent_types(typed: Mapping[str, Mapping[Member, int]]) -> dict[str, dict[Member, int]]:
    """``typed`` (facet → {stored member: passages}) with the surnames of the index's people
    moved to people."""
    from .entity_candidates import given_names

    keys = {m: name_key(m[1]) for vals in typed.values() for m in vals}
    as_surname: Counter[str] = Counter()  # passages of full person names, by each word-suffix
    given = given_names()
    for m, c in typed.get("person", {}).items():
        for s in _surnames(m[1], keys[m], given):
            as_surname[s] += c
    starts: dict[str, Counter[str]] = {}  # facet -> passages of its longer names, by each word-prefix
    for facet, vals in typed.items():
        counter: Counter[str] = Counter()
        for m, c in vals.items():
            for p in _prefixes(keys[m]):
                counter[p] += c
        starts[facet] = counter
    firms: Counter[str] = Counter()  # passages of org names with a corporate suffix, by their short name
    for m, c in typed.get("org", {}).items():
        short = firm_key(keys[m])
        if short != keys[m] or len(m[1].split()) > len(keys[m].split()):
            firms[short] += c
    # a firm whose articles keep its 's ("Moody's said") is no person's surname, in any form
    firm_s = firm_s_keys(typed.get("org", {}), keys)
    out: dict[str, dict[Member, int]] = {f: dict(vals) for f, vals in typed.items()}
    if FIRM_SHARE is not None:
        for m, c in typed.get("person", {}).items():
            if len(keys[m].split()) > 1 and firms[keys[m]] >= FIRM_SHARE * c and not _known(keys[m]):
                del out["person"][m]
                out.setdefault("org", {})[m] = c
    if UNNAMED_PERSON_OTHER_SHARE is not None:
        _unnamed_people_to_other_types(typed, out, keys, as_surname, given)
    for facet, vals in typed.items():
        for m, c in vals.items():
            key = keys[m]
            if facet != "person":
                surname = as_surname[key]
                if (surname > starts[facet][key] and surname >= SURNAME_SHARE * c and not m[1].isupper() and not _known(key)
                        and key not in firm_s):
                    del out[facet][m]
                    out.setdefault("person", {})[m] = c
    return out


def _unnamed_people_to_other_types(typed: Mapping[str, Mapping[Member, int]], out: dict[str, dict[Member, int]],
                                   keys: Mapping[Member, str], as_surname: Mapping[str, int], given: frozenset[str]) -> None:
    """Move to ``out``'s organisation or place the person values the index never names in
    full (:data:`UNNAMED_PERSON_OTHER_SHARE`)."""
    by_key: dict[str, Counter[str]] = {}
    for facet, vals in typed.items():
        for m, c in vals.items():
            by_key.setdefault(keys[m], Counter())[facet] += c
    share = UNNAMED_PERSON_OTHER_SHARE or 0.0
    for m, c in typed.get("person", {}).items():
        key = keys[m]
        words = key.split()
        if not words or words[0] in given or _known(key) or as_surname.get(key, 0) >= SURNAME_SHARE * c:
            continue
        tally = by_key[key]
        other, n = max(((f, tally[f]) for f in ("org", "place")), key=lambda t: (t[1], t[0] == "org"))
        if n > 0 and n >= share * sum(tally.values()) and m in out.get("person", {}):
            del out["person"][m]
            out.setdefault(other, {})[m] = c
