"""``searchkit shell`` driven through a pseudo-terminal (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

from searchkit.shell import PROMPT

from .conftest import run_cli
from .interactive_support import PtySession

UP = "\x1b[A"


def test_shell_session(handmade_index: Path, tmp_path: Path) -> None:
    history = tmp_path / "history"
    sh = PtySession("shell", "--index", handmade_index, env={"SEARCHKIT_HISTORY": str(history)})
    try:
        banner = sh.read_until(PROMPT)
        assert "searchkit shell: " in banner and "3 articles" in banner

        # A query with search's own options, shown as search shows it.
        sh.send("border -n 1\n")
        first = sh.read_until(PROMPT)
        assert " 1. " in first and "passages matched, 1 shown" in first

        # Session filters apply to every later query, until cleared.
        sh.send(":person lukashenko\n")
        assert "person: lukashenko" in sh.read_until(PROMPT)
        sh.send("border\n")
        filtered = sh.read_until(PROMPT)
        want = json.loads(run_cli("search", "border", "--person", "lukashenko", "--json",
                                  "--index", handmade_index).stdout)
        assert f"{want['total']} passages matched" in filtered
        assert "Rail link to Kaunas" not in filtered

        # :json: one JSON document per query, the same as search --json gives.
        sh.send(":json\n")
        sh.read_until(PROMPT)
        sh.send("border\n")
        doc = json.loads(sh.read_until(PROMPT).rsplit("\n", 1)[0].split("\n", 1)[1])
        assert [h["passage_id"] for h in doc["hits"]] == [h["passage_id"] for h in want["hits"]]

        # :timeline, :clear and :text.
        sh.send(":clear\n")
        sh.read_until(PROMPT)
        sh.send(":timeline year\n")
        sh.read_until(PROMPT)
        sh.send("border\n")
        timeline = json.loads(sh.read_until(PROMPT).rsplit("\n", 1)[0].split("\n", 1)[1])["timeline"]
        assert {b["period"]: b["articles"] for b in timeline["buckets"]} == {"2020": 1, "2021": 2}
        sh.send(":text\n")
        sh.read_until(PROMPT)
        sh.send("border\n")
        bars = sh.read_until(PROMPT)
        assert "Matching articles per year" in bars and "█" in bars

        # A bad line is one error line, and the shell goes on; so does an unknown :command.
        sh.send("border AND\n")
        bad = sh.read_until(PROMPT)
        assert "error: the query ends with an operator or has no words" in bad and "Traceback" not in bad
        sh.send(":frobnicate\n")
        assert "error: unknown command :frobnicate" in sh.read_until(PROMPT)
        sh.send(":help\n")
        assert ":person NAME" in sh.read_until(PROMPT)

        # Line editing and history: the up arrow brings back the last query, editable.
        sh.send(":timeline off\n")
        sh.read_until(PROMPT)
        sh.send("kaunas\n")
        assert "shown" not in sh.read_until(PROMPT)  # every match fits the default page
        sh.send(UP + " -n 1\n")  # the last line back, with " -n 1" typed after it
        edited = sh.read_until(PROMPT)
        assert "1 shown" in edited and "Rail link to Kaunas opens" in edited
        sh.send(":quit\n")
        assert sh.close() == 0
    finally:
        if sh.proc.poll() is None:
            sh.proc.kill()
    saved = history.read_text().splitlines()
    assert "border -n 1" in saved and ":person lukashenko" in saved and "kaunas -n 1" in saved


def test_end_of_input_leaves_and_a_missing_index_is_one_line(tmp_path: Path, handmade_index: Path) -> None:
    sh = PtySession("shell", "--index", handmade_index, env={"SEARCHKIT_HISTORY": ""})
    sh.read_until(PROMPT)
    sh.send("\x04")  # Ctrl-D
    assert sh.close() == 0
    missing = run_cli("shell", "--index", tmp_path / "none")
    assert missing.returncode == 2 and missing.stderr.startswith("searchkit: error: no index at ")


def test_lines_from_a_file_run_without_prompts(handmade_index: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "searchkit", "shell", "--index", str(handmade_index)],
                          input=":jsonl\n:place lithuania\nborder\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    hits = [json.loads(line) for line in proc.stdout.splitlines()]
    want = run_cli("search", "border", "--place", "lithuania", "--jsonl", "--index", handmade_index).stdout
    assert hits == [json.loads(line) for line in want.splitlines()] and hits
