"""The query language as a user types it: every word searchable, names with symbols, exact
mode, fields with the filters' semantics, fuzzy words, zero-hit hints and --explain.

Each test runs ``searchkit search`` as a subprocess against one index of hand-made news
passages (real writer, real analyzer; no NER, so it builds in a second).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.errors import QuerySyntax
from searchkit.ingest import write_articles
from searchkit.records import Article
from searchkit.search.query import QUERY_FIELDS

from .conftest import make_article, run_cli

def passage(n: int, text: str, *, title: str = "", date: str = "2020-01-01", site: str = "Wire Digest",
            entities: list = ()) -> Article:  # type: ignore[assignment]
    """An article of one passage (the splitter merges short paragraphs, so one a piece)."""
    return make_article(f"t/{n}.txt", title, [text], entities=entities, date=date, site=site)


ARTICLES = [
    passage(1, "The US trade deficit widened in February, the Commerce Department said on Monday.",
            entities=[("place", "US", ["US"])], date="1987-03-02"),
    passage(2, "Officials told us the gap in the trade balance would narrow by the summer.", date="1987-03-02"),
    passage(20, "The trade deficit of Japan narrowed in the last quarter of the year.", date="1987-03-09"),
    passage(3, "AT&T and M&S both reported higher profits, while the S&P 500 index rose.",
            entities=[("org", "AT&T", ["AT&T"]), ("org", "M&S", ["M&S"])], date="1987-03-04"),
    passage(4, "Procter & Gamble raised its dividend for the tenth year.",
            entities=[("org", "Procter & Gamble", ["Procter & Gamble"])], date="1987-03-04"),
    passage(5, "Marks and Spencer said sales of food were flat."),
    passage(6, "Developers still write C++ and .NET code, and the IT department moved to the cloud.",
            site="Los Angeles Times"),
    passage(7, "It is what it is, the manager said of the net result.", site="Los Angeles Times"),
    passage(8, "Twenty years after 9/11, the airline spent £1.5bn on new jets.", date="2021-09-11"),
    passage(9, "COVID-19 cases rose again as F-35s flew over the base.", date="2021-09-11"),
    passage(10, "The well-known author signed books.", date="2021-09-11"),
    passage(11, "The author was well known in the town of Eleven.", date="2021-09-11"),
    passage(12, "To be or not to be, that is the question, said the actor. Follow us on the stage tonight.",
            date="2019-01-05", site="Los Angeles Times"),
    passage(13, "Follow the money, said the editor, and the story will follow.", date="2019-01-05"),
    passage(14, "Apple sold more phones in March than a year before.", entities=[("org", "Apple", ["Apple"])]),
    passage(15, "She ate an apple at lunch and went back to work."),
    passage(16, "Tony Blair met Gordon Brown in London to discuss the budget.", date="2005-02-01",
            entities=[("person", "Tony Blair", ["Tony Blair"]), ("person", "Gordon Brown", ["Gordon Brown"])]),
    passage(17, "Blair said later that the talks had gone well.", date="2005-02-01",
            entities=[("person", "Blair", ["Blair"])]),
    passage(18, "CLAIRE'S STORES reported a quarterly loss as mall traffic fell.", title="CLAIRE'S STORES posts loss",
            date="1987-03-03"),
    passage(19, "OPEC ministers agreed to cut output from next month.", entities=[("org", "OPEC", ["OPEC"])],
            date="1987-03-10"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("query-language") / "index"
    report = write_articles(path, ARTICLES)
    assert report.failed == [], report.failed
    return path


def search(index: Path, *args: str) -> tuple[int, dict, str]:
    """``searchkit search ARGS --json``: (exit code, the JSON document, stderr)."""
    r = run_cli("search", *args, "--index", index, "--json", "-n", "50")
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout) if r.stdout.strip() else {}, r.stderr


def texts(doc: dict) -> list[str]:
    return [h["text"] for h in doc["hits"]]


def marked(doc: dict) -> set[str]:
    """The highlighted words of every hit."""
    return {h["text"][a:b] for h in doc["hits"] for a, b in h["highlights"]}


# --- every word is indexed --------------------------------------------------------------------

@pytest.mark.parametrize("word, found", [("US", "The US trade deficit"), ("IT", "the IT department")])
def test_a_stop_word_alone_is_searched(index: Path, word: str, found: str) -> None:
    code, doc, _ = search(index, word)
    assert code == 0
    assert any(found in t for t in texts(doc))


def test_a_stop_word_narrows_an_and_query(index: Path) -> None:
    _, with_us, _ = search(index, "US trade deficit")
    _, without, _ = search(index, "trade deficit")
    assert with_us["total"] == 1 < without["total"] == 2
    assert "US" in marked(with_us)


def test_a_quoted_phrase_keeps_its_stop_words(index: Path) -> None:
    code, doc, _ = search(index, '"follow us"')
    assert code == 0 and doc["total"] == 1
    assert "Follow us on the stage" in texts(doc)[0]
    _, follow, _ = search(index, "follow")
    assert follow["total"] == 2


def test_a_phrase_of_stop_words_only(index: Path) -> None:
    code, doc, _ = search(index, '"to be or not to be"')
    assert code == 0 and doc["total"] == 1
    assert texts(doc)[0].startswith("To be or not to be")


# --- names with symbols -----------------------------------------------------------------------

@pytest.mark.parametrize("query, found, marks", [
    ("AT&T", "AT&T and M&S", {"AT&T"}),
    ("M&S", "AT&T and M&S", {"M&S"}),
    ("S&P", "the S&P 500", {"S&P"}),
    ("Procter & Gamble", "Procter & Gamble raised", {"Procter", "&", "Gamble"}),
    ("C++", "write C++ and .NET", {"C++"}),
    (".NET", "write C++ and .NET", {".NET"}),
    ("9/11", "after 9/11", {"9/11"}),
    ("£1.5bn", "£1.5bn on new jets", {"£", "1.5bn"}),
    ("COVID-19", "COVID-19 cases", {"COVID", "19"}),
    ("F-35s", "F-35s flew", {"F", "35s"}),
])
def test_a_name_with_symbols_is_searchable_as_written(index: Path, query: str, found: str, marks: set[str]) -> None:
    code, doc, _ = search(index, query)
    assert code == 0, query
    assert doc["total"] == 1, (query, texts(doc))
    assert found in texts(doc)[0]
    assert marked(doc) == marks


def test_symbols_do_not_match_their_bare_words(index: Path) -> None:
    """M&S is not "Marks and Spencer"'s "s", .NET not "net", 9/11 not "Eleven"."""
    _, ms, _ = search(index, "M&S")
    assert [t[:10] for t in texts(ms)] == ["AT&T and M"]
    _, net, _ = search(index, "net")
    assert texts(net) == ["It is what it is, the manager said of the net result."]


