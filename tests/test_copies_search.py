"""Copies in search (issue 14): one hit per story with its copies listed, ``--all-copies``,
facets that count a story once, ``similar`` that never returns the story itself, ``show``'s
"also published as", ``searchkit duplicates``, and the JSON of all of them against the schema.

Indexes are written through the real writer (which clusters the articles as ingest does) from
hand-made articles: the wire story of ``test_duplicates``, each kind of copy of it, a
different story on the same topic and two templated earnings reports."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import pytest

import searchkit
from searchkit.records import Article

from .conftest import make_article, run_cli
from .test_duplicates import LOOK_ALIKE, WIRE, copies_of, earnings

SCHEMA = json.loads((Path(searchkit.__file__).parent / "data" / "output.schema.json").read_text())
OKAFOR = ("person", "Miriam Okafor", ["Miriam Okafor"])
EASTPORT = ("place", "Eastport", ["Eastport"])


def article(name: str, text: str, *, date: str | None, site: str | None = None) -> Article:
    paragraphs = text.split("\n\n")
    return make_article(f"stories/{name}.txt", paragraphs[0], paragraphs, entities=[OKAFOR, EASTPORT], date=date,
                        site=site, url=f"https://{site}/{name}" if site else None)


def story_set(kind: str) -> list[Article]:
    """The wire story, one copy of kind ``kind`` (a day later, another site), and the stories
    that must stay apart."""
    return [
        article("wire", WIRE, date="2026-03-02", site="wire.example"),
        article(kind, copies_of(WIRE)[kind], date="2026-03-03", site="gazette.example"),
        article("look-alike", LOOK_ALIKE, date="2026-03-04", site="wire.example"),
        article("acme", earnings("ACME TOOLS", "42", "37", "12.4", "10.9", "301.2", "288.7"), date="2026-03-02"),
        article("bristow", earnings("BRISTOW MILLS", "18", "25", "3.1", "4.6", "95.0", "99.3"), date="2026-03-02"),
    ]


def ids(articles: Iterable[Article]) -> dict[str, str]:
    return {a.path.removeprefix("stories/").removesuffix(".txt"): a.article_id for a in articles}


def validate(doc: object, definition: str) -> None:
    jsonschema.validate(doc, {**SCHEMA, "$ref": f"#/$defs/{definition}"})


@pytest.mark.parametrize("kind", list(copies_of(WIRE)))
def test_each_kind_of_copy_is_one_hit_with_its_copy(kind: str, build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set(kind)
    aid = ids(arts)
    index = build_index(arts)
    with searchkit.open_index(index) as idx:
        hits = idx.search("ferry terminal", limit=10).hits
        story = [h for h in hits if h.article_id in (aid["wire"], aid[kind])]
        # one article of the story (the best-ranked: a copy with more of the words may be it)
        assert len({h.article_id for h in story}) == 1, [(h.article_id, h.title) for h in hits]
        shown = story[0].article_id
        other = aid[kind] if shown == aid["wire"] else aid["wire"]
        assert [c.article_id for c in story[0].copies] == [other]
        if shown == aid["wire"]:
            assert story[0].copies[0].site == "gazette.example" and story[0].copies[0].date.startswith("2026-03-03")
        assert aid["look-alike"] in {h.article_id for h in hits}  # same topic, another story: its own hit
        every = idx.search("ferry terminal", limit=10, collapse_copies=False).hits
        assert {aid["wire"], aid[kind]} <= {h.article_id for h in every}
        by_date = idx.search("ferry terminal", limit=10, sort="date").hits
        assert len({h.article_id for h in by_date} & {aid["wire"], aid[kind]}) == 1
        # the two earnings reports (one template, other figures) are two stories
        reports = idx.search("qtr net revs", limit=10).hits
        assert {h.article_id for h in reports} == {aid["acme"], aid["bristow"]}
        assert all(not h.copies for h in reports)


def test_the_representative_is_shown_and_the_best_copy_when_it_ranks_higher(
        build_index: Callable[[Iterable[Article]], Path]) -> None:
    """Exact copies tie: the earliest is shown. A copy that alone has the words is shown."""
    arts = [article("late", WIRE, date="2026-03-05", site="late.example"),
            article("early", copies_of(WIRE)["exact_spacing"], date="2026-03-01", site="early.example"),
            article("local", copies_of(WIRE)["wire_plus_local"], date="2026-03-03", site="local.example")]
    aid = ids(arts)
    index = build_index(arts)
    with searchkit.open_index(index) as idx:
        top = idx.search("ferry terminal north quay").hits
        every = idx.search("ferry terminal north quay", collapse_copies=False).hits
        assert len({h.article_id for h in top}) == 1 and top[0].article_id == every[0].article_id  # the best-ranked
    exact = build_index(arts[:2])  # exact copies tie: the representative (earliest) is shown
    with searchkit.open_index(exact) as idx:
        top = idx.search("ferry terminal north quay").hits
        assert {h.article_id for h in top} == {aid["early"]}
        assert [c.article_id for c in top[0].copies] == [aid["late"]]
    with searchkit.open_index(index) as idx:
        assert [c.article_id for c in idx.search("ferry terminal").hits[0].copies][-1] == aid["late"]  # by date
        westbury = idx.search("westbury traders").hits
        assert [h.article_id for h in westbury] == [aid["local"]]
        assert [c.article_id for c in westbury[0].copies] == [aid["early"], aid["late"]]


def test_facets_count_a_story_once_unless_all_copies(build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("boilerplate") + [article("headline", copies_of(WIRE)["headline"], date="2026-03-06")]
    index = build_index(arts)
    with searchkit.open_index(index) as idx:
        once = dict(idx.search("okafor", facets=True).facets["person"])
        every = dict(idx.search("okafor", facets=True, collapse_copies=False).facets["person"])
    assert once == {"Miriam Okafor": 1}
    assert every == {"Miriam Okafor": 3}


def test_similar_never_returns_the_story_itself(build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("boilerplate") + [article("removed", copies_of(WIRE)["paragraph_removed"], date="2026-03-07")]
    aid = ids(arts)
    index = build_index(arts)
    story = {aid["wire"], aid["boilerplate"], aid["removed"]}
    with searchkit.open_index(index) as idx:
        for target in (f"{aid['wire']}:1", aid["boilerplate"], f"{aid['removed']}:2"):
            found = idx.similar(target, limit=10).hits
            assert found, target
            assert not story & {h.article_id for h in found}, target
            assert aid["look-alike"] in {h.article_id for h in found}
        # another story's copies are collapsed there too: one hit per story
        like = idx.similar(aid["look-alike"], limit=10).hits
        assert len({h.article_id for h in like} & story) == 1
        assert {c.article_id for c in next(h for h in like if h.article_id in story).copies} | \
            {h.article_id for h in like if h.article_id in story} == story


def test_cli_search_json_jsonl_csv_and_all_copies(build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("headline")
    aid = ids(arts)
    index = build_index(arts)
    doc = json.loads(run_cli("search", "ferry terminal", "--index", index, "--json").stdout)
    validate(doc, "search_result")
    story = [h for h in doc["hits"] if h["article_id"] in (aid["wire"], aid["headline"])]
    assert {h["article_id"] for h in story} == {aid["wire"]}  # (up to 2 passages of the one article)
    assert story[0]["copies"] == [
        {"article_id": aid["headline"], "site": "gazette.example", "date": "2026-03-03T00:00:00",
         "url": "https://gazette.example/headline", "title": "Ferry terminal gets green light after two-year row",
         "path": "stories/headline.txt", "source_id": "stories/headline.txt"}]
    for line in run_cli("search", "ferry terminal", "--index", index, "--jsonl").stdout.splitlines():
        validate(json.loads(line), "hit")
    every = json.loads(run_cli("search", "ferry terminal", "--index", index, "--json", "--all-copies").stdout)
    assert {aid["wire"], aid["headline"]} <= {h["article_id"] for h in every["hits"]}
    rows = list(csv.DictReader(io.StringIO(run_cli("search", "ferry terminal", "--index", index, "--csv").stdout)))
    assert [r["copies"] for r in rows if r["article_id"] == aid["wire"]][0] == aid["headline"]
    text = run_cli("search", "ferry terminal", "--index", index, env={"SEARCHKIT_FAST_PATH": "0"})
    assert text.returncode == 0, text.stderr
    assert f"1 copy: {aid['headline']} gazette.example · 2026-03-03" in text.stdout


def test_show_says_also_published_as(build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("wire_plus_local")
    aid = ids(arts)
    index = build_index(arts)
    shown = run_cli("show", aid["wire_plus_local"], "--index", index)
    assert shown.returncode == 0, shown.stderr
    assert "also published as (1 copy):" in shown.stdout
    assert f"  {aid['wire']}  Harbour council approves new ferry terminal  wire.example · 2026-03-02  " \
           "https://wire.example/wire" in shown.stdout
    doc = json.loads(run_cli("show", aid["wire_plus_local"], "--index", index, "--json").stdout)
    validate(doc, "article")
    assert [c["article_id"] for c in doc["copies"]] == [aid["wire"]]
    alone = json.loads(run_cli("show", aid["look-alike"], "--index", index, "--json").stdout)
    assert alone["copies"] == []
    assert "also published as" not in run_cli("show", aid["look-alike"], "--index", index).stdout


def test_duplicates_command_lists_clusters(build_index: Callable[[Iterable[Article]], Path]) -> None:
    kinds = list(copies_of(WIRE))
    arts = story_set(kinds[0]) + [article(k, copies_of(WIRE)[k], date=f"2026-03-0{i + 4}") for i, k in enumerate(kinds[1:3])]
    arts.append(article("acme-again", "CORRECTED - " + earnings("ACME TOOLS", "42", "37", "12.4", "10.9", "310.2",
                                                               "288.7"), date="2026-03-03"))
    aid = ids(arts)
    index = build_index(arts)
    listed = run_cli("duplicates", "--index", index)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == " 1. Harbour council approves new ferry terminal  3 copies"
    assert lines[1].startswith(f"    {aid['wire']}  wire.example · 2026-03-02  https://wire.example/wire  (representative)")
    assert lines[-1] == "2 stories with copies, 6 articles"
    doc = json.loads(run_cli("duplicates", "--index", index, "--json").stdout)
    validate(doc, "duplicates")
    assert [(c["copies"], c["representative"]) for c in doc["clusters"]] == [(3, aid["wire"]), (1, aid["acme"])]
    assert {m["article_id"] for m in doc["clusters"][1]["members"]} == {aid["acme"], aid["acme-again"]}
    two = json.loads(run_cli("duplicates", "--index", index, "--json", "--min-copies", "2").stdout)
    assert [c["representative"] for c in two["clusters"]] == [aid["wire"]]
    rows = list(csv.DictReader(io.StringIO(run_cli("duplicates", "--index", index, "--csv").stdout)))
    assert len(rows) == 6 and [r["representative"] for r in rows].count("True") == 2
    none = run_cli("duplicates", "--index", index, "--min-copies", "9")
    assert none.returncode == 0 and none.stdout == "" and "no story with 9+ copies" in none.stderr
    bad = run_cli("duplicates", "--index", index, "--json", "--csv")
    assert bad.returncode == 2 and "choose one of" in bad.stderr


def test_the_query_path_reads_copies_without_numpy(build_index: Callable[[Iterable[Article]], Path]) -> None:
    """A search that collapses copies, through the console script's entry: no numpy, no datasketch."""
    index = build_index(story_set("boilerplate"))
    code = (
        "import sys\n"
        "from searchkit.entry import main\n"
        f"sys.argv = ['searchkit', 'search', 'ferry terminal', '--index', {str(index)!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'numpy', 'datasketch', 'spacy', 'bs4', 'lxml'})\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert any(h["copies"] for h in json.loads(r.stdout)["hits"]), r.stdout
    assert r.stderr.strip().splitlines()[-1] == "HEAVY=", r.stderr
