"""Ranking ablations, patched into searchkit in-process for measurement only.

Each variant sets some of ``searchkit.search``'s ranking constants for the duration of a run,
so that ``rank_eval.py --engines 'searchkit[NAME]'`` measures searchkit with one part of its
ranking changed or switched off. No variant changes the index, so ``rank_eval.py`` builds
one index per collection and reuses it. Nothing here is used at runtime.

The constants (see ``searchkit/search.py``):

* ``ARTICLE_WEIGHT``: a hit's score is its passage's BM25F plus this times its article's BM25
  over ``body`` (0 = passages alone, as before schema version 3);
* ``RERANK_DEPTH``: collapsed passages re-ranked (at least ``limit``);
* ``FEEDBACK_MIN_WORDS``: distinct words an OR query needs for pseudo-relevance feedback
  (a huge value switches feedback off);
* ``FEEDBACK_ARTICLES`` / ``FEEDBACK_WORDS`` / ``FEEDBACK_WEIGHT`` / ``FEEDBACK_MAX_DF``: RM3's
  feedback articles, added words, their share of the query, and the document-frequency cap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

OFF = 10**9

VARIANTS: dict[str, dict[str, Any]] = {
    "as-is": {},
    "passages-only": {"ARTICLE_WEIGHT": 0.0, "FEEDBACK_MIN_WORDS": OFF},
    "no-feedback": {"FEEDBACK_MIN_WORDS": OFF},
    "feedback-weight-0.5": {"FEEDBACK_WEIGHT": 0.5},
    "feedback-no-df-cap": {"FEEDBACK_MAX_DF": 1.0},
}


@contextlib.contextmanager
def applied(knobs: dict[str, Any]) -> Iterator[None]:
    """Set ``searchkit.search`` constants for the duration of the block."""
    from searchkit import search

    saved = {name: getattr(search, name) for name in knobs}
    try:
        for name, value in knobs.items():
            setattr(search, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(search, name, value)
