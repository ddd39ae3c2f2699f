"""Load stage: files, folders and archives → :class:`~searchkit.records.Source`.

Inputs, detected by content as well as by name:

* documents: plain text, HTML (also a SingleFile page, or the page of a "Webpage, Complete"
  save, whose ``NAME_files/`` assets are skipped), MHTML (``.mhtml``/``.mht``), JSONL (one
  article a line) and JSON (one article, or an array of them); each also gzipped;
* web archives: WARC (``.warc``, ``.warc.gz``) and WACZ (``.wacz``), streamed record by record.

Bytes are decoded robustly (BOM, declared charset, UTF-8, then Windows-1252) and normalised
to NFC with tidy white space; words are never changed.

Errors are per file (or JSONL line, or archive record) and never stop the run: each reader
returns the good sources together with :class:`~searchkit.records.LoadIssue` records saying
what failed, what was repaired on the way and what was skipped on purpose.

Inputs are untrusted scraped pages, so every limit is checked before the expensive step it
protects: a file's size before it is read, a gzip stream while it is inflated, an article's
length before it is normalised, and an HTML page's nesting depth before any parser sees it.

Modules: :mod:`.walk` (finding files), :mod:`.files` (bytes, caps, hashes), :mod:`.decode`
(text), :mod:`.htmlpage` (saved-page clean-up), :mod:`.jsonl`, :mod:`.mhtml`, :mod:`.archives`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import overload

from ..errors import SourceError
from ..records import LoadIssue, Source
from .decode import MAX_HTML_DEPTH, check_html_depth, decode_noted, html_depth, normalise_text, sniff_bytes, sniff_kind
from .files import (
    MAX_ARTICLE_CHARS,
    MAX_FILE_BYTES,
    display_path,
    file_hash,
    read_bytes,
    read_head,
    stream_hash,
)
from .htmlpage import saved_page_hints, strip_data_uris
from .walk import SUFFIXES, FileEntry, discover

__all__ = [
    "MAX_ARTICLE_CHARS", "MAX_FILE_BYTES", "MAX_HTML_DEPTH", "SUFFIXES", "FileEntry", "InputFile", "LoadIssue",
    "SourceSet", "decode_noted", "discover", "display_path", "file_hash", "html_depth", "normalise_text",
    "open_input", "read_bytes", "read_file", "sniff_kind",
]


class SourceSet:
    """The sources of one input file: a list in memory, or (for a big archive) a re-read of the
    archive each time it is iterated. Either way its length and ids are known up front, which
    incremental ingest needs before the first article is written."""

    def __init__(self, sources: list[Source] | None = None, *, ids: list[str] | None = None,
                 reread: Callable[[], Iterator[Source]] | None = None) -> None:
        self._list = sources
        self._reread = reread
        self._ids = ids if ids is not None else [s.source_id for s in sources or []]

    @property
    def source_ids(self) -> frozenset[str]:
        return frozenset(self._ids)

    @property
    def lazy(self) -> bool:
        """True when iterating re-reads the archive (its text did not fit in memory)."""
        return self._list is None

    def __len__(self) -> int:
        return len(self._ids)

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __iter__(self) -> Iterator[Source]:
        if self._list is not None:
            return iter(self._list)
        assert self._reread is not None
        return self._reread()

    @overload
    def __getitem__(self, i: int) -> Source: ...

    @overload
    def __getitem__(self, i: slice) -> list[Source]: ...

    def __getitem__(self, i: int | slice) -> Source | list[Source]:
        if self._list is not None:
            return self._list[i]
        if isinstance(i, slice):
            return list(self)[i]
        if i < 0:
            i += len(self)
        found = next(itertools.islice(iter(self), i, None), None)
        if found is None:
            raise IndexError(i)
        return found

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, SourceSet)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"SourceSet({len(self)} sources{', lazy' if self.lazy else ''})"


@dataclass(frozen=True)
class InputFile:
    """An input file opened for ingest: its hash (to skip it when unchanged), and for a
    document its bytes, read once. An archive is never read whole: ``data`` is None and
    :meth:`read` streams it."""

    path: str
    container: str  # "document", "warc" or "wacz"
    file_hash: str
    data: bytes | None

    def read(self) -> tuple[SourceSet, list[LoadIssue]]:
        return read_file(self.path, self.data)


def open_input(path: str) -> InputFile:
    """Open ``path`` for ingest (raises :class:`SourceError` with a one-line reason)."""
    from .archives import sniff_archive

    container = sniff_archive(read_head(path, 4096), os.path.basename(path))
    if container:
        return InputFile(path, container, stream_hash(path), None)
    data = read_bytes(path)
    return InputFile(path, "document", file_hash(data), data)


def read_file(path: str, data: bytes | None = None) -> tuple[SourceSet, list[LoadIssue]]:
    """Read one input file into sources. A JSONL file gives one source per good line and a
    failure (with its line number) per bad line; an archive one source per page record; a
    repaired file also gives a ``repaired`` issue."""
    where = display_path(path)
    try:
        if data is None:
            from .archives import sniff_archive

            container = sniff_archive(read_head(path, 4096), os.path.basename(path))
            if container:
                return _read_archive(path, container)
            data = read_bytes(path)
        sources, issues = _read_document(path, data)
    except SourceError as e:
        return SourceSet([]), [LoadIssue(where, str(e))]
    return SourceSet(sources), issues


def _read_archive(path: str, container: str) -> tuple[SourceSet, list[LoadIssue]]:
    from .archives import scan_archive

    scan, reread = scan_archive(path, container)
    if not scan.ids and not any(i.status == "failed" for i in scan.issues):
        scan.issues.append(LoadIssue(display_path(path), "no HTML or text pages in the archive"))
    if scan.sources is not None:
        return SourceSet(scan.sources), scan.issues
    return SourceSet(ids=scan.ids, reread=reread), scan.issues


def _read_document(path: str, data: bytes) -> tuple[list[Source], list[LoadIssue]]:
    from .mhtml import looks_like_mhtml, read_mhtml

    where = display_path(path)
    if not data:
        raise SourceError("empty file")
    if not data.strip():
        raise SourceError("only white space")
    if looks_like_mhtml(data[:8192]):
        return read_mhtml(path, data)
    kind = sniff_bytes(data, os.path.basename(path))
    text, note = decode_noted(data, html=(kind == "html"))
    issues = [LoadIssue(where, note, "repaired")] if note else []
    if kind in ("jsonl", "json"):
        from .jsonl import read_json, read_jsonl

        sources, found = (read_jsonl if kind == "jsonl" else read_json)(path, text)
        return sources, issues + found
    defaults: dict[str, str] = {}
    if kind == "html":
        text, _ = strip_data_uris(text)
        defaults = saved_page_hints(text)
    if len(text) > MAX_ARTICLE_CHARS:
        raise SourceError(f"one article of {len(text):,} characters is over the "
                          f"{MAX_ARTICLE_CHARS:,} limit; split the file")
    if kind == "html":
        check_html_depth(text)
    content = text if kind == "html" else normalise_text(text)
    if not content.strip():
        raise SourceError("only white space")
    return [Source(path, path, kind, content, file_hash(data), {}, defaults=defaults)], issues
