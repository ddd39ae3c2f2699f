"""Entity names across the index: name keys, gazetteer aliases and the canonical entity table.

The extractor stores *article-local* canonical values ("Lukashenko" in an article that never
gives his first name, "Alexander Lukashenko" in another). :class:`EntityTable` groups the
stored values of the whole index into real entities, so that search can expand a filter
value to every stored value of its entity and group facet counts by one name.

Pure Python on purpose: the query path imports this module, so it must not pull in spaCy.
The small rules and gazetteer files it reads are loaded once, on first use.

Example::

    table = EntityTable.build({"person": {"Alexander Lukashenko": 5, "Lukashenko": 2}})
    table.expand("person", "lukashenko")    # {'Alexander Lukashenko', 'Lukashenko'}
    table.canonical("person", "Lukashenko")  # 'Alexander Lukashenko'
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .records import FACETS, Entity

TABLE_VERSION = 1
DATA_DIR = Path(__file__).parent / "data"

DOMINANCE = 0.75
"""A bare surname stored in the index joins the full name that holds at least this share of
the counts of all full names with that surname; below it (e.g. two Lukashenkos mentioned
about equally) the bare surname stays an entity of its own rather than being merged into
one of them by guess."""

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}|(?:[A-Za-z]\.)+[A-Za-z]")
_DEMONYM_SHAPE = re.compile(r"[A-Z][a-z]+(?:ian|ean|an|ese|ish|ic|i)")
_KEY_DROP = re.compile(r"[.,\"“”()\[\]]")
_KEY_SPACE = re.compile(r"[\s\-\u2013\u2014_/]+")


# --- rules and gazetteers (data files under searchkit/data) -----------------------------------


def _read_data(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class NameRules:
    """Word lists for cleaning a name: honorifics and titles to strip, junk to drop."""

    labels: Mapping[str, str]
    honorifics: frozenset[str]
    titles: frozenset[str]
    title_modifiers: frozenset[str]
    determiners: frozenset[str]
    junk: frozenset[str]
    org_suffixes: frozenset[str]  # last words that make a name an organisation ("Corp", "Ministry")
    name_particles: frozenset[str]  # lowercase words inside a person's name ("van", "bin")
    place_suffixes: frozenset[str]  # last words that make a name a place ("Street", "Airport")
    calendar: frozenset[str]  # months and weekdays: never a name, whatever the model says
    modifier_suffixes: tuple[str, ...]  # "Ontario-based Magna": a leading word to drop
    group_words: frozenset[str]  # religious, political and ethnic groups that no demonym list has
    place_word_endings: tuple[str, ...]  # "Nottinghamshire", "Ekaterinburg": one-word toponyms
    corporate_suffixes: frozenset[str]  # "Tesla Inc." is "Tesla": dropped from name keys


@cache
def name_rules() -> NameRules:
    """The rules in ``data/entities_rules.json`` (read once per process)."""
    raw = json.loads(_read_data("entities_rules.json"))
    return NameRules(
        labels=dict(raw["labels"]),
        honorifics=frozenset(raw["honorifics"]),
        titles=frozenset(raw["titles"]),
        title_modifiers=frozenset(raw["title_modifiers"]),
        determiners=frozenset(raw["leading_determiners"]),
        junk=frozenset(raw["junk"]),
        org_suffixes=frozenset(raw["org_suffixes"]),
        name_particles=frozenset(raw["name_particles"]),
        place_suffixes=frozenset(raw["place_suffixes"]),
        calendar=frozenset(raw["calendar"]),
        modifier_suffixes=tuple(raw["leading_modifier_suffixes"]),
        group_words=frozenset(raw["group_words"]),
        place_word_endings=tuple(raw["place_word_endings"]),
        corporate_suffixes=frozenset(raw["corporate_suffixes"]),
    )


@dataclass(frozen=True)
class Gazetteer:
    """Known names by name key: their facet and, for aliases, the name of their alias group.

    ``alias_group`` maps every spelling of a country or organisation ("us", "usa", "united
    states", "america") to one group name ("United States"), which is how "U.S." in one
    article and "United States" in another become one entity of the index.
    """

    facet: Mapping[str, str]
    alias_group: Mapping[str, str]
    countries: frozenset[str]
    cities: frozenset[str]
    demonyms: frozenset[str]
    span_limit: Mapping[str, int]  # first word of a known name's key -> most tokens to try


@cache
def gazetteer() -> Gazetteer:
    """Countries, capitals, big cities, regions, demonyms and major organisations (read once)."""
    places = json.loads(_read_data("gazetteer_places.json"))
    orgs = json.loads(_read_data("gazetteer_orgs.json"))
    extra = json.loads(_read_data("entities_rules.json"))["extra_place_aliases"]
    facet: dict[str, str] = {}
    group: dict[str, str] = {}
    countries: set[str] = set()
    demonyms: set[str] = set()

    span_limit: dict[str, int] = {}

    def add(name: str, kind: str, group_name: str | None = None) -> None:
        key = name_key(name)
        if key:
            tokens = len(re.findall(r"\w+|[^\w\s]", name))  # an upper bound on spaCy's tokens
            first = key.split()[0]
            span_limit[first] = max(span_limit.get(first, 0), tokens)
        if key and key not in facet:
            facet[key] = kind
        if group_name and key:
            group.setdefault(key, group_name)

    for c in places["countries"]:
        for n in [c["name"], *c["aliases"], *extra.get(c["name"], [])]:
            add(n, "place", c["name"])
            countries.add(name_key(n))
        if c.get("capital"):
            add(c["capital"], "place")
        for d in (c.get("demonym") or "").split(","):
            if d.strip():
                demonyms.add(name_key(d))
    for n in [*places["cities"], *places["regions"], *json.loads(_read_data("entities_rules.json"))["extra_places"]]:
        add(n, "place")
    for o in orgs["organisations"]:
        for n in [o["name"], *o["aliases"]]:
            add(n, "org", o["name"])
    for d in demonyms:
        facet.setdefault(d, "group")
    cities = frozenset(name_key(n) for n in places["cities"])
    return Gazetteer(facet, group, frozenset(countries), cities, frozenset(demonyms), span_limit)


# --- name forms and keys -----------------------------------------------------------------------


def undot_acronym(word: str) -> str:
    """``E.U.`` → ``EU``, ``U.S.A`` → ``USA``; any other word unchanged."""
    if _DOTTED_ACRONYM.fullmatch(word):
        return word.replace(".", "").upper()
    return word


def strip_possessive(text: str) -> str:
    """Drop a trailing possessive: ``Lukashenko’s`` and ``Belarus'`` → the name itself."""
    t = text.rstrip()
    for suffix in ("'s", "\u2019s", "'S", "\u2019S", "'", "\u2019"):
        if t.endswith(suffix) and len(t) > len(suffix):
            return t[: -len(suffix)].rstrip()
    return t


def looks_like_demonym(word: str) -> bool:
    """A capitalised adjective of nationality ("Belarussian", "Polish", "Iraqi"); used only
    inside a run of title words, where a false positive costs nothing."""
    return bool(_DEMONYM_SHAPE.fullmatch(word))


def title_prefix_length(words: Sequence[str]) -> int:
    """How many leading words form a title ("Belarussian President", "Mr.", "Deputy Foreign
    Minister"). The run must contain an honorific or title word and end on one; the last word
    is never part of it, so a name always remains."""
    rules = name_rules()
    end = 0
    for i, w in enumerate(words[:-1]):
        lw = w.rstrip(".").casefold()
        parts = lw.split("-")
        if lw in rules.honorifics or lw in rules.titles or (
            len(parts) > 1 and parts[-1] in rules.titles and all(p in rules.titles | rules.title_modifiers for p in parts)
        ):
            end = i + 1
        elif not (lw in rules.title_modifiers or looks_like_demonym(w)):
            break
    return end


def display_form(text: str) -> str:
    """The readable canonical form of a surface name: whitespace collapsed, a leading "the"
    and a trailing possessive dropped, dotted acronyms undotted (``the E.U.’s`` → ``EU``)."""
    words = strip_possessive(" ".join(text.split())).split()
    while len(words) > 1 and words[0].casefold() in name_rules().determiners:
        words = words[1:]
    return " ".join(undot_acronym(w) for w in words)


_UNDECOMPOSABLE = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
                                 "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th"})


