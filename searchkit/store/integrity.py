"""``searchkit check``: verify an index folder against its manifest, as Lucene's CheckIndex.

What is checked, by default: every file of the committed generation is there, with its
recorded size and CRC32 (reading every byte: 33 MB in ~50 ms at BBC 1x, so the default
catches any flipped byte); each segment's document counts, and its live article and passage
counts, equal the manifest's; the entity table is the one written for this generation; no
orphan files. ``deep`` also rebuilds the entity table from the postings and compares, and
decodes every stored document (each article's record, its passages in order), every posting
list and every column: what finds damage in a generation no manifest covers, or a bug that
wrote wrong data with right checksums.

Each finding is one line. A *problem* makes the exit code 1; a *note* (an unverified
generation a crash left, a stale entity table search rebuilds) does not. Exit 2 means the
folder could not be checked at all.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SearchkitError, describe
from . import whoosh_ext
from .copies import DUPLICATES
from .folder import ENTITY_NAMES, ENTITY_TABLE, KEPT_ON_CLEAR, LOCK, MARKER, WATCHES, IndexFolder
from .manifest import (
    MANIFEST,
    SOURCES_SUFFIX,
    STALE_LOCK,
    Manifest,
    ManifestDamaged,
    crc32_file,
    is_orphan,
    latest_generation,
    read_manifest,
    segment_of,
    toc_name,
)

KNOWN = {*KEPT_ON_CLEAR, MANIFEST, ENTITY_TABLE, ENTITY_NAMES, DUPLICATES}


@dataclass(frozen=True)
class Finding:
    kind: str
    """``missing``, ``size``, ``checksum``, ``unreadable``, ``counts``, ``entities``,
    ``structure``, ``copies``, ``orphan`` (problems); ``unverified``, ``stale``, ``foreign`` (notes)."""
    name: str
    message: str
    problem: bool = True
    segment: str | None = None

    def line(self) -> str:
        return f"{'problem' if self.problem else 'note'}: {self.name}: {self.message}"


@dataclass
class CheckReport:
    path: str
    deep: bool = False
    generation: int = -1
    manifest_generation: int | None = None
    segments: int = 0
    articles: int = 0
    passages: int = 0
    files_checked: int = 0
    bytes_checked: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    cannot_check: str | None = None
    removed: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    @property
    def damaged_segments(self) -> set[str]:
        return {f.segment for f in self.problems if f.segment}

    @property
    def orphans(self) -> list[str]:
        return [f.name for f in self.findings if f.kind == "orphan"]

    def has(self, name: str) -> bool:
        """A problem names this file."""
        return any(f.name == name for f in self.problems)

    @property
    def exit_code(self) -> int:
        return 2 if self.cannot_check else (1 if self.problems else 0)

    def add(self, kind: str, name: str, message: str, *, problem: bool = True, segment: str | None = None) -> None:
        self.findings.append(Finding(kind, name, message, problem, segment))

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "deep": self.deep, "generation": self.generation,
            "manifest_generation": self.manifest_generation, "segments": self.segments,
            "articles": self.articles, "passages": self.passages, "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked, "seconds": round(self.seconds, 3),
            "ok": self.exit_code == 0, "cannot_check": self.cannot_check,
            "problems": [_finding_dict(f) for f in self.findings if f.problem],
            "notes": [_finding_dict(f) for f in self.findings if not f.problem],
            "damaged_segments": sorted(self.damaged_segments), "removed": self.removed,
            "repaired": self.repaired,
        }

    def lines(self) -> list[str]:
        """What ``searchkit check`` prints: a summary, then one line per finding."""
        if self.cannot_check:
            return []
        what = "sizes, CRC32 checksums and counts" + (", every document and posting" if self.deep else "")
        out = [f"index {self.path}: generation {self.generation}, {self.segments} segment"
               f"{'' if self.segments == 1 else 's'}, {self.articles:,} articles, {self.passages:,} passages",
               f"checked {self.files_checked} files ({self.bytes_checked / 1e6:.1f} MB): {what} "
               f"in {self.seconds:.2f} s"]
        out += [f.line() for f in self.findings]
        out += [f"removed: {name}" for name in self.removed]
        out += [f"repaired: {line}" for line in self.repaired]
        n = len(self.problems)
        if n == 0:
            out.append("ok: no problems found")
        else:
            fix = "searchkit check --repair" if self.damaged_segments or any(
                f.kind != "orphan" for f in self.problems) else "searchkit check --clean"
            out.append(f"{n} problem{'' if n == 1 else 's'} found; to fix: {fix} --index {self.path}")
        return out


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {"kind": f.kind, "file": f.name, "message": f.message, "segment": f.segment}


def check_index(path: str | os.PathLike[str], *, deep: bool = False) -> CheckReport:
    """Check the index folder at ``path``; see the module docstring for what is checked.

    Example::

        report = check_index("index")
        for line in report.lines():
            print(line)
    """
    started = time.perf_counter()
    p = Path(path)
    from .shards import is_sharded

    if is_sharded(p):  # each shard checked as the index it is, in one report
        from .shard_check import check_sharded

        return check_sharded(p, deep)
    for _ in range(3):  # an ingest that commits meanwhile deletes files: check the new generation
        report = CheckReport(str(p), deep=deep)
        try:
            _check(p, report)
        except SearchkitError as e:
            report.cannot_check = str(e)
        except OSError as e:
            report.cannot_check = f"cannot read the index folder {p}: {e.strerror or describe(e)}"
        try:
            if not report.problems or latest_generation(p) == report.generation:
                break
        except OSError:
            break
    report.seconds = time.perf_counter() - started
    return report


def _check(p: Path, report: CheckReport) -> None:
    from .schema import SCHEMA_VERSION

    if not p.is_dir() or (not (p / MARKER).exists() and not (p / MANIFEST).exists()):
        IndexFolder(p).check()  # raises the usual one-line error (no index, a file, not ours)
    names = set(os.listdir(p))
    try:
        manifest = read_manifest(p)
    except ManifestDamaged as e:
        report.add("unreadable", MANIFEST, f"damaged: {e}; checksums cannot be verified")
        manifest = None
    generation = latest_generation(p)
    report.generation = generation
    if manifest is not None:
        report.manifest_generation = manifest.generation
    elif MANIFEST not in names and generation > 0:
        report.add("missing", MANIFEST, "missing; checksums cannot be verified")
    if generation < 0:
        if manifest is None:
            raise SearchkitError(f"{p} has no committed data (was the first ingest killed?)")
        report.add("missing", toc_name(manifest.generation), "missing (the table of contents of the index)")
        return
    _check_marker(p, manifest, report, SCHEMA_VERSION)
    verified = manifest is not None and manifest.generation == generation
    if manifest is not None and manifest.generation > generation:
        report.add("missing", toc_name(manifest.generation), "missing (the manifest records this generation)")
    toc = _read_toc(p, generation, manifest if verified else None, report)
    current = {s.segment_id() for s in toc[1]} if toc else set(manifest.segments if verified and manifest else ())
    _check_files(p, names, manifest, verified, current, report)
    if toc is not None:
        _check_segments(p, toc, manifest, verified, report)
    if toc is not None and not report.damaged_segments and not report.has(toc_name(generation)):
        _check_entities(p, toc, manifest, verified, report)
        _check_copies(p, report)
    if toc is not None or verified:
        _list_orphans(p, names, generation, current, report)
    if WATCHES in names:
        _check_watches(p, report)


def _check_watches(p: Path, report: CheckReport) -> None:
    """The saved searches (``watches.json``) parse; they are the user's, not in the manifest."""
    from ..watch import validate_watches

    problem = validate_watches(p)
    if problem is not None:
        report.add("unreadable", WATCHES, f"{problem}; search works, saved searches do not "
                   "(fix it by hand, or delete it)")


