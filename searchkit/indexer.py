"""Ingest: files → cleaned articles → passages with entities → the Whoosh index on disk.

The work is split the way the costs fall: cleaning and NER (CPU-heavy, ~all the time) run in
worker processes over small batches of articles; one writer in this process adds documents
and commits every ``commit_every`` articles. A Whoosh commit writes new segment files and then
atomically replaces the table of contents, so a killed ingest leaves the last commit intact;
the next run simply redoes what was not committed, because incremental state (content hashes)
lives in the index itself, in the same commit as the documents.

Only one ingest may write at a time: ``ingest.lock`` is held with ``flock``, which the kernel
releases when the holder dies, so a lock left by a killed process never blocks anyone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import multiprocessing
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import IndexLocked, IndexReadOnly, SearchkitError, SourceError
from .records import FACETS, Article, Entity, Metadata, Removal, Source

DEFAULT_COMMIT_EVERY = 500
BATCH_SIZE = 16
"""Articles per task sent to a worker: big enough for nlp.pipe batching, small enough to balance."""


@dataclass
class IngestReport:
    """What an ingest did. ``failed`` lists (where, reason) for files or lines that were skipped."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    articles: int = 0  # in the index after the run
    passages: int = 0  # in the index after the run
    seconds: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "pruned": self.pruned, "failed": [{"where": w, "reason": r} for w, r in self.failed],
            "articles": self.articles, "passages": self.passages,
            "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
        }


class Interrupted(SearchkitError):
    """Ctrl-C during ingest; ``report`` says what was committed."""

    exit_code = 130

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message)
        self.report = report


ProgressCallback = Callable[[str, int, int], None]
"""``progress(event, done, total)`` with event ``"files"``: files done out of total."""


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
            out.append((source.source_id, f"cleaner failed: {type(e).__name__}: {_one_line(e)}"))
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
    except Exception as e:  # noqa: BLE001 - retry one at a time to isolate the bad text
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
            final.append((source.source_id, f"entity extraction failed: {_one_line(ents)}"))
            continue
        aid = article_id_for(source.source_id)
        passages = attach_entities(split_passages(aid, text), ents.mentions)
        final.append(Article(
            article_id=aid, source_id=source.source_id, path=source.path,
            content_hash=source.content_hash, text=text, metadata=c.metadata,
            removed=tuple(c.removed), entities=tuple(ents.entities), passages=tuple(passages),
        ))
    return final


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300] or type(e).__name__


_WORKER: dict[str, Any] = {}


def _worker_init(model: str) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    from .entities import EntityExtractor

    _WORKER["extractor"] = EntityExtractor(model)


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
        for child in index_dir.iterdir():
            if child.name in ("README.md", "ingest.lock"):
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    if (index_dir / MARKER).exists() and any(index_dir.glob("_MAIN_*.toc")):
        check_index_dir(index_dir)
        return windex.open_dir(str(index_dir))
    check_fresh = [c for c in index_dir.iterdir() if c.name not in ("README.md", "ingest.lock", MARKER)
                   and not c.name.startswith(("_MAIN_", "MAIN_"))]
    if check_fresh and not (index_dir / MARKER).exists():
        check_index_dir(index_dir)  # raises NotAnIndex with a clear message
    write_marker(index_dir)
    return windex.create_in(str(index_dir), build_schema())


def _existing_articles(ix: Any) -> dict[str, dict[str, Any]]:
    """source_id → stored article record, read from the index's ``article`` documents."""
    out: dict[str, dict[str, Any]] = {}
    with ix.searcher() as s:
        for fields_ in s.documents(kind="article"):
            rec = json.loads(fields_["record"])
            out[fields_["source_id"]] = rec
    return out


def article_record(a: Article, file_hash: str) -> dict[str, Any]:
    return {
        "article_id": a.article_id, "source_id": a.source_id, "path": a.path,
        "content_hash": a.content_hash, "file_hash": file_hash,
        "metadata": a.metadata.to_dict(), "removed": [r.to_dict() for r in a.removed],
        "entities": [e.to_dict() for e in a.entities], "passages": len(a.passages),
        "chars": len(a.text),
    }


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d.replace(tzinfo=None)


