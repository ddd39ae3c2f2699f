"""The ``searchkit`` command: a thin typer layer over the library API.

Exit codes, like grep: 0 success (for ``search``: hits found), 1 no hits (``search``) or some
inputs failed (``ingest``), 2 error — always one line on stderr, never a traceback
(set ``SEARCHKIT_DEBUG=1`` to see one). 130 after Ctrl-C.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from .commands import (
    DEFAULT_INDEX,
    Exit,
    SearchArgs,
    err,
    entity_action,
    errors_handled,
    fail,
    inert_line,
    one_format,
    out,
    run_check,
    run_search,
    say,
    write_result,
)
from .entry import main  # noqa: F401 - the console script's old home
from .records import FACETS, Source
from .settings import IngestSettings

app = typer.Typer(
    name="searchkit",
    help="Offline full-text search for saved news articles.\n\n\b\n"
         "Example:  searchkit ingest corpus/ && searchkit search \"border closure\" --person lukashenko",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

IndexOpt = Annotated[Path, typer.Option(
    "--index", "-i", envvar="SEARCHKIT_INDEX", help="Index folder (also SEARCHKIT_INDEX).", show_default=True,
)]
NoPagerOpt = Annotated[bool, typer.Option("--no-pager", help="Never page long output on a terminal "
                                          "(the pager is SEARCHKIT_PAGER, PAGER or less).")]


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version as dist_version

        out.print(f"searchkit {dist_version('searchkit')}")
        raise Exit(0)


@app.callback()
def _top(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Offline full-text search for saved news articles."""


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
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", envvar="SEARCHKIT_SCHEDULER", help="Clean and tag on a Dask cluster: a scheduler address, or local[:N] for N local worker processes (also SEARCHKIT_SCHEDULER; needs searchkit[dask]).")] = None,  # noqa: UP007
    shard_per_worker: Annotated[bool, typer.Option("--shard-per-worker", help="Each worker writes its own shard of the index (index/shards/NAME), searched as one.")] = False,
    dup_threshold: Annotated[float, typer.Option("--dup-threshold", min=0.0, max=1.0, help="Articles whose text is at least this similar (shared word shingles, or the shorter contained in the longer) are copies of one story; 0 turns copy detection off. See README \"Copies\".")] = IngestSettings().dup_threshold,
) -> None:
    """Add files and folders to the index; unchanged files are skipped.

    JSONL/JSON records: text (or body, content, article, articleBody, maintext; html),
    title/headline, url/link, date/published/pubDate/publishedAt, site/source/publisher,
    author/authors/byline, language/lang, id/_id/guid/doc_id (README "Inputs"). Any other
    short string, number or list field (Reuters places/topics, BBC category) is kept as a
    tag: search --tag topics=crude.

    \b
    Example:  searchkit ingest corpus/ --index index --workers 2
    """
    from .errors import Interrupted
    from .ingest import ingest as run
    from .serialize import dumps, emit, versioned

    with errors_handled():
        progress_cm = _progress(enabled=not quiet and not as_json and err.is_terminal)
        with progress_cm as update:
            try:
                report = run(paths, index, workers=workers, prune=prune, rebuild=rebuild, wait=wait,
                             settings=IngestSettings(commit_every=commit_every, dup_threshold=dup_threshold),
                             progress=update, include_skipped=include_skipped, scheduler=scheduler or None,
                             shard_per_worker=shard_per_worker)
            except Interrupted as e:
                _print_ingest(e.report, index)
                raise fail(str(e), code=130) from None
        if as_json:
            emit(sys.stdout, dumps(versioned(report.to_dict())))
        else:
            _print_ingest(report, index)
        if report.failed:
            raise Exit(1)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[object]:
    """The ingest progress bar on stderr: articles done of those expected, articles/s and an
    ETA (files are read ahead of the workers, so the expected total is known early; see
    ``ingest.ProgressCallback``), then the final merge."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("{task.fields[eta]}"),
        console=err.get(), transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None, count="", rate="", eta="")
        t0 = time.perf_counter()
        first: dict[str, float] = {}  # when the first article was done, and how many were

        def update(event: str, done: int, total: int) -> None:
            if event == "merge":  # the last step: fold the small index segments into one
                bar.update(task, description="merging", completed=done, total=total,
                           count=f"{done:,}/{total:,} segments", rate="", eta="")
            elif event == "articles":
                now = time.perf_counter()
                # The rate counts from the first article done, not from the start: loading the
                # model in the workers takes seconds and would make the first ETA far too long.
                first.setdefault("t", now)
                first.setdefault("done", done)
                elapsed, since = now - first["t"], done - first["done"]
                total = max(total, done)
                # (until a second has passed since: from the start, as the best guess there is).
                rate = since / elapsed if elapsed > 1 and since > 0 else done / max(now - t0, 1e-6)
                left = int((total - done) / rate) if rate > 0 else 0
                bar.update(task, description="ingest", completed=done, total=total,
                           count=f"{done:,}/{total:,} articles", rate=f"{rate:,.1f} articles/s",
                           eta=f"ETA {left // 3600}:{left % 3600 // 60:02d}:{left % 60:02d}")
            elif event == "files" and "t" not in first:  # before the workers deliver: files read
                bar.update(task, count=f"{done:,}/{total:,} files read")

        yield update


def _print_ingest(report: object, index: Path) -> None:
    from .ingest import IngestReport

    assert isinstance(report, IngestReport)
    from rich.text import Text

    from .render import folder, plural

    line = Text(f"{report.new:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged")
    if report.pruned:
        line.append(f", {report.pruned:,} pruned")
    line.append(f", {len(report.failed):,} failed", style="red" if report.failed else "")
    line.append(f" in {report.seconds:.1f} s", style="dim")
    err.print(line)
    for where, reason in report.failed[:50]:
        err.print(Text("  failed: ", style="red").append(inert_line(where)).append(f": {inert_line(reason)}"), soft_wrap=True)
    if len(report.failed) > 50:
        err.print(Text(f"  … and {len(report.failed) - 50:,} more (use --json for all)", style="dim"))
    for where, reason in report.warnings[:20]:
        err.print(Text("  repaired: ", style="yellow").append(inert_line(where)).append(f": {inert_line(reason)}"),
                  soft_wrap=True)
    if len(report.warnings) > 20:
        err.print(Text(f"  … and {len(report.warnings) - 20:,} more repaired (use --json for all)", style="dim"))
    for where, reason in report.skipped[:20]:
        err.print(Text("  skipped: ", style="dim").append(inert_line(where)).append(f": {inert_line(reason)}"), soft_wrap=True)
    if len(report.skipped) > 20:
        err.print(Text(f"  … and {len(report.skipped) - 20} more skipped (use --json for all)", style="dim"))
    if any("skipped" in r and "records skipped" not in r for _, r in report.skipped):  # folders the flag reads
        err.print(Text("  (--include-skipped reads the skipped folders too)", style="dim"))
    if report.gone:
        err.print(Text(f"{plural(report.gone, 'file')} in the index {'is' if report.gone == 1 else 'are'} gone "
                       f"from disk; --prune removes {'it' if report.gone == 1 else 'them'}", style="yellow"), soft_wrap=True)
    err.print(Text(f"{plural(report.articles, 'article')}, {plural(report.passages, 'passage')} in "
                   f"{inert_line(folder(index))}", style="dim"), soft_wrap=True)
    from .watch import ingest_line

    if (watched := ingest_line(report.watches)) is not None:
        err.print(Text(inert_line(watched), style="green"), soft_wrap=True)


# --- search -------------------------------------------------------------------------------------

@app.command()
def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help='Whoosh syntax: words (all must match), OR, NOT, "phrases", field:value, wild*, fuzzy~1. Every word counts, stop words too; AT&T, C++, 9/11, COVID-19 are searched as written. Empty with filters lists passages.')] = "",
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Hits to show (at most 10000); 0: every match, streamed, with --jsonl or --csv.")] = 10,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="Passages mentioning this person (any alias or surname; repeat for all of several).")] = None,  # noqa: UP007
    org: Annotated[Optional[list[str]], typer.Option("--org", help="... this organisation.")] = None,  # noqa: UP007
    place: Annotated[Optional[list[str]], typer.Option("--place", help="... this place.")] = None,  # noqa: UP007
    group: Annotated[Optional[list[str]], typer.Option("--group", help="... this group (nationality, religious or political group).")] = None,  # noqa: UP007
    site: Annotated[Optional[list[str]], typer.Option("--site", help="Only articles from this site (repeat for any of several).")] = None,  # noqa: UP007
    since: Annotated[Optional[str], typer.Option("--since", help="Articles dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")] = None,  # noqa: UP007
    until: Annotated[Optional[str], typer.Option("--until", help="Articles dated on or before.")] = None,  # noqa: UP007
    tag: Annotated[Optional[list[str]], typer.Option("--tag", metavar="KEY=VALUE", help="Articles with this tag of a JSONL record (topics=crude; any case). Repeat: any value of one key, every key.")] = None,  # noqa: UP007
    in_article: Annotated[bool, typer.Option("--in-article", help="Entity filters match anywhere in the article, not just the passage.")] = False,
    all_passages: Annotated[bool, typer.Option("--all-passages", help="Show every matching passage (default: at most 2 per article).")] = False,
    all_copies: Annotated[bool, typer.Option("--all-copies", help="Show every copy of a story as its own hit, and count each in facets (default: one hit per story, with its copies listed).")] = False,
    any_word: Annotated[bool, typer.Option("--any", help="Match any of the words (OR), ranking passages with more of them first.")] = False,
    facets: Annotated[bool, typer.Option("--facets", help="Also count entities over all matching passages (terminal and --json).")] = False,
    exact_count: Annotated[bool, typer.Option("--exact-count", help="Count every match (default: stop counting past 1,000).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document (see README for the fields).")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON hit per line.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: a header, then one hit per row.")] = False,
    no_pager: NoPagerOpt = False,
    sort: Annotated[str, typer.Option("--sort", metavar="relevance|date|-date", help="Order of the hits: by relevance, or by date over every match (-date: newest first; undated last).")] = "relevance",
    context: Annotated[int, typer.Option("--context", "-C", min=0, help="Also show N passages before and after each hit.")] = 0,
    exact: Annotated[bool, typer.Option("--exact", help="Match words as written: case kept, no stemming (US is not us); exact:word does it for one word.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show per hit which terms matched in which field, and its passage and article scores.")] = False,
    timeline: Annotated[Optional[str], typer.Option("--timeline", metavar="[day|week|month|year]", help="Matching articles per period of publication date, instead of the hits (in --json: timeline); no unit: by the span.")] = None,  # noqa: UP007
    provenance: Annotated[Optional[Path], typer.Option("--provenance", metavar="FILE", help="Also write FILE: the query, options, index generation and fingerprint, version and time (JSON).")] = None,  # noqa: UP007
) -> None:
    """Ranked passages for a query, with highlights, filters and entity facets.

    Fields in the query: text: title: exact: site: date: (date:2020, date:[20200901 TO 20201031])
    person: org: place: group: (as the filter flags do, by any alias, any case or a surname),
    article_id: passage_id:.

    \b
    Example:  searchkit search belarus --place lithuania --since 2020-09
    """
    run_search(SearchArgs(
        query=query, index=index, limit=limit, person=person, org=org, place=place, group=group, site=site,
        since=since, until=until, tag=tag, in_article=in_article, all_passages=all_passages, all_copies=all_copies,
        any_word=any_word,
        facets=facets, exact_count=exact_count, as_json=as_json, as_jsonl=as_jsonl, as_csv=as_csv,
        no_pager=no_pager, sort=sort, context=context, exact=exact, explain=explain, timeline=timeline,
        provenance=provenance,
    ))


# --- show / clean / similar ---------------------------------------------------------------------

RemovedOpt = Annotated[bool, typer.Option("--removed", help="Also say what the cleaner removed: blocks per rule, "
                                          "with the reason and an example; --removed=all lists every block.")]
RemovedAllOpt = Annotated[bool, typer.Option("--removed-all", hidden=True, help="Same as --removed=all.")]


@app.command()
def show(
    article_id: Annotated[str, typer.Argument(help="Article id from search output (any unique prefix works), or a passage id ID:ORD to mark that passage.")],
    index: IndexOpt = DEFAULT_INDEX,
    removed: RemovedOpt = False,
    removed_all: RemovedAllOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Show an indexed article: clean text, metadata, entities.

    \b
    Example:  searchkit show a77779e232fc --removed
    """
    from .search import open_index
    from .serialize import article_dict, dumps, emit

    with errors_handled():
        with open_index(index) as idx:
            article = idx.article(article_id)
        _, colon, ordinal = article_id.strip().partition(":")
        mark = int(ordinal) if colon and ordinal.isdigit() else None
        if mark is not None and not any(p.ordinal == mark for p in article.passages):
            raise fail(f"article {article.article_id} has no passage {mark} (it has {len(article.passages):,})")
        if as_json:
            emit(sys.stdout, dumps(article_dict(article)))
        else:
            from .render import print_article
            from .terminal import paged

            with paged(out, enabled=not no_pager):
                print_article(out, article, removed=removed, every_removed=removed_all, mark=mark)


