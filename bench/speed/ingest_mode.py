"""``perf.py ingest``: end-to-end ingest speed of this checkout, other checkouts and other
settings, interleaved (replaces the former ``bench/ingest_speed.py``).

    python bench/speed/perf.py ingest [CORPUS] [--workers 1,2] [--repeat 3]
                                      [--compare NAME=PATH ...] [--variant NAME=CHECKOUT:FIELD=VALUE,...]
                                      [--profile | --profile-worker N]

Each run is ``searchkit.ingest([CORPUS], <fresh index>, workers=W, rebuild=True)`` in a fresh
interpreter with ``PYTHONPATH`` set to the checkout being measured (its ``searchkit``
package is imported, also by the spawned workers). Runs go round-robin over
(variant, workers) ``--repeat`` times, so a shared machine's load falls on every variant
alike; the table gives the median wall time, articles/s, and the CPU seconds of the main
process and of its workers (``getrusage``) per article, which the load of other jobs
inflates much less than wall time. ``--compare base=PATH`` adds another checkout (a folder
holding a ``searchkit`` package, e.g. ``git archive main searchkit | tar -x -C PATH``);
``--variant w2=this:window_per_worker=2`` runs a checkout with fields of
:class:`searchkit.settings.IngestSettings` changed (passed as ``settings=``; nothing is patched).

``--profile`` instead runs one ingest of this checkout under cProfile in the main process
(the writer side: its commits are ``IngestRun.commit``, its waits for the workers
``WorkerPool.collect``) and prints the top functions; ``--profile-worker N`` profiles
``build_articles`` over the first N articles of the corpus in one process, in batches of
``IngestSettings().batch_size`` (the workers' side).

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

from _common import DEFAULT_DATA, REPO_ROOT, machine_line

PERF = Path(__file__).resolve().with_name("perf.py")


def run_one(checkout: Path, corpus: Path, index: Path, workers: int, settings: dict[str, str]) -> dict[str, Any]:
    """One ingest in a fresh interpreter importing ``checkout``'s searchkit (``perf.py _ingest_run``)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    spec = {"corpus": str(corpus), "index": str(index), "workers": workers, "settings": settings}
    proc = subprocess.run([sys.executable, str(PERF), "_ingest_run", json.dumps(spec)], env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"ingest run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """The measured ingest, in its own process. ``settings`` (field -> value as text) become an
    ``IngestSettings``; without any, the checkout's defaults (so an older checkout without
    ``settings=`` can be compared too)."""
    import searchkit

    options: dict[str, Any] = {}
    if spec["settings"]:
        from dataclasses import replace

        from searchkit.settings import IngestSettings

        base = IngestSettings()
        options["settings"] = replace(base, **{k: type(getattr(base, k))(v) for k, v in spec["settings"].items()})
    index = Path(spec["index"])
    if index.exists():
        shutil.rmtree(index)
    t0 = time.perf_counter()
    report = searchkit.ingest([spec["corpus"]], index=str(index), workers=spec["workers"], rebuild=True, **options)
    seconds = time.perf_counter() - t0
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "articles": report.articles, "passages": report.passages,
            "failed": len(report.failed), "searchkit": searchkit.__file__,
            "main_cpu_s": me.ru_utime + me.ru_stime, "workers_cpu_s": kids.ru_utime + kids.ru_stime}


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
    from searchkit.ingest.build import build_articles
    from searchkit.load import read_file
    from searchkit.settings import IngestSettings

    batch = IngestSettings().batch_size
    sources, _ = read_file(str(corpus), corpus.read_bytes())
    sources = sources[:n]
    extractor = EntityExtractor()
    build_articles(sources[:4], extractor)  # model load and first-call costs, untimed
    prof = cProfile.Profile()
    t0 = time.process_time()
    prof.enable()
    for i in range(0, len(sources), batch):
        build_articles(sources[i : i + batch], extractor)
    prof.disable()
    cpu = time.process_time() - t0
    print(f"{len(sources)} articles, {cpu:.2f} s CPU under cProfile ({1000 * cpu / len(sources):.1f} ms/article)")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="perf.py ingest", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_DATA / "news" / "bbc.jsonl")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compare", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--skip-this", action="store_true", help="measure only the --compare checkouts")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=CHECKOUT:FIELD=VALUE",
                    help="a checkout with IngestSettings fields changed, e.g. w2=this:window_per_worker=2")
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
    for item in args.variant:  # NAME=CHECKOUT:FIELD=VALUE[,FIELD=VALUE]
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
                          f"{r['workers_cpu_s']:.1f} s; load {r['load']:.1f})", flush=True)
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
