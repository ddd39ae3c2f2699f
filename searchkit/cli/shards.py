"""A sharded index (``ingest --shard-per-worker``): ``shards`` lists its parts, ``merge``
folds them into one index."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..commands import DEFAULT_INDEX, errors_handled, inert_line, out
from .root import IndexOpt, app


@app.command()
def shards(
    index: IndexOpt = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The shards of a sharded index (ingest --shard-per-worker), with their counts.

    \b
    Example:  searchkit shards --index index
    """
    run_shards(index, as_json=as_json)


@app.command()
def merge(
    index: IndexOpt = DEFAULT_INDEX,
    into: Annotated[Optional[Path], typer.Option("--into", help="Write the merged index to this new folder (default: in place, for a sharded index).")] = None,  # noqa: UP007
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for another ingest's lock.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Fold the shards of a sharded index (or several --index folders) into one index.

    \b
    Example:  searchkit merge --index index
    """
    run_merge(index, into, as_json=as_json, wait=wait)


def run_shards(index: Path, *, as_json: bool) -> None:
    """One line per shard (or per folder of ``--index A --index B``): counts, size, generation."""
    from ..ingest.merge import list_shards
    from ..serialize import dumps, emit, versioned

    with errors_handled():
        shards = list_shards(index)
        if as_json:
            emit(sys.stdout, dumps(versioned({"shards": [s.to_dict() for s in shards]})))
            return
        for s in shards:
            out.print(inert_line(f"{s.path}  {s.articles:,} articles, {s.passages:,} passages, "
                                 f"{s.segments} segment{'' if s.segments == 1 else 's'}, "
                                 f"{s.size_bytes / 1e6:.1f} MB, generation {s.generation}"), soft_wrap=True)
        total_a, total_p = sum(s.articles for s in shards), sum(s.passages for s in shards)
        out.print(inert_line(f"{len(shards)} shard{'' if len(shards) == 1 else 's'}: {total_a:,} articles, "
                             f"{total_p:,} passages"), soft_wrap=True)


def run_merge(index: Path, into: Path | None, *, as_json: bool, wait: float) -> None:
    from ..ingest.merge import merge_shards
    from ..serialize import dumps, emit, versioned

    with errors_handled():
        report = merge_shards(index, into, wait=wait)
        if as_json:
            emit(sys.stdout, dumps(versioned(report.to_dict())))
        elif report.shards == 1:
            out.print(inert_line(f"the index at {report.into} is one index already: nothing to merge"), soft_wrap=True)
        else:
            out.print(inert_line(f"merged {report.shards} shards into {report.into}: {report.articles:,} articles, "
                                 f"{report.passages:,} passages in {report.seconds:.1f} s"), soft_wrap=True)
