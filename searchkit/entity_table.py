"""The index's real entities: every stored value of an entity joined under one name.

The extractor stores *article-local* canonical values ("Lukashenko" in an article that never
gives his first name, "Alexander Lukashenko" in another). :class:`EntityTable` groups the
stored values of the whole index into real entities, so that search can expand a filter
value to every stored value of its entity and group facet counts by one name. Ingest builds
it at the end of a run and saves it beside the index; search reads it.

Pure Python on purpose: the query path imports this module, so it must not pull in spaCy.

Example::

    table = EntityTable.build({"person": {"Alexander Lukashenko": 5, "Lukashenko": 2}})
    table.expand("person", "lukashenko")    # {'Alexander Lukashenko', 'Lukashenko'}
    table.canonical("person", "Lukashenko")  # 'Alexander Lukashenko'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .names import gazetteer, name_key, strip_title
from .records import FACETS, Entity

TABLE_VERSION = 1

DOMINANCE = 0.75
"""A bare surname stored in the index joins the full name that holds at least this share of
the counts of all full names with that surname; below it (e.g. two Lukashenkos mentioned
about equally) the bare surname stays an entity of its own rather than being merged into
one of them by guess."""


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


def _join_dominant_surnames(uf: _UnionFind, values: Mapping[str, int], keys: Mapping[str, str]) -> None:
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
        _join_dominant_surnames(uf, values, keys)
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

    def canonical_names(self) -> dict[str, dict[str, str]]:
        """facet -> stored value -> canonical name, for the values whose name differs: all that
        a search hit needs of the table (written beside it, so a plain search never loads it)."""
        return {f: {v: g.name for g in gs for v in g.values if v != g.name} for f, gs in self._groups.items()}

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