def _add_article(writer: Any, a: Article, file_hash: str) -> None:
    from .schema import article_facet, keyword_value

    md = a.metadata
    common: dict[str, Any] = {"article_id": a.article_id, "path": a.path, "source_id": a.source_id}
    if md.site:
        common["site"] = md.site
    if md.url:
        common["url"] = md.url
    date = _parse_date(md.date)
    if date is not None:
        common["date"] = date
    article_sets = {f: [e.name for e in a.entities if e.type == f] for f in FACETS}
    writer.add_document(kind="article", record=json.dumps(article_record(a, file_hash), ensure_ascii=False),
                        **common)
    for p in a.passages:
        doc = dict(common)
        doc.update(kind="passage", passage_id=p.passage_id, ordinal=p.ordinal, start=p.start, end=p.end,
                   text=p.text)
        if md.title:
            doc["title"] = md.title
        for f in FACETS:
            if p.entities.get(f):
                doc[f] = keyword_value(p.entities[f])
            if article_sets[f]:
                doc[article_facet(f)] = keyword_value(article_sets[f])
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
) -> IngestReport:
    """Ingest files and folders into the index at ``index`` (created if needed).

    Unchanged files are skipped by content hash, changed ones replaced, and with ``prune``
    articles whose files are gone are dropped. Returns an :class:`IngestReport`.

    Example::

        report = searchkit.ingest(["corpus/"], index="index", workers=2)
        print(report.new, report.failed)
    """
    from .entities import DEFAULT_MODEL
    from .load import discover, read_bytes, read_file

    started = time.perf_counter()
    index_dir = Path(index)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexReadOnly(f"cannot create the index folder {index_dir}: {e.strerror}") from e
    if not os.access(index_dir, os.W_OK):
        raise IndexReadOnly(f"the index at {index_dir} is read-only",
                            hint="searching works on it; ingest needs write access")
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    model = model or DEFAULT_MODEL
    report = IngestReport()

    with write_lock(index_dir, wait):
        ix = _open_or_create(index_dir, rebuild)
        existing = _existing_articles(ix)
        by_path: dict[str, dict[str, dict[str, Any]]] = {}
        for sid, rec in existing.items():
            by_path.setdefault(rec["path"], {})[sid] = rec

        files, failures = discover(paths)
        report.failed.extend((f.where, f.reason) for f in failures)
        seen_paths = {f.path for f in files}
        to_delete: list[str] = []  # article ids

        def pending_sources() -> Iterator[tuple[Source, str]]:
            for n, entry in enumerate(files, start=1):
                if progress:
                    progress("files", n - 1, len(files))
                old = by_path.get(entry.path, {})
                try:
                    data = read_bytes(entry.path)
                except SourceError as e:
                    report.failed.append((entry.path, str(e)))
                    continue
                from .load import file_hash as hash_bytes

                fhash = hash_bytes(data)
                if old and all(r["file_hash"] == fhash for r in old.values()):
                    report.unchanged += len(old)
                    continue
                sources, fails = read_file(entry.path, data)
                report.failed.extend((f.where, f.reason) for f in fails)
                current = {s.source_id for s in sources}
                if sources or not fails:  # an unreadable file keeps its old articles
                    to_delete.extend(r["article_id"] for sid, r in old.items() if sid not in current)
                for s in sources:
                    prev = old.get(s.source_id)
                    if prev is not None and prev["content_hash"] == s.content_hash:
                        report.unchanged += 1
                        unchanged_rehash.append((prev, fhash))
                        continue
                    yield s, fhash
            if progress:
                progress("files", len(files), len(files))

        unchanged_rehash: list[tuple[dict[str, Any], str]] = []
        if prune:
            for path, recs in by_path.items():
                if path not in seen_paths and not os.path.exists(path):
                    to_delete.extend(r["article_id"] for r in recs.values())
                    report.pruned += len(recs)

        writer = None
        in_batch = 0
        committed_articles = 0

        def commit() -> None:
            nonlocal writer, in_batch, committed_articles
            if writer is not None:
                writer.commit()
                writer = None
                committed_articles += in_batch
                in_batch = 0

        def get_writer() -> Any:
            nonlocal writer
            if writer is None:
                writer = ix.writer(limitmb=128)
            return writer

        try:
            for result, fhash in _run_pipeline(pending_sources(), workers, model):
                if isinstance(result, tuple):
                    report.failed.append(result)
                    continue
                w = get_writer()
                prev = existing.get(result.source_id)
                if prev is not None:
                    w.delete_by_term("article_id", prev["article_id"])
                    report.updated += 1
                else:
                    report.new += 1
                w.delete_by_term("article_id", result.article_id)
                _add_article(w, result, fhash)
                in_batch += 1
                if in_batch >= commit_every:
                    commit()
            w = None
            for aid in to_delete:
                get_writer().delete_by_term("article_id", aid)
            # Unchanged articles of a changed JSONL file: refresh their file hash so the next
            # run can skip the whole file again.
            for prev, fhash in unchanged_rehash:
                if prev["file_hash"] != fhash:
                    _refresh_file_hash(get_writer(), ix, prev, fhash)
            commit()
        except KeyboardInterrupt:
            if writer is not None:
                writer.cancel()
            report.interrupted = True
            report.seconds = time.perf_counter() - started
            _final_counts(ix, report)
            save_entity_table(ix, index_dir)
            raise Interrupted(
                f"interrupted: {committed_articles} new or updated articles were committed; "
                f"{in_batch} in progress were discarded; run the same ingest again to finish",
                report,
            ) from None
        except OSError as e:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise IndexReadOnly(f"cannot write to the index at {index_dir}: {e.strerror}") from e
            if e.errno == errno.ENOSPC:
                raise SearchkitError(f"disk full while writing the index at {index_dir}; "
                                     "the last commit is intact") from e
            raise
        save_entity_table(ix, index_dir)
        _final_counts(ix, report)
    report.seconds = time.perf_counter() - started
    return report


