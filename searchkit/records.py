"""Frozen records passed between the pipeline stages.

load → :class:`Source` → clean → :class:`Cleaned` → passages → :class:`Passage`
→ entities → :class:`Entity` / :class:`Mention` → index → search → :class:`Hit` /
:class:`SearchResult`. ``to_dict()`` is used at the edges only (JSON output).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .timeline import Timeline

FACETS: tuple[str, ...] = ("person", "org", "place", "group")
"""The entity facet names, in display order."""


@dataclass(frozen=True)
class Source:
    """One raw input document, decoded to ``str``.

    ``source_id`` is stable across runs and says where the document is: the file path;
    ``path#<id>`` or ``path#L<n>`` for a JSONL line (``path#/<n>`` for item *n* of a JSON
    array); ``path#<14-digit capture time>/<url>`` for a record of a WARC or WACZ archive
    (the Wayback convention). ``content_hash`` is the SHA-256 of the raw bytes (of the JSONL
    line, of an archive record's payload) and drives incremental ingest.

    ``meta`` holds values the input states outright (JSONL fields, an archive's target URI):
    they win over what the page says. ``defaults`` holds values used only when the page says
    nothing (an archive's capture date, a saved page's original URL, a WACZ page title).
    ``tags`` keeps a JSONL article's other string or list fields (``places``, ``topics``).
    ``input_kind`` names the container it came from: ``file``, ``jsonl``, ``json``,
    ``warc``, ``wacz`` or ``mhtml``.
    """

    source_id: str
    path: str
    kind: str  # "html" or "text"
    content: str
    content_hash: str
    meta: dict[str, str] = field(default_factory=dict)  # title/url/date/site/author given by the input
    defaults: dict[str, str] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    input_kind: str = "file"


IssueStatus = Literal["failed", "repaired", "skipped"]


@dataclass(frozen=True)
class LoadIssue:
    """Something the load stage reports about an input, with a one-line reason.

    ``status`` says what became of it: ``failed`` (not loaded: a bad file, line or record),
    ``repaired`` (loaded, but fixed on the way: invalid UTF-8 replaced, an encoding guessed,
    a truncated archive's good records kept) or ``skipped`` (left out on purpose: a
    virtualenv, a page's asset folder, an archive's images and scripts). ``where`` is a path,
    maybe with ``#L<n>`` or an archive record's ``#<time>/<url>``.
    """

    where: str
    reason: str
    status: IssueStatus = "failed"


@dataclass(frozen=True)
class Removal:
    """A block the cleaner dropped, with the rule that matched and a one-line reason."""

    text: str
    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Metadata:
    """Article metadata; ``date`` is ISO 8601 (``YYYY-MM-DD`` or with time) or ``None``."""

    title: str | None = None
    date: str | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Cleaned:
    """The cleaner's output: article text (paragraphs joined by a blank line), metadata and
    the removed blocks."""

    text: str
    metadata: Metadata
    removed: tuple[Removal, ...] = ()

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "metadata": self.metadata.to_dict(),
            "removed": [r.to_dict() for r in self.removed],
        }


@dataclass(frozen=True)
class Mention:
    """One entity mention in the clean text: ``text[start:end]`` resolved to ``name``."""

    start: int
    end: int
    text: str
    name: str  # canonical value
    type: str  # one of FACETS


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
class Passage:
    """A paragraph-sized slice of an article's clean text, ``text == article_text[start:end]``."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    entities: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> canonical names
    line: int | None = None
    """The line of the source file where the passage starts (a plain-text or HTML file; see
    :func:`searchkit.passages.source_lines`), None where a line means nothing to a reader."""

    @property
    def passage_id(self) -> str:
        return f"{self.article_id}:{self.ordinal}"


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
class Article:
    """A cleaned article ready to index."""

    article_id: str
    source_id: str
    path: str
    content_hash: str
    text: str
    metadata: Metadata
    removed: tuple[Removal, ...] = ()
    entities: tuple[Entity, ...] = ()
    passages: tuple[Passage, ...] = ()
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """A JSONL record's other short fields (``topics``, ``places``, ``category``), filterable
    with ``search --tag KEY=VALUE``."""
    input_kind: str = "txt"
    """What the article was read from: ``html``, ``txt``, ``mhtml``, ``warc``, ``wacz``,
    ``jsonl`` or ``json`` (``stats`` counts articles per kind)."""
    copy_signature: object | None = field(default=None, compare=False, repr=False)
    """Ingest only: the text's :class:`searchkit.duplicates.Signature`, made in the worker
    beside passages and entities (None: the writer makes it). Never stored as such."""
    copies: tuple[Copy, ...] = ()
    """Other articles of the same story (``show``: "also published as …"), representative first."""


@dataclass(frozen=True)
class Failure:
    """Something of an ingest that was skipped: ``where`` (a path, maybe ``#L<n>``) and why."""

    where: str
    reason: str


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
    """The passage's line in its source file (see :attr:`Passage.line`)."""
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The article's tags (see :attr:`Article.tags`)."""
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
