"""Hand-made articles written straight to an index: search, filters and show see them as ingest's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import searchkit
from searchkit.ingest import write_articles
from searchkit.records import Article

from .conftest import HANDMADE, make_article


def test_an_entity_filter_keeps_the_passages_that_mention_the_entity(handmade_index: Path) -> None:
    with searchkit.open_index(handmade_index) as idx:
        everywhere = idx.search("border", limit=20, collapse=False).hits
        filtered = idx.search("border", limit=20, collapse=False, person="lukashenko").hits
    assert {h.title for h in everywhere} == {a.metadata.title for a in HANDMADE}
    # a bare surname finds the canonical name; the passage about traders in Vilnius does not mention him
    assert sorted(h.text for h in filtered) == sorted([
        "Alexander Lukashenko ordered the border with Lithuania closed on Monday, citing security at the crossings.",
        "Later, Lukashenko warned that the border could close again if the sanctions were extended in spring.",
    ])
    assert all(h.entities["person"] == ("Alexander Lukashenko",) for h in filtered)


def test_in_article_widens_an_entity_filter_to_the_whole_article(handmade_index: Path) -> None:
    with searchkit.open_index(handmade_index) as idx:
        hits = idx.search("border", limit=20, collapse=False, place="vilnius", in_article=True).hits
    assert sorted(h.ordinal for h in hits) == [0, 1]
    assert {h.title for h in hits} == {"Border crossings closed"}


def test_site_and_facets_come_from_the_articles(handmade_index: Path) -> None:
    with searchkit.open_index(handmade_index) as idx:
        result = idx.search("border", site="example.org", facets=True, limit=20, collapse=False)
        assert {h.site for h in result.hits} == {"example.org"}
        assert result.facets is not None
        assert dict(result.facets["person"]) == {"Alexander Lukashenko": 2}
        assert idx.stats().articles == 3


def test_show_returns_the_article_as_written(handmade_index: Path) -> None:
    border = HANDMADE[0]
    with searchkit.open_index(handmade_index) as idx:
        article = idx.article(border.article_id)
    assert article.text == border.text
    assert [p.text for p in article.passages] == [p.text for p in border.passages]
    assert {(e.type, e.name) for e in article.entities} == {(e.type, e.name) for e in border.entities}


def test_writing_an_article_again_replaces_it(build_index: Callable[[Iterable[Article]], Path]) -> None:
    index = build_index(HANDMADE)
    changed = make_article("handmade/rail.txt", "Rail link to Kaunas delayed",
                           ["The opening of the rail link to Kaunas was delayed by a year, the ministry of transport said on Friday."])
    report = write_articles(index, [changed])
    assert (report.new, report.updated, report.articles) == (0, 1, 3)
    with searchkit.open_index(index) as idx:
        assert [h.title for h in idx.search("kaunas", limit=20, collapse=False).hits] == ["Rail link to Kaunas delayed"]

