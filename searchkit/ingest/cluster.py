"""Cleaning and NER on a Dask cluster: the local pool's batches, as Dask tasks.

``ingest --scheduler ADDRESS`` keeps everything else of an ingest where it is: files are
read and planned here (the content-hash plan is made before anything is submitted), and the
one writer here adds and commits as for the local pool. Only :func:`build_batch` — the same
pure stage functions the worker processes run (:func:`~searchkit.ingest.build.build_articles`)
— runs on the cluster, one batch of sources per task. Each worker loads the spaCy model once
(:func:`worker_extractor`, cached in the worker process) and keeps it for every batch.

Backpressure: at most ``window_per_worker`` batches per worker thread are in flight; results
come back with ``as_completed`` and are written in the order they were submitted (so the
index is the one a local ingest of the same files writes, document for document), while
later batches keep the workers busy.

Faults: a worker that dies (SIGKILL, the OOM killer) loses its tasks, which the scheduler
runs again elsewhere; a batch whose tasks kill workers again and again (Dask's
``allowed-failures``) is re-run one source at a time, so the culprit is reported and the
rest indexed, as the local pool does. A killed client leaves the index at its last commit,
like a killed local ingest; the next run plans again and does the rest.

``dask[distributed]`` is an optional extra: this module imports it only when called, and the
query path never imports this module.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from ..errors import SearchkitError, describe
from ..records import Article, Failure, Source
from ..store.documents import FileStamp
from .workers import Batch, Built, _batched

SCHEDULER_ENV = "SEARCHKIT_SCHEDULER"
LOCAL = "local"
"""``--scheduler local`` or ``local:N``: a ``distributed.LocalCluster`` of N worker processes
on this machine (N: the CPU count), started for the run and stopped after it."""

_EXTRACTORS: dict[str, Any] = {}
_EXTRACTORS_LOCK = threading.Lock()


def distributed_module() -> Any:
    """``distributed``, or the one-line error that says how to install it."""
    try:
        import distributed
    except ImportError as e:
        raise SearchkitError("--scheduler needs Dask, which is not installed",
                             hint="pip install 'searchkit[dask]'") from e
    return distributed


def check_scheduler(address: str) -> None:
    """Fail before the run starts: Dask missing, or a bad ``local:N``."""
    distributed_module()
    local_workers(address)


def local_workers(address: str) -> int | None:
    """N for ``local`` / ``local:N``; None for the address of a running scheduler."""
    name, _, count = address.partition(":")
    if name != LOCAL:
        return None
    if not count:
        return os.cpu_count() or 1
    if not count.isdigit() or int(count) < 1:
        raise SearchkitError(f"bad scheduler {address!r}: local:N takes a number of workers, 1 or more")
    return int(count)


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address``, or of a LocalCluster started here."""
    distributed = distributed_module()
    n = local_workers(address)
    with contextlib.ExitStack() as stack:
        if n is not None:
            stack.enter_context(_quiet_config())
        yield stack.enter_context(_client(distributed, address, n))


@contextlib.contextmanager
def _quiet_config() -> Iterator[None]:
    """Dask's housekeeping, turned down for a LocalCluster (a remote cluster keeps its own
    configuration): a 10 ms statistical profiler in every worker, a 20 ms event-loop tick,
    a 0.5 s system monitor in every process, and the scheduler's work stealing. An ingest of
    300 BBC articles on a LocalCluster took 58% more CPU than on the local pool with the first
    three, 27% more without them (README, "Beyond one machine")."""
    import dask

    with dask.config.set({"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                          "distributed.admin.system-monitor.interval": "5s",
                          "distributed.worker.memory.monitor-interval": "1s",
                          # The workers are alike and each gets a window of tasks as it frees
                          # one (see _stream): nothing to balance, and stealing costs the
                          # scheduler a pass over the tasks every 100 ms.
                          "distributed.scheduler.work-stealing": False}):
        yield


