"""``searchkit check`` over a sharded index: each shard checked as the index it is, in one report."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from .integrity import CheckReport
from .shards import read_shards


def check_sharded(path: Path, deep: bool) -> CheckReport:
    """One report for the whole: the shards' counts summed, each finding named by its shard."""
    from .integrity import check_index

    started = time.perf_counter()
    combined = CheckReport(str(path), deep=deep, generation=0)
    for shard in read_shards(path):
        one = check_index(shard, deep=deep)
        if one.cannot_check:
            combined.cannot_check = combined.cannot_check or one.cannot_check
            continue
        name = os.path.relpath(shard, path)
        combined.generation += one.generation
        for attr in ("segments", "articles", "passages", "files_checked", "bytes_checked"):
            setattr(combined, attr, getattr(combined, attr) + getattr(one, attr))
        combined.findings += [dataclasses.replace(f, name=f"{name}/{f.name}") for f in one.findings]
        combined.removed += [f"{name}/{r}" for r in one.removed]
        combined.repaired += [f"{name}: {r}" for r in one.repaired]
    combined.seconds = time.perf_counter() - started
    return combined

