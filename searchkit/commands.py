"""What the commands do, apart from parsing their arguments: no typer here.

``cli/`` declares the commands for typer (help, completion, validation); ``entry.py`` runs
``search`` without typer when its arguments are simple (start-up time is the terminal user's
latency, and typer is a fifth of it). Both end up in :func:`run_search`. The helpers here are
the one way a command reports: :func:`fail` (one line on stderr and an exit code), :func:`warn`
(a note), :class:`Exit`, and the consoles, made on first use so that JSON output never loads
rich.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InternalError, SearchkitError
from .results import SearchResult
from .serialize import Context
from .terminal import LazyConsole, StdoutClosed, silence_stdout

out = LazyConsole()
err = LazyConsole(stderr=True)

DEFAULT_INDEX = Path("index")
FILTER_OPTIONS = "--person, --org, --place, --group, --site, --since, --until or --tag"
SEARCH_USAGE = "usage: searchkit search [OPTIONS] [QUERY]"


class Exit(Exception):
    """End the command with this exit code (what was to be said has been said)."""

    def __init__(self, code: int) -> None:
        self.code = code


def inert_line(s: str) -> str:
    """``s`` safe for the terminal and on one line."""
    from .inert import inert

    return " ".join(inert(s).split())


def fail(message: str, hint: str | None = None, code: int = 2) -> Exit:
    """Print ``searchkit: error: MESSAGE (hint: HINT)`` on stderr; return the Exit to raise."""
    from rich.text import Text

    line = Text("searchkit: error: ", style="bold red").append(inert_line(message))
    if hint:
        line.append(f" (hint: {inert_line(hint)})", style="dim")
    err.print(line, soft_wrap=True)
    return Exit(code)


def warn(message: str) -> None:
    """A one-line note on stderr that does not change the exit code."""
    from rich.text import Text

    err.print(Text("searchkit: note: ", style="yellow").append(inert_line(message)), soft_wrap=True)


def say(message: str, style: str = "") -> None:
    """One line for people on stderr."""
    from rich.text import Text

    err.print(Text(inert_line(message), style=style), soft_wrap=True)


@contextlib.contextmanager
def errors_handled() -> Iterator[None]:
    """Library errors become one line and their exit code; Ctrl-C is 130; a closed pipe is 0."""
    try:
        yield
    except SearchkitError as e:
        if isinstance(e, InternalError) and os.environ.get("SEARCHKIT_DEBUG"):
            raise  # main() shows the traceback, with the exception that caused it
        raise fail(str(e), e.hint, e.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except (BrokenPipeError, StdoutClosed):
        # The reader went away (`| head -1`): what it read is what it wanted. Exit 0, as
        # grep does; never 1, which a script would take for "no hits".
        silence_stdout()
        raise Exit(0) from None


def one_format(**flags: bool) -> str | None:
    """The one machine format asked for (``--json``, ``--jsonl``, ``--csv``), or None."""
    chosen = [f"--{name}" for name, on in flags.items() if on]
    if len(chosen) > 1:
        raise fail(f"choose one of {' and '.join(chosen)}")
    return chosen[0] if chosen else None


@dataclass
class SearchArgs:
    """The arguments of ``searchkit search``, as typer or the fast path parsed them."""

    query: str = ""
    index: Path = DEFAULT_INDEX
    limit: int = 10
    person: list[str] | None = None
    org: list[str] | None = None
    place: list[str] | None = None
    group: list[str] | None = None
    site: list[str] | None = None
    since: str | None = None
    until: str | None = None
    tag: list[str] | None = None
    in_article: bool = False
    all_passages: bool = False
    all_copies: bool = False
    any_word: bool = False
    facets: bool = False
    exact_count: bool = False
    as_json: bool = False
    as_jsonl: bool = False
    as_csv: bool = False
    no_pager: bool = False
    sort: str = "relevance"
    context: int = 0
    exact: bool = False
    explain: bool = False
    timeline: str | None = None
    provenance: Path | None = None

    def filters(self) -> dict[str, Any]:
        """The filters, as ``SearchIndex.search`` and ``stream`` take them."""
        return dict(person=self.person, org=self.org, place=self.place, group=self.group, site=self.site,
                    since=self.since, until=self.until, tag=self.tag, in_article=self.in_article)

    def has_something(self) -> bool:
        """A query or a filter: something to search for."""
        return bool(self.query.strip()) or any((self.person, self.org, self.place, self.group, self.site,
                                                self.since, self.until, self.tag))


def search_once(idx: Any, a: SearchArgs, fmt: str | None) -> tuple[Any, dict[str, Any] | None]:
    """One page of ``a``'s hits from an open index, and their ``-C`` context: what ``search``
    and the shell print (facets and the timeline only for formats that show them)."""
    line_format = fmt in ("--jsonl", "--csv")
    result = idx.search(
        a.query, limit=max(1, a.limit), operator="or" if a.any_word else "and", **a.filters(),
        collapse=not a.all_passages, collapse_copies=not a.all_copies, facets=a.facets and not line_format,
        exact_total=a.exact_count, sort=a.sort, exact=a.exact, explain=a.explain,
        timeline=a.timeline if not line_format else None,
    )
    contexts = {h.passage_id: idx.context(h.passage_id, a.context) for h in result.hits} \
        if a.context and fmt != "--csv" else None
    return result, contexts


def no_hits_message(result: Any) -> str:
    """The line said when nothing matched: the summary, and why (a hint) or a suggestion."""
    from .render import summary_line

    msg = summary_line(result)
    if result.hint:
        msg += f"; {result.hint}"
    elif result.suggestion:
        msg += f"; did you mean: {result.suggestion}"
    return msg


def run_search(a: SearchArgs) -> None:
    from .search import open_index

    with errors_handled():
        fmt = one_format(json=a.as_json, jsonl=a.as_jsonl, csv=a.as_csv)
        if not a.has_something():
            # The usage, in the one line that every bad input gets (not ten arbitrary passages).
            raise fail(f"nothing to search for; {SEARCH_USAGE} with a query, or with filters only "
                       f"({FILTER_OPTIONS})", hint="searchkit search --help")
        if a.limit == 0:  # every match, streamed (an export)
            from .export import export_all

            raise Exit(export_all(a, fmt))
        ignore_facets = a.facets and fmt in ("--jsonl", "--csv")
        with open_index(a.index) as idx:
            result, contexts = search_once(idx, a, fmt)
            if a.provenance is not None:
                from .export import write_provenance

                write_provenance(a.provenance, a, fmt, idx.identity(), result.total, len(result.hits))
        if a.context and fmt == "--csv":
            warn("-C/--context is ignored with --csv (one hit per row); use --json or --jsonl for context")
        if a.timeline and fmt in ("--jsonl", "--csv"):
            warn(f"--timeline is ignored with {fmt} (one hit per line); use --json or the terminal output")
        if ignore_facets:  # after the search: a bad query gets its one error line and nothing else
            warn(f"--facets is ignored with {fmt} (one hit per line); use --json or the terminal output for facets")
        write_result(result, fmt, a.no_pager, contexts)
        if not result.hits:
            say(no_hits_message(result), "yellow")
            raise Exit(1)


def write_result(result: SearchResult, fmt: str | None, no_pager: bool,
                 contexts: dict[str, Context] | None = None) -> None:
    """Hits as JSON, JSONL or CSV on stdout, or for people (paged on a terminal)."""
    from .serialize import emit, result_csv, result_json, result_jsonl

    if result.timeline is not None and fmt is None:  # the histogram is the answer asked for
        from .timeline import print_timeline_result

        print_timeline_result(out, result)
    elif fmt == "--json":
        emit(sys.stdout, result_json(result, contexts))
    elif fmt in ("--jsonl", "--csv"):
        for line in (result_jsonl(result, contexts) if fmt == "--jsonl" else result_csv(result)):
            emit(sys.stdout, line)
    else:
        from .render import print_result
        from .terminal import paged

        with paged(out, enabled=not no_pager):
            print_result(out, result, contexts=contexts)


def entity_action(idx: Any, action: str, words: list[str], *, top: int, as_json: bool) -> bool:
    """``searchkit entities ACTION ...``: a correction (merge, rename, split, retype, drop),
    ``suggest``, ``export`` or ``import``. False for an action it does not know."""
    from .entity_edits import ACTIONS, HEADER, parse_edits
    from .serialize import dumps, emit

    if action in ACTIONS:
        if len(words) != 2 + ACTIONS[action]:
            raise fail(f"{action} takes TYPE ENTITY" + (" NAME" if ACTIONS[action] else ""),
                       "searchkit entities --help")
        edit = idx.add_entity_edit(action, *words)
        if as_json:
            emit(out, dumps({"added": {"action": edit.action, "type": edit.facet, "entity": edit.entity,
                                       "argument": edit.argument}}))
        else:
            out.print(inert_line(f"added: {edit.describe()}"))
        return True
    if action == "suggest":
        found = idx.suggest_merges(limit=top)
        if as_json:
            emit(out, dumps({"suggestions": [{"edit": s.edit.to_line().split("\t"), "evidence": s.evidence}
                                             for s in found]}))
        else:
            for s in found:
                line = f"searchkit entities {s.edit.action} {s.edit.facet} {s.edit.entity!r} {s.edit.argument!r}"
                out.print(inert_line(f"{line}   # {s.evidence}"), soft_wrap=True)
            if not found:
                out.print("no likely duplicates found")
        return True
    if action in ("export", "import"):
        if len(words) != 1:
            raise fail(f"{action} takes one FILE", "searchkit entities --help")
        target = Path(words[0])
        if action == "export":
            target.write_text(HEADER + "".join(e.to_line() + "\n" for e in idx.entity_edits()), encoding="utf-8")
            out.print(inert_line(f"{len(idx.entity_edits())} edits written to {target}"))
        else:
            try:
                text = target.read_text(encoding="utf-8")
            except OSError as e:
                raise fail(f"cannot read {target}: {e.strerror}") from e
            added = parse_edits(text, str(target))
            idx.replace_entity_edits([*idx.entity_edits(), *added])
            out.print(inert_line(f"{len(added)} edits imported from {target}"))
        return True
    return False


def run_check(index: Path, *, deep: bool, clean: bool, repair: bool, as_json: bool, wait: float) -> None:
    """``searchkit check``: exit 0 clean, 1 problems found (one line each), 2 cannot check."""
    from .serialize import dumps, emit, versioned

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
            emit(sys.stdout, dumps(versioned(report.to_dict())))
        else:
            from rich.text import Text

            for line in report.lines():
                out.print(Text(inert_line(line)), soft_wrap=True)
        if report.problems and not (clean and set(report.removed) >= set(report.orphans)
                                    and all(f.kind == "orphan" for f in report.problems)):
            raise Exit(1)
