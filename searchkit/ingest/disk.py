"""A full disk during ingest: one line that names the folder and the space it needs.

Whoosh raises ``OSError(ENOSPC)`` from wherever the write failed (a segment file, its
posting pool, the TOC, our manifest). The run is then abandoned (the writer cancelled), so
the index stays at its last commit; the files the failed commit had written are deleted at
once, which gives the space back, and again on the next open if that failed too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from typing import TYPE_CHECKING

from ..errors import DiskFull
from ..store.manifest import ManifestDamaged, read_manifest

if TYPE_CHECKING:
    from .run import IngestRun

_FULL = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(e: BaseException | None) -> bool:
    """True when ``e`` or an exception it was raised from is ENOSPC (or a quota)."""
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, OSError) and e.errno in _FULL:
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False


def folder_bytes(path: os.PathLike[str] | str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, f)).st_size
    return total


def disk_full_error(run: IngestRun, e: BaseException) -> DiskFull:
    """The error to raise, after deleting what the failed commit wrote.

    The space needed is an estimate: bytes per article (of the last commit, or of what this
    run wrote before the failure) times the articles this run got to, twice over, since the
    final merge copies the segments it merges before deleting them."""
    from ..store.record import remove_orphans

    where = run.folder.path
    used = folder_bytes(where)
    try:
        manifest = read_manifest(where)
    except ManifestDamaged:
        manifest = None
    attempted = max(1, run.committed + run.in_batch)
    if manifest is not None and manifest.articles:
        committed_bytes = sum(f.size for f in manifest.files.values())
        per_article = committed_bytes / manifest.articles
        articles = manifest.articles
    else:
        per_article = used / attempted
        articles = 0
    if run.ix is not None:
        with contextlib.suppress(Exception):
            remove_orphans(run.ix, where)
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        free = 0
    needed = max(2 * per_article * attempted - free, 1 << 20)
    return DiskFull(
        f"disk full while writing the index at {where} ({_mb(free)} free): this ingest needs about "
        f"{_mb(needed)} more (estimate); the index is left at its last commit ({articles:,} articles)",
        hint="free some space (or move the index) and run the same ingest again",
    )


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"
