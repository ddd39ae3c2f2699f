"""Saved searches (``searchkit watch``): a story followed as new pages arrive.

A saved search is a query with its filters, under a name, kept in the index folder in
``watches.json`` (beside the user's entity corrections, and like them kept by ``--rebuild``).
Each one remembers the index generation it was last shown at. Every article document records
the generation of the commit that wrote it (``store.schema.GENERATION_FIELD``: an article
added, or changed and so written again, gets the new one; an unchanged article re-stamped by
an ingest keeps its own), so "what is new since I last looked" is the filter *article
generation > last seen*, applied like any other filter, before ranking.

``watch show NAME --new`` lists those hits and then records the generation it read (the
searcher's, not the newest on disk: a commit landing meanwhile stays new); ``--peek`` leaves
it. Exit 0 when there are new hits, 1 when none, so cron can run
``searchkit watch show border --new && mail ...``. After each ingest, the summary says which
saved searches have new passages (:func:`new_counts`).

A rebuilt index starts its generations again; the marker's ``index_id`` tells it apart, and
then every match of a saved search counts as new once (a note says so).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import IndexReadOnly, NotFound, QuerySyntax, SearchkitError

from .store.folder import WATCHES

WATCHES_FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FILTER_KEYS = ("person", "org", "place", "group", "site", "since", "until", "in_article")


class WatchFileDamaged(SearchkitError):
    """``watches.json`` cannot be read (hand-edited, or damaged)."""


@dataclass(frozen=True)
class Watch:
    """One saved search."""

    name: str
    query: str
    filters: dict[str, Any] = field(default_factory=dict)
    any_word: bool = False
    exact: bool = False
    created: str = ""
    seen_generation: int = 0
    """The index generation it was last shown at (``--new`` lists articles written after it)."""
    index_id: str | None = None
    """The ``index_id`` of the index it was last shown on (None: an index without one)."""
    shown: str | None = None
    """When ``--new`` last marked its hits seen (ISO 8601, UTC)."""

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "filters": self.filters, "any": self.any_word, "exact": self.exact,
                "created": self.created, "seen_generation": self.seen_generation, "index_id": self.index_id,
                "shown": self.shown}

    @classmethod
    def from_json(cls, name: str, d: dict[str, Any]) -> Watch:
        filters = d.get("filters", {})
        if not isinstance(d.get("query"), str) or not isinstance(filters, dict) or \
                any(k not in FILTER_KEYS for k in filters) or not isinstance(d.get("seen_generation", 0), int):
            raise ValueError(f"saved search {name!r} is malformed")
        return cls(name, d["query"], dict(filters), bool(d.get("any", False)), bool(d.get("exact", False)),
                   str(d.get("created", "")), int(d.get("seen_generation", 0)), d.get("index_id"), d.get("shown"))

    def search_args(self) -> dict[str, Any]:
        """Keyword arguments of ``SearchIndex.search`` / ``stream`` for this saved search."""
        return {"operator": "or" if self.any_word else "and", "exact": self.exact, **self.filters}

    def describe(self) -> str:
        """``"border closure" person=lukashenko --any``: the saved search on one line."""
        parts = [json.dumps(self.query, ensure_ascii=False) if self.query else "(filters only)"]
        for k, v in self.filters.items():
            if k == "in_article":
                parts.append("--in-article")
            else:
                parts.append(f"{k}={','.join(v) if isinstance(v, list) else v}")
        parts += ["--any"] * self.any_word + ["--exact"] * self.exact
        return " ".join(parts)


# --- the file -----------------------------------------------------------------------------------


def parse_watches(text: str) -> dict[str, Watch]:
    """The saved searches in a ``watches.json`` text; ValueError says what is wrong."""
    d = json.loads(text)
    if not isinstance(d, dict) or d.get("format") != WATCHES_FORMAT or not isinstance(d.get("watches"), dict):
        raise ValueError(f"not a format {WATCHES_FORMAT} saved-searches file")
    out = {}
    for name, w in d["watches"].items():
        if not isinstance(w, dict) or not _NAME.match(name):
            raise ValueError(f"saved search {name!r} is malformed")
        out[name] = Watch.from_json(name, w)
    return out


def read_watches(folder: Path) -> dict[str, Watch]:
    """The index's saved searches (none when the file is not there)."""
    path = folder / WATCHES
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise WatchFileDamaged(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from e
    try:
        return parse_watches(text)
    except (ValueError, TypeError) as e:
        raise WatchFileDamaged(f"{path} is damaged: {e}",
                               hint=f"fix it by hand, or delete it to start again ({WATCHES})") from e


def write_watches(folder: Path, watches: dict[str, Watch]) -> None:
    """Replace ``watches.json`` atomically."""
    payload = {"format": WATCHES_FORMAT, "watches": {n: w.to_json() for n, w in sorted(watches.items())}}
    tmp = folder / (WATCHES + ".tmp")
    try:
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, folder / WATCHES)
    except OSError as e:
        raise IndexReadOnly(f"cannot save the saved searches in {folder}: {e.strerror}",
                            hint="saved searches live in the index folder, which must be writable") from e


def validate_watches(folder: Path) -> str | None:
    """What is wrong with the index's ``watches.json`` (for ``check``), or None."""
    try:
        read_watches(folder)
    except WatchFileDamaged as e:
        return str(e).replace(str(folder / WATCHES), WATCHES)
    return None


