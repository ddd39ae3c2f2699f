"""``searchkit check --clean`` and ``--repair``: fix what :func:`check_index` found.

Repair sets the damaged segments aside (a commit that drops them, without reading them), then
re-ingests the source files their source lists name, through the ordinary incremental
ingest: a file whose articles are all still in healthy segments is skipped, a JSONL file that
lost some of its articles is read again (its stored article count no longer matches), and a
file gone from disk is named as not recoverable. The manifest and the entity table are
rewritten from what the index holds; a damaged marker is rewritten; a damaged or unreadable
table of contents (the list of segments) means a rebuild from every source the source lists
name. Orphan files go in all cases (``--clean`` does only that).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SearchkitError
from ..settings import IngestSettings
from ..store import whoosh_ext
from ..store.folder import ENTITY_TABLE, MARKER, IndexFolder
from ..store.integrity import CheckReport, check_index
from ..store.manifest import MANIFEST, SOURCES_SUFFIX, ManifestDamaged, read_sources, toc_name


def clean_orphans(path: str | os.PathLike[str], *, wait: float = 0.0) -> CheckReport:
    """Check, then delete the orphan files (under the write lock); return the check's report."""
    from ..store.record import remove_orphans

    from ..store.shards import is_sharded, read_shards

    if is_sharded(Path(path)):
        for shard in read_shards(Path(path)):
            clean_orphans(shard, wait=wait)
        return check_index(path)
    report = check_index(path)
    if report.cannot_check or not report.orphans:
        return report
    folder = IndexFolder(Path(path))
    with folder.write_lock(wait):
        from whoosh import index as windex

        ix = windex.open_dir(str(folder.path))
        report.removed = remove_orphans(ix, folder.path)
    return report


def repair_index(path: str | os.PathLike[str], *, wait: float = 0.0, workers: int | None = None,
                 settings: IngestSettings = IngestSettings()) -> CheckReport:
    """Repair what a (deep) check finds; return the check run after the repair, with a line
    per thing done in ``repaired``."""
    from ..store.shards import is_sharded, read_shards
    from .run import ingest

    if is_sharded(Path(path)):  # each damaged shard repaired as the index it is
        for shard in read_shards(Path(path)):
            if check_index(shard, deep=True).problems:
                repair_index(shard, wait=wait, workers=workers, settings=settings)
        return check_index(path, deep=True)
    before = check_index(path, deep=True)
    # a copy table behind the index or of an older format is a note (search still works), and
    # what check --repair rebuilds; "no copy table" (detection off) is left as it is
    stale_copies = any(f.kind == "copies" and not f.problem and "/" in f.name for f in before.findings)
    if before.cannot_check or not (before.problems or stale_copies):
        return before
    folder = IndexFolder(Path(path))
    done: list[str] = [f"found {f.name}: {f.message}" for f in before.problems]
    gen_toc = toc_name(before.generation)
    if before.has(gen_toc) or any(f.kind == "missing" and f.name.startswith("_MAIN_") for f in before.problems):
        sources = _all_sources(folder.path)
        done.append(f"the table of contents is damaged: rebuilding from the {len(sources)} source files "
                    "the source lists name")
        to_ingest, gone = _existing(set(sources))
        lost = {p: sources[p] for p in gone}
        with folder.write_lock(wait):
            folder.clear()
        rebuild = True
    else:
        with folder.write_lock(wait):
            to_ingest, lost, lines = _set_segments_aside(folder, before)
            done += lines
        rebuild = False
    if to_ingest or rebuild:
        report = ingest(sorted(to_ingest), folder.path, workers=workers, settings=settings, wait=wait,
                        rebuild=rebuild)
        done.append(f"re-ingested {len(to_ingest)} source files: {report.new} articles added back, "
                    f"{report.unchanged} unchanged" + (f", {len(report.failed)} failed" if report.failed else ""))
    else:
        _rerecord(folder)
    for p, n in sorted(lost.items()):
        done.append(f"not recoverable: {n} article{'' if n == 1 else 's'} of {p} (the file is gone)")
    if stale_copies or any(f.kind == "copies" for f in before.problems):  # (a re-ingest above may have fixed it already)
        from .copies import restore_copies

        with folder.write_lock(wait):
            done.append(restore_copies(folder.path))
    after = check_index(path, deep=True)
    after.repaired = done
    return after


def _set_segments_aside(folder: IndexFolder, before: CheckReport) -> tuple[set[str], dict[str, int], list[str]]:
    """Under the lock: drop damaged segments, rewrite a damaged marker; return the sources to
    re-ingest, those that cannot be (path -> articles), and what was done."""
    from whoosh import index as windex

    from ..store.record import remove_orphans
    from .finish import save_entity_table

    lines: list[str] = []
    damaged = before.damaged_segments
    to_ingest: set[str] = set()
    lost: dict[str, int] = {}
    for sid in sorted(damaged):
        try:
            sources = read_sources(folder.path / (sid + SOURCES_SUFFIX))
        except (OSError, ManifestDamaged, KeyError, TypeError, ValueError):
            raise SearchkitError(f"segment {sid} is damaged and so is its source list: the articles it held "
                                 "are unknown", hint="rebuild the index: searchkit ingest --rebuild PATHS") from None
        found, gone = _existing({s for s, _, _ in sources})
        to_ingest |= found
        for s, _, n in sources:
            if s in gone:
                lost[s] = lost.get(s, 0) + n
        lines.append(f"set aside damaged segment {sid} ({sum(n for _, _, n in sources)} articles "
                     f"from {len(sources)} source files)")
    if before.has(MARKER):
        folder.marker.unlink(missing_ok=True)
        folder._write_marker()
        lines.append(f"rewrote {MARKER}")
    lists = [f.name for f in before.problems if f.name.endswith(SOURCES_SUFFIX) and f.name.split(".")[0] not in damaged]
    for name in lists:  # rewritten from the segment's stored records when the manifest is
        (folder.path / name).unlink(missing_ok=True)
        lines.append(f"rewrote {name}")
    ix = windex.open_dir(str(folder.path))
    if damaged:
        whoosh_ext.commit_dropping(ix, folder.path, damaged)
    remove_orphans(ix, folder.path)
    if before.has(MANIFEST) or before.has(ENTITY_TABLE) or damaged or lists or before.problems:
        (folder.path / MANIFEST).unlink(missing_ok=True)  # record every file anew
        save_entity_table(ix, folder)
        lines.append("rewrote the manifest and the entity table")
    return to_ingest, lost, lines


def _rerecord(folder: IndexFolder) -> None:
    """Nothing to re-ingest: the index as it is now gets a fresh entity table and manifest."""
    from whoosh import index as windex

    from .finish import save_entity_table

    with folder.write_lock(0):
        save_entity_table(windex.open_dir(str(folder.path)), folder)


def _all_sources(folder: Path) -> dict[str, int]:
    """Every source file any segment's source list names (readable lists only), with the
    articles it held."""
    out: dict[str, int] = {}
    for p in folder.glob("MAIN_*" + SOURCES_SUFFIX):
        try:
            for s, _, n in read_sources(p):
                out[s] = out.get(s, 0) + n
        except (OSError, ManifestDamaged, KeyError, TypeError, ValueError):
            continue
    return out


def _existing(paths: set[str]) -> tuple[set[str], set[str]]:
    found = {p for p in paths if os.path.exists(p)}
    return found, paths - found
