"""Research workflows at BBC 16x: batch queries/s, shell latency, a 100k-hit export's peak RSS,
each beside a cold ``searchkit search`` process measured in the same run.

    python bench/speed/workflows.py [DATA_DIR] [--articles PICKLE] [--scale 16] [--queries 1000]
                                    [--workdir DIR]

The index is built as ``perf.py`` builds its replicated scales: the 1x articles (clean text,
passages, entities; ``--articles``, or dumped from a 1x ingest of ``DATA_DIR/news/bbc.jsonl``)
copied with distinct ids and written through ``searchkit.ingest.write_articles``. The queries
are ``query_set.build_queries`` over the 1x passages (two-word, rare word, phrase, word +
entity filter), as ``perf.py``'s warm benchmark uses them:

* **batch**: ``searchkit batch FILE --jsonl`` over them, one process, wall time from start to
  exit (start-up included), queries/s;
* **cold search**: ``searchkit search`` as a fresh process for the first 20 of them, median;
* **shell**: ``searchkit shell`` on a pseudo-terminal, 200 of them typed one after the other;
  latency from the line's Enter to the next prompt, median and p95;
* **export**: ``search WORD --limit 0 --jsonl`` of a word with at least 100,000 matching
  passages, written to /dev/null; wall time and the process's peak RSS, beside the peak RSS of
  the same search with ``-n 10``.

The last line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1] / "lib"))
sys.path.insert(0, str(HERE.parent))

from _common import DEFAULT_DATA, REPO_ROOT, machine_line, percentile, use_repo_searchkit  # noqa: E402
from perf import dump_articles, replicate, replicate_articles, searchkit_index_only, searchkit_passages  # noqa: E402
from query_set import build_queries  # noqa: E402


def searchkit_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("searchkit")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "searchkit"]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO_ROOT), NO_COLOR="1")


def query_text(q: dict[str, Any]) -> str:
    return '"' + " ".join(q["terms"]) + '"' if q["kind"] == "phrase" else " ".join(q["terms"])


def write_batch_file(queries: list[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["query", "person", "org", "place"])
        for q in queries:
            facet, name = q["entity"].split("=", 1) if q.get("entity") else ("", "")
            w.writerow([query_text(q), *(name if facet == f else "" for f in ("person", "org", "place"))])


def child_peak_rss_mb(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, peak RSS MiB, stdout lines) of ``cmd`` run in a fresh wrapper process, so
    that RUSAGE_CHILDREN holds that one process only."""
    code = ("import resource, subprocess, sys, time, json\n"
            "t = time.perf_counter()\n"
            "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)\n"
            "n = sum(1 for _ in p.stdout)\n"
            "p.wait()\n"
            "print(json.dumps([time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, n]))\n")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, env=env(), check=True)
    wall, rss_kb, lines = json.loads(out.stdout)
    return wall, rss_kb / 1024, lines


def cold_searches(index: Path, queries: list[dict[str, Any]]) -> list[float]:
    walls = []
    for q in queries:
        args = [*searchkit_cmd(), "search", query_text(q), "--index", str(index), "--json"]
        if q.get("entity"):
            facet, name = q["entity"].split("=", 1)
            args += [f"--{facet}", name]
        t0 = time.perf_counter()
        subprocess.run(args, capture_output=True, env=env())
        walls.append(1000 * (time.perf_counter() - t0))
    return walls