def test_a_hyphenated_word_matches_the_spaced_form_too(index: Path) -> None:
    """A hyphenated query word is a phrase of its parts: it finds "well-known" and "well known"."""
    _, doc, _ = search(index, "well-known")
    assert doc["total"] == 2
    assert marked(doc) == {"well", "known"}


# --- exact mode -------------------------------------------------------------------------------

def test_exact_mode_tells_case_and_stems_apart(index: Path) -> None:
    _, normal, _ = search(index, "us")
    assert normal["total"] == 3  # "US trade", "told us", "Follow us"
    _, exact, _ = search(index, "US", "--exact")
    assert texts(exact) == [ARTICLES[0].passages[0].text]
    _, lower, _ = search(index, "us", "--exact")
    assert sorted(t[:12] for t in texts(lower)) == ["Officials to", "To be or not"]
    _, apple, _ = search(index, "Apple", "--exact")
    assert texts(apple) == ["Apple sold more phones in March than a year before."]
    _, stems, _ = search(index, "phone", "--exact")
    assert stems["total"] == 0  # unstemmed: "phone" is not "phones"


def test_exact_in_the_query_language(index: Path) -> None:
    _, doc, _ = search(index, "exact:apple lunch")
    assert texts(doc) == ["She ate an apple at lunch and went back to work."]
    _, title, _ = search(index, 'exact:"CLAIRE\'S STORES"')
    assert title["total"] == 1


# --- fields -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, flags", [
    ("date:1987", ["--since", "1987", "--until", "1987"]),
    ("date:[19870301 TO 19870303]", ["--since", "1987-03-01", "--until", "1987-03-03"]),
    ("date:2005-02", ["--since", "2005-02", "--until", "2005-02"]),
    ("person:blair", ["--person", "blair"]),
    ("org:opec", ["--org", "OPEC"]),
    ('person:"tony blair"', ["--person", "Tony Blair"]),
    ('site:"los angeles times"', ["--site", "Los Angeles Times"]),
])
def test_a_query_field_matches_as_its_flag_does(index: Path, query: str, flags: list[str]) -> None:
    code, doc, err = search(index, query, "--all-passages")
    assert code == 0, err
    _, by_flag, _ = search(index, "", *flags, "--all-passages")
    assert doc["total"] == by_flag["total"] > 0
    assert {h["passage_id"] for h in doc["hits"]} == {h["passage_id"] for h in by_flag["hits"]}


def test_an_unknown_value_in_a_query_field_says_so(index: Path) -> None:
    code, _, err = search(index, "person:brwn")
    assert code == 1
    assert "no such person in the index: 'brwn'; did you mean: Gordon Brown?" in err


# --- fuzzy ------------------------------------------------------------------------------------

