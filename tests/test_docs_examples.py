"""Every example in the README and in ``--help`` runs as shown on ``corpus/`` (issue 15, item 2).

The examples are read from the files themselves: the README's tour (each ``$ searchkit ...``
line, its output and its ``# exit N``), the README's Python block, and every ``Example:`` line
of ``searchkit --help`` and each command's ``--help``. They run in a fresh copy of ``corpus/``
with stdout on a 100-column terminal, as the tour was pasted. Article ids are derived from the
file path, so the README's ids are mapped to this run's ids by the order in which they first
appear; timings, the checkout's location and the index size are the only other differences
allowed. (The install lines at the top of the README are CI's job: they need the network.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import CORPUS, ROOT, run_cli
from .terminal_support import run_on_terminal

README = ROOT / "README.md"
CHECKOUT = "/home/you/searchkit"  # how the README writes the path of the checkout
COLUMNS = 100
ARTICLE_ID = re.compile(r"\b[0-9a-f]{12}\b")
ELISION = re.compile(r"^…(\s+\(.*\))?$")  # a line "…" or "…  (what was left out)" stands for any lines


@dataclass
class Example:
    command: str
    output: list[str]
    exit_code: int


def tour_examples(text: str) -> list[Example]:
    """The ``$ command`` / output / ``# exit N`` examples of the README's CLI tour."""
    section = text.split("\n## A tour of the CLI", 1)[1].split("\n## ", 1)[0]
    examples: list[Example] = []
    # Every fence pairs with the next (a ```text block is skipped, not taken for an opening).
    for lang, block in re.findall(r"^```(\w*)\n(.*?)^```$", section, re.S | re.M):
        if lang:
            continue
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append(Example(line[2:], [], 0))
            elif m := re.fullmatch(r"# exit (\d+)", line):
                examples[-1].exit_code = int(m.group(1))
            else:
                examples[-1].output.append(line)
    return examples


def python_examples(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)


def help_examples() -> list[str]:
    """Every ``Example:`` line of the top-level help and of each command's help."""
    top = run_cli("--help").stdout
    commands = re.findall(r"^  (\w+)  ", top.split("Commands:", 1)[1], re.M)
    assert len(commands) >= 7, top
    examples = []
    for args in ([], *([c] for c in commands)):
        page = run_cli(*args, "--help").stdout
        found = re.findall(r"^\s*Example:\s+(.+)$", page, re.M)
        assert found, f"searchkit {' '.join(args)} --help has no example"
        examples.extend(found)
    return examples


def normalise(text: str, checkout: str) -> str:
    """What may differ between two runs: the checkout's location, timings, the index size."""
    text = text.replace(checkout, CHECKOUT)
    text = re.sub(r"\d+(\.\d+)? ms\b", "N ms", text)
    text = re.sub(r'"elapsed_ms": [\d.]+', '"elapsed_ms": N', text)
    text = re.sub(r"\bin \d+(\.\d+)? s\b", "in N s", text)
    return re.sub(r"\d+\.\d MB\b", "N MB", text)


class Ids:
    """README ids -> this run's ids, paired through the file each one belongs to (the search
    output prints ``<id>:<ordinal>  <path>``, JSON prints ``article_id`` and ``path``)."""

    PAIRS = (re.compile(r"\b([0-9a-f]{12}):\d+\s+(\S+)"),
             re.compile(r'"article_id": "([0-9a-f]{12})".*?"path": "([^"]+)"'))

    def __init__(self) -> None:
        self.readme: dict[str, str] = {}  # README id -> file name
        self.actual: dict[str, str] = {}  # file name -> id in this run

    def see(self, readme_text: str, actual_text: str) -> None:
        for pattern in self.PAIRS:
            for i, path in pattern.findall(readme_text):
                self.readme.setdefault(i, os.path.basename(path))
            for i, path in pattern.findall(actual_text):
                self.actual.setdefault(os.path.basename(path), i)

    def to_actual(self, text: str) -> str:
        def swap(m: re.Match[str]) -> str:
            return self.actual.get(self.readme.get(m.group(), ""), m.group())

        return ARTICLE_ID.sub(swap, text)


def matches(expected: list[str], actual: str) -> bool:
    lines = list(expected)
    while lines and not lines[-1].strip():
        lines.pop()
    pattern = "".join(r"(?:[^\n]*\n)*?" if ELISION.match(line) else re.escape(line) + r"\n" for line in lines)
    return re.fullmatch(pattern, actual.rstrip("\n") + "\n") is not None


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of corpus/ and nothing else, as in a fresh clone."""
    root = tmp_path_factory.mktemp("clone") / "searchkit"
    root.mkdir()
    shutil.copytree(CORPUS, root / "corpus")
    return root


def _shell_env() -> dict[str, str]:
    """`searchkit` on PATH (this virtualenv's script), no index in the environment."""
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    return env


def _run(command: str, cwd: Path) -> tuple[int, str]:
    run = run_on_terminal([], shell=command, columns=COLUMNS, cwd=cwd, env=_shell_env())
    return run.returncode, run.screen + run.stderr


def test_the_readme_tour_runs_as_shown(checkout: Path) -> None:
    examples = tour_examples(README.read_text())
    assert examples[0].command == "searchkit ingest corpus/"  # the tour starts from a fresh clone
    assert len(examples) >= 8
    ids = Ids()
    for ex in examples:
        command = ids.to_actual(ex.command)
        code, out = _run(command, checkout)
        out = normalise(out, str(checkout))
        ids.see("\n".join(ex.output), out)
        expected = normalise(ids.to_actual("\n".join(ex.output)), str(checkout)).split("\n")
        assert code == ex.exit_code, (command, code, out)
        assert matches(expected, out), f"$ {command}\n--- README\n" + "\n".join(expected) + f"\n--- got\n{out}"


def test_the_readme_python_example_runs(checkout: Path) -> None:
    (block,) = python_examples(README.read_text())
    r = subprocess.run([sys.executable, "-c", block], cwd=checkout, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_every_help_example_runs_on_the_corpus(checkout: Path) -> None:
    ids = Ids()
    for ex in tour_examples(README.read_text()):  # README ids -> ids of this checkout
        ids.see("\n".join(ex.output), "")
    code, out = _run("searchkit ingest corpus/ -q && searchkit search 'border closure' --jsonl && "
                     "searchkit search belarus --jsonl -n 20 --all-passages", checkout)
    assert code == 0, out
    ids.see("", out)
    for example in help_examples():
        command = ids.to_actual(example)
        code, out = _run(command, checkout)
        assert code == 0, (example, out)
        assert out.strip(), example
        assert "error" not in out, (example, out)


def print_tour() -> None:
    """Run the README tour's commands in a fresh copy of corpus/ and print them as the tour
    shows them (checkout path as /home/you/searchkit), to re-paste after an output change:
    ``python -m tests.test_docs_examples``. Elided lines (``…``) are the editor's to redo, and
    the article id in the ``show``/``similar`` help examples must be the new tour's seed id."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="searchkit-tour-")) / "searchkit"
    root.mkdir()
    shutil.copytree(CORPUS, root / "corpus")
    ids = Ids()
    for ex in tour_examples(README.read_text()):
        command = ids.to_actual(ex.command)
        code, out = _run(command, root)
        ids.see("\n".join(ex.output), out)
        print(f"$ {command}\n{out.replace(str(root), CHECKOUT).rstrip()}\n# exit {code}\n")


if __name__ == "__main__":
    print_tour()
