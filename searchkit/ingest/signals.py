"""Ctrl-C and SIGTERM during an ingest: held off while a commit writes, then acted on."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class StopSignals:
    """While an ingest runs: SIGTERM (cron's timeout, systemd, ``kill``) stops it like Ctrl-C,
    and :meth:`deferred` holds both signals off while a commit writes, then acts on them.

    Handlers can only be set from the main thread; elsewhere this does nothing, and the
    default behaviour (KeyboardInterrupt on SIGINT) remains."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._saved: dict[int, Any] = {}
        self._holding = 0
        self._pending = False
        self._active = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> StopSignals:
        if self._active:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.received is None:
            self.received = signum
        if self._holding:
            self._pending = True
        elif not _in_finalizer(frame):
            raise KeyboardInterrupt
        # In a finalizer the exception would be printed as "Exception ignored" (a traceback
        # on the user's terminal) and lost: :meth:`check` acts on it at the next article.

    def check(self) -> None:
        """Act on a stop signal that arrived while Python ran a finalizer (a ``__del__``, such
        as Whoosh's lock), where raising would be printed and lost and the ingest would go on
        to the end. Called between articles and before the last commit."""
        if self.received is not None and not self._holding:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self, *, then_stop: bool = True) -> Iterator[None]:
        """Run the body to the end even if a stop signal arrives; with ``then_stop``, act on
        that signal right after the body (raise KeyboardInterrupt), else forget it."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if not self._holding and self._pending:
            self._pending = False
            if then_stop:
                raise KeyboardInterrupt

    @property
    def name(self) -> str:
        return "terminated (SIGTERM)" if self.received == signal.SIGTERM else "interrupted"


def _in_finalizer(frame: Any) -> bool:
    """Whether the interrupted code runs inside a ``__del__`` (at any depth)."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False