def test_a_fuzzy_word_ranks_the_word_itself_first(index: Path) -> None:
    _, doc, _ = search(index, "blair~1", "--all-passages")
    assert doc["total"] == 3
    assert [("Blair" in t) for t in texts(doc)] == [True, True, False]  # CLAIRE'S last


# --- hints ------------------------------------------------------------------------------------

def test_a_filter_that_empties_the_result_is_named(index: Path) -> None:
    code, _, err = search(index, '"tony blair"', "--since", "2020")
    assert code == 1
    assert "the query matches passages, but none with --since 2020" in err
    assert "did you mean" not in err


def test_an_and_query_without_hits_hints_any(index: Path) -> None:
    code, _, err = search(index, "apple opec")
    assert code == 1
    assert "--any" in err
    code, doc, _ = search(index, "apple opec", "--any")
    assert code == 0 and doc["total"] == 3


@pytest.mark.parametrize("flag, value, expected", [
    ("--person", "gordon brwn", "no such person in the index: 'gordon brwn'; did you mean: Gordon Brown?"),
    ("--site", "los angeles", "no such site in the index: 'los angeles'; did you mean: los angeles times?"),
    ("--person", "nobodyxyz", "no such person in the index: 'nobodyxyz'"),
])
def test_an_unknown_filter_value_says_so(index: Path, flag: str, value: str, expected: str) -> None:
    code, doc, err = search(index, "said", flag, value)
    assert code == 1 and doc["total"] == 0
    assert expected in " ".join(err.split())
    assert doc["hint"].startswith("no such")


# --- explain ----------------------------------------------------------------------------------

def test_explain_lists_matched_terms_fields_and_scores(index: Path) -> None:
    _, doc, _ = search(index, "deficits OR blai*", "--any", "--explain")
    first = doc["hits"][0]["explain"]
    assert {"field": "text", "term": "deficit", "query": "deficits", "how": "stemmed"} in first["matched"]
    for hit in doc["hits"]:
        e = hit["explain"]
        assert e["passage_score"] + e["article_score"] == pytest.approx(hit["score"], abs=1e-3)
    wild = [m for h in doc["hits"] for m in h["explain"]["matched"] if m["how"] == "wildcard"]
    assert {"field": "text", "term": "blair", "query": "blai*", "how": "wildcard"} in wild
    r = run_cli("search", "blair~1", "--explain", "--index", index)
    assert "matched text: blair~1 -> clair (fuzzy)" in r.stdout
    assert "score = passage" in r.stdout


# --- every listed field, as a property ------------------------------------------------------

FIELD_VALUES = st.lists(st.sampled_from([*"abzAZ019 .-&+/:*?~'’£[]{}()^é", " TO ", "1987", "0301"]),
                        min_size=1, max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(QUERY_FIELDS), value=FIELD_VALUES)
def test_every_listed_field_parses_or_says_why(index: Path, field: str, value: str) -> None:
    """Any value in any field the errors list gives a result or a one-line QuerySyntax —
    never an internal error (date:[19870301 TO 19870305] was a KeyError)."""
    with searchkit.open_index(index) as idx:
        for query in (f"{field}:{value}", f'{field}:"{value.replace(chr(34), "")}"'):
            try:
                result = idx.search(query, limit=5)
            except QuerySyntax:
                continue
            assert all(h.passage_id.startswith(h.article_id + ":") for h in result.hits)
            assert result.total >= len(result.hits)


def _entity_values() -> list[tuple[str, str]]:
    """(facet, a way of writing one of the index's entities): the name, lower case, a surname."""
    out = []
    for facet, specs in (("person", ["Tony Blair", "Gordon Brown"]), ("org", ["OPEC", "AT&T", "Apple"])):
        for name in specs:
            out += [(facet, name), (facet, name.lower()), (facet, name.split()[-1].upper())]
    return out + [("site", "Wire Digest"), ("site", "los angeles times"), ("place", "us")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=st.sampled_from(_entity_values()), with_word=st.booleans(), in_or=st.booleans())
def test_an_entity_or_site_field_matches_what_its_flag_matches(index: Path, pair: tuple[str, str],
                                                              with_word: bool, in_or: bool) -> None:
    facet, value = pair
    words = "said" if with_word else ""
    with searchkit.open_index(index) as idx:
        by_flag = idx.search(words, limit=100, collapse=False, **{facet: value})
        if in_or and words:
            # In an OR, the field is one more way to match: its passages, plus those with the word.
            in_query = idx.search(f'said OR {facet}:"{value}"', limit=100, collapse=False)
            assert {h.passage_id for h in by_flag.hits} <= {h.passage_id for h in in_query.hits}
        else:
            in_query = idx.search(f'{words} {facet}:"{value}"'.strip(), limit=100, collapse=False)
            assert {h.passage_id for h in in_query.hits} == {h.passage_id for h in by_flag.hits}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=st.integers(1984, 2023), month=st.one_of(st.none(), st.integers(1, 12)))
