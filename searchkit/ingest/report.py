"""What an ingest did, and how it tells its progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ProgressCallback = Callable[[str, int, int], None]
"""``progress(event, done, total)``: event ``"files"``, files read out of total; event
``"articles"``, articles done (indexed or failed) out of an estimate of the articles to do —
those planned so far, scaled by the bytes of input not read yet (a 3,000-line JSONL file is
one file, but its articles are counted as soon as it is read); event ``"merge"``, segments
merged out of total at the end."""


@dataclass
class IngestReport:
    """What an ingest did. ``failed`` lists (where, reason) for files or lines that were skipped."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # read, but repaired on the way
    skipped: list[tuple[str, str]] = field(default_factory=list)  # left out on purpose (assets, venvs, images)
    articles: int = 0  # in the index after the run
    passages: int = 0  # in the index after the run
    seconds: float = 0.0
    interrupted: bool = False
    gone: int = 0  # files whose articles are in the index but that are gone from disk (kept: no --prune)
    watches: dict[str, int] = field(default_factory=dict)  # saved search -> passages new to it

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "pruned": self.pruned, "failed": [{"where": w, "reason": r} for w, r in self.failed],
            "warnings": [{"where": w, "reason": r} for w, r in self.warnings],
            "skipped": [{"where": w, "reason": r} for w, r in self.skipped],
            "articles": self.articles, "passages": self.passages,
            "seconds": round(self.seconds, 3), "interrupted": self.interrupted, "gone": self.gone,
            "watches": [{"name": n, "new_passages": c} for n, c in self.watches.items()],
        }
