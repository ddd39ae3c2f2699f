"""Worker processes for cleaning and NER: started fresh, one thread each, dying with their parent.

The workers are started with ``spawn``, so they never inherit the write lock or Whoosh's
files, and they die with their parent, so a killed ingest leaves no orphan behind. A page
that crashes its worker (a parser segfault, the OOM killer) is retried alone and then
reported, while the other articles of its batch go on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..errors import SearchkitError
from ..records import Article, Failure, Source
from ..store.documents import FileStamp
from .build import build_articles

_WORKER: dict[str, Any] = {}
"""The worker process's extractor (one spaCy model per process, loaded by :func:`worker_init`)."""

_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
"""Set to 1 in every worker before numpy loads: the workers are the parallelism, and a BLAS
thread pool per worker would only fight them (and the writer) for the same cores."""

Batch = list[tuple[Source, FileStamp]]
Built = tuple[Article | Failure, FileStamp]


def worker_init(model: str, parent_pid: int, sign_copies: bool = True) -> None:
    """Runs first in each worker: signals, die-with-parent, one thread, then the model."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _die_with_parent(parent_pid)
    for var in _ONE_THREAD:
        os.environ[var] = "1"
    _keep_freed_memory()
    from ..entities import EntityExtractor

    _WORKER["extractor"] = EntityExtractor(model)
    _WORKER["sign_copies"] = sign_copies


def _keep_freed_memory() -> None:
    """glibc only: let a worker reuse the memory it frees instead of handing it back.

    The model allocates and frees arrays of a few MB per batch; with glibc's defaults they
    come from fresh ``mmap`` pages (or a trimmed heap) every time, and the kernel zeroes
    each page again on first touch: 100-180k page faults per 150 articles and ~15% of the
    model's CPU. Fixed thresholds (arrays up to 32 MB from the heap, which is trimmed
    only past 64 MB free) remove nearly all of them; the peak RSS stays the same."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None)
        if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version"):
            libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
            libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD


def _die_with_parent(parent_pid: int) -> None:
    """Make sure a worker does not outlive a killed ingest (it would hold CPU and memory).

    On Linux the kernel sees to it (``PR_SET_PDEATHSIG``); elsewhere a thread watches the
    parent. The thread is started only where it is needed: a second thread makes the worker
    a multi-threaded process, in which glibc's malloc and friends take a lock on every call,
    and NER (spaCy allocates per token) then costs ~35% more CPU."""
    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)
    if armed:
        return

    def watch() -> None:  # for systems without PR_SET_PDEATHSIG
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="searchkit-parent-watch", daemon=True).start()


def _worker_run(sources: list[Source]) -> list[Article | Failure]:
    return build_articles(sources, _WORKER["extractor"], sign_copies=_WORKER.get("sign_copies", True))


class WorkerPool:
    """Worker processes for cleaning and NER, restarted if one dies.

    When a worker dies, every batch in flight fails with :class:`BrokenProcessPool`; those
    batches are re-run one article at a time, so the culprit is found and reported and the
    rest indexed.
    """

    MAX_RESTARTS = 20

    def __init__(self, workers: int, model: str, sign_copies: bool = True) -> None:
        self.workers = workers
        self.model = model
        self.sign_copies = sign_copies
        self.restarts = 0
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker_init, initargs=(self.model, os.getpid(), self.sign_copies))

    def submit(self, batch: Batch) -> tuple[Future[Any], ProcessPoolExecutor]:
        executor = self.executor
        try:
            return executor.submit(_worker_run, [s for s, _ in batch]), executor
        except BrokenProcessPool:  # a worker died since the last submit: start afresh
            self._restart(executor)
            return self.executor.submit(_worker_run, [s for s, _ in batch]), self.executor

    def collect(self, future: Future[Any], executor: ProcessPoolExecutor, batch: Batch) -> Iterator[Built]:
        try:
            results = future.result()
        except BrokenProcessPool:
            self._restart(executor)
            for source, stamp in batch:
                yield self._run_alone(source), stamp
            return
        yield from zip(results, (stamp for _, stamp in batch))

    def _run_alone(self, source: Source) -> Article | Failure:
        future, executor = self.submit([(source, FileStamp("", 0))])
        try:
            result: Article | Failure = future.result()[0]
            return result
        except BrokenProcessPool:
            self._restart(executor)
            return Failure(source.source_id,
                           "crashed the worker process (a parser bug or out of memory); skipped")

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is not self.executor:
            return  # already replaced
        self.restarts += 1
        if self.restarts > self.MAX_RESTARTS:
            raise SearchkitError("worker processes keep dying; stopping (is the machine out of memory?)")
        self.shutdown()
        self.executor = self._start()

    def shutdown(self) -> None:
        # ProcessPoolExecutor._processes (private): shutdown(wait=False) leaves busy workers
        # running their batch; terminating them is the only way not to wait for it.
        processes = list(getattr(self.executor, "_processes", {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # do not wait for a batch nobody will read
            with contextlib.suppress(Exception):
                p.terminate()
        for p in processes:
            with contextlib.suppress(Exception):
                p.join(timeout=5)


def run_pipeline(sources: Iterator[tuple[Source, FileStamp]], workers: int, model: str, *,
                 batch_size: int, window_per_worker: int, sign_copies: bool = True) -> Iterator[Built]:
    """Yield built articles (or failures), in order, batching sources to ``workers`` processes
    with up to ``window_per_worker`` batches in flight per worker."""
    batches = _batched(sources, batch_size)
    first = next(batches, None)
    if first is None:
        return  # nothing to do: do not start (or load the model in) any worker
    pool = WorkerPool(workers, model, sign_copies)
    try:
        window: deque[tuple[Future[Any], ProcessPoolExecutor, Batch]] = deque()
        window.append((*pool.submit(first), first))
        for batch in batches:
            window.append((*pool.submit(batch), batch))
            while len(window) >= window_per_worker * workers:
                yield from pool.collect(*window.popleft())
        while window:
            yield from pool.collect(*window.popleft())
    finally:
        pool.shutdown()


def _batched(items: Iterator[tuple[Source, FileStamp]], first: int, most: int | None = None) -> Iterator[Batch]:
    """Batches of ``first`` sources; with ``most``, growing as a run goes on to an eighth of
    what was sent so far, up to ``most`` (Dask's tasks: :data:`.cluster.TASK_GROWTH`)."""
    most = most or first
    batch: Batch = []
    sent = 0
    for item in items:
        batch.append(item)
        if len(batch) >= min(most, max(first, sent // 8)):
            sent += len(batch)
            yield batch
            batch = []
    if batch:
        yield batch
