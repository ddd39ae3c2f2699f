"""``ingest --shard-per-worker``: when one writer is the bottleneck, each worker writes a shard.

The index folder becomes a sharded index (:mod:`searchkit.store.shards`): ``shards.json``
lists ``shards/w00`` ... ``shards/wNN``, one per worker at creation, each a complete searchkit
index. An article always goes to the same shard (by its id, which its source id alone
fixes), so a changed article replaces its old version in the same commit, and a task run
twice (its worker killed after the commit, before the answer came back) writes the same
documents over themselves: nothing is lost or doubled. The shard count is fixed when the
index is created, whatever the number of workers later.

Here, the client reads and plans (as for one writer, against the records of every shard),
groups the sources by shard and submits each group as one task to the worker that owns the
shard; the task builds the articles and commits them to its shard under the shard's write
lock (:func:`write_shard_batch`). At the end the client, holding every lock, does what the
plan left (deletions, re-stamps), merges each shard's small segments, rebuilds the shards'
entity tables and the pooled one of the whole.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import Interrupted, SearchkitError
from ..records import Failure, Source
from ..settings import IngestSettings
from ..store import whoosh_ext
from ..store.documents import FileStamp, add_article, stored_records
from ..store.folder import IndexFolder
from ..store.shards import SHARDS_DIR, MultiIndex, is_sharded, read_shards, write_shards
from .build import article_id_for
from .report import IngestReport, ProgressCallback

SHARD_BATCH = 4
"""A shard task holds this many of the local pool's batches: each task commits once, and a
commit costs about as much as cleaning and tagging a few articles."""


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article lives in: fixed by its id, so every run puts it in the same one."""
    return int(article_id[:8], 16) % shards


def write_shard_batch(shard: str, sources: list[Source], stamps: list[FileStamp], model: str,
                      wait: float = 600.0) -> list[Failure | None]:
    """The Dask task: build a batch and commit it to its shard (None for each article written).

    Under the shard's write lock: what a killed task left (segment files of an uncommitted
    writer) goes first, then each article replaces any stored one of the same id."""
    from ..store.record import record_generation, remove_orphans
    from .build import build_articles
    from .cluster import worker_extractor

    built = build_articles(sources, worker_extractor(model))
    folder = IndexFolder(Path(shard))
    with folder.write_lock(wait):
        ix = folder.open_or_create(False)
        remove_orphans(ix, folder.path)
        writer = whoosh_ext.new_writer(ix, folder.path, by_term=True)
        try:
            out: list[Failure | None] = []
            for result, stamp in zip(built, stamps):
                if isinstance(result, Failure):
                    out.append(result)
                    continue
                writer.delete_by_term("article_id", result.article_id)
                add_article(writer, result, stamp)
                out.append(None)
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise
        record_generation(ix, folder.path)
    return out


def shard_paths(top: IndexFolder, count: int, rebuild: bool) -> list[Path]:
    """The shards of the index at ``top``: those it lists, or ``count`` new empty ones."""
    if is_sharded(top.path) and not rebuild:
        return read_shards(top.path)
    if top.marker.exists() and whoosh_ext.has_toc(top.path) and not rebuild:
        raise SearchkitError(f"the index at {top.path} is a single index, not a sharded one",
                             hint="--shard-per-worker needs a new index folder (or --rebuild)")
    if rebuild:
        top.clear()  # the shard list and the shards too (the user's corrections stay)
    shards = [top.path / SHARDS_DIR / f"w{k:02d}" for k in range(count)]
    for s in shards:
        s.mkdir(parents=True, exist_ok=True)
        folder = IndexFolder(s)
        with folder.write_lock(0):
            ix = folder.open_or_create(False)
            whoosh_ext.new_writer(ix, s).commit()  # a first, empty commit: a searchable shard
            from ..store.record import record_generation

            record_generation(ix, s)
    write_shards(top.path, shards)
    return shards


def ingest_sharded(paths: Iterable[str | os.PathLike[str]], index: str | os.PathLike[str], *,
                   scheduler: str | None, settings: IngestSettings, workers: int | None, prune: bool,
                   rebuild: bool, wait: float, model: str | None, progress: ProgressCallback | None,
                   include_skipped: bool) -> IngestReport:
    """:func:`searchkit.ingest` with each worker writing its own shard (see the module doc)."""
    from ..entities import DEFAULT_MODEL
    from .cluster import check_scheduler, connect
    from .run import IngestRun
    from .signals import StopSignals

    address = scheduler or f"local:{max(1, workers or os.cpu_count() or 1)}"
    check_scheduler(address)
    started = time.perf_counter()
    top = IndexFolder(Path(index))
    top.prepare_for_writing()
    with top.write_lock(wait), StopSignals() as stop, connect(address) as client:
        owners = sorted(client.nthreads())
        shards = shard_paths(top, len(owners), rebuild)
        run = IngestRun(top, settings, stop)
        multi = MultiIndex([_open(s) for s in shards])
        with multi.searcher() as s:
            run.stored = stored_records(s)
        files = run.find_inputs(paths, prune=prune, include_skipped=include_skipped)
        try:
            _write(client, owners, shards, run, run.sources_to_index(files, progress),
                   model or DEFAULT_MODEL, settings, progress)
            _finish(shards, run, settings, wait, progress)
        except KeyboardInterrupt:
            run.report.interrupted = True
            run.report.seconds = time.perf_counter() - started
            raise Interrupted(f"{stop.name}: the shards hold what their workers committed; "
                              "run the same ingest again to finish", run.report) from None
    run.report.seconds = time.perf_counter() - started
    return run.report