def _check_marker(p: Path, manifest: Manifest | None, report: CheckReport, schema_version: int) -> None:
    entry = manifest.files.get(MARKER) if manifest is not None else None
    try:
        intact = entry is not None and crc32_file(p / MARKER) == entry.crc32
    except OSError:
        intact = False
    try:
        version = int(json.loads((p / MARKER).read_text(encoding="utf-8"))["schema_version"])
    except FileNotFoundError:
        return  # listed as missing by the file checks
    except (OSError, ValueError, KeyError, TypeError):
        return  # its checksum names it (or, without a manifest, nothing can)
    if version != schema_version and (manifest is None or intact):
        raise SearchkitError(f"the index at {p} has schema version {version}; this searchkit uses {schema_version}",
                             hint="rebuild it: searchkit ingest --rebuild PATH")


def _read_toc(p: Path, generation: int, manifest: Manifest | None, report: CheckReport) -> tuple[int, list[Any], Any] | None:
    name = toc_name(generation)
    if manifest is not None and name in manifest.files:
        expected = manifest.files[name]
        try:
            if (p / name).stat().st_size != expected.size or crc32_file(p / name) != expected.crc32:
                return None  # named by the file checks; never unpickle a damaged TOC
        except OSError:
            return None
    try:
        toc = whoosh_ext.read_toc_dir(p)
    except Exception as e:  # noqa: BLE001 - a damaged TOC raises anything from unpickling
        report.add("unreadable", name, f"cannot be read: {describe(e)}")
        return None
    report.segments = len(toc[1])
    return toc


