"""One error hierarchy. The CLI maps each class to an exit code and prints one line.

Third-party exceptions are wrapped at the boundary (``raise ... from e``) so callers of the
library only ever need ``except SearchkitError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ingest.report import IngestReport


def describe(e: BaseException, limit: int = 300) -> str:
    """A third-party exception as one short line for a message (its type when it says nothing)."""
    return " ".join(str(e).split())[:limit] or type(e).__name__


class SearchkitError(Exception):
    """Base class. ``str(err)`` is a complete one-line message; ``hint`` is optional advice."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class SourceError(SearchkitError):
    """An input file could not be read or decoded (one bad file never stops an ingest)."""


class IndexMissing(SearchkitError):
    """No index at the given location."""


class NotAnIndex(SearchkitError):
    """The directory exists but does not hold a searchkit index."""


class SchemaMismatch(SearchkitError):
    """The index was built by another schema version: it must be rebuilt."""


class IndexLocked(SearchkitError):
    """Another process holds the index's write lock."""


class IndexReadOnly(SearchkitError):
    """The index cannot be written (permissions or read-only file system)."""


class QuerySyntax(SearchkitError):
    """The query or a filter value could not be parsed."""


class NotFound(SearchkitError):
    """An article or passage id that is not in the index."""


class ModelError(SearchkitError):
    """The NER model is not installed or failed to load."""


class Interrupted(SearchkitError):
    """Ctrl-C (or SIGTERM) during ingest; ``report`` says what was committed."""

    exit_code = 130

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message)
        self.report = report
class InternalError(SearchkitError):
    """Something failed that no input should cause: a bug in searchkit (or in Whoosh), never
    the user's query. The message names the exception; ``SEARCHKIT_DEBUG=1`` shows the traceback."""

    @classmethod
    def wrap(cls, e: BaseException) -> InternalError:
        """The one-line error for an unexpected exception (raise it ``from e``)."""
        return cls(f"internal error: {type(e).__name__}: {describe(e)} "
                   "(this is a bug; SEARCHKIT_DEBUG=1 shows the traceback)")
