"""What the copy stage costs: ingest rate with and without it, search latency collapsing copies
against ``--all-copies``, both measured in one run, interleaved, medians.

    python bench/speed/copies_cost.py [DATA_DIR] [--articles 400] [--repeat 3] [--workers 2]
                                      [--index INDEX] [--queries 200]

* **ingest**: the first ``--articles`` BBC articles (``DATA_DIR/news/bbc.jsonl``) ingested end
  to end (clean, passages, NER, index) into a fresh index, ``--repeat`` times with the default
  ``dup_threshold`` and as many with 0 (the stage off: no signatures in the workers, no
  clustering or table in the writer), alternating; articles/s, median of each.
* **search**: on ``--index`` (an index with copies, e.g. BBC + Reuters), ``--queries`` seeded
  queries (two-word, rare-word, phrase) drawn from its passages, each run with copies
  collapsed and with ``collapse_copies=False`` in turn, warm, three rounds; median and p95 of
  each, and the same for a ``--facets`` query over the broadest word.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from _common import DEFAULT_DATA, Table, machine_line, percentile, use_repo_searchkit  # noqa: E402
from query_set import broad_word, build_queries  # noqa: E402

use_repo_searchkit()
import searchkit  # noqa: E402
from searchkit.settings import IngestSettings  # noqa: E402


def ingest_rates(data: Path, articles: int, repeat: int, workers: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"with copies": [], "without": []}
    with tempfile.TemporaryDirectory(prefix="copies-cost-") as tmp:
        corpus = Path(tmp) / "bbc.jsonl"
        with open(data / "news" / "bbc.jsonl", encoding="utf-8") as src, open(corpus, "w", encoding="utf-8") as out:
            for _, line in zip(range(articles), src):
                out.write(line)
        settings = {"with copies": IngestSettings(), "without": replace(IngestSettings(), dup_threshold=0.0)}
        for run in range(repeat):
            for label in (("with copies", "without") if run % 2 == 0 else ("without", "with copies")):
                index = Path(tmp) / f"index-{label.replace(' ', '-')}-{run}"
                report = searchkit.ingest([corpus], index=index, workers=workers, settings=settings[label])
                rates[label].append(report.new / report.seconds)
                print(f"  ingest {label:>11}: {report.new} articles in {report.seconds:.1f} s "
                      f"({rates[label][-1]:.1f}/s)", flush=True)
    return rates


def query_set(idx: Any, n: int) -> tuple[list[str], str]:
    reader = idx._searcher
    # (no entities here: the entity kind of the query set is drawn on a stand-in and left out)
    passages = [{"text": f.get("text", ""), "entities": ["place=x"]} for f in reader.documents(kind="passage")]
    rng = random.Random(14)
    sample = rng.sample(passages, min(len(passages), 5000))
    queries = [q for q in build_queries(sample, n=n * 4 // 3, seed=14) if q["kind"] != "entity"]
    return [(f'"{" ".join(q["terms"])}"' if q["kind"] == "phrase" else " ".join(q["terms"])) for q in queries][:n], \
        broad_word(sample)


def search_latency(index: Path, n: int) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, Any]]:
    times: dict[str, list[float]] = {"collapsed": [], "all copies": []}
    facets: dict[str, list[float]] = {"collapsed": [], "all copies": []}
    with searchkit.open_index(index) as idx:
        queries, broad = query_set(idx, n)
        table = idx.copy_table
        info = {"queries": len(queries), "clusters": len(table.clusters),
                "clustered_articles": len(table.cluster_of), "broad_word": broad}
        for q in queries:  # warm up both paths
            idx.search(q, collapse_copies=True)
            idx.search(q, collapse_copies=False)
        hits_with_copies = 0
        for rnd in range(3):
            for i, q in enumerate(queries):
                order = (True, False) if (i + rnd) % 2 == 0 else (False, True)
                for collapse in order:
                    t0 = time.perf_counter()
                    r = idx.search(q, collapse_copies=collapse)
                    times["collapsed" if collapse else "all copies"].append((time.perf_counter() - t0) * 1000)
                    if collapse and rnd == 0:
                        hits_with_copies += any(h.copies for h in r.hits)
        for rnd in range(7):
            for collapse in ((True, False) if rnd % 2 == 0 else (False, True)):
                t0 = time.perf_counter()
                idx.search(broad, collapse_copies=collapse, facets=True)
                facets["collapsed" if collapse else "all copies"].append((time.perf_counter() - t0) * 1000)
        info["queries_with_a_hit_with_copies"] = hits_with_copies
    return times, facets, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--index", type=Path, help="an index with copies for the search part (none: skipped)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    print(machine_line())
    out: dict[str, Any] = {}
    if not args.skip_ingest:
        rates = ingest_rates(args.data, args.articles, args.repeat, args.workers)
        t = Table(["ingest (BBC, NER, %d workers)" % args.workers, "articles/s (median)", "runs"])
        for label, values in rates.items():
            t.add(label, f"{statistics.median(values):.1f}", ", ".join(f"{v:.1f}" for v in values))
        ratio = statistics.median(rates["with copies"]) / statistics.median(rates["without"])
        t.add("ratio", f"{ratio:.3f}", "")
        print(t.render())
        out["ingest"] = {**rates, "ratio": ratio}
    if args.index:
        times, facets, info = search_latency(args.index, args.queries)
        t = Table(["search (warm)", "p50 ms", "p95 ms", "facets p50 ms"])
        for label in times:
            t.add(label, f"{statistics.median(times[label]):.2f}", f"{percentile(times[label], 95):.2f}",
                  f"{statistics.median(facets[label]):.1f}")
        ratio = statistics.median(times["collapsed"]) / statistics.median(times["all copies"])
        fratio = statistics.median(facets["collapsed"]) / statistics.median(facets["all copies"])
        t.add("ratio", f"{ratio:.3f}", "", f"{fratio:.3f}")
        print(t.render())
        print(json.dumps(info))
        out["search"] = {"p50": {k: statistics.median(v) for k, v in times.items()}, "ratio": ratio,
                         "facets_ratio": fratio, **info}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