def test_a_date_field_matches_what_since_and_until_match(index: Path, year: int, month: int | None) -> None:
    period = f"{year}" if month is None else f"{year}-{month:02d}"
    with searchkit.open_index(index) as idx:
        in_query = idx.search(f"date:{period}", limit=100, collapse=False)
        by_flag = idx.search("", since=period, until=period, limit=100, collapse=False)
    assert {h.passage_id for h in in_query.hits} == {h.passage_id for h in by_flag.hits}


# --- counting ---------------------------------------------------------------------------------

def test_total_is_never_below_returned(tmp_path: Path) -> None:
    """Past the count cap (1,000) the total is a lower bound: at least the hits returned."""
    many = [make_article(f"m/{n}.txt", "", [f"The minister said item {n} was ready."]) for n in range(1100)]
    index = tmp_path / "index"
    assert write_articles(index, many).failed == []
    code, doc, _ = search_n(index, "said", "5000")
    assert code == 0
    assert doc["returned"] == 1100
    assert doc["total"] >= doc["returned"]


def search_n(index: Path, query: str, n: str) -> tuple[int, dict, str]:
    r = run_cli("search", query, "--index", index, "--json", "-n", n)
    return r.returncode, json.loads(r.stdout), r.stderr


@pytest.mark.parametrize("old", [3, 4])
def test_an_index_of_a_previous_schema_asks_for_a_rebuild(tmp_path: Path, old: int) -> None:
    """Version 3 indexed no stop words and had no exact fields, version 4 no tags or source
    lines: its answers would be wrong or short."""
    index = tmp_path / "index"
    assert write_articles(index, ARTICLES[:1]).failed == []
    (index / "searchkit.json").write_text(json.dumps({"schema_version": old, "tool": "searchkit"}))
    r = run_cli("search", "US", "--index", index)
    assert r.returncode == 2
    assert f"schema version {old}; this searchkit uses 5" in r.stderr
    assert "searchkit ingest --rebuild" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_help_and_errors_list_the_same_fields_as_the_parser_takes(index: Path) -> None:
    """The fields `search --help` names and the unknown-field error lists are QUERY_FIELDS,
    the ones the property tests above run over."""
    import re

    usage = run_cli("search", "--help").stdout
    paragraph = " ".join(usage.split("Fields in the query:")[1].split("Example:")[0].split())
    assert set(re.findall(r"\b([a-z_]+):(?!\d)", paragraph)) == set(QUERY_FIELDS)
    r = run_cli("search", "nosuchfield:x", "--index", index)
    listed = r.stderr.split("(fields: ")[1].split(")")[0].split(", ")
    assert r.returncode == 2 and listed == list(QUERY_FIELDS)


_WORDS = ["border", "Border", "2005", "1987", "b52", "12th", "closure", "the", "US", "us", "said", "Running", "runs", "a", "and", "or", "to",
          "AND", "OR", "NOT", "TO", "x", "Lukashenko", "glaciers", "Glacier"]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12), operator=st.sampled_from(["and", "or"]),
       gaps=st.lists(st.sampled_from([" ", "  "]), min_size=12, max_size=12))
def test_plain_words_are_built_as_the_parser_builds_them(words: list[str], operator: str, gaps: list[str]) -> None:
    # The direct build of a query of plain words must be the parser's query, leaf for leaf
    # (terms, boosts for repeated words, character spans for the query-time stop words).
    from whoosh.qparser import AndGroup, FuzzyTermPlugin, OrGroup

    from searchkit.search import query as sq
    from searchkit.search.parser import FieldsParser
    from searchkit.settings import RankingParams, SearchLimits
    from searchkit.store.schema import SEARCH_FIELDS, build_schema

    text = "".join(w + g for w, g in zip(words, gaps)).strip()
    schema = build_schema()
    if set(words) & {"AND", "OR", "NOT", "TO"}:  # operators: the parser's business
        assert sq.plain_words_query(text, operator) is None
        return
    fast = sq.parse_query(text, operator, schema, SearchLimits(), RankingParams())
    parser = FieldsParser(list(SEARCH_FIELDS), schema, group=AndGroup if operator == "and" else OrGroup,
                          split_words=operator == "or")
    parser.add_plugin(FuzzyTermPlugin())
    slow = sq.weight_repeated_words(parser.parse(text), text, schema, RankingParams().query_k3)
    assert repr(fast) == repr(slow) and fast == slow
    assert [(leaf.startchar, leaf.endchar, leaf.boost) for leaf in fast.leaves()] == \
        [(leaf.startchar, leaf.endchar, leaf.boost) for leaf in slow.leaves()]
