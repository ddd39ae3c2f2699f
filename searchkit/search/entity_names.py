"""Entity names on the query path, as methods of :class:`searchkit.search.SearchIndex`: the
index-wide canonical name of each stored entity value, from the small ``entity_names.json``
for plain hits, and the whole entity table (with the user's corrections) only for filters,
facets, ``entities`` and ``stats``: the table is a megabyte of JSON at 2,000 articles, a
fifth of a cold search.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import QuerySyntax
from ..results import FACETS, Entity
from ..store.documents import facet_value_counts, keyword_values, word_passage_counts
from ..store.folder import ENTITY_EDITS, ENTITY_NAMES, ENTITY_TABLE

if TYPE_CHECKING:
    from ..entity_edits import Edit
    from ..entity_table import EntityTable


class EntityNames:
    """Mixed into :class:`~searchkit.search.SearchIndex`, which provides what is declared here."""

    path: Path
    _ix: Any
    _searcher: Any
    _table: EntityTable | None
    _names: dict[str, dict[str, Any]] | None
    _names_tried: bool

    if TYPE_CHECKING:  # from EntityCorrections, which comes after this class in SearchIndex's bases
        def entity_edits(self) -> list[Edit]: ...

    def _forget_entity_names(self) -> None:
        """Drop the loaded table and names (a new commit, a new correction): read again on use."""
        self._table = None
        self._names = None
        self._names_tried = False

    @property
    def entity_table(self) -> EntityTable:
        if self._table is None:
            self._table = self._load_table()
        return self._table

    def canonical(self, field_name: str, stored_value: str) -> tuple[str, str] | None:
        """(facet, index-wide name) of a stored entity value, None for a value dropped as no
        name. Hits need only this, so it is read from the small ``entity_names.json`` that
        ingest writes beside the table, and the table itself (a megabyte of JSON at 2,000
        articles, a fifth of a cold search) is loaded only for filters, facets, ``entities``,
        ``stats`` and when the user has corrections (``entity_edits.tsv``)."""
        if self._names is None and not self._names_tried:
            self._names_tried = True  # (a filter may have loaded the table first: still the cheaper answer)
            self._names = self._load_names()
        if self._names is not None:
            moved = self._names.get(field_name, {})
            if stored_value not in moved:
                return field_name, stored_value
            got = moved[stored_value]
            return (got[0], got[1]) if got else None
        return self.entity_table.canonical(field_name, stored_value)

    @property
    def _table_on_demand(self) -> EntityTable:
        """The entity table, loaded only if a filter or an in-query field asks it something
        (a plain search needs only ``entity_names.json``)."""
        return cast("EntityTable", _TableOnDemand(self))

    def _load_names(self) -> dict[str, dict[str, Any]] | None:
        if (self.path / ENTITY_EDITS).exists() and self.entity_edits():
            return None  # the user's corrections apply on top of the table: the table decides
        try:
            payload = json.loads((self.path / ENTITY_NAMES).read_text(encoding="utf-8"))
            if payload.get("generation") == self._ix.latest_generation():
                return payload["names"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None  # missing or stale: the table decides

    def _load_table(self) -> EntityTable:
        """The table ingest saved (or, if missing or stale, one built in memory), with the
        user's corrections (``entity_edits.tsv``) applied on top: they take effect at once,
        with no NER re-run."""
        from ..entity_edits import apply_edits

        edits = self.entity_edits()
        return apply_edits(self._saved_table(), edits) if edits else self._saved_table()

    def _saved_table(self) -> EntityTable:
        from ..entity_table import EntityTable

        path = self.path / ENTITY_TABLE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("generation") == self._ix.latest_generation():
                return EntityTable.from_json(payload["table"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        # Missing or stale (an ingest was killed after its commit): rebuild in memory.
        reader = self._searcher.reader()
        return EntityTable.build(facet_value_counts(reader), word_passage_counts(reader))

    def _stored_entities(self, f: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        return self._canonical_names({facet: keyword_values(f[facet]) for facet in FACETS if f.get(facet)})

    def _canonical_names(self, entities: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """Stored entity names per field → the index-wide canonical names per facet, once
        each (a value the index-wide evidence or the user moved shows under its new type; a
        dropped one not at all)."""
        found: dict[str, dict[str, None]] = {}
        for field_name, values in entities.items():
            for v in values:
                resolved = self.canonical(field_name, v)
                if resolved is not None:
                    found.setdefault(resolved[0], {})[resolved[1]] = None
        return {f: tuple(found[f]) for f in FACETS if f in found}

    def _canonical_entities(self, ents: tuple[Entity, ...]) -> tuple[Entity, ...]:
        """Article-local names → the index-wide canonical names that search shows."""
        merged: dict[tuple[str, str], Entity] = {}
        for e in ents:
            resolved = self.canonical(e.type, e.name)
            if resolved is None:
                continue
            facet, name = resolved
            prev = merged.get((name, facet))
            aliases = tuple(dict.fromkeys((*(prev.aliases if prev else ()), *e.aliases, e.name)))
            merged[(name, facet)] = Entity(name, facet, e.count + (prev.count if prev else 0),
                                           tuple(a for a in aliases if a != name))
        return tuple(sorted(merged.values(), key=lambda e: -e.count))

    def entities(self, facet: str | None = None, top: int | None = None) -> list[Entity]:
        """Canonical entities with passage counts and aliases, most frequent first."""
        if facet is not None and facet not in FACETS:
            raise QuerySyntax(f"unknown entity type {facet!r}; use one of {', '.join(FACETS)}")
        rows = self.entity_table.entities(facet)
        return rows[:top] if top else rows


class _TableOnDemand:
    """Stands for a :class:`SearchIndex`'s entity table and loads it on first use."""

    def __init__(self, index: EntityNames) -> None:
        self._index = index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index.entity_table, name)
