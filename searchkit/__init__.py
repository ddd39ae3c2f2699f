"""searchkit: offline full-text search for saved news articles.

The public API::

    import searchkit
    cleaned = searchkit.clean(Path("page.html"))           # boilerplate removed, metadata, removals
    report = searchkit.ingest(["corpus/"], index="index")   # build or update an index
    with searchkit.open_index("index") as idx:
        result = idx.search("border closure", person="lukashenko")

Heavy stacks (spaCy, bs4/lxml) are imported only by the functions that need them, so
``import searchkit`` and searching stay fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    IndexLocked,
    IndexMissing,
    IndexReadOnly,
    ModelError,
    NotAnIndex,
    NotFound,
    QuerySyntax,
    SchemaMismatch,
    SearchkitError,
    SourceError,
)
from .records import FACETS, Article, Cleaned, Entity, Hit, Metadata, Passage, Removal, SearchResult, Source

if TYPE_CHECKING:
    from .indexer import IngestReport
    from .search import SearchIndex

__version__ = "0.1.0"

__all__ = [
    "FACETS", "Article", "Cleaned", "Entity", "Hit", "Metadata", "Passage", "Removal", "SearchResult", "Source",
    "SearchkitError", "SourceError", "IndexMissing", "NotAnIndex", "SchemaMismatch", "IndexLocked",
    "IndexReadOnly", "QuerySyntax", "NotFound", "ModelError",
    "clean", "ingest", "open_index", "__version__",
]


def clean(source: str | os.PathLike[str] | Source, *, html: bool | None = None, url: str | None = None) -> Cleaned:
    """Clean one document without touching an index.

    ``source`` is a :class:`pathlib.Path` (or other path-like) to read, a :class:`Source`, or
    the document itself as a ``str`` (HTML is detected unless ``html`` says). A JSONL or JSON
    file gives its first article, a WARC or WACZ archive its first page. A path that does not
    exist, or a folder, raises :class:`SourceError` with the same words ``ingest`` uses.
    """
    from . import cleaner as clean_stage
    from .load import discover, normalise_text, read_file, sniff_kind

    if isinstance(source, Source):
        return clean_stage.clean_source(source)
    if isinstance(source, os.PathLike):
        named = os.fspath(source)
        if Path(named).is_dir():
            raise SourceError(f"{named}: is a folder; clean reads one file (ingest reads folders)")
        files, issues = discover([named])
        if not files:
            raise SourceError(f"{named}: {issues[0].reason if issues else 'no such file or folder'}")
        sources, failures = read_file(files[0].path)
        failed = [f for f in failures if f.status == "failed"]
        if not sources:
            raise SourceError(f"{named}: {failed[0].reason if failed else 'no article'}")
        return clean_stage.clean_source(next(iter(sources)))
    is_html = html if html is not None else sniff_kind(source) == "html"
    if is_html:
        return clean_stage.clean_html(source, url=url)
    return clean_stage.clean_text(normalise_text(source), meta={"url": url} if url else None)


def ingest(paths: Any, index: str | os.PathLike[str] = "index", **options: Any) -> IngestReport:
    """Build or update the index at ``index`` from files and folders; see :func:`searchkit.indexer.ingest`."""
    from .indexer import ingest as run

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return run(paths, index, **options)


def open_index(path: str | os.PathLike[str] | None = None) -> SearchIndex:
    """Open an index for searching; see :class:`searchkit.search.SearchIndex`."""
    from .search import open_index as run

    return run(path)
