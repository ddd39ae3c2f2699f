"""Shared helpers for the reliability tests: corpora built at test time, the CLI run as a real
subprocess (with this checkout first on the path), and checks on what the user sees."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PEOPLE = ["Angela Merkel", "Joe Biden", "Emmanuel Macron", "Alexander Lukashenko", "Olaf Scholz"]
ORGS = ["NATO", "the United Nations", "the European Union", "Reuters", "the World Bank"]
PLACES = ["Berlin", "Paris", "Minsk", "Washington", "Warsaw"]
TOPICS = ["border security", "energy prices", "trade tariffs", "grain exports", "election monitoring"]


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child ``python``: this checkout's searchkit, no colour surprises."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("SEARCHKIT_INDEX", None)
    env.pop("FORCE_COLOR", None)
    env.setdefault("COLUMNS", "120")
    env.update(extra)
    return env


def run_cli(args: Sequence[str | os.PathLike[str]], *, timeout: float = 180, env: dict[str, str] | None = None,
            cwd: str | os.PathLike[str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``python -m searchkit ARGS`` as a real process; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "searchkit", *map(os.fspath, args)],
        capture_output=True, text=True, errors="surrogateescape", timeout=timeout,
        env=env or child_env(), cwd=cwd, **kwargs,
    )


def article_text(i: int, rng: random.Random) -> str:
    person, org, place, topic = (rng.choice(x) for x in (PEOPLE, ORGS, PLACES, TOPICS))
    return (f"{person} met officials of {org} in {place} on day {i} to discuss {topic}. "
            f"The talks lasted for several hours and ended without a joint statement.\n\n"
            f"Observers in {rng.choice(PLACES)} said article {i} was the latest sign of strain over {topic}, "
            f"and {rng.choice(PEOPLE)} is expected to respond later this week.")


def write_corpus(folder: Path, *, jsonl_files: int = 3, per_jsonl: int = 80, text_files: int = 60,
                 seed: int = 7) -> int:
    """Write short articles as JSONL files and plain-text files; return the article count."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in range(jsonl_files):
        with open(folder / f"batch-{f}.jsonl", "w", encoding="utf-8") as fh:
            for _ in range(per_jsonl):
                fh.write(json.dumps({"id": f"a{n}", "title": f"Report {n}", "site": "example.org",
                                     "date": f"2021-{1 + n % 12:02d}-{1 + n % 28:02d}",
                                     "text": article_text(n, rng)}) + "\n")
                n += 1
    for _ in range(text_files):
        (folder / f"story-{n:04d}.txt").write_text(article_text(n, rng), encoding="utf-8")
        n += 1
    return n


def one_line_error(stderr: str) -> str:
    """The single error line of a failed command (exit 2); fails if there is a traceback or more."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("searchkit: "), lines[0]
    return lines[0]


def stats(index: Path) -> dict[str, Any]:
    proc = run_cli(["stats", "--index", index, "--json"])
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def wait_for(predicate: Any, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def has_commit(index: Path) -> bool:
    return any(index.glob("_MAIN_*.toc"))


def has_articles(index: Path) -> bool:
    """A commit that holds articles: creating the index writes an empty generation 0 first."""
    return any(p.stem.rsplit("_", 1)[-1].isdigit() and int(p.stem.rsplit("_", 1)[-1]) >= 1
               for p in index.glob("_MAIN_*.toc"))


LIBRARY_INGEST = """
import pathlib, sys, time
from searchkit.errors import Interrupted
from searchkit.ingest import ingest
from searchkit.settings import IngestSettings
commit_every = int(sys.argv[4])
pause = pathlib.Path(sys.argv[6]) if len(sys.argv) > 6 else None

def progress(event, done, total):
    # With a pause file: once two batches are committed, create it and wait (up to a minute)
    # until the test removes it or signals, so what the test does lands mid-run however fast
    # the machine is.
    if pause is not None and event == "articles" and done == 2 * commit_every + 1:
        pause.touch()
        end = time.monotonic() + 60
        while pause.exists() and time.monotonic() < end:
            time.sleep(0.02)

try:
    r = ingest([sys.argv[1]], index=sys.argv[2], workers=int(sys.argv[3]),
               settings=IngestSettings(commit_every=commit_every),
               wait=float(sys.argv[5]) if len(sys.argv) > 5 else 5.0, progress=progress)
    print(f"done {r.articles} {r.passages}", flush=True)
except Interrupted as e:
    print(str(e), file=sys.stderr, flush=True)
    sys.exit(130)
"""


def start_library_ingest(corpus: Path, index: Path, *, workers: int = 1, commit_every: int = 20,
                         wait: float = 5.0, env: dict[str, str] | None = None,
                         pause: Path | None = None) -> subprocess.Popen[str]:
    """An ingest through the library API in a child process (small commits, so kills land
    between and inside commits). With ``pause``, the child creates that file once two commits
    are written, then waits in its progress callback (up to a minute) until the file is
    removed or a signal arrives."""
    extra = [str(pause)] if pause is not None else []
    return subprocess.Popen(
        [sys.executable, "-c", LIBRARY_INGEST, str(corpus), str(index), str(workers), str(commit_every), str(wait),
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or child_env(),
    )


def processes_with_env(tag: str) -> list[int]:
    """Pids of live processes whose environment holds ``SEARCHKIT_TEST_TAG=tag`` (orphan check)."""
    needle = f"SEARCHKIT_TEST_TAG={tag}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "status").read_text()
                if "\nState:\tZ" not in status:  # a zombie is already dead
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def kill(proc: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    proc.communicate(timeout=60)


SGR = re.compile(r"\x1b\[[0-9;]*m")


def _drop_file_permission_override() -> None:
    """In the child, before exec: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the
    capability bounding set, so that even root obeys file modes (chmod 000 really bites)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def obeying_file_modes() -> dict[str, Any]:
    """``subprocess`` arguments that make a child honour permissions: root (tests and CI run
    as root) loses its override capabilities; another user needs nothing."""
    return {"preexec_fn": _drop_file_permission_override} if os.geteuid() == 0 else {}
