"""Exports: ``search --limit 0`` streams every match; ``--provenance FILE`` (issue 16)."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import pytest

import searchkit
from searchkit.ingest import write_articles
from searchkit.records import Article

from .conftest import make_article, run_cli
from .test_json_schema import SCHEMA

N_ARTICLES = 300
PER_ARTICLE = 8
FILLER = " ".join(f"quaysidewarehouseledger{k:03d}" for k in range(40))  # a kilobyte in few words (fast to index)


def many_articles() -> list[Article]:
    """Every passage says "harbour"; in every third article the first one also names Ana Ruiz."""
    arts = []
    for n in range(N_ARTICLES):
        paragraphs = [f"The harbour report {n}.{p} says {FILLER}." for p in range(PER_ARTICLE)]
        if n % 3 == 0:
            paragraphs[0] = f"Ana Ruiz read the harbour report {n}."
        arts.append(make_article(f"bulk/{n}.txt", f"Harbour report {n}", paragraphs,
                                 date=f"2020-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
                                 entities=[("person", "Ana Ruiz", ["Ana Ruiz"])] if n % 3 == 0 else []))
    return arts


@pytest.fixture(scope="module")
def bulk_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("bulk") / "index"
    write_articles(index, many_articles())
    return index


def passages_matching(index: Path, *args: str) -> int:
    return int(json.loads(run_cli("search", *args, "--exact-count", "--json", "--index", index).stdout)["total"])


def test_limit_0_jsonl_streams_every_match(bulk_index: Path) -> None:
    proc = run_cli("search", "harbour", "--limit", "0", "--jsonl", "--index", bulk_index)
    assert proc.returncode == 0, proc.stderr
    hits = [json.loads(line) for line in proc.stdout.splitlines()]
    # Every passage, not 2 per article, not a page of 10 (the short first paragraph of
    # every third article shares a passage with the next).
    assert len(hits) == passages_matching(bulk_index, "harbour") == N_ARTICLES * PER_ARTICLE - N_ARTICLES // 3
    assert len({h["passage_id"] for h in hits}) == len(hits)
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    validator = jsonschema.Draft202012Validator(SCHEMA["$defs"]["hit"] | {"$defs": SCHEMA["$defs"]})
    for h in hits[::100]:
        validator.validate(h)
        assert h["highlights"] and h["text"][h["highlights"][0][0]:h["highlights"][0][1]].lower() == "harbour"


def test_limit_0_csv_with_filters_and_date_order(bulk_index: Path) -> None:
    proc = run_cli("search", "harbour", "--person", "ana ruiz", "--sort", "date", "--limit", "0", "--csv",
                   "--index", bulk_index)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == N_ARTICLES // 3  # the one passage naming her in each of those articles
    assert all(r["person"] == "Ana Ruiz" for r in rows)
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates)
    assert passages_matching(bulk_index, "harbour", "--person", "ana ruiz") == len(rows)


def test_limit_0_needs_a_line_format_and_no_match_is_exit_1(bulk_index: Path) -> None:
    text = run_cli("search", "harbour", "--limit", "0", "--index", bulk_index)
    assert text.returncode == 2 and text.stdout == ""
    assert text.stderr.strip().splitlines() == [
        "searchkit: error: --limit 0 (every match) needs --jsonl or --csv "
        "(hint: searchkit search QUERY --limit 0 --jsonl; see searchkit search --help)"]
    none = run_cli("search", "zeppelin", "--limit", "0", "--jsonl", "--index", bulk_index)
    assert none.returncode == 1 and none.stdout == ""
    bad = run_cli("search", "harbour AND", "--limit", "0", "--jsonl", "--index", bulk_index)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stdout == ""


def traced_peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_holds_one_hit_at_a_time(bulk_index: Path) -> None:
    """Memory while streaming every match stays far below that of the same hits held at once."""
    with searchkit.open_index(bulk_index) as idx:
        seen: list[int] = []
        streaming = traced_peak(lambda: seen.extend(len(h.text) for h in idx.stream("harbour")))
        held = traced_peak(lambda: list(idx.stream("harbour")))
    assert len(seen) == passages_matching(bulk_index, "harbour") and sum(seen) > 2_000_000
    assert streaming * 3 < held, (streaming, held)


def test_provenance_sidecar_says_how_to_get_the_same_hits(bulk_index: Path, tmp_path: Path) -> None:
    side = tmp_path / "export.provenance.json"
    proc = run_cli("search", "harbour", "--person", "ana ruiz", "--since", "2020-06", "--limit", "0", "--jsonl",
                   "--provenance", side, "--index", bulk_index)
    assert proc.returncode == 0, proc.stderr
    written = len(proc.stdout.splitlines())
    doc = json.loads(side.read_text())
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert doc["query"] == "harbour"
    assert doc["filters"] == {"person": ["ana ruiz"], "since": "2020-06"}
    assert doc["options"]["limit"] == 0 and doc["options"]["output"] == "jsonl"
    assert doc["written"] == doc["total"] == written > 0
    marker = json.loads((bulk_index / "searchkit.json").read_text())
    assert doc["index"]["index_id"] == marker["index_id"]
    assert doc["index"]["generation"] >= 1 and len(doc["index"]["manifest_crc32"]) == 8
    from importlib.metadata import version

    assert doc["searchkit_version"] == version("searchkit")
    # A page of a search records its total and what it showed.
    page = run_cli("search", "harbour", "-n", "3", "--json", "--provenance", side, "--index", bulk_index)
    doc = json.loads(side.read_text())
    assert (doc["total"], doc["written"], doc["options"]["output"]) == \
        (json.loads(page.stdout)["total"], 3, "json")


def test_provenance_fingerprint_changes_when_the_index_does(build_index: Callable[[Iterable[Article]], Path],
                                                            tmp_path: Path) -> None:
    index = build_index([make_article("a.txt", "A", ["The harbour opened."])])
    side = tmp_path / "p.json"
    run_cli("search", "harbour", "--provenance", side, "--index", index)
    first = json.loads(side.read_text())["index"]
    write_articles(index, [make_article("b.txt", "B", ["The harbour closed."])])
    run_cli("search", "harbour", "--provenance", side, "--index", index)
    second = json.loads(side.read_text())["index"]
    assert second["generation"] > first["generation"]
    assert second["manifest_crc32"] != first["manifest_crc32"]
    assert second["index_id"] == first["index_id"]
    unwritable = run_cli("search", "harbour", "--provenance", tmp_path / "no" / "such" / "p.json", "--index", index)
    assert unwritable.returncode == 2 and unwritable.stderr.startswith("searchkit: error: cannot write the provenance")
