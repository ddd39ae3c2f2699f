"""The typer-free way into ``search`` (start-up time, issue 15): it knows exactly the options
typer declares, gives the same output, and leaves everything else to typer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from searchkit.cli import app
from searchkit.commands import SearchArgs
from searchkit.entry import SEARCH_OPTIONS, parse_search

from .conftest import run_cli


def _typer_search() -> typer.core.TyperCommand:
    return typer.main.get_command(app).commands["search"]  # type: ignore[attr-defined]


def test_the_fast_options_are_typers_options() -> None:
    declared = {}
    for param in _typer_search().params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        kind = ("flag" if param.is_flag else "list" if param.multiple else
                ("int" if param.type.min == 1 else "count") if param.type.name.startswith("int")
                else "path" if param.type.name == "path" else "text")
        for opt in param.opts:
            declared[opt] = (param.name, kind)
    fields = {f for f in SearchArgs.__dataclass_fields__}
    assert {opt: spec for opt, spec in SEARCH_OPTIONS.items()} == declared
    assert {name for name, _ in declared.values()} | {"query"} == fields


@pytest.mark.parametrize("argv", [
    ["border closure", "--index", "ix", "-n", "3", "--person", "a", "--person=b", "--json"],
    ["--facets", "--", "-weird query"],
    ["x", "--since=2020-10", "--until", "2021", "--any", "--all-passages", "--no-pager"],
    ["x", "--sort=-date", "-C", "0", "--context", "2", "--csv"],
])
def test_fast_parse_reads_what_typer_reads(argv: list[str]) -> None:
    fast = parse_search(argv)
    assert fast is not None
    seen: dict[str, SearchArgs] = {}

    def capture(a: SearchArgs) -> None:
        seen["args"] = a

    import searchkit.cli.search as cli

    original = cli.run_search
    cli.run_search = capture  # the typer command forwards to run_search: see what it passes
    try:
        app(["search", *argv], standalone_mode=False)
    finally:
        cli.run_search = original
    assert fast == seen["args"]


@pytest.mark.parametrize("argv", [
    ["--help"], ["-h"], ["a", "b"], ["x", "-n", "+1"], ["x", "-n", "five"], ["x", "-n5"], ["x", "--limit"],
    ["x", "--nope"], ["x", "--json=yes"], ["x", "--person", "--json"], ["x", "-n=3"],
])
def test_anything_unusual_is_left_to_typer(argv: list[str]) -> None:
    assert parse_search(argv) is None


def _without_elapsed(text: str) -> str:
    return re.sub(r'"elapsed_ms": [\d.]+|\d+\.\d ms', "", text)


@pytest.mark.parametrize("args", [
    ["border closure", "--json"], ["belarus", "--jsonl", "-n", "3", "--all-passages"], ["belarus", "--csv"],
    ["", "--person", "lukashenko", "--facets", "--json"], ["lukashenka"], ["border AND"], [],
    ["belarus", "--since", "2020-10", "--any"], ["belarus", "--sort", "date", "-C", "1", "--jsonl"],
    ["belarus", "--sort=-date", "--json"], ["belarus", "--sort", "-date"],
])
def test_the_fast_path_prints_what_typer_prints(corpus_index: Path, args: list[str]) -> None:
    argv = ["search", *args, "--index", corpus_index]
    fast = run_cli(*argv)
    slow = run_cli(*argv, env={"SEARCHKIT_FAST_PATH": "0"})
    assert fast.returncode == slow.returncode
    assert _without_elapsed(fast.stdout) == _without_elapsed(slow.stdout)
    assert re.sub(r"\d+\.\d ms", "", fast.stderr) == re.sub(r"\d+\.\d ms", "", slow.stderr)


@pytest.mark.parametrize("output", [["--json"], []], ids=["json", "text-to-a-pipe"])
def test_a_search_imports_neither_typer_nor_rich_nor_the_entity_table(corpus_index: Path, output: list[str]) -> None:
    # Hits for people written to a pipe need no styles either: rich is for a terminal.
    code = (
        "import sys\n"
        "from searchkit.entry import main\n"
        f"sys.argv = ['searchkit', 'search', 'border closure', *{output!r}, '--index', {str(corpus_index)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'spacy', 'bs4', 'lxml'})\n"
        # Nor the entity table and corrections: hits need only entity_names.json.
        "loaded += sorted(set(sys.modules) & {'searchkit.entity_table', 'searchkit.entity_edits',\n"
        "                                     'searchkit.entity_suggest', 'searchkit.names', 'difflib',\n"
        # Nor what only some searches need: the parser for query syntax, timelines, facets,
        # --explain, the hints for no hits, stats; nor the command-line modules.
        "                                     'whoosh.qparser', 'searchkit.timeline', 'searchkit.search.facets',\n"
        "                                     'searchkit.search.explain', 'searchkit.search.hints',\n"
        "                                     'searchkit.search.stats', 'searchkit.search.parser', 'searchkit.cli'})\n"
        "print('LOADED=' + ','.join(loaded), code)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    *doc, last = r.stdout.strip().splitlines()
    if output:
        assert json.loads(doc[0])["hits"]
    else:
        assert doc[0].startswith("1. sofrep-belarus-border.txt") and doc[-1].startswith("1 passage matched"), doc
    assert last == "LOADED= 0"


@pytest.mark.parametrize(("argv", "own"), [
    (["stats", "--index", "{index}", "--json"], "searchkit.cli.ingest"),
    (["search", "border", "--index", "{index}", "--explain", "-n", "x"], "searchkit.cli.search"),
    (["watch", "list", "--index", "{index}"], "searchkit.cli.workflows"),
])
def test_a_command_loads_only_its_own_module(corpus_index: Path, argv: list[str], own: str) -> None:
    code = (
        "import sys\n"
        "from searchkit.entry import main\n"
        f"sys.argv = ['searchkit', *{[a.format(index=corpus_index) for a in argv]!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.startswith('searchkit.cli.'))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip().splitlines()[-1] == "LOADED=" + ",".join(sorted(["searchkit.cli.root", own])), r.stderr


def test_the_help_lists_every_command_in_one_order_however_the_app_was_loaded() -> None:
    from searchkit.cli import COMMANDS, load_app

    load_app("shell")  # one module first, as the console script does, then the rest
    names = [c.name for c in typer.main.get_command(load_app()).commands.values()]  # type: ignore[attr-defined]
    assert names == list(COMMANDS)
    assert run_cli("--help").stdout.index("ingest") < run_cli("--help").stdout.index("shell")