def _fold(text: str) -> str:
    """Accent-fold so that "Paweł" and "Pawel", "Zürich" and "Zurich" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 16)  # pure and called for every capitalised word of an article
def name_key(text: str) -> str:
    """The comparison key of a name: case-, accent-, dot- and hyphen-insensitive.

    ``name_key("the U.S.")`` == ``name_key("US")`` == ``"us"``; ``name_key("Paweł")`` ==
    ``"pawel"``; ``name_key("Lukashenko’s")`` == ``"lukashenko"``; ``name_key("Tesla, Inc.")``
    == ``"tesla"``.
    """
    form = display_form(text.translate(_APOSTROPHES))
    words = _KEY_SPACE.sub(" ", _KEY_DROP.sub("", _fold(form))).casefold().split()
    if len(words) > 1 and words[-1] in name_rules().corporate_suffixes:
        words = words[:-1]
    return " ".join(words)


def strip_title(text: str) -> str:
    """``Belarussian President Alexander Lukashenko`` → ``Alexander Lukashenko``."""
    words = display_form(text.translate(_APOSTROPHES)).split()
    return " ".join(words[title_prefix_length(words):])


# --- the index-wide entity table ---------------------------------------------------------------


@dataclass
class _Group:
    """One real entity of one facet: its stored values with their counts."""

    name: str
    values: dict[str, int]
    keys: Collection[str] = field(default_factory=set)

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


def _choose_name(facet: str, values: Mapping[str, int], preferred: str | None) -> str:
    """Most frequent stored value; for people a full name beats a bare surname, and for
    gazetteer entities the gazetteer's own name wins a tie."""

    def rank(v: str) -> tuple[int, int, int, int, str]:
        full = 1 if facet == "person" and len(v.split()) > 1 else 0
        return (full, values[v], int(v == preferred), len(v), v)

    return max(values, key=rank)


