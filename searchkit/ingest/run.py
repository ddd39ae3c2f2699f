"""One ingest under the write lock: plan each file, build its articles in workers, write, finish.

One writer in this process adds documents and commits every ``commit_every`` articles. A
Whoosh commit writes new segment files and then atomically replaces the table of contents,
so a killed ingest leaves the last commit intact; the next run simply redoes what was not
committed, because incremental state (content hashes) lives in the index itself, in the same
commit as the documents. Ctrl-C and SIGTERM are held off during a commit and then stop the
run with a report of what was committed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import IndexReadOnly, Interrupted
from ..records import Article, Failure, Source
from ..settings import IngestSettings
from ..store import whoosh_ext
from ..store.documents import FileStamp, add_article, article_from_documents, stored_records
from ..store.folder import IndexFolder
from ..store.manifest import quick_check, verify_checksums
from ..store.record import record_generation, remove_orphans
from .copies import CopyStage
from .disk import disk_full_error, is_disk_full
from .finish import final_counts, merge_small_segments, save_entity_table
from .plan import IngestPlan, count_gone, expand_deferred, plan_files, plan_prune, read_entry
from .report import IngestReport, ProgressCallback
from .signals import StopSignals
from .workers import Built, run_pipeline


class IngestRun:
    """The state of one ingest under the write lock: the index, the writer, the counts, and
    what the plan left for the end (deletions, re-stamps)."""

    def __init__(self, folder: IndexFolder, settings: IngestSettings, stop: StopSignals) -> None:
        self.folder = folder
        self.settings = settings
        self.commit_every = max(1, settings.commit_every)
        self.stop = stop
        self.report = IngestReport()
        self.ix: Any = None
        self.writer: Any = None
        self.in_batch = 0
        self.committed = 0
        self.stored: dict[str, dict[str, Any]] = {}  # source_id → stored record
        self.to_delete: list[str] = []  # article ids
        self.restamp: list[tuple[Any, FileStamp]] = []
        self.copies = CopyStage(folder.path, settings.dup_threshold)
        # For the articles' progress: input bytes read and in all, articles planned and done.
        self.bytes_read = 0
        self.bytes_total = 0
        self.planned = 0
        self.done = 0

    # -- the index and its writer ---------------------------------------------------------
    def open(self, rebuild: bool) -> None:
        with self.stop.deferred():  # a --rebuild or a first create is not cut in half either
            self.ix = self.folder.open_or_create(rebuild)
            # What a failed or killed run left (a disk-full commit's segment files, temp
            # files, Whoosh's lock file) goes first; a generation a crash left unrecorded
            # (between its TOC and its manifest) is recorded now; then the sizes are checked.
            remove_orphans(self.ix, self.folder.path)
            quick_check(self.folder.path)
            verify_checksums(self.folder.path)
            record_generation(self.ix, self.folder.path)
        with self.ix.searcher() as s:
            self.stored = stored_records(s)
        self.copies.bind(self.ix, self.stored)

    def stored_by_path(self) -> dict[str, dict[str, dict[str, Any]]]:
        by_path: dict[str, dict[str, dict[str, Any]]] = {}
        for sid, rec in self.stored.items():
            by_path.setdefault(rec["path"], {})[sid] = rec
        return by_path

    def get_writer(self) -> Any:
        if self.writer is None:
            self.writer = whoosh_ext.new_writer(self.ix, self.folder.path, self.settings.pool_mb, by_term=True)
        return self.writer

    def commit(self) -> None:
        if self.writer is None:
            return
        with self.stop.deferred():  # a commit is never cut in half by Ctrl-C
            self.writer.commit()
            self.writer = None
            record_generation(self.ix, self.folder.path)  # right after Whoosh's TOC
            self.copies.save()  # the clusters of what was just committed
            self.committed += self.in_batch
            self.in_batch = 0

    def abandon(self, final: bool = True) -> None:
        """Drop the uncommitted batch; keep the index consistent for the next run."""
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.cancel()
            self.writer = None
        self.copies.discard()
        if final and self.ix is not None:
            with contextlib.suppress(Exception):
                final_counts(self.ix, self.report)
                save_entity_table(self.ix, self.folder)

    # -- plan -----------------------------------------------------------------------------
    def take(self, plan: IngestPlan) -> list[tuple[Source, FileStamp]]:
        """Record a plan's counts, issues, deletions and re-stamps; return what it says to index."""
        report = self.report
        report.unchanged += plan.unchanged
        report.pruned += plan.pruned
        report.failed.extend((f.where, f.reason) for f in plan.failed)
        report.warnings.extend((f.where, f.reason) for f in plan.warnings)
        report.skipped.extend((f.where, f.reason) for f in plan.skipped)
        self.to_delete.extend(plan.to_delete)
        self.restamp.extend(plan.restamp)
        return plan.to_index

    def find_inputs(self, paths: Iterable[str | os.PathLike[str]], *, prune: bool,
                    include_skipped: bool) -> list[str]:
        """Walk the inputs (never the index itself), record what the walk could not read or
        skipped, and prune (or count) the indexed files gone from disk; the files to plan."""
        from ..load import discover

        files, found = discover(paths, exclude=[self.folder.path], include_skipped=include_skipped)
        by_status = {"failed": self.report.failed, "repaired": self.report.warnings, "skipped": self.report.skipped}
        for issue in found:
            by_status[issue.status].append((issue.where, issue.reason))
        on_disk = {f.path for f in files}
        if prune:
            self.take(plan_prune(self.stored_by_path(), on_disk, os.path.exists))
        else:
            self.report.gone = count_gone(self.stored_by_path(), on_disk, os.path.exists)
        return [f.path for f in files]

    def sources_to_index(self, files: list[str], progress: ProgressCallback | None) -> Iterator[tuple[Source, FileStamp]]:
        """Read and plan one file at a time, as the workers ask for more: the sources in
        memory are those of the files in flight, and progress follows the work."""
        by_path = self.stored_by_path()
        sizes = [_size(path) for path in files]
        self.bytes_total = sum(sizes)
        for n, (path, size) in enumerate(zip(files, sizes), start=1):
            if progress:
                progress("files", n - 1, len(files))
            plan = plan_files([read_entry(path, by_path.get(path, {}))], by_path)
            sources = self.take(plan)
            self.bytes_read += size
            self.planned += len(sources) + sum(len(s) for s, _, _ in plan.deferred)
            yield from sources
            for one in expand_deferred(plan):
                yield from self.take(one)
        if progress:
            progress("files", len(files), len(files))

    def articles_expected(self) -> int:
        """Articles planned so far, scaled up by the input not read yet (at least those done)."""
        if 0 < self.bytes_read < self.bytes_total:
            return max(self.done, round(self.planned * self.bytes_total / self.bytes_read))
        return max(self.done, self.planned)

    # -- write ----------------------------------------------------------------------------
    def write_article(self, article: Article, stamp: FileStamp) -> None:
        """Add (or replace) one article; commit every ``commit_every``."""
        w = self.get_writer()
        prev = self.stored.get(article.source_id)
        if prev is not None:
            w.delete_by_term("article_id", prev["article_id"])
            self.report.updated += 1
        else:
            self.report.new += 1
        w.delete_by_term("article_id", article.article_id)
        add_article(w, article, stamp, whoosh_ext.writer_generation(w))
        self.copies.add(article, replaces=prev["article_id"] if prev is not None else None)
        self.in_batch += 1
        if self.commit_due():
            self.commit()

    def commit_due(self) -> bool:
        """Whether to commit after the article just written: every ``commit_every`` articles,
        except that an ingest whose input left is under half a commit takes it into this one
        (at most 1.5x ``commit_every``): a commit is a segment, every query pays for each one,
        and a small last segment is the costliest (BBC: 2,000 + 225 articles ran the perf
        queries ~20% slower than one segment of 2,225)."""
        if self.in_batch < self.commit_every:
            return False
        if not self.planned or self.in_batch >= self.commit_every + self.commit_every // 2:
            return True  # no plan (``write_articles``): what is left is not known
        left = self.articles_expected() - (self.done + 1)  # ``done`` counts it after the write
        return left >= self.commit_every // 2

    def write_all(self, built: Iterable[Built], progress: ProgressCallback | None = None) -> None:
        """Write built articles, reporting failures; a full or read-only disk is one clear error."""
        from ..load import display_path

        try:
            for result, stamp in built:
                self.stop.check()
                if isinstance(result, Failure):
                    self.report.failed.append((display_path(result.where), result.reason))
                else:
                    self.write_article(result, stamp)
                self.done += 1
                if progress:
                    progress("articles", self.done, self.articles_expected())
        except OSError as e:
            self.abandon(final=False)
            where = self.folder.path
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise IndexReadOnly(f"cannot write to the index at {where}: {e.strerror}") from e
            raise

    # -- finish ---------------------------------------------------------------------------
    def finish(self, progress: ProgressCallback | None) -> None:
        """Deletions and re-stamps, the last commit, the merge, the entity table, the counts."""
        self.stop.check()
        for aid in self.to_delete:
            self.get_writer().delete_by_term("article_id", aid)
            self.copies.remove(aid)
        # Unchanged articles of a changed (or partly committed) file: refresh their stamp so
        # the next run can skip the whole file again.
        for prev, stamp in self.restamp:
            self._restamp(prev, stamp)
        self.commit()
        self.copies.finish()  # a table a killed run left apart from the index is restored
        try:
            merge_small_segments(self.ix, self.folder.path, self.settings.max_segments, progress)
        finally:  # an interrupted merge leaves the committed index as it was
            with self.stop.deferred():
                save_entity_table(self.ix, self.folder)
                final_counts(self.ix, self.report)
                remove_orphans(self.ix, self.folder.path)  # Whoosh's lock file

    def _restamp(self, prev: Any, stamp: FileStamp) -> None:
        """Re-add an unchanged article with a new file stamp (no re-cleaning, no NER), rebuilt
        from its stored documents and written like any other, so that fields the index does
        not store (the article-wide entity sets, ``body``) are written again too."""
        aid = prev["article_id"]
        with self.ix.searcher() as s:
            docs = list(s.documents(article_id=aid))
        article = article_from_documents(aid, docs)
        if article is None:
            return
        writer = self.get_writer()
        writer.delete_by_term("article_id", aid)
        # Its generation is kept: the article did not change, so a saved search has seen it.
        add_article(writer, article, stamp, next((d["generation"] for d in docs if "generation" in d), None))


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    index: str | os.PathLike[str] = "index",
    *,
    settings: IngestSettings = IngestSettings(),
    workers: int | None = None,
    prune: bool = False,
    rebuild: bool = False,
    wait: float = 5.0,
    model: str | None = None,
    progress: ProgressCallback | None = None,
    include_skipped: bool = False,
    scheduler: str | None = None,
    shard_per_worker: bool = False,
) -> IngestReport:
    """Ingest files and folders into the index at ``index`` (created if needed).

    Unchanged files are skipped by content hash, changed ones replaced, and with ``prune``
    articles whose files are gone are dropped. Returns an :class:`IngestReport`; raises
    :class:`~searchkit.errors.Interrupted` (with the report) on Ctrl-C or SIGTERM, after
    keeping what was committed. Folders no one means as input (version control, virtualenvs,
    caches, build output, a saved page's asset folder) are skipped and listed in
    ``report.skipped``; ``include_skipped`` reads them too. A searchkit index is never read.

    ``scheduler`` (a Dask scheduler's address, or ``local[:N]``) runs cleaning and NER on a
    Dask cluster (:mod:`.cluster`); ``shard_per_worker`` also has each worker write its own
    shard of a sharded index (:mod:`.sharded`).

    Example::

        report = searchkit.ingest(["corpus/"], index="index", workers=2)
        print(report.new, report.failed)
    """
    from ..entities import DEFAULT_MODEL

    if shard_per_worker:
        from .sharded import ingest_sharded

        return ingest_sharded(paths, index, scheduler=scheduler, settings=settings, workers=workers, prune=prune,
                              rebuild=rebuild, wait=wait, model=model, progress=progress,
                              include_skipped=include_skipped)
    from ..store.shards import writable_index

    index = writable_index(index)  # a sharded index of one shard (a merged one): that shard
    if scheduler is not None:
        from .cluster import check_scheduler

        check_scheduler(scheduler)
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))

    def body(run: IngestRun, progress: ProgressCallback | None) -> None:
        run.open(rebuild)
        to_index = run.sources_to_index(run.find_inputs(paths, prune=prune, include_skipped=include_skipped),
                                        progress)
        if scheduler is not None:  # the same batches, as Dask tasks
            from .cluster import cluster_pipeline

            pipeline = cluster_pipeline(to_index, scheduler, model or DEFAULT_MODEL, batch_size=settings.batch_size,
                                        window_per_worker=settings.window_per_worker)
        else:
            pipeline = run_pipeline(to_index, n_workers, model or DEFAULT_MODEL, batch_size=settings.batch_size,
                                    window_per_worker=settings.window_per_worker,
                                    sign_copies=settings.dup_threshold > 0)
        try:
            run.write_all(pipeline, progress)
        finally:
            pipeline.close()  # stop the workers now, not when the traceback is collected
        run.finish(progress)

    report = _locked_run(Path(index), settings, wait, progress, body)
    _count_watches(Path(index), report)
    return report


