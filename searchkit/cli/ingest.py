"""The index itself: ``ingest`` (with its progress bar and summary), ``stats`` and ``check``."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..commands import DEFAULT_INDEX, Exit, err, errors_handled, fail, inert_line, out, run_check
from ..settings import IngestSettings
from .root import IndexOpt, app


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
    from ..errors import Interrupted
    from ..ingest import ingest as run
    from ..serialize import dumps, emit, versioned

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
    from ..ingest import IngestReport

    assert isinstance(report, IngestReport)
    from rich.text import Text

    from ..render import folder, plural

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
    from ..watch import ingest_line

    if (watched := ingest_line(report.watches)) is not None:
        err.print(Text(inert_line(watched), style="green"), soft_wrap=True)


@app.command()
def stats(
    index: IndexOpt = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Counts, size, sites and date range of the index.

    \b
    Example:  searchkit stats --index index
    """
    from ..search import open_index
    from ..serialize import dumps, emit, versioned

    with errors_handled():
        with open_index(index) as idx:
            st = idx.stats()
        if as_json:
            emit(sys.stdout, dumps(versioned(st.to_dict())))
        else:
            from ..render import print_stats

            print_stats(out, st)


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
