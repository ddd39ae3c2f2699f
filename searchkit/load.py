"""Load stage: files and folders → :class:`~searchkit.records.Source`.

Supported inputs, detected by content as well as by name: plain text, HTML, JSONL (one
article per line: ``text`` or ``html``, plus optional ``id``, ``title``, ``url``, ``date``,
``site``, ``author``) and the same gzipped. Bytes are decoded robustly (BOM, declared
charset, UTF-8, then Windows-1252) and normalised to NFC with tidy whitespace; words are
never changed.

Errors are per file (or per JSONL line) and never stop the run: :func:`read_file` returns
the good sources together with :class:`LoadFailure` records saying what went wrong where,
and :class:`LoadNote` records for files that were read but repaired on the way (invalid
UTF-8 bytes replaced, a legacy encoding guessed).

Inputs are untrusted scraped pages, so every limit is checked before the expensive step it
protects: a file's size before it is read, a gzip stream while it is inflated, an article's
length before it is normalised, and an HTML page's nesting depth before any parser sees it.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import re
import stat
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError, describe
from .records import Source

SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest input file read (after decompression): bigger ones fail with a clear reason."""
MAX_ARTICLE_CHARS = 5_000_000
"""Largest single article (one file, or one JSONL line); a longer one is not a news article."""
MAX_HTML_DEPTH = 2_000
"""Deepest element nesting accepted. Real pages stay under ~100; a page nested deeper is a
broken scrape or an attack on recursive parsers, and is refused before any parser sees it."""

_JSONL_TEXT_KEYS = ("text", "content", "body", "article", "articleBody")
_JSONL_HTML_KEYS = ("html", "raw_html")
_META_KEYS = ("title", "url", "date", "site", "author", "language")
_MB = 2**20


@dataclass(frozen=True)
class LoadFailure:
    """Something in a file that could not be loaded; ``where`` is the path, maybe ``#L<n>``."""

    where: str
    reason: str


@dataclass(frozen=True)
class LoadNote:
    """A file that was loaded, but repaired on the way (e.g. invalid UTF-8 bytes replaced)."""

    where: str
    reason: str


@dataclass(frozen=True)
class FileEntry:
    """A discovered input file."""

    path: str  # absolute; may hold surrogate escapes for bytes that are not UTF-8
    size: int


