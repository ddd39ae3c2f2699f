"""JSONL tags as filters, the source line of every passage, and articles per input kind:
``searchkit ingest`` and ``searchkit search/show/stats`` as real subprocesses, real NER."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from .conftest import run_cli

SCHEMA: dict[str, Any] = json.loads(resources.files("searchkit").joinpath("data/output.schema.json").read_text())

RECORDS = [
    {"title": "Crude oil prices rise", "text": "Crude oil prices rose sharply on Monday as OPEC members met in Vienna.",
     "topics": ["crude", "ship"], "places": ["usa", "kuwait"], "date": "1987-03-02"},
    {"title": "Oil tanker delayed", "text": "An oil tanker was delayed in the Gulf, shipping agents said on Tuesday.",
     "topics": ["ship"], "places": ["bahrain"], "date": "1987-03-03"},
    {"title": "Grain exports", "text": "Oil seed and grain exports from Canada rose in February, officials said.",
     "topics": ["grain"], "places": ["canada"], "category": "Business", "date": "1987-03-04"},
]

TEXT = """Harbour notes

The first paragraph of the harbour notes says that oil barges
wait at the quay for the morning tide.

The second paragraph, after a blank line, tells of the
night shift on the oil terminal and the pilots who guide the tankers in.
"""

HTML = """<!doctype html>
<html><head><title>Refinery visit</title>
<meta name="description" content="The refinery on the river runs day and night, its manager says.">
<script type="application/ld+json">{"articleBody": "The refinery on the river runs day and night"}</script>
</head>
<body>
<article>
<h1>Refinery visit</h1>
<p>The refinery on the river runs day and night, its manager says, and oil
flows to the port by pipe.</p>
<p>Workers at the refinery said the new shift pattern gives them
&ldquo;more time at home&rdquo; with their families.</p>
</article>
</body></html>
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tags")
    (folder / "reuters.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    (folder / "harbour.txt").write_text(TEXT, encoding="utf-8")
    (folder / "refinery.html").write_text(HTML, encoding="utf-8")
    r = run_cli("ingest", folder, "--index", folder / "index", "--workers", "1")
    assert r.returncode == 0, r.stderr
    return folder / "index"


def _search(index: Path, *args: str) -> tuple[int, dict[str, Any]]:
    r = run_cli("search", *args, "--index", index, "--json", "-n", "20")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    return r.returncode, doc


def _titles(doc: dict[str, Any]) -> set[str]:
    return {h["title"] for h in doc["hits"]}


def test_a_tag_filters_the_search_and_hits_carry_the_tags(index: Path) -> None:
    code, doc = _search(index, "oil", "--tag", "topics=crude")
    assert code == 0 and _titles(doc) == {"Crude oil prices rise"}
    assert doc["hits"][0]["tags"] == {"topics": ["crude", "ship"], "places": ["usa", "kuwait"]}
    _, every = _search(index, "oil")
    assert len(_titles(every)) >= 4  # the filter is what narrowed it
    _, case = _search(index, "oil", "--tag", "Topics=CRUDE")  # any case
    assert _titles(case) == {"Crude oil prices rise"}
    _, category = _search(index, "--tag", "category=business")  # a string field, filters only
    assert _titles(category) == {"Grain exports"}


def test_tags_of_one_key_are_alternatives_and_of_several_keys_all_required(index: Path) -> None:
    _, either = _search(index, "oil", "--tag", "topics=crude", "--tag", "topics=grain")
    assert _titles(either) == {"Crude oil prices rise", "Grain exports"}
    _, both = _search(index, "oil", "--tag", "topics=ship", "--tag", "places=bahrain")
    assert _titles(both) == {"Oil tanker delayed"}
    code, none = _search(index, "oil", "--tag", "topics=grain", "--tag", "places=usa")
    assert code == 1 and none["hits"] == [] and "--tag" in (none["hint"] or "")


def test_an_unknown_tag_says_so_and_a_malformed_one_is_a_one_line_error(index: Path) -> None:
    r = run_cli("search", "oil", "--tag", "topics=crud", "--index", index)
    assert r.returncode == 1
    assert "no such tag in the index: 'topics=crud'; did you mean: topics=crude?" in r.stderr
    bad = run_cli("search", "oil", "--tag", "crude", "--index", index)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "--tag takes KEY=VALUE, not 'crude'" in bad.stderr and "Traceback" not in bad.stderr


def test_show_prints_the_tags_and_the_json_has_them(index: Path) -> None:
    _, doc = _search(index, "tanker")
    aid = doc["hits"][0]["article_id"]
    r = run_cli("show", aid, "--index", index, "--json")
    article = json.loads(r.stdout)
    jsonschema.validate(article, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert article["tags"] == {"topics": ["ship"], "places": ["bahrain"]} and article["input_kind"] == "jsonl"
    shown = run_cli("show", aid, "--index", index)
    assert "tags: topics=ship; places=bahrain" in shown.stdout


@pytest.mark.parametrize("name, query", [("harbour.txt", "barges"), ("harbour.txt", "pilots"),
                                         ("refinery.html", "pipe"), ("refinery.html", "shift")])
def test_a_text_or_html_hit_has_the_line_of_its_source_where_the_passage_starts(
        index: Path, name: str, query: str) -> None:
    _, doc = _search(index, query)
    (hit,) = [h for h in doc["hits"] if h["path"].endswith(name)]
    lines = (index.parent / name).read_text(encoding="utf-8").splitlines()
    assert hit["line"] is not None
    start = re.sub(r"<[^>]*>", "", lines[hit["line"] - 1]).split()
    assert start and start == hit["text"].split()[:len(start)], (hit["line"], hit["text"])  # the passage starts there
    # In the HTML, not the <meta> description or the JSON-LD that repeat the first words.
    if name.endswith(".html"):
        assert lines[hit["line"] - 1].lstrip().startswith("<p>")


def test_a_jsonl_hit_has_its_records_line(index: Path) -> None:
    _, doc = _search(index, "grain")
    (hit,) = [h for h in doc["hits"] if h["title"] == "Grain exports"]
    assert hit["line"] == 3 and hit["source_id"].endswith("reuters.jsonl#L3")


def test_stats_counts_articles_per_input_kind(index: Path) -> None:
    r = run_cli("stats", "--index", index, "--json")
    stats = json.loads(r.stdout)
    jsonschema.validate(stats, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert stats["inputs"] == [{"kind": "jsonl", "articles": 3}, {"kind": "html", "articles": 1},
                               {"kind": "txt", "articles": 1}]
    assert "   inputs: jsonl (3), html (1), txt (1)" in run_cli("stats", "--index", index).stdout
