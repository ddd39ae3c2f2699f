"""Ingest: files → cleaned articles → passages with entities → the Whoosh index on disk.

The work is split the way the costs fall: cleaning and NER (CPU-heavy, ~all the time) run in
worker processes over small batches of articles; one writer in this process adds documents
and commits every ``commit_every`` articles. A Whoosh commit writes new segment files and then
atomically replaces the table of contents, so a killed ingest leaves the last commit intact;
the next run simply redoes what was not committed, because incremental state (content hashes)
lives in the index itself, in the same commit as the documents.

Only one ingest may write at a time: ``ingest.lock`` is held with ``flock``, which the kernel
releases when the holder dies, so a lock left by a killed process never blocks anyone. The
workers are started fresh (``spawn``), so they never inherit that lock, and they die with
their parent, so a killed ingest leaves no orphan behind.

Faults are contained where they happen: a bad file or line is a failure in the report; a page
that crashes its worker (a parser segfault, the OOM killer) is retried alone and then reported,
while the other articles of its batch go on; Ctrl-C and SIGTERM are held off during a commit
and then stop the run with a report of what was committed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import IndexLocked, IndexReadOnly, SearchkitError, SourceError, describe
from .records import FACETS, Article, Entity, Metadata, Removal, Source

_SURROGATES = re.compile(r"[\ud800-\udfff]")

DEFAULT_COMMIT_EVERY = 2000
"""Articles per commit: what a killed ingest can lose (about half a minute of work), and what
sets the number of index segments before the final merge."""
MAX_SEGMENTS = 3
"""An ingest that leaves more segments merges the small ones (see :func:`merge_small_segments`):
every query pays for each segment, ~0.4 ms at 170k passages."""
BATCH_SIZE = 16
"""Articles per task sent to a worker: big enough for nlp.pipe batching, small enough to balance."""
WINDOW_PER_WORKER = 4
"""Batches in flight per worker (submitted, not yet written). Two would keep a worker busy
while the writer adds another batch's articles, but not through a commit (a second or more
of writing every ``commit_every`` articles): with two, the workers of a BBC ingest sat idle
for ~3.5 s of its ~28 s, with four for under 0.6 s. Results wait in memory (~10 KB an article)."""


@dataclass
class IngestReport:
    """What an ingest did. ``failed`` lists (where, reason) for files or lines that were skipped."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # read, but repaired on the way
    skipped: list[tuple[str, str]] = field(default_factory=list)  # left out on purpose (assets, venvs, images)
    articles: int = 0  # in the index after the run
    passages: int = 0  # in the index after the run
    seconds: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "pruned": self.pruned, "failed": [{"where": w, "reason": r} for w, r in self.failed],
            "warnings": [{"where": w, "reason": r} for w, r in self.warnings],
            "skipped": [{"where": w, "reason": r} for w, r in self.skipped],
            "articles": self.articles, "passages": self.passages,
            "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
        }


class Interrupted(SearchkitError):
    """Ctrl-C (or SIGTERM) during ingest; ``report`` says what was committed."""

    exit_code = 130

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message)
        self.report = report


ProgressCallback = Callable[[str, int, int], None]
"""``progress(event, done, total)``: event ``"files"``, files done out of total; event
``"merge"``, segments merged out of total at the end."""


# --- building an article (runs in workers) ---------------------------------------------------


