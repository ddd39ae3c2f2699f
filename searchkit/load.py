"""Load stage: files and folders → :class:`~searchkit.records.Source`.

Supported inputs, detected by content as well as by name: plain text, HTML, JSONL (one
article per line: ``text`` or ``html``, plus optional ``id``, ``title``, ``url``, ``date``,
``site``, ``author``) and the same gzipped. Bytes are decoded robustly (BOM, declared
charset, UTF-8, then Windows-1252) and normalised to NFC with tidy whitespace; words are
never changed.

Errors are per file (or per JSONL line) and never stop the run: :func:`read_file` returns
the good sources together with :class:`LoadFailure` records saying what went wrong where.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError
from .records import Source

SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest input file read (after decompression): bigger ones fail with a clear reason."""
MAX_ARTICLE_CHARS = 5_000_000
"""Largest single article (one file, or one JSONL line); a longer one is not a news article."""

_JSONL_TEXT_KEYS = ("text", "content", "body", "article", "articleBody")
_JSONL_HTML_KEYS = ("html", "raw_html")
_META_KEYS = ("title", "url", "date", "site", "author", "language")


@dataclass(frozen=True)
class LoadFailure:
    """Something in a file that could not be loaded; ``where`` is the path, maybe ``#L<n>``."""

    where: str
    reason: str


@dataclass(frozen=True)
class FileEntry:
    """A discovered input file."""

    path: str  # absolute
    size: int


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[FileEntry], list[LoadFailure]]:
    """Expand files and folders (recursively) into input files, sorted, without duplicates.

    Folders contribute files with a known suffix (optionally ``.gz``); a file named
    explicitly is taken whatever its name. Symlink loops and unreadable folders become
    failures, not exceptions.
    """
    found: dict[str, FileEntry] = {}
    failures: list[LoadFailure] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            failures.append(LoadFailure(str(raw), "no such file or folder"))
            continue
        if p.is_dir():
            seen_dirs: set[tuple[int, int]] = set()
            for dirpath, dirnames, filenames in os.walk(p, followlinks=True, onerror=lambda e: failures.append(
                LoadFailure(str(e.filename), f"cannot read folder: {e.strerror}"))):
                try:
                    st = os.stat(dirpath)
                except OSError as e:
                    failures.append(LoadFailure(dirpath, f"cannot read folder: {e.strerror}"))
                    dirnames[:] = []
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:  # a symlink loop or a second link to the same folder
                    failures.append(LoadFailure(dirpath, "symlink loop: folder already visited"))
                    dirnames[:] = []
                    continue
                seen_dirs.add(key)
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith(".") or not _has_known_suffix(name):
                        continue
                    _add_file(Path(dirpath) / name, found, failures)
        else:
            _add_file(p, found, failures)
    return sorted(found.values(), key=lambda e: e.path), failures


def _has_known_suffix(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return lower.endswith(SUFFIXES)


def _add_file(p: Path, found: dict[str, FileEntry], failures: list[LoadFailure]) -> None:
    try:
        resolved = p.resolve(strict=True)
        st = resolved.stat()
    except RuntimeError:
        failures.append(LoadFailure(str(p), "symlink loop"))
        return
    except OSError as e:
        reason = "symlink loop" if e.errno == 40 else (e.strerror or str(e))
        failures.append(LoadFailure(str(p), reason))
        return
    if not resolved.is_file():
        failures.append(LoadFailure(str(p), "not a regular file"))
        return
    key = os.fsdecode(resolved)
    found.setdefault(key, FileEntry(key, st.st_size))


def read_bytes(path: str) -> bytes:
    """Read a file, decompressing gzip, with a size cap that also defuses gzip bombs."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            if head == b"\x1f\x8b":
                return _gunzip_capped(fh)
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as e:
        raise SourceError("file disappeared before it could be read") from e
    except PermissionError as e:
        raise SourceError("permission denied") from e
    except IsADirectoryError as e:
        raise SourceError("is a folder") from e
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror or e}") from e
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"file larger than {MAX_FILE_BYTES // 2**20} MB; split it into articles")
    return data


def _gunzip_capped(fh: io.BufferedReader) -> bytes:
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=fh) as gz:
            while chunk := gz.read(1 << 20):
                out += chunk
                if len(out) > MAX_FILE_BYTES:
                    raise SourceError(
                        f"gzip data expands beyond {MAX_FILE_BYTES // 2**20} MB (decompression stopped)"
                    )
    except (OSError, EOFError, zlib.error) as e:
        raise SourceError(f"corrupt gzip data: {e}") from e
    return bytes(out)


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- decoding -------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding=["']([A-Za-z0-9_.:-]+)""", re.I)


def decode(data: bytes, *, html: bool = False) -> str:
    """Decode bytes to text: BOM first, then an HTML/XML declared charset, then UTF-8,
    then Windows-1252 (which maps every byte, so old Western pages still read)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc)
            except UnicodeDecodeError as e:
                raise SourceError(f"invalid {enc.upper()} after its byte-order mark") from e
    if html:
        m = _DECLARED.search(data[:4096])
        if m:
            enc = (m.group(1) or m.group(2)).decode("ascii", "replace").lower()
            try:
                return data.decode(enc)
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration is common; fall through to detection
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_binary(data):
        raise SourceError("binary data, not text")
    return data.decode("cp1252", errors="replace")


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.05


_SPACE = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalise_text(text: str) -> str:
    """NFC, unified newlines, one space for runs of horizontal white space, no invisible
    or control characters, at most one blank line between paragraphs. Words are untouched."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACE.sub(" ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# --- sniffing -------------------------------------------------------------------------------