def _check_files(p: Path, names: set[str], manifest: Manifest | None, verified: bool, current: set[str],
                 report: CheckReport) -> None:
    if manifest is None:
        return
    for name, entry in sorted(manifest.files.items()):
        owner = segment_of(name)
        if not verified and ((owner is not None and owner not in current) or name.startswith("_MAIN_")):
            continue  # a file of the older, recorded generation that the new one dropped
        # A damaged source list leaves its segment's documents intact (repair rewrites it).
        seg = None if name.endswith(SOURCES_SUFFIX) else owner
        path = p / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            report.add("missing", name, "missing", segment=seg)
            continue
        report.files_checked += 1
        report.bytes_checked += size
        if size != entry.size:
            report.add("size", name, f"{size:,} bytes, the manifest says {entry.size:,}", segment=seg)
        elif crc32_file(path) != entry.crc32:
            report.add("checksum", name, f"checksum mismatch (CRC32 {entry.crc32} recorded)", segment=seg)
    if not verified:
        new = sorted(n for n in names if segment_of(n) in current and n not in manifest.files)
        report.add("unverified", f"generation {report.generation}",
                   f"not recorded yet (the ingest that committed it stopped before writing its manifest, "
                   f"which records generation {manifest.generation}); {len(new)} newer files unverified; "
                   "the next ingest records it", problem=False)


def _check_segments(p: Path, toc: tuple[int, list[Any], Any], manifest: Manifest | None, verified: bool,
                    report: CheckReport) -> None:
    from .record import segment_article_count

    _, segments, schema = toc
    ix = whoosh_ext.storage_index(p, schema)
    ids = {s.segment_id() for s in segments}
    if verified and manifest is not None:
        for sid in sorted(set(manifest.segments) - ids):
            report.add("counts", sid, "in the manifest but not in the table of contents", segment=sid)
    for seg in segments:
        sid = seg.segment_id()
        entry = manifest.segments.get(sid) if manifest is not None else None
        if sid in report.damaged_segments:
            if entry is not None:  # the counts it held when recorded
                report.articles += entry.articles
                report.passages += entry.passages
            continue
        try:
            articles = segment_article_count(ix, seg, schema)
        except Exception as e:  # noqa: BLE001 - a damaged segment raises anything
            report.add("structure", sid, f"cannot be read: {describe(e)}", segment=sid)
            continue
        passages = seg.doc_count() - articles
        report.articles += articles
        report.passages += passages
        if entry is not None:
            got = (seg.doc_count_all(), seg.deleted_count(), articles, passages)
            want = (entry.docs, entry.deleted, entry.articles, entry.passages)
            if got != want:
                report.add("counts", sid, "documents (all, deleted, articles, passages) are "
                           f"{got}, the manifest says {want}", segment=sid)
        if report.deep:
            _deep_read(ix, seg, schema, report)


