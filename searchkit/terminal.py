"""The terminal as an output device: line wrapping, the pager, a closed pipe.

Two rules decide how text reaches stdout:

- **Not a terminal** (a file, a pipe, ``$(...)``): text is written exactly as it is, one
  line per line of the record, never wrapped, with no trailing spaces, so that
  ``clean FILE > out.txt`` is the cleaned text and ``grep``/``cut`` see whole lines.
- **A terminal**: prose is wrapped to the width at spaces only. A word longer than the line
  (a URL, a file path, an id) gets a line of its own and runs past the edge rather than being
  cut, so a double-click still selects all of it. Output longer than the screen goes through
  a pager when stdin is a terminal too (``--no-pager``, ``SEARCHKIT_PAGER`` or ``PAGER``
  change that).

A reader that goes away (``searchkit search x | head -1``) is not an error: the process stops
writing and exits 0, as ``grep`` does when its hits were found.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported when a console is made: `search --json` never loads it
    from rich.console import Console
    from rich.text import Text


class StdoutClosed(Exception):
    """The reader of stdout went away (a closed pipe): stop writing, exit 0."""


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that what is still buffered (and the flush
    at interpreter exit) goes nowhere instead of raising ``BrokenPipeError`` again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def output_console(**options: Any) -> Console:
    """A rich console for stdout whose closed pipe ends the command quietly (rich's own handler
    exits 1, which a script would read as "no hits")."""
    from rich.console import Console

    class OutputConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            silence_stdout()
            raise StdoutClosed

    return OutputConsole(**options)


class LazyConsole:
    """A console made on first use, so that a command that prints only JSON never imports rich
    (about a fifth of a cold ``search --json``)."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself (for rich objects that want a real one, as Progress does)."""
        self.is_terminal  # noqa: B018 - makes it
        assert self._console is not None
        return self._console

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            if self._stderr:
                from rich.console import Console

                self._console = Console(stderr=True, highlight=False)
            else:
                self._console = output_console(highlight=False, soft_wrap=False)
        return getattr(self._console, name)


# --- wrapping -----------------------------------------------------------------------------------

_SPACES = re.compile(r" +")


def wrap_lines(text: Text, width: int | None, breaks: re.Pattern[str] = _SPACES) -> list[Text]:
    """``text`` cut into lines of at most ``width`` cells, only where ``breaks`` matches (the
    separator itself is dropped at a line end). A piece longer than the width keeps a line of
    its own, whole. ``width=None`` only splits at the text's own new lines. Styles (highlights)
    are kept; no line ends in a space.

    >>> [t.plain for t in wrap_lines(Text("see https://example.org/a/long/path now"), 12)]
    ['see', 'https://example.org/a/long/path', 'now']
    """
    lines: list[Text] = []
    plain = text.plain
    start = 0
    for raw in plain.split("\n"):
        end = start + len(raw)
        if width is None:
            lines.append(_rstrip(text[start:end]))
        else:
            lines.extend(_wrap_one(text, plain, start, end, max(1, width), breaks))
        start = end + 1
    return lines


def _wrap_one(text: Text, plain: str, start: int, end: int, width: int, breaks: re.Pattern[str]) -> list[Text]:
    """Greedy filling of one line of ``text`` (``plain[start:end]``)."""
    from rich.cells import cell_len

    out: list[Text] = []
    line_start = start  # where the current output line begins
    line_end = start  # end of the last piece placed on it
    pos = start
    for m in [*breaks.finditer(plain, start, end), None]:
        piece_end = m.start() if m is not None else end
        if piece_end > pos or m is None:
            if line_end > line_start and cell_len(plain[line_start:piece_end]) > width:
                out.append(_rstrip(text[line_start:line_end]))
                line_start = pos
            line_end = piece_end
        pos = m.end() if m is not None else end
    if line_end > line_start or not out:
        out.append(_rstrip(text[line_start:line_end]))
    return out


def _rstrip(line: Text) -> Text:
    line.rstrip()
    return line


def print_wrapped(console: Console, text: Text, indent: int = 0, breaks: re.Pattern[str] = _SPACES,
                  hang: int = 0) -> None:
    """Print ``text`` indented: wrapped at ``breaks`` on a terminal (the lines a wrap adds
    indented ``hang`` more), line for line otherwise."""
    from rich.text import Text

    width = max(20, console.width - indent - hang) if console.is_terminal else None
    lines = []
    for i, line in enumerate(wrap_lines(text, width, breaks)):
        pad = " " * (indent + hang if i and width is not None else indent)
        lines.append(Text(pad) + line if pad and line.plain else line)
    # One print for all the lines: each console.print costs ~0.15 ms, some 130 of them a page.
    console.print(Text("\n").join(lines), soft_wrap=True)


# --- the pager ----------------------------------------------------------------------------------


def pager_command(environ: os._Environ[str] | dict[str, str] = os.environ) -> list[str] | None:
    """The pager to run, or None to write straight to the terminal: ``SEARCHKIT_PAGER``, else
    ``PAGER``, else ``less``. An empty value or ``cat`` means no pager."""
    import shlex

    value = environ.get("SEARCHKIT_PAGER", environ.get("PAGER", "less"))
    try:
        argv = shlex.split(value)
    except ValueError:
        return None
    if not argv or os.path.basename(argv[0]) == "cat":
        return None
    return argv


@contextlib.contextmanager
def paged(console: Console, enabled: bool = True) -> Iterator[None]:
    """Run the block with its output captured; show it through the pager if it is taller than
    the terminal, else print it. Only on a terminal (stdout and stdin, since the pager reads
    keys), and only when ``enabled`` (``--no-pager``)."""
    if not (enabled and console.is_terminal and sys.stdin.isatty()):
        yield
        return
    argv = pager_command()
    if argv is None:
        yield
        return
    with console.capture() as capture:
        yield
    text = capture.get()
    if text.count("\n") < console.height or not _run_pager(argv, text):
        console.file.write(text)
        console.file.flush()


def _run_pager(argv: list[str], text: str) -> bool:
    """Feed ``text`` to the pager; False if it could not be started. Ctrl-C belongs to the
    pager while it runs (as with git): it must not kill us and leave the terminal in raw mode."""
    import signal
    import subprocess  # here, not at the top: start-up time is the terminal user's latency

    env = dict(os.environ)
    if os.path.basename(argv[0]) == "less":
        env.setdefault("LESS", "FRX")  # quit if one screen, keep colours, leave the text on screen
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):  # the user quit the pager early
            proc.stdin.write(text.encode("utf-8", "replace"))
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()
        proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return True
