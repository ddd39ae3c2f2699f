"""The ``searchkit`` command line: typer declarations only; what the commands do is in
:mod:`searchkit.commands` and the library.

Exit codes, like grep: 0 success (for ``search``: hits found), 1 no hits (``search``) or some
inputs failed (``ingest``), 2 error — always one line on stderr, never a traceback
(set ``SEARCHKIT_DEBUG=1`` to see one). 130 after Ctrl-C.

``root.py`` holds the typer app and the option types the commands share; each area's
commands are in a module of their own (:data:`COMMANDS`). Nothing here imports typer: the
console script (:mod:`searchkit.entry`) runs a plain ``search`` without it, and otherwise
:func:`load_app` imports typer and only the module of the command asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..entry import main  # noqa: F401 - the console script's old home

if TYPE_CHECKING:
    import typer

# Every command -> the module that declares it, in the order ``searchkit --help`` lists them.
COMMANDS: dict[str, str] = {
    "ingest": "ingest",
    "search": "search", "show": "search", "clean": "search", "similar": "search",
    "entities": "entities",
    "stats": "ingest",
    "shards": "shards", "merge": "shards",
    "duplicates": "duplicates",
    "check": "ingest",
    "batch": "workflows", "shell": "workflows", "watch": "workflows",
}


def load_app(command: str | None = None) -> typer.Typer:
    """The app with ``command``'s module imported, or every module when ``command`` is not one
    of :data:`COMMANDS` (``--help``, completion, a typo that wants suggestions)."""
    from .root import app

    wanted = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in wanted:
        importlib.import_module(f"{__name__}.{module}")
    # Modules register in the order they were imported; --help lists the commands in ours.
    rank = {name: n for n, name in enumerate(COMMANDS)}
    app.registered_commands.sort(key=lambda c: rank.get(c.name or getattr(c.callback, "__name__", ""), len(rank)))
    return app


def __getattr__(name: str) -> Any:
    """``from searchkit.cli import app``: the app with every command on it."""
    if name == "app":
        return load_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
