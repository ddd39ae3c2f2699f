"""Finding input files: files and folders → sorted :class:`FileEntry` list, plus what was skipped.

A folder walk reads what people keep articles in and leaves out what no one means as input:
searchkit indexes (above all the one being written), version control, virtualenvs, caches,
dependency and build-output folders, and the asset folder a browser writes beside a page
saved as "Webpage, Complete" (``NAME.html`` + ``NAME_files/``). Every skipped folder is
reported (status ``skipped``), so nothing disappears silently, and ``include_skipped`` walks
all but the indexes. A file or folder named explicitly is always read, except an index.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..records import LoadIssue
from .files import display_path, os_reason

DOCUMENT_SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml", ".shtml", ".jsonl", ".ndjson", ".json",
                     ".mhtml", ".mht")
ARCHIVE_SUFFIXES = (".warc", ".wacz")
SUFFIXES = DOCUMENT_SUFFIXES + ARCHIVE_SUFFIXES
"""Names a folder walk picks up (each also as ``.gz``, except ``.wacz``, a zip already)."""

INDEX_MARKER = "searchkit.json"
"""The file that makes a folder a searchkit index (written by the store when it creates one)."""

VCS_FOLDERS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", "CVS"})
CACHE_FOLDERS = frozenset({"__pycache__", "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
                           ".ruff_cache", ".ipynb_checkpoints", "site-packages"})
BUILD_FOLDERS = frozenset({"build", "dist"})
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "package.json", "Cargo.toml", "CMakeLists.txt",
                 "Makefile", "meson.build", "pom.xml", "build.gradle")
"""``build``/``dist`` are output only beside one of these; elsewhere they may be anyone's folder."""
ASSET_SUFFIXES = ("_files", "-Dateien", "_fichiers", "_archivos", "_arquivos", "_bestanden", "_file")
"""What browsers append to a page's name for the assets of "Webpage, Complete" (English,
German, French, Spanish, Portuguese, Dutch and Italian Windows locales)."""
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


@dataclass(frozen=True)
class FileEntry:
    """A discovered input file."""

    path: str  # absolute; may hold surrogate escapes for bytes that are not UTF-8
    size: int


def discover(
    paths: Iterable[str | os.PathLike[str]],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    include_skipped: bool = False,
) -> tuple[list[FileEntry], list[LoadIssue]]:
    """Expand files and folders (recursively) into input files, sorted, without duplicates.

    Folders contribute files with a known suffix (optionally ``.gz``); a file named
    explicitly is taken whatever its name. ``exclude`` lists folders never read (the index
    being written); any folder holding a searchkit index is never read either. Symlinks are
    followed; a link back to a folder being walked (a loop) and unreadable folders become
    failures, not exceptions, and a second link to a folder already walked is skipped
    silently. Skipped folders come back as issues with status ``skipped``.
    """
    found: dict[str, FileEntry] = {}
    issues: list[LoadIssue] = []
    excluded = {_real(p) for p in exclude}
    for raw in paths:
        p = Path(raw)
        try:
            exists, is_dir = p.exists(), p.is_dir()
        except OSError as e:  # e.g. ELOOP on the path itself
            issues.append(LoadIssue(display_path(str(raw)), os_reason(e)))
            continue
        if not exists:
            reason = "symlink loop" if p.is_symlink() and _is_loop(p) else "no such file or folder"
            issues.append(LoadIssue(display_path(str(raw)), reason))
            continue
        inside = _inside_index(p, excluded)
        if inside:
            issues.append(LoadIssue(display_path(str(raw)), inside, "skipped"))
        elif is_dir:
            _walk(p, found, issues, excluded, include_skipped)
        else:
            _add_file(p, found, issues)
    return sorted(found.values(), key=lambda e: e.path), issues


def _real(p: str | os.PathLike[str]) -> str:
    try:
        return os.path.realpath(p)
    except (OSError, ValueError):
        return os.path.abspath(p)


def _inside_index(p: Path, excluded: set[str]) -> str | None:
    """Why ``p`` (named by the user) is never read: it is, or is inside, a searchkit index."""
    real = Path(_real(p))
    for folder in (real, *real.parents):
        if str(folder) in excluded:
            return "the index being written is never read as input"
        if (folder / INDEX_MARKER).is_file():
            return "a searchkit index is never read as input"
    return None


