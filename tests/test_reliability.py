"""Killed, interrupted and concurrent ingests (issue 6): nothing committed is lost, nothing
uncommitted is half-written, a re-run finishes the job, and no user ever sees a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from searchkit.store.schema import SCHEMA_VERSION

from .reliability_support import (
    child_env,
    has_articles,
    has_commit,
    kill,
    obeying_file_modes,
    one_line_error,
    processes_with_env,
    run_cli,
    start_library_ingest,
    stats,
    wait_for,
    write_corpus,
)

KILLS = 12


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    assert write_corpus(folder) == 300
    return folder


@pytest.fixture(scope="module")
def clean_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """A clean, unkilled ingest: the counts every killed-and-resumed ingest must reach, and how
    long the writing part takes (to spread the kills over it): from the first commit that holds
    articles, after the workers have loaded the model, to the end."""
    index = tmp_path_factory.mktemp("clean") / "index"
    started = time.monotonic()
    proc = start_library_ingest(corpus, index)
    assert wait_for(lambda: has_articles(index), 60)
    created = time.monotonic()
    out, err = proc.communicate(timeout=300)
    finished = time.monotonic()
    assert proc.returncode == 0, err
    _, articles, passages = out.split()
    st = stats(index)
    assert (st["articles"], st["passages"]) == (int(articles), int(passages))
    assert st["articles"] == 300
    return {"articles": st["articles"], "passages": st["passages"], "writing": finished - created,
            "total": finished - started}


def _check_usable(index: Path, total: int) -> int:
    """After a kill: the index opens, stats and search work; returns the committed articles."""
    st = stats(index)
    assert 0 <= st["articles"] <= total
    found = run_cli(["search", "talks", "--index", index, "--json", "--limit", "3"])
    assert found.returncode in (0, 1), found.stderr
    assert "Traceback" not in found.stderr
    result = json.loads(found.stdout)
    assert (result["total"] > 0) == (st["articles"] > 0)
    return int(st["articles"])


@pytest.mark.slow
def test_sigkill_at_varied_points_then_rerun_matches_clean_ingest(
        corpus: Path, clean_run: dict[str, float], tmp_path: Path) -> None:
    total = int(clean_run["articles"])
    partial = 0
    for i in range(KILLS):
        index = tmp_path / f"index-{i}"
        tag = uuid.uuid4().hex
        env = child_env(SEARCHKIT_TEST_TAG=tag)
        # Odd rounds: two workers, and a second kill of the resumed ingest before the re-run.
        workers = 1 + i % 2
        rounds = 2 if i % 2 else 1
        for r in range(rounds):
            proc = start_library_ingest(corpus, index, workers=workers, env=env)
            if r == 0:  # the kills spread over the writing, from the first articles committed
                assert wait_for(lambda: has_articles(index) or proc.poll() is not None, 60)
            delay = clean_run["writing"] * ((i + 0.5) / KILLS) * (0.5 if r else 1.0)
            time.sleep(delay)
            kill(proc, signal.SIGKILL)
            # The workers die with their parent: nothing is left holding CPU, memory or the lock.
            assert wait_for(lambda: not processes_with_env(tag), 15), processes_with_env(tag)
            committed = _check_usable(index, total)
        partial += 0 < committed < total
        # --wait 0: the lock of the killed ingest must be free at once.
        rerun = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--wait", "0", "--json"])
        assert rerun.returncode == 0, rerun.stderr
        report = json.loads(rerun.stdout)
        assert (report["articles"], report["passages"]) == (clean_run["articles"], clean_run["passages"]), i
        assert report["new"] + report["unchanged"] == total
        st = stats(index)
        assert (st["articles"], st["passages"]) == (clean_run["articles"], clean_run["passages"])
    # The kills must really have landed mid-ingest, not all before or after the work.
    assert partial >= KILLS // 3, partial


def test_sigint_stops_cleanly_and_says_what_was_committed(corpus: Path, clean_run: dict[str, float],
                                                          tmp_path: Path) -> None:
    index = tmp_path / "index"
    paused = tmp_path / "paused"
    proc = start_library_ingest(corpus, index, commit_every=20, pause=paused)
    # The child waits in its progress callback once two batches are committed, so the signal
    # lands mid-run on a fast machine as on a slow one.
    assert wait_for(lambda: paused.exists() or proc.poll() is not None, 120)
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    message = err.strip()
    assert message.startswith("interrupted: "), message
    committed = int(message.split()[1])
    st = stats(index)
    assert committed == st["articles"] > 0
    assert f"(the index holds {st['articles']})" in message
    assert "run the same ingest again" in message
    rerun = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--json"])
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["articles"] == clean_run["articles"]


@pytest.mark.parametrize("sig,word", [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated (SIGTERM)")])
def test_cli_ingest_stops_on_signal_with_one_message(corpus: Path, tmp_path: Path, sig: int, word: str) -> None:
    index = tmp_path / "index"
    tag = uuid.uuid4().hex
    proc = subprocess.Popen([sys.executable, "-m", "searchkit", "ingest", str(corpus), "--index", str(index),
                             "--workers", "2", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env(SEARCHKIT_TEST_TAG=tag))
    assert wait_for(lambda: has_commit(index), 60)
    time.sleep(0.5)
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"searchkit: error: {word}: "), err
    assert "were committed" in last
    assert wait_for(lambda: not processes_with_env(tag), 15)
    stats(index)  # still opens


def _workers_of(pid: int) -> list[int]:
    """Pids of the spawned worker processes of ``pid`` (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def test_a_worker_killed_mid_run_loses_nothing(corpus: Path, clean_run: dict[str, float], tmp_path: Path) -> None:
    """What the OOM killer (or a parser crashing on a page) does to a worker: the pool is
    restarted, the batches in flight are redone, and the ingest finishes complete."""
    index = tmp_path / "index"
    paused = tmp_path / "paused"
    proc = start_library_ingest(corpus, index, workers=2, commit_every=20, pause=paused)
    try:
        assert wait_for(lambda: paused.exists() or proc.poll() is not None, 120)
        workers = _workers_of(proc.pid)
        assert workers, "no worker found to kill"
        os.kill(workers[0], signal.SIGKILL)
        paused.unlink()
        out, err = proc.communicate(timeout=300)
    finally:
        kill(proc)
    assert proc.returncode == 0, err
    assert out.split() == ["done", str(clean_run["articles"]), str(clean_run["passages"])]


# --- concurrency ----------------------------------------------------------------------------------


def test_second_ingest_waits_then_exits_2_naming_the_holder(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    paused = tmp_path / "paused"
    first = start_library_ingest(corpus, index, commit_every=20, pause=paused)
    try:
        assert wait_for(lambda: paused.exists() or first.poll() is not None, 120)
        assert b'"pid"' in _read(index / "ingest.lock")
        started = time.monotonic()
        second = run_cli(["ingest", corpus, "--index", index, "--wait", "1.5"])
        waited = time.monotonic() - started
        assert first.poll() is None, "the first ingest finished before the second gave up"
        assert second.returncode == 2
        line = one_line_error(second.stderr)
        assert f"pid {first.pid}" in line
        assert "LockError" not in line
        assert waited >= 1.5
    finally:
        kill(first)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_stale_lock_file_of_a_dead_process_is_cleared(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (index / "ingest.lock").write_text(json.dumps({"pid": int(dead.stdout), "host": "elsewhere",
                                                   "started": "2020-01-01T00:00:00"}))
    (index / "MAIN_WRITELOCK").write_text("")  # Whoosh's own lock file, left behind as well
    proc = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", index, "--wait", "0", "--json"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new"] == 80
    holder = json.loads((index / "ingest.lock").read_text())
    assert holder["pid"] != int(dead.stdout)


def test_searches_during_ingest_see_the_last_commit(corpus: Path, clean_run: dict[str, float],
                                                    tmp_path: Path) -> None:
    from searchkit.search import open_index

    index = tmp_path / "index"
    proc = start_library_ingest(corpus, index, commit_every=10)
    seen: list[int] = []  # passages visible to each search
    try:
        assert wait_for(lambda: has_commit(index), 60)
        deadline = time.monotonic() + 300
        while proc.poll() is None:
            assert time.monotonic() < deadline, "the ingest did not finish in 5 minutes"
            with open_index(index) as idx:
                seen.append(idx.search("", limit=1, collapse=False).total)
                idx.search("talks", limit=5)
            if len(seen) % 20 == 0:  # now and then through the CLI as well
                cli = run_cli(["search", "talks", "--index", index, "--json"])
                assert cli.returncode in (0, 1), cli.stderr
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        kill(proc)
    assert seen == sorted(seen), "a search saw fewer passages than an earlier one"
    assert len(set(seen)) > 2, seen  # it saw several commits, not just the start and the end
    # Every count is a committed state: whole batches of 10 articles of 2 passages each.
    assert clean_run["passages"] == 2 * clean_run["articles"]
    assert all(n % 20 == 0 for n in seen), seen


def test_search_does_not_reread_a_table_of_contents_a_commit_removed(corpus: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh.index import TOC

    from searchkit.search import open_index

    index = tmp_path / "index"
    proc = run_cli(["ingest", corpus / "batch-2.jsonl", "--index", index, "--workers", "1"])
    assert proc.returncode == 0, proc.stderr
    with open_index(index) as idx:
        # From now on the newest generation is one whose file a commit has already replaced.
        real = TOC._latest_generation
        monkeypatch.setattr(TOC, "_latest_generation", classmethod(lambda cls, *a: real(*a) + 1))
        assert idx.search("talks", limit=3).total > 0


def test_stats_survives_a_file_removed_by_a_concurrent_commit(corpus: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from searchkit.search import open_index

    index = tmp_path / "index"
    proc = run_cli(["ingest", corpus / "batch-2.jsonl", "--index", index, "--workers", "1"])
    assert proc.returncode == 0, proc.stderr
    ghost = index / "MAIN_removedbycommit.seg"  # listed, then deleted before its stat
    real_iterdir, real_is_file = Path.iterdir, Path.is_file

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        yield from real_iterdir(self)
        if self == index:
            yield ghost

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "is_file", lambda self: self == ghost or real_is_file(self))
    with open_index(index) as idx:
        assert idx.stats().articles == 80


# --- index hygiene -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_index(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("small") / "index"
    proc = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", index, "--workers", "1"])
    assert proc.returncode == 0, proc.stderr
    return index


def _copy(index: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(index, tmp_path / "copy"))


@pytest.mark.parametrize("command", [["search", "talks"], ["stats"], ["entities"]])
def test_a_folder_that_is_not_an_index(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    proc = run_cli([*command, "--index", folder])
    assert proc.returncode == 2
    assert one_line_error(proc.stderr) == f"searchkit: error: {folder} is not a searchkit index"


def test_ingest_never_writes_into_a_folder_that_is_not_an_index(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    for extra in ([], ["--rebuild"]):
        proc = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", folder, *extra])
        assert proc.returncode == 2
        assert "is not a searchkit index" in one_line_error(proc.stderr)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_index_path_that_is_a_file(corpus: Path, tmp_path: Path) -> None:
    file = tmp_path / "index"
    file.write_text("not a folder")
    for args in (["search", "talks"], ["ingest", corpus / "batch-0.jsonl"]):
        proc = run_cli([*args, "--index", file])
        assert proc.returncode == 2
        assert one_line_error(proc.stderr) == f"searchkit: error: {file} is a file, not an index folder"


def test_index_of_another_schema_version(small_index: Path, corpus: Path, tmp_path: Path) -> None:
    index = _copy(small_index, tmp_path)
    (index / "searchkit.json").write_text(json.dumps({"schema_version": 99, "tool": "searchkit"}))
    for args in (["search", "talks"], ["stats"], ["ingest", corpus / "batch-0.jsonl"]):
        proc = run_cli([*args, "--index", index])
        assert proc.returncode == 2
        line = one_line_error(proc.stderr)
        assert f"the index at {index} has schema version 99; this searchkit uses {SCHEMA_VERSION}" in line
        assert "--rebuild" in line
    proc = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", index, "--rebuild", "--json"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["articles"] == 80


def test_foreign_whoosh_index(tmp_path: Path) -> None:
    from whoosh import fields, index as windex

    folder = tmp_path / "other"
    folder.mkdir()
    windex.create_in(str(folder), fields.Schema(body=fields.TEXT))
    proc = run_cli(["search", "talks", "--index", folder])
    assert proc.returncode == 2
    assert "holds a Whoosh index that searchkit did not build" in one_line_error(proc.stderr)


def test_read_only_index_searches_but_refuses_ingest(small_index: Path, corpus: Path, tmp_path: Path) -> None:
    """Root ignores file modes, so the commands run without root's override capabilities."""
    index = _copy(small_index, tmp_path)
    modes = {p: p.stat().st_mode for p in [index, *index.iterdir()]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        found = run_cli(["search", "talks", "--index", index, "--json"], **obeying_file_modes())
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["returned"] > 0
        st = run_cli(["stats", "--index", index, "--json"], **obeying_file_modes())
        assert st.returncode == 0 and json.loads(st.stdout)["articles"] == 80
        proc = run_cli(["ingest", corpus / "batch-1.jsonl", "--index", index], **obeying_file_modes())
        assert proc.returncode == 2
        line = one_line_error(proc.stderr)
        assert f"the index at {index} is read-only" in line
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_index_whose_first_ingest_was_killed_before_any_commit(small_index: Path, corpus: Path,
                                                               tmp_path: Path) -> None:
    index = _copy(small_index, tmp_path)
    # What a kill during the first ingest (or a --rebuild) can leave: no table of contents,
    # and no manifest (--rebuild deletes it first; a first commit records it after its TOC).
    (index / "manifest.json").unlink()
    for toc in index.glob("_MAIN_*.toc"):
        toc.unlink()
    proc = run_cli(["search", "talks", "--index", index])
    assert proc.returncode == 2
    assert "has no committed data" in one_line_error(proc.stderr)
    again = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", index, "--json"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["articles"] == 80


def test_damaged_index_gives_one_line(small_index: Path, tmp_path: Path) -> None:
    index = _copy(small_index, tmp_path)
    segment_files = [p for p in index.glob("MAIN_*") if p.name != "MAIN_WRITELOCK"]
    assert segment_files
    for seg in segment_files:
        seg.write_bytes(seg.read_bytes()[:100])
    proc = run_cli(["search", "talks", "--index", index])
    assert proc.returncode == 2
    line = one_line_error(proc.stderr)
    assert "internal error" not in line


def test_package_functions_survive_a_second_call() -> None:
    proc = subprocess.run([sys.executable, "-c",
                           "import searchkit, searchkit.ingest, searchkit.ingest.run, searchkit.cleaner\n"
                           "assert callable(searchkit.ingest) and callable(searchkit.clean)"],
                          capture_output=True, text=True, env=child_env())
    assert proc.returncode == 0, proc.stderr


def test_a_stop_signal_in_a_finalizer_prints_nothing_and_still_stops_the_ingest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C that lands while Python runs a ``__del__`` (Whoosh's lock objects have one):
    raising there would print "Exception ignored ... Traceback" on the user's terminal and
    be lost. Nothing is printed, and the ingest stops at its next article instead of
    running to the end and exiting 0."""
    from searchkit.ingest.signals import StopSignals

    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    class Finalised:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, inside the finalizer

    with StopSignals() as stop:
        Finalised()  # collected at once
        assert stop.received == signal.SIGINT
        assert unraisable == []
        with pytest.raises(KeyboardInterrupt):
            stop.check()
        with stop.deferred(then_stop=False):
            stop.check()  # while a commit writes, never