def _count_watches(index: Path, report: IngestReport) -> None:
    """Which saved searches have new passages now (``searchkit.watch``); a damaged saved-searches
    file is a warning, never a failed ingest."""
    from ..errors import SearchkitError
    from ..watch import new_counts

    try:
        report.watches = new_counts(index)
    except SearchkitError as e:
        report.warnings.append(("saved searches", str(e)))


def write_articles(
    index: str | os.PathLike[str],
    articles: Iterable[Article],
    *,
    settings: IngestSettings = IngestSettings(),
    rebuild: bool = False,
    wait: float = 5.0,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Write ready :class:`Article` records (no cleaning, no NER) to the index at ``index``,
    through the same writer, commits, merge and entity table as :func:`ingest`.

    An article replaces a stored one with the same ``source_id``. Each is stamped as the only
    article of its file, with its content hash as the file's hash. For tests and benchmarks
    that need an index of known articles fast, and for articles built elsewhere.

    Example::

        write_articles("index", [Article("a1", "a.txt", "a.txt", "h1", text, Metadata(title="T"),
                                         passages=passages)])
    """

    def body(run: IngestRun, progress: ProgressCallback | None) -> None:
        run.open(rebuild)
        run.write_all((a, FileStamp(a.content_hash, 1)) for a in articles)
        run.finish(progress)

    return _locked_run(Path(index), settings, wait, progress, body)


def _locked_run(index_dir: Path, settings: IngestSettings, wait: float, progress: ProgressCallback | None,
                body: Callable[[IngestRun, ProgressCallback | None], None]) -> IngestReport:
    """Run ``body`` under the write lock and the stop signals; turn Ctrl-C into :class:`Interrupted`."""
    started = time.perf_counter()
    folder = IndexFolder(index_dir)
    folder.prepare_for_writing()
    with folder.write_lock(wait), StopSignals() as stop:
        run = IngestRun(folder, settings, stop)
        try:
            body(run, progress)
        except KeyboardInterrupt:
            with stop.deferred(then_stop=False):  # a second Ctrl-C does not cut the clean-up short
                run.abandon()
            run.report.interrupted = True
            run.report.seconds = time.perf_counter() - started
            raise Interrupted(
                f"{stop.name}: {run.committed} new or updated articles were committed "
                f"(the index holds {run.report.articles}); {run.in_batch} in progress were discarded; "
                "run the same ingest again to finish",
                run.report,
            ) from None
        except BaseException as e:
            run.abandon(final=False)
            if is_disk_full(e):
                raise disk_full_error(run, e) from e
            raise
    run.report.seconds = time.perf_counter() - started
    return run.report


def _size(path: str) -> int:
    """A file's size for the progress estimate (0 if it cannot be read: it fails later anyway)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