_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<(!doctype\s+)?html)", re.I | re.S)
_HTML_TAGS = re.compile(r"</?(p|div|article|section|span|a|br|h[1-6]|meta|title|script|table|ul|li)\b[^>]*>", re.I)


def sniff_kind(text: str, name: str = "") -> str:
    """Return ``"jsonl"``, ``"html"`` or ``"text"`` from the content, with the name as a tie-break."""
    head = text[:4096]
    stripped = head.lstrip()
    lower = name.lower().removesuffix(".gz")
    if stripped.startswith("{"):
        first = text.lstrip().split("\n", 1)[0]
        try:
            if isinstance(json.loads(first), dict):
                return "jsonl"
        except ValueError:
            if lower.endswith((".jsonl", ".ndjson", ".json")):
                return "jsonl"
    if _HTML_START.match(head) or len(_HTML_TAGS.findall(head)) >= 3:
        return "html"
    if lower.endswith((".html", ".htm", ".xhtml")) and "<" in head:
        return "html"
    return "text"


# --- reading one file -----------------------------------------------------------------------


def read_file(path: str, data: bytes | None = None) -> tuple[list[Source], list[LoadFailure]]:
    """Read one input file into sources. A JSONL file gives one source per good line and a
    failure (with its line number) per bad line."""
    try:
        if data is None:
            data = read_bytes(path)
        if not data.strip():
            raise SourceError("empty file")
        kind = _kind_of_bytes(data, path)
        text = decode(data, html=(kind == "html"))
    except SourceError as e:
        return [], [LoadFailure(path, str(e))]
    if kind == "jsonl":
        return _read_jsonl(path, text)
    content = text if kind == "html" else normalise_text(text)
    if not content.strip():
        return [], [LoadFailure(path, "only white space")]
    if len(content) > MAX_ARTICLE_CHARS:
        return [], [LoadFailure(path, f"one article of {len(content):,} characters is over the "
                                      f"{MAX_ARTICLE_CHARS:,} limit; split the file")]
    return [Source(path, path, kind, content, file_hash(data), {})], []


def _kind_of_bytes(data: bytes, path: str) -> str:
    # Sniff on a cheap decode of the head; UTF-16/32 heads are decoded properly first.
    head = data[:8192]
    for bom, enc in _BOMS:
        if head.startswith(bom):
            head_text = head[len(bom):].decode(enc, errors="ignore")
            break
    else:
        if _looks_binary(head):
            raise SourceError("binary data, not text")
        head_text = head.decode("utf-8", errors="replace")
    return sniff_kind(head_text, os.path.basename(path))


def _read_jsonl(path: str, text: str) -> tuple[list[Source], list[LoadFailure]]:
    sources: list[Source] = []
    failures: list[LoadFailure] = []
    seen_ids: set[str] = set()
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}#L{lineno}"
        try:
            source = _jsonl_source(path, lineno, line, seen_ids)
        except SourceError as e:
            failures.append(LoadFailure(where, str(e)))
            continue
        sources.append(source)
    if not sources and not failures:
        failures.append(LoadFailure(path, "no articles in JSONL file"))
    return sources, failures


def _jsonl_source(path: str, lineno: int, line: str, seen_ids: set[str]) -> Source:
    try:
        obj = json.loads(line)
    except ValueError as e:
        raise SourceError(f"malformed JSON: {e.args[0] if e.args else e}") from e
    if not isinstance(obj, dict):
        raise SourceError("line is not a JSON object")
    kind, body = "text", None
    for key in _JSONL_HTML_KEYS:
        if isinstance(obj.get(key), str) and obj[key].strip():
            kind, body = "html", obj[key]
            break
    else:
        for key in _JSONL_TEXT_KEYS:
            if isinstance(obj.get(key), str) and obj[key].strip():
                body = obj[key]
                break
    if body is None:
        raise SourceError("no 'text' or 'html' field with content")
    if len(body) > MAX_ARTICLE_CHARS:
        raise SourceError(f"article of {len(body):,} characters is over the {MAX_ARTICLE_CHARS:,} limit")
    content = body if kind == "html" else normalise_text(body)
    meta = {k: normalise_text(str(obj[k])) for k in _META_KEYS if obj.get(k) not in (None, "")}
    ext_id = obj.get("id")
    if ext_id not in (None, "") and str(ext_id) not in seen_ids:
        ext = str(ext_id)
        seen_ids.add(ext)
        meta["id"] = ext
        source_id = f"{path}#{ext}"
    else:
        source_id = f"{path}#L{lineno}"
    return Source(source_id, path, kind, content, file_hash(line.encode("utf-8")), meta)


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Source | LoadFailure]:
    """All sources under ``paths``, interleaved with failures, in a stable order."""
    files, failures = discover(paths)
    yield from failures
    for entry in files:
        sources, fails = read_file(entry.path)
        yield from fails
        yield from sources