def article_id_for(source_id: str) -> str:
    import hashlib

    return hashlib.sha1(source_id.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def build_articles(sources: list[Source], extractor: Any) -> list[Article | tuple[str, str]]:
    """Clean, split and tag a batch of sources. A failure is ``(where, reason)``, never raised."""
    from .cleaner import clean_source
    from .load import normalise_text
    from .passages import attach_entities, split_passages

    cleaned: list[tuple[Source, Any, str]] = []
    out: list[Article | tuple[str, str] | None] = []
    for source in sources:
        try:
            c = clean_source(source)
            text = normalise_text(c.text)
        except SearchkitError as e:
            out.append((source.source_id, str(e)))
            continue
        except Exception as e:  # noqa: BLE001 - one bad page must never stop the run
            out.append((source.source_id, f"cleaner failed: {type(e).__name__}: {describe(e)}"))
            continue
        if not text.strip():
            out.append((source.source_id, "no article text left after cleaning"))
            continue
        cleaned.append((source, c, text))
        out.append(None)
    try:
        tagged = list(extractor.extract_many([t for _, _, t in cleaned]))
    except SearchkitError:
        raise
    except Exception:  # noqa: BLE001 - retry one at a time to isolate the bad text
        tagged = []
        for _, _, t in cleaned:
            try:
                tagged.append(extractor.extract(t))
            except Exception as e2:  # noqa: BLE001
                tagged.append(e2)
    results = iter(zip(cleaned, tagged))
    final: list[Article | tuple[str, str]] = []
    for slot in out:
        if slot is not None:
            final.append(slot)
            continue
        (source, c, text), ents = next(results)
        if isinstance(ents, Exception):
            final.append((source.source_id, f"entity extraction failed: {describe(ents)}"))
            continue
        aid = article_id_for(source.source_id)
        passages = attach_entities(split_passages(aid, text), ents.mentions)
        final.append(Article(
            article_id=aid, source_id=source.source_id, path=source.path,
            content_hash=source.content_hash, text=text, metadata=c.metadata,
            removed=tuple(c.removed), entities=tuple(ents.entities), passages=tuple(passages),
        ))
    return final



_WORKER: dict[str, Any] = {}


_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
"""Set to 1 in every worker before numpy loads: the workers are the parallelism, and a BLAS
thread pool per worker would only fight them (and the writer) for the same cores."""


def _worker_init(model: str, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _die_with_parent(parent_pid)
    for var in _ONE_THREAD:
        os.environ[var] = "1"
    _keep_freed_memory()
    from .entities import EntityExtractor

    _WORKER["extractor"] = EntityExtractor(model)


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


def _worker_run(sources: list[Source]) -> list[Article | tuple[str, str]]:
    return build_articles(sources, _WORKER["extractor"])


# --- locking ----------------------------------------------------------------------------------


@contextlib.contextmanager
def write_lock(index_dir: Path, wait: float) -> Iterator[None]:
    """Hold the index's write lock, waiting up to ``wait`` seconds for another ingest."""
    path = index_dir / "ingest.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise IndexReadOnly(f"cannot write to the index at {index_dir}: {e.strerror}") from e
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
                    holder = _lock_holder(path)
                    raise IndexLocked(
                        f"the index at {index_dir} is being written by {holder}",
                        hint="wait for it to finish, or pass --wait SECONDS",
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started": datetime.now().isoformat(timespec="seconds")}).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _lock_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"another ingest (pid {info['pid']} on {info['host']}, since {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another ingest"


# --- the index side -----------------------------------------------------------------------------


def _open_or_create(index_dir: Path, rebuild: bool) -> Any:
    from whoosh import index as windex

    from .schema import MARKER, build_schema, check_index_dir, write_marker

    if rebuild and (index_dir / MARKER).exists():
        _clear_index(index_dir)
    if (index_dir / MARKER).exists() and any(index_dir.glob("_MAIN_*.toc")):
        check_index_dir(index_dir)
        try:
            return windex.open_dir(str(index_dir))
        except Exception as e:  # noqa: BLE001 - whoosh raises many types for a damaged index
            raise SearchkitError(f"cannot open the index at {index_dir}: {describe(e)}",
                                 hint="rebuild it: searchkit ingest --rebuild PATH") from e
    check_fresh = [c for c in index_dir.iterdir() if c.name not in ("README.md", "ingest.lock", MARKER)
                   and not c.name.startswith(("_MAIN_", "MAIN_"))]
    if check_fresh and not (index_dir / MARKER).exists():
        check_index_dir(index_dir)  # raises NotAnIndex with a clear message
    # A marker without a table of contents is our own first ingest, killed before its
    # first commit: start it again.
    write_marker(index_dir)
    return windex.create_in(str(index_dir), build_schema())


def _clear_index(index_dir: Path) -> None:
    """Empty a searchkit index for --rebuild. The tables of contents go first, so a rebuild
    killed half-way leaves "our index, nothing committed", which the next run starts afresh."""
    from .schema import MARKER

    for toc in sorted(index_dir.glob("_MAIN_*.toc")):
        toc.unlink()
    for child in index_dir.iterdir():
        if child.name in ("README.md", "ingest.lock", MARKER):
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def _existing_articles(ix: Any) -> dict[str, dict[str, Any]]:
    """source_id → stored article record, read from the index's ``article`` documents."""
    out: dict[str, dict[str, Any]] = {}
    with ix.searcher() as s:
        for fields_ in s.documents(kind="article"):
            rec = json.loads(fields_["record"])
            out[rec.get("source_id") or fields_["source_id"]] = rec
    return out


@dataclass(frozen=True)
class FileStamp:
    """What incremental ingest remembers of a file: its hash and how many articles it held.

    The count matters after a killed run: a JSONL file whose articles were only partly
    committed has the right hash on every committed record, yet must be read again."""

    file_hash: str
    sources: int


def article_record(a: Article, file_hash: str, file_sources: int | None = None) -> dict[str, Any]:
    return {
        "article_id": a.article_id, "source_id": a.source_id, "path": a.path,
        "content_hash": a.content_hash, "file_hash": file_hash, "file_sources": file_sources,
        "metadata": a.metadata.to_dict(), "removed": [r.to_dict() for r in a.removed],
        "entities": [e.to_dict() for e in a.entities], "passages": len(a.passages),
        "chars": len(a.text),
    }


def _record_json(rec: dict[str, Any]) -> str:
    text = json.dumps(rec, ensure_ascii=False)
    if _SURROGATES.search(text):  # a file name with undecodable bytes: keep it exact, escaped
        text = json.dumps(rec, ensure_ascii=True)
    return text


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d.replace(tzinfo=None)


def _add_article(writer: Any, a: Article, stamp: FileStamp) -> None:
    from .load import display_path
    from .schema import ARTICLE_FIELD, article_body, article_facet, keyword_value

    md = a.metadata
    # Indexed fields must be valid Unicode; the exact path (maybe with surrogate escapes)
    # lives in the stored record, which incremental ingest reads.
    common: dict[str, Any] = {"article_id": a.article_id, "path": display_path(a.path),
                              "source_id": display_path(a.source_id)}
    if md.site:
        common["site"] = md.site
    if md.url:
        common["url"] = md.url
    date = _parse_date(md.date)
    if date is not None:
        common["date"] = date
    # The article's whole entity set and its whole text (body) go on its article document
    # only; its passages follow it in document order (an article and its passages are added
    # together, and a merge keeps a segment's order), which is how `--in-article` finds them
    # (search.article_passages) and how re-ranking finds an article's body.
    article_sets = {article_facet(f): keyword_value([e.name for e in a.entities if e.type == f]) for f in FACETS}
    body = {ARTICLE_FIELD: article_body(md.title, (p.text for p in a.passages))}
    writer.add_document(kind="article", record=_record_json(article_record(a, stamp.file_hash, stamp.sources)),
                        **common, **body, **{k: v for k, v in article_sets.items() if v})
    for p in a.passages:
        doc = dict(common)
        doc.update(kind="passage", passage_id=p.passage_id, ordinal=p.ordinal, start=p.start, end=p.end,
                   text=p.text)
        if md.title:
            doc["title"] = md.title
        for f in FACETS:
            if p.entities.get(f):
                doc[f] = keyword_value(p.entities[f])
        writer.add_document(**doc)


def facet_value_counts(reader: Any) -> dict[str, dict[str, int]]:
    """facet → {stored value: number of passages}, read from the index lexicons."""
    counts: dict[str, dict[str, int]] = {}
    for f in FACETS:
        values: dict[str, int] = {}
        if f in reader.schema:
            field_ = reader.schema[f]
            for btext, info in reader.iter_field(f):
                values[field_.from_bytes(btext)] = info.doc_frequency()
        counts[f] = values
    return counts


def save_entity_table(ix: Any, index_dir: Path) -> None:
    from .aliases import EntityTable
    from .schema import ENTITY_TABLE

    with ix.reader() as reader:
        table = EntityTable.build(facet_value_counts(reader))
    payload = {"generation": ix.latest_generation(), "table": table.to_json()}
    tmp = index_dir / (ENTITY_TABLE + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, index_dir / ENTITY_TABLE)


# --- signals --------------------------------------------------------------------------------------


class _StopSignals:
    """While an ingest runs: SIGTERM (cron's timeout, systemd, ``kill``) stops it like Ctrl-C,
    and :meth:`deferred` holds both signals off while a commit writes, then acts on them.

    Handlers can only be set from the main thread; elsewhere this does nothing, and the
    default behaviour (KeyboardInterrupt on SIGINT) remains."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._saved: dict[int, Any] = {}
        self._holding = 0
        self._pending = False
        self._active = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> _StopSignals:
        if self._active:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.received is None:
            self.received = signum
        if self._holding:
            self._pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self, *, then_stop: bool = True) -> Iterator[None]:
        """Run the body to the end even if a stop signal arrives; with ``then_stop``, act on
        that signal right after the body (raise KeyboardInterrupt), else forget it."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if not self._holding and self._pending:
            self._pending = False
            if then_stop:
                raise KeyboardInterrupt

    @property
    def name(self) -> str:
        return "terminated (SIGTERM)" if self.received == signal.SIGTERM else "interrupted"


# --- the driver ---------------------------------------------------------------------------------


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    index: str | os.PathLike[str] = "index",
    *,
    workers: int | None = None,
    prune: bool = False,
    rebuild: bool = False,
    wait: float = 5.0,
    commit_every: int = DEFAULT_COMMIT_EVERY,
    model: str | None = None,
    progress: ProgressCallback | None = None,
    include_skipped: bool = False,
) -> IngestReport:
    """Ingest files and folders into the index at ``index`` (created if needed).

    Unchanged files are skipped by content hash, changed ones replaced, and with ``prune``
    articles whose files are gone are dropped. Returns an :class:`IngestReport`; raises
    :class:`Interrupted` (with the report) on Ctrl-C or SIGTERM, after keeping what was
    committed. Folders no one means as input (version control, virtualenvs, caches, build
    output, a saved page's asset folder) are skipped and listed in ``report.skipped``;
    ``include_skipped`` reads them too. A searchkit index is never read.

    Example::

        report = searchkit.ingest(["corpus/"], index="index", workers=2)
        print(report.new, report.failed)
    """
    from .entities import DEFAULT_MODEL
    from .errors import NotAnIndex

    started = time.perf_counter()
    index_dir = Path(index)
    if index_dir.exists() and not index_dir.is_dir():
        raise NotAnIndex(f"{index_dir} is a file, not an index folder")
    _refuse_foreign_folder(index_dir)  # before the lock file: never write into someone's folder
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexReadOnly(f"cannot create the index folder {index_dir}: {e.strerror}") from e
    if not os.access(index_dir, os.W_OK):
        raise IndexReadOnly(f"the index at {index_dir} is read-only",
                            hint="searching works on it; ingest needs write access")
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    run = _IngestRun(index_dir, IngestReport(), max(1, commit_every), workers, model or DEFAULT_MODEL)
    run.include_skipped = include_skipped

    with write_lock(index_dir, wait), _StopSignals() as stop:
        try:
            run.execute(paths, prune=prune, rebuild=rebuild, progress=progress, stop=stop)
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
        except BaseException:
            run.abandon(final_counts=False)
            raise
    run.report.seconds = time.perf_counter() - started
    return run.report


def _refuse_foreign_folder(index_dir: Path) -> None:
    from .schema import LOCK, MARKER, check_index_dir

    if not index_dir.is_dir() or (index_dir / MARKER).exists():
        return
    try:
        # Whoosh's lock and segment files without a table of contents are our own leftovers.
        foreign = any(c.name not in ("README.md", LOCK) and not c.name.startswith(("_MAIN_", "MAIN_"))
                      for c in index_dir.iterdir()) or any(index_dir.glob("_MAIN_*.toc"))
    except OSError:
        return  # unreadable: the checks that follow say so
    if foreign:
        check_index_dir(index_dir)  # raises NotAnIndex with a clear message


class _IngestRun:
    """The state of one ingest under the write lock: the index, the writer, the counts."""

    def __init__(self, index_dir: Path, report: IngestReport, commit_every: int, workers: int, model: str) -> None:
        self.index_dir = index_dir
        self.report = report
        self.commit_every = commit_every
        self.workers = workers
        self.model = model
        self.ix: Any = None
        self.writer: Any = None
        self.in_batch = 0
        self.committed = 0
        self.stop: _StopSignals | None = None
        self.include_skipped = False

    # -- writer ---------------------------------------------------------------------------
    def get_writer(self) -> Any:
        if self.writer is None:
            from whoosh.index import LockError

            try:
                self.writer = new_writer(self.ix)
            except LockError as e:  # someone bypassed ingest.lock and writes with Whoosh
                raise IndexLocked(f"the index at {self.index_dir} is locked by another Whoosh writer",
                                  hint="wait for it to finish") from e
        return self.writer

    def commit(self) -> None:
        if self.writer is None:
            return
        assert self.stop is not None
        with self.stop.deferred():  # a commit is never cut in half by Ctrl-C
            self.writer.commit()
            self.writer = None
            self.committed += self.in_batch
            self.in_batch = 0

    def abandon(self, final_counts: bool = True) -> None:
        """Drop the uncommitted batch; keep the index consistent for the next run."""
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.cancel()
            self.writer = None
        if final_counts and self.ix is not None:
            with contextlib.suppress(Exception):
                _final_counts(self.ix, self.report)
                save_entity_table(self.ix, self.index_dir)

    # -- the run --------------------------------------------------------------------------
    def execute(self, paths: Iterable[str | os.PathLike[str]], *, prune: bool, rebuild: bool,
                progress: ProgressCallback | None, stop: _StopSignals) -> None:
        from .load import discover, display_path, open_input

        self.stop = stop
        report = self.report
        with stop.deferred():  # a --rebuild or a first create is not cut in half either
            self.ix = _open_or_create(self.index_dir, rebuild)
        existing = _existing_articles(self.ix)
        by_path: dict[str, dict[str, dict[str, Any]]] = {}
        for sid, rec in existing.items():
            by_path.setdefault(rec["path"], {})[sid] = rec
        issue_lists = {"failed": report.failed, "repaired": report.warnings, "skipped": report.skipped}

        files, found_issues = discover(paths, exclude=[self.index_dir], include_skipped=self.include_skipped)
        for issue in found_issues:
            issue_lists[issue.status].append((issue.where, issue.reason))
        seen_paths = {f.path for f in files}
        to_delete: list[str] = []  # article ids
        unchanged_rehash: list[tuple[dict[str, Any], FileStamp]] = []

        def pending_sources() -> Iterator[tuple[Source, FileStamp]]:
            for n, entry in enumerate(files, start=1):
                if progress:
                    progress("files", n - 1, len(files))
                old = by_path.get(entry.path, {})
                try:
                    opened = open_input(entry.path)
                except SourceError as e:
                    report.failed.append((display_path(entry.path), str(e)))
                    continue
                fhash = opened.file_hash
                if old and _file_complete(old, fhash):
                    report.unchanged += len(old)
                    continue
                sources, issues = opened.read()
                del opened
                for issue in issues:
                    issue_lists[issue.status].append((issue.where, issue.reason))
                stamp = FileStamp(fhash, len(sources))
                current = sources.source_ids
                if sources or not any(i.status == "failed" for i in issues):
                    # an unreadable file keeps its old articles
                    to_delete.extend(r["article_id"] for sid, r in old.items() if sid not in current)
                for s in sources:
                    prev = old.get(s.source_id)
                    if prev is not None and prev["content_hash"] == s.content_hash:
                        report.unchanged += 1
                        unchanged_rehash.append((prev, stamp))
                        continue
                    yield s, stamp
            if progress:
                progress("files", len(files), len(files))

        if prune:
            for path, recs in by_path.items():
                if path not in seen_paths and not os.path.exists(path):
                    to_delete.extend(r["article_id"] for r in recs.values())
                    report.pruned += len(recs)

        pipeline = _run_pipeline(pending_sources(), self.workers, self.model)
        try:
            for result, stamp in pipeline:
                if isinstance(result, tuple):
                    report.failed.append((display_path(result[0]), result[1]))
                    continue
                w = self.get_writer()
                prev = existing.get(result.source_id)
                if prev is not None:
                    w.delete_by_term("article_id", prev["article_id"])
                    report.updated += 1
                else:
                    report.new += 1
                w.delete_by_term("article_id", result.article_id)
                _add_article(w, result, stamp)
                self.in_batch += 1
                if self.in_batch >= self.commit_every:
                    self.commit()
        except OSError as e:
            self.abandon(final_counts=False)
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise IndexReadOnly(f"cannot write to the index at {self.index_dir}: {e.strerror}") from e
            if e.errno == errno.ENOSPC:
                raise SearchkitError(f"disk full while writing the index at {self.index_dir}; "
                                     "the last commit is intact") from e
            raise
        finally:
            pipeline.close()  # stop the workers now, not when the traceback is collected
        for aid in to_delete:
            self.get_writer().delete_by_term("article_id", aid)
        # Unchanged articles of a changed (or partly committed) file: refresh their stamp so
        # the next run can skip the whole file again.
        for prev, stamp in unchanged_rehash:
            if prev["file_hash"] != stamp.file_hash or prev.get("file_sources") != stamp.sources:
                _refresh_file_hash(self.get_writer(), self.ix, prev, stamp)
        self.commit()
        try:
            merge_small_segments(self.ix, progress)
        finally:  # an interrupted merge leaves the committed index as it was
            with stop.deferred():
                save_entity_table(self.ix, self.index_dir)
                _final_counts(self.ix, report)


def new_writer(ix: Any) -> Any:
    """A Whoosh writer as ingest uses it: 128 MB of buffer, and each segment kept as separate
    files. (A compound segment file is opened by copying it whole into memory: at 170k
    passages that alone took 180 ms of a one-shot search.)"""
    return ix.writer(limitmb=128, compound=False)


def _segments_to_merge(segments: list[Any]) -> list[Any]:
    """The segments an ingest merges at its end. Up to MAX_SEGMENTS, none (unless one holds
    many deleted documents); past that, every segment under a quarter of the index: a fresh
    ingest's commits are merged into one, while a few articles added to a big index only
    fold the small segments together and never rewrite the big ones."""
    churned = [s for s in segments if s.deleted_count() * 5 > s.doc_count_all()]
    if len(segments) <= MAX_SEGMENTS:
        return churned
    total = sum(s.doc_count_all() for s in segments)
    return [s for s in segments if s.doc_count_all() * 4 < total or s in churned]


def merge_small_segments(ix: Any, progress: ProgressCallback | None = None) -> int:
    """Merge the index's small segments into one, in a commit of its own; return how many.

    Each commit of an ingest adds a segment, and Whoosh's own merging leaves a dozen for
    200k passages; a query pays for every segment (matchers, columns, files to open): merged
    into one, BBC x16 queries ran 1.6x faster (p50 10.9 → 6.7 ms)."""
    from whoosh.reading import SegmentReader

    small = _segments_to_merge(ix._segments())
    if not small or (len(small) == 1 and not small[0].has_deletions()):
        return 0
    if progress:
        progress("merge", 0, len(small))
    ids = {s.segment_id() for s in small}

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        for seg in segments:
            if seg.segment_id() in ids:
                reader = SegmentReader(writer.storage, writer.schema, seg)
                writer.add_reader(reader)
                reader.close()
        return [seg for seg in segments if seg.segment_id() not in ids]

    writer = new_writer(ix)
    try:
        writer.commit(mergetype=policy)
    except BaseException:
        with contextlib.suppress(Exception):
            writer.cancel()
        raise
    if progress:
        progress("merge", len(small), len(small))
    return len(small)


def _file_complete(old: dict[str, dict[str, Any]], fhash: str) -> bool:
    """True when every article of an unchanged file is in the index (none lost to a kill)."""
    counts = {r.get("file_sources") for r in old.values()}
    return (all(r["file_hash"] == fhash for r in old.values())
            and len(counts) == 1 and counts.pop() == len(old))


def _refresh_file_hash(writer: Any, ix: Any, prev: dict[str, Any], stamp: FileStamp) -> None:
    """Re-add an unchanged article with a new file stamp (no re-cleaning, no NER), rebuilt
    from its stored documents and written by :func:`_add_article` like any other, so that
    fields the index does not store (the article-wide entity sets) are written again too."""
    aid = prev["article_id"]
    with ix.searcher() as s:
        article = article_from_documents(aid, s.documents(article_id=aid))
    if article is None:
        return
    writer.delete_by_term("article_id", aid)
    _add_article(writer, article, stamp)


def _final_counts(ix: Any, report: IngestReport) -> None:
    from whoosh.query import Term

    with ix.searcher() as s:
        report.articles = len(s.search(Term("kind", "article"), limit=None, scored=False))
        report.passages = s.doc_count() - report.articles


# --- workers --------------------------------------------------------------------------------------

Batch = list[tuple[Source, FileStamp]]
Built = tuple[Article | tuple[str, str], FileStamp]


class _WorkerPool:
    """Worker processes for cleaning and NER, restarted if one dies.

    ``spawn`` (not ``fork``): a worker starts clean, inheriting neither the write lock nor
    Whoosh's files. When a worker dies (a C parser crashing on a hostile page, the OOM
    killer), every batch in flight fails with :class:`BrokenProcessPool`; those batches are
    re-run one article at a time, so the culprit is found and reported and the rest indexed.
    """

    MAX_RESTARTS = 20

    def __init__(self, workers: int, model: str) -> None:
        self.workers = workers
        self.model = model
        self.restarts = 0
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(self.model, os.getpid()))

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

    def _run_alone(self, source: Source) -> Article | tuple[str, str]:
        future, executor = self.submit([(source, FileStamp("", 0))])
        try:
            return future.result()[0]
        except BrokenProcessPool:
            self._restart(executor)
            return source.source_id, "crashed the worker process (a parser bug or out of memory); skipped"

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is not self.executor:
            return  # already replaced
        self.restarts += 1
        if self.restarts > self.MAX_RESTARTS:
            raise SearchkitError("worker processes keep dying; stopping (is the machine out of memory?)")
        self.shutdown()
        self.executor = self._start()

    def shutdown(self) -> None:
        processes = list(getattr(self.executor, "_processes", {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # do not wait for a batch nobody will read
            with contextlib.suppress(Exception):
                p.terminate()
        for p in processes:
            with contextlib.suppress(Exception):
                p.join(timeout=5)


def _run_pipeline(sources: Iterator[tuple[Source, FileStamp]], workers: int, model: str) -> Iterator[Built]:
    """Yield built articles (or failures), batching sources to ``workers`` processes."""
    batches = _batched(sources, BATCH_SIZE)
    first = next(batches, None)
    if first is None:
        return  # nothing to do: do not start (or load the model in) any worker
    pool = _WorkerPool(workers, model)
    try:
        window: deque[tuple[Future[Any], ProcessPoolExecutor, Batch]] = deque()
        window.append((*pool.submit(first), first))
        for batch in batches:
            window.append((*pool.submit(batch), batch))
            while len(window) >= WINDOW_PER_WORKER * workers:
                yield from pool.collect(*window.popleft())
        while window:
            yield from pool.collect(*window.popleft())
    finally:
        pool.shutdown()


def _batched(items: Iterator[tuple[Source, FileStamp]], n: int) -> Iterator[Batch]:
    batch: Batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def article_from_documents(aid: str, docs: Iterable[dict[str, Any]]) -> Article | None:
    """An article rebuilt from the stored fields of its documents (its record and passages),
    with the entity names as stored; None without the article's record. The text is its
    passages joined by blank lines."""
    from .records import Passage
    from .schema import keyword_values

    record = None
    passages = []
    for d in docs:
        if d.get("record"):
            record = json.loads(d["record"])
        elif "passage_id" in d:
            passages.append(Passage(aid, int(d["ordinal"]), int(d["start"]), int(d["end"]), d.get("text", ""),
                                    {f: keyword_values(d[f]) for f in FACETS if d.get(f)}))
    if record is None:
        return None
    md, removed, ents = load_record(record)
    passages.sort(key=lambda p: p.ordinal)
    text = "\n\n".join(p.text for p in passages)
    return Article(aid, record["source_id"], record["path"], record["content_hash"], text, md, removed, ents,
                   tuple(passages))


def load_record(rec: dict[str, Any]) -> tuple[Metadata, tuple[Removal, ...], tuple[Entity, ...]]:
    """Rebuild records from an article document's stored JSON."""
    md = Metadata(**rec.get("metadata", {}))
    removed = tuple(Removal(**r) for r in rec.get("removed", []))
    ents = tuple(Entity(e["name"], e["type"], e.get("count", 1), tuple(e.get("aliases", ())))
                 for e in rec.get("entities", []))
    return md, removed, ents