def _link_surnames(uf: _UnionFind, values: Mapping[str, int], keys: Mapping[str, str]) -> None:
    """Join each bare surname to the full name it dominantly refers to (see DOMINANCE)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for v in values:
        groups[uf.find("v:" + v)].append(v)
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
        candidates = {r for r in by_surname[parts[0]] if r != uf.find("v:" + v)}
        if not candidates:
            continue
        weight = {r: sum(values[m] for m in groups[r]) for r in candidates}
        best = max(weight, key=lambda r: (weight[r], r))
        if weight[best] >= DOMINANCE * sum(weight.values()):
            uf.union("v:" + v, best)


def _group_facet(facet: str, values: Mapping[str, int]) -> list[_Group]:
    gaz = gazetteer()
    keys = {v: name_key(v) for v in values}
    uf = _UnionFind()  # nodes: "v:" stored value, "key:" name key, "gaz:" gazetteer group
    for v, k in keys.items():
        uf.find("v:" + v)
        if k:
            uf.union("v:" + v, "key:" + k)
        if k in gaz.alias_group:
            uf.union("v:" + v, "gaz:" + gaz.alias_group[k])
    if facet == "person":
        _link_surnames(uf, values, keys)
    members: dict[str, dict[str, int]] = defaultdict(dict)
    for v, c in values.items():
        members[uf.find("v:" + v)][v] = c
    alias_keys: dict[str, set[str]] = defaultdict(set)
    for k, g in gaz.alias_group.items():
        alias_keys[g].add(k)
    out = []
    for vals in members.values():
        gnames = {gaz.alias_group[keys[v]] for v in vals if keys[v] in gaz.alias_group}
        preferred = min(gnames) if gnames else None
        group = _Group(_choose_name(facet, vals, preferred), dict(vals), {keys[v] for v in vals})
        if facet in ("place", "org"):
            for g in gnames:
                group.keys |= alias_keys[g]
        out.append(group)
    return out


class EntityTable:
    """The index's real entities per facet, with every stored value that names each one.

    Built by ingest from the index's facet value counts and saved as JSON beside the index;
    search loads it to expand filter values (:meth:`expand`) and to group facet counts
    (:meth:`canonical`).
    """

    def __init__(self, groups: Mapping[str, Sequence[_Group]]) -> None:
        self._groups = {f: list(gs) for f, gs in groups.items()}
        self._sorted: dict[str, list[tuple[str, tuple[str, ...], int]]] = {}
        # Lookup tables, built on first use: a search needs canonical names for its hits but
        # only looks up filter values when it has filters (13k entities: ~30 ms at start-up).
        self._value_index: dict[tuple[str, str], _Group] | None = None
        self._key_index: tuple[dict[tuple[str, str], _Group], dict[tuple[str, str], list[_Group]]] | None = None

    @property
    def _by_value(self) -> dict[tuple[str, str], _Group]:
        if self._value_index is None:
            self._value_index = {(facet, v): g for facet, gs in self._groups.items() for g in gs for v in g.values}
        return self._value_index

    def _keys(self) -> tuple[dict[tuple[str, str], _Group], dict[tuple[str, str], list[_Group]]]:
        if self._key_index is None:
            by_key: dict[tuple[str, str], _Group] = {}
            by_surname: dict[tuple[str, str], list[_Group]] = defaultdict(list)
            for facet, gs in self._groups.items():
                for g in gs:
                    for k in sorted(g.keys):
                        by_key.setdefault((facet, k), g)
                    if facet == "person":
                        for surname in {k.split()[-1] for k in g.keys if len(k.split()) > 1}:
                            by_surname[(facet, surname)].append(g)
            self._key_index = (by_key, by_surname)
        return self._key_index

    @classmethod
    def build(cls, counts: Mapping[str, Mapping[str, int]]) -> EntityTable:
        """Group the stored values of each facet (``facet -> {value: count}``) into entities."""
        return cls({f: _group_facet(f, vals) for f, vals in counts.items() if vals})

    def to_json(self) -> dict[str, Any]:
        return {
            "version": TABLE_VERSION,
            "facets": {
                f: [{"name": g.name, "values": g.values, "keys": sorted(g.keys)} for g in gs]
                for f, gs in self._groups.items()
            },
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> EntityTable:
        if d.get("version") != TABLE_VERSION:
            raise ValueError(f"entity table version {d.get('version')!r}, expected {TABLE_VERSION}")
        # Written by to_json: names are strings and counts integers already.
        return cls({f: [_Group(g["name"], g["values"], g["keys"]) for g in gs] for f, gs in d["facets"].items()})

    def _match(self, facet: str, key: str) -> list[_Group]:
        by_key, by_surname = self._keys()
        found = []
        if (facet, key) in by_key:
            found.append(by_key[(facet, key)])
        if facet == "person" and len(key.split()) == 1:
            found.extend(by_surname.get((facet, key), []))
        return found

    def expand(self, facet: str, value: str) -> set[str]:
        """The stored values a filter value matches, case-insensitively, by any alias and, for
        people, by surname (every person of that surname: a filter is an OR).

        A value naming no entity gives an empty set. ``expand("person", "Belarussian
        President Alexander Lukashenko")`` works too: a title is tried off as a fallback.
        """
        groups = self._match(facet, name_key(value))
        if not groups:
            stripped = strip_title(value)
            if stripped and stripped != value:
                groups = self._match(facet, name_key(stripped))
        return {v for g in groups for v in g.values}

    def canonical(self, facet: str, stored_value: str) -> str:
        """The index-wide name of a stored value (the value itself if the table lacks it)."""
        g = self._by_value.get((facet, stored_value))
        return g.name if g else stored_value

    def groups(self, facet: str) -> list[tuple[str, tuple[str, ...], int]]:
        """(name, stored values, passages) of each entity of a facet, most passages first.
        The count sums its values' passages, so it bounds the passages naming the entity."""
        cached = self._sorted.get(facet)
        if cached is None:
            cached = sorted(((g.name, tuple(g.values), g.count) for g in self._groups.get(facet, [])),
                            key=lambda t: (-t[2], t[0]))
            self._sorted[facet] = cached
        return cached

    def entities(self, facet: str | None = None) -> list[Entity]:
        """One row per real entity, most mentioned first."""
        facets: Iterable[str] = [facet] if facet else [f for f in FACETS if f in self._groups]
        rows = [
            Entity(g.name, f, g.count, tuple(sorted(v for v in g.values if v != g.name)))
            for f in facets
            for g in self._groups.get(f, [])
        ]
        return sorted(rows, key=lambda e: (-e.count, FACETS.index(e.type) if e.type in FACETS else 99, e.name))
