"""Drive an interactive ``searchkit`` (the shell) through a pseudo-terminal, as a person types."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

from .reliability_support import child_env
from .terminal_support import ANSI


class PtySession:
    """``python -m searchkit ARGS`` with stdin, stdout and stderr on one pseudo-terminal."""

    def __init__(self, *args: str | os.PathLike[str], env: dict[str, str] | None = None, columns: int = 100) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        full_env = {**child_env(), "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color", **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "searchkit", *map(os.fspath, args)],
                                     stdin=slave, stdout=slave, stderr=slave, env=full_env, start_new_session=True)
        os.close(slave)
        self.buffer = ""

    def read_until(self, marker: str, timeout: float = 60) -> str:
        """Everything up to and including ``marker`` (escape sequences removed, \\r\\n as \\n)."""
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {marker!r} after {timeout} s; got {self.buffer[-2000:]!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise EOFError(f"the terminal closed before {marker!r}; got {self.buffer[-2000:]!r}")
                self.buffer += ANSI.sub("", data.decode("utf-8", "replace")).replace("\r\n", "\n")
        at = self.buffer.index(marker) + len(marker)
        out, self.buffer = self.buffer[:at], self.buffer[at:]
        return out

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            os.close(self.master)
