"""``searchkit duplicates``: the stories the index holds more than once, with every copy.

It reads only ``duplicates/current.json`` and the clusters file it names (pure JSON, as search does): listing the clusters
of a large archive costs a file read, not a clustering.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..commands import DEFAULT_INDEX, errors_handled, fail, one_format, out, say
from ..results import Copy
from .root import IndexOpt, NoPagerOpt, app


@app.command()
def duplicates(
    index: IndexOpt = DEFAULT_INDEX,
    min_copies: Annotated[int, typer.Option("--min-copies", min=1, help="Only stories with at least N copies besides the first.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: one row per article, with its cluster number.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """List the stories indexed more than once: copies, re-sends and near-duplicates.

    \b
    Example:  searchkit duplicates --min-copies 2
    """
    with errors_handled():
        fmt = one_format(json=as_json, csv=as_csv)
    run_duplicates(index, min_copies=min_copies, fmt=fmt, no_pager=no_pager)


def copy_clusters(index: Path, min_copies: int = 1) -> list[list[Copy]]:
    """The clusters of ``index`` with at least ``min_copies`` copies besides the
    representative, largest first, representative first in each."""
    from ..search.copies import CopyTable
    from ..store.copies import DUPLICATES, table_file
    from ..store.folder import check_index_dir

    path = check_index_dir(index)
    if table_file(path / DUPLICATES, "clusters") is None:
        raise fail(f"no copy table in {index}: it was built without copy detection (or before it existed)",
                   hint=f"run the same ingest again to find copies: searchkit ingest PATH --index {index}")
    table = CopyTable.load(path)
    return [[Copy(**{k: m.get(k) for k in ("article_id", "site", "date", "url", "title", "path", "source_id")}) for m in c]
            for c in table.clusters if len(c) - 1 >= min_copies]


def run_duplicates(index: Path, *, min_copies: int, fmt: str | None, no_pager: bool) -> None:
    """Print the clusters as text, ``--json`` or ``--csv``."""
    from ..serialize import dumps, emit, versioned

    with errors_handled():
        clusters = copy_clusters(index, min_copies)
        if fmt == "--json":
            emit(sys.stdout, dumps(versioned(duplicates_dict(clusters))))
        elif fmt == "--csv":
            for line in duplicates_csv(clusters):
                emit(sys.stdout, line)
        else:
            from ..terminal import paged

            with paged(out, enabled=not no_pager):
                print_duplicates(clusters)
        if not clusters and fmt is None:
            say(f"no story with {min_copies}+ copies in {index}", "yellow")


def duplicates_dict(clusters: list[list[Copy]]) -> dict[str, Any]:
    return {
        "clusters": [{"cluster": n, "copies": len(c) - 1, "representative": c[0].article_id,
                      "members": [m.to_dict() for m in c]} for n, c in enumerate(clusters, 1)],
        "stories": len(clusters),
        "articles": sum(len(c) for c in clusters),
    }


def duplicates_csv(clusters: list[list[Copy]]) -> Any:
    from ..serialize import _csv_lines

    rows = ([n, m.article_id, i == 0, m.title, m.site, m.date, m.url, m.path, m.source_id]
            for n, c in enumerate(clusters, 1) for i, m in enumerate(c))
    return _csv_lines(("cluster", "article_id", "representative", "title", "site", "date", "url", "path", "source_id"),
                      rows)


def print_duplicates(clusters: list[list[Copy]]) -> None:
    """Each story: its representative's title and how many copies, then one line per article."""
    from rich.text import Text

    from ..render import copies_count, one_line, plural, relative_path
    from ..terminal import print_wrapped

    for n, c in enumerate(clusters, 1):
        head = Text(f"{n:>2}. ", style="bold").append(one_line(c[0].title) or "(untitled)", style="bold cyan")
        head.append(f"  {copies_count(len(c) - 1)}", style="dim")
        print_wrapped(out, head, hang=4)
        for i, m in enumerate(c):
            line = Text(f"    {m.article_id}  ")
            meta = [x for x in (one_line(m.site, 40), (m.date or "")[:10]) if x]
            line.append(" · ".join(meta) or "(no site or date)", style="green")
            where = m.url or relative_path(m.source_id or m.path or "")
            if where:
                line.append(f"  {one_line(where, None)}", style="dim")
            if i == 0:
                line.append("  (representative)", style="dim")
            if m.title != c[0].title and m.title:
                line.append(f"  “{one_line(m.title, 80)}”", style="italic")
            print_wrapped(out, line, hang=6)
        out.print()
    if clusters:
        out.print(Text(f"{plural(len(clusters), 'story')} with copies, {plural(sum(len(c) for c in clusters), 'article')}"
                       .replace("storys", "stories"), style="dim"))