def _deep_read(ix: Any, seg: Any, schema: Any, report: CheckReport) -> None:
    """Decode everything in one segment: stored documents in order, postings, columns."""
    sid = seg.segment_id()
    try:
        with whoosh_ext.segment_searcher(ix, seg, schema) as s:
            r = s.reader()
            expected, seen, article = 0, 0, None
            for docnum in range(r.doc_count_all()):
                if r.is_deleted(docnum):
                    continue
                f = r.stored_fields(docnum)
                if "record" in f:
                    if article is not None and seen != expected:
                        raise ValueError(f"article {article} has {seen} passages, its record says {expected}")
                    rec = json.loads(f["record"])
                    article, expected, seen = rec["article_id"], int(rec["passages"]), 0
                else:
                    if f.get("article_id") != article:
                        raise ValueError(f"passage {f.get('passage_id')} does not follow its article")
                    seen += 1
            if article is not None and seen != expected:
                raise ValueError(f"article {article} has {seen} passages, its record says {expected}")
            for fieldname, btext in r.all_terms():
                for _ in r.postings(fieldname, btext).all_ids():
                    pass
            for fieldname in schema.names():
                if r.has_column(fieldname):
                    for _ in r.column_reader(fieldname, translate=False):
                        pass
    except Exception as e:  # noqa: BLE001 - a damaged segment raises anything
        report.add("structure", sid, f"cannot be decoded: {describe(e)}", segment=sid)


def _check_entities(p: Path, toc: tuple[int, list[Any], Any], manifest: Manifest | None, verified: bool,
                    report: CheckReport) -> None:
    """``entities.json`` is the one ingest wrote (its recorded checksum) for this generation
    (``deep``: and equal to the table the postings give now, which costs a rebuild: ~2 s at
    BBC 1x); or stale (an ingest stopped before rewriting it: search rebuilds it in memory);
    or rewritten after the manifest (a crash just before recording it) and equal to the
    postings' table."""
    import zlib

    path = p / ENTITY_TABLE
    recorded = manifest.entities if manifest is not None else None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if recorded:
            report.add("missing", ENTITY_TABLE, "missing (search rebuilds it in memory, slowly)")
        return
    report.files_checked += 1
    report.bytes_checked += len(data)
    intact = bool(recorded) and len(data) == recorded["size"] and f"{zlib.crc32(data):08x}" == recorded["crc32"]
    try:
        payload = json.loads(data)
        table_generation = int(payload["generation"])
    except (ValueError, KeyError, TypeError):
        report.add("checksum" if recorded else "unreadable", ENTITY_TABLE, "damaged (not the table that was written)")
        return
    _check_entity_names(p, payload, report)
    if table_generation != report.generation:
        if intact or not recorded:
            report.add("stale", ENTITY_TABLE, f"of generation {table_generation}, the index is at "
                       f"{report.generation} (search rebuilds it in memory; the next ingest rewrites it)",
                       problem=False)
        else:
            report.add("checksum", ENTITY_TABLE, "checksum mismatch")
        return
    written_after = bool(recorded) and not intact and verified and recorded.get("generation", -1) < table_generation
    if recorded and not intact and not written_after:
        report.add("checksum", ENTITY_TABLE, "checksum mismatch")
        return
    if not (report.deep or written_after or not recorded):
        return
    if not _same_table(payload.get("table"), _table_from_postings(p)):
        report.add("entities", ENTITY_TABLE, "disagrees with the entity values in the postings")
    elif written_after:
        report.add("unverified", ENTITY_TABLE, "rewritten after the manifest (an ingest stopped just "
                   "before recording it); it matches the postings", problem=False)


