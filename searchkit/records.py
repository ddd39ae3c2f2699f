"""Frozen records passed between the pipeline stages.

load → :class:`Source` → clean → :class:`Cleaned` → passages → :class:`Passage`
→ entities → :class:`Entity` / :class:`Mention` → index → search → :class:`Hit` /
:class:`SearchResult`. ``to_dict()`` is used at the edges only (JSON output). The records a
search returns are defined in :mod:`searchkit.results` and re-exported here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# What a search returns lives in .results (a search never loads the records of ingest, a cold
# search's start-up); re-exported here, where every record of the pipeline can be found.
from .results import FACETS, Copy, Entity, Highlight, Hit, SearchResult

__all__ = ["FACETS", "Article", "Cleaned", "Copy", "Entity", "Failure", "Highlight", "Hit", "IssueStatus",
           "LoadIssue", "Mention", "Metadata", "Passage", "Removal", "SearchResult", "Source"]



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