@app.command()
def clean(
    file: Annotated[str, typer.Argument(help="An HTML, MHTML, text or JSONL file (first article), an archive (first page), or - for standard input.")],
    removed: RemovedOpt = False,
    removed_all: RemovedAllOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: text, metadata and removed blocks.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Print a file's cleaned article text without touching an index.

    \b
    Example:  searchkit clean corpus/sofrep-belarus-border.txt --removed
    """
    from searchkit import clean as clean_api
    from .serialize import dumps, emit, versioned

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
            emit(sys.stdout, dumps(versioned(cleaned.to_dict())))
        elif not empty or removed or removed_all:
            from .render import print_cleaned
            from .terminal import paged

            with paged(out, enabled=not no_pager):
                print_cleaned(out, cleaned, removed=removed, every_removed=removed_all)
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
    target: Annotated[str, typer.Argument(metavar="ID", help="A passage id (a151617c9f3d:4) or an article id (or a unique prefix) from search output.")],
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Hits to show (at most 10000).")] = 10,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="Passages mentioning this person (as in search).")] = None,  # noqa: UP007
    org: Annotated[Optional[list[str]], typer.Option("--org", help="... this organisation.")] = None,  # noqa: UP007
    place: Annotated[Optional[list[str]], typer.Option("--place", help="... this place.")] = None,  # noqa: UP007
    group: Annotated[Optional[list[str]], typer.Option("--group", help="... this group.")] = None,  # noqa: UP007
    site: Annotated[Optional[list[str]], typer.Option("--site", help="Only articles from this site.")] = None,  # noqa: UP007
    since: Annotated[Optional[str], typer.Option("--since", help="Articles dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")] = None,  # noqa: UP007
    until: Annotated[Optional[str], typer.Option("--until", help="Articles dated on or before.")] = None,  # noqa: UP007
    in_article: Annotated[bool, typer.Option("--in-article", help="Entity filters match anywhere in the article.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document, as search --json.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON hit per line.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: a header, then one hit per row.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Passages of other articles like a passage or a whole article (more like this).

    \b
    Example:  searchkit similar a77779e232fc --place lithuania
    """
    from .search import open_index

    with errors_handled():
        fmt = one_format(json=as_json, jsonl=as_jsonl, csv=as_csv)
        with open_index(index) as idx:
            result = idx.similar(target, limit=limit, person=person, org=org, place=place, group=group, site=site,
                                 since=since, until=until, in_article=in_article)
        write_result(result, fmt, no_pager)
        if not result.hits:
            from .render import summary_line

            say(summary_line(result), "yellow")
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
    from .render import print_entities
    from .search import open_index
    from .serialize import dumps, emit, entities_csv, versioned

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
            from .render import print_entities
            from .terminal import paged

            with paged(out, enabled=not no_pager):
                print_entities(out, rows)


@app.command()
def stats(
    index: IndexOpt = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Counts, size, sites and date range of the index.

    \b
    Example:  searchkit stats --index index
    """
    from .search import open_index
    from .serialize import dumps, emit, versioned

    with errors_handled():
        with open_index(index) as idx:
            st = idx.stats()
        if as_json:
            emit(sys.stdout, dumps(versioned(st.to_dict())))
        else:
            from .render import print_stats

            print_stats(out, st)


@app.command()
def shards(
    index: IndexOpt = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The shards of a sharded index (ingest --shard-per-worker), with their counts.

    \b
    Example:  searchkit shards --index index
    """
    from .shard_cli import run_shards

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
    from .shard_cli import run_merge

    run_merge(index, into, as_json=as_json, wait=wait)


# --- check --------------------------------------------------------------------------------------


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
    from .list_copies import run_duplicates

    with errors_handled():
        fmt = one_format(json=as_json, csv=as_csv)
    run_duplicates(index, min_copies=min_copies, fmt=fmt, no_pager=no_pager)


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
    run_check(index, deep=deep, clean=clean, repair=repair, as_json=as_json, wait=wait)


from . import cli_workflows  # noqa: E402, F401 - registers batch, watch and shell on the app