def skip_reason(folder: Path, names: set[str], include_skipped: bool, siblings: set[str]) -> str | None:
    """Why a folder walk leaves ``folder`` out, or None to walk it. ``names`` are the entries
    inside it, ``siblings`` those beside it. Index folders are left out whatever the flag."""
    if INDEX_MARKER in names:
        return "a searchkit index is never read as input"
    if include_skipped:
        return None
    name = folder.name
    if name in VCS_FOLDERS:
        return "version-control folder skipped"
    if "pyvenv.cfg" in names or "conda-meta" in names:
        return "virtualenv skipped"
    if name in CACHE_FOLDERS or name.endswith(".egg-info"):
        return "cache or dependency folder skipped"
    if name in BUILD_FOLDERS and any(f in siblings for f in PROJECT_FILES):
        return "build output skipped"
    if name.startswith("."):
        return "hidden folder skipped"
    page = _page_of_assets(name, siblings)
    if page:
        return f"{_count_files(folder):,} asset files skipped (saved with {page})"
    return None


def _page_of_assets(name: str, siblings: set[str]) -> str | None:
    """The saved page whose asset folder ``name`` is (``NAME_files`` beside ``NAME.html``)."""
    for suffix in ASSET_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            for ext in PAGE_SUFFIXES:
                if stem + ext in siblings:
                    return stem + ext
    return None


def _count_files(folder: Path, limit: int = 100_000) -> int:
    n = 0
    for _, _, files in os.walk(folder):
        n += len(files)
        if n >= limit:
            break
    return n


def _walk(top: Path, found: dict[str, FileEntry], issues: list[LoadIssue], excluded: set[str],
          include_skipped: bool) -> None:
    visited: set[tuple[int, int]] = set()
    chain: dict[str, tuple[int, int]] = {}  # walked folder path -> its (device, inode)

    def on_error(e: OSError) -> None:
        issues.append(LoadIssue(display_path(os.fsdecode(e.filename or "")), f"cannot read folder: {e.strerror}"))

    for dirpath, dirnames, filenames in os.walk(top, followlinks=True, onerror=on_error):
        try:
            st = os.stat(dirpath)
        except OSError as e:
            issues.append(LoadIssue(display_path(dirpath), f"cannot read folder: {e.strerror}"))
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        chain[str(Path(dirpath))] = key
        if key in visited:
            ancestors = {chain.get(str(parent)) for parent in Path(dirpath).parents}
            if key in ancestors:  # a link back to a folder we are inside: a loop
                issues.append(LoadIssue(display_path(dirpath), "symlink loop: the link leads back to a folder above it"))
            dirnames[:] = []  # either way, its files are already found
            continue
        visited.add(key)
        siblings = set(dirnames) | set(filenames)
        keep = []
        for d in sorted(dirnames):
            sub = Path(dirpath) / d
            if _real(sub) in excluded:
                issues.append(LoadIssue(display_path(str(sub)), "the index being written is never read as input",
                                        "skipped"))
                continue
            try:
                inside = set(os.listdir(sub))
            except OSError:
                inside = set()  # os.walk reports the unreadable folder itself
            reason = skip_reason(sub, inside, include_skipped, siblings)
            if reason:
                issues.append(LoadIssue(display_path(str(sub)), reason, "skipped"))
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith(".") or not has_known_suffix(name):
                continue
            _add_file(Path(dirpath) / name, found, issues)


def _is_loop(p: Path) -> bool:
    try:
        p.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as e:
        return e.errno == errno.ELOOP
    return False


def has_known_suffix(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return lower.endswith(SUFFIXES)


def _add_file(p: Path, found: dict[str, FileEntry], issues: list[LoadIssue]) -> None:
    try:
        resolved = p.resolve(strict=True)
        st = resolved.stat()
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        issues.append(LoadIssue(display_path(str(p)), "symlink loop"))
        return
    except OSError as e:
        issues.append(LoadIssue(display_path(str(p)), os_reason(e)))
        return
    if not stat.S_ISREG(st.st_mode):
        issues.append(LoadIssue(display_path(str(p)), "not a regular file"))
        return
    key = os.fsdecode(resolved)
    found.setdefault(key, FileEntry(key, st.st_size))
