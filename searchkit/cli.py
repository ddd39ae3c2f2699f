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
from .records import FACETS, Source
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
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: .txt, .html, .mhtml, .json, .jsonl, .warc, .wacz (also .gz). See README \"Inputs\".")],
    index: IndexOpt = DEFAULT_INDEX,
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", min=1, help="Worker processes for cleaning and NER [default: CPU count].")] = None,  # noqa: UP007
    prune: Annotated[bool, typer.Option("--prune", help="Drop articles whose files are gone.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Delete the index and build it anew.")] = False,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for another ingest's lock.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    commit_every: Annotated[int, typer.Option("--commit-every", min=1, hidden=True, help="Articles per commit (tests, tuning).")] = IngestSettings().commit_every,
    include_skipped: Annotated[bool, typer.Option("--include-skipped", help="Also read the folders skipped by default (version control, virtualenvs, caches, build output, saved pages' asset folders); never an index.")] = False,
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
                             settings=IngestSettings(commit_every=commit_every), progress=update,
                             include_skipped=include_skipped)
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
    for where, reason in report.skipped[:20]:
        err.print(Text("  skipped: ", style="dim").append(_inert(where)).append(f": {_inert(reason)}"), soft_wrap=True)
    if len(report.skipped) > 20:
        err.print(Text(f"  … and {len(report.skipped) - 20} more skipped (use --json for all)", style="dim"))
    if any("skipped" in r and "records skipped" not in r for _, r in report.skipped):  # folders the flag reads
        err.print(Text("  (--include-skipped reads the skipped folders too)", style="dim"))
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
    file: Annotated[str, typer.Argument(help="An HTML, MHTML, text or JSONL file (first article), an archive (first page), or - for standard input.")],
    removed: Annotated[bool, typer.Option("--removed", help="Also list what was removed, with rule and reason.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: text, metadata and removed blocks.")] = False,
) -> None:
    """Print a file's cleaned article text without touching an index.

    Example:  searchkit clean corpus/sofrep-belarus-border.txt --removed
    """
    from searchkit import clean as clean_api
    from .render import dumps, emit, print_cleaned

    from .load import normalise_text

    with errors_handled():
        if file == "-":
            cleaned = clean_api(_stdin_document())
        elif file.lower().startswith(("http://", "https://", "ftp://")):
            raise fail(f"{file}: searchkit works offline and does not fetch URLs",
                       hint="save the page first (e.g. curl -o page.html URL), then clean the file")
        else:
            cleaned = clean_api(Path(file))
        empty = not normalise_text(cleaned.text).strip()  # the same test as ingest's
        if as_json:
            emit(out, dumps(cleaned.to_dict()))
        elif not empty or removed:
            print_cleaned(out, cleaned, removed=removed)
    if empty:  # ingest skips such a file; clean says so too, with the same reason
        raise fail(f"{file}: no article text left after cleaning", code=1)


