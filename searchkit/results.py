"""The records a search returns: :class:`Hit` (with its :class:`Highlight` ranges and
:class:`Copy` list), :class:`SearchResult`, and :class:`Entity` for facets and entity lists.

Kept apart from :mod:`searchkit.records` (the records of ingest: sources, cleaned pages,
articles) so that a cold ``searchkit search`` creates only these dataclasses: making one costs
about a millisecond of start-up. :mod:`searchkit.records` re-exports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .timeline import Timeline

FACETS: tuple[str, ...] = ("person", "org", "place", "group")
"""The entity facet names, in display order."""


@dataclass(frozen=True)
class Entity:
    """A canonical entity of an article (or of the whole index), with its surface aliases."""

    name: str
    type: str  # one of FACETS
    count: int = 1
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "count": self.count, "aliases": list(self.aliases)}


@dataclass(frozen=True)
class Copy:
    """Another article of the same story: a re-publication, a re-send, the same page saved
    twice (see :mod:`searchkit.duplicates`)."""

    article_id: str
    site: str | None = None
    date: str | None = None
    url: str | None = None
    title: str | None = None
    path: str | None = None
    source_id: str | None = None
    """Where it came from: the path, or ``path#<id>`` / ``path#L<line>`` for a JSONL record."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Highlight:
    """A character range of a hit's passage text that matched the query."""

    start: int
    end: int


@dataclass(frozen=True)
class Hit:
    """One ranked passage."""

    rank: int
    score: float
    passage_id: str
    article_id: str
    ordinal: int
    text: str
    highlights: tuple[Highlight, ...]
    title: str | None
    site: str | None
    date: str | None
    url: str | None
    path: str
    entities: dict[str, tuple[str, ...]]
    source_id: str = ""
    """The article's source id as stored (``path``, or ``path#L<n>`` for line *n* of a JSONL
    file): what an evaluation matches its judgements on. Not in ``to_dict()`` yet."""
    explain: dict[str, Any] | None = None
    """With ``explain``: the terms matched per field, the passage and article scores and the
    expansions used (see :mod:`searchkit.search.explain`); in ``to_dict()`` only when set."""
    line: int | None = None
    """The passage's line in its source file (see :attr:`searchkit.records.Passage.line`)."""
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The article's tags (see :attr:`searchkit.records.Article.tags`)."""
    copies: tuple[Copy, ...] = ()
    """The other articles of this hit's story (its copies), representative first."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "passage_id": self.passage_id,
            "article_id": self.article_id,
            "ordinal": self.ordinal,
            "title": self.title,
            "site": self.site,
            "date": self.date,
            "url": self.url,
            "path": self.path,
            "text": self.text,
            "highlights": [[h.start, h.end] for h in self.highlights],
            "entities": {k: list(v) for k, v in self.entities.items()},
            "copies": [c.to_dict() for c in self.copies],
            **({"explain": self.explain} if self.explain is not None else {}),
        }


@dataclass(frozen=True)
class SearchResult:
    """A page of hits plus counts. ``total`` counts matching passages before collapsing;
    when ``total_exact`` is False it is a lower bound (counting stopped there)."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[tuple[str, int], ...]] | None = None
    suggestion: str | None = None
    elapsed_ms: float = 0.0
    total_exact: bool = True
    hint: str | None = None
    """Why nothing matched, when a filter or the AND of the words is the cause (else None,
    and ``suggestion`` may offer a spelling)."""
    timeline: Timeline | None = None
    """With ``timeline=``: matching articles per period of publication (``search --timeline``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "total_exact": self.total_exact,
            "returned": len(self.hits),
            "elapsed_ms": round(self.elapsed_ms, 2),
            "suggestion": self.suggestion,
            "hint": self.hint,
            "hits": [h.to_dict() for h in self.hits],
            "facets": None
            if self.facets is None
            else {k: [{"name": n, "count": c} for n, c in v] for k, v in self.facets.items()},
            **({"timeline": self.timeline.to_dict()} if self.timeline is not None else {}),
        }