# --- the operations -----------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def get_watch(watches: dict[str, Watch], name: str) -> Watch:
    """The saved search ``name``; NotFound names the ones there are."""
    if name not in watches:
        known = ", ".join(sorted(watches)) or "none yet"
        raise NotFound(f"no saved search {name!r}", hint=f"saved searches: {known}")
    return watches[name]


def add_watch(idx: Any, name: str, query: str, filters: dict[str, Any], *, any_word: bool = False,
              exact: bool = False) -> tuple[Watch, int]:
    """Save a search (checked by running it once); return it and how many passages match now.
    It starts caught up: ``--new`` lists what later ingests add."""
    if not _NAME.match(name):
        raise QuerySyntax(f"{name!r} is not a name for a saved search",
                          hint="letters, digits, '.', '_' and '-', up to 64, starting with a letter or digit")
    watches = read_watches(idx.path)
    if name in watches:
        raise QuerySyntax(f"a saved search {name!r} exists already",
                          hint=f"searchkit watch rm {name} first, or choose another name")
    filters = {k: v for k, v in filters.items() if v and k in FILTER_KEYS}
    if not query.strip() and not any(v for k, v in filters.items() if k != "in_article"):
        raise QuerySyntax("a saved search needs a query or a filter")
    watch = Watch(name, query, filters, any_word, exact, _now(), idx.generation, idx.identity()["index_id"])
    result = idx.search(query, limit=1, exact_total=True, **watch.search_args())  # raises for a bad query
    watches[name] = watch
    write_watches(idx.path, watches)
    return watch, result.total


def remove_watch(folder: Path, name: str) -> Watch:
    watches = read_watches(folder)
    gone = get_watch(watches, name)
    del watches[name]
    write_watches(folder, watches)
    return gone


def seen_generation(idx: Any, watch: Watch) -> tuple[int, bool]:
    """The generation after which articles are new for ``watch``, and whether the index was
    rebuilt since it was last shown (then everything is new: -1)."""
    index_id = idx.identity()["index_id"]
    if watch.index_id is not None and index_id is not None and watch.index_id != index_id:
        return -1, True
    if watch.seen_generation > idx.generation:  # an index without ids, rebuilt
        return -1, True
    return watch.seen_generation, False


def mark_seen(idx: Any, watch: Watch) -> Watch:
    """Record that ``watch`` was shown at the generation ``idx`` reads."""
    watches = read_watches(idx.path)
    current = get_watch(watches, watch.name)
    updated = replace(current, seen_generation=idx.generation, index_id=idx.identity()["index_id"], shown=_now())
    watches[watch.name] = updated
    write_watches(idx.path, watches)
    return updated


def new_counts(index: str | os.PathLike[str]) -> dict[str, int]:
    """Saved search -> passages of articles new to it (for the ingest summary); only those
    with some. Nothing (and no error) for an index without saved searches."""
    from .search import open_index

    folder = Path(index)
    if not (folder / WATCHES).exists():
        return {}
    watches = read_watches(folder)
    out: dict[str, int] = {}
    with open_index(folder) as idx:
        for name, w in watches.items():
            seen, _ = seen_generation(idx, w)
            try:
                r = idx.search(w.query, limit=1, exact_total=True, collapse=False, highlight=False,
                               newer_than=seen, **w.search_args())
            except SearchkitError:
                continue  # a saved search that no longer parses says so in `watch list`
            if r.total:
                out[name] = r.total
    return out


def ingest_line(counts: dict[str, int]) -> str | None:
    """``saved searches with new passages: border (3), volodin (1)`` (None: none)."""
    if not counts:
        return None
    return "saved searches with new passages: " + ", ".join(f"{n} ({c:,})" for n, c in
                                                            sorted(counts.items(), key=lambda x: (-x[1], x[0])))


# --- the commands' bodies -----------------------------------------------------------------------


def watch_rows(idx: Any) -> list[dict[str, Any]]:
    """Each saved search with how many passages match now and how many are new to it."""
    rows = []
    for name, w in sorted(read_watches(idx.path).items()):
        row = {"name": name, **w.to_json(), "matches": None, "new": None, "error": None}
        try:
            row["matches"] = idx.search(w.query, limit=1, exact_total=True, collapse=False, highlight=False,
                                        **w.search_args()).total
            row["new"] = idx.search(w.query, limit=1, exact_total=True, collapse=False, highlight=False,
                                    newer_than=seen_generation(idx, w)[0], **w.search_args()).total
        except SearchkitError as e:
            row["error"] = str(e)
        rows.append(row)
    return rows


def print_watch_rows(console: Any, rows: list[dict[str, Any]]) -> None:
    from rich.text import Text

    from .inert import inert
    from .render import plural

    if not rows:
        console.print(Text("no saved searches (add one: searchkit watch add NAME QUERY)", style="dim"))
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        w = Watch.from_json(r["name"], r)
        line = Text(f"{r['name']:<{width}}  ", style="bold").append(inert(w.describe()))
        if r["error"]:
            line.append(f"  error: {inert(r['error'])}", style="red")
        else:
            line.append(f"  {plural(r['matches'], 'passage')}, ", style="dim")
            line.append(f"{r['new']:,} new", style="green" if r["new"] else "dim")
        shown = r["shown"] or "never"
        line.append(f"  (last shown: {shown[:16].replace('T', ' ')})", style="dim")
        console.print(line, soft_wrap=True)
