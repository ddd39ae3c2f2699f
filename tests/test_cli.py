"""The CLI through a real subprocess: exit codes, JSON contracts, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import CORPUS, SEED, run_cli

BORDER = "The border closure comes after six weeks"


def test_search_prints_ranked_highlighted_passages(corpus_handmade_index: Path) -> None:
    r = run_cli("search", "border closure", "--index", corpus_handmade_index)
    assert r.returncode == 0, r.stderr
    assert r.stdout.lstrip().startswith("1.")
    assert BORDER in r.stdout
    assert "passage" in r.stdout and "matched" in r.stdout


def test_search_json_is_one_document_with_the_documented_fields(corpus_handmade_index: Path) -> None:
    r = run_cli("search", "border closure", "--index", corpus_handmade_index, "--json", "--person", "lukashenko",
                "--facets")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == 1
    assert doc["hits"][0]["text"].startswith(BORDER)
    hit = doc["hits"][0]
    for start, end in hit["highlights"]:
        assert hit["text"][start:end].lower() in {"border", "closure"}
    assert isinstance(doc["facets"]["person"], list)


def test_search_jsonl_is_one_hit_per_line(corpus_handmade_index: Path) -> None:
    r = run_cli("search", "belarus", "--index", corpus_handmade_index, "--jsonl", "-n", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 3
    assert [json.loads(x)["rank"] for x in lines] == [1, 2, 3]


def test_no_hits_exits_1_with_a_suggestion(corpus_handmade_index: Path) -> None:
    r = run_cli("search", "lukashenka", "--index", corpus_handmade_index)
    assert r.returncode == 1
    assert "did you mean: lukashenko" in r.stderr
    r = run_cli("search", "border closure", "--person", "navalny", "--index", corpus_handmade_index, "--json")
    assert r.returncode in (0, 1)
    assert all(not h["text"].startswith(BORDER) for h in json.loads(r.stdout)["hits"])


def test_errors_exit_2_with_one_line_and_no_traceback(corpus_handmade_index: Path, tmp_path: Path) -> None:
    cases = [
        ("search", '"unclosed', "--index", corpus_handmade_index),
        ("search", "x", "--index", tmp_path / "missing"),
        ("search", "x", "--since", "yesterday", "--index", corpus_handmade_index),
        ("show", "ffffffffffff", "--index", corpus_handmade_index),
        ("similar", "nope:1", "--index", corpus_handmade_index),
        ("entities", "--type", "planet", "--index", corpus_handmade_index),
        ("clean", tmp_path / "missing.html"),
        ("search", "--no-such-option"),
    ]
    for args in cases:
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
        assert r.stdout == ""
        assert len(r.stderr.strip().splitlines()) <= 4 if "--no-such-option" in args \
            else len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_index_comes_from_the_environment(corpus_handmade_index: Path) -> None:
    r = run_cli("stats", "--json", env={"SEARCHKIT_INDEX": str(corpus_handmade_index)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["articles"] == 6


def test_ingest_summary_and_exit_codes(tmp_path: Path) -> None:
    index = tmp_path / "index"
    r = run_cli("ingest", CORPUS, "--index", index, "--workers", "1", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["new"], summary["failed"]) == (6, [])
    again = run_cli("ingest", CORPUS, "--index", index, "--workers", "1")
    assert again.returncode == 0
    assert "0 new, 0 updated, 6 unchanged, 0 failed" in again.stderr
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    partial = run_cli("ingest", bad, SEED, "--index", tmp_path / "other", "--workers", "1")
    assert partial.returncode == 1
    assert "empty file" in partial.stderr
    assert "1 new" in partial.stderr


def test_show_and_clean_list_removed_blocks_with_reasons(corpus_handmade_index: Path) -> None:
    hit = json.loads(run_cli("search", "border closure", "--index", corpus_handmade_index, "--json").stdout)["hits"][0]
    r = run_cli("show", hit["article_id"], "--index", corpus_handmade_index, "--removed")
    assert r.returncode == 0, r.stderr
    assert BORDER in r.stdout
    assert "Read Next" in r.stdout  # listed among the removed blocks
    doc = json.loads(run_cli("show", hit["passage_id"], "--index", corpus_handmade_index, "--json").stdout)
    assert doc["article_id"] == hit["article_id"]
    assert doc["removed"] and all(x["rule"] and x["reason"] for x in doc["removed"])
    cleaned = run_cli("clean", SEED, "--json")
    assert cleaned.returncode == 0
    assert "Read Next" not in json.loads(cleaned.stdout)["text"]


def test_entities_and_similar_commands(corpus_handmade_index: Path) -> None:
    r = run_cli("entities", "--type", "person", "--index", corpus_handmade_index, "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["entities"]
    assert rows and all(row["type"] == "person" for row in rows)
    # --limit, as search spells it, is --top here too
    for spelling in ("--top", "--limit", "-n"):
        one = run_cli("entities", "--type", "person", spelling, "1", "--index", corpus_handmade_index, "--json")
        assert one.returncode == 0, one.stderr
        assert json.loads(one.stdout)["entities"] == rows[:1]
    hit = json.loads(run_cli("search", "border closure", "--index", corpus_handmade_index, "--json").stdout)["hits"][0]
    similar = run_cli("similar", hit["passage_id"], "--index", corpus_handmade_index, "--json")
    assert similar.returncode == 0
    assert json.loads(similar.stdout)["hits"]


def test_every_command_has_help_with_an_example() -> None:
    for command in ("ingest", "search", "show", "clean", "entities", "stats", "similar"):
        r = run_cli(command, "--help")
        assert r.returncode == 0
        assert "Example:" in r.stdout, command


def test_query_path_imports_neither_spacy_nor_html_stack(corpus_handmade_index: Path) -> None:
    code = (
        "import sys\n"
        "from searchkit.cli import app\n"
        f"try:\n    app(['search', 'border closure', '--facets', '--index', {str(corpus_handmade_index)!r}], "
        "standalone_mode=False)\n"
        "except BaseException:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'spacy', 'bs4', 'lxml', 'thinc', 'torch'})\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY=" in r.stdout, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="
    assert BORDER in r.stdout


# --- issue 15: first contact ---------------------------------------------------------------------

def test_bare_searchkit_prints_the_help_readably() -> None:
    r = run_cli()
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "Usage: searchkit [OPTIONS] COMMAND [ARGS]..."
    assert "Commands:" in lines and "Options:" in lines
    assert any(line.split()[:1] == ["search"] for line in lines)
    assert r.stdout == run_cli("--help").stdout


def test_search_with_no_query_and_no_filter_shows_its_usage(corpus_index: Path) -> None:
    for args in (["search"], ["search", ""], ["search", "   "]):
        r = run_cli(*args, "--index", corpus_index)
        assert r.returncode == 2, r.stdout
        assert r.stdout == ""
        (error,) = r.stderr.strip().splitlines()
        assert error.startswith("searchkit: error: nothing to search for; usage: searchkit search [OPTIONS] "
                                "[QUERY] with a query, or with filters only (--person, --org")
    filtered = run_cli("search", "--person", "lukashenko", "--index", corpus_index)
    assert filtered.returncode == 0 and "Lukashenko" in filtered.stdout


def test_version() -> None:
    from importlib.metadata import version

    r = run_cli("--version")
    assert (r.returncode, r.stdout) == (0, f"searchkit {version('searchkit')}\n")


def test_shell_completion_completes_commands_and_options() -> None:
    assert "--install-completion" in run_cli("--help").stdout
    # Typed in bash, as a user does: typer finds the shell among the process's parents (run
    # with no shell above it, e.g. from a detached job, it says "Shell not supported").
    script = subprocess.run(["bash", "-c", f'"{sys.executable}" -m searchkit --show-completion; exit $?'],
                            capture_output=True, text=True, timeout=120)
    assert script.returncode == 0 and "_searchkit_completion" in script.stdout
    env = {"_SEARCHKIT_COMPLETE": "complete_bash", "COMP_CWORD": "1", "COMP_WORDS": "searchkit se"}
    assert run_cli(env=env).stdout.split() == ["search"]
    env = {**env, "COMP_CWORD": "2", "COMP_WORDS": "searchkit search --per"}
    assert run_cli(env=env).stdout.split() == ["--person"]
