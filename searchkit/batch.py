"""``searchkit batch``: many queries against one index in one process.

"Which of these 800 names from a leak appear in the archive, and where?" is one command: a
text file with a query a line, or a CSV with a ``query`` column and, optionally, a filter
column per row (``person``, ``org``, ``place``, ``group``, ``site``, ``since``, ``until``,
``any``, ``exact``, ``in_article``, ``limit``). The index is opened once, so each query costs
what a warm search does, not a process start.

A row that fails (a query that cannot be parsed, a bad date) is an output row carrying its
error, and the batch goes on: one typo must not lose the other 799 answers. The exit code
tells a script whether to look: 0 every row ran (with or without hits; the totals say), 1 some
rows had errors (the others ran, their rows are complete), 2 the batch could not run at all
(no such file, no ``query`` column, no index).

Library use: :func:`read_queries` and :func:`run_batch` (an iterator of :class:`BatchRow`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import SearchkitError
from .results import FACETS, SearchResult

LIST_COLUMNS = (*FACETS, "site")
"""Filter columns that add to the command line's filters (all must match; site: any of)."""
TEXT_COLUMNS = ("since", "until")
"""Filter columns that replace the command line's value for their row."""
FLAG_COLUMNS = ("any", "exact", "in_article")
COLUMNS = ("query", *LIST_COLUMNS, *TEXT_COLUMNS, *FLAG_COLUMNS, "limit")
_TRUE = {"1", "true", "yes", "y", "x", "on"}
_FALSE = {"", "0", "false", "no", "n", "off"}


class BatchFileError(SearchkitError):
    """The query file cannot be read as a batch (the whole batch stops: exit 2)."""


@dataclass(frozen=True)
class BatchQuery:
    """One row of the query file: the query and its own filters and options."""

    line: int
    """The row's line in the file (1-based, the header counts), so an error can be found."""
    query: str
    filters: dict[str, Any] = field(default_factory=dict)
    any_word: bool | None = None
    exact: bool | None = None
    in_article: bool | None = None
    limit: int | None = None
    error: str | None = None
    """A row the reader could not understand (a bad ``limit``): reported, not run."""


@dataclass(frozen=True)
class BatchRow:
    """One query's answer: its result, or its error."""

    query: BatchQuery
    result: SearchResult | None
    error: str | None = None


