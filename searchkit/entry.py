"""The ``searchkit`` console script: run a command, turn every failure into one line and an
exit code (0 success, 1 no hits or some inputs failed, 2 error, 130 interrupted).

A ``search`` whose arguments are plain options (the way people and scripts write it) is run
without importing typer at all: start-up is the terminal user's latency, and typer and its
vendored click are about a fifth of a cold search. :data:`SEARCH_OPTIONS` spells the options
out once more for this; a test checks it against typer's own definition of ``search``, and
anything it does not know (``--help``, a bad number, an unknown option, a second argument)
goes to typer, which gives the usual help and error messages. ``SEARCHKIT_FAST_PATH=0`` turns
the shortcut off.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .commands import Exit, SearchArgs, err, fail, inert_line
from .terminal import StdoutClosed, silence_stdout

# option -> (SearchArgs field, kind): "flag" takes no value; "text", "path", "int" (1 or more)
# and "count" (0 or more) one; "list" repeats.
SEARCH_OPTIONS: dict[str, tuple[str, str]] = {
    "--index": ("index", "path"), "-i": ("index", "path"),
    "--limit": ("limit", "count"), "-n": ("limit", "count"),
    "--person": ("person", "list"), "--org": ("org", "list"), "--place": ("place", "list"),
    "--group": ("group", "list"), "--site": ("site", "list"),
    "--since": ("since", "text"), "--until": ("until", "text"), "--tag": ("tag", "list"),
    "--in-article": ("in_article", "flag"), "--all-passages": ("all_passages", "flag"),
    "--all-copies": ("all_copies", "flag"),
    "--any": ("any_word", "flag"), "--facets": ("facets", "flag"), "--exact-count": ("exact_count", "flag"),
    "--json": ("as_json", "flag"), "--jsonl": ("as_jsonl", "flag"), "--csv": ("as_csv", "flag"),
    "--no-pager": ("no_pager", "flag"),
    "--sort": ("sort", "text"), "--context": ("context", "count"), "-C": ("context", "count"),
    "--exact": ("exact", "flag"), "--explain": ("explain", "flag"),
    "--timeline": ("timeline", "text"), "--provenance": ("provenance", "path"),
}
TIMELINE_UNITS = ("day", "week", "month", "year", "auto")


def parse_search(argv: list[str]) -> SearchArgs | None:
    """``search`` arguments as typer would read them, or None to leave them to typer."""
    values: dict[str, object] = {}
    query: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            query.extend(argv[i + 1:])
            break
        if not arg.startswith("-") or arg == "-":
            query.append(arg)
            i += 1
            continue
        name, eq, inline = arg.partition("=")
        spec = SEARCH_OPTIONS.get(name)
        if spec is None or (eq and name.startswith("-") and not name.startswith("--")):
            return None  # --help, -h, an unknown option, -n=5: typer's business
        field, kind = spec
        if kind == "flag":
            if eq:
                return None
            values[field] = True
            i += 1
            continue
        if eq:
            value = inline
            i += 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            value = argv[i + 1]
            i += 2
        else:
            return None  # a missing value, or one that looks like an option: typer decides
        if kind in ("int", "count"):
            if not value.isascii() or not value.isdigit() or int(value) < (1 if kind == "int" else 0):
                return None
            values[field] = int(value)
        elif kind == "list":
            values.setdefault(field, []).append(value)  # type: ignore[union-attr]
        elif kind == "path":
            values[field] = Path(value)
        else:
            values[field] = value
    if len(query) > 1:
        return None  # an extra argument: typer's error message
    if "index" not in values:
        env = os.environ.get("SEARCHKIT_INDEX")
        if env is not None:
            if not env:
                return None
            values["index"] = Path(env)
    return SearchArgs(query=query[0] if query else "", **values)  # type: ignore[arg-type]


# Options whose value is optional (`--removed` and `--removed=all`): typer 0.28 has no
# optional-value options, so the long form is mapped to a hidden flag before parsing.
_OPTIONAL_VALUES = {"--removed=all": "--removed-all", "--removed=rules": "--removed"}


def _arguments(argv: list[str]) -> list[str]:
    """The command line with ``--removed=all`` spelled as the flag it stands for, and a
    ``--timeline`` without a unit as ``--timeline=auto`` (up to ``--``)."""
    cut = argv.index("--") if "--" in argv else len(argv)
    head = [_OPTIONAL_VALUES.get(a, a) for a in argv[:cut]]
    for i, a in enumerate(head):
        if a == "--timeline" and (i + 1 == len(head) or head[i + 1] not in TIMELINE_UNITS):
            head[i] = "--timeline=auto"
    return head + argv[cut:]


def _join_indexes(argv: list[str]) -> list[str]:
    """``--index A --index B`` as one ``--index A:B`` (``os.pathsep``), which every command
    reads as several folders searched as one (:mod:`searchkit.store.shards`)."""
    cut = argv.index("--") if "--" in argv else len(argv)
    found: list[str] = []
    rest: list[str] = []
    i = 0
    while i < cut:
        arg = argv[i]
        if arg in ("--index", "-i") and i + 1 < cut:
            found.append(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--index="):
            found.append(arg.partition("=")[2])
            i += 1
            continue
        rest.append(arg)
        i += 1
    if len(found) < 2:
        return argv
    return [*rest, "--index", os.pathsep.join(found), *argv[cut:]]


def main() -> None:
    """Console-script entry point: run the command, turn every failure into one line and an exit code."""
    argv = _arguments(_join_indexes(sys.argv[1:]))
    try:
        fast = (parse_search(argv[1:]) if argv[:1] == ["search"] and os.environ.get("SEARCHKIT_FAST_PATH") != "0"
                and "_SEARCHKIT_COMPLETE" not in os.environ else None)
        if fast is not None:
            from .commands import run_search

            run_search(fast)
        else:
            from .cli import load_app

            # Only the command's own module (every one for --help, completion or a typo).
            command = argv[0] if argv and "_SEARCHKIT_COMPLETE" not in os.environ else None
            load_app(command)(args=argv, prog_name="searchkit", standalone_mode=False)
    except Exit as e:
        sys.exit(e.code)
    except (BrokenPipeError, StdoutClosed):  # the reader left while help or an error was written
        silence_stdout()
        sys.exit(0)
    except SystemExit as e:
        # click's own answer to a closed pipe (while printing --help) is exit 1, after putting
        # a PacifyFlushWrapper on stdout: a closed pipe is exit 0 here, whoever saw it first.
        if e.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            silence_stdout()
            sys.exit(0)
        raise
    except KeyboardInterrupt:  # before a command's own handler is in place (start-up)
        err.print("searchkit: interrupted")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence against tracebacks
        _last_resort(e)
    sys.exit(0)


def _last_resort(e: Exception) -> None:
    """An exception no command handled: click's usage errors and help, Ctrl-C that click
    dressed up as Abort, or a bug (one line; ``SEARCHKIT_DEBUG=1`` shows the traceback)."""
    import typer  # only here: the fast path never raises typer's exceptions

    # typer vendors click: its exceptions are typer's, not click's. Abort wraps Ctrl-C
    # (or an EOFError from below); a usage error has format_message() and an exit code.
    if type(e).__name__ == "NoArgsIsHelpError":  # `searchkit` alone: the help, as written
        try:
            sys.stdout.write(e.format_message() + "\n")  # type: ignore[attr-defined]
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
        sys.exit(0)
    if type(e).__name__ == "Abort":
        cause = e.__cause__ or e.__context__
        if cause is None or isinstance(cause, KeyboardInterrupt):
            err.print("searchkit: interrupted")
            sys.exit(130)
        e = cause  # type: ignore[assignment] - a real error that click dressed up as Abort
    elif isinstance(e, typer.TyperException) and hasattr(e, "format_message"):
        command = getattr(getattr(e, "ctx", None), "command_path", "searchkit")
        sys.exit(fail(e.format_message(), f"{command} --help", code=getattr(e, "exit_code", 2)).code)
    if os.environ.get("SEARCHKIT_DEBUG"):
        raise e
    from rich.text import Text

    err.print(Text("searchkit: internal error: ", style="bold red").append(
        inert_line(f"{type(e).__name__}: {e}")).append(" (set SEARCHKIT_DEBUG=1 for details)", style="dim"),
        soft_wrap=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
