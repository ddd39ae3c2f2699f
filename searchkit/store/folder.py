"""The index folder: what lives in it, whether it is ours, its write lock, opening and clearing.

An index folder holds Whoosh's files (tables of contents and segments, see
:mod:`searchkit.store.whoosh_ext`), ``searchkit.json`` (the marker: schema version, written
when the index is created), ``entities.json`` (the index-wide entity table, rebuilt after each
ingest) and ``ingest.lock``; a ``README.md`` a user put there is left alone.

Only one ingest may write at a time: ``ingest.lock`` is held with ``flock``, which the kernel
releases when the holder dies, so a lock left by a killed process never blocks anyone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import IndexDamaged, IndexLocked, IndexMissing, IndexReadOnly, NotAnIndex, SchemaMismatch, SearchkitError, describe
from . import whoosh_ext
from .manifest import MANIFEST
from .schema import SCHEMA_VERSION, build_schema

MARKER = "searchkit.json"
ENTITY_TABLE = "entities.json"
ENTITY_NAMES = "entity_names.json"
"""Stored entity value -> canonical name (only those that differ), for search hits."""
LOCK = "ingest.lock"
README = "README.md"
ENTITY_EDITS = "entity_edits.tsv"
"""The user's entity corrections (:mod:`searchkit.entity_edits`): kept by ``--rebuild``."""
WATCHES = "watches.json"
"""The user's saved searches (:mod:`searchkit.watch`): kept by ``--rebuild``."""
KEPT_ON_CLEAR = (README, LOCK, MARKER, ENTITY_EDITS, WATCHES)
"""What ``--rebuild`` leaves in place; with Whoosh's own files, also what a folder may hold
before its first commit and still be ours."""


def check_index_dir(path: str | os.PathLike[str]) -> Path:
    """Raise a clear error unless ``path`` holds a searchkit index of this schema version
    whose files are all there at their recorded sizes (a few ``stat`` calls; see
    :func:`searchkit.store.manifest.quick_check`)."""
    from .manifest import quick_check

    folder = IndexFolder(Path(path)).check()
    quick_check(folder)
    return folder


