"""Ranking ablations: searchkit with one part of its ranking changed, for measurement only.

Each variant is a set of :class:`searchkit.settings.RankingParams` fields, passed to
``open_index(ranking=...)``, so that ``rank_eval.py --engines 'searchkit[NAME]'`` measures
searchkit with that change. No variant changes the index, so ``rank_eval.py`` builds one
index per collection and reuses it. The fields (see ``searchkit/settings.py``):

* ``article_weight``: a hit's score is its passage's BM25F plus this times its article's BM25
  over ``body`` (0 = passages alone, as before schema version 3);
* ``skip_stop_words``: an OR query leaves out Snowball's English stop words;
* ``bm25_k1`` / ``bm25_b`` / ``title_boost``: BM25F's constants.
"""

from __future__ import annotations

from typing import Any

VARIANTS: dict[str, dict[str, Any]] = {
    "as-is": {},
    "passages-only": {"article_weight": 0.0},
    "keep-stop-words": {"skip_stop_words": False},
    "before": {"bm25_k1": 1.5, "bm25_b": 0.75, "title_boost": 2.0, "article_weight": 1.0, "skip_stop_words": False},
}


def params(knobs: dict[str, Any]) -> Any:
    """searchkit's ranking settings with ``knobs`` changed."""
    from dataclasses import replace

    from searchkit.settings import RankingParams

    return replace(RankingParams(), **knobs)