@contextlib.contextmanager
def _client(distributed: Any, address: str, n: int | None) -> Iterator[Any]:
    try:
        if n is not None:
            # Processes, one thread each: NER holds the GIL. No dashboard, loopback only.
            # Dask's own log lines (a worker restarted, a task retried) stay out of the summary.
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None,
                                               silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        else:
            cluster = None
            client = distributed.Client(address, timeout="30s")
    except (OSError, TimeoutError, ValueError) as e:
        raise SearchkitError(f"cannot reach the Dask scheduler at {address}: {describe(e)}",
                             hint="start one (dask scheduler) or use --scheduler local") from e
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def worker_extractor(model: str) -> Any:
    """The spaCy model of this worker process, loaded on its first batch and kept."""
    with _EXTRACTORS_LOCK:
        extractor = _EXTRACTORS.get(model)
        if extractor is None:
            from ..entities import EntityExtractor
            from .workers import _keep_freed_memory

            _keep_freed_memory()
            extractor = _EXTRACTORS[model] = EntityExtractor(model)
        return extractor


def build_batch(sources: list[Source], model: str) -> list[Article | Failure]:
    """The Dask task: clean, split and tag a batch, exactly as a local worker does."""
    from .build import build_articles

    return build_articles(sources, worker_extractor(model))


TASK_GROWTH = 4
"""Dask tasks grow from the local pool's batch size to this many times it as a run goes on
(:func:`~.workers._batched`). Each task costs the scheduler and the worker's event loop the
same whatever its size, so a long run sends fewer, larger tasks (at BBC 1x, tasks of 64
instead of 16 took the overhead over the local pool from 1.13x to 1.05x wall); a short run —
and the start of every run, whose first commits a killed client keeps — has the local pool's
batches, and a killed worker's lost task is never more than this many batches' sources."""


def cluster_pipeline(sources: Iterator[tuple[Source, FileStamp]], address: str, model: str, *,
                     batch_size: int, window_per_worker: int) -> Iterator[Built]:
    """Yield built articles (or failures) in the order of ``sources``, built on the cluster at
    ``address`` in batches of ``batch_size``. Nothing to do: no cluster is contacted."""
    batches = _batched(sources, batch_size, TASK_GROWTH * batch_size)
    first = next(batches, None)
    if first is None:
        return
    with connect(address) as client:
        yield from _stream(client, first, batches, model, window_per_worker)


def _stream(client: Any, first: Batch, batches: Iterator[Batch], model: str, window_per_worker: int) -> Iterator[Built]:
    from distributed import as_completed

    threads = max(1, sum(client.nthreads().values()))
    window = max(2, window_per_worker * threads)
    run = uuid.uuid4().hex[:8]
    seq_of: dict[Any, int] = {}
    batch_of: dict[int, Batch] = {}
    done: dict[int, list[Article | Failure]] = {}
    submitted = next_out = 0
    flow = as_completed()

    def submit(batch: Batch) -> None:
        nonlocal submitted
        future = client.submit(build_batch, [s for s, _ in batch], model, key=f"searchkit-build-{run}-{submitted}",
                               pure=False)
        seq_of[future] = submitted
        batch_of[submitted] = batch
        submitted += 1
        flow.add(future)

    submit(first)
    try:
        while submitted - next_out < window and (b := next(batches, None)) is not None:
            submit(b)
        for future in flow:
            seq = seq_of.pop(future)
            done[seq] = _result(client, future, batch_of[seq], model, run)
            future.release()
            while next_out in done:
                batch = batch_of.pop(next_out)
                yield from zip(done.pop(next_out), (stamp for _, stamp in batch))
                next_out += 1
            # Refill only as far as the window: what was built but not yet written counts too.
            while submitted - next_out < window and (b := next(batches, None)) is not None:
                submit(b)
    finally:
        with contextlib.suppress(Exception):
            client.cancel(list(seq_of))


def _result(client: Any, future: Any, batch: Batch, model: str, run: str) -> list[Article | Failure]:
    """A task's articles; a batch that kept killing its workers is re-run one source at a time."""
    from distributed import KilledWorker

    try:
        results: list[Article | Failure] = future.result()
        return results
    except KilledWorker:
        pass
    except SearchkitError:
        raise
    except Exception as e:  # noqa: BLE001 - a task failed on the cluster: say what, in one line
        raise SearchkitError(f"a Dask task failed: {describe(e)}",
                             hint="is searchkit (and its model) installed on every worker?") from e
    alone: list[Article | Failure] = []
    for n, (source, _) in enumerate(batch):
        one = client.submit(build_batch, [source], model, key=f"searchkit-alone-{run}-{uuid.uuid4().hex[:8]}-{n}",
                            pure=False)
        try:
            alone.append(one.result()[0])
        except KilledWorker:
            alone.append(Failure(source.source_id, "crashed the worker process (a parser bug or out of memory); skipped"))
    return alone