def _open(shard: Path) -> Any:
    from whoosh import index as windex

    return windex.open_dir(str(shard))


def _write(client: Any, owners: list[str], shards: list[Path], run: Any, sources: Iterator[tuple[Source, FileStamp]],
           model: str, settings: IngestSettings, progress: ProgressCallback | None) -> None:
    """Group sources by shard, submit full groups to the shards' owners, count the answers."""
    from distributed import as_completed

    from ..load import display_path

    size = max(1, min(settings.batch_size * SHARD_BATCH, settings.commit_every))  # one commit per task
    window = max(2, settings.window_per_worker * len(owners))
    groups: list[list[tuple[Source, FileStamp]]] = [[] for _ in shards]
    flow = as_completed()
    in_flight: dict[Any, list[tuple[Source, FileStamp]]] = {}

    def submit(k: int) -> None:
        group, groups[k] = groups[k], []
        future = client.submit(write_shard_batch, str(shards[k]), [s for s, _ in group], [st for _, st in group],
                               model, workers=[owners[k % len(owners)]], allow_other_workers=True, pure=False)
        in_flight[future] = group
        flow.add(future)

    def settle(future: Any) -> None:
        group = in_flight.pop(future)
        try:
            results = future.result()
        except SearchkitError:
            raise
        except Exception as e:  # noqa: BLE001 - one line, not a traceback from a worker
            raise SearchkitError(f"a shard task failed: {type(e).__name__}: {e}") from e
        future.release()
        for (source, _), failure in zip(group, results):
            if failure is not None:
                run.report.failed.append((display_path(failure.where), failure.reason))
            elif source.source_id in run.stored:
                run.report.updated += 1
            else:
                run.report.new += 1
            run.done += 1
        if progress:
            progress("articles", run.done, run.articles_expected())

    def drain(limit: int) -> None:
        while len(in_flight) > limit:
            settle(next(flow))

    try:
        for source, stamp in sources:
            k = shard_of(article_id_for(source.source_id), len(shards))
            groups[k].append((source, stamp))
            if len(groups[k]) >= size:
                submit(k)
                drain(window - 1)
        for k, group in enumerate(groups):
            if group:
                submit(k)
        drain(0)
    finally:
        with contextlib.suppress(Exception):
            client.cancel(list(in_flight))


def _finish(shards: list[Path], run: Any, settings: IngestSettings, wait: float,
            progress: ProgressCallback | None) -> None:
    """Deletions and re-stamps in each article's shard, each shard's merge and entity table,
    then the pooled entity table of the whole in the top folder."""
    from ..entity_table import EntityTable
    from ..store.documents import facet_value_counts, word_passage_counts
    from .run import IngestRun

    deletes: list[list[str]] = [[] for _ in shards]
    restamps: list[list[Any]] = [[] for _ in shards]
    for aid in run.to_delete:
        deletes[shard_of(aid, len(shards))].append(aid)
    for prev, stamp in run.restamp:
        restamps[shard_of(prev["article_id"], len(shards))].append((prev, stamp))
    articles = passages = 0
    for k, shard in enumerate(shards):
        folder = IndexFolder(shard)
        with folder.write_lock(wait):
            one = IngestRun(folder, settings, run.stop)
            one.open(False)  # what a killed task left goes first, as for one writer
            one.to_delete, one.restamp = deletes[k], restamps[k]
            one.finish(None)
            articles += one.report.articles
            passages += one.report.passages
    run.report.articles, run.report.passages = articles, passages
    multi = MultiIndex([_open(s) for s in shards])
    with multi.reader() as reader:
        table = EntityTable.build(facet_value_counts(reader), word_passage_counts(reader))
    generation = multi.latest_generation()
    run.folder.write_entity_table({"generation": generation, "table": table.to_json()},
                                  {"generation": generation, "names": table.canonical_names()})
    # Copies are one story across shards: the pooled table of the whole, in the top folder,
    # brought in line with every shard's articles (new ones signed from their stored text).
    from .copies import sync_copies

    sync_copies(run.folder.path, multi, settings.dup_threshold)
    if progress:
        progress("merge", 1, 1)
