"""``searchkit batch``: many queries in one process; a bad row is an output row (issue 16)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema

from searchkit.batch import read_queries

from .conftest import run_cli
from .test_json_schema import SCHEMA

CSV_QUERIES = """\
query,person,since,limit,exact
border,,,,
border,lukashenko,,1,
border AND,,,,
rail,,2021-13,,
Kaunas,,,x,
zeppelin,,,,
border,,2021,,
US,,,,yes
"""


def search_total(index: Path, *args: str) -> int:
    proc = run_cli("search", *args, "--exact-count", "--json", "--index", index)
    return int(json.loads(proc.stdout)["total"]) if proc.stdout else 0


def test_csv_batch_with_good_and_bad_rows(handmade_index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.csv"
    queries.write_text(CSV_QUERIES, encoding="utf-8")
    proc = run_cli("batch", queries, "--jsonl", "--index", handmade_index)
    assert proc.returncode == 1, proc.stderr  # some rows had errors; the others ran
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for row in rows:
        validator.validate(row)
    assert [r["input_line"] for r in rows] == list(range(2, 10))  # every row, in order, by its line
    by_line = {r["input_line"]: r for r in rows}
    # Each good row answers what `search` answers for the same query and filters.
    assert by_line[2]["total"] == search_total(handmade_index, "border") > 2
    assert by_line[3]["total"] == search_total(handmade_index, "border", "--person", "lukashenko")
    assert by_line[3]["filters"] == {"person": ["lukashenko"]} and len(by_line[3]["hits"]) == 1
    assert by_line[8]["total"] == search_total(handmade_index, "border", "--since", "2021")
    assert by_line[7]["total"] == 0 and by_line[7]["error"] is None and by_line[7]["hits"] == []
    top = run_cli("search", "border", "-n", "3", "--json", "--index", handmade_index)
    assert by_line[2]["hits"] == json.loads(top.stdout)["hits"]  # the same fields as search
    # The bad rows carry their error and nothing else.
    assert by_line[4]["error"] == "the query ends with an operator or has no words"
    assert by_line[5]["error"].startswith("'2021-13' is not a date")
    assert by_line[6]["error"] == "column limit: 'x' is not a number of hits (1 or more)"
    assert all(by_line[n]["total"] is None and by_line[n]["hits"] == [] for n in (4, 5, 6))
    assert proc.stderr.strip().splitlines() == ["8 queries run, 3 failed"]


def test_text_file_from_stdin_with_filters_for_every_row(handmade_index: Path) -> None:
    lines = "# names from the list\nborder\n\nwarsaw OR kaunas\nborder closure\n"
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "searchkit", "batch", "-", "--place", "lithuania", "--jsonl",
                           "--index", str(handmade_index)], input=lines, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # every row ran (one with no hits)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["input_line"], r["query"]) for r in rows] == [(2, "border"), (4, "warsaw OR kaunas"),
                                                             (5, "border closure")]
    for r in rows:
        assert r["filters"] == {"place": ["lithuania"]}
        assert r["total"] == search_total(handmade_index, r["query"], "--place", "lithuania")
    assert rows[1]["total"] == 0


def test_csv_output_is_one_row_per_hit(handmade_index: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text("query\nborder\nzeppelin\nborder AND\n", encoding="utf-8")
    proc = run_cli("batch", queries, "--csv", "-n", "2", "--index", handmade_index)
    assert proc.returncode == 1
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["input_line"], r["query"], r["rank"]) for r in rows] == [
        ("2", "border", "1"), ("2", "border", "2"), ("3", "zeppelin", ""), ("4", "border AND", "")]
    assert rows[0]["total"] == str(search_total(handmade_index, "border"))
    assert rows[2]["total"] == "0" and rows[3]["total"] == ""
    assert rows[3]["error"] == "the query ends with an operator or has no words"
    assert rows[0]["passage_id"] and rows[0]["text"]


def test_terminal_text_and_exit_codes(handmade_index: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("border\nkaunas\n", encoding="utf-8")
    proc = run_cli("batch", good, "--index", handmade_index)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"   1  border  {search_total(handmade_index, 'border')} passages"
    assert f"   2  kaunas  {search_total(handmade_index, 'kaunas')} passages" in lines
    assert all(ln.startswith("        ") and ":" in ln.split()[0] for ln in lines if not ln.startswith("   "))
    missing = run_cli("batch", tmp_path / "nope.txt", "--index", handmade_index)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith("searchkit: error: cannot read ") and "Traceback" not in missing.stderr
    unknown = tmp_path / "cols.csv"
    unknown.write_text("query,persn\nborder,x\n", encoding="utf-8")
    bad_col = run_cli("batch", unknown, "--index", handmade_index)
    assert bad_col.returncode == 2
    assert bad_col.stderr.strip().startswith("searchkit: error: ") and "unknown column persn" in bad_col.stderr
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert run_cli("batch", binary, "--index", handmade_index).returncode == 2


def test_read_queries_tells_csv_from_lines() -> None:
    rows = read_queries("Query,Site\n\"border, closure\",example.org; news.example\n")
    assert [(r.query, r.filters) for r in rows] == [("border, closure", {"site": ["example.org", "news.example"]})]
    plain = read_queries("a query, with a comma\n#comment\n  second  \n")
    assert [(r.line, r.query) for r in plain] == [(1, "a query, with a comma"), (3, "second")]