def read_queries(text: str, name: str = "queries") -> list[BatchQuery]:
    """The rows of a query file: CSV when its first line names a ``query`` column (any
    case), else one query a line (blank lines and lines starting with ``#`` skipped)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    header = [c.strip().lower() for c in next(csv.reader([first]), [])] if first.strip() else []
    if "query" in header:
        return _read_csv(text.lstrip("\ufeff"), name)
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        q = line.strip()
        if q and not q.startswith("#"):
            out.append(BatchQuery(n, q))
    return out


def _read_csv(text: str, name: str) -> list[BatchQuery]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {c: (c or "").strip().lower() for c in reader.fieldnames or ()}
    unknown = [c for c in columns.values() if c and c not in COLUMNS]
    if unknown:
        raise BatchFileError(f"{name}: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                             hint=f"the columns a batch reads: {', '.join(COLUMNS)}")
    out = []
    for row in reader:
        line = reader.line_num
        values = {columns[k]: (v or "").strip() for k, v in row.items() if k is not None and columns.get(k)}
        if not any(values.values()):
            continue
        out.append(_row(line, values))
    return out


def _row(line: int, values: dict[str, str]) -> BatchQuery:
    filters: dict[str, Any] = {}
    for col in LIST_COLUMNS:
        if values.get(col):
            # Several values in one cell: "a; b" (as searchkit's own CSV output joins lists).
            filters[col] = [v.strip() for v in values[col].split(";") if v.strip()]
    for col in TEXT_COLUMNS:
        if values.get(col):
            filters[col] = values[col]
    flags: dict[str, bool | None] = {}
    error = None
    for col in FLAG_COLUMNS:
        v = values.get(col, "").lower()
        if v in _TRUE:
            flags[col] = True
        elif v in _FALSE:
            flags[col] = False if v else None
        else:
            error = f"column {col}: {values[col]!r} is not yes or no"
    limit = None
    if values.get("limit"):
        if values["limit"].isdigit() and int(values["limit"]) >= 1:
            limit = int(values["limit"])
        else:
            error = f"column limit: {values['limit']!r} is not a number of hits (1 or more)"
    return BatchQuery(line, values.get("query", ""), filters, flags.get("any"), flags.get("exact"),
                      flags.get("in_article"), limit, error)


def run_batch(idx: Any, queries: Iterable[BatchQuery], *, limit: int = 3, base_filters: dict[str, Any] | None = None,
              any_word: bool = False, exact: bool = False, in_article: bool = False, collapse: bool = True,
              sort: str = "relevance", exact_total: bool = False,
              progress: Callable[[int], None] | None = None) -> Iterator[BatchRow]:
    """Run each query on the open index ``idx``; a row's error is its :class:`BatchRow`'s.

    ``base_filters`` (``person=[...]``, ``since=...``) apply to every row; a row's entity and
    site values add to them, its ``since``/``until`` and flags replace them."""
    base = {k: v for k, v in (base_filters or {}).items() if v}
    for n, q in enumerate(queries, start=1):
        if q.error is not None:
            yield BatchRow(q, None, q.error)
        else:
            filters = dict(base)
            for k, v in q.filters.items():
                filters[k] = [*_as_list(filters.get(k)), *v] if k in LIST_COLUMNS else v
            if not q.query.strip() and not filters:
                yield BatchRow(q, None, "empty query and no filter")
            else:
                try:
                    result = idx.search(
                        q.query, limit=q.limit or limit, operator="or" if _pick(q.any_word, any_word) else "and",
                        exact=_pick(q.exact, exact), in_article=_pick(q.in_article, in_article),
                        collapse=collapse, sort=sort, exact_total=exact_total, **filters)
                    yield BatchRow(replace(q, filters=filters), result)
                except SearchkitError as e:
                    yield BatchRow(replace(q, filters=filters), None, str(e) + (f" (hint: {e.hint})" if e.hint else ""))
        if progress is not None:
            progress(n)


def _pick(row: bool | None, default: bool) -> bool:
    return default if row is None else row


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- output -------------------------------------------------------------------------------------

BATCH_CSV_FIELDS = ("input_line", "query", "total", "error")
"""The per-query columns of ``batch --csv``, before the hit's (those of ``search --csv``)."""


def row_dict(row: BatchRow) -> dict[str, Any]:
    """A row as ``batch --jsonl`` writes it: the query, its filters, the total and top hits
    (the fields of ``search --jsonl``), or its error."""
    from .serialize import hit_dict

    r = row.result
    return {
        "input_line": row.query.line, "query": row.query.query, "filters": row.query.filters,
        "total": r.total if r is not None else None, "total_exact": r.total_exact if r is not None else None,
        "hits": [hit_dict(h) for h in r.hits] if r is not None else [],
        "hint": r.hint if r is not None else None, "error": row.error,
    }


def rows_csv(rows: Iterable[BatchRow]) -> Iterator[str]:
    """A header, then one line per hit (a query without hits, or with an error, gets one
    line with empty hit columns), so the file sorts and filters in a spreadsheet."""
    from .serialize import SEARCH_CSV_FIELDS, _csv_lines, hit_dict

    def lines() -> Iterator[list[Any]]:
        for row in rows:
            head = [row.query.line, row.query.query, row.result.total if row.result else "", row.error or ""]
            hits = row.result.hits if row.result else ()
            if not hits:
                yield head + [""] * len(SEARCH_CSV_FIELDS)
            for h in hits:
                d = hit_dict(h)
                yield head + [d[k] if k not in FACETS else d["entities"][k] for k in SEARCH_CSV_FIELDS]

    return iter(_csv_lines((*BATCH_CSV_FIELDS, *SEARCH_CSV_FIELDS), lines()))


