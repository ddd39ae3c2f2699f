"""Exports: every match of a search, streamed (``search --limit 0``), and the provenance
sidecar (``--provenance FILE``) that says how to get the same result set again.

A result set handed to an editor or a lawyer has to say where it came from. The sidecar is a
small JSON document beside the export: the query and every option that shapes the result,
the index (folder, generation, the ``index_id`` of its marker, the CRC32 of its manifest,
which covers every file of that generation), the searchkit version, the time, and the counts.
Two exports with the same sidecar values hold the same hits.

Streaming: hits come from :meth:`SearchIndex.stream <searchkit.search.stream.Streaming.stream>`
one at a time and each line is written as it comes, so memory does not grow with the number
of matches (peak RSS: see ``bench/speed/workflows.py``).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .commands import SearchArgs, fail, say, warn
from .serialize import dumps, emit, hit_dict, hits_csv

PROVENANCE_FORMAT = 1


def export_all(a: SearchArgs, fmt: str | None) -> int:
    """``search --limit 0 --jsonl|--csv``: write every match; the exit code (0 hits, 1 none)."""
    from .search import open_index

    if fmt not in ("--jsonl", "--csv"):
        raise fail("--limit 0 (every match) needs --jsonl or --csv", "searchkit search QUERY --limit 0 --jsonl; see searchkit search --help")
    for flag, on in (("--facets", a.facets), ("--timeline", a.timeline), ("-C/--context", a.context),
                     ("--explain", a.explain)):
        if on:
            warn(f"{flag} is ignored with --limit 0 (an export writes one hit per line)")
    count = 0
    with open_index(a.index) as idx:
        hits = idx.stream(a.query, operator="or" if a.any_word else "and", **a.filters(), exact=a.exact,
                          sort=a.sort)
        lines = (dumps(hit_dict(hit)) for hit in hits) if fmt == "--jsonl" else hits_csv(hits)
        for line in lines:
            emit(sys.stdout, line)
            count += 1
        if fmt == "--csv":
            count -= 1  # the header
        if a.provenance is not None:
            write_provenance(a.provenance, a, fmt, idx.identity(), count, count)
    if not count:
        say("0 passages matched", "yellow")
        return 1
    return 0


def provenance(a: SearchArgs, fmt: str | None, index: dict[str, Any], total: int, written: int) -> dict[str, Any]:
    """The sidecar's content (see the module doc)."""
    from importlib.metadata import version

    return {
        "format": PROVENANCE_FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "searchkit_version": version("searchkit"),
        "command": "search",
        "query": a.query,
        "options": {"any": a.any_word, "exact": a.exact, "sort": a.sort, "limit": a.limit,
                    "all_passages": a.all_passages or a.limit == 0, "output": (fmt or "text").lstrip("-")},
        "filters": {k: v for k, v in a.filters().items() if v},
        "index": index,
        "total": total,
        "written": written,
    }


def write_provenance(path: Path, a: SearchArgs, fmt: str | None, index: dict[str, Any], total: int,
                     written: int) -> None:
    """Write the sidecar atomically (a reader never sees half of it)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(provenance(a, fmt, index, total, written), ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise fail(f"cannot write the provenance file {path}: {e.strerror}") from e
