"""Web archives → sources: WARC (plain or gzipped per record) and WACZ (a zip of WARCs).

Each ``response`` (or ``resource``) record with an HTML or plain-text payload is an article:
its ``WARC-Target-URI`` is the article's URL (the archive says so outright, so it wins over
the page's canonical link) and its ``WARC-Date`` the capture date, used only when the page
states no publication date. ``revisit`` records, payloads identical to an earlier record's,
error and redirect responses and non-HTML payloads (images, scripts, style sheets) are
skipped and counted in one line per archive. HTTP chunking and content encodings are undone
by warcio.

An archive is streamed, never read whole: a first pass (:func:`scan_archive`) reads each
record once to check, hash and count it; when the kept text is small the sources come from
that pass, otherwise a second pass re-reads the archive as the caller iterates. Memory stays
at one record plus the list of record ids, whatever the archive's size.

A record's ``source_id`` is ``path#<14-digit capture time>/<url>`` (the Wayback convention),
so its article id survives re-ingest, and a grown WARC adds only its new records. Truncated
records and a truncated final gzip member are reported with one line; the records before
them are kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..errors import SourceError, describe
from ..records import LoadIssue, Source
from .decode import check_html_depth, decode_noted, normalise_text, sniff_bytes
from .files import MAX_ARTICLE_CHARS, MAX_FILE_BYTES, MB, display_path
from .htmlpage import strip_data_uris

MAX_RECORD_BYTES = MAX_FILE_BYTES
"""Largest record payload read as an article; a bigger one is skipped with a reason."""
MAX_INFLATION = 200
"""Inflated bytes allowed per compressed byte (plus :data:`MAX_RECORD_BYTES`) before an
archive is taken for a decompression bomb and abandoned. Real WARCs stay under 20."""
KEEP_IN_MEMORY_CHARS = 64 * MB
"""Up to this much text the first pass keeps its sources; past it, they are re-read lazily."""
MAX_PAGES = 1_000_000
"""Entries read from a WACZ's pages.jsonl (titles and URLs); the rest are ignored."""

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)
_ZIP = b"PK\x03\x04"


def sniff_archive(head: bytes, name: str) -> str | None:
    """``"warc"`` or ``"wacz"`` from a file's first (inflated) bytes, else None."""
    if head.startswith(b"WARC/"):
        return "warc"
    if head.startswith(_ZIP) and (name.lower().endswith(".wacz") or b"datapackage.json" in head
                                  or b"archive/" in head):
        return "wacz"
    return None


@dataclass
class ArchiveScan:
    """What the first pass over an archive found."""

    ids: list[str] = field(default_factory=list)
    sources: list[Source] | None = field(default_factory=list)  # None once over the memory budget
    issues: list[LoadIssue] = field(default_factory=list)


def scan_archive(path: str, kind: str, keep_chars: int = KEEP_IN_MEMORY_CHARS
                 ) -> tuple[ArchiveScan, Callable[[], Iterator[Source]]]:
    """Read an archive once: its record ids, its issues, and (up to ``keep_chars`` of text)
    its sources; plus a function that reads the sources again, in the same order."""
    scan = ArchiveScan()
    kept_chars = 0
    for item in _archive_items(path, kind, scan.issues):
        scan.ids.append(item.source_id)
        if scan.sources is not None:
            kept_chars += len(item.content)
            scan.sources.append(item)
            if kept_chars > keep_chars:
                scan.sources = None

    def reread() -> Iterator[Source]:
        known = set(scan.ids)  # a crawl still being written may have grown since: not those
        yield from (s for s in _archive_items(path, kind, []) if s.source_id in known)

    return scan, reread


