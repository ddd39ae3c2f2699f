"""Ingest speed, end to end, of this checkout against other checkouts, interleaved.

    python bench/ingest_speed.py [CORPUS] [--workers 1,2] [--repeat 3]
                                 [--compare NAME=PATH ...] [--profile]

Each run is ``searchkit.ingest([CORPUS], <fresh index>, workers=W, rebuild=True)`` in a fresh
interpreter with ``PYTHONPATH`` set to the checkout being measured (its ``searchkit``
package is imported, also by the spawned workers). Runs go round-robin over
(checkout, workers) ``--repeat`` times, so a shared machine's load falls on every variant
alike; the table gives the median wall time, articles/s, and the CPU seconds of the main
process and of its workers (``getrusage``) per article, which the load of other jobs
inflates much less than wall time. ``--compare base=PATH`` adds another checkout (a folder
holding a ``searchkit`` package, e.g. ``git archive main searchkit | tar -x -C PATH``);
``--variant w4=this:WINDOW_PER_WORKER=4`` runs a checkout with module constants of
``searchkit.indexer`` changed in the main process (only there: the workers are untouched).

``--profile`` instead runs one ingest of this checkout under cProfile in the main process
(the writer side) and prints the top functions; the workers' side is profiled with
``bench/ingest_speed.py --profile-worker N``: ``build_articles`` over the first N articles of
the corpus in one process, batches of ``indexer.BATCH_SIZE``.

The last line printed is one JSON object with every run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, REPO_ROOT, machine_line  # noqa: E402

HERE = Path(__file__).resolve()


def run_one(checkout: Path, corpus: Path, index: Path, workers: int, settings: dict[str, str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    spec = {"corpus": str(corpus), "index": str(index), "workers": workers, "set": settings}
    proc = subprocess.run([sys.executable, str(HERE), "_run", json.dumps(spec)], env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"ingest run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(spec: dict[str, Any]) -> dict[str, Any]:
    import searchkit
    from searchkit import indexer

    for name, value in spec.get("set", {}).items():  # e.g. WINDOW_PER_WORKER=4, for this run only
        setattr(indexer, name, type(getattr(indexer, name))(value))

    waits = {"commit_s": 0.0, "result_wait_s": 0.0}

    def timed(fn: Any, key: str) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                waits[key] += time.perf_counter() - t
        return wrapper

    # Wall time of the writer's commits, and time the writer sat waiting for a worker's batch.
    indexer._IngestRun.commit = timed(indexer._IngestRun.commit, "commit_s")
    original_collect = indexer._WorkerPool.collect

    def collect(self: Any, future: Any, *rest: Any) -> Any:
        t = time.perf_counter()
        future.exception()  # blocks until the batch is done
        waits["result_wait_s"] += time.perf_counter() - t
        return original_collect(self, future, *rest)

    indexer._WorkerPool.collect = collect
    # Batches in flight over time (submitted, not finished): fewer than the workers means idle
    # workers. Their integral is independent of how fast the batches run.
    events: list[tuple[float, int]] = []
    original_submit = indexer._WorkerPool.submit

    def submit(self: Any, batch: Any) -> Any:
        future, executor = original_submit(self, batch)
        events.append((time.perf_counter(), 1))
        future.add_done_callback(lambda _: events.append((time.perf_counter(), -1)))
        return future, executor

    indexer._WorkerPool.submit = submit
    index = Path(spec["index"])
    if index.exists():
        shutil.rmtree(index)
    t0 = time.perf_counter()
    report = searchkit.ingest([spec["corpus"]], index=str(index), workers=spec["workers"], rebuild=True)
    seconds = time.perf_counter() - t0
    idle, in_flight, last = 0.0, 0, None
    for t, step in sorted(events):
        if last is not None:
            idle += max(0, spec["workers"] - in_flight) * (t - last)
        in_flight, last = in_flight + step, t
    waits["idle_worker_s"] = idle
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "articles": report.articles, "passages": report.passages,
            "failed": len(report.failed), "searchkit": searchkit.__file__,
            "main_cpu_s": me.ru_utime + me.ru_stime, "workers_cpu_s": kids.ru_utime + kids.ru_stime, **waits}


def profile_main(corpus: Path, workers: int, top: int) -> None:
    import cProfile
    import pstats

    import searchkit

    with tempfile.TemporaryDirectory() as tmp:
        prof = cProfile.Profile()
        prof.enable()
        searchkit.ingest([str(corpus)], index=str(Path(tmp) / "ix"), workers=workers, rebuild=True)
        prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def profile_worker(corpus: Path, n: int, top: int) -> None:
    import cProfile
    import pstats

    from searchkit.entities import EntityExtractor
    from searchkit.indexer import BATCH_SIZE, build_articles
    from searchkit.load import read_file

    sources, _ = read_file(str(corpus), corpus.read_bytes())
    sources = sources[:n]
    extractor = EntityExtractor()
    build_articles(sources[:4], extractor)  # model load and first-call costs, untimed
    prof = cProfile.Profile()
    t0 = time.process_time()
    prof.enable()
    for i in range(0, len(sources), BATCH_SIZE):
        build_articles(sources[i : i + BATCH_SIZE], extractor)
    prof.disable()
    cpu = time.process_time() - t0
    print(f"{len(sources)} articles, {cpu:.2f} s CPU under cProfile ({1000 * cpu / len(sources):.1f} ms/article)")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_run"]:
        print(json.dumps(child(json.loads(argv[1]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_DATA / "news" / "bbc.jsonl")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compare", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--skip-this", action="store_true", help="measure only the --compare checkouts")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=CHECKOUT:SETTING=VALUE",
                    help="a checkout with indexer constants changed, e.g. w4=this:WINDOW_PER_WORKER=4")
    ap.add_argument("--profile", action="store_true", help="cProfile the main process of one ingest")
    ap.add_argument("--profile-worker", type=int, metavar="N", help="cProfile build_articles on N articles")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args(argv)

    if args.profile or args.profile_worker:
        sys.path.insert(0, str(REPO_ROOT))
        if args.profile_worker:
            profile_worker(args.corpus, args.profile_worker, args.top)
        else:
            profile_main(args.corpus, max(int(w) for w in args.workers.split(",")), args.top)
        return 0

    checkouts = {"this": REPO_ROOT}
    for item in args.compare:
        name, _, path = item.partition("=")
        checkouts[name] = Path(path).resolve()
    variants: dict[str, tuple[Path, dict[str, str]]] = {name: (path, {}) for name, path in checkouts.items()}
    for item in args.variant:  # NAME=CHECKOUT:SETTING=VALUE[,SETTING=VALUE]
        name, _, rest = item.partition("=")
        base, _, settings = rest.partition(":")
        variants[name] = (checkouts[base], dict(kv.split("=", 1) for kv in settings.split(",") if kv))
    if args.skip_this:
        variants.pop("this")
    counts = [int(w) for w in args.workers.split(",")]
    n_articles = sum(1 for line in open(args.corpus, encoding="utf-8") if line.strip())
    print(machine_line())
    print(f"corpus {args.corpus.name}: {n_articles} articles; load average {os.getloadavg()[0]:.1f}", flush=True)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            for w in counts:
                for name, (path, settings) in variants.items():
                    r = run_one(path, args.corpus, Path(tmp) / "ix", w, settings)
                    r.update(checkout=name, workers=w, rep=rep, load=os.getloadavg()[0])
                    runs.append(r)
                    print(f"# {name} w={w} rep {rep}: {n_articles / r['seconds']:.1f} articles/s "
                          f"({r['seconds']:.1f} s; CPU main {r['main_cpu_s']:.1f} s, workers "
                          f"{r['workers_cpu_s']:.1f} s; writer waited {r['result_wait_s']:.1f} s for batches, "
                          f"committed for {r['commit_s']:.1f} s; workers idle {r['idle_worker_s']:.1f} s; "
                          f"load {r['load']:.1f})", flush=True)
    print("| checkout | workers | articles/s (median) | runs | wall s | CPU ms/article main | CPU ms/article workers |")
    print("|---|---|---|---|---|---|---|")
    for w in counts:
        for name in variants:
            rs = [r for r in runs if r["checkout"] == name and r["workers"] == w]
            secs = statistics.median(r["seconds"] for r in rs)
            main_ms = 1000 * statistics.median(r["main_cpu_s"] for r in rs) / n_articles
            work_ms = 1000 * statistics.median(r["workers_cpu_s"] for r in rs) / n_articles
            each = ", ".join(f"{n_articles / r['seconds']:.1f}" for r in rs)
            print(f"| {name} | {w} | {n_articles / secs:.1f} | {each} | {secs:.1f} | {main_ms:.1f} | {work_ms:.1f} |")
    print(json.dumps({"articles": n_articles, "runs": runs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
