"""``searchkit shards`` and ``searchkit merge``: what a sharded index holds, and folding it into one.

A merge copies every shard's segments into one new index with Whoosh's own segment copy
(``add_reader``, what its merges use: postings, stored fields and columns as they are, no
re-analysis, no NER), in shard order, so an article's passages still follow it. In place, the
new index is built beside the shards (``shards/merged-...``), then ``shards.json`` is replaced
by one naming it alone (one atomic rename: a reader sees the old shards or the new one, never
half), then the old shards are deleted, and the merged index's files are linked up into the
top folder, which becomes a plain index when ``shards.json`` goes (:func:`_move_up`). A merge
killed before the first rename leaves the shards as they were and a stray folder that the
next merge deletes; killed after it, a sharded index of one shard, which searches, ingests
(into that shard) and merges again like any other.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SearchkitError
from ..store import whoosh_ext
from ..store.folder import ENTITY_EDITS, LOCK, MARKER, README, IndexFolder, check_index_dir
from ..store.manifest import MANIFEST, fsync_dir
from ..store.shards import SHARDS_DIR, SHARDS_FILE, IndexPath, index_parts, is_sharded, read_shards, write_shards


@dataclass(frozen=True)
class ShardInfo:
    """One shard as ``searchkit shards`` lists it."""

    path: str
    articles: int
    passages: int
    segments: int
    size_bytes: int
    generation: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "articles": self.articles, "passages": self.passages,
                "segments": self.segments, "size_bytes": self.size_bytes, "generation": self.generation}


def list_shards(index: IndexPath) -> list[ShardInfo]:
    """The single indexes an ``--index`` value names (the shards of a sharded index), with
    their counts as their manifests record them (no index is opened)."""
    from ..store.manifest import read_manifest
    from ..search.stats import folder_size

    out = []
    for p in index_parts(index)[1]:
        check_index_dir(p)
        m = read_manifest(p)
        if m is None:
            raise SearchkitError(f"the shard at {p} has no manifest", hint=f"searchkit check --repair --index {p}")
        articles = sum(s.articles for s in m.segments.values())
        passages = sum(s.passages for s in m.segments.values())
        out.append(ShardInfo(str(p), articles, passages, len(m.segments), folder_size(p), m.generation))
    return out


@dataclass
class MergeReport:
    into: str
    shards: int
    articles: int
    passages: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"into": self.into, "shards": self.shards, "articles": self.articles,
                "passages": self.passages, "seconds": round(self.seconds, 3)}


def merge_shards(index: IndexPath, into: str | os.PathLike[str] | None = None, *, wait: float = 5.0) -> MergeReport:
    """Fold the indexes of ``index`` into one: in place for a sharded index, else into the new
    folder ``into`` (the user's entity corrections come along)."""
    from whoosh import index as windex

    from ..store.record import record_generation
    from .finish import final_counts, save_entity_table
    from .report import IngestReport

    started = time.perf_counter()
    home, parts = index_parts(index)
    in_place = into is None
    if in_place and not is_sharded(home):
        if len(parts) > 1:
            raise SearchkitError("several --index folders are merged into a new one",
                                 hint="searchkit merge --index A --index B --into NEW")
        (one,) = list_shards(home)
        return MergeReport(str(home), 1, one.articles, one.passages, time.perf_counter() - started)  # one already
    top = IndexFolder(home)
    lock = top.write_lock(wait) if in_place else contextlib.nullcontext()
    with lock:
        if in_place:
            parts = read_shards(home)
            _leftovers_of_a_killed_merge(home)
            for stray in (home / SHARDS_DIR).glob("merged-*"):
                if stray not in parts:
                    shutil.rmtree(stray, ignore_errors=True)
            target = home / SHARDS_DIR / f"merged-{time.strftime('%Y%m%dT%H%M%S')}"
        else:
            target = Path(into)  # type: ignore[arg-type]
            if target.exists() and any(target.iterdir()):
                raise SearchkitError(f"{target} is not empty", hint="merge into a new folder")
        for p in parts:
            check_index_dir(p)
        folder = IndexFolder(target)
        folder.prepare_for_writing()
        with folder.write_lock(0):
            ix = folder.open_or_create(False)
            writer = whoosh_ext.new_writer(ix, target)
            try:
                for p in parts:
                    with windex.open_dir(str(p)).reader() as reader:
                        leaves = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
                        for leaf in leaves:
                            if leaf.doc_count_all():
                                writer.add_reader(leaf)
                writer.commit(merge=False)
            except BaseException:
                writer.cancel()
                raise
            record_generation(ix, target)
            save_entity_table(ix, folder)
            report = IngestReport()
            final_counts(ix, report)
        edits = home / ENTITY_EDITS
        if in_place:
            write_shards(home, [target])  # the switch: readers see the merged index from here on
            for p in parts:
                shutil.rmtree(p, ignore_errors=True)
            _move_up(target, home)
            target = home
        elif edits.exists():
            shutil.copyfile(edits, target / ENTITY_EDITS)
    return MergeReport(str(target), len(parts), report.articles, report.passages, time.perf_counter() - started)


def _leftovers_of_a_killed_merge(home: Path) -> None:
    """Index files linked into a sharded index's top folder by a merge killed before its
    last step (the shards are still what readers see): they go before the merge starts."""
    for child in home.iterdir():
        if whoosh_ext.is_whoosh_file(child.name) or child.name in (MARKER, MANIFEST):
            child.unlink()


def _move_up(merged: Path, home: Path) -> None:
    """Make the top folder the merged index itself: every file hard-linked up (the merged
    folder stays whole meanwhile), then ``shards.json`` removed (the second switch), then
    the shards folder. Killed before the removal, the merged shard is still what readers
    see, and the next merge starts by deleting the links."""
    for f in sorted(merged.iterdir(), key=lambda f: f.name == MARKER):
        if f.name in (LOCK, ENTITY_EDITS, README):
            continue
        tmp = home / (f.name + ".link")
        tmp.unlink(missing_ok=True)
        try:
            os.link(f, tmp)
        except OSError:
            shutil.copy2(f, tmp)
        os.replace(tmp, home / f.name)
    fsync_dir(home)
    (home / SHARDS_FILE).unlink()
    shutil.rmtree(home / SHARDS_DIR, ignore_errors=True)
