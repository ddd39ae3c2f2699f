"""``similar``: more like this, over the most distinctive terms of a passage or an article.

Its own article is left out, and so are that article's copies (a re-publication of the same
story is the most "similar" text there is, and says nothing new); the other stories' copies
are collapsed as search collapses them, one hit per story with the rest in ``copies``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from whoosh import query as Q

from ..errors import NotFound
from ..results import SearchResult
from ..store.whoosh_ext import FilteredQuery
from .copies import collapse_copies, with_copies
from .filters import FilterValue, build_filters

if TYPE_CHECKING:
    from . import SearchIndex


def similar_passages(index: SearchIndex, target: str, *, limit: int = 10, person: FilterValue = None,
                     org: FilterValue = None, place: FilterValue = None, group: FilterValue = None,
                     site: FilterValue = None, since: str | None = None, until: str | None = None,
                     in_article: bool = False) -> SearchResult:
    """See :meth:`SearchIndex.similar`."""
    t0 = time.perf_counter()
    searcher = index._searcher
    if ":" in target:
        docnum = searcher.document_number(passage_id=target.strip())
        if docnum is None:
            raise NotFound(f"no passage {target!r} in the index",
                           hint="passage ids look like 0f1c63c6d0de:4 (article id, colon, ordinal)")
        article_id = searcher.stored_fields(docnum)["article_id"]
        sources = [docnum]
    else:
        article_id = index._resolve_article_id(target)
        sources = []
    limit = max(1, min(int(limit), index.limits.max_limit))
    table = index.copy_table

    def docs_of(aid: str) -> set[int]:
        return set(searcher.search(Q.Term("article_id", aid), limit=None, scored=False).docs())

    # Other stories' passages only: the rest of the same article is one `show` away, and its
    # copies say the same.
    own = docs_of(article_id)
    same = set(own)
    for other in table.members(article_id):
        if other != article_id:
            same |= docs_of(other)
    sources = sources or sorted(d for d in own if "text" in searcher.stored_fields(d))
    built = build_filters(index._table_on_demand, index.article_passages, index._site_known, person=person, org=org,
                          place=place, group=group, site=site, since=since, until=until, in_article=in_article)
    filters, allowed = built.queries, built.allowed
    if built.empty or not sources:
        return SearchResult(f"similar:{target}", 0, (), None, None, (time.perf_counter() - t0) * 1000)
    terms = searcher.key_terms(sources, "text", numterms=12)
    like = Q.Or([Q.Term("text", word, boost=weight) for word, weight in terms])
    q = FilteredQuery(like, filters[0] if len(filters) == 1 else Q.And(filters)) if filters else like
    # Collapsing copies can leave fewer than ``limit``: ask for a few pages when there are any.
    pool = limit * (3 if table else 1)
    results = searcher.search(q, limit=pool, mask=same, filter=allowed if allowed is not None else None)
    ranked = [(results.docnum(i), results.score(i) or 0.0) for i in range(results.scored_length())]
    ranked = collapse_copies(ranked, index._columns.article_ids(), table)[:limit]
    hits = with_copies((index._hit(i + 1, sc, d, None) for i, (d, sc) in enumerate(ranked)), table)
    return SearchResult(f"similar:{target}", len(hits), hits, None, None, (time.perf_counter() - t0) * 1000)
