"""The ``searchkit`` command: a thin typer layer over the library API.

Exit codes, like grep: 0 success (for ``search``: hits found), 1 no hits (``search``) or some
inputs failed (``ingest``), 2 error — always one line on stderr, never a traceback
(set ``SEARCHKIT_DEBUG=1`` to see one). 130 after Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.text import Text

from .errors import InternalError, SearchkitError
from .records import FACETS
from .settings import IngestSettings
from .text import collapse_spaces

app = typer.Typer(
    name="searchkit",
    help="Offline full-text search for saved news articles.\n\n"
         "Example:  searchkit ingest corpus/ && searchkit search \"border closure\" --person lukashenko",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

IndexOpt = Annotated[Path, typer.Option(
    "--index", "-i", envvar="SEARCHKIT_INDEX", help="Index folder (also SEARCHKIT_INDEX).", show_default=True,
)]
DEFAULT_INDEX = Path("index")


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def fail(message: str, hint: str | None = None, code: int = 2) -> Exit:
    line = Text("searchkit: error: ", style="bold red").append(_inert(message))
    if hint:
        line.append(f" (hint: {_inert(hint)})", style="dim")
    err.print(line, soft_wrap=True)
    return Exit(code)


def _inert(s: str) -> str:
    from .render import inert

    return collapse_spaces(inert(s))


@contextlib.contextmanager
def errors_handled() -> Iterator[None]:
    try:
        yield
    except SearchkitError as e:
        if isinstance(e, InternalError) and os.environ.get("SEARCHKIT_DEBUG"):
            raise  # main() shows the traceback, with the exception that caused it
        raise fail(str(e), e.hint, e.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except BrokenPipeError:
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        raise Exit(0) from None


# --- ingest -------------------------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt, .html, .jsonl, also .gz).")],
    index: IndexOpt = DEFAULT_INDEX,
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", min=1, help="Worker processes for cleaning and NER [default: CPU count].")] = None,  # noqa: UP007
    prune: Annotated[bool, typer.Option("--prune", help="Drop articles whose files are gone.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Delete the index and build it anew.")] = False,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for another ingest's lock.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    commit_every: Annotated[int, typer.Option("--commit-every", min=1, hidden=True, help="Articles per commit (tests, tuning).")] = IngestSettings().commit_every,
) -> None:
    """Add files and folders to the index; unchanged files are skipped.

    Example:  searchkit ingest corpus/ --index index --workers 2
    """
    from .errors import Interrupted
    from .ingest import ingest as run
    from .render import dumps, emit

    with errors_handled():
        progress_cm = _progress(enabled=not quiet and not as_json and err.is_terminal)
        with progress_cm as update:
            try:
                report = run(paths, index, workers=workers, prune=prune, rebuild=rebuild, wait=wait,
                             settings=IngestSettings(commit_every=commit_every), progress=update)
            except Interrupted as e:
                _print_ingest(e.report, index)
                raise fail(str(e), code=130) from None
        if as_json:
            emit(out, dumps(report.to_dict()))
        else:
            _print_ingest(report, index)
        if report.failed:
            raise Exit(1)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[object]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err, transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, rate="", unit="files")
        t0 = time.perf_counter()

        def update(event: str, done: int, total: int) -> None:
            if event == "merge":  # the last step: fold the small index segments into one
                bar.update(task, description="merging", completed=done, total=total, unit="segments", rate="")
                return
            elapsed = max(time.perf_counter() - t0, 1e-6)
            bar.update(task, completed=done, total=total, rate=f"{done / elapsed:.1f} files/s")

        yield update


def _print_ingest(report: object, index: Path) -> None:
    from .ingest import IngestReport

    assert isinstance(report, IngestReport)
    line = Text(f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged")
    if report.pruned:
        line.append(f", {report.pruned} pruned")
    line.append(f", {len(report.failed)} failed", style="red" if report.failed else "")
    line.append(f" in {report.seconds:.1f} s", style="dim")
    err.print(line)
    for where, reason in report.failed[:50]:
        err.print(Text("  failed: ", style="red").append(_inert(where)).append(f": {_inert(reason)}"), soft_wrap=True)
    if len(report.failed) > 50:
        err.print(Text(f"  … and {len(report.failed) - 50} more (use --json for all)", style="dim"))
    for where, reason in report.warnings[:20]:
        err.print(Text("  repaired: ", style="yellow").append(_inert(where)).append(f": {_inert(reason)}"),
                  soft_wrap=True)
    if len(report.warnings) > 20:
        err.print(Text(f"  … and {len(report.warnings) - 20} more repaired (use --json for all)", style="dim"))
    err.print(Text(f"index {index}: {report.articles} articles, {report.passages} passages", style="dim"))


# --- search -------------------------------------------------------------------------------------


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Whoosh syntax: words (all must match), OR, NOT, "phrases", field:value, wild*, fuzzy~1. Every word counts, stop words too; AT&T, C++, 9/11, COVID-19 are searched as written. Empty with filters lists passages.')] = "",
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Hits to show (at most 10000).")] = 10,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="Passages mentioning this person (any alias or surname; repeat for all of several).")] = None,  # noqa: UP007
    org: Annotated[Optional[list[str]], typer.Option("--org", help="... this organisation.")] = None,  # noqa: UP007
    place: Annotated[Optional[list[str]], typer.Option("--place", help="... this place.")] = None,  # noqa: UP007
    group: Annotated[Optional[list[str]], typer.Option("--group", help="... this group (nationality, religious or political group).")] = None,  # noqa: UP007
    site: Annotated[Optional[list[str]], typer.Option("--site", help="Only articles from this site (repeat for any of several).")] = None,  # noqa: UP007
    since: Annotated[Optional[str], typer.Option("--since", help="Articles dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")] = None,  # noqa: UP007
    until: Annotated[Optional[str], typer.Option("--until", help="Articles dated on or before.")] = None,  # noqa: UP007
    in_article: Annotated[bool, typer.Option("--in-article", help="Entity filters match anywhere in the article, not just the passage.")] = False,
    all_passages: Annotated[bool, typer.Option("--all-passages", help="Show every matching passage (default: at most 2 per article).")] = False,
    any_word: Annotated[bool, typer.Option("--any", help="Match any of the words (OR), ranking passages with more of them first.")] = False,
    facets: Annotated[bool, typer.Option("--facets", help="Also count entities over all matching passages.")] = False,
    exact_count: Annotated[bool, typer.Option("--exact-count", help="Count every match (default: stop counting past 1,000).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document (see README for the fields).")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON hit per line.")] = False,
    exact: Annotated[bool, typer.Option("--exact", help="Match words as written: case kept, no stemming (US is not us); exact:word does it for one word.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show per hit which terms matched in which field, and its passage and article scores.")] = False,
) -> None:
    """Ranked passages for a query, with highlights, filters and entity facets.

    Fields in the query: text: title: exact: site: date: (date:2020, date:[20200901 TO 20201031])
    person: org: place: group: (as the filter flags do, by any alias, any case or a surname),
    article_id: passage_id:.

    Example:  searchkit search "border closure" --person lukashenko --since 2020-09
    """
    from .render import emit, print_result, result_json, result_jsonl
    from .search import open_index

    with errors_handled():
        if as_json and as_jsonl:
            raise fail("choose one of --json and --jsonl")
        with open_index(index) as idx:
            result = idx.search(
                query, limit=limit, operator="or" if any_word else "and", person=person, org=org, place=place,
                group=group, site=site, since=since, until=until, in_article=in_article,
                collapse=not all_passages, facets=facets, exact_total=exact_count, exact=exact, explain=explain,
            )
        if as_json:
            emit(out, result_json(result))
        elif as_jsonl:
            for line in result_jsonl(result):
                emit(out, line)
        else:
            print_result(out, result)
        if not result.hits:
            msg = "no passages match"
            if result.hint:
                msg += f"; {result.hint}"
            elif result.suggestion:
                msg += f"; did you mean: {result.suggestion}"
            err.print(Text(_inert(msg), style="yellow"))
            raise Exit(1)


# --- show / clean / similar ---------------------------------------------------------------------


@app.command()
def show(
    article_id: Annotated[str, typer.Argument(help="Article id (or passage id) from search output; a unique prefix works.")],
    index: IndexOpt = DEFAULT_INDEX,
    removed: Annotated[bool, typer.Option("--removed", help="Also list what the cleaner removed, and why.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Show an indexed article: clean text, metadata, entities.

    Example:  searchkit show a151617c9f3d --removed
    """
    from .render import article_dict, dumps, emit, print_article
    from .search import open_index

    with errors_handled():
        with open_index(index) as idx:
            article = idx.article(article_id)
        if as_json:
            emit(out, dumps(article_dict(article)))
        else:
            print_article(out, article, removed=removed)


