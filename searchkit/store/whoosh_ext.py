"""Every use of Whoosh beyond its documented API, in one place to audit when the pin moves.

searchkit pins ``whoosh3`` and reaches into it where the public API has no way to do what
ingest and search need: the segment list, a merge policy that picks segments itself, the
file names of a table of contents. Each helper says what it relies on.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..errors import IndexLocked

# Write side ------------------------------------------------------------------------------------

TOC_GLOB = "_MAIN_*.toc"
"""A Whoosh ``FileIndex`` named ``MAIN`` commits by writing ``_MAIN_<generation>.toc``."""
WHOOSH_PREFIXES = ("_MAIN_", "MAIN_")
"""Names of the files Whoosh writes in the folder: tables of contents (``_MAIN_*``), segment
files and its own write lock (``MAIN_*``)."""


def has_toc(folder: Path) -> bool:
    """True when ``folder`` holds a committed Whoosh table of contents."""
    return any(folder.glob(TOC_GLOB))


def tocs(folder: Path) -> list[Path]:
    """The folder's Whoosh tables of contents, oldest generation first (by name)."""
    return sorted(folder.glob(TOC_GLOB))


def is_whoosh_file(name: str) -> bool:
    """A file Whoosh itself writes in an index folder (segment, table of contents, lock)."""
    return name.startswith(WHOOSH_PREFIXES)


def new_writer(ix: Any, where: Path) -> Any:
    """A Whoosh writer as ingest uses it: 128 MB of buffer, and each segment kept as separate
    files. (A compound segment file is opened by copying it whole into memory: at 170k
    passages that alone took 180 ms of a one-shot search.)

    Whoosh's own lock is taken here; holding it means someone bypassed ``ingest.lock``."""
    from whoosh.index import LockError

    try:
        return ix.writer(limitmb=128, compound=False)
    except LockError as e:
        raise IndexLocked(f"the index at {where} is locked by another Whoosh writer",
                          hint="wait for it to finish") from e


def segments(ix: Any) -> list[Any]:
    """The index's current segments (``FileIndex._segments``, private)."""
    return list(ix._segments())


def segment_is_churned(segment: Any) -> bool:
    """More than a fifth of the segment's documents are deleted."""
    return bool(segment.deleted_count() * 5 > segment.doc_count_all())


def commit_merging(ix: Any, where: Path, chosen: list[Any]) -> None:
    """Commit a writer whose only change is merging ``chosen`` segments into one.

    Whoosh's ``mergetype`` is a callable ``(writer, segments) -> segments kept``: the
    chosen ones are read into the new segment through ``writer.add_reader`` and dropped."""
    from whoosh.reading import SegmentReader

    ids = {s.segment_id() for s in chosen}

    def policy(writer: Any, current: list[Any]) -> list[Any]:
        for seg in current:
            if seg.segment_id() in ids:
                reader = SegmentReader(writer.storage, writer.schema, seg)
                writer.add_reader(reader)
                reader.close()
        return [seg for seg in current if seg.segment_id() not in ids]

    writer = new_writer(ix, where)
    try:
        writer.commit(mergetype=policy)
    except BaseException:
        with contextlib.suppress(Exception):
            writer.cancel()
        raise