def display_path(path: str) -> str:
    """``path`` as valid Unicode: undecodable bytes of a file name (kept by Python as surrogate
    escapes) are shown as ``\\xNN``, so the name prints and serialises, yet stays recognisable."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[FileEntry], list[LoadFailure]]:
    """Expand files and folders (recursively) into input files, sorted, without duplicates.

    Folders contribute files with a known suffix (optionally ``.gz``); a file named
    explicitly is taken whatever its name. Symlinks are followed; a link back to a folder
    being walked (a loop) and unreadable folders become failures, not exceptions, and a
    second link to a folder already walked is skipped silently.
    """
    found: dict[str, FileEntry] = {}
    failures: list[LoadFailure] = []
    for raw in paths:
        p = Path(raw)
        try:
            exists, is_dir = p.exists(), p.is_dir()
        except OSError as e:  # e.g. ELOOP on the path itself
            failures.append(LoadFailure(display_path(str(raw)), _os_reason(e)))
            continue
        if not exists:
            reason = "symlink loop" if p.is_symlink() and _is_loop(p) else "no such file or folder"
            failures.append(LoadFailure(display_path(str(raw)), reason))
            continue
        if is_dir:
            _walk(p, found, failures)
        else:
            _add_file(p, found, failures)
    return sorted(found.values(), key=lambda e: e.path), failures


def _walk(top: Path, found: dict[str, FileEntry], failures: list[LoadFailure]) -> None:
    visited: set[tuple[int, int]] = set()
    chain: dict[str, tuple[int, int]] = {}  # walked folder path -> its (device, inode)

    def on_error(e: OSError) -> None:
        failures.append(LoadFailure(display_path(os.fsdecode(e.filename or "")), f"cannot read folder: {e.strerror}"))

    for dirpath, dirnames, filenames in os.walk(top, followlinks=True, onerror=on_error):
        try:
            st = os.stat(dirpath)
        except OSError as e:
            failures.append(LoadFailure(display_path(dirpath), f"cannot read folder: {e.strerror}"))
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        chain[str(Path(dirpath))] = key
        if key in visited:
            ancestors = {chain.get(str(parent)) for parent in Path(dirpath).parents}
            if key in ancestors:  # a link back to a folder we are inside: a loop
                failures.append(LoadFailure(display_path(dirpath), "symlink loop: the link leads back to a folder above it"))
            dirnames[:] = []  # either way, its files are already found
            continue
        visited.add(key)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not _has_known_suffix(name):
                continue
            _add_file(Path(dirpath) / name, found, failures)


def _is_loop(p: Path) -> bool:
    try:
        p.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as e:
        return e.errno == errno.ELOOP
    return False


def _has_known_suffix(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return lower.endswith(SUFFIXES)


def _os_reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ENOENT:
        return "file disappeared before it could be read"
    return e.strerror or str(e)


def _add_file(p: Path, found: dict[str, FileEntry], failures: list[LoadFailure]) -> None:
    try:
        resolved = p.resolve(strict=True)
        st = resolved.stat()
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        failures.append(LoadFailure(display_path(str(p)), "symlink loop"))
        return
    except OSError as e:
        failures.append(LoadFailure(display_path(str(p)), _os_reason(e)))
        return
    if not stat.S_ISREG(st.st_mode):
        failures.append(LoadFailure(display_path(str(p)), "not a regular file"))
        return
    key = os.fsdecode(resolved)
    found.setdefault(key, FileEntry(key, st.st_size))


def read_bytes(path: str) -> bytes:
    """Read a file, decompressing gzip, with a size cap that also defuses gzip bombs.

    The cap is checked before reading (from the file's size), so a huge file costs no memory;
    a gzip stream is inflated in chunks and abandoned as soon as it passes the cap.
    """
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise SourceError("not a regular file")
            head = fh.read(2)
            fh.seek(0)
            if head == b"\x1f\x8b":
                return _gunzip_capped(fh)
            if st.st_size > MAX_FILE_BYTES:
                raise SourceError(_too_big(st.st_size))
            data = fh.read(MAX_FILE_BYTES + 1)  # the file may have grown since fstat
    except OSError as e:
        raise SourceError(_os_reason(e) if e.errno != errno.EISDIR else "is a folder") from e
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(_too_big(len(data)))
    return data


def _too_big(size: int) -> str:
    return f"file of {size / _MB:,.0f} MB is larger than the {MAX_FILE_BYTES // _MB} MB limit; split it into articles"


def _gunzip_capped(fh: io.BufferedReader) -> bytes:
    # First pass: count the inflated bytes and throw them away, so a bomb costs time (stopped
    # at the cap) but no memory; only data known to fit is inflated again and kept.
    try:
        inflated = 0
        with gzip.GzipFile(fileobj=fh) as gz:
            while chunk := gz.read(1 << 20):
                inflated += len(chunk)
                if inflated > MAX_FILE_BYTES:
                    raise SourceError(
                        f"gzip data expands beyond {MAX_FILE_BYTES // _MB} MB (decompression stopped)"
                    )
        fh.seek(0)
        with gzip.GzipFile(fileobj=fh) as gz:
            return gz.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise SourceError(f"corrupt gzip data: {describe(e, 200)}") from e


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
    return decode_noted(data, html=html)[0]


def decode_noted(data: bytes, *, html: bool = False) -> tuple[str, str | None]:
    """:func:`decode`, plus a note when the text had to be repaired or its encoding guessed."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError as e:
                raise SourceError(f"invalid {enc.upper()} after its byte-order mark") from e
            if _looks_binary_text(text):
                raise SourceError(f"binary data, not text (despite a {enc.upper()} byte-order mark)")
            return text, None
    wide = _utf16_without_bom(data)
    if wide:
        try:
            return data.decode(wide), f"no byte-order mark; read as {wide.upper()}"
        except UnicodeDecodeError:
            pass
    if html:
        m = _DECLARED.search(data[:4096])
        if m:
            enc = (m.group(1) or m.group(2)).decode("ascii", "replace").lower()
            try:
                return data.decode(enc), None
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration is common; fall through to detection
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    if _looks_binary(data):
        raise SourceError("binary data, not text")
    # Mostly UTF-8 with a few bad bytes (a truncated or spliced page) keeps its UTF-8 text;
    # text with no valid multi-byte sequences at all is a legacy 8-bit page.
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in lenient if ord(ch) > 0x7F and ch != "\ufffd")
    if good > bad:
        return lenient, f"invalid UTF-8: {bad:,} bad byte sequence{'s' if bad != 1 else ''} replaced with U+FFFD"
    return data.decode("cp1252", errors="replace"), "not valid UTF-8; read as Windows-1252"


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.05