def _refresh_file_hash(writer: Any, ix: Any, prev: dict[str, Any], fhash: str) -> None:
    """Re-add an unchanged article's documents with a new file hash (no re-cleaning, no NER)."""
    with ix.searcher() as s:
        docs = list(s.documents(article_id=prev["article_id"]))
    writer.delete_by_term("article_id", prev["article_id"])
    for d in docs:
        if d.get("record"):
            rec = json.loads(d["record"])
            rec["file_hash"] = fhash
            d["record"] = json.dumps(rec, ensure_ascii=False)
            d["kind"] = "article"
        else:
            d["kind"] = "passage"
        writer.add_document(**d)


def _final_counts(ix: Any, report: IngestReport) -> None:
    from whoosh.query import Term

    with ix.searcher() as s:
        report.articles = len(s.search(Term("kind", "article"), limit=None, scored=False))
        report.passages = s.doc_count() - report.articles


def _run_pipeline(
    sources: Iterator[tuple[Source, str]], workers: int, model: str
) -> Iterator[tuple[Article | tuple[str, str], str]]:
    """Yield built articles (or failures), batching sources to ``workers`` processes."""
    batches = _batched(sources, BATCH_SIZE)
    if workers == 1:
        from .entities import EntityExtractor

        extractor = EntityExtractor(model)
        for batch in batches:
            results = build_articles([s for s, _ in batch], extractor)
            yield from zip(results, (h for _, h in batch))
        return
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(workers, initializer=_worker_init, initargs=(model,))
    try:
        window: list[tuple[Any, list[tuple[Source, str]]]] = []
        for batch in batches:
            window.append((pool.apply_async(_worker_run, ([s for s, _ in batch],)), batch))
            while len(window) >= 2 * workers:
                yield from _collect(window.pop(0))
        while window:
            yield from _collect(window.pop(0))
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _collect(item: tuple[Any, list[tuple[Source, str]]]) -> Iterator[tuple[Article | tuple[str, str], str]]:
    async_result, batch = item
    results = async_result.get()
    yield from zip(results, (h for _, h in batch))


def _batched(items: Iterator[tuple[Source, str]], n: int) -> Iterator[list[tuple[Source, str]]]:
    batch: list[tuple[Source, str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def load_record(rec: dict[str, Any]) -> tuple[Metadata, tuple[Removal, ...], tuple[Entity, ...]]:
    """Rebuild records from an article document's stored JSON."""
    md = Metadata(**rec.get("metadata", {}))
    removed = tuple(Removal(**r) for r in rec.get("removed", []))
    ents = tuple(Entity(e["name"], e["type"], e.get("count", 1), tuple(e.get("aliases", ())))
                 for e in rec.get("entities", []))
    return md, removed, ents