def _archive_items(path: str, kind: str, issues: list[LoadIssue]) -> Iterator[Source]:
    where = display_path(path)
    counts: Counter[str] = Counter()
    seen_payloads: set[bytes] = set()
    seen_ids: set[str] = set()
    try:
        with ExitStack() as stack:
            members: Iterable[tuple[IO[bytes], int, str]]
            if kind == "wacz":
                members, pages = _wacz_members(path, stack, issues)
            else:
                fh = stack.enter_context(open(path, "rb"))
                members, pages = [(fh, _size(fh), path)], None
            for fh, compressed, label in members:
                reader = _WarcReader(path, label, fh, compressed, kind, pages, counts, seen_payloads, seen_ids, issues)
                yield from reader.sources()
    except OSError as e:
        issues.append(LoadIssue(where, f"cannot read archive: {describe(e, 200)}"))
    except zipfile.BadZipFile as e:
        issues.append(LoadIssue(where, f"not a readable zip (WACZ) file: {describe(e, 200)}"))
    if counts:
        issues.append(LoadIssue(where, _skipped_line(counts), "skipped"))


def _size(fh: IO[bytes]) -> int:
    try:
        pos = fh.tell()
        size = fh.seek(0, io.SEEK_END)
        fh.seek(pos)
        return size
    except (OSError, ValueError):
        return 0


def _skipped_line(counts: Counter[str]) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{what}: {n:,}" for what, n in counts.most_common(10))
    more = "" if len(counts) <= 10 else f", {len(counts) - 10} more kinds"
    return f"{total:,} records skipped ({parts}{more})"


