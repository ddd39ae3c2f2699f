"""Ranking output pinned on corpus/: speed work on the query path must not change a result.

Every query below (each sentence of corpus/ as an OR question, word pairs as AND queries,
phrases, filters, facets, date order) is run on the hand-made corpus index, and the hits (file,
ordinal, score to 1e-9), totals, highlights and facet counts are compared with
``tests/fixtures/search/ranking_golden.json``. Refreshing that file is a reviewed diff, made
only when a change is meant to change the ranking::

    python -m tests.test_search_golden      # rewrite the golden file from this code
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit.ingest import write_articles

from .conftest import CORPUS, CORPUS_ENTITIES, articles_from_files

GOLDEN = Path(__file__).parent / "fixtures" / "search" / "ranking_golden.json"


def golden_queries() -> list[dict[str, Any]]:
    """The queries: sentences of corpus/ (a question, OR), pairs of their words (AND), and a
    few with filters, phrases, fuzzy words, facets and date order."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    for line in (CORPUS / "baltic-ledger-2020.jsonl").read_text(encoding="utf-8").splitlines():
        text += " " + json.loads(line)["text"]
    sentences = [s.strip() for s in re.findall(r"[^.!?]+[.!?]", text) if len(s.split()) >= 6]
    words = [w for w in re.findall(r"[A-Za-z]{5,}", text)]
    out: list[dict[str, Any]] = [{"query": re.sub(r"[^\w\s'-]", " ", s), "operator": "or"} for s in sentences[:60]]
    out += [{"query": f"{a} {b}", "operator": "and"} for a, b in zip(words[::37], words[5::37])][:30]
    out += [
        {"query": "border closure", "operator": "and", "person": "lukashenko"},
        {"query": "belarus", "operator": "and", "since": "2020-10"},
        {"query": "belarus OR lithuania", "operator": "and", "facets": True},
        {"query": "parliament", "operator": "or", "in_article": True, "person": "volodin"},
        {"query": '"european parliament"', "operator": "and"},
        {"query": "lukashenka~1", "operator": "and"},
        {"query": "rail*", "operator": "and"},
        {"query": "belarus", "operator": "and", "sort": "-date", "limit": 5},
        {"query": "the border of belarus", "operator": "or", "collapse": False, "limit": 30},
        {"query": "said", "operator": "and", "facets": True, "limit": 20},
        {"query": "", "operator": "and", "place": "poland"},
    ]
    return out


def run_query(index: Any, spec: dict[str, Any]) -> dict[str, Any]:
    options = {k: v for k, v in spec.items() if k != "query"}
    result = index.search(spec["query"], **options)
    return {
        "total": result.total, "total_exact": result.total_exact,
        "hits": [[os.path.basename(h.path), h.ordinal, round(h.score, 9), [[x.start, x.end] for x in h.highlights]]
                 for h in result.hits],
        "facets": {f: [list(p) for p in v] for f, v in result.facets.items()} if result.facets else None,
    }


def build_index(folder: Path) -> Path:
    index = folder / "index"
    assert write_articles(index, articles_from_files([CORPUS], CORPUS_ENTITIES)).failed == []
    return index


@pytest.fixture(scope="module")
def golden_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(tmp_path_factory.mktemp("golden"))


def test_the_golden_queries_cover_every_kind() -> None:
    specs = golden_queries()
    assert len(specs) >= 70 and {s["operator"] for s in specs} == {"and", "or"}
    assert [s["query"] for s in specs] == [g["query"] for g in json.loads(GOLDEN.read_text("utf-8"))]


def test_ranking_output_is_as_pinned(golden_index: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    with searchkit.open_index(golden_index) as index:
        for spec, want in zip(golden_queries(), expected):
            got = run_query(index, spec)
            assert [h[:2] for h in got["hits"]] == [h[:2] for h in want["result"]["hits"]], spec
            assert [h[2] for h in got["hits"]] == pytest.approx([h[2] for h in want["result"]["hits"]], rel=1e-9), spec
            assert got == {**want["result"], "hits": got["hits"]}, spec
            assert [h[3] for h in got["hits"]] == [h[3] for h in want["result"]["hits"]], spec


def refresh(folder: Path) -> None:
    with searchkit.open_index(build_index(folder)) as index:
        rows = [{"query": s["query"], "spec": s, "result": run_query(index, s)} for s in golden_queries()]
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(rows)} queries, {sum(len(r['result']['hits']) for r in rows)} hits)")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        refresh(Path(tmp))
    sys.exit(0)
