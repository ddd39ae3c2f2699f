"""Several index folders searched as one: a sharded index, or ``--index A --index B``.

A sharded index is a folder whose ``shards.json`` lists its shards, each a complete searchkit
index (``index/shards/w00`` ...), written side by side by ``ingest --shard-per-worker``. The
top folder holds what belongs to the whole: the user's entity corrections, the entity table
built from the pooled counts, the write lock of the sharded ingest. A list of folders
(``--index A --index B``, ``SEARCHKIT_INDEX=A:B``) is searched the same way, with the first
folder as its home.

:class:`MultiIndex` stands where a Whoosh ``FileIndex`` stands for one folder: its reader is
one ``MultiReader`` over every shard's segment readers, so a searcher over it sees one index
with more segments. Document frequencies, document counts and field lengths are then pooled
by Whoosh itself, and every score is the one an index built from the same files gives; the
search code (collapsing, facets, filters, duplicates, whatever lands later) reads segments
through the searcher and never learns that there are shards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import IndexDamaged, SearchkitError

SHARDS_FILE = "shards.json"
"""The list of a sharded index's shards, relative to its folder: ``{"shards": ["shards/w00"]}``."""
SHARDS_DIR = "shards"
IndexPath = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""What ``--index`` and :func:`searchkit.open_index` take: one folder, or several."""


def is_sharded(folder: Path) -> bool:
    return (folder / SHARDS_FILE).is_file()


def read_shards(folder: Path) -> list[Path]:
    """The shard folders a sharded index lists (raises :class:`IndexDamaged` for a bad list)."""
    try:
        names = json.loads((folder / SHARDS_FILE).read_text(encoding="utf-8"))["shards"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise TypeError("not a list of names")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexDamaged(f"index damaged: {SHARDS_FILE} is unreadable", folder) from e
    return [folder / n for n in names]


def write_shards(folder: Path, shards: Sequence[Path]) -> None:
    """Replace the shard list atomically (a reader sees the old list or the new one)."""
    names = [os.path.relpath(s, folder) for s in shards]
    tmp = folder / (SHARDS_FILE + ".tmp")
    tmp.write_text(json.dumps({"tool": "searchkit", "shards": names}, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, folder / SHARDS_FILE)


def writable_index(path: str | os.PathLike[str]) -> Path:
    """The one folder a single-writer ingest writes: the folder itself, or the only shard of
    a sharded index (what ``searchkit merge`` leaves). Several shards need
    ``--shard-per-worker``; a list of folders cannot be written at all."""
    folders = split_index_arg(path)
    if len(folders) > 1:
        raise SearchkitError("ingest writes one index; several --index folders are for searching",
                             hint="ingest into each folder on its own, or into a sharded one with --shard-per-worker")
    folder = folders[0]
    if not is_sharded(folder):
        return folder
    shards = read_shards(folder)
    if len(shards) != 1:
        raise SearchkitError(f"the index at {folder} has {len(shards)} shards: each worker writes its own",
                             hint="add --shard-per-worker, or fold them into one with: searchkit merge")
    return shards[0]


def split_index_arg(path: IndexPath) -> list[Path]:
    """The folders an ``--index`` value names: a list as given, a folder that exists as
    named, or folders joined by ``os.pathsep`` (how the command line passes repeated
    ``--index`` options, and how ``SEARCHKIT_INDEX=A:B`` reads)."""
    if isinstance(path, (list, tuple)):
        return [Path(p) for p in path]
    p = Path(path)  # type: ignore[arg-type]
    text = os.fspath(p)
    if os.pathsep in text and not p.exists():
        return [Path(part) for part in text.split(os.pathsep) if part]
    return [p]


def index_parts(path: IndexPath) -> tuple[Path, list[Path]]:
    """(home folder, the single-index folders to search) for an ``--index`` value."""
    folders = split_index_arg(path)
    parts: list[Path] = []
    for f in folders:
        parts.extend(read_shards(f) if is_sharded(f) else [f])
    if not parts:
        raise SearchkitError(f"the sharded index at {folders[0]} lists no shards",
                             hint="ingest into it with --shard-per-worker, or point --index at a shard")
    return folders[0], parts


def open_for_search(path: IndexPath) -> tuple[Path, Any]:
    """(home folder, index) to search: a Whoosh ``FileIndex`` for one folder (the common case,
    exactly as before), a :class:`MultiIndex` for several. Each folder is checked first."""
    from whoosh import index as windex

    from .folder import check_index_dir

    home, parts = index_parts(path)
    checked = [check_index_dir(p) for p in parts]
    if len(checked) == 1 and checked[0] == home:
        return home, windex.open_dir(str(home), readonly=True)
    return home, MultiIndex([windex.open_dir(str(p), readonly=True) for p in checked])


class MultiIndex:
    """Several Whoosh indexes as one, for reading: what :class:`searchkit.search.SearchIndex`
    asks of a ``FileIndex`` (a reader, a searcher, the latest generation, the schema).

    The generation is the sum of the parts' generations: each only grows, so the sum changes
    whenever any part commits (a searcher's ``refresh`` sees it), and a table saved for one
    state is never taken for another's of the same parts."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts

    @property
    def schema(self) -> Any:
        return self.parts[0].schema

    def latest_generation(self) -> int:
        return sum(ix.latest_generation() for ix in self.parts)

    def reader(self, reuse: Any = None) -> Any:
        from whoosh.reading import MultiReader

        generation = self.latest_generation()
        leaves: list[Any] = []
        for ix in self.parts:
            r = ix.reader()
            if r.is_atomic():
                leaves.append(r)
            else:
                leaves.extend(leaf for leaf, _ in r.leaf_readers())
        kept = [r for r in leaves if r.doc_count_all()] or leaves[:1]
        if reuse is not None:  # Whoosh's contract: a reader passed as ``reuse`` is not used again
            reuse.close()
        return MultiReader(kept, generation=generation)

    def searcher(self, **kwargs: Any) -> Any:
        from whoosh.searching import Searcher

        return Searcher(self.reader(), fromindex=self, **kwargs)

    def close(self) -> None:
        for ix in self.parts:
            ix.close()
