"""What people and pipes see (issue 15): a closed pipe, wrapping on a terminal and none when
piped, the pager, tables that never cut a name, counts and wording. Every check runs the real
``searchkit`` process; the terminal ones run it on a pseudo-terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CORPUS, SEED, run_cli
from .terminal_support import run_on_terminal, write_pager

RAIL = CORPUS / "baltic-rail-link.html"
URL = "https://balticledger.example/2020/10/02/rail-baltica-kaunas"


def _first_hit(index: Path, query: str = "border closure") -> dict:
    return json.loads(run_cli("search", query, "--index", index, "--json").stdout)["hits"][0]


# --- item 3: a closed pipe ----------------------------------------------------------------------

def _with_closed_stdout(args: list[str | os.PathLike[str]]) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe whose reader is already gone (``| head -1`` after its line):
    every write fails with EPIPE, whatever the size of the output."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
        return subprocess.run([sys.executable, "-m", "searchkit", *map(str, args)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("command", ["search", "search-jsonl", "search-csv", "show", "clean", "similar",
                                     "entities", "stats", "help"])
def test_a_closed_pipe_exits_0_and_says_nothing(corpus_index: Path, command: str) -> None:
    hit = _first_hit(corpus_index)
    args: list[str | os.PathLike[str]] = {
        "search": ["search", "belarus", "-n", "50"],
        "search-jsonl": ["search", "belarus", "--jsonl"],
        "search-csv": ["search", "belarus", "--csv"],
        "show": ["show", hit["article_id"], "--removed"],
        "clean": ["clean", RAIL],
        "similar": ["similar", hit["passage_id"]],
        "entities": ["entities"],
        "stats": ["stats"],
        "help": ["search", "--help"],
    }[command]
    if command not in ("clean", "help"):
        args = [*args, "--index", corpus_index]
    r = _with_closed_stdout(args)
    assert r.returncode == 0, (r.returncode, r.stderr)  # not 1 ("no hits"), not 120
    assert r.stderr == ""


def test_head_reads_the_first_line_and_searchkit_exits_0(corpus_index: Path) -> None:
    r = subprocess.run(f"{sys.executable} -m searchkit search belarus --all-passages -n 100 --index "
                       f"'{corpus_index}' | head -1; echo \"status=${{PIPESTATUS[0]}}\"", shell=True,
                       executable="/bin/bash", capture_output=True, text=True, timeout=120,
                       env={**os.environ, "NO_COLOR": "1"})
    first, status = r.stdout.rstrip("\n").splitlines()
    assert first.startswith(" 1. ")
    assert status == "status=0", r.stderr
    assert r.stderr == ""


# --- item 4: piped text is the text; a terminal never cuts a word ------------------------------

def test_clean_to_a_file_is_the_cleaned_text_unwrapped() -> None:
    doc = json.loads(run_cli("clean", RAIL, "--json").stdout)
    r = run_cli("clean", RAIL, env={"COLUMNS": "40"})
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition("\n\n")
    assert f"url: {URL}" in head.splitlines()
    assert body.rstrip("\n") == doc["text"]  # exactly as cleaned: no wrapping at 40 columns
    assert not [line for line in r.stdout.splitlines() if line != line.rstrip()]  # no trailing spaces


def test_show_and_search_piped_keep_paths_ids_and_passages_on_one_line(corpus_index: Path) -> None:
    hit = _first_hit(corpus_index)
    shown = run_cli("show", hit["article_id"], "--index", corpus_index, env={"COLUMNS": "30"})
    assert f"path: {hit['path']}" in shown.stdout.splitlines()
    assert f"id: {hit['article_id']}" in shown.stdout.splitlines()
    found = run_cli("search", "border closure", "--index", corpus_index, env={"COLUMNS": "30"})
    lines = [line.strip() for line in found.stdout.splitlines()]
    assert hit["text"] in lines
    assert any(line.startswith(hit["passage_id"] + "  ") for line in lines)
    assert not [line for line in found.stdout.splitlines() if line != line.rstrip()]


def _words(text: str) -> list[str]:
    return text.split()


def test_on_a_terminal_text_wraps_at_spaces_and_never_inside_a_url_or_path(corpus_index: Path,
                                                                         tmp_path: Path) -> None:
    doc = json.loads(run_cli("clean", RAIL, "--json").stdout)
    run = run_on_terminal(["clean", RAIL], columns=40)
    assert run.returncode == 0, run.stderr
    lines = run.screen.splitlines()
    assert f"url: {URL}" in lines  # longer than the 40 columns, and whole
    body = run.screen.partition("\n\n")[2]
    assert _words(body) == _words(doc["text"])  # wrapped only at spaces: no word was split
    wrapped = [line for line in body.splitlines() if line]
    assert len(wrapped) > len(doc["text"].split("\n\n")), "expected wrapping at 40 columns"
    assert all(len(line) <= 40 or " " not in line for line in wrapped)
    assert all(line == line.rstrip() for line in lines)

    hit = _first_hit(corpus_index)
    shown = run_on_terminal(["show", hit["article_id"], "--index", corpus_index], columns=30)
    assert f"path: {hit['path']}" in shown.screen.splitlines()
    found = run_on_terminal(["search", "border closure", "--index", corpus_index], columns=30)
    assert any(line.strip() == hit["passage_id"] for line in found.screen.splitlines())
    assert hit["path"].split("/")[-1] in found.screen  # the path is on a line of its own, whole
    assert any(line.strip().endswith(hit["path"].split("/")[-1]) and "/" in line for line in found.screen.splitlines())


# --- the pager ----------------------------------------------------------------------------------

def test_long_output_on_a_terminal_goes_through_the_pager(tmp_path: Path) -> None:
    pager, record = write_pager(tmp_path)
    run = run_on_terminal(["clean", RAIL], columns=80, lines=10, stdin_terminal=True,
                          env={"SEARCHKIT_PAGER": pager})
    assert run.returncode == 0, run.stderr
    paged = record.read_text()
    assert URL in paged and "Kaunas intermodal terminal" in paged
    assert "Kaunas intermodal terminal" not in run.screen  # the pager showed it, not us


def test_no_pager_for_short_output_with_no_pager_or_when_piped(tmp_path: Path, corpus_index: Path) -> None:
    pager, record = write_pager(tmp_path)
    env = {"SEARCHKIT_PAGER": pager}
    short = run_on_terminal(["search", "border closure", "-n", "1", "--index", corpus_index], lines=60,
                            stdin_terminal=True, env=env)
    assert "The border closure" in short.screen and not record.exists()
    flag = run_on_terminal(["clean", RAIL, "--no-pager"], lines=10, stdin_terminal=True, env=env)
    assert "Kaunas intermodal terminal" in flag.screen and not record.exists()
    piped = run_cli("clean", RAIL, env=env)
    assert "Kaunas intermodal terminal" in piped.stdout and not record.exists()


# --- facets and entity tables never cut a name ---------------------------------------------------

@pytest.mark.parametrize("columns", [50, 200])
def test_facet_names_are_never_cut(corpus_index: Path, columns: int) -> None:
    args = ["search", "lukashenko OR belarus", "--facets", "-n", "1", "--index", corpus_index]
    facets = json.loads(run_cli(*args, "--json").stdout)["facets"]
    names = [f"{row['name']} ({row['count']})" for rows in facets.values() for row in rows[:10]]
    for screen in (run_on_terminal(args, columns=columns).screen,
                   run_cli(*args, env={"COLUMNS": str(columns)}).stdout):
        assert "Entities in matching passages" in screen
        for name in names:
            assert name in screen, (name, screen)
        assert "…" not in screen.partition("Entities in matching passages")[2]
        if columns == 200:
            assert "┃" in screen  # wide enough: the table itself


def test_entity_table_never_cuts_a_name(corpus_index: Path) -> None:
    rows = json.loads(run_cli("entities", "--index", corpus_index, "--json").stdout)["entities"]
    screen = run_on_terminal(["entities", "--index", corpus_index], columns=30).screen
    for row in rows:
        assert row["name"] in screen
        for alias in row["aliases"]:
            assert alias in screen


# --- --removed: per rule, then every block -------------------------------------------------------

def test_removed_is_summarised_per_rule_and_listed_with_all(corpus_index: Path) -> None:
    removed = json.loads(run_cli("clean", RAIL, "--json").stdout)["removed"]
    rules = {r["rule"]: sum(1 for x in removed if x["rule"] == r["rule"]) for r in removed}
    summary = run_cli("clean", RAIL, "--removed").stdout.partition("\nRemoved ")[2]
    assert summary.startswith(f"{len(removed)} blocks by {len(rules)} rules")
    assert "--removed=all" in summary.splitlines()[0]
    for rule, n in rules.items():
        (line,) = [x for x in summary.splitlines() if f"[{rule}]" in x]
        assert line.split()[0] == str(n)
    every = run_cli("clean", RAIL, "--removed=all").stdout.partition("\nRemoved ")[2]
    assert every.startswith(f"{len(removed)} blocks:")
    assert sum(1 for x in every.splitlines() if x.startswith("  - [")) == len(removed)
    hit = _first_hit(corpus_index)
    shown = run_cli("show", hit["article_id"], "--removed=all", "--index", corpus_index)
    assert shown.returncode == 0 and "Read Next" in shown.stdout
    bad = run_cli("show", hit["article_id"], "--removed=some", "--index", corpus_index)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


# --- item 11: wording and numbers ----------------------------------------------------------------

def test_no_hits_has_one_wording_and_nothing_on_stdout(corpus_index: Path) -> None:
    r = run_cli("search", "lukashenka", "--index", corpus_index)
    assert r.returncode == 1 and r.stdout == ""
    assert re.fullmatch(r"0 passages matched \(\d+\.\d ms\); did you mean: lukashenko\n", r.stderr), r.stderr
    hits = run_cli("search", "border closure", "--index", corpus_index)
    assert re.search(r"^1 passage matched \(\d+\.\d ms\)$", hits.stdout, re.M), hits.stdout


def test_ingest_summary_names_the_index_folder(tmp_path: Path) -> None:
    r = run_cli("ingest", SEED, "--index", tmp_path / "idx", "--workers", "1")
    assert r.returncode == 0, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"1 article, \d+ passages in .*idx/", last), last


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One article of 1,050 paragraphs, each naming Angela Merkel: counts past 1,000."""
    root = tmp_path_factory.mktemp("big")
    paragraphs = [f"Paragraph {i}: Angela Merkel spoke to reporters in Berlin about the budget and the coalition "
                  f"plans for the year." for i in range(1050)]
    (root / "long.jsonl").write_text(json.dumps({"id": "long", "title": "A long day in Berlin",
                                                 "text": "\n\n".join(paragraphs)}) + "\n")
    r = run_cli("ingest", root / "long.jsonl", "--index", root / "index", "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert "1,050 passages in" in r.stderr
    return root / "index"


def test_counts_have_thousands_separators(big_index: Path) -> None:
    stats = run_cli("stats", "--index", big_index).stdout
    assert re.search(r"^ passages: 1,050$", stats, re.M), stats
    entities = run_cli("entities", "--index", big_index).stdout
    assert re.search(r"Angela Merkel .* 1,050 ", entities), entities
    found = run_cli("search", "merkel", "--facets", "-n", "1", "--index", big_index).stdout
    assert "Angela Merkel (1,050)" in found
    assert "1,050 passages matched, 1 shown" in found
    shown = run_cli("show", json.loads(run_cli("search", "merkel", "--index", big_index, "--json").stdout)
                    ["hits"][0]["article_id"], "--index", big_index).stdout
    assert "passages: 1,050" in shown.splitlines()