def shell_latencies(index: Path, queries: list[dict[str, Any]]) -> list[float]:
    sys.path.insert(0, str(REPO_ROOT))
    from searchkit.shell import PROMPT
    from tests.interactive_support import PtySession

    sh = PtySession("shell", "--index", index, env={"SEARCHKIT_HISTORY": "", "NO_COLOR": "1"})
    sh.read_until(PROMPT, timeout=120)
    sh.send(":limit 10\n")
    sh.read_until(PROMPT)
    walls = []
    for q in queries:
        line = query_text(q)
        if q.get("entity"):
            facet, name = q["entity"].split("=", 1)
            line += f' --{facet} "{name}"'
        t0 = time.perf_counter()
        sh.send(line + "\n")
        sh.read_until(PROMPT)
        walls.append(1000 * (time.perf_counter() - t0))
    sh.send(":quit\n")
    sh.close()
    return walls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--articles", type=Path, help="pickled 1x articles (perf.py's bbc-x1-articles.pickle)")
    ap.add_argument("--scale", type=int, default=16)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--shell-queries", type=int, default=200)
    ap.add_argument("--export-min", type=int, default=100_000, help="the export query matches at least this many")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/searchkit-workflows"))
    args = ap.parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    use_repo_searchkit()
    print(f"# {machine_line()}", flush=True)

    base = args.articles or work / "bbc-x1-articles.pickle"
    if not base.exists():  # a 1x ingest (clean, NER), then its articles
        import searchkit

        corpus = work / "bbc-x1.jsonl"
        replicate(args.data / "news" / "bbc.jsonl", corpus, 1)
        searchkit.ingest([corpus], index=work / "bbc-x1-searchkit", workers=2)
        dump_articles(work / "bbc-x1-searchkit", base)
    index = work / f"bbc-x{args.scale}-searchkit"
    if not (index / "searchkit.json").exists():
        scaled = work / f"bbc-x{args.scale}-articles.pickle"
        replicate_articles(base, scaled, args.scale)
        built = searchkit_index_only(scaled, index)
        print(f"# built x{args.scale}: {built['passages']:,} passages in {built['seconds']:.0f} s", flush=True)
    passages_file = work / "bbc-x1-passages.jsonl"
    if not passages_file.exists():
        one = work / "bbc-x1-from-articles"
        if not (one / "searchkit.json").exists():
            searchkit_index_only(base, one)
        searchkit_passages(one, passages_file)
    passages = [json.loads(line) for line in open(passages_file, encoding="utf-8")]
    queries = build_queries(passages, n=args.queries)
    res: dict[str, Any] = {"scale": args.scale, "queries": len(queries)}

    # Batch: one process for every query.
    batch_file = work / "batch-queries.csv"
    write_batch_file(queries, batch_file)
    wall, rss, lines = child_peak_rss_mb([*searchkit_cmd(), "batch", str(batch_file), "--jsonl", "-n", "10",
                                          "--quiet", "--index", str(index)])
    assert lines == len(queries), lines
    res["batch"] = {"wall_s": wall, "queries_per_s": len(queries) / wall, "rss_mb": rss}
    print(f"batch: {len(queries):,} queries in {wall:.1f} s = {len(queries) / wall:.0f} queries/s "
          f"(one process, start-up included; peak RSS {rss:.0f} MiB)", flush=True)

    cold = cold_searches(index, queries[:20])
    res["cold_search_ms"] = {"p50": statistics.median(cold), "p95": percentile(cold, 95)}
    print(f"cold search process: median {statistics.median(cold):.0f} ms "
          f"(= {1000 / statistics.median(cold):.1f} queries/s)", flush=True)

    shell = shell_latencies(index, queries[:args.shell_queries])
    res["shell_ms"] = {"p50": statistics.median(shell), "p95": percentile(shell, 95), "n": len(shell)}
    print(f"shell: median {statistics.median(shell):.1f} ms, p95 {percentile(shell, 95):.1f} ms per query "
          f"({len(shell)} queries, Enter to the next prompt)", flush=True)

    # Export: the broadest content word with at least --export-min matching passages.
    word = None
    for candidate in ("said", "year", "people", "also", "would", "the"):
        total = json.loads(subprocess.run([*searchkit_cmd(), "search", candidate, "--exact-count", "--json", "-n", "1",
                                           "--index", str(index)], capture_output=True, text=True,
                                          env=env()).stdout)["total"]
        if total >= args.export_min:
            word = candidate
            break
    assert word is not None, "no word with enough matches"
    ewall, erss, elines = child_peak_rss_mb([*searchkit_cmd(), "search", word, "--limit", "0", "--jsonl",
                                             "--index", str(index)])
    _, page_rss, _ = child_peak_rss_mb([*searchkit_cmd(), "search", word, "-n", "10", "--jsonl",
                                        "--index", str(index)])
    res["export"] = {"query": word, "hits": elines, "wall_s": ewall, "rss_mb": erss, "page_rss_mb": page_rss}
    print(f"export: search {word!r} --limit 0 --jsonl: {elines:,} hits in {ewall:.1f} s, peak RSS {erss:.0f} MiB "
          f"(the same search -n 10: {page_rss:.0f} MiB)", flush=True)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
