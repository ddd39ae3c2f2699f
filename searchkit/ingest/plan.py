"""What an ingest must do with each file: the decisions of incremental ingest, as pure functions.

Incremental state lives in the index itself: each article's stored record holds its
content hash and its file's stamp (:class:`~searchkit.store.documents.FileStamp`), committed
together with the documents. Comparing what a file holds now with those records says, per
article: unchanged, to index (new or changed), to delete (gone from its file, or its file gone
with ``--prune``), or unchanged but to re-stamp (its file changed around it, or a killed run
left the file half committed). Reading the files is :func:`read_entry`'s job; deciding is
:func:`plan_files`', which touches nothing and is tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SourceError
from ..records import Failure, Source
from ..store.documents import FileStamp

StoredRecords = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""path → source_id → the article record stored in the index."""


@dataclass(frozen=True)
class FileRead:
    """One discovered file as read: its hash and sources, or why it could not be read.

    ``sources`` is None when the file was not parsed: unreadable (``file_hash`` is None too),
    or its hash says every article of it is already in the index."""

    path: str
    file_hash: str | None
    sources: Sequence[Source] | None  # a SourceSet: known length and ids, maybe re-read lazily
    failures: tuple[Failure, ...] = ()
    warnings: tuple[Failure, ...] = ()
    skipped: tuple[Failure, ...] = ()


@dataclass
class IngestPlan:
    """What to do: sources to index (with their file's stamp), article ids to delete, stored
    records to re-stamp, and the counts and issues the report shows."""

    to_index: list[tuple[Source, FileStamp]] = field(default_factory=list)
    to_delete: list[str] = field(default_factory=list)
    restamp: list[tuple[Mapping[str, Any], FileStamp]] = field(default_factory=list)
    unchanged: int = 0
    pruned: int = 0
    failed: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    deferred: list[tuple[Sequence[Source], Mapping[str, Mapping[str, Any]], FileStamp]] = field(default_factory=list)
    """Lazily read archives whose records are planned as they are read (:func:`expand_deferred`)."""


def file_complete(old: Mapping[str, Mapping[str, Any]], fhash: str) -> bool:
    """True when every article of an unchanged file is in the index (none lost to a kill)."""
    counts = {r.get("file_sources") for r in old.values()}
    return (all(r["file_hash"] == fhash for r in old.values())
            and len(counts) == 1 and counts.pop() == len(old))


def needs_restamp(prev: Mapping[str, Any], stamp: FileStamp) -> bool:
    """An unchanged article whose stored file stamp is not its file's current one."""
    return bool(prev["file_hash"] != stamp.file_hash or prev.get("file_sources") != stamp.sources)


def plan_files(reads: Iterable[FileRead], stored: StoredRecords) -> IngestPlan:
    """Decide, for the files read, what to index, delete, re-stamp, or leave alone.

    Example: a JSONL file whose line 1 changed, line 2 did not, line 3 is gone and line 4 is
    new gives line 1 and 4 to index, line 3's article to delete, line 2 unchanged and to
    re-stamp (its file's hash changed)."""
    plan = IngestPlan()
    for read in reads:
        _plan_file(plan, read, stored.get(read.path, {}))
    return plan


def _plan_file(plan: IngestPlan, read: FileRead, old: Mapping[str, Mapping[str, Any]]) -> None:
    plan.failed.extend(read.failures)
    plan.warnings.extend(read.warnings)
    plan.skipped.extend(read.skipped)
    if read.file_hash is None:
        return  # unreadable: its articles stay as they are
    if read.sources is None or (old and file_complete(old, read.file_hash)):
        plan.unchanged += len(old)
        return
    stamp = FileStamp(read.file_hash, len(read.sources))
    current = getattr(read.sources, "source_ids", None) or {s.source_id for s in read.sources}
    if read.sources or not read.failures:  # a file that no longer reads keeps its old articles
        plan.to_delete.extend(r["article_id"] for sid, r in old.items() if sid not in current)
    if getattr(read.sources, "lazy", False):
        # A big archive re-read record by record: deciding now would hold all its text.
        plan.deferred.append((read.sources, old, stamp))
        return
    for s in read.sources:
        _plan_source(plan, s, old, stamp)


def _plan_source(plan: IngestPlan, s: Source, old: Mapping[str, Mapping[str, Any]], stamp: FileStamp) -> None:
    prev = old.get(s.source_id)
    if prev is not None and prev["content_hash"] == s.content_hash:
        plan.unchanged += 1
        if needs_restamp(prev, stamp):
            plan.restamp.append((prev, stamp))
        return
    plan.to_index.append((s, stamp))


def expand_deferred(plan: IngestPlan) -> Iterator[IngestPlan]:
    """The plans of a lazily read archive's records, one record at a time, so that only the
    records in flight are in memory (a 100k-record WARC never is as a whole)."""
    for sources, old, stamp in plan.deferred:
        for s in sources:
            one = IngestPlan()
            _plan_source(one, s, old, stamp)
            yield one


def plan_prune(stored: StoredRecords, seen_paths: set[str], exists: Callable[[str], bool]) -> IngestPlan:
    """``--prune``: the articles of files that are neither found by this run nor on disk."""
    plan = IngestPlan()
    for path, recs in stored.items():
        if path not in seen_paths and not exists(path):
            plan.to_delete.extend(r["article_id"] for r in recs.values())
            plan.pruned += len(recs)
    return plan


def count_gone(stored: StoredRecords, seen_paths: set[str], exists: Callable[[str], bool]) -> int:
    """Files with articles in the index that this run did not find and that are not on disk
    (what ``--prune`` would drop): the summary says so, rather than keep them silently."""
    return sum(1 for path in stored if path not in seen_paths and not exists(path))


def read_entry(path: str, old: Mapping[str, Mapping[str, Any]]) -> FileRead:
    """Read and hash one file; parse it unless its hash says all its articles are indexed.
    An archive is hashed as a stream and its records are re-read lazily when they do not fit
    in memory (:class:`~searchkit.load.SourceSet`)."""
    from ..load import display_path, open_input

    try:
        opened = open_input(path)
    except SourceError as e:
        return FileRead(path, None, None, failures=(Failure(display_path(path), str(e)),))
    fhash = opened.file_hash
    if old and file_complete(old, fhash):
        return FileRead(path, fhash, None)
    sources, issues = opened.read()
    del opened
    return FileRead(path, fhash, sources,
                    failures=tuple(Failure(i.where, i.reason) for i in issues if i.status == "failed"),
                    warnings=tuple(Failure(i.where, i.reason) for i in issues if i.status == "repaired"),
                    skipped=tuple(Failure(i.where, i.reason) for i in issues if i.status == "skipped"))
