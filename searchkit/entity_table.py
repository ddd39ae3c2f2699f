"""The index's real entities: every stored value of an entity joined under one name.

The extractor stores *article-local* canonical values ("Lukashenko" in an article that never
gives his first name, "Alexander Lukashenko" in another), each in the field of the type it
decided for that article. :class:`EntityTable` groups the stored values of the whole index
into real entities, so that search can expand a filter value to every stored value of its
entity and group facet counts by one name. Ingest builds it at the end of a run, from the
index's value counts only (no article is read again, so the pass costs the same however many
files were added), and saves it beside the index; search reads it.

The table is also where the index as a whole corrects one article's view:

* **type evidence** — a name stored as ``org`` in most of its passages index-wide is an
  organisation where one article typed it a person ("Chelsea", "Labour", "Yukos"): the
  minority values join the majority type's entity (:data:`TYPE_SHARE`); a name stored as a
  place that the gazetteer does not know needs less to be an organisation
  (:data:`UNKNOWN_PLACE_ORG_SHARE`: "Gazprom", "BT");
* **surnames** — a value that is the surname of full names the index holds as people is a
  person where one article typed it otherwise ("Icahn", "O'Gara"):
  :mod:`searchkit.entity_consistency`;
* **ordinary words** — a one-word value found in only a small share of the passages that
  contain the word is a capitalised ordinary word, not a name ("Home", "Digital", "Bank"):
  it is left out (:data:`NAME_SHARE`);
* **group forms** — plural, "-man" and spelling variants of a group are one group
  ("Tory"/"Tories", "Belarusian"/"Belarussian"/"Belarusians", "Irish"/"Irishman");
* **stable names** — an entity the gazetteer knows is named by the gazetteer ("United
  States", "European Union"), whatever else is ingested; the most frequent stored value
  names the others.

Pure Python on purpose: the query path imports this module, so it must not pull in spaCy.

Example::

    table = EntityTable.build({"person": {"Alexander Lukashenko": 5, "Lukashenko": 2}})
    table.expand("person", "lukashenko")    # {('person', 'Alexander Lukashenko'), ('person', 'Lukashenko')}
    table.canonical("person", "Lukashenko")  # ('person', 'Alexander Lukashenko')
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .entity_consistency import consistent_types, firm_s_holds, nearest_demonym
from .entity_context import context_rules, short_lowercase
from .names import NAME_S, firm_key, gazetteer, name_key, name_rules, strip_title
from .results import FACETS, Entity

TABLE_VERSION = 2

DOMINANCE = 0.75
"""A bare surname stored in the index joins the full name that holds at least this share of
the counts of all full names with that surname; below it (e.g. two Lukashenkos mentioned
about equally) the bare surname stays an entity of its own rather than being merged into
one of them by guess."""
MONONYM_RATIO = 3
"""...and only if that full name is seen at least a third as often as the bare name, or in at
least :data:`FULL_NAME_PASSAGES` passages: a name used far more often alone than a full name
seen once or twice is a name of its own (the footballer "Adriano" is not the "Andreas Adriano"
of one article), while "Reagan" (163, mostly "President Reagan") is the "Ronald Reagan" of 17."""
FULL_NAME_PASSAGES = 5
TYPE_SHARE = 0.75
"""A name key stored under one type in at least this share of its passages (and in at least
:data:`TYPE_MIN_PASSAGES` of them) takes that type everywhere."""
TYPE_MIN_PASSAGES = 3
UNKNOWN_PLACE_ORG_SHARE: float | None = 0.3
"""A value stored as a place that the gazetteer does not know as one, and stored as an
organisation in at least this share of its passages, is an organisation: the places of news
are mostly known ones, and the small model gives firms a place label by their name alone
("BT", "Gazprom" beside "gas giant Gazprom"). None: off. Chosen by leave-one-set-out."""
SHORT_FORM_RATIO: float | None = 1
"""A one-word organisation value that is a head word of organisation names ("United",
"Commission", "Bank", "Radio": ``org_suffixes``) is a bare short form, no entity of its own,
when the index's longer organisation names ending with it are seen in at least this many
times its own passages: "United" (57) beside Manchester, Sheffield, Dundee United (95) names
a different club in each article, while "Parliament" (67) beside European and Scottish
Parliament (33) is an institution named on its own. The article stage joins the head to the
one longer name of its article; this is for the articles that never give it. None: off.
Chosen by leave-one-set-out: see the README."""
NAME_SHARE = 0.2
"""A one-word value (not an acronym) must account for at least this share of the passages
that contain its word and are not explained by a longer name with it; below, the word is
mostly an ordinary word ("Home", "Digital") and the one-word value is dropped."""

Member = tuple[str, str]
"""(stored field, stored value): where a value sits in the index."""
WordPassages = Callable[[str], int | None]
"""Passages of the index that contain a word (None when the index cannot tell)."""

_DOUBLE = re.compile(r"(.)\1")


@dataclass
class _Group:
    """One real entity of one facet: its stored values (with their fields) and counts."""

    name: str
    values: dict[Member, int]
    keys: Collection[str] = field(default_factory=set)
    shared: bool = False
    """A bare surname of several people of the index, none of them dominant ("Keane" of Roy
    and Robbie Keane): no entity of its own, so no facet row or hit name, but a filter on
    the surname still finds its passages (:meth:`EntityTable.expand`)."""

    @property
    def count(self) -> int:
        return sum(self.values.values())


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def table_key(facet: str, value: str) -> str:
    """The name key under which values of ``facet`` join: :func:`name_key`, but a corporate
    suffix is dropped for organisations only ("Tesla Inc" is Tesla; "US co" is not the US), a
    short name in normal case keys as written ("Us" is not "US"), and a group's plural, "-man" and doubled-letter forms fold to one key."""
    if facet != "person" and short_lowercase(value):
        return "=" + value  # "Us" is a word, not "US": it joins no other spelling
    key = name_key(value)
    last = value.split()[-1].rstrip(".").casefold() if value.split() else ""
    if facet != "org" and len(value.split()) > 1 and last in name_rules().corporate_suffixes:
        key = f"{key} {last}"
    if facet == "org":
        key = firm_key(key)  # "Merrill Lynch and Co Inc" is Merrill Lynch
    return group_key(key) if facet == "group" else key