def _looks_binary_text(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or unicodedata.category(ch) in ("Cn", "Co", "Cs"))
    return odd / len(sample) > 0.05


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``data`` looks like mostly-ASCII UTF-16 (every
    other byte zero), which a Windows tool may write without a byte-order mark."""
    sample = data[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    sample = sample[: len(sample) // 2 * 2]
    half = len(sample) // 2
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    if odd_zero > 0.6 * half and even_zero < 0.05 * half:
        return "utf-16-le"
    if even_zero > 0.6 * half and odd_zero < 0.05 * half:
        return "utf-16-be"
    return None


_SPACE = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls; C1 in text means a mis-decoded page
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def normalise_text(text: str) -> str:
    """NFC, unified newlines, one space for runs of horizontal white space, no invisible
    or control characters, at most one blank line between paragraphs. Words are untouched.

    Lone surrogates (which JSON's ``\\udXXX`` escapes can produce) become U+FFFD: they are
    not encodable, and would break the index and the terminal further down."""
    text = _SURROGATE.sub("\ufffd", text)
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


# Elements that never hold children, or that the HTML parser closes by itself when a sibling
# opens: neither deepens a real page, so neither counts towards its depth.
_NOT_NESTING = frozenset(
    "area base br col embed hr img input link meta param source track wbr "
    "p li dt dd tr td th thead tbody tfoot option optgroup rp rt colgroup caption".split()
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")


def html_depth(html: str, stop_at: int = MAX_HTML_DEPTH) -> int:
    """The deepest element nesting of ``html`` (counting only elements that really nest),
    stopping early once ``stop_at`` is passed. A linear scan: it cannot recurse or blow up."""
    depth = deepest = 0
    for m in _TAG.finditer(html):
        if m.group(2).lower() in _NOT_NESTING or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
    return deepest


def _check_html(html: str) -> None:
    if html_depth(html) > MAX_HTML_DEPTH:
        raise SourceError(f"HTML nested more than {MAX_HTML_DEPTH:,} elements deep; not parsed "
                          "(a broken scrape or an attack on parsers)")


# --- reading one file -----------------------------------------------------------------------


def read_file(path: str, data: bytes | None = None) -> tuple[list[Source], list[LoadFailure | LoadNote]]:
    """Read one input file into sources. A JSONL file gives one source per good line and a
    failure (with its line number) per bad line; a repaired file also gives a :class:`LoadNote`."""
    where = display_path(path)
    notes: list[LoadFailure | LoadNote] = []
    try:
        if data is None:
            data = read_bytes(path)
        if not data:
            raise SourceError("empty file")
        if not data.strip():
            raise SourceError("only white space")
        kind = _kind_of_bytes(data, path)
        text, note = decode_noted(data, html=(kind == "html"))
        if note:
            notes.append(LoadNote(where, note))
        if kind != "jsonl" and len(text) > MAX_ARTICLE_CHARS:
            raise SourceError(f"one article of {len(text):,} characters is over the "
                              f"{MAX_ARTICLE_CHARS:,} limit; split the file")
        if kind == "html":
            _check_html(text)
    except SourceError as e:
        return [], [LoadFailure(where, str(e))]
    if kind == "jsonl":
        sources, failures = _read_jsonl(path, text)
        return sources, notes + failures
    content = text if kind == "html" else normalise_text(text)
    if not content.strip():
        return [], [LoadFailure(where, "only white space")]
    return [Source(path, path, kind, content, file_hash(data), {})], notes


def _kind_of_bytes(data: bytes, path: str) -> str:
    # Sniff on a cheap decode of the head; UTF-16/32 heads are decoded properly first.
    head = data[:8192]
    for bom, enc in _BOMS:
        if head.startswith(bom):
            head_text = head[len(bom):].decode(enc, errors="ignore")
            break
    else:
        wide = _utf16_without_bom(head)
        if wide:
            head_text = head.decode(wide, errors="ignore")
        elif _looks_binary(head):
            raise SourceError("binary data, not text")
        else:
            head_text = head.decode("utf-8", errors="replace")
    return sniff_kind(head_text, os.path.basename(path))


def _read_jsonl(path: str, text: str) -> tuple[list[Source], list[LoadFailure | LoadNote]]:
    sources: list[Source] = []
    failures: list[LoadFailure | LoadNote] = []
    seen_ids: set[str] = set()
    where_file = display_path(path)
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{where_file}#L{lineno}"
        try:
            source = _jsonl_source(path, lineno, line, seen_ids)
        except SourceError as e:
            failures.append(LoadFailure(where, str(e)))
            continue
        sources.append(source)
    if not sources and not failures:
        failures.append(LoadFailure(where_file, "no articles in JSONL file"))
    return sources, failures


def _jsonl_source(path: str, lineno: int, line: str, seen_ids: set[str]) -> Source:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise SourceError(f"malformed JSON: {e.msg.removesuffix(' at')} at column {e.colno}") from e
    except (ValueError, RecursionError) as e:
        raise SourceError(f"malformed JSON: {describe(e, 200)}") from e
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
    if kind == "html":
        _check_html(body)
        content = _SURROGATE.sub("\ufffd", body)
    else:
        content = normalise_text(body)
    if not content.strip():
        raise SourceError("no 'text' or 'html' field with content")
    meta = {k: normalise_text(str(obj[k])) for k in _META_KEYS if obj.get(k) not in (None, "")}
    meta = {k: v for k, v in meta.items() if v}
    ext_id = obj.get("id")
    ext = normalise_text(str(ext_id)) if ext_id not in (None, "") else ""
    if ext and ext not in seen_ids:
        seen_ids.add(ext)
        meta["id"] = ext
        source_id = f"{path}#{ext}"
    else:
        source_id = f"{path}#L{lineno}"
    return Source(source_id, path, kind, content, file_hash(line.encode("utf-8", "surrogatepass")), meta)


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Source | LoadFailure | LoadNote]:
    """All sources under ``paths``, interleaved with failures and notes, in a stable order."""
    files, failures = discover(paths)
    yield from failures
    for entry in files:
        sources, fails = read_file(entry.path)
        yield from fails
        yield from sources
