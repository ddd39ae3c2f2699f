"""Recording a commit in the manifest (the write side of :mod:`searchkit.store.manifest`).

Called under the write lock right after each Whoosh commit (and after the entity table is
rewritten): it lists the folder once, writes a source list for each new segment, hashes the
files the previous manifest does not list, carries the others over, and writes the manifest.
Carrying over is deliberate: a segment file that decayed since its commit keeps its original
checksum in the manifest, so ``check`` finds it; hashing it again would bless the damage.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from . import whoosh_ext
from .documents import KIND_ARTICLE
from .folder import ENTITY_TABLE, MARKER
from .manifest import (
    SOURCES_SUFFIX,
    FileEntry,
    Manifest,
    ManifestDamaged,
    SegmentEntry,
    STALE_LOCK,
    file_entry,
    files_by_segment,
    is_orphan,
    read_manifest,
    toc_name,
    write_manifest,
    write_sources,
)

def previous_manifest(folder: Path) -> Manifest | None:
    """The manifest on disk, or None when it is missing or damaged (everything is hashed anew)."""
    try:
        return read_manifest(folder)
    except ManifestDamaged:
        return None


def record_generation(ix: Any, folder: Path, entities_generation: int | None = None) -> Manifest:
    """Write the manifest of the index's current generation; return it.

    ``entities_generation``: the generation of the entity table just written (None: the table
    on disk is carried over from the previous manifest, or read to find its generation)."""
    from .schema import SCHEMA_VERSION

    generation, segments = whoosh_ext.read_toc(ix)
    prev = previous_manifest(folder)
    names = set(os.listdir(folder))
    manifest = Manifest(generation, schema_version=SCHEMA_VERSION)
    schema = ix.schema

    def entry(name: str, known: bool) -> FileEntry:
        if known and prev is not None and name in prev.files:
            return prev.files[name]
        return file_entry(folder / name)

    manifest.files[toc_name(generation)] = entry(toc_name(generation), known=False)
    if MARKER in names:
        manifest.files[MARKER] = entry(MARKER, known=True)
    by_segment = files_by_segment(names)
    for seg in segments:
        sid = seg.segment_id()
        known = prev is not None and sid in prev.segments
        sources = sid + SOURCES_SUFFIX
        if sources not in names:
            write_sources(folder / sources, segment_sources(ix, seg, schema))
            by_segment.setdefault(sid, []).append(sources)
        for name in sorted(set(by_segment.get(sid, []))):
            manifest.files[name] = entry(name, known)
        docs, deleted = seg.doc_count_all(), seg.deleted_count()
        before = prev.segments.get(sid) if prev is not None else None
        if before is not None and (before.docs, before.deleted) == (docs, deleted):
            manifest.segments[sid] = before
        else:
            articles = segment_article_count(ix, seg, schema)
            manifest.segments[sid] = SegmentEntry(docs, deleted, articles, docs - deleted - articles)
    manifest.entities = _entities_entry(folder, prev, entities_generation)
    write_manifest(folder, manifest)
    return manifest


def _entities_entry(folder: Path, prev: Manifest | None, generation: int | None) -> dict[str, Any] | None:
    path = folder / ENTITY_TABLE
    try:
        e = file_entry(path)
    except FileNotFoundError:
        return None
    if generation is None:
        if prev is not None and prev.entities and prev.entities.get("crc32") == e.crc32:
            generation = int(prev.entities["generation"])
        else:
            generation = entity_table_generation(path)
    return {"size": e.size, "crc32": e.crc32, "generation": generation}


def entity_table_generation(path: Path) -> int:
    """The generation an entity table file says it belongs to (-1 when unreadable)."""
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def segment_article_count(ix: Any, segment: Any, schema: Any) -> int:
    """Live ``article`` documents in one segment."""
    from whoosh.query import Term

    with whoosh_ext.segment_searcher(ix, segment, schema) as s:
        return len(s.search(Term("kind", KIND_ARTICLE), limit=None, scored=False))


def segment_sources(ix: Any, segment: Any, schema: Any) -> list[tuple[str, str, int]]:
    """(path, file hash, articles) of every source file whose articles the segment holds,
    from the stored records of its article documents."""
    counts: Counter[tuple[str, str]] = Counter()
    with whoosh_ext.segment_searcher(ix, segment, schema) as s:
        for fields_ in s.documents(kind=KIND_ARTICLE):
            rec = json.loads(fields_["record"])
            counts[(rec["path"], rec.get("file_hash") or rec.get("content_hash") or "")] += 1
    return [(p, h, n) for (p, h), n in counts.items()]


def remove_orphans(ix: Any, folder: Path) -> list[str]:
    """Delete the files no committed state uses (see :func:`~.manifest.is_orphan`); return
    their names. Under the write lock only: an ingest in progress writes files that look
    like orphans until its commit."""
    import shutil

    generation, segments = whoosh_ext.read_toc(ix)
    ids = {s.segment_id() for s in segments}
    removed = []
    for name in sorted(os.listdir(folder)):
        if not is_orphan(name, generation, ids):
            continue
        path = folder / name
        if name == STALE_LOCK and whoosh_lock_held(path):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(name)
        except FileNotFoundError:
            continue
    return removed


def whoosh_lock_held(path: Path) -> bool:
    """True when a live process holds Whoosh's lock file (it is an ``flock``)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)
