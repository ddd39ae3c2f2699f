"""Search through the library API on an index of corpus/, and ranking on a corpus built for it
(both written without NER: see ``conftest.articles_from_files``)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.errors import IndexMissing, NotAnIndex, NotFound, QuerySyntax
from searchkit.ingest import write_articles
from searchkit.settings import RankingParams, SearchLimits

from .conftest import articles_from_files, run_cli

BORDER = "The border closure comes after six weeks"


@pytest.fixture()
def idx(corpus_handmade_index: Path):  # type: ignore[no-untyped-def]
    with searchkit.open_index(corpus_handmade_index) as index:
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


def test_counting_stops_at_the_cap_unless_exact_is_asked(idx, corpus_handmade_index: Path  # type: ignore[no-untyped-def]
                                                         ) -> None:
    full = idx.search("lukashenko OR belarus OR border", exact_total=True)
    assert full.total_exact and full.total > 3
    with searchkit.open_index(corpus_handmade_index, limits=replace(SearchLimits(), count_cap=3)) as small_cap:
        capped = small_cap.search("lukashenko OR belarus OR border")
        exact = small_cap.search("lukashenko OR belarus OR border", exact_total=True)
    # Counting stops at the cap or at the hits returned, whichever is more: never below them.
    assert (capped.total, capped.total_exact) == (len(capped.hits), False) and len(capped.hits) > 3
    assert capped.to_dict()["total_exact"] is False
    assert [h.passage_id for h in capped.hits] == [h.passage_id for h in full.hits]
    assert (exact.total, exact.total_exact) == (full.total, True)


def test_facet_counts_agree_whichever_way_they_are_counted(idx, corpus_handmade_index: Path  # type: ignore[no-untyped-def]
                                                           ) -> None:
    by_passage = idx.search("", facets=True).facets
    by_postings = replace(SearchLimits(), facet_scan_below=0)  # walk the entities' postings instead
    with searchkit.open_index(corpus_handmade_index, limits=by_postings) as other:
        by_entity = other.search("", facets=True).facets
    assert by_passage == by_entity
    assert dict(by_entity["person"])["Alexander Lukashenko"] >= 3
    with searchkit.open_index(corpus_handmade_index, limits=replace(by_postings, facet_top=2)) as other:
        top2 = other.search("", facets=True).facets
    assert all(list(top2[f]) == list(by_passage[f])[:2] for f in top2)


def test_no_hits_suggests_a_close_term(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("lukashenka")
    assert result.hits == ()
    assert result.suggestion == "lukashenko"


def test_a_short_word_is_not_corrected_into_an_unrelated_common_one(idx) -> None:  # type: ignore[no-untyped-def]
    # 'at&t' is two edits from 'at', a word of every passage: not a spelling of it.
    result = idx.search("AT&T")
    assert result.hits == ()
    assert result.suggestion is None
    assert idx.search("bordr").suggestion == "border"  # one edit in a short word still is


@pytest.mark.parametrize(("typed", "suggested", "offered"), [
    ("at&t", "at", False), ("brwn", "brown", True), ("blari", "blair", True), ("ox", "on", False),
    ("lukashenka", "lukashenko", True), ("putn", "putin", True), ("cat", "hat", True), ("merkle", "markel", True),
    ("stalin", "staff", False)])
def test_plausible_correction_allows_more_edits_in_longer_words(typed: str, suggested: str, offered: bool) -> None:
    from searchkit.search.hints import plausible_correction

    assert plausible_correction(typed, suggested) is offered


@pytest.mark.parametrize("bad", ['"unclosed phrase', "(border", "nosuchfield:x", "border AND", "body:border"])
def test_bad_syntax_raises_query_syntax(idx, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuerySyntax):
        idx.search(bad)


def test_an_unexpected_failure_is_an_internal_error_not_the_users_query(corpus_handmade_index: Path, tmp_path: Path
                                                                         ) -> None:
    """A failure past the query checks is searchkit's, not the query's: exit 2, one line that
    says it is a bug, no traceback (unless SEARCHKIT_DEBUG=1). Forced here by stored documents
    that no longer decompress (Whoosh reads them only for the hits, after the query ran)."""
    index = tmp_path / "index"
    shutil.copytree(corpus_handmade_index, index)
    for stored in index.glob("*._stored.col"):
        data = bytearray(stored.read_bytes())
        lo, hi = len(data) // 8, len(data) - len(data) // 8  # same size: the open-time check passes
        data[lo:hi] = b"\xff" * (hi - lo)
        stored.write_bytes(bytes(data))
    r = run_cli("search", "border OR belarus", "--index", index, "-n", "50")
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "this is a bug" in lines[0], r.stderr
    assert "Traceback" not in r.stderr and "cannot run the query" not in r.stderr
    debug = run_cli("search", "border OR belarus", "--index", index, "-n", "50", env={"SEARCHKIT_DEBUG": "1"})
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "InternalError" in debug.stderr


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
@given(st.text(alphabet=st.sampled_from(list("abcdeyzAEIÖÉß'’.-_ 0123456789\n,;&+#/$£")) | st.characters(), max_size=200))
def test_highlighting_tokenises_exactly_as_the_index_does(text: str) -> None:
    from searchkit.store.analysis import token_spans
    from searchkit.store.schema import build_schema

    schema = build_schema()
    spans = token_spans(text)  # what the highlighter marks
    for field, form in (("text", 2), ("exact", 3)):
        indexed = [(t.startchar, t.endchar, t.text) for t in schema[field].analyzer(text, chars=True)]
        assert indexed == [(s[0], s[1], s[form]) for s in spans]
    from searchkit.store.analysis import token_terms

    assert token_terms(text) == tuple((s[2], s[3]) for s in spans)  # what the ingest writer indexes


def test_passages_follow_their_article_document(corpus_handmade_index: Path) -> None:
    """The order --in-article relies on: each article document, then its passages."""
    from whoosh import index as windex

    ix = windex.open_dir(str(corpus_handmade_index))
    with ix.searcher() as s:
        current = None
        for docnum, fields in enumerate(s.reader().all_stored_fields()):
            if "record" in fields:
                current = fields["article_id"]
            else:
                assert fields["article_id"] == current, docnum
    ix.close()


def test_article_documents_never_come_back_as_hits(idx) -> None:  # type: ignore[no-untyped-def]
    result = idx.search("border OR belarus", collapse=False, limit=1000)
    assert result.hits and len(result.hits) == result.total
    assert all(h.passage_id.startswith(h.article_id + ":") for h in result.hits)
    # NOT in an OR query matches every document without the word: the article records too.
    negated = idx.search("border NOT berlin", operator="or", collapse=False, limit=1000)
    assert negated.hits and len(negated.hits) == negated.total
    assert all(h.passage_id.startswith(h.article_id + ":") for h in negated.hits)


# --- ranking: the article score, query-time stop words, the title weight ---------------------------------------

def _filler(topic: str) -> dict[str, str]:
    paragraphs = [
        f"The {topic} reopened this week after a long winter, and the owners said trade had picked up "
        f"sooner than expected. Visitors queued outside the {topic} from early morning.",
        f"Council members visited the {topic} on Tuesday to discuss staffing, rents and the cost of repairs "
        f"to the old roof, which leaks whenever it rains heavily.",
        f"Local residents have long argued that the {topic} deserves more public money, and a petition "
        f"with several thousand signatures was handed to the mayor last month.",
    ]
    return {"id": f"filler-{topic}", "title": f"Busy season at the {topic}", "text": "\n\n".join(paragraphs)}


RANKING_ARTICLES = [
    # An article about avalanches throughout (one mention a paragraph, none in the title) ...
    {"id": "focus", "title": "Snow danger closes the pass", "text": "\n\n".join([
        "Forecasters warned that the avalanche risk above the village is the highest of any winter since "
        "records began, after heavy snow fell on a weak layer.",
        "The avalanche that closed the pass road on Sunday buried two parked cars; engineers expect the "
        "road to stay shut for a week while they clear it.",
        "Guides who lead walkers across the slopes have moved their routes twice, because the avalanche "
        "danger is now too high on the northern side.",
        "Researchers plan to trigger a controlled avalanche next spring with explosives to make the slope "
        "safe during the busiest weeks."])},
    # ... and one whose short paragraph mentions an avalanche in passing.
    {"id": "mention", "title": "Regional budget approved", "text": "\n\n".join([
        "The regional assembly approved next year's budget on Thursday after a long debate about road "
        "maintenance, school buildings, bus subsidies and the salaries of hospital staff.",
        "Tourism officials asked for money to advertise the avalanche courses that visitors enjoy.",
        "Opposition members said the budget relied on optimistic forecasts of tax income and warned that "
        "cuts would follow if the economy slowed during the coming winter."])},
    # Two articles that answer a question share words (moraine, crevasse, ablation) with a third
    # that has only one of the question's words ...
    {"id": "answer-1", "title": "Why alpine glaciers are shrinking", "text": "\n\n".join([
        "Alpine glaciers are shrinking fast because summer ablation now outpaces winter snowfall, "
        "leaving bare moraine where the ice stood a generation ago.",
        "Each crevasse widens as the ice thins, and the moraine below the snout grows every year."])},
    {"id": "answer-2", "title": "Glaciers shrinking across the Alps", "text":
        "Survey teams found glaciers shrinking at record speed: ablation stakes drilled in spring had melted "
        "out by August, and a new crevasse field opened above the moraine."},
    {"id": "related", "title": "Mapping the valley floor", "text": "\n\n".join([
        "Geologists mapped every moraine ridge and crevasse scar on the valley floor, and measured ablation "
        "on the remaining ice with stakes and drones, in the alpine summer.",
        "Their moraine survey shows the ice retreating each summer, with ablation highest on the lower "
        "slopes and each crevasse a little wider than the year before."])},
    # ... and one has another of the question's words in an unrelated story.
    {"id": "unrelated", "title": "Ski race results", "text":
        "The ski race was fast this year: the winner finished the downhill course in under two minutes, "
        "ahead of last season's champion."},
    # Enough other articles for document frequencies to mean something (feedback skips words
    # found in more than a tenth of the articles).
    *(_filler(t) for t in ("orchard", "harbour", "railway", "library", "bakery", "vineyard", "stadium",
                           "brewery", "museum", "ferry", "quarry", "sawmill", "lighthouse", "market",
                           "theatre", "airport", "hospital", "tannery", "observatory", "cathedral",
                           "pottery", "textile", "fishery", "dairy", "foundry", "printing", "canal",
                           "orchestra", "bridge", "tramway")),
]
QUESTION = "why are alpine glaciers shrinking so fast"


@pytest.fixture(scope="module")
def ranking_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ranking")
    docs = folder / "articles.jsonl"
    docs.write_text("\n".join(json.dumps(a) for a in RANKING_ARTICLES) + "\n", encoding="utf-8")
    assert write_articles(folder / "index", articles_from_files([docs])).failed == []
    return folder / "index"


@pytest.fixture(scope="module")
def ranked(ranking_index: Path):  # type: ignore[no-untyped-def]
    with searchkit.open_index(ranking_index) as index:
        yield index


def test_an_article_about_the_query_outranks_a_passing_mention(ranked, ranking_index: Path
                                                               ) -> None:  # type: ignore[no-untyped-def]
    hits = ranked.search("avalanche").hits
    assert [h.title for h in hits] == ["Snow danger closes the pass"] * 2 + ["Regional budget approved"]
    assert [h.rank for h in hits] == [1, 2, 3] and hits[0].score >= hits[1].score >= hits[2].score
    # By its passages alone the short passing mention would come first: the article score decides.
    with searchkit.open_index(ranking_index, ranking=replace(RankingParams(), article_weight=0.0)) as passages_only:
        assert passages_only.search("avalanche").hits[0].title == "Regional budget approved"


def test_the_article_score_keeps_limit_collapse_filters_and_highlights(ranked) -> None:  # type: ignore[no-untyped-def]
    top = ranked.search("avalanche", limit=1).hits
    assert len(top) == 1 and top[0].title == "Snow danger closes the pass"
    assert [top[0].text[h.start:h.end].lower() for h in top[0].highlights] == ["avalanche"]
    every = ranked.search("avalanche", collapse=False)
    assert [h.title for h in every.hits] == ["Snow danger closes the pass"] * 4 + ["Regional budget approved"]
    assert every.total == 5
    assert ranked.search("avalanche", since="2030").hits == ()


def test_a_long_question_is_ranked_without_feedback_words(ranked) -> None:  # type: ignore[no-untyped-def]
    # No pseudo-relevance feedback: the articles that answer the question come first, and an
    # article with none of its words but many of the answers' (moraine, crevasse, ablation) is
    # not pulled above one that shares a word with it.
    titles = list(dict.fromkeys(h.title for h in ranked.search(QUESTION, operator="or").hits))
    assert set(titles[:2]) == {"Why alpine glaciers are shrinking", "Glaciers shrinking across the Alps"}
    assert titles.index("Ski race results") < titles.index("Mapping the valley floor")


def _ranking(index, q: str, op: str = "or") -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(h.passage_id, h.score) for h in index.search(q, operator=op, limit=50).hits]


def test_an_or_query_leaves_out_stop_words(ranked, ranking_index: Path) -> None:  # type: ignore[no-untyped-def]
    # "which", "why", "so" and "during" are Snowball stop words (not in the index's own list):
    # in an OR query they neither match nor score.
    assert _ranking(ranked, "which avalanche why so") == _ranking(ranked, "avalanche")
    assert _ranking(ranked, "alpine during glaciers") == _ranking(ranked, "alpine glaciers")
    # Passages with only "which" are matched when asked for the word alone ...
    alone = ranked.search("which", operator="or", collapse=False, limit=1000)
    assert alone.total > 0 and all("which" in h.text.lower() for h in alone.hits)
    # ... and by an AND query, which keeps every word, and by a phrase.
    both = ranked.search("who avalanche", operator="and", collapse=False, limit=1000).hits
    assert both and all("who" in h.text.lower().split() for h in both)
    assert len(both) < ranked.search("avalanche", collapse=False, limit=1000).total
    assert _ranking(ranked, '"guides who" OR glaciers') != _ranking(ranked, "guides OR glaciers")
    with searchkit.open_index(ranking_index, ranking=replace(RankingParams(), skip_stop_words=False)) as keep:
        assert _ranking(keep, "which avalanche why so") != _ranking(keep, "avalanche")


def test_the_title_weight_is_applied_at_query_time(ranking_index: Path) -> None:
    # "alpine" is in the title (and text) of one answer and only in the text of "Mapping the
    # valley floor": a heavier title weight widens the answer's lead, with the same index.
    def lead(boost: float) -> float:
        with searchkit.open_index(ranking_index, ranking=replace(RankingParams(), title_boost=boost,
                                                                  article_weight=0.0)) as index:
            hits = index.search("alpine", operator="or").hits
            by_title: dict[str, float] = {}
            for h in hits:
                by_title.setdefault(h.title or "", h.score)
            return by_title["Why alpine glaciers are shrinking"] - by_title["Mapping the valley floor"]

    assert lead(1.0) < lead(2.0) < lead(4.0)


def test_hits_carry_their_articles_source_id(ranked, idx) -> None:  # type: ignore[no-untyped-def]
    top = ranked.search("avalanche").hits[0]
    assert top.source_id == f"{top.path}#focus"  # a JSONL line with an "id"
    hit = idx.search("border closure").hits[0]
    assert hit.source_id == hit.path and hit.path.endswith("sofrep-belarus-border.txt")


@pytest.mark.parametrize("query", [QUESTION, "avalanche road pass", "moraine crevasse ablation glaciers alpine",
                                   "avalanche avalanche danger", "nosuchword avalanche"])
def test_or_questions_scored_term_at_a_time_score_as_whoosh_does(ranked, query: str) -> None:  # type: ignore[no-untyped-def]
    from whoosh.collectors import TopCollector

    from searchkit.search.ranking import or_scores

    q = ranked.parse_query(query, "or")
    searcher = ranked._searcher
    ours = or_scores(searcher, q)
    top = TopCollector(10_000, usequality=False, replace=0)
    searcher.search_with_collector(q, top)
    results = top.results()
    whoosh = {results.docnum(i): results.score(i) for i in range(results.scored_length())}
    assert ours is not None and set(ours) == set(whoosh) and whoosh
    assert all(ours[d] == pytest.approx(whoosh[d], rel=1e-9) for d in whoosh)
    # Every match is counted: the total of an OR question is exact.
    result = ranked.search(query, operator="or", limit=3)
    assert result.total == len({d for d in whoosh}) and result.total_exact


def test_queries_other_than_an_or_of_words_are_left_to_whoosh(ranked) -> None:  # type: ignore[no-untyped-def]
    from searchkit.search.ranking import or_scores

    for query in ('"alpine glaciers" shrinking', "glaci* shrinking", "alpine NOT ski", "title:alpine OR ski~1"):
        assert or_scores(ranked._searcher, ranked.parse_query(query, "or")) is None, query


def test_length_bytes_read_in_one_go_are_whooshs_own(idx) -> None:  # type: ignore[no-untyped-def]
    # The query path reads a segment's field lengths straight from the column file; they must
    # be the bytes Whoosh's own (document-at-a-time) reader gives.
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    from searchkit.store.whoosh_ext import length_bytes

    checked = 0
    for sub, _ in idx._searcher.leaf_searchers():
        reader = sub.reader()
        for fieldname in ("text", "title", "body", "exact"):
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            assert list(length_bytes(reader, fieldname) or []) == list(column.load() if column is not None else [])
            checked += column is not None
    assert checked >= 4


def test_quickly_opened_columns_hold_whooshs_values(idx) -> None:  # type: ignore[no-untyped-def]
    from searchkit.store.whoosh_ext import column_reader

    for sub, _ in idx._searcher.leaf_searchers():
        reader = sub.reader()
        for fieldname in ("article_id", "person", "place", "date"):
            if reader.has_column(fieldname):
                whoosh = reader.column_reader(fieldname, translate=False)
                assert list(column_reader(reader, fieldname)) == list(whoosh) and len(list(whoosh)) > 0


_HIGHLIGHT_WORDS = ["Running", "runs", "US", "us", "U.S.", "AT&T", "&", "and", "Blair's", "£1.5bn", "C++", ".NET",
                    "İstanbul", "Yield", "yields", "dying", "skies", "COVID-19", "9/11", "Ärger", "the", "x"]


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(_HIGHLIGHT_WORDS), min_size=1, max_size=15),
       query=st.lists(st.sampled_from(_HIGHLIGHT_WORDS), min_size=1, max_size=3))
def test_highlights_mark_every_token_whose_form_the_query_matched(words: list[str], query: list[str]) -> None:
    # The shortcut (forms computed only for tokens that can begin a term) marks what
    # comparing every token's forms marks.
    from searchkit.search.highlight import highlight_spans
    from searchkit.store.analysis import token_spans

    text = " ".join(words)
    spans = token_spans(" ".join(query))
    terms = (frozenset(s[2] for s in spans), frozenset(s[3] for s in spans))
    every = [(s, e) for s, e, norm, exact in token_spans(text) if norm in terms[0] or exact in terms[1]]
    assert [(h.start, h.end) for h in highlight_spans(text, terms)] == every