def group_key(key: str) -> str:
    """One key for the forms of a group: "tories" → "conservative" (``group_forms`` data),
    "belarusians" and "belarussian" → "belarusian", "irishman" → "irish", the misspelt
    "jaspanese" → "japanese"."""
    forms = context_rules().group_forms
    if key in forms:
        return name_key(forms[key])
    words = key.split()
    if not words:
        return key
    last = words[-1]
    if len(last) > 6 and last.endswith(("man", "men")):
        last = last[:-3]
    elif len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 4 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    folded = " ".join([*words[:-1], last])
    if folded in forms:
        return name_key(forms[folded])
    return nearest_demonym(_DOUBLE.sub(r"\1", folded))


def _choose_name(facet: str, values: Mapping[Member, int], preferred: str | None, own_key: str | None) -> str:
    """The gazetteer's name when it knows the entity; otherwise the most frequent stored
    value (for people a full name beats a bare surname; for groups the plain form beats a
    plural; for organisations the form with its 's, which an article kept as the firm's own
    ("Moody's said"), beats the same name without it)."""
    if preferred:
        return preferred
    counts: Counter[str] = Counter()
    for (_, v), c in values.items():
        counts[v] += c
    with_s = {v[:-2] for v in counts if facet == "org" and v.endswith(NAME_S)
              and firm_s_holds(counts[v], counts.get(v[:-2], 0))}

    def rank(v: str) -> tuple[int, int, int, int, str]:
        full = 1 if facet == "person" and len(v.split()) > 1 else 0
        plain = 1 if own_key is not None and _DOUBLE.sub(r"\1", name_key(v)) == own_key else 0
        plain -= 1 if v in with_s else 0
        return (full, plain, counts[v], -len(v), v)

    return max(counts, key=rank)