def _check_copies(p: Path, report: CheckReport) -> None:
    """The copy table (``duplicates/``) against the index: its article count, and with
    ``deep`` each article's content hash (see :func:`searchkit.store.copies.check_copies`)."""
    from .copies import check_copies

    index = None
    if report.deep:
        from whoosh import index as windex

        from .documents import stored_records

        with windex.open_dir(str(p), readonly=True).searcher() as s:
            index = {str(r["article_id"]): str(r.get("content_hash") or "") for r in stored_records(s).values()}
    check_copies(p, report, index)


def _check_entity_names(p: Path, payload: dict[str, Any], report: CheckReport) -> None:
    """``entity_names.json`` (what a search hit reads instead of the table) says what the
    table says: the same generation and the same names. It is derived from ``entities.json``,
    so comparing it with the table finds any change to it."""
    from ..entity_table import EntityTable

    path = p / ENTITY_NAMES
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # search then reads the whole table: slower, still right
        report.add("missing", ENTITY_NAMES, "missing (search reads the whole entity table instead; "
                   "the next ingest rewrites it)")
        return
    report.files_checked += 1
    report.bytes_checked += len(data)
    try:
        names = json.loads(data)
        expected = EntityTable.from_json(payload["table"]).canonical_names()
        same = names.get("generation") == payload.get("generation") and names.get("names") == expected
    except (ValueError, KeyError, TypeError, AttributeError):
        same = False
    if not same:
        report.add("checksum", ENTITY_NAMES, "disagrees with entities.json (damaged, or from another generation)")


def _table_from_postings(p: Path) -> dict[str, Any]:
    from whoosh import index as windex

    from ..entity_table import EntityTable
    from .documents import facet_value_counts, word_passage_counts

    ix = windex.open_dir(str(p), readonly=True)
    with ix.reader() as reader:  # built exactly as ingest's finish step builds it
        return EntityTable.build(facet_value_counts(reader), word_passage_counts(reader)).to_json()


def _same_table(a: Any, b: dict[str, Any]) -> bool:
    def norm(t: Any) -> Any:  # the table's JSON form (entity_table.EntityTable.to_json), order-free
        facets = {f: sorted((g["name"], sorted(tuple(v) for v in g["values"]), sorted(g["keys"])) for g in gs)
                  for f, gs in t.get("facets", {}).items()}
        return t.get("version"), facets, sorted(tuple(d) for d in t.get("dropped", []))
    try:
        return bool(norm(a) == norm(b))
    except (AttributeError, KeyError, TypeError):
        return False


def _list_orphans(p: Path, names: set[str], generation: int, current: set[str], report: CheckReport) -> None:
    from .record import whoosh_lock_held

    if ingest_running(p):
        report.add("unverified", "orphans", "not listed: an ingest is writing the index", problem=False)
        return
    for name in sorted(names):
        if name in KNOWN or name == toc_name(generation):
            continue
        if is_orphan(name, generation, current):
            if name == STALE_LOCK:  # a writer stopped without releasing it: harmless
                if not whoosh_lock_held(p / name):
                    report.add("orphan", name, "stale lock file of a stopped writer (the next ingest, or "
                               "--clean, removes it)", problem=False)
                continue
            report.add("orphan", name, f"not part of generation {generation} (remove it with --clean)")
        elif segment_of(name) is None:
            report.add("foreign", name, "not searchkit's (left alone)", problem=False)


def ingest_running(p: Path) -> bool:
    """True when another process holds ``ingest.lock``."""
    from .record import whoosh_lock_held

    return (p / LOCK).exists() and whoosh_lock_held(p / LOCK)
