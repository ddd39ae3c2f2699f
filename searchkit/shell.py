"""``searchkit shell``: one open index, many queries, at warm-search latency.

A cold ``searchkit search`` pays for the interpreter, the imports and opening the index on
every query (about 200 ms); a question that takes ten tries to phrase pays that ten times.
The shell opens the index once and reads lines with the standard library's ``readline``
(history across sessions, line editing, Ctrl-R), so a query costs what the search itself does.

A line is what follows ``searchkit search``: a query, with the same options
(``belarus --person lukashenko -n 3 --sort -date``), parsed by the same code
(:func:`searchkit.entry.parse_search`). Lines starting with ``:`` change the session:
filters that stay until cleared (``:person blair``, ``:since 2020``), the output
(``:json``, ``:timeline month``, ``:facets``) and so on; ``:help`` lists them. The index is
refreshed before each query, so an ingest running beside the shell shows up.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .commands import SearchArgs, err, out, write_result
from .errors import SearchkitError

PROMPT = "searchkit> "
LIST_SETTINGS = ("person", "org", "place", "group", "site")
TEXT_SETTINGS = ("since", "until", "sort")
TOGGLES = {"any": "any_word", "exact": "exact", "facets": "facets", "in-article": "in_article",
           "all-passages": "all_passages", "explain": "explain"}
FORMATS = {"json": "as_json", "jsonl": "as_jsonl", "csv": "as_csv"}

HELP = """\
A line is a query with search's options: belarus --person lukashenko -n 3 --sort -date
Session settings (they apply to every query until changed):
  :person NAME   :org NAME   :place NAME   :group NAME   :site NAME   (add a filter; repeat for more)
  :since DATE    :until DATE   (YYYY, YYYY-MM or YYYY-MM-DD; no value: unset)
  :limit N   :sort relevance|date|-date   :context N
  :any   :exact   :facets   :in-article   :all-passages   :explain   (on/off)
  :json   :jsonl   :csv   :text   (output format)
  :timeline [day|week|month|year|off]
  :clear   (drop every filter)   :settings   (show them)
  :show ID   (an article)   :stats   :help   :quit (or Ctrl-D)"""


@dataclass
class Session:
    """The settings a shell session carries from one query to the next."""

    base: SearchArgs
    filters: dict[str, list[str]] = field(default_factory=dict)

    def args_for(self, line_args: SearchArgs) -> SearchArgs:
        """The line's own options over the session's: filters add up, anything set on the line wins."""
        a = replace(self.base, query=line_args.query)
        default = SearchArgs()
        for f in fields(SearchArgs):
            if f.name in ("query", "index"):
                continue
            value = getattr(line_args, f.name)
            if f.name in LIST_SETTINGS:
                merged = [*self.filters.get(f.name, []), *(value or [])]
                setattr(a, f.name, merged or None)
            elif value != getattr(default, f.name):
                setattr(a, f.name, value)
        return a


def history_file() -> Path | None:
    """Where the history is kept: ``SEARCHKIT_HISTORY`` (empty: none), else the XDG state folder."""
    env = os.environ.get("SEARCHKIT_HISTORY")
    if env is not None:
        return Path(env) if env else None
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "searchkit" / "history"


def _setup_readline(history: Path | None) -> Any:
    try:
        import readline
    except ImportError:  # a Python without it: plain input(), no history
        return None
    if history is not None:
        try:
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.read_history_file(str(history))
        except OSError:
            pass
        readline.set_history_length(1000)
    return readline


def _save_history(readline: Any, history: Path | None) -> None:
    if readline is not None and history is not None:
        try:
            readline.write_history_file(str(history))
        except OSError:
            pass


def run_shell(index: Path, base: SearchArgs | None = None) -> int:
    """Read and run lines until ``:quit`` or end of input; the exit code (0)."""
    from .search import open_index

    session = Session(base or SearchArgs(index=index, no_pager=True))
    session.base.no_pager = True
    history = history_file()
    interactive = sys.stdin.isatty()
    readline = _setup_readline(history) if interactive else None
    with open_index(index) as idx:
        st = idx.stats()
        say(f"searchkit shell: {index} ({st.articles:,} articles, {st.passages:,} passages). "
            ":help for commands, :quit or Ctrl-D to leave.")
        try:
            while True:
                try:
                    line = input(PROMPT if interactive else "")  # lines from a file: no prompts
                except KeyboardInterrupt:  # Ctrl-C drops the line, as in any shell
                    sys.stdout.write("\n")
                    continue
                except EOFError:
                    if interactive:
                        sys.stdout.write("\n")
                    break
                if not run_line(idx, session, line.strip()):
                    break
        finally:
            _save_history(readline, history)
    return 0


def say(message: str) -> None:
    from rich.text import Text

    err.print(Text(message, style="dim"), soft_wrap=True)


def complain(message: str) -> None:
    from rich.text import Text

    from .commands import inert_line

    err.print(Text("error: ", style="bold red").append(inert_line(message)), soft_wrap=True)


def run_line(idx: Any, session: Session, line: str) -> bool:
    """One line: a setting, or a query. False to end the session."""
    if not line:
        return True
    try:
        if line.startswith(":"):
            return _setting(idx, session, line[1:])
        _query(idx, session, line)
    except SearchkitError as e:
        complain(str(e) + (f" (hint: {e.hint})" if e.hint else ""))
    except KeyboardInterrupt:
        complain("interrupted")
    return True


def _query(idx: Any, session: Session, line: str) -> None:
    from .entry import _arguments, parse_search

    parsed = parse_search(_arguments(["--index", str(idx.path), *line_arguments(line)]))
    if parsed is None:
        raise SearchkitError("cannot read the options of that line", hint="options as for searchkit search; :help")
    a = session.args_for(parsed)
    if not a.has_something():
        raise SearchkitError("nothing to search for", hint="type a query, or set a filter and search for *")
    from .commands import no_hits_message, one_format, search_once

    fmt = one_format(json=a.as_json, jsonl=a.as_jsonl, csv=a.as_csv)
    idx.refresh()
    result, contexts = search_once(idx, a, fmt)
    write_result(result, fmt, True, contexts)
    if not result.hits:
        say(no_hits_message(result))


def line_arguments(line: str) -> list[str]:
    """A shell line as ``search`` arguments: the options (their values unquoted), then ``--``
    and the query words as typed, quotes kept (``"border closure"`` stays a phrase).

    >>> line_arguments('"border closure" --person "jane holt" -n 3 OR minsk')
    ['--person', 'jane holt', '-n', '3', '--', '"border closure" OR minsk']
    """
    from .entry import SEARCH_OPTIONS

    lexer = shlex.shlex(line, posix=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        words = list(lexer)
    except ValueError as e:
        raise SearchkitError(f"cannot read the line: {e}", hint='close the quote: "border closure"') from e
    options: list[str] = []
    query: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        spec = SEARCH_OPTIONS.get(word.partition("=")[0])
        if spec is None:
            query.append(word)
        else:
            options.append(word)
            if spec[1] != "flag" and "=" not in word and i + 1 < len(words):
                options.append(_unquote(words[i + 1]))
                i += 1
        i += 1
    return [*options, "--", " ".join(query)] if query else options


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def _setting(idx: Any, session: Session, text: str) -> bool:
    name, _, value = text.strip().partition(" ")
    name, value = name.lower(), value.strip()
    b = session.base
    if name in ("q", "quit", "exit"):
        return False
    if name in ("h", "help", "?"):
        out.file.write(HELP + "\n")
    elif name in LIST_SETTINGS:
        if not value:
            session.filters.pop(name, None)
            say(f"{name}: no filter")
        else:
            session.filters.setdefault(name, []).append(value)
            say(f"{name}: {', '.join(session.filters[name])}")
    elif name in ("since", "until"):
        if value:
            from .search import parse_date_bound

            parse_date_bound(value, end=name == "until")  # raises for a bad date, now rather than later
        setattr(b, name, value or None)
        say(f"{name}: {value or 'any date'}")
    elif name == "sort":
        from .search.order import SORTS

        if value not in SORTS:
            raise SearchkitError(f"unknown sort {value!r}; use one of {', '.join(SORTS)}")
        b.sort = value
    elif name in ("limit", "n", "context", "c"):
        if not value.isdigit() or (name in ("limit", "n") and int(value) < 1):
            raise SearchkitError(f":{name} takes a number")
        if name in ("limit", "n"):
            b.limit = int(value)
        else:
            b.context = int(value)
    elif name in TOGGLES:
        attr = TOGGLES[name]
        setattr(b, attr, not getattr(b, attr) if not value else value.lower() in ("on", "yes", "1"))
        say(f"{name}: {'on' if getattr(b, attr) else 'off'}")
    elif name in FORMATS or name == "text":
        for attr in FORMATS.values():
            setattr(b, attr, False)
        if name in FORMATS:
            setattr(b, FORMATS[name], True)
        say(f"output: {name}")
    elif name == "timeline":
        from .timeline import check_unit

        b.timeline = None if value in ("off", "no") else check_unit(value or "auto")
        say(f"timeline: {b.timeline or 'off'}")
    elif name == "clear":
        session.filters.clear()
        b.since = b.until = None
        say("filters cleared")
    elif name in ("settings", "set"):
        _print_settings(session)
    elif name == "show":
        from .render import print_article

        print_article(out, idx.article(value), removed=False)
    elif name == "stats":
        from .render import print_stats

        idx.refresh()
        print_stats(out, idx.stats())
    else:
        raise SearchkitError(f"unknown command :{name}", hint=":help lists them")
    return True


def _print_settings(session: Session) -> None:
    b = session.base
    parts = [f"{k}: {', '.join(v)}" for k, v in session.filters.items()]
    parts += [f"{k}: {getattr(b, k)}" for k in ("since", "until") if getattr(b, k)]
    parts += [f"limit: {b.limit}", f"sort: {b.sort}"]
    parts += [k for k, attr in TOGGLES.items() if getattr(b, attr)]
    fmt = next((k for k, attr in FORMATS.items() if getattr(b, attr)), "text")
    parts += [f"output: {fmt}"] + ([f"timeline: {b.timeline}"] if b.timeline else [])
    say("; ".join(parts))
