"""Cold start of ``searchkit search`` against plain Whoosh on the same passages (issue 15).

A fresh process per run, as a terminal user pays it: searchkit's ``search "<two words>" --json``
(the console script of this checkout's virtualenv) and plain Whoosh opening its index of the same
passages and running the same query with highlights (``engines.cold_query``, exactly as
``perf.py``'s cold column). The runs alternate between the commands, so that load from other
jobs on the machine falls on all alike; the medians of wall and CPU time (user + system, which
a loaded machine inflates less) and their ratios to Whoosh's are printed. ``--compare
NAME=DIR`` adds the searchkit of another checkout (its package folder's parent, e.g. an
exported ``main``) to the same interleaved run. ``--profile`` adds an in-process breakdown of
one cold searchkit search (imports, open, entity names, first query, JSON) next to plain
Whoosh's (imports, open, query with highlights).

    python bench/speed/cold_start.py --workdir /tmp/cold     # builds BBC 1x there the first time
    python bench/speed/cold_start.py --scale 16 --repeat 30 --compare before=/tmp/main-export
    python bench/speed/cold_start.py --profile

Scales above 1 index the 1x articles replicated with new ids (perf.py's index-only step, no
NER): the 1x index is built first. The query is perf.py's: the first two-word query of its
200 (seed 5) over the 1x passages, the same at every scale.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
sys.path.insert(0, str(HERE))

from _common import DEFAULT_DATA, REPO_ROOT, machine_line, read_jsonl, timed_process  # noqa: E402
from perf import (build_queries, dump_articles, replicate, replicate_articles, run_worker,  # noqa: E402
                  searchkit_passages)

LIB = HERE.parent / "lib"

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
    """The searchkit index, plain Whoosh's index of the same passages, and perf.py's two-word
    query; each built once and reused. 1x is ``searchkit ingest``; larger scales are the 1x
    articles replicated and written by ``write_articles``, as perf.py does."""
    work.mkdir(parents=True, exist_ok=True)
    base_corpus = work / "bbc-x1.jsonl"
    replicate(data / "news" / "bbc.jsonl", base_corpus, 1)
    base_index = work / "bbc-x1-searchkit"
    if not (base_index / "searchkit.json").exists():
        t0 = time.perf_counter()
        subprocess.run([str(searchkit_exe()), "ingest", str(base_corpus), "--index", str(base_index),
                        "--workers", "2", "--quiet"], check=True)
        print(f"# ingested {base_corpus.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    base_passages = work / "bbc-x1-passages.jsonl"
    if not base_passages.exists():
        searchkit_passages(base_index, base_passages)
    sk_index, passages = base_index, base_passages
    if scale > 1:
        base_articles = work / "bbc-x1-articles.pickle"
        if not base_articles.exists():
            dump_articles(base_index, base_articles)
        articles = work / f"bbc-x{scale}-articles.pickle"
        replicate_articles(base_articles, articles, scale)
        sk_index = work / f"bbc-x{scale}-searchkit-io"
        if not (sk_index / "searchkit.json").exists():
            r = run_worker({"task": "build", "engine": "searchkit", "articles": str(articles), "index": str(sk_index)})
            print(f"# indexed {scale}x articles in {r['seconds']:.0f} s", flush=True)
        passages = work / f"bbc-x{scale}-passages.jsonl"
        if not passages.exists():
            searchkit_passages(sk_index, passages)
    wh_index = work / f"bbc-x{scale}-whoosh"
    if not wh_index.exists():
        run_worker({"task": "build", "engine": "whoosh", "passages": str(passages), "index": str(wh_index)})
    queries = build_queries(list(read_jsonl(base_passages)), 200, 5)
    terms = next(q["terms"] for q in queries if q["kind"] == "two-word")
    return sk_index, wh_index, terms


def searchkit_exe() -> Path:
    exe = Path(sys.executable).with_name("searchkit")
    if not exe.exists():
        raise SystemExit(f"no searchkit console script next to {sys.executable}: run from the checkout's venv")
    return exe


def cold_runs(commands: dict[str, tuple[list[str], dict[str, str]]], repeat: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU ms of each command, ``repeat`` times, the order turned each round. Bytecode is
    cached as a pip install leaves it (``PYTHONDONTWRITEBYTECODE`` dropped); the first, compiling,
    round is not counted."""
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in commands}
    items = list(commands.items())
    for i in range(repeat + 1):
        for name, (cmd, env) in (items if i % 2 == 0 else items[::-1]):
            wall, cpu = timed_process(cmd, env, name)
            if i:
                times[name]["wall"].append(wall)
                times[name]["cpu"].append(cpu)
    return times


def _env(pythonpath: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scale", type=int, default=1, help="BBC replication factor (default 1)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-cold")
    ap.add_argument("--repeat", type=int, default=20, help="runs of each (default 20)")
    ap.add_argument("--compare", action="append", default=[], metavar="NAME=DIR",
                    help="also run the searchkit whose package is in DIR (repeatable)")
    ap.add_argument("--profile", action="store_true", help="also time the phases of one cold run of each")
    args = ap.parse_args()
    sk_index, wh_index, terms = prepare(args.data, args.workdir, args.scale)
    search = ["search", " ".join(terms), "--index", str(sk_index), "--json"]
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "searchkit": ([str(searchkit_exe()), *search], _env(REPO_ROOT))}
    for spec in args.compare:
        name, _, folder = spec.partition("=")
        commands[name] = ([str(searchkit_exe()), *search], _env(Path(folder).resolve()))
    commands["whoosh"] = ([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from engines import "
                           "cold_query; cold_query(sys.argv[2], sys.argv[3], sys.argv[4:])",
                           str(LIB), "whoosh", str(wh_index), *terms], _env(None))
    print(f"# {machine_line()}")
    print(f"# BBC x{args.scale}, query {' '.join(terms)!r}, {args.repeat} alternating runs of each")
    times = cold_runs(commands, args.repeat)
    wh_wall, wh_cpu = statistics.median(times["whoosh"]["wall"]), statistics.median(times["whoosh"]["cpu"])
    for name in commands:
        wall, cpu = statistics.median(times[name]["wall"]), statistics.median(times[name]["cpu"])
        print(json.dumps({"command": name, "wall_ms": round(wall, 1), "cpu_ms": round(cpu, 1),
                          "wall_vs_whoosh": round(wall / wh_wall, 2), "cpu_vs_whoosh": round(cpu / wh_cpu, 2),
                          "wall_min_ms": round(min(times[name]["wall"]), 1)}))
    if args.profile:
        for name, code, extra, env in (("searchkit", PROFILE_SEARCHKIT, [str(sk_index), *terms], _env(REPO_ROOT)),
                                       ("whoosh", PROFILE_WHOOSH, [str(LIB), str(wh_index), *terms], _env(None))):
            proc = subprocess.run([sys.executable, "-c", code, *extra], capture_output=True, text=True, env=env)
            print(f"# {name} phases (ms): {proc.stdout.strip() or proc.stderr[-500:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
