"""The research-workflow commands (``batch``, ``watch``, ``shell``), registered on the one
``searchkit`` app: typer declarations only, the bodies are in :mod:`searchkit.batch`,
:mod:`searchkit.watch` and :mod:`searchkit.shell`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..commands import DEFAULT_INDEX, Exit, SearchArgs, errors_handled, fail, inert_line, one_format, out, say, warn, write_result
from .root import (AnyOpt, CsvOpt, ExactOpt, GroupOpt, InArticleOpt, IndexOpt, JsonlOpt, JsonOpt, NoPagerOpt,
                   OrgOpt, PersonOpt, PlaceOpt, SiteOpt, SinceOpt, UntilOpt, app)


# --- batch --------------------------------------------------------------------------------------


@app.command()
def batch(
    queries: Annotated[str, typer.Argument(metavar="QUERIES", help="A text file, one query a line (# comments), or a CSV with a query column and optional person, org, place, group, site, since, until, any, exact, in_article, limit columns; - for standard input.")],
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Top hits per query (a limit column overrides it).")] = 3,
    person: PersonOpt = None, org: OrgOpt = None, place: PlaceOpt = None, group: GroupOpt = None,
    site: SiteOpt = None, since: SinceOpt = None, until: UntilOpt = None, in_article: InArticleOpt = False,
    any_word: AnyOpt = False, exact: ExactOpt = False,
    all_passages: Annotated[bool, typer.Option("--all-passages", help="Every matching passage (default: at most 2 per article).")] = False,
    sort: Annotated[str, typer.Option("--sort", metavar="relevance|date|-date", help="Order of each query's hits.")] = "relevance",
    exact_count: Annotated[bool, typer.Option("--exact-count", help="Count every match (default: stop past 1,000).")] = False,
    as_jsonl: JsonlOpt = False,
    as_csv: CsvOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no closing count.")] = False,
) -> None:
    """Run many queries in one process: per query its total and top hits, or its error.

    Filters given here apply to every row; a row's own entity and site columns add to them,
    its since, until, any and exact replace them. Exit 0: every row ran (with or without
    hits); 1: some rows had errors (each is an output row, the others ran); 2: the batch
    could not run.

    \b
    Example:  printf 'border closure\\nvolodin\\n' | searchkit batch - --since 2020 -n 1
    """
    from ..batch import batch_command

    with errors_handled():
        fmt = one_format(jsonl=as_jsonl, csv=as_csv)
        a = SearchArgs(index=index, limit=limit, person=person, org=org, place=place, group=group, site=site,
                       since=since, until=until, in_article=in_article, any_word=any_word, exact=exact,
                       all_passages=all_passages, sort=sort, exact_count=exact_count)
        code = batch_command(queries, a, fmt, quiet=quiet)
    raise Exit(code)


# --- watch --------------------------------------------------------------------------------------

watch_app = typer.Typer(help="Saved searches, and what is new in them since last shown.\n\n"
                        "Kept in the index folder (watches.json); after each ingest its summary names the saved "
                        "searches with new passages. Exit codes of watch show: 0 hits, 1 none (with --new: "
                        "nothing new), 2 error.\n\n\b\n"
                        "Example:  searchkit watch add rail-link \"rail baltica\" --place kaunas\n"
                        "Example:  searchkit watch list", no_args_is_help=True,
                        rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(watch_app, name="watch")


@watch_app.command("add")
def watch_add(
    name: Annotated[str, typer.Argument(help="A name: letters, digits, '.', '_', '-'.")],
    query: Annotated[str, typer.Argument(metavar="QUERY", help="As for search (empty with filters).")] = "",
    index: IndexOpt = DEFAULT_INDEX,
    person: PersonOpt = None, org: OrgOpt = None, place: PlaceOpt = None, group: GroupOpt = None,
    site: SiteOpt = None, since: SinceOpt = None, until: UntilOpt = None, in_article: InArticleOpt = False,
    any_word: AnyOpt = False, exact: ExactOpt = False,
) -> None:
    """Save a search under NAME; `watch show NAME --new` then lists what later ingests add.

    \b
    Example:  searchkit watch add border "border closure" --person lukashenko
    """
    from ..search import open_index
    from ..watch import add_watch
    from ..render import plural

    with errors_handled():
        with open_index(index) as idx:
            filters = SearchArgs(person=person, org=org, place=place, group=group, site=site, since=since,
                                 until=until, in_article=in_article).filters()
            watch, total = add_watch(idx, name, query, filters, any_word=any_word, exact=exact)
        out.print(inert_line(f"saved {watch.name}: {watch.describe()} ({plural(total, 'passage')} match now; "
                             f"searchkit watch show {watch.name} --new lists what later ingests add)"), soft_wrap=True)


@watch_app.command("list")
def watch_list(
    index: IndexOpt = DEFAULT_INDEX,
    as_json: JsonOpt = False,
) -> None:
    """The saved searches: each one's query, passages matching now, and how many are new.

    \b
    Example:  searchkit watch list
    """
    from ..search import open_index
    from ..serialize import dumps, emit, versioned
    from ..watch import print_watch_rows, watch_rows

    with errors_handled():
        with open_index(index) as idx:
            rows = watch_rows(idx)
        if as_json:
            emit(sys.stdout, dumps(versioned({"watches": rows})))
        else:
            print_watch_rows(out, rows)


@watch_app.command("rm")
def watch_rm(
    name: Annotated[str, typer.Argument(help="The saved search to delete.")],
    index: IndexOpt = DEFAULT_INDEX,
) -> None:
    """Delete a saved search.

    \b
    Example:  searchkit watch rm border
    """
    from ..store.folder import check_index_dir
    from ..watch import remove_watch

    with errors_handled():
        gone = remove_watch(check_index_dir(index), name)
        out.print(inert_line(f"removed {gone.name}: {gone.describe()}"), soft_wrap=True)


@watch_app.command("show")
def watch_show(
    name: Annotated[str, typer.Argument(help="The saved search.")],
    index: IndexOpt = DEFAULT_INDEX,
    new: Annotated[bool, typer.Option("--new", help="Only hits from articles added or changed since last shown with --new; then marks them seen.")] = False,
    peek: Annotated[bool, typer.Option("--peek", help="With --new: do not mark them seen.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Hits to show [default: 10; with --new: every new passage, up to 10000].")] = None,  # noqa: UP007
    as_json: JsonOpt = False, as_jsonl: JsonlOpt = False, as_csv: CsvOpt = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Run a saved search; --new lists only what is new since last shown (exit 0 new hits, 1 none).

    \b
    Example:  searchkit watch show border --new
    """
    from ..render import summary_line
    from ..search import open_index
    from ..watch import get_watch, mark_seen, read_watches, seen_generation

    with errors_handled():
        fmt = one_format(json=as_json, jsonl=as_jsonl, csv=as_csv)
        if peek and not new:
            raise fail("--peek goes with --new", f"searchkit watch show {name} --new --peek")
        with open_index(index) as idx:
            w = get_watch(read_watches(idx.path), name)
            seen, rebuilt = seen_generation(idx, w) if new else (None, False)
            if rebuilt:
                warn(f"the index was rebuilt since {name} was last shown: every match counts as new")
            result = idx.search(w.query, limit=limit or (idx.limits.max_limit if new else 10), collapse=not new,
                                newer_than=seen, **w.search_args())
            if new and not peek:
                try:
                    mark_seen(idx, w)
                except Exception as e:  # noqa: BLE001 - the hits are still shown; say why they stay new
                    warn(f"could not mark the hits seen: {e}")
        write_result(result, fmt, no_pager)
        if not result.hits:
            say(f"{'nothing new: ' if new else ''}{summary_line(result)}", "yellow")
            raise Exit(1)


# --- shell --------------------------------------------------------------------------------------


@app.command()
def shell(
    index: IndexOpt = DEFAULT_INDEX,
) -> None:
    """Search interactively: the index opened once, line editing and history, search's options.

    Lines are queries with search's options (belarus --person lukashenko -n 3); :person,
    :since, :json, :timeline and the other :commands set what applies to every query
    (:help lists them). History: SEARCHKIT_HISTORY, else ~/.local/state/searchkit/history.

    \b
    Example:  searchkit shell --index index
    """
    from ..shell import run_shell

    with errors_handled():
        code = run_shell(Path(index))
    raise Exit(code)
