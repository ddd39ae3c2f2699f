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


class Styled:
    """Text with styled pieces, as ``rich.text.Text`` holds it, for what searchkit renders
    itself (hits, articles, cleaned pages). On a terminal it prints through rich (``__rich__``);
    where nothing reads styles (a pipe, a file) :class:`PlainOutput` writes its plain text, so a
    piped ``search`` never imports rich, a fifth of a cold search's CPU time.

    ``style`` is the style of the whole text, as rich's: pieces appended later get it too.
    """

    __slots__ = ("style", "_pieces")

    def __init__(self, text: str = "", style: str = "") -> None:
        self.style = style
        self._pieces: list[tuple[str, str]] = [(text, "")] if text else []

    @property
    def plain(self) -> str:
        return "".join(t for t, _ in self._pieces)

    def __len__(self) -> int:
        return sum(len(t) for t, _ in self._pieces)

    def __str__(self) -> str:
        return self.plain

    def append(self, text: str | Styled, style: str = "") -> Styled:
        """Add ``text`` (its own style on top of this text's); returns self, for chaining."""
        if isinstance(text, Styled):
            self._pieces.extend((t, _joined(text.style, s)) for t, s in text._pieces)
        elif text:
            self._pieces.append((text, style))
        return self

    def __add__(self, other: str | Styled) -> Styled:
        out = self.copy()
        return out.append(other)

    def copy(self) -> Styled:
        out = Styled(style=self.style)
        out._pieces = list(self._pieces)
        return out

    def join(self, lines: Iterator[Styled] | list[Styled]) -> Styled:
        """``lines`` with this text between them (``Styled("\\n").join(lines)``)."""
        out = Styled()
        for i, line in enumerate(lines):
            if i:
                out.append(self)
            out.append(line)
        return out

    def __getitem__(self, cut: slice) -> Styled:
        start, stop, _ = cut.indices(len(self))
        out = Styled(style=self.style)
        pos = 0
        for t, s in self._pieces:
            end = pos + len(t)
            if end > start and pos < stop:
                out._pieces.append((t[max(start - pos, 0):stop - pos], s))
            pos = end
        return out

    def rstrip(self) -> None:
        """Strip white space from the end, in place (as rich's ``Text.rstrip``)."""
        while self._pieces:
            t, s = self._pieces[-1]
            kept = t.rstrip()
            if kept:
                self._pieces[-1] = (kept, s)
                return
            self._pieces.pop()

    def __rich__(self) -> Text:
        from rich.text import Text

        return Text.assemble(*self._pieces, style=self.style)


def _joined(outer: str, inner: str) -> str:
    return f"{outer} {inner}".strip()


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


def stdout_console() -> Console:
    """The rich console of a command's stdout: no highlighting of numbers or paths, no
    wrapping but searchkit's own (:func:`print_wrapped`)."""
    return output_console(highlight=False, soft_wrap=False)


class PlainOutput:
    """stdout when it is not a terminal: :class:`Styled` text written as it is (no styles, no
    wrapping, tabs as rich expands them), in one write and flush per print as rich does;
    anything else (a table, rich's own text, a string) goes to a rich console made on first
    use, so what other commands print is unchanged."""

    is_terminal = False

    def __init__(self) -> None:
        self._console: Console | None = None

    def print(self, *objects: Any, end: str = "\n", **options: Any) -> None:
        if not all(isinstance(o, Styled) for o in objects):
            self.rich().print(*objects, end=end, **options)
            return
        text = " ".join(o.plain for o in objects)
        if "\t" in text:
            text = "\n".join(line.expandtabs(8) for line in text.split("\n"))
        try:
            sys.stdout.write(text + end)
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
            raise StdoutClosed from None

    def rich(self) -> Console:
        if self._console is None:
            self._console = stdout_console()
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich(), name)


def _styles_wanted() -> bool:
    """Whether stdout needs rich: a terminal, or colour forced by the environment."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or any(os.environ.get(v) for v in ("FORCE_COLOR", "TTY_INTERACTIVE", "TTY_COMPATIBLE"))


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
            elif _styles_wanted():
                self._console = stdout_console()
            else:
                self._console = PlainOutput()  # type: ignore[assignment]
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
    kind = type(text)  # Styled, or rich's Text from a command that builds its own
    width = max(20, console.width - indent - hang) if console.is_terminal else None
    lines = []
    for i, line in enumerate(wrap_lines(text, width, breaks)):
        pad = " " * (indent + hang if i and width is not None else indent)
        lines.append(kind(pad) + line if pad and line.plain else line)
    # One print for all the lines: each console.print costs ~0.15 ms, some 130 of them a page.
    console.print(kind("\n").join(lines), soft_wrap=True)


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
