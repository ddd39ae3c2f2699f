"""Faults of the file system and of the final merge (issue 19): a full disk gives one line and
leaves the last commit with no debris; an ingest killed during its final segment merge
resumes to exactly a clean ingest, and ``check`` never calls the state it leaves damage."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from searchkit.store.integrity import check_index

from .reliability_support import child_env, kill, one_line_error, run_cli, stats, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    assert write_corpus(folder) == 300
    return folder


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs (a 300-article index takes about 1 MB, and its final merge twice that)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({proc.stderr.strip()}); "
                    "the disk-full test needs root (CAP_SYS_ADMIN)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_is_one_line_and_leaves_the_last_commit_clean(corpus: Path, tiny_fs: Path) -> None:
    index = tiny_fs / "index"
    proc = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--commit-every", "20", "--quiet"])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = one_line_error(proc.stderr)
    assert line.startswith(f"searchkit: error: disk full while writing the index at {index} ("), line
    assert "MB free): this ingest needs about " in line and "MB more (estimate)" in line, line
    assert "the index is left at its last commit" in line and "internal error" not in line, line
    # The last commit is intact, with nothing of the failed one left (no segment files, no
    # temp files, no Whoosh lock), and check finds no problem.
    committed = stats(index)["articles"]
    assert 0 < committed < 300 and committed % 20 == 0, committed
    report = check_index(index)
    assert report.exit_code == 0, [f.line() for f in report.findings]
    assert not report.orphans
    assert {p.name for p in index.iterdir()} <= {p for p in report_files(index)}
    current = json.loads((index / "duplicates" / "current.json").read_text())["files"]  # the copy table:
    assert sorted(p.name for p in (index / "duplicates").iterdir()) == sorted(["current.json", *current.values()])
    # Space freed: the same ingest finishes, with exactly the counts of a clean ingest.
    subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_fs)], check=True)
    again = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--json"])
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["articles"], stats(index)["passages"]) == (300, 600)
    assert run_cli(["check", "--index", index]).returncode == 0


def report_files(index: Path) -> set[str]:
    """The files a committed index may hold: those its manifest lists, and the known ones."""
    manifest = json.loads((index / "manifest.json").read_bytes().rsplit(b"\n", 2)[0])
    return {*manifest["files"], "manifest.json", "entities.json", "ingest.lock", "searchkit.json", "duplicates"}


MERGE_INGEST = """
import sys
from searchkit.ingest import ingest
from searchkit.settings import IngestSettings

def progress(event, done, total):
    if event == "merge" and done == 0:
        print("merge", total, flush=True)

# Commits of 30 articles leave ten equal segments, all merged at the end.
r = ingest([sys.argv[1]], index=sys.argv[2], workers=1, settings=IngestSettings(commit_every=30),
           progress=progress)
print("done", r.articles, r.passages, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_kill_during_the_final_merge_resumes_to_a_clean_ingest(corpus: Path, tmp_path: Path, delay: float) -> None:
    index = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-c", MERGE_INGEST, str(corpus), str(index)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("merge "), line + proc.stderr.read()
        time.sleep(delay)
        kill(proc, signal.SIGKILL)
    finally:
        kill(proc)
    # Every article was committed before the merge began: the index is whole, and what the
    # kill left (a half-written merged segment, Whoosh's lock) is debris, never damage.
    assert (stats(index)["articles"], stats(index)["passages"]) == (300, 600)
    report = check_index(index, deep=True)
    assert report.exit_code in (0, 1), report.cannot_check
    assert all(f.kind == "orphan" for f in report.problems), [f.line() for f in report.problems]
    if delay == 0:  # killed as the merge began: its commit never happened
        assert report.segments == 10, report.segments
    rerun = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--wait", "0", "--json"])
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    assert (result["articles"], result["passages"], result["unchanged"]) == (300, 600, 300)
    final = run_cli(["check", "--index", index, "--json"])
    assert final.returncode == 0, final.stdout
    assert json.loads(final.stdout)["segments"] <= 3