def _group_form_names() -> dict[str, str]:
    """Group key -> the name the ``group_forms`` data gives that group."""
    return {name_key(n): n for n in set(context_rules().group_forms.values())}


def _join_dominant_surnames(uf: _UnionFind, values: Mapping[Member, int], keys: Mapping[Member, str]) -> set[Member]:
    """Join each bare surname to the full name it dominantly refers to (DOMINANCE,
    MONONYM_RATIO); return the bare surnames shared by several people, none dominant: two
    or more full names that start with a given name ("Roy Keane", "Robbie Keane"; not "Old
    Labour" nor "Kill Bill") and none with DOMINANCE of their counts. Such a value names a
    different person in each article, so it is no entity of its own (:attr:`_Group.shared`)."""
    from .entity_candidates import given_names

    given = given_names()
    shared: set[Member] = set()
    groups: dict[str, list[Member]] = defaultdict(list)
    for v in values:
        groups[uf.find(_node(v))].append(v)
    by_surname: dict[str, set[str]] = defaultdict(set)
    for root, members in groups.items():
        for v in members:
            parts = keys[v].split()
            if len(parts) > 1:
                by_surname[parts[-1]].add(root)
    for v in values:
        parts = keys[v].split()
        if len(parts) != 1 or parts[0] not in by_surname:
            continue
        candidates = {r for r in by_surname[parts[0]] if r != uf.find(_node(v))}
        if not candidates:
            continue
        weight = {r: sum(values[m] for m in groups[r]) for r in candidates}
        best = max(weight, key=lambda r: (weight[r], r))
        common = weight[best] >= FULL_NAME_PASSAGES or weight[best] * MONONYM_RATIO >= values[v]
        if weight[best] >= DOMINANCE * sum(weight.values()):
            if common:
                uf.union(_node(v), best)
            continue
        people = {r: w for r, w in weight.items() if any(keys[m].split()[0] in given for m in groups[r] if len(keys[m].split()) > 1)}
        if len(people) > 1 and max(people.values()) < DOMINANCE * sum(people.values()):
            shared.add(v)
    return shared


def _node(member: Member) -> str:
    return "v:" + member[0] + "\x1f" + member[1]


def _group_facet(facet: str, values: Mapping[Member, int]) -> list[_Group]:
    gaz = gazetteer()
    keys = {m: table_key(facet, m[1]) for m in values}
    uf = _UnionFind()  # nodes: "v:" stored member, "key:" name key, "gaz:" gazetteer group
    for m, k in keys.items():
        uf.find(_node(m))
        if k:
            uf.union(_node(m), "key:" + k)
        if k in gaz.alias_group and facet in ("place", "org"):
            uf.union(_node(m), "gaz:" + gaz.alias_group[k])
    shared = _join_dominant_surnames(uf, values, keys) if facet == "person" else set()
    members: dict[str, dict[Member, int]] = defaultdict(dict)
    for m, c in values.items():
        members[uf.find(_node(m))][m] = c
    alias_keys: dict[str, set[str]] = defaultdict(set)
    for k, g in gaz.alias_group.items():
        alias_keys[g].add(k)
    out = []
    for vals in members.values():
        gnames = {gaz.alias_group[keys[m]] for m in vals if keys[m] in gaz.alias_group} if facet in ("place", "org") else set()
        preferred = min(gnames) if gnames else None
        own = next(iter({keys[m] for m in vals})) if facet == "group" else None
        if own is not None and preferred is None:
            preferred = _group_form_names().get(own)  # "Conservative" for Tory/Tories/Conservatives
        group = _Group(_choose_name(facet, vals, preferred, own), dict(vals), {keys[m] for m in vals})
        group.keys = set(group.keys) | {name_key(m[1]) for m in vals if not keys[m].startswith("=")}
        group.shared = bool(shared) and all(len(keys[m].split()) == 1 for m in vals) and any(m in shared for m in vals)
        for g in gnames:
            group.keys |= alias_keys[g]
        out.append(group)
    return out


