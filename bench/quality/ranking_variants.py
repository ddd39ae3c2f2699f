"""Ranking ablations: searchkit with one part of its ranking changed or switched off.

Each variant is a :class:`searchkit.settings.RankingParams`, passed to ``open_index`` by
``rank_eval.py --engines 'searchkit[NAME]'``; nothing is patched. No variant changes the index,
so ``rank_eval.py`` builds one index per collection and reuses it. The fields (see
``searchkit/settings.py``):

* ``article_weight``: weight of the article's BM25 over ``body`` added to a passage's score
  (0 ranks passages alone);
* ``skip_stop_words``: an OR query leaves out Snowball's English stop words;
* ``bm25_k1`` / ``bm25_b`` / ``title_boost``: BM25F's constants.

Import this module after ``_common.use_repo_searchkit()``, so that the settings are this
checkout's.
"""

from __future__ import annotations

from dataclasses import replace

from searchkit.settings import RankingParams

TODAY = RankingParams()

VARIANTS: dict[str, RankingParams] = {
    "as-is": TODAY,
    "passages-only": replace(TODAY, article_weight=0.0),
    "keep-stop-words": replace(TODAY, skip_stop_words=False),
    "before": replace(TODAY, bm25_k1=1.5, bm25_b=0.75, title_boost=2.0, article_weight=1.0, skip_stop_words=False),
}
"""``before``: the constants chosen on Cranfield/CISI/MED alone (feedback, since removed, aside)."""
