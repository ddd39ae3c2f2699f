"""Ranking ablations: searchkit with one part of its ranking changed or switched off.

Each variant is a :class:`searchkit.settings.RankingParams`, passed to ``open_index`` by
``rank_eval.py --engines 'searchkit[NAME]'``; nothing is patched. No variant changes the index
(none touches ``title_boost``, which is applied when the index is written), so ``rank_eval.py``
builds one index per collection and reuses it. The fields (see ``searchkit/settings.py``):

* ``article_weight``: a hit's score is its passage's BM25F plus this times its article's BM25
  over ``body`` (0 = passages alone, as before schema version 3);
* ``rerank_depth``: collapsed passages re-ranked (at least ``limit``);
* ``feedback_min_words``: distinct words an OR query needs for pseudo-relevance feedback
  (a huge value switches feedback off);
* ``feedback_articles`` / ``feedback_words`` / ``feedback_weight`` / ``feedback_max_df``: RM3's
  feedback articles, added words, their share of the query, and the document-frequency cap.

Import this module after ``_common.use_repo_searchkit()``, so that the settings are this
checkout's.
"""

from __future__ import annotations

from dataclasses import replace

from searchkit.settings import RankingParams

OFF = 10**9

TODAY = RankingParams()

VARIANTS: dict[str, RankingParams] = {
    "as-is": TODAY,
    "passages-only": replace(TODAY, article_weight=0.0, feedback_min_words=OFF),
    "no-feedback": replace(TODAY, feedback_min_words=OFF),
    "feedback-weight-0.5": replace(TODAY, feedback_weight=0.5),
    "feedback-no-df-cap": replace(TODAY, feedback_max_df=1.0),
}