def decide_types(counts: Mapping[str, Mapping[str, int]], word_passages: WordPassages | None = None
                 ) -> tuple[dict[str, dict[Member, int]], set[Member]]:
    """Index-wide type evidence: the facet each stored (field, value) belongs to, and the
    members dropped as ordinary words. Pure over the counts, so it is re-run at the end of
    every ingest in time proportional to the distinct values, not to the articles."""
    gaz = gazetteer()
    forms = context_rules().group_forms  # "Lib Dems" the person and the group are one name

    def evidence_key(v: str) -> str:
        key = name_key(v)
        return name_key(forms[key]) if key in forms else key

    by_key: dict[str, Counter[str]] = defaultdict(Counter)
    for f, vals in counts.items():
        for v, c in vals.items():
            by_key[evidence_key(v)][f] += c
    in_longer: Counter[str] = Counter()  # passages of longer names that have a word as one of theirs
    for f, vals in counts.items():
        for v, c in vals.items():
            words = set(name_key(v).split())
            if len(words) > 1:
                for word in words:
                    in_longer[word] += c
    heads = name_rules().org_suffixes
    as_head: Counter[str] = Counter()  # passages of longer organisation names, by their last word
    for v, c in counts.get("org", {}).items():
        words = name_key(v).split()
        if len(words) > 1 and words[-1] in heads:
            as_head[words[-1]] += c
    out: dict[str, dict[Member, int]] = {f: {} for f in FACETS}
    dropped: set[Member] = set()
    for f, vals in counts.items():
        for v, c in vals.items():
            key = name_key(v)
            tally = by_key[evidence_key(v)]
            if _no_name(f, v) or (word_passages is not None
                                  and _ordinary_word(v, key, sum(tally.values()), in_longer[key], word_passages)):
                dropped.add((f, v))
                continue
            top, n = max(tally.items(), key=lambda t: (t[1], t[0] == f))
            facet = top if top != f and n >= TYPE_MIN_PASSAGES and n >= TYPE_SHARE * sum(tally.values()) else f
            known = gaz.facet.get(key) or ("group" if key in name_rules().group_words else None)
            if facet == "place" and known != "place" and UNKNOWN_PLACE_ORG_SHARE is not None and (
                    tally["org"] >= TYPE_MIN_PASSAGES and tally["org"] >= UNKNOWN_PLACE_ORG_SHARE * sum(tally.values())):
                facet = "org"
            if f == "person" and " " not in key and known is not None and known != "person":
                facet = known  # "Welsh" is a demonym and "Kremlin" an organisation, never a person
            if facet == "org" and SHORT_FORM_RATIO is not None and key in heads and not v.isupper() and (
                    as_head[key] > 0 and as_head[key] >= SHORT_FORM_RATIO * sum(tally.values())):
                dropped.add((f, v))  # "United" of the index's many Uniteds
                continue
            out.setdefault(facet, {})[(f, v)] = c
    return consistent_types(out), dropped


_TRAILING_WORDS = frozenset({"the", "a", "an", "of", "and", "for", "to", "in", "on"})


def _no_name(facet: str, value: str) -> bool:
    """A value no article stage should have kept: one ending in a small word ("I. The") or, but
    for people, a short word in normal case ("Man" of "Man Utd", "Us"). Values stored before
    the article rules existed are dropped here too."""
    words = value.split()
    if not words or words[-1].casefold() in _TRAILING_WORDS:
        return True
    return facet != "person" and len(words) == 1 and short_lowercase(value)


