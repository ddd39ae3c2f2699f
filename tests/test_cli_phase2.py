"""Issue 15, the missing basics after the restructuring: --sort, -C/--context, source_id and
line, similar by article with filters, show ID:ORD, any unique prefix, files gone from disk,
and ingest progress in articles. Each runs the real ``searchkit`` process."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .conftest import CORPUS, run_cli
from .terminal_support import run_on_terminal


def _search(index: Path, *args: str) -> dict:
    r = run_cli("search", *args, "--index", index, "--json")
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


def test_sort_by_date_orders_every_match(corpus_index: Path) -> None:
    relevance = _search(corpus_index, "belarus", "--all-passages", "-n", "50")
    newest = _search(corpus_index, "belarus", "--all-passages", "-n", "50", "--sort", "-date")
    oldest = _search(corpus_index, "belarus", "--all-passages", "-n", "50", "--sort=date")
    assert {h["passage_id"] for h in newest["hits"]} == {h["passage_id"] for h in relevance["hits"]}
    dated = [h["date"] for h in newest["hits"] if h["date"]]
    assert dated == sorted(dated, reverse=True) and len(set(dated)) > 1
    assert [h["date"] for h in oldest["hits"] if h["date"]] == sorted(dated)
    assert newest["hits"][-1]["date"] is None and oldest["hits"][-1]["date"] is None  # undated last
    top = _search(corpus_index, "belarus", "-n", "1", "--sort", "-date")["hits"][0]
    assert top["date"] == max(dated)  # over every match, not just the relevance top
    bad = run_cli("search", "belarus", "--sort", "size", "--index", corpus_index)
    assert bad.returncode == 2 and "use one of relevance, date, -date" in bad.stderr


def test_context_shows_the_neighbouring_passages(corpus_index: Path) -> None:
    hit = _search(corpus_index, "border closure", "-C", "1")["hits"][0]
    article = json.loads(run_cli("show", hit["article_id"], "--json", "--index", corpus_index).stdout)
    texts = {p["ordinal"]: article["text"][p["start"]:p["end"]] for p in article["passages"]}
    o = hit["ordinal"]
    assert hit["context"] == {"before": [{"passage_id": f"{hit['article_id']}:{o - 1}", "ordinal": o - 1,
                                          "text": texts[o - 1]}],
                              "after": [{"passage_id": f"{hit['article_id']}:{o + 1}", "ordinal": o + 1,
                                         "text": texts[o + 1]}]}
    plain = run_cli("search", "border closure", "--context", "1", "--index", corpus_index).stdout
    lines = [line.strip() for line in plain.splitlines()]
    i = lines.index(hit["text"])
    assert lines[i - 1] == texts[o - 1] and lines[i + 1] == texts[o + 1]
    assert "context" not in _search(corpus_index, "border closure")["hits"][0]


def test_every_hit_says_where_it_came_from(corpus_index: Path, tmp_path: Path) -> None:
    for hit in _search(corpus_index, "belarus", "--all-passages", "-n", "50")["hits"]:
        assert hit["source_id"].startswith(hit["path"])
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"title": f"T{i}", "text": f"The harbour of Klaipeda handled story {i} "
                                          "of cargo this week, officials said on Monday."}) for i in range(3)) + "\n")
    assert run_cli("ingest", feed, "--index", tmp_path / "ix", "--workers", "1").returncode == 0
    hits = _search(tmp_path / "ix", "klaipeda", "-n", "5")["hits"]
    assert sorted((h["title"], h["line"]) for h in hits) == [("T0", 1), ("T1", 2), ("T2", 3)]
    assert all(h["source_id"] == f"{h['path']}#L{h['line']}" for h in hits)
    plain = run_cli("search", "klaipeda", "--index", tmp_path / "ix").stdout
    assert re.search(r":\d  \S*feed\.jsonl:[123]$", plain, re.M), plain


def test_similar_takes_an_article_id_and_the_search_filters(corpus_index: Path) -> None:
    hit = _search(corpus_index, "border closure")["hits"][0]
    by_article = json.loads(run_cli("similar", hit["article_id"][:5], "--json", "--index", corpus_index).stdout)
    assert by_article["hits"] and all(h["article_id"] != hit["article_id"] for h in by_article["hits"])
    filtered = run_cli("similar", hit["passage_id"], "--place", "lithuania", "--jsonl", "--index", corpus_index)
    assert filtered.returncode == 0, filtered.stderr
    rows = [json.loads(line) for line in filtered.stdout.splitlines()]
    assert rows and all("Lithuania" in h["entities"]["place"] for h in rows)
    none = run_cli("similar", hit["article_id"], "--person", "nobody at all", "--index", corpus_index)
    assert none.returncode == 1


def test_show_marks_the_passage_and_takes_any_unique_prefix(corpus_index: Path) -> None:
    hit = _search(corpus_index, "border closure")["hits"][0]
    r = run_cli("show", hit["passage_id"], "--index", corpus_index)
    assert r.returncode == 0, r.stderr
    marked = [line for line in r.stdout.splitlines() if line.startswith("> ")]
    assert marked == ["> " + hit["text"]]
    ids = {h["article_id"] for h in _search(corpus_index, "*", "--all-passages", "-n", "1000")["hits"]}
    assert len(ids) == 6  # every article of corpus/
    shortest = min((i[:k] for i in ids for k in range(1, 13) if sum(j.startswith(i[:k]) for j in ids) == 1), key=len)
    short = run_cli("show", shortest, "--json", "--index", corpus_index)
    assert short.returncode == 0, short.stderr
    assert json.loads(short.stdout)["article_id"].startswith(shortest)
    shared = next((i[:k] for i in ids for k in range(1, 12) if sum(j.startswith(i[:k]) for j in ids) > 1), None)
    if shared is not None:  # the six ids may not share a first digit; when they do, it is refused clearly
        ambiguous = run_cli("show", shared, "--index", corpus_index)
        assert ambiguous.returncode == 2 and "is ambiguous" in ambiguous.stderr
    bad = run_cli("show", f"{hit['article_id']}:999", "--index", corpus_index)
    assert bad.returncode == 2 and "has no passage 999" in bad.stderr


def test_ingest_says_which_files_are_gone_from_disk(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("sofrep-belarus-border.txt", "baltic-rail-link.html"):
        shutil.copy(CORPUS / name, src / name)
    index = tmp_path / "index"
    assert run_cli("ingest", src, "--index", index, "--workers", "1").returncode == 0
    (src / "baltic-rail-link.html").unlink()
    r = run_cli("ingest", src, "--index", index, "--workers", "1")
    assert "1 file in the index is gone from disk; --prune removes it" in r.stderr
    assert json.loads(run_cli("ingest", src, "--index", index, "--workers", "1", "--json").stdout)["gone"] == 1
    pruned = run_cli("ingest", src, "--index", index, "--workers", "1", "--prune")
    assert "1 pruned" in pruned.stderr and "gone from disk" not in pruned.stderr


def test_ingest_progress_counts_articles_of_one_jsonl_file(tmp_path: Path) -> None:
    feed = tmp_path / "dump.jsonl"
    feed.write_text("\n".join(json.dumps({"title": f"Report {i}", "text": f"Officials in Vilnius said on Tuesday that "
                                          f"report {i} on the rail corridor would be published next month."})
                              for i in range(40)) + "\n")
    run = run_on_terminal(["ingest", feed, "--index", tmp_path / "ix", "--workers", "1"], columns=120,
                          stderr_terminal=True)
    assert run.returncode == 0, run.screen
    frames = run.screen
    assert re.search(r"\b\d+/40 articles\b", frames), frames[-2000:]
    assert "articles/s" in frames and "ETA" in frames
    first = frames.index("/40 articles")  # from the first article on, the bar counts articles, not files
    assert "files" not in frames[first:].split("40 new, 0 updated")[0]
    assert "40 new, 0 updated" in frames


def test_hits_name_entities_the_same_with_or_without_the_small_names_file(corpus_index: Path,
                                                                          tmp_path: Path) -> None:
    """A plain search reads canonical names from entity_names.json instead of loading the
    whole entity table (start-up time); without the file (an older index) it uses the table."""
    copy = tmp_path / "index"
    shutil.copytree(corpus_index, copy)
    names = json.loads((copy / "entity_names.json").read_text())
    assert names["names"]["person"]  # e.g. "Lukashenko" -> "Alexander Lukashenko"
    args = ("belarus", "--all-passages", "-n", "50")
    with_file = _search(copy, *args)
    (copy / "entity_names.json").unlink()
    without = _search(copy, *args)
    assert [h["entities"] for h in with_file["hits"]] == [h["entities"] for h in without["hits"]]
    assert any("Alexander Lukashenko" in h["entities"]["person"] for h in with_file["hits"])


def test_a_missing_index_is_named_as_a_folder(tmp_path: Path) -> None:
    r = run_cli("search", "x", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("searchkit: error: no index at index/ (hint: build one with: searchkit ingest PATH)")
