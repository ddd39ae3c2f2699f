"""Run the real CLI with stdout on a pseudo-terminal of a given size, as a person would see it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .reliability_support import child_env

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


@dataclass
class TerminalRun:
    returncode: int
    screen: str  # what reached the terminal (stdout), escape sequences removed, \r\n -> \n
    raw: str  # the same with escape sequences
    stderr: str


def run_on_terminal(args: list[str | os.PathLike[str]], *, columns: int = 80, lines: int = 200,
                    stdin_terminal: bool = False, env: Mapping[str, str | None] | None = None,
                    cwd: str | os.PathLike[str] | None = None, timeout: float = 120,
                    shell: str | None = None, stderr_terminal: bool = False) -> TerminalRun:
    """``python -m searchkit ARGS`` (or the bash command line ``shell``) with stdout on a pty of
    ``columns`` x ``lines`` (stdin too when ``stdin_terminal``; stderr is captured apart, so the
    screen holds stdout only, unless ``stderr_terminal``). ``env`` adds to the child's
    environment; a name set to None is removed from it (``{"NO_COLOR": None}``)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    full_env = {**child_env(), "COLUMNS": str(columns), "LINES": str(lines), "TERM": "xterm-256color"}
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    with tempfile.TemporaryFile() as err:
        argv = ["bash", "-c", shell] if shell is not None else [sys.executable, "-m", "searchkit",
                                                                 *map(os.fspath, args)]
        proc = subprocess.Popen(argv, stdout=slave,
                                stderr=slave if stderr_terminal else err, stdin=slave if stdin_terminal else subprocess.DEVNULL,
                                env=full_env, cwd=cwd)
        os.close(slave)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=timeout)
        os.close(master)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    raw = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return TerminalRun(code, ANSI.sub("", raw), raw, stderr)


def write_pager(tmp: Path) -> tuple[str, Path]:
    """A stand-in pager (a real program reading stdin, as less does) that records what it got."""
    script = tmp / "pager.py"
    record = tmp / "paged.txt"
    script.write_text("import sys\nopen(sys.argv[1], 'w').write(sys.stdin.read())\n")
    return f"{sys.executable} {script} {record}", record
