"""The user's corrections to the entity table (``entity_edits.tsv`` in the index folder) and
suggested merges, as methods of :class:`searchkit.search.SearchIndex`.

They take effect at once: the table is reloaded with the edits applied on top, no NER re-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..store.schema import article_facet
from .docsets import term_docs

if TYPE_CHECKING:  # loaded by the methods that use them: a plain search needs none (start-up time)
    from ..entity_edits import Edit
    from ..entity_suggest import Suggestion
    from ..entity_table import EntityTable


class EntityCorrections:
    """Mixed into :class:`~searchkit.search.SearchIndex`, which provides what is declared here."""

    path: Path
    _searcher: Any
    _table: EntityTable | None
    _names: dict[str, dict[str, Any]] | None

    @property
    def entity_table(self) -> EntityTable:
        raise NotImplementedError

    def _forget_entity_names(self) -> None:
        raise NotImplementedError

    def entity_edits(self) -> list[Edit]:
        """The corrections in the index folder's ``entity_edits.tsv``, in the order applied."""
        from ..entity_edits import read_edits

        return read_edits(self.path)

    def add_entity_edit(self, action: str, facet: str, entity: str, argument: str | None = None) -> Edit:
        """Record a correction (``merge``, ``rename``, ``split``, ``retype``, ``drop``); search,
        facets and :meth:`entities` honour it at once. The entity must be in the index.

        Example::

            idx.add_entity_edit("merge", "person", "Adrian Mutu", "Mutu")
        """
        from ..entity_edits import make_edit, write_edits

        edit = make_edit(action, facet, entity, argument)
        for name in [edit.entity, *([edit.argument] if action in ("merge", "split") else [])]:
            if not self.entity_table.expand(facet, name or ""):
                raise NotFound(f"no {facet} {name!r} in the index", hint=f"searchkit entities --type {facet}")
        write_edits(self.path, [*self.entity_edits(), edit])
        self._forget_entity_names()
        return edit

    def replace_entity_edits(self, edits: list[Edit]) -> None:
        """Set the whole list of corrections (import from another index, or clear with [])."""
        from ..entity_edits import write_edits

        write_edits(self.path, edits)
        self._forget_entity_names()

    def suggest_merges(self, limit: int = 50) -> list[Suggestion]:
        """Likely duplicates with their evidence (:mod:`searchkit.entity_suggest`)."""
        from ..entity_suggest import suggest_merges

        return suggest_merges(self.entity_table, self._shared_articles, limit)

    def _shared_articles(self, facet: str, a: str, b: str) -> int:
        def articles(name: str) -> set[str]:
            out: set[str] = set()
            for field_name, v in self.entity_table.expand(facet, name):
                for d in term_docs(self._searcher, article_facet(field_name), v):
                    out.add(self._searcher.stored_fields(d).get("article_id", ""))
            return out

        return len(articles(a) & articles(b))
