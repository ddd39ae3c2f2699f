"""Ingest: files → cleaned articles → passages with entities → the Whoosh index on disk.

The work is split the way the costs fall: cleaning and NER (CPU-heavy, ~all the time) run in
worker processes over small batches of articles (:mod:`.workers`, :mod:`.build`); one writer
in this process adds documents and commits (:mod:`.run`). Each file is first planned
(:mod:`.plan`: unchanged, to index, to delete, to re-stamp), pure and tested on its own; the
end of a run merges small segments and rebuilds the entity table (:mod:`.finish`). Ctrl-C
and SIGTERM are held off during a commit (:mod:`.signals`).

Faults are contained where they happen: a bad file or line is a failure in the report; a page
that crashes its worker is retried alone and then reported, while the other articles of its
batch go on.

The names below load their modules on first use: ``import searchkit`` imports this package
(so that ``searchkit.ingest`` stays the function, not this package) and must stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import IngestReport, ProgressCallback
    from .run import ingest, write_articles

__all__ = ["IngestReport", "ProgressCallback", "ingest", "write_articles"]

_HOMES = {"IngestReport": "report", "ProgressCallback": "report", "ingest": "run", "write_articles": "run"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