class _QuietArchiveIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio's iterator, with its Content-Length warnings counted instead of printed to
    stderr (they would tear through the progress bar) and the end of the stream checked:
    a gzip member cut short is noted in ``truncated_gzip``."""

    truncated_gzip = False
    bad_lengths = 0

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            before = self.err_count
            result = super()._consume_blanklines()
            self.bad_lengths += self.err_count - before
            return result  # type: ignore[no-any-return]
        finally:
            sys.stderr = stderr

    def close(self) -> None:
        decompressor = self.reader.decompressor if self.reader else None
        if decompressor is not None and not getattr(decompressor, "eof", True):
            self.truncated_gzip = True
        super().close()


class _WarcReader:
    """The articles of one WARC stream (a file, or a member of a WACZ)."""

    def __init__(self, path: str, label: str, fh: IO[bytes], compressed: int, kind: str,
                 pages: dict[str, str] | None, counts: Counter[str], seen_payloads: set[bytes],
                 seen_ids: set[str], issues: list[LoadIssue]) -> None:
        self.path, self.label, self.fh, self.kind, self.pages = path, label, fh, kind, pages
        self.budget = MAX_INFLATION * max(compressed, 1) + MAX_RECORD_BYTES
        self.counts, self.seen_payloads, self.seen_ids, self.issues = counts, seen_payloads, seen_ids, issues
        self.where = display_path(label)
        self.cut = False

    def sources(self) -> Iterator[Source]:
        records = _QuietArchiveIterator(self.fh, no_record_parse=False)
        inflated = good = 0
        self.cut = False  # a truncation already reported: the gzip note would say it twice
        try:
            for record in records:
                if record.rec_type is None:  # its headers were cut off
                    self.issues.append(LoadIssue(self.where, f"truncated record after {good:,} good ones; "
                                                 "the rest of the archive is lost"))
                    self.cut = True
                    break
                inflated += max(record.length or 0, 0)
                if inflated > self.budget and records.reader.decompressor is not None:  # plain: EOF stops it
                    self.issues.append(LoadIssue(self.where, f"records expand beyond {MAX_INFLATION}x the file's size "
                                                 f"(a decompression bomb?); stopped after {good:,} records"))
                    break
                source = self._article(record, records)
                good += 1
                if source is not None:
                    yield source
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as e:
            reason = " ".join(describe(e, 200).split())
            if "non-chunked gzip" in reason:
                reason = "one gzip stream over the whole file, not one per record (run `warcio recompress`)"
            self.issues.append(LoadIssue(self.where, f"unreadable after {good:,} records: {reason}"))
            self.cut = True
        except (AttributeError, TypeError, KeyError, IndexError) as e:  # warcio on a header cut in half
            self.issues.append(LoadIssue(self.where, f"malformed or truncated record header after {good:,} records "
                                         f"({type(e).__name__} in the WARC parser); the records before it were read"))
            self.cut = True
        finally:
            records.close()
        if records.truncated_gzip and not self.cut:
            self.issues.append(LoadIssue(self.where, f"the last gzip member is truncated (a download or copy cut "
                                         f"short); the {good:,} records before it were read", "repaired"))
        if records.bad_lengths:
            self.issues.append(LoadIssue(self.where, f"{records.bad_lengths:,} records not followed by a blank line "
                                         "(a wrong Content-Length?); read as they were", "repaired"))

    def _article(self, record: Any, records: _QuietArchiveIterator) -> Source | None:
        rtype = record.rec_type
        if rtype == "revisit":
            self.counts["revisit"] += 1
            return None
        if rtype not in ("response", "resource"):
            return None  # warcinfo, request, metadata: not documents
        headers = record.rec_headers
        uri = (headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
        date = headers.get_header("WARC-Date") or ""
        if record.http_headers is not None and rtype == "response":
            status = record.http_headers.get_statuscode() or ""
            if not status.startswith("2"):
                self.counts[f"HTTP {status or '?'}"] += 1
                return None
            ctype = record.http_headers.get_header("Content-Type") or ""
        else:
            ctype = headers.get_header("Content-Type") or ""
        mime = ctype.split(";", 1)[0].strip().lower()
        if mime and not mime.startswith(_HTML_TYPES + _TEXT_TYPES):
            self.counts[_mime_group(mime)] += 1
            return None
        if uri.endswith("/robots.txt"):  # every crawler fetches it; never an article
            self.counts["robots.txt"] += 1
            return None
        if self.pages is not None and uri not in self.pages and uri.split("#", 1)[0] not in self.pages:
            self.counts["not a page in pages.jsonl"] += 1
            return None
        source_id = f"{self.path}#{_timestamp14(date)}/{uri}"
        where = display_path(source_id)
        try:
            payload = _read_payload(record)
        except SourceError as e:
            self.issues.append(LoadIssue(where, str(e)))
            return None
        remaining = getattr(record.raw_stream, "limit", 0)
        if remaining > 0:
            self.issues.append(LoadIssue(where, f"truncated record: {remaining:,} of its {record.length:,} bytes missing"))
            self.cut = True
            return None
        digest = hashlib.sha256(payload).digest()
        if digest in self.seen_payloads:
            self.counts["identical payload"] += 1
            return None
        self.seen_payloads.add(digest)
        if source_id in self.seen_ids:  # two captures in the same second
            source_id = f"{source_id}~{records.get_record_offset()}"
        self.seen_ids.add(source_id)
        try:
            return self._source(source_id, uri, date, ctype, mime, payload, digest.hex())
        except SourceError as e:
            self.issues.append(LoadIssue(where, str(e)))
            return None

    def _source(self, source_id: str, uri: str, date: str, ctype: str, mime: str, payload: bytes,
                digest: str) -> Source:
        if not payload.strip():
            raise SourceError("empty payload")
        kind = "html" if mime.startswith(_HTML_TYPES) else "text" if mime else sniff_bytes(payload, uri)
        if kind not in ("html", "text"):
            raise SourceError(f"payload is {kind}, not a page")
        text = _decode(payload, ctype, kind == "html")
        if kind == "html":
            text, _ = strip_data_uris(text)
        if len(text) > MAX_ARTICLE_CHARS:
            raise SourceError(f"one article of {len(text):,} characters is over the {MAX_ARTICLE_CHARS:,} limit")
        if kind == "html":
            check_html_depth(text)
        else:
            text = normalise_text(text)
        meta = {"url": uri} if uri.startswith(("http://", "https://")) else {}
        iso = _iso_date(date)
        defaults = {"date": iso} if iso else {}
        if self.pages and self.pages.get(uri):
            defaults["title"] = self.pages[uri]
        return Source(source_id, self.path, kind, text, digest, meta, defaults=defaults, input_kind=self.kind)


def _read_payload(record: Any) -> bytes:
    """The record's payload with transfer and content encodings undone, refused past the cap
    (read in chunks, so a huge or bomb payload costs time, not memory)."""
    chunks: list[bytes] = []
    size = 0
    try:
        stream = record.content_stream()
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > MAX_RECORD_BYTES:
                raise SourceError(f"record payload over the {MAX_RECORD_BYTES // MB} MB limit; skipped")
            chunks.append(chunk)
    except (OSError, EOFError, zlib.error, ValueError) as e:
        raise SourceError(f"corrupt payload encoding: {describe(e, 160)}") from e
    return b"".join(chunks)


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def _decode(payload: bytes, ctype: str, html: bool) -> str:
    m = _CHARSET.search(ctype)
    if m:
        try:
            return payload.decode(m.group(1))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong header is common: detect as for a file
    return decode_noted(payload, html=html)[0]


def _mime_group(mime: str) -> str:
    top = mime.split("/", 1)[0]
    if top in ("image", "font", "video", "audio"):
        return f"{top}/*"
    return mime


def _timestamp14(date: str) -> str:
    digits = re.sub(r"\D", "", date)[:14]
    return digits.ljust(14, "0") if digits else "00000000000000"


def _iso_date(date: str) -> str | None:
    m = re.match(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?", date.strip())
    if not m:
        return None
    return f"{m.group(1)}T{m.group(2)}+00:00" if m.group(2) else m.group(1)


# --- WACZ -------------------------------------------------------------------------------------


def _wacz_members(path: str, stack: ExitStack, issues: list[LoadIssue]
                  ) -> tuple[Iterable[tuple[IO[bytes], int, str]], dict[str, str] | None]:
    """The WARC members of a WACZ (opened lazily, one at a time) and its pages' titles."""
    zf = stack.enter_context(zipfile.ZipFile(path))
    where = display_path(path)
    infos = [i for i in zf.infolist() if re.search(r"\.(warc|arc)(\.gz)?$", i.filename, re.I) and not i.is_dir()]
    if not infos:
        raise zipfile.BadZipFile("no WARC files inside (a WACZ holds archive/*.warc.gz)")
    pages = _wacz_pages(zf, where, issues)

    def members() -> Iterator[tuple[IO[bytes], int, str]]:
        for info in infos:
            label = f"{path}#{info.filename}"
            if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_INFLATION * max(info.compress_size, 1):
                issues.append(LoadIssue(display_path(label), f"zip member expands {info.file_size // max(info.compress_size, 1):,}x "
                                        "(a zip bomb?); not read"))
                continue
            with zf.open(info) as fh:
                yield fh, info.compress_size, label

    return members(), pages


def _wacz_pages(zf: zipfile.ZipFile, where: str, issues: list[LoadIssue]) -> dict[str, str] | None:
    """url → title from ``pages/pages.jsonl`` (and ``extraPages.jsonl``); None without them."""
    pages: dict[str, str] = {}
    found = False
    for name in ("pages/pages.jsonl", "pages/extraPages.jsonl"):
        try:
            info = zf.getinfo(name)
        except KeyError:
            continue
        found = True
        if info.file_size > MAX_FILE_BYTES:
            issues.append(LoadIssue(f"{where}#{name}", "pages list over the size limit; every HTML record is read",
                                    "repaired"))
            return None
        with zf.open(info) as fh:
            for line in io.TextIOWrapper(fh, encoding="utf-8", errors="replace"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("url"), str) and len(pages) < MAX_PAGES:
                    title = entry.get("title")
                    pages[entry["url"]] = normalise_text(title) if isinstance(title, str) else ""
    return pages if found and pages else None