def print_row(console: Any, row: BatchRow) -> None:
    """A row for people: the query and its total (or error), then its top hits, one line each."""
    from rich.text import Text

    from .inert import inert
    from .render import one_line, plural

    q = row.query
    head = Text(f"{q.line:>4}  ", style="dim").append(inert(one_line(q.query or "(filters only)", 80) or ""), style="bold")
    if q.filters:
        head.append("  " + " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}"
                                    for k, v in q.filters.items()), style="dim")
    if row.error is not None:
        console.print(head.append("  error: ", style="bold red").append(inert(one_line(row.error, None) or "")),
                      soft_wrap=True)
        return
    assert row.result is not None
    r = row.result
    total = plural(r.total, "passage") if r.total_exact else f"more than {r.total:,} passages"
    console.print(head.append(f"  {total}", style="green" if r.total else "yellow"), soft_wrap=True)
    # A hit a line, cut to the terminal's width (piped: to 160 characters), so a batch reads
    # as a list; `show ID` has the whole passage.
    width = console.width if console.is_terminal else 160
    for h in r.hits:
        title = one_line(h.title, 50) or one_line(Path(h.path).name, 50) or "(untitled)"
        line = Text(f"        {h.passage_id}  ", style="dim").append(inert(title), style="cyan")
        if h.date:
            line.append(f"  {h.date[:10]}", style="green")
        room = width - len(line.plain) - 2
        if room >= 10:
            line.append("  " + inert(one_line(h.text, room) or ""))
        console.print(line, soft_wrap=True)


# --- the command --------------------------------------------------------------------------------


def read_query_file(source: str) -> list[BatchQuery]:
    """The rows of the file ``source`` (``-``: standard input); one clear error if unreadable."""
    import sys

    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as e:
        raise BatchFileError(f"cannot read {source}: {e.strerror}") from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BatchFileError(f"{source} is not UTF-8 text (byte {e.start:,})") from e
    try:
        return read_queries(text, "standard input" if source == "-" else source)
    except csv.Error as e:
        raise BatchFileError(f"{source}: malformed CSV: {e}") from e


def batch_command(source: str, args: Any, fmt: str | None, *, quiet: bool) -> int:
    """``searchkit batch``: the exit code (see the module doc). ``args`` is a
    :class:`~searchkit.commands.SearchArgs` holding the options shared with ``search``."""
    import sys

    from .commands import err, out
    from .search import open_index
    from .serialize import dumps, emit

    if fmt == "--json":
        raise BatchFileError("batch writes --jsonl (one query a line) or --csv, not --json")
    queries = read_query_file(source)
    errors = 0
    with open_index(args.index) as idx, _progress(len(queries), enabled=not quiet and err.is_terminal
                                                  and not (fmt is None and out.is_terminal)) as tick:
        rows = run_batch(idx, queries, limit=args.limit, base_filters={k: v for k, v in args.filters().items()
                                                                         if k != "in_article"},
                         any_word=args.any_word, exact=args.exact, in_article=args.in_article,
                         collapse=not args.all_passages, sort=args.sort, exact_total=args.exact_count,
                         progress=tick)

        def counted(rows: Iterable[BatchRow]) -> Iterator[BatchRow]:
            nonlocal errors
            for row in rows:
                errors += row.error is not None
                yield row

        if fmt == "--csv":
            for line in rows_csv(counted(rows)):
                emit(sys.stdout, line)
        elif fmt == "--jsonl":
            for row in counted(rows):
                emit(sys.stdout, dumps(row_dict(row)))
        else:
            for row in counted(rows):
                print_row(out, row)
    from .commands import say

    if not quiet:
        n = len(queries)
        say(f"{n:,} quer{'y' if n == 1 else 'ies'} run, {errors:,} failed", "red" if errors else "dim")
    return 1 if errors else 0


class _NoBar:
    def __enter__(self) -> Callable[[int], None] | None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress(total: int, *, enabled: bool) -> Any:
    """A progress bar on stderr (queries done of all, queries/s), or nothing."""
    if not enabled or total < 2:
        return _NoBar()
    import contextlib

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .commands import err

    @contextlib.contextmanager
    def bar() -> Iterator[Callable[[int], None]]:
        with Progress(TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err.get(), transient=True) as p:
            task = p.add_task("batch", total=total)
            yield lambda n: p.update(task, completed=n)

    return bar()