def _stdin_document() -> Source:
    """Standard input read like a file (HTML, text, MHTML or JSONL, its encoding detected)."""
    from .errors import SourceError
    from .load import MAX_FILE_BYTES, read_file

    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"standard input is larger than the {MAX_FILE_BYTES // 2**20} MB limit")
    sources, issues = read_file("<stdin>", data)
    if not sources:
        failed = [i.reason for i in issues if i.status == "failed"]
        raise SourceError(f"standard input: {failed[0] if failed else 'no article'}")
    return sources[0]


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
    action: Annotated[Optional[str], typer.Argument(  # noqa: UP007
        help="merge | rename | split | retype | drop | suggest | export | import (none: list entities).")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(  # noqa: UP007
        help="TYPE ENTITY [NAME|TYPE] for an edit; FILE for export/import.")] = None,
    index: IndexOpt = DEFAULT_INDEX,
    type_: Annotated[Optional[str], typer.Option("--type", "-t", help=f"One of: {', '.join(FACETS)}.")] = None,  # noqa: UP007
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Rows to show.")] = 20,
    edits: Annotated[bool, typer.Option("--edits", help="List the corrections in force.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Entity facet counts over the whole index, with aliases; and corrections to them.

    Corrections are kept in the index folder (entity_edits.tsv, one per line, also editable
    by hand), survive re-ingest, and apply to search and facets at once.

    Example:  searchkit entities --type person --top 10
    Example:  searchkit entities merge person "Adrian Mutu" Mutu
    Example:  searchkit entities retype person Chelsea org
    Example:  searchkit entities drop person Revs
    Example:  searchkit entities suggest
    Example:  searchkit entities export edits.tsv
    """
    from .entity_edits import ACTIONS, HEADER, parse_edits
    from .render import dumps, emit, print_entities
    from .search import open_index

    words = list(args or [])
    with errors_handled():
        with open_index(index) as idx:
            if action in ACTIONS:
                if len(words) != 2 + ACTIONS[action]:
                    raise fail(f"{action} takes TYPE ENTITY" + (" NAME" if ACTIONS[action] else ""),
                               "searchkit entities --help")
                edit = idx.add_entity_edit(action, *words)
                if as_json:
                    emit(out, dumps({"added": {"action": edit.action, "type": edit.facet, "entity": edit.entity,
                                               "argument": edit.argument}}))
                else:
                    out.print(_inert(f"added: {edit.describe()}"))
                return
            if action == "suggest":
                found = idx.suggest_merges(limit=top)
                if as_json:
                    emit(out, dumps({"suggestions": [{"edit": s.edit.to_line().split("\t"), "evidence": s.evidence}
                                                     for s in found]}))
                else:
                    for s in found:
                        line = f"searchkit entities {s.edit.action} {s.edit.facet} {s.edit.entity!r} {s.edit.argument!r}"
                        out.print(_inert(f"{line}   # {s.evidence}"), soft_wrap=True)
                return
            if action in ("export", "import"):
                if len(words) != 1:
                    raise fail(f"{action} takes one FILE", "searchkit entities --help")
                target = Path(words[0])
                if action == "export":
                    target.write_text(HEADER + "".join(e.to_line() + "\n" for e in idx.entity_edits()), encoding="utf-8")
                    out.print(_inert(f"{len(idx.entity_edits())} edits written to {target}"))
                else:
                    try:
                        text = target.read_text(encoding="utf-8")
                    except OSError as e:
                        raise fail(f"cannot read {target}: {e.strerror}") from e
                    added = parse_edits(text, str(target))
                    idx.replace_entity_edits([*idx.entity_edits(), *added])
                    out.print(_inert(f"{len(added)} edits imported from {target}"))
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
                        out.print(_inert(e.describe()))
                return
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
                ("entities", ", ".join(f"{n} {f}" for f, n in st.entities.items())),
                ("languages", ", ".join(f"{lang} ({n})" for lang, n in st.languages) or "none")]
        if st.sites:
            rows.append(("sites", ", ".join(f"{s} ({n})" for s, n in st.sites)))
        for k, v in rows:
            out.print(Text(f"{k:>9}: ", style="bold").append(_inert(v)))


# --- check --------------------------------------------------------------------------------------


@app.command()
def check(
    index: IndexOpt = DEFAULT_INDEX,
    deep: Annotated[bool, typer.Option("--deep", help="Also decode every document, posting list and column.")] = False,
    clean: Annotated[bool, typer.Option("--clean", help="Delete orphan files (takes the write lock).")] = False,
    repair: Annotated[bool, typer.Option("--repair", help="Set damaged segments aside and re-ingest their source files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for an ingest's lock (--clean, --repair).")] = 0.0,
) -> None:
    """Verify the index against its manifest: files, sizes, CRC32 checksums, counts, entity table.

    Exit 0: no problems; 1: problems found (one line each); 2: the index cannot be checked.

    Example:  searchkit check --index index
    """
    from .render import dumps, emit

    with errors_handled():
        if repair:
            from .ingest.repair import repair_index

            report = repair_index(index, wait=wait)
        elif clean:
            from .ingest.repair import clean_orphans

            report = clean_orphans(index, wait=wait)
        else:
            from .store.integrity import check_index

            report = check_index(index, deep=deep)
        if report.cannot_check:
            raise fail(report.cannot_check)
        if as_json:
            emit(out, dumps(report.to_dict()))
        else:
            for line in report.lines():
                out.print(Text(_inert(line)), soft_wrap=True)
        if report.problems and not (clean and set(report.removed) >= set(report.orphans)
                                    and all(f.kind == "orphan" for f in report.problems)):
            raise Exit(1)


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
