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
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import (
    IndexLocked,
    IndexMissing,
    IndexReadOnly,
    Interrupted,
    InternalError,
    ModelError,
    NotAnIndex,
    NotFound,
    QuerySyntax,
    SchemaMismatch,
    SearchkitError,
    SourceError,
)
from .results import FACETS, Entity, Hit, SearchResult
from .settings import IngestSettings

# Imported before the function below is defined: importing a subpackage sets it as an
# attribute of its parent, which would otherwise replace the function ``ingest``.
from . import ingest as _ingest_package  # noqa: E402, F401  isort: skip

if TYPE_CHECKING:
    from .ingest import IngestReport, ProgressCallback
    from .records import Article, Cleaned, Metadata, Passage, Removal, Source
    from .search import SearchIndex
    from .settings import RankingParams, SearchLimits

__version__ = "0.1.0"

__all__ = [
    "FACETS", "Article", "Cleaned", "Entity", "Hit", "Metadata", "Passage", "Removal", "SearchResult", "Source",
    "SearchkitError", "SourceError", "IndexMissing", "NotAnIndex", "SchemaMismatch", "IndexLocked",
    "IndexReadOnly", "QuerySyntax", "NotFound", "ModelError", "Interrupted", "InternalError", "IngestSettings",
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
    from .records import Source

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


def ingest(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    index: str | os.PathLike[str] = "index",
    *,
    settings: IngestSettings = IngestSettings(),
    workers: int | None = None,
    prune: bool = False,
    rebuild: bool = False,
    wait: float = 5.0,
    model: str | None = None,
    progress: ProgressCallback | None = None,
    include_skipped: bool = False,
) -> IngestReport:
    """Build or update the index at ``index`` from files and folders (one path or several).

    ``workers`` processes clean and tag (default: one per CPU); ``prune`` drops articles whose
    files are gone; ``rebuild`` starts the index afresh; ``wait`` is how long to wait for
    another ingest's lock; ``settings`` holds commits, segments and batches; ``include_skipped`` also reads
    folders skipped by default (version control, virtualenvs, build output, saved-page assets). See
    :func:`searchkit.ingest.ingest`; raises :class:`Interrupted` on Ctrl-C or SIGTERM.
    """
    from .ingest import ingest as run

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return run(paths, index, settings=settings, workers=workers, prune=prune, rebuild=rebuild, wait=wait,
               model=model, progress=progress, include_skipped=include_skipped)


def open_index(path: str | os.PathLike[str] | None = None, *, ranking: RankingParams | None = None,
               limits: SearchLimits | None = None) -> SearchIndex:
    """Open an index for searching; see :class:`searchkit.search.SearchIndex`. ``ranking`` and
    ``limits`` (:mod:`searchkit.settings`) default to today's tuning."""
    from .search import open_index as run
    from .settings import RankingParams, SearchLimits

    return run(path, ranking=ranking or RankingParams(), limits=limits or SearchLimits())


# The records of ingest (sources, cleaned pages, articles) load on first use: a search needs
# only those of .results, and making a dataclass costs start-up time.
_INGEST_RECORDS = {"Article", "Cleaned", "Metadata", "Passage", "Removal", "Source"}


def __getattr__(name: str) -> object:
    if name in _INGEST_RECORDS:
        from . import records

        return getattr(records, name)
    raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
