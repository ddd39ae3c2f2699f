"""Long natural-language OR queries on BBC news: searchkit's per-query time beside the peers'.

    python bench/speed/long_queries.py [--index DIR] [--engines searchkit,bm25s,tantivy,fts5,whoosh]

The queries: 200 sentences of 12-30 words drawn (seed 7) from BBC 1x articles
(``../shared/data/news/bbc.jsonl``), normalised as ``rank_eval.py`` does (``_common.query_terms``)
and run as an OR of their words, 10 hits — what ``searchkit search --any "<a question>"`` does
(searchkit with highlights, as the CLI shows them). One untimed pass, then one timed pass:
p50 and p95 ms. searchkit ingests the file into ``--index`` (kept, reused when it exists); the
peers index the same articles (title + text) as whole documents.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from _common import DEFAULT_DATA, machine_line, percentile, query_terms, read_jsonl, use_repo_searchkit  # noqa: E402
from engines import PEERS  # noqa: E402

use_repo_searchkit()

_SENTENCE = re.compile(r"[^.!?]+[.!?]")


def build_queries(records: list[dict[str, Any]], n: int = 200, seed: int = 7) -> list[list[str]]:
    """``n`` sentences of 12-30 words from distinct random articles, as normalised word lists."""
    rng = random.Random(seed)
    out: list[list[str]] = []
    order = list(range(len(records)))
    rng.shuffle(order)
    for i in order:
        sentences = [s.strip() for s in _SENTENCE.findall(records[i]["text"]) if 12 <= len(s.split()) <= 30]
        if sentences:
            terms = query_terms(rng.choice(sentences))
            if len(terms) >= 6:
                out.append(terms)
        if len(out) == n:
            break
    return out


def time_queries(search: Any, queries: list[list[str]]) -> list[float]:
    for q in queries:  # warm-up pass
        search(q)
    times = []
    for q in queries:
        t = time.perf_counter()
        search(q)
        times.append(1000 * (time.perf_counter() - t))
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA / "news" / "bbc.jsonl")
    ap.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-bbc1x-index")
    ap.add_argument("--engines", default="searchkit,bm25s,tantivy,fts5,whoosh")
    args = ap.parse_args(argv)
    import searchkit

    records = list(read_jsonl(args.data))
    queries = build_queries(records)
    print(machine_line())
    print(f"{len(queries)} queries, {sum(map(len, queries)) / len(queries):.1f} words each on average")
    results: dict[str, dict[str, float]] = {}
    print("| engine | p50 ms | p95 ms | mean ms |\n|---|---|---|---|")
    for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
        if name == "searchkit":
            if not args.index.exists():
                searchkit.ingest([str(args.data)], index=str(args.index), workers=2, progress=None)
            idx = searchkit.open_index(str(args.index))
            times = time_queries(lambda q: idx.search(" ".join(q), operator="or", limit=10), queries)
            idx.close()
        else:
            engine = PEERS[name]()
            with tempfile.TemporaryDirectory(prefix="searchkit-long-") as tmp:
                docs = [{"id": r.get("id") or str(i), "title": r.get("title") or "", "text": r["text"]}
                        for i, r in enumerate(records)]
                engine.build(docs, Path(tmp) / name)
                engine.open(Path(tmp) / name)
                times = time_queries(lambda q: engine.search(q, 10, operator="or"), queries)
                engine.close()
        results[name] = {"p50_ms": round(percentile(times, 50), 3), "p95_ms": round(percentile(times, 95), 3),
                         "mean_ms": round(sum(times) / len(times), 3)}
        r = results[name]
        print(f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['mean_ms']} |", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