def _ordinary_word(value: str, key: str, passages: int, in_longer: int, word_passages: WordPassages) -> bool:
    """Whether a one-word value is a capitalised ordinary word: of the passages that contain
    the word and no longer name with it ("Bank of England" explains "bank"), the value alone
    accounts for too few. A bare "Lukashenko" beside "Alexander Lukashenko" leaves nothing
    unexplained and stays; "Digital", "Radio" and "House" are dropped."""
    if " " in key or not key or value.isupper() or any(ch.isdigit() for ch in value):
        return False
    found = word_passages(key)
    if found is None:
        return False
    if found == 0:
        return True  # a stop word of the index ("Who", "Us")
    unexplained = found - in_longer
    return unexplained > 0 and passages < NAME_SHARE * unexplained


class EntityTable:
    """The index's real entities per facet, with every stored value that names each one.

    Built by ingest from the index's facet value counts and saved as JSON beside the index;
    search loads it to expand filter values (:meth:`expand`) and to name and type stored
    values (:meth:`canonical`).
    """

    def __init__(self, groups: Mapping[str, Sequence[_Group]], dropped: Iterable[Member] = (),
                 raw: Mapping[str, list[dict[str, Any]]] | None = None) -> None:
        self._built = {f: list(gs) for f, gs in groups.items()}
        # A facet's groups as saved (``from_json``), made into groups on first use: a filter
        # on people needs neither the organisations nor the places (18k entities of an
        # archive of 5,000 articles: ~100 ms of a filtered search's start-up for all of them).
        self._raw = dict(raw or {})
        self._dropped = set(dropped)
        self._sorted: dict[str, list[tuple[str, tuple[Member, ...], int]]] = {}
        # Lookup tables, built on first use: a search needs canonical names for its hits but
        # only looks up filter values when it has filters, and only in their facets.
        self._value_index: dict[Member, tuple[str, _Group]] | None = None
        self._key_index: dict[str, tuple[dict[str, _Group], dict[str, list[_Group]]]] = {}

    def _facet_groups(self, facet: str) -> list[_Group]:
        """The groups of one facet (made from the saved table on first use)."""
        if facet in self._raw:
            self._built[facet] = [_Group(g["name"], {(m[0], m[1]): m[2] for m in g["values"]}, g["keys"],
                                         bool(g.get("shared"))) for g in self._raw.pop(facet)]
        return self._built.get(facet, [])

    @property
    def _groups(self) -> dict[str, list[_Group]]:
        """Every facet's groups (all made now)."""
        for facet in list(self._raw):
            self._facet_groups(facet)
        return self._built

    @property
    def _by_value(self) -> dict[Member, tuple[str, _Group]]:
        if self._value_index is None:
            self._value_index = {m: (facet, g) for facet, gs in self._groups.items() for g in gs for m in g.values}
        return self._value_index

    def _keys(self, facet: str) -> tuple[dict[str, _Group], dict[str, list[_Group]]]:
        """A facet's groups by name key (the most passages first for a shared key) and, for
        people, by surname."""
        index = self._key_index.get(facet)
        if index is None:
            by_key: dict[str, _Group] = {}
            by_surname: dict[str, list[_Group]] = defaultdict(list)
            for g in sorted(self._facet_groups(facet), key=lambda g: -g.count):
                for k in sorted(g.keys):
                    by_key.setdefault(k, g)
                if facet == "person":
                    for surname in {k.split()[-1] for k in g.keys if len(k.split()) > 1}:
                        by_surname[surname].append(g)
            index = self._key_index[facet] = (by_key, by_surname)
        return index

    @classmethod
    def build(cls, counts: Mapping[str, Mapping[str, int]], word_passages: WordPassages | None = None) -> EntityTable:
        """Group the stored values (``field -> {value: passages}``) into entities, with the
        index-wide type evidence and, given ``word_passages``, the ordinary-word test."""
        typed, dropped = decide_types(counts, word_passages)
        return cls({f: _group_facet(f, vals) for f, vals in typed.items() if vals}, dropped)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": TABLE_VERSION,
            "facets": {
                f: [{"name": g.name, "values": [[m[0], m[1], c] for m, c in g.values.items()], "keys": sorted(g.keys),
                     **({"shared": True} if g.shared else {})}
                    for g in gs]
                for f, gs in self._groups.items()
            },
            "dropped": sorted([list(m) for m in self._dropped]),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> EntityTable:
        if d.get("version") != TABLE_VERSION:
            raise ValueError(f"entity table version {d.get('version')!r}, expected {TABLE_VERSION}")
        # Written by to_json: names are strings and counts integers already.
        return cls({}, [(m[0], m[1]) for m in d.get("dropped", [])], raw=d["facets"])

    def _match(self, facet: str, key: str) -> list[_Group]:
        by_key, by_surname = self._keys(facet)
        found = []
        for k in {key, group_key(key)} if facet == "group" else {key}:
            if k in by_key and by_key[k] not in found:
                found.append(by_key[k])
        if facet == "person" and len(key.split()) == 1:
            found.extend(g for g in by_surname.get(key, []) if g not in found)
        return found

    def expand(self, facet: str, value: str) -> set[Member]:
        """The stored (field, value) pairs a filter value matches, case-insensitively, by any
        alias and, for people, by surname (every person of that surname: a filter is an OR).
        A value stored under another type but moved to ``facet`` by the index-wide evidence
        is found in its own field.

        A value naming no entity gives an empty set. ``expand("person", "Belarussian
        President Alexander Lukashenko")`` works too: a title is tried off as a fallback.
        """
        exact = self._match(facet, "=" + value) if facet != "person" and short_lowercase(value) else []
        groups = exact or self._match(facet, name_key(value))
        if not groups:
            stripped = strip_title(value)
            if stripped and stripped != value:
                groups = self._match(facet, name_key(stripped))
        return {m for g in groups for m in g.values}

    def canonical(self, field_name: str, stored_value: str) -> tuple[str, str] | None:
        """(facet, index-wide name) of a stored value; the value itself in its field if the
        table lacks it (an ingest still running); None for a value dropped as no name or a
        bare surname of several people (:attr:`_Group.shared`)."""
        member = (field_name, stored_value)
        if member in self._dropped:
            return None
        hit = self._by_value.get(member)
        if hit and hit[1].shared:
            return None
        return (hit[0], hit[1].name) if hit else (field_name, stored_value)

    def canonical_names(self) -> dict[str, dict[str, list[str] | None]]:
        """field -> stored value -> ``[facet, name]`` for each stored value whose facet or name
        differs from its own (None for a value dropped as no name or a shared bare surname): all
        that a search hit needs of the table (written beside it, so a plain search never loads it)."""
        out: dict[str, dict[str, list[str] | None]] = {}
        for facet, gs in self._groups.items():
            for g in gs:
                for field_name, value in g.values:
                    if g.shared:
                        out.setdefault(field_name, {})[value] = None
                    elif (facet, g.name) != (field_name, value):
                        out.setdefault(field_name, {})[value] = [facet, g.name]
        for field_name, value in self._dropped:
            out.setdefault(field_name, {})[value] = None
        return out

    def groups(self, facet: str) -> list[tuple[str, tuple[Member, ...], int]]:
        """(name, stored members, passages) of each entity of a facet, most passages first.
        The count sums its values' passages, so it bounds the passages naming the entity."""
        cached = self._sorted.get(facet)
        if cached is None:
            cached = sorted(((g.name, tuple(g.values), g.count) for g in self._facet_groups(facet) if not g.shared),
                            key=lambda t: (-t[2], t[0]))
            self._sorted[facet] = cached
        return cached

    def entities(self, facet: str | None = None) -> list[Entity]:
        """One row per real entity, most mentioned first."""
        facets: Iterable[str] = [facet] if facet else [f for f in FACETS if f in self._built or f in self._raw]
        rows = [
            Entity(g.name, f, g.count, tuple(sorted({m[1] for m in g.values} - {g.name})))
            for f in facets
            for g in self._facet_groups(f)
            if not g.shared
        ]
        return sorted(rows, key=lambda e: (-e.count, FACETS.index(e.type) if e.type in FACETS else 99, e.name))
