"""What an ingest did, and how it tells its progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ProgressCallback = Callable[[str, int, int], None]
"""``progress(event, done, total)``: event ``"files"``, files done out of total; event
``"merge"``, segments merged out of total at the end."""


@dataclass
class IngestReport:
    """What an ingest did. ``failed`` lists (where, reason) for files or lines that were skipped."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # read, but repaired on the way
    articles: int = 0  # in the index after the run
    passages: int = 0  # in the index after the run
    seconds: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "pruned": self.pruned, "failed": [{"where": w, "reason": r} for w, r in self.failed],
            "warnings": [{"where": w, "reason": r} for w, r in self.warnings],
            "articles": self.articles, "passages": self.passages,
            "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
        }
