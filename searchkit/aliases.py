"""Index-wide entity table: stored facet values → one canonical entity, for filters and counts.

Pure Python (the query path imports it). PLACEHOLDER: identity mapping plus case-insensitive
and surname matching; the real alias resolution replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .records import FACETS, Entity


class EntityTable:
    def __init__(self, counts: dict[str, dict[str, int]]) -> None:
        self._counts = counts

    @classmethod
    def build(cls, counts: Mapping[str, Mapping[str, int]]) -> EntityTable:
        return cls({f: dict(counts.get(f, {})) for f in FACETS})

    def to_json(self) -> dict[str, Any]:
        return {"counts": self._counts}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EntityTable:
        return cls(d["counts"])

    def expand(self, facet: str, value: str) -> set[str]:
        v = value.strip().lower()
        return {s for s in self._counts.get(facet, {}) if s.lower() == v or s.lower().split()[-1:] == [v]}

    def canonical(self, facet: str, stored_value: str) -> str:
        return stored_value

    def entities(self, facet: str | None = None) -> list[Entity]:
        rows = [Entity(n, f, c, (n,)) for f in (FACETS if facet is None else (facet,))
                for n, c in self._counts.get(f, {}).items()]
        return sorted(rows, key=lambda e: (-e.count, e.name))
