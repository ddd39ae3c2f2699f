"""``searchkit entities``: the entity facets of the whole index, and the corrections to them
(the corrections' bodies are :func:`searchkit.commands.entity_action`)."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ..commands import DEFAULT_INDEX, entity_action, errors_handled, fail, inert_line, one_format, out
from ..results import FACETS
from .root import IndexOpt, NoPagerOpt, app


@app.command()
def entities(
    action: Annotated[Optional[str], typer.Argument(  # noqa: UP007
        help="merge | rename | split | retype | drop | suggest | export | import (none: list entities).")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(  # noqa: UP007
        help="TYPE ENTITY [NAME|TYPE] for an edit; FILE for export/import.")] = None,
    index: IndexOpt = DEFAULT_INDEX,
    type_: Annotated[Optional[str], typer.Option("--type", "-t", help=f"One of: {', '.join(FACETS)}.")] = None,  # noqa: UP007
    top: Annotated[int, typer.Option("--top", "-n", "--limit", min=1, help="Rows to show (--limit: the same, as in search).")] = 20,
    edits: Annotated[bool, typer.Option("--edits", help="List the corrections in force.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: entity, type, passages, aliases.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Entity facet counts over the whole index, with aliases; and corrections to them.

    Corrections are kept in the index folder (entity_edits.tsv, one per line, also editable
    by hand), survive re-ingest, and apply to search and facets at once.

    \b
    Example:  searchkit entities --type person --top 10
    Example:  searchkit entities merge org "State Duma" "Russian Parliament"
    Example:  searchkit entities retype group Siberian place
    Example:  searchkit entities drop org Apple
    Example:  searchkit entities suggest
    Example:  searchkit entities export edits.tsv
    """
    from ..render import print_entities
    from ..search import open_index
    from ..serialize import dumps, emit, entities_csv, versioned

    words = list(args or [])
    with errors_handled():
        fmt = one_format(json=as_json, csv=as_csv)
        with open_index(index) as idx:
            if action is not None and entity_action(idx, action, words, top=top, as_json=as_json):
                return
            if action is not None:
                raise fail(f"unknown entities action {action!r}", "searchkit entities --help")
            if edits:
                current = idx.entity_edits()
                if as_json:
                    emit(out, dumps({"edits": [{"action": e.action, "type": e.facet, "entity": e.entity,
                                                "argument": e.argument} for e in current]}))
                else:
                    for e in current:
                        out.print(inert_line(e.describe()))
                return
            rows = idx.entities(type_, top)
        if fmt == "--json":
            emit(sys.stdout, dumps(versioned({"entities": [e.to_dict() for e in rows]})))
        elif fmt == "--csv":
            for line in entities_csv(rows):
                emit(sys.stdout, line)
        else:
            from ..render import print_entities
            from ..terminal import paged

            with paged(out, enabled=not no_pager):
                print_entities(out, rows)