class IndexFolder:
    """One index folder on disk; every question about the folder (rather than the index in
    it) is answered here."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    @property
    def entity_table(self) -> Path:
        return self.path / ENTITY_TABLE

    # -- checks ---------------------------------------------------------------------------
    def check(self) -> Path:
        """Raise a clear error unless the folder holds a searchkit index of this schema version."""
        p = self.path
        if not p.exists():
            # "index/", not "index": the default folder's name is also the word (issue 15)
            raise IndexMissing(f"no index at {os.path.join(p, '')}", hint="build one with: searchkit ingest PATH")
        if not p.is_dir():
            raise NotAnIndex(f"{p} is a file, not an index folder")
        marker = self.marker
        if not marker.exists():
            if (p / MANIFEST).exists():  # ours, since it has a manifest: the marker was lost
                raise IndexDamaged(f"index damaged: {MARKER} is missing", p)
            if whoosh_ext.has_toc(p):
                raise NotAnIndex(f"{p} holds a Whoosh index that searchkit did not build",
                                 hint="point --index at a searchkit index, or another folder")
            if any(x.name != README for x in p.iterdir()):
                raise NotAnIndex(f"{p} is not a searchkit index")
            raise IndexMissing(f"no index at {os.path.join(p, '')} yet", hint="build one with: searchkit ingest PATH")
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
            version = int(info["schema_version"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            if (p / MANIFEST).exists():
                raise IndexDamaged(f"index damaged: {MARKER} is unreadable", p) from e
            raise NotAnIndex(f"{marker} is unreadable or damaged") from e
        if version != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"the index at {p} has schema version {version}; this searchkit uses {SCHEMA_VERSION}",
                hint="rebuild it: searchkit ingest --rebuild PATH",
            )
        if not whoosh_ext.has_toc(p):
            if (p / MANIFEST).exists():  # a kill never leaves this (see clear): damage
                raise IndexDamaged("index damaged: its table of contents (_MAIN_*.toc) is missing", p)
            raise NotAnIndex(f"{p} has no committed data (was the first ingest killed?)",
                             hint="run searchkit ingest again")
        return p

    def refuse_foreign(self) -> None:
        """Raise :class:`NotAnIndex` for a folder without our marker that holds something
        else than what a first ingest leaves (our lock, Whoosh's lock and segment files
        without a table of contents): never write into someone's folder."""
        if not self.path.is_dir() or self.marker.exists() or (self.path / "shards.json").exists():
            return  # ours (a sharded index's top folder has no marker of its own)
        try:
            foreign = any(c.name not in KEPT_ON_CLEAR and not whoosh_ext.is_whoosh_file(c.name)
                          for c in self.path.iterdir()) or whoosh_ext.has_toc(self.path)
        except OSError:
            return  # unreadable: the checks that follow say so
        if foreign:
            self.check()  # raises NotAnIndex with a clear message

    def prepare_for_writing(self) -> None:
        """Create the folder if needed; refuse a file, someone else's folder, a read-only one."""
        p = self.path
        if p.exists() and not p.is_dir():
            raise NotAnIndex(f"{p} is a file, not an index folder")
        self.refuse_foreign()  # before the lock file
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise IndexReadOnly(f"cannot create the index folder {p}: {e.strerror}") from e
        if not os.access(p, os.W_OK):
            raise IndexReadOnly(f"the index at {p} is read-only",
                                hint="searching works on it; ingest needs write access")

    # -- the write lock -------------------------------------------------------------------
    @contextlib.contextmanager
    def write_lock(self, wait: float) -> Iterator[None]:
        """Hold the index's write lock, waiting up to ``wait`` seconds for another ingest."""
        path = self.path / LOCK
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise IndexReadOnly(f"cannot write to the index at {self.path}: {e.strerror}") from e
        deadline = time.monotonic() + max(0.0, wait)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise IndexLocked(
                            f"the index at {self.path} is being written by {_lock_holder(path)}",
                            hint="wait for it to finish, or pass --wait SECONDS",
                        ) from None
                    time.sleep(0.1)
            os.ftruncate(fd, 0)
            import socket  # here: only a writer needs the host name, and it costs a reader's start-up

            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "started": datetime.now().isoformat(timespec="seconds")}).encode())
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- the index in it (under the write lock) -------------------------------------------
    def open_or_create(self, rebuild: bool) -> Any:
        """The Whoosh index to write to: the existing one, or a new one (``rebuild``: emptied)."""
        from whoosh import index as windex

        if rebuild and self.marker.exists():
            self.clear()
        if self.marker.exists() and whoosh_ext.has_toc(self.path):
            self.check()
            try:
                return windex.open_dir(str(self.path))
            except Exception as e:  # noqa: BLE001 - whoosh raises many types for a damaged index
                raise SearchkitError(f"cannot open the index at {self.path}: {describe(e)}",
                                     hint="rebuild it: searchkit ingest --rebuild PATH") from e
        self.refuse_foreign()
        # A marker without a table of contents is our own first ingest, killed before its
        # first commit: start it again.
        self._write_marker()
        return windex.create_in(str(self.path), build_schema())

    def clear(self) -> None:
        """Empty a searchkit index for --rebuild. The tables of contents go first, so a rebuild
        killed half-way leaves "our index, nothing committed", which the next run starts afresh
        (the manifest before them, so that no manifest outlives its generation)."""
        (self.path / MANIFEST).unlink(missing_ok=True)
        for toc in whoosh_ext.tocs(self.path):
            toc.unlink()
        for child in self.path.iterdir():
            if child.name in KEPT_ON_CLEAR:
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    def write_entity_table(self, payload: dict[str, Any], names: dict[str, Any] | None = None) -> None:
        """Replace ``entities.json`` (and ``entity_names.json``, the part a search hit needs)
        atomically: readers never see half a file, and each is tagged with its generation."""
        for name, content in ((ENTITY_NAMES, names), (ENTITY_TABLE, payload)):
            if content is None:
                continue
            tmp = self.path / (name + ".tmp")
            tmp.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path / name)

    def _write_marker(self) -> None:
        tmp = self.path / (MARKER + ".tmp")
        import uuid  # here: only a new index needs one

        # index_id tells this index from a rebuilt one (whose generations start again).
        tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "tool": "searchkit",
                                   "index_id": uuid.uuid4().hex}) + "\n", encoding="utf-8")
        os.replace(tmp, self.marker)


def _lock_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"another ingest (pid {info['pid']} on {info['host']}, since {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another ingest"
