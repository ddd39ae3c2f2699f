"""Search through the library API on an index of corpus/."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.errors import IndexMissing, NotAnIndex, NotFound, QuerySyntax

BORDER = "The border closure comes after six weeks"


@pytest.fixture()
def idx(corpus_index: Path):  # type: ignore[no-untyped-def]
    with searchkit.open_index(corpus_index) as index:
        yield index


def test_border_closure_ranks_the_seed_passage_first(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("border closure")
    assert result.hits[0].text.startswith(BORDER)
    hit = result.hits[0]
    marked = [hit.text[h.start:h.end].lower() for h in hit.highlights]
    assert "border" in marked and "closure" in marked


def test_person_filter_keeps_or_drops_the_passage(idx) -> None:  # type: ignore[no-untyped-def]
    kept = idx.search("border closure", person="lukashenko")
    assert kept.hits and kept.hits[0].text.startswith(BORDER)
    assert "Alexander Lukashenko" in kept.hits[0].entities["person"] or \
        "Lukashenko" in kept.hits[0].entities["person"]
    dropped = idx.search("border closure", person="navalny")
    assert all(not h.text.startswith(BORDER) for h in dropped.hits)


def test_in_article_widens_entity_filters_to_the_article(idx) -> None:  # type: ignore[no-untyped-def]
    passage_only = idx.search("border closure", person="navalny")
    article_wide = idx.search("border closure", person="navalny", in_article=True)
    assert not any(h.text.startswith(BORDER) for h in passage_only.hits)
    assert article_wide.hits[0].text.startswith(BORDER)


def test_unknown_entity_filter_matches_nothing(idx) -> None:  # type: ignore[no-untyped-def]
    assert idx.search("border", person="nobody-at-all").hits == ()


def test_site_and_date_filters(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("", site="Baltic Ledger", since="2020-10", limit=50)
    assert result.hits
    assert {h.site for h in result.hits} == {"Baltic Ledger"}
    assert all(h.date is not None and h.date >= "2020-10" for h in result.hits)
    until = idx.search("", until="2020-09-21", limit=50)
    assert until.hits and all(h.date is not None and h.date[:10] <= "2020-09-21" for h in until.hits)


def test_at_most_two_passages_per_article_unless_asked(idx) -> None:  # type: ignore[no-untyped-def]
    collapsed = idx.search("lukashenko OR belarus", limit=100)
    per_article: dict[str, int] = {}
    for h in collapsed.hits:
        per_article[h.article_id] = per_article.get(h.article_id, 0) + 1
    assert max(per_article.values()) <= 2
    everything = idx.search("lukashenko OR belarus", limit=100, collapse=False)
    assert len(everything.hits) > len(collapsed.hits)


def test_query_syntax_phrase_not_wildcard_and_fields(idx) -> None:  # type: ignore[no-untyped-def]
    assert idx.search('"border closure"').hits[0].text.startswith(BORDER)
    assert idx.search('"closure border"').hits == ()
    assert idx.search("lukash*").hits
    assert not any("Navalny" in h.text for h in idx.search("navalny NOT berlin", collapse=False).hits
                   if "Berlin" in h.text)
    assert idx.search("title:farmers").hits[0].title == "Polish farmers count the cost of closed crossings"
    assert idx.search("lukashenkko~").hits


def test_or_operator_finds_more_than_and(idx) -> None:  # type: ignore[no-untyped-def]
    both = idx.search("border kaunas")
    either = idx.search("border kaunas", operator="or")
    assert len(either.hits) > len(both.hits)


def test_facets_count_entities_over_all_matches(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("belarus", facets=True, limit=1)
    assert result.facets is not None
    places = dict(result.facets["place"])
    assert places and all(c >= 1 for c in places.values())
    assert None not in places


def test_total_counts_matching_passages_after_filters_before_collapsing(idx) -> None:  # type: ignore[no-untyped-def]
    everything = idx.search("lukashenko OR belarus", limit=10_000, collapse=False)
    assert everything.total_exact and everything.total == len(everything.hits)
    collapsed = idx.search("lukashenko OR belarus", limit=1)
    assert collapsed.total == everything.total and len(collapsed.hits) == 1
    filtered = idx.search("lukashenko OR belarus", limit=10_000, collapse=False, person="navalny")
    assert 0 < filtered.total == len(filtered.hits) < everything.total
    for h in idx.search("lukashenko OR belarus", limit=100, person="lukashenko").hits:
        assert "Alexander Lukashenko" in h.entities["person"]


def test_collapsing_holds_with_filters(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("lukashenko OR belarus OR border", limit=100, place="belarus")
    per_article: dict[str, int] = {}
    for h in result.hits:
        per_article[h.article_id] = per_article.get(h.article_id, 0) + 1
    assert result.hits and max(per_article.values()) <= 2


def test_counting_stops_at_the_cap_unless_exact_is_asked(idx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from searchkit import search as search_module

    full = idx.search("lukashenko OR belarus OR border", exact_total=True)
    assert full.total_exact and full.total > 3
    monkeypatch.setattr(search_module, "COUNT_CAP", 3)
    capped = idx.search("lukashenko OR belarus OR border")
    assert (capped.total, capped.total_exact) == (3, False)
    assert capped.to_dict()["total_exact"] is False
    assert [h.passage_id for h in capped.hits] == [h.passage_id for h in full.hits]
    exact = idx.search("lukashenko OR belarus OR border", exact_total=True)
    assert (exact.total, exact.total_exact) == (full.total, True)


def test_facet_counts_agree_whichever_way_they_are_counted(idx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from searchkit import search as search_module

    by_passage = idx.search("", facets=True).facets
    monkeypatch.setattr(search_module, "FACET_SCAN_BELOW", 0)  # walk the entities' postings instead
    by_entity = idx.search("", facets=True).facets
    assert by_passage == by_entity
    assert dict(by_entity["person"])["Alexander Lukashenko"] >= 3
    monkeypatch.setattr(search_module, "FACET_TOP", 2)
    top2 = idx.search("", facets=True).facets
    assert all(list(top2[f]) == list(by_passage[f])[:2] for f in top2)


def test_no_hits_suggests_a_close_term(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("lukashenka")
    assert result.hits == ()
    assert result.suggestion == "lukashenko"


@pytest.mark.parametrize("bad", ['"unclosed phrase', "(border", "nosuchfield:x", "border AND"])
def test_bad_syntax_raises_query_syntax(idx, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuerySyntax):
        idx.search(bad)


def test_bad_dates_raise_query_syntax(idx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuerySyntax):
        idx.search("border", since="last tuesday")
    with pytest.raises(QuerySyntax):
        idx.search("border", since="2021", until="2020")


def test_show_article_rebuilds_clean_text_and_metadata(idx) -> None:  # type: ignore[no-untyped-def]
    hit = idx.search("border closure").hits[0]
    article = idx.article(hit.article_id)
    assert BORDER in article.text
    assert article.passages[hit.ordinal].text == hit.text
    assert idx.article(hit.article_id[:6]).article_id == hit.article_id
    with pytest.raises(NotFound):
        idx.article("ffffffffffff")


def test_similar_finds_related_passages(idx) -> None:  # type: ignore[no-untyped-def]
    hit = idx.search("border closure").hits[0]
    similar = idx.similar(hit.passage_id, limit=5)
    assert similar.hits
    assert hit.passage_id not in {h.passage_id for h in similar.hits}
    with pytest.raises(NotFound):
        idx.similar("nope:1")


def test_stats_counts_articles_and_passages(idx) -> None:  # type: ignore[no-untyped-def]
    st = idx.stats()
    assert st.articles == 6
    assert st.passages > st.articles
    assert ("Baltic Ledger", 4) in st.sites
    assert st.first_date == "2020-09-21" and st.last_date == "2020-11-05"


def test_limit_is_bounded(idx) -> None:  # type: ignore[no-untyped-def]
    assert len(idx.search("the OR belarus", limit=10**12, collapse=False).hits) <= 10_000


def test_opening_a_missing_or_foreign_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        searchkit.open_index(tmp_path / "nope")
    (tmp_path / "junk.txt").write_text("not an index")
    with pytest.raises(NotAnIndex):
        searchkit.open_index(tmp_path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdeyzAEIÖÉß'’.-_ 0123456789\n,;")) | st.characters(), max_size=200))
def test_highlighting_tokenises_exactly_as_the_index_does(text: str) -> None:
    from searchkit.schema import build_schema
    from searchkit.search import _token_stems

    analyzer = build_schema()["text"].analyzer
    fast = _token_stems(analyzer)
    assert fast is not None
    expected = [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True, removestops=True)]
    assert fast(text) == expected


def test_passages_follow_their_article_document(corpus_index: Path) -> None:
    """The order --in-article relies on: each article document, then its passages."""
    from whoosh import index as windex

    ix = windex.open_dir(str(corpus_index))
    with ix.searcher() as s:
        current = None
        for docnum, fields in enumerate(s.reader().all_stored_fields()):
            if "record" in fields:
                current = fields["article_id"]
            else:
                assert fields["article_id"] == current, docnum
    ix.close()
