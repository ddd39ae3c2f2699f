"""Reading one input file's bytes safely: size caps checked before the read, gzip inflated in
chunks and abandoned past the cap (a bomb costs time, never memory), hashes streamed.

Archives are never read whole: :func:`stream_hash` and the archive readers go through them
in chunks, so a multi-gigabyte WARC costs a buffer, not its size.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import os
import stat
import zlib

from ..errors import SourceError, describe

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest document file read (after decompression): bigger ones fail with a clear reason.
Archives (WARC, WACZ) are streamed record by record and are not bound by it."""
MAX_ARTICLE_CHARS = 5_000_000
"""Largest single article (one file, one JSONL line, one archive record, after data URIs are
dropped); a longer one is not a news article."""
MB = 2**20
_CHUNK = 1 << 20


def display_path(path: str) -> str:
    """``path`` as valid Unicode: undecodable bytes of a file name (kept by Python as surrogate
    escapes) are shown as ``\\xNN``, so the name prints and serialises, yet stays recognisable."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def os_reason(e: OSError) -> str:
    """A user's words for an OS error while reading a file that was found a moment ago."""
    if e.errno == errno.ELOOP:
        return "symlink loop"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ENOENT:  # the path was checked first (see walk.check_path): it went away
        return "file disappeared before it could be read"
    if e.errno == errno.EISDIR:
        return "is a folder"
    return e.strerror or str(e)


def read_head(path: str, size: int = 65536) -> bytes:
    """The first ``size`` bytes of a file, inflated if it is gzip (to sniff what is inside)."""
    try:
        with open(path, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise SourceError("not a regular file")
            head = fh.read(size)
            if head[:2] != b"\x1f\x8b":
                return head
            fh.seek(0)
            try:
                with gzip.GzipFile(fileobj=fh) as gz:
                    return gz.read(size)
            except (OSError, EOFError, zlib.error):
                return head  # read_bytes says what is wrong with it
    except OSError as e:
        raise SourceError(os_reason(e)) from e


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
        raise SourceError(os_reason(e)) from e
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(_too_big(len(data)))
    return data


def _too_big(size: int) -> str:
    return f"file of {size / MB:,.0f} MB is larger than the {MAX_FILE_BYTES // MB} MB limit; split it into articles"


def _gunzip_capped(fh: io.BufferedReader) -> bytes:
    # First pass: count the inflated bytes and throw them away, so a bomb costs time (stopped
    # at the cap) but no memory; only data known to fit is inflated again and kept.
    try:
        inflated = 0
        with gzip.GzipFile(fileobj=fh) as gz:
            while chunk := gz.read(_CHUNK):
                inflated += len(chunk)
                if inflated > MAX_FILE_BYTES:
                    raise SourceError(
                        f"gzip data expands beyond {MAX_FILE_BYTES // MB} MB (decompression stopped)"
                    )
        fh.seek(0)
        with gzip.GzipFile(fileobj=fh) as gz:
            return gz.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise SourceError(f"corrupt gzip data: {describe(e, 200)}") from e


def file_hash(data: bytes) -> str:
    """SHA-256 of a file's (or a record's) bytes: what incremental ingest compares."""
    return hashlib.sha256(data).hexdigest()


def stream_hash(path: str) -> str:
    """SHA-256 of a file read in 1 MB chunks (an archive of any size, in constant memory)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    except OSError as e:
        raise SourceError(os_reason(e)) from e
    return h.hexdigest()
