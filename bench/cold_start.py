"""Cold start of ``searchkit search`` against plain Whoosh on the same passages (issue 15).

A fresh process per run, as a terminal user pays it: searchkit's ``search "<two words>" --json``
(the console script of this checkout's virtualenv) and plain Whoosh opening its index of the same
passages and running the same query with highlights (``engines.cold_query``, exactly as
``perf.py``'s cold column). The runs alternate between the two, so that load from other jobs on
the machine falls on both alike; the medians and their ratio are printed. ``--profile`` adds an
in-process breakdown of one cold searchkit search (imports, open, entity names, first query, JSON)
next to plain Whoosh's (imports, open, query with highlights).

    python bench/cold_start.py                       # builds BBC 1x in --workdir the first time
    python bench/cold_start.py --repeat 40 --profile

The query is perf.py's: the first two-word query of its 200 (seed 5) over the same passages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, REPO_ROOT, machine_line, read_jsonl  # noqa: E402
from perf import build_queries, replicate, run_worker, searchkit_passages  # noqa: E402

HERE = Path(__file__).resolve().parent

PROFILE_SEARCHKIT = r"""
import sys, time
t0 = time.perf_counter()
import searchkit.entry  # what the console script imports (typer only when a command needs it)
t1 = time.perf_counter()
from searchkit.search import open_index
from searchkit.serialize import result_json
t2 = time.perf_counter()
idx = open_index(sys.argv[1])
t3 = time.perf_counter()
idx.canonical("person", "")  # what hits need of the entity table (entity_names.json)
t4 = time.perf_counter()
result = idx.search(" ".join(sys.argv[2:]), limit=10)
t5 = time.perf_counter()
text = result_json(result)
t6 = time.perf_counter()
ms = lambda a, b: round(1000 * (b - a), 1)
print({"import entry": ms(t0, t1), "import search": ms(t1, t2), "open": ms(t2, t3),
       "entity names": ms(t3, t4), "first query": ms(t4, t5), "JSON": ms(t5, t6), "total": ms(t0, t6)})
"""

PROFILE_WHOOSH = r"""
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from engines import make_engine
from whoosh import index, qparser, highlight
t1 = time.perf_counter()
engine = make_engine("whoosh")
engine.open(__import__("pathlib").Path(sys.argv[2]))
t2 = time.perf_counter()
hits = list(engine.search(sys.argv[3:], 10, highlight=True, operator="and"))
t3 = time.perf_counter()
ms = lambda a, b: round(1000 * (b - a), 1)
print({"imports": ms(t0, t1), "open": ms(t1, t2), "query + highlights": ms(t2, t3), "total": ms(t0, t3)})
"""


def prepare(data: Path, work: Path, scale: int) -> tuple[Path, Path, list[str]]:
    """The searchkit index (built by ``searchkit ingest``), plain Whoosh's index of the same
    passages, and perf.py's two-word query; each built once and reused."""
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / f"bbc-x{scale}.jsonl"
    replicate(data / "news" / "bbc.jsonl", corpus, scale)
    sk_index = work / f"bbc-x{scale}-searchkit"
    if not (sk_index / "searchkit.json").exists():
        t0 = time.perf_counter()
        subprocess.run([str(searchkit_exe()), "ingest", str(corpus), "--index", str(sk_index), "--workers", "2",
                        "--quiet"], check=True)
        print(f"# ingested {corpus.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    passages = work / f"bbc-x{scale}-passages.jsonl"
    if not passages.exists():
        searchkit_passages(sk_index, passages)
    wh_index = work / f"bbc-x{scale}-whoosh"
    if not wh_index.exists():
        run_worker({"task": "build", "engine": "whoosh", "passages": str(passages), "index": str(wh_index)})
    queries = build_queries(list(read_jsonl(passages)), 200, 5)
    terms = next(q["terms"] for q in queries if q["kind"] == "two-word")
    return sk_index, wh_index, terms


def searchkit_exe() -> Path:
    exe = Path(sys.executable).with_name("searchkit")
    if not exe.exists():
        raise SystemExit(f"no searchkit console script next to {sys.executable}: run from the checkout's venv")
    return exe


def cold_runs(sk_index: Path, wh_index: Path, terms: list[str], repeat: int) -> dict[str, list[float]]:
    commands = {
        "searchkit": [str(searchkit_exe()), "search", " ".join(terms), "--index", str(sk_index), "--json"],
        "whoosh": [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from engines import "
                   "cold_query; cold_query(sys.argv[2], sys.argv[3], sys.argv[4:])",
                   str(HERE), "whoosh", str(wh_index), *terms],
    }
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(repeat + 1):
        for name, cmd in (commands.items() if i % 2 == 0 else reversed(list(commands.items()))):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall = 1000 * (time.perf_counter() - t0)
            if proc.returncode != 0:
                raise RuntimeError(f"cold {name} failed: {proc.stderr[-2000:]}")
            if i:  # the first round warms the page cache for both
                walls[name].append(wall)
    return walls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scale", type=int, default=1, help="BBC replication factor (default 1)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-cold")
    ap.add_argument("--repeat", type=int, default=20, help="runs of each (default 20)")
    ap.add_argument("--profile", action="store_true", help="also time the phases of one cold run of each")
    args = ap.parse_args()
    sk_index, wh_index, terms = prepare(args.data, args.workdir, args.scale)
    print(f"# {machine_line()}")
    print(f"# BBC x{args.scale}, query {' '.join(terms)!r}, {args.repeat} alternating runs of each")
    walls = cold_runs(sk_index, wh_index, terms, args.repeat)
    sk, wh = statistics.median(walls["searchkit"]), statistics.median(walls["whoosh"])
    print(json.dumps({"searchkit_ms": round(sk, 1), "whoosh_ms": round(wh, 1), "ratio": round(sk / wh, 2),
                      "searchkit_min_ms": round(min(walls["searchkit"]), 1),
                      "whoosh_min_ms": round(min(walls["whoosh"]), 1)}))
    if args.profile:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        for name, code, extra in (("searchkit", PROFILE_SEARCHKIT, [str(sk_index), *terms]),
                                  ("whoosh", PROFILE_WHOOSH, [str(HERE), str(wh_index), *terms])):
            proc = subprocess.run([sys.executable, "-c", code, *extra], capture_output=True, text=True, env=env)
            print(f"# {name} phases (ms): {proc.stdout.strip() or proc.stderr[-500:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