@app.command()
def clean(
    file: Annotated[Path, typer.Argument(help="An HTML, text or JSONL file (first article).")],
    removed: Annotated[bool, typer.Option("--removed", help="Also list what was removed, with rule and reason.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: text, metadata and removed blocks.")] = False,
) -> None:
    """Print a file's cleaned article text without touching an index.

    Example:  searchkit clean corpus/sofrep-belarus-border.txt --removed
    """
    from searchkit import clean as clean_api
    from .render import dumps, emit, print_cleaned

    with errors_handled():
        cleaned = clean_api(file)
        if as_json:
            emit(out, dumps(cleaned.to_dict()))
        else:
            print_cleaned(out, cleaned, removed=removed)


@app.command()
def similar(
    passage_id: Annotated[str, typer.Argument(help="A passage id from search output, e.g. a151617c9f3d:4.")],
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Passages like the given one (more like this).

    Example:  searchkit similar a151617c9f3d:4
    """
    from .render import emit, print_result, result_json
    from .search import open_index

    with errors_handled():
        with open_index(index) as idx:
            result = idx.similar(passage_id, limit=limit)
        if as_json:
            emit(out, result_json(result))
        else:
            print_result(out, result)
        if not result.hits:
            raise Exit(1)


# --- entities / stats ---------------------------------------------------------------------------


@app.command()
def entities(
    index: IndexOpt = DEFAULT_INDEX,
    type_: Annotated[Optional[str], typer.Option("--type", "-t", help=f"One of: {', '.join(FACETS)}.")] = None,  # noqa: UP007
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Rows to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Entity facet counts over the whole index, with aliases.

    Example:  searchkit entities --type person --top 10
    """
    from .render import dumps, emit, print_entities
    from .search import open_index

    with errors_handled():
        with open_index(index) as idx:
            rows = idx.entities(type_, top)
        if as_json:
            emit(out, dumps({"entities": [e.to_dict() for e in rows]}))
        else:
            print_entities(out, rows)


@app.command()
def stats(
    index: IndexOpt = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Counts, size, sites and date range of the index.

    Example:  searchkit stats --index index
    """
    from .render import dumps, emit
    from .search import open_index

    with errors_handled():
        with open_index(index) as idx:
            st = idx.stats()
        if as_json:
            emit(out, dumps(st.to_dict()))
            return
        rows = [("index", st.path), ("articles", f"{st.articles:,}"), ("passages", f"{st.passages:,}"),
                ("size", f"{st.size_bytes / 2**20:.1f} MB"), ("segments", str(st.segments)),
                ("schema", f"v{st.schema_version}"),
                ("dates", f"{st.first_date} … {st.last_date}" if st.first_date else "none"),
                ("entities", ", ".join(f"{n} {f}" for f, n in st.entities.items()))]
        if st.sites:
            rows.append(("sites", ", ".join(f"{s} ({n})" for s, n in st.sites)))
        for k, v in rows:
            out.print(Text(f"{k:>9}: ", style="bold").append(_inert(v)))


def main() -> None:
    """Console-script entry point: run the app, turn every failure into one line and an exit code."""
    try:
        app(standalone_mode=False)
    except Exit as e:
        sys.exit(e.code)
    except SystemExit:
        raise
    except KeyboardInterrupt:  # before a command's own handler is in place (start-up)
        err.print("searchkit: interrupted")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence against tracebacks
        # typer vendors click: its exceptions are typer's, not click's. Abort wraps Ctrl-C
        # (or an EOFError from below); a usage error has format_message() and an exit code.
        if type(e).__name__ == "Abort":
            cause = e.__cause__ or e.__context__
            if cause is None or isinstance(cause, KeyboardInterrupt):
                err.print("searchkit: interrupted")
                sys.exit(130)
            e = cause  # a real error that click dressed up as Abort
        elif isinstance(e, typer.TyperException) and hasattr(e, "format_message"):
            command = getattr(getattr(e, "ctx", None), "command_path", "searchkit")
            sys.exit(fail(e.format_message(), f"{command} --help", code=getattr(e, "exit_code", 2)).code)
        if os.environ.get("SEARCHKIT_DEBUG"):
            raise
        err.print(Text("searchkit: internal error: ", style="bold red").append(
            _inert(f"{type(e).__name__}: {e}")).append(" (set SEARCHKIT_DEBUG=1 for details)", style="dim"),
            soft_wrap=True)
        sys.exit(2)
    sys.exit(0)


if __name__ == "__main__":
    main()
