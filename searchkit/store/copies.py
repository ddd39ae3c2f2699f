"""The index folder's ``duplicates/``: what ingest keeps of copies, and the table search reads.

Written by :meth:`searchkit.duplicates.DuplicateClusters.save` after each commit, each save
under new names, made current by replacing ``current.json`` last (names and CRC32s):

* ``signatures-N.npy``: every article's MinHash (ingest only: numpy);
* ``members-N.json``: every article's exact hash, shingle count, date, length, site/url/title/path,
  the stamp of the content it was signed from (the stored ``content_hash``) and its cluster;
* ``clusters-N.json``: the clusters of two or more articles, representative first, and
  article id → cluster: the small pure-JSON table the query path reads (no numpy).

This module is pure JSON, so that ``check`` and search can use it without numpy or datasketch.
The clusters file is derived from the members file (:func:`cluster_table`); the members are
up to date when they are exactly the index's articles, each with the content hash the index
stores (:func:`compare_members`). A killed ingest may leave them behind the index (never
damaged): the next ingest catches up.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DUPLICATES = "duplicates"
CURRENT = "current.json"
"""Names the files of the current table and their CRC32s. Each save writes new files
(``members-N.json``, ``clusters-N.json``, ``signatures-N.npy``) and then replaces this one:
a save killed half-way leaves the previous table whole, and ``check`` finds any flipped byte."""
FORMAT_VERSION = 1
MEMBERS_VERSION = 3
"""Version of ``members-N.json`` (and the signatures beside it): 2 signs the headline with the
text and keeps a short text's figures; 3 keeps them in text order (compared aligned too).
Search reads only the clusters file (still version 1), so a table of an older version keeps
working until the next ingest or ``check --repair`` rebuilds it from the stored text."""


def crc32_of(path: Path) -> str:
    return f"{zlib.crc32(path.read_bytes()):08x}"


def write_current(folder: Path, files: Mapping[str, str]) -> None:
    """Make ``files`` (role → file name: members, clusters, signatures) the current table, in
    one atomic replace (compact JSON: no white space a flipped byte could hide in)."""
    payload: dict[str, Any] = {"version": FORMAT_VERSION, "files": dict(files),
                               "crc32": {name: crc32_of(folder / name) for name in files.values()}}
    payload["self_crc32"] = _self_crc(payload)
    tmp = folder / (CURRENT + ".tmp")
    tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, folder / CURRENT)
    for old in folder.iterdir():  # the previous table's files
        if old.name not in (CURRENT, *files.values()):
            old.unlink(missing_ok=True)


def read_current(table: Path) -> dict[str, Any] | None:
    """``current.json`` of a ``duplicates/`` folder (None: no table); raises ValueError or
    OSError when it is damaged."""
    try:
        payload = read_json(table / CURRENT)
    except FileNotFoundError:
        return None
    if not isinstance(payload, dict) or payload.get("version") != FORMAT_VERSION or \
            not all(isinstance(payload.get("files", {}).get(r), str) for r in ("members", "clusters", "signatures")):
        raise ValueError(f"{CURRENT} is not a copy table of version {FORMAT_VERSION}")
    if payload.get("self_crc32") != _self_crc(payload):
        raise ValueError(f"{CURRENT} fails its own checksum")
    return payload


def _self_crc(payload: Mapping[str, Any]) -> str:
    """CRC32 of ``current.json``'s content less this field: a flipped byte in a file name
    is then named as damage of ``current.json``, not only as a missing file."""
    body = json.dumps({k: v for k, v in payload.items() if k != "self_crc32"}, sort_keys=True, separators=(",", ":"))
    return f"{zlib.crc32(body.encode()):08x}"


def table_file(table: Path, role: str) -> Path | None:
    """The current file of ``role`` (members, clusters, signatures), None if there is none."""
    try:
        current = read_current(table)
    except (OSError, ValueError):
        return None
    return table / current["files"][role] if current else None


def checksum_problems(table: Path) -> list[tuple[str, str]]:
    """(file, what is wrong) for each file of the current table that is not as written."""
    try:
        current = read_current(table)
    except (OSError, ValueError) as e:
        return [(CURRENT, f"damaged ({e})")]
    if current is None:
        return [(CURRENT, "missing")]
    found = []
    for name in current["files"].values():
        crc = current.get("crc32", {}).get(name)
        try:
            if crc32_of(table / name) != crc:
                found.append((name, f"checksum mismatch (CRC32 {crc} recorded)"))
        except FileNotFoundError:
            found.append((name, "missing"))
        except OSError as e:
            found.append((name, f"unreadable ({e.strerror})"))
    return found


def representative_key(member: Mapping[str, Any]) -> tuple[bool, str, int, str]:
    """Sort key of a cluster's members, representative first: the earliest date (undated
    after dated), then the longest text, then the smallest id (so it never depends on order)."""
    date = member.get("date")
    return (date is None, date or "", -int(member.get("length") or 0), str(member["article_id"]))


def cluster_table(members: Iterable[Mapping[str, Any]], min_size: int = 2) -> dict[str, Any]:
    """The query path's table from the members' records (the members file's ``members``):
    clusters of ``min_size``+ articles, representative first, largest first; and, for each of
    their articles, the index of its cluster."""
    by_cluster: dict[Any, list[Mapping[str, Any]]] = {}
    for m in members:
        by_cluster.setdefault(m["cluster"], []).append(m)
    ordered = [sorted(ms, key=representative_key) for ms in by_cluster.values() if len(ms) >= min_size]
    ordered.sort(key=lambda ms: (-len(ms), ms[0]["article_id"]))
    clusters: list[list[dict[str, Any]]] = []
    cluster_of: dict[str, int] = {}
    for ms in ordered:
        for m in ms:
            cluster_of[m["article_id"]] = len(clusters)
        clusters.append([{"article_id": m["article_id"], "date": m.get("date"), **(m.get("info") or {})} for m in ms])
    return {"version": FORMAT_VERSION, "clusters": clusters, "cluster_of": cluster_of}


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_members(folder: Path) -> dict[str, Any] | None:
    """The current ``members-N.json`` of an index folder, or None when there is no table."""
    path = table_file(folder / DUPLICATES, "members")
    return None if path is None else read_json(path)


def compare_members(members: Iterable[Mapping[str, Any]], index: Mapping[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(articles in the table but not in the index, in the index but not in the table,
    signed from other content than the index holds): all empty when the two agree.
    ``index`` is article id → stored content hash."""
    seen: dict[str, str] = {str(m["article_id"]): str(m.get("stamp") or "") for m in members}
    extra = sorted(a for a in seen if a not in index)
    missing = sorted(a for a in index if a not in seen)
    changed = sorted(a for a, stamp in seen.items() if a in index and index[a] != stamp)
    return extra, missing, changed


def describe_difference(extra: list[str], missing: list[str], changed: list[str]) -> str | None:
    """One line for ``check`` (None when nothing differs)."""
    parts = []
    if extra:
        parts.append(f"{len(extra):,} articles not in the index (e.g. {extra[0]})")
    if missing:
        parts.append(f"{len(missing):,} articles of the index missing (e.g. {missing[0]})")
    if changed:
        parts.append(f"{len(changed):,} signed from older text (e.g. {changed[0]})")
    return "; ".join(parts) or None


def check_copies(folder: Path, report: Any, index: Mapping[str, str] | None) -> None:
    """``check``: every file of the copy table as written (CRC32), the table holding the
    index's articles (their number; with ``index``, article id → stored content hash, each of
    them signed from that content), and the clusters file the table derived from the
    members file. Findings go to ``report`` (a :class:`~searchkit.store.integrity.CheckReport`).
    No table at all is a note: search then shows every copy."""
    table = folder / DUPLICATES
    if not table.exists():
        report.add("copies", DUPLICATES, "no copy table: search shows every copy (the next ingest builds it, "
                   "unless --dup-threshold 0)", problem=False)
        return
    for path in sorted(p for p in table.iterdir() if p.is_file()):
        report.files_checked += 1
        report.bytes_checked += path.stat().st_size
    damaged = checksum_problems(table)
    for name, message in damaged:
        report.add("copies", f"{DUPLICATES}/{name}", message)
    if damaged:
        return
    current = read_current(table)
    assert current is not None
    members_name, clusters_name = current["files"]["members"], current["files"]["clusters"]
    where = f"{DUPLICATES}/{members_name}"
    try:
        meta = read_json(table / members_name)
        members = list(meta["members"])
        same = read_json(table / clusters_name) == json.loads(json.dumps(cluster_table(members)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        report.add("copies", where, f"damaged ({type(e).__name__}: {e})")
        return
    if not same:
        report.add("copies", f"{DUPLICATES}/{clusters_name}", f"is not the table {members_name} gives "
                   "(search would collapse wrongly)")
    version = meta.get("version")
    if version != MEMBERS_VERSION:
        report.add("copies", where, f"made by an older searchkit (version {version}, now {MEMBERS_VERSION}): "
                   "the next ingest or check --repair finds the copies again", problem=False)
        return
    # Behind the index is what an ingest killed after a commit leaves: the next ingest catches
    # up, and search meanwhile lists the copies it knows. A note, not damage.
    behind = f"holds {len(members):,} articles, the index {report.articles:,}" if len(members) != report.articles \
        else describe_difference(*compare_members(members, index)) if index is not None else None
    if behind:
        report.add("copies", where, f"behind the index ({behind}): an ingest stopped before saving it; "
                   "the next ingest or check --repair brings it up to date", problem=False)
