"""Every JSON document and line the CLI prints matches the published JSON Schema
(``searchkit/data/output.schema.json``), and ``--jsonl`` keeps the documented shape (issue 15,
item 5): all four entity types on every hit, and ``--facets`` is not dropped silently."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from .conftest import CORPUS, SEED, run_cli

SCHEMA: dict[str, Any] = json.loads(resources.files("searchkit").joinpath("data/output.schema.json").read_text())


def _check(doc: Any, definition: str) -> None:
    """Valid against ``#/$defs/<definition>`` and against the schema's top level."""
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    sub = {"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]}
    jsonschema.validate(doc, sub, cls=jsonschema.Draft202012Validator)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)


def _json(*args: Any) -> Any:
    r = run_cli(*args)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("args", [
    ["border closure"], ["border closure", "--facets"], ["lukashenka"], ["belarus", "--any", "--all-passages"],
    ["", "--person", "lukashenko", "--facets"], ["belarus", "--since", "2020-10", "-n", "1"],
])
def test_search_json_matches_the_schema(corpus_index: Path, args: list[str]) -> None:
    doc = _json("search", *args, "--index", corpus_index, "--json")
    _check(doc, "search_result")
    assert (doc["facets"] is not None) == ("--facets" in args)


def test_jsonl_lines_are_hits_with_all_four_entity_types(corpus_index: Path) -> None:
    r = run_cli("search", "belarus", "--all-passages", "-n", "50", "--index", corpus_index, "--jsonl")
    assert r.returncode == 0, r.stderr
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(hits) > 5
    for hit in hits:
        _check(hit, "hit")
    # what `jq '.entities.person[]'` does: every line has every type, some of them empty
    people = [name for hit in hits for name in hit["entities"]["person"]]
    assert "Alexander Lukashenko" in people
    assert any(hit["entities"]["group"] == [] for hit in hits)
    as_json = _json("search", "belarus", "--all-passages", "-n", "50", "--index", corpus_index, "--json")
    assert as_json["hits"] == hits  # the same hits as --json, line for line


def test_jsonl_with_facets_says_they_are_ignored(corpus_index: Path) -> None:
    r = run_cli("search", "belarus", "--facets", "--index", corpus_index, "--jsonl")
    assert r.returncode == 0
    assert r.stderr.strip() == ("searchkit: note: --facets is ignored with --jsonl (one hit per line); "
                                "use --json or the terminal output for facets")
    for line in r.stdout.splitlines():
        _check(json.loads(line), "hit")


def test_show_similar_clean_entities_stats_and_ingest_json_match_the_schema(corpus_index: Path,
                                                                          tmp_path: Path) -> None:
    hit = _json("search", "border closure", "--index", corpus_index, "--json")["hits"][0]
    article = _json("show", hit["article_id"], "--index", corpus_index, "--json")
    _check(article, "article")
    assert all(set(p["entities"]) == {"person", "org", "place", "group"} for p in article["passages"])
    _check(_json("similar", hit["passage_id"], "--index", corpus_index, "--json"), "search_result")
    for line in run_cli("similar", hit["passage_id"], "--index", corpus_index, "--jsonl").stdout.splitlines():
        _check(json.loads(line), "hit")
    for path in CORPUS.glob("*.*"):
        if path.suffix != ".md":
            _check(_json("clean", path, "--json"), "cleaned")
    _check(_json("entities", "--index", corpus_index, "--json"), "entities")
    _check(_json("entities", "--type", "org", "-n", "3", "--index", corpus_index, "--json"), "entities")
    stats = _json("stats", "--index", corpus_index, "--json")
    _check(stats, "stats")
    assert stats["version"] == 1
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    report = _json("ingest", SEED, bad, "--index", tmp_path / "index", "--workers", "1", "--json")
    _check(report, "ingest_report")
    assert report["failed"] == [{"where": str(bad), "reason": "empty file"}]


def test_the_schema_rejects_what_the_docs_rule_out() -> None:
    """The schema is a real check: a hit missing an entity type, or with an unknown field, fails."""
    hit = {"rank": 1, "score": 1.0, "passage_id": "0123456789ab:0", "article_id": "0123456789ab", "ordinal": 0,
           "title": None, "site": None, "date": "2020-09-21", "url": None, "path": "/x.txt",
           "source_id": "/x.txt", "line": None, "tags": {"topics": ["crude"]}, "text": "t",
           "highlights": [[0, 1]], "entities": {"person": [], "org": [], "place": [], "group": []},
           "copies": [{"article_id": "ba9876543210", "site": "Wire", "date": "2020-09-20", "url": None,
                       "title": None, "path": "/y.txt", "source_id": "/y.txt"}]}
    _check(hit, "hit")
    for broken in ({**hit, "entities": {"person": []}}, {**hit, "extra": 1}, {**hit, "date": "21/09/2020"},
                   {**hit, "highlights": [[0]]}, {k: v for k, v in hit.items() if k != "copies"},
                   {**hit, "copies": [{"article_id": "ba9876543210"}]},
                   {**hit, "tags": {"topics": "crude"}}):
        with pytest.raises(jsonschema.ValidationError):
            _check(broken, "hit")


def test_csv_has_the_jsonl_fields_and_the_same_hits(corpus_index: Path) -> None:
    r = run_cli("search", "belarus", "-n", "5", "--index", corpus_index, "--csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    hits = _json("search", "belarus", "-n", "5", "--index", corpus_index, "--json")["hits"]
    assert [row["passage_id"] for row in rows] == [h["passage_id"] for h in hits]
    assert [row["text"] for row in rows] == [h["text"] for h in hits]
    assert [row["person"] for row in rows] == ["; ".join(h["entities"]["person"]) for h in hits]
    entities = list(csv.DictReader(io.StringIO(run_cli("entities", "--index", corpus_index, "--csv").stdout)))
    as_json = _json("entities", "--index", corpus_index, "--json")["entities"]
    assert [(e["entity"], e["type"], int(e["passages"])) for e in entities] == \
        [(e["name"], e["type"], e["count"]) for e in as_json]
    none = run_cli("search", "lukashenka", "--index", corpus_index, "--csv")
    assert none.returncode == 1 and none.stdout.splitlines() == [",".join(next(csv.reader(io.StringIO(r.stdout))))]
    both = run_cli("search", "belarus", "--csv", "--json", "--index", corpus_index)
    assert both.returncode == 2 and "choose one of --json and --csv" in both.stderr
