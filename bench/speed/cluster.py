"""Beyond one machine: Dask ingest, shard-per-worker writing, sharded search, a big index.

    python bench/speed/cluster.py [DATA_DIR] [--workdir DIR] [--big 64] [--workers 2]

One run of each measurement, on the BBC corpus (``DATA_DIR/news/bbc.jsonl``, 2,225 articles):

A. end-to-end ingest at 1x: the local pool (``--workers N``) against a Dask LocalCluster of N
   worker processes (``--scheduler local:N``), and the LocalCluster with ``--shard-per-worker``,
   each a fresh ``searchkit ingest`` process (wall time; the ratio to the local pool);
B. writer throughput on ready articles (4x, no cleaning or NER): one writer against one writer
   per shard (N processes at once, each its share of the articles by ``shard_of``);
C. search over the same 16x passages as one index and as 1, 4 and 16 shards: warm latency
   (median and p95 of 200 queries, ``perf.py``'s set), ``--facets``, cold wall time;
D. a ``--big`` x index (ready articles replicated as ``perf.py`` does): the same latencies and
   the index size, against 1x and 16x, to show how they grow.

Ready articles are the 1x ingest's articles (clean text, passages, entities) replicated with
new ids in the writing process itself, so no replica list is held in memory. Each build and
each query set runs in its own process. The last line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, REPO_ROOT, dir_size, machine_line, use_repo_searchkit  # noqa: E402

HERE = Path(__file__).resolve()


def replicas(base: Path, scale: int, shard: int | None, shards: int) -> Any:
    """The 1x articles and their ``scale - 1`` copies (``id~r<k>``, as perf.py names them),
    only those of ``shard`` when given."""
    use_repo_searchkit()
    from searchkit.ingest.build import article_id_for
    from searchkit.ingest.sharded import shard_of

    with open(base, "rb") as f:
        articles = pickle.load(f)
    for k in range(scale):
        for a in articles:
            sid = a.source_id if k == 0 else f"{a.source_id}~r{k}"
            aid = article_id_for(sid)
            if shard is not None and shard_of(aid, shards) != shard:
                continue
            yield a if k == 0 else replace(a, source_id=sid, article_id=aid,
                                           passages=tuple(replace(p, article_id=aid) for p in a.passages))


def child_write(spec: dict[str, Any]) -> dict[str, Any]:
    """Write (a shard of) the replicated articles with searchkit's writer; time the writing.
    Copy detection off, as in perf.py: the replicas stand for distinct stories."""
    use_repo_searchkit()
    from searchkit.ingest import write_articles
    from searchkit.settings import IngestSettings

    index = Path(spec["index"])
    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    report = write_articles(index, replicas(Path(spec["base"]), spec["scale"], spec.get("shard"), spec.get("shards", 1)),
                            settings=IngestSettings(dup_threshold=0.0))
    return {"seconds": time.perf_counter() - t0, "passages": report.passages, "articles": report.articles,
            "start": t0}


def spawn(task: str, spec: dict[str, Any]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen([sys.executable, str(HERE), task, json.dumps(spec)], stdout=subprocess.PIPE, text=True,
                            env=env)


def result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"a child failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def build(base: Path, scale: int, index: Path, shards: int = 0, parallel: bool = False) -> dict[str, Any]:
    """One index (``shards`` 0) or a sharded one of ``shards`` shards; wall seconds of writing."""
    if shards == 0:
        return result(spawn("_write", {"base": str(base), "scale": scale, "index": str(index)}))
    use_repo_searchkit()
    from searchkit.store.shards import write_shards

    shutil.rmtree(index, ignore_errors=True)
    index.mkdir(parents=True)
    paths = [index / "shards" / f"w{k:02d}" for k in range(shards)]
    specs = [{"base": str(base), "scale": scale, "index": str(p), "shard": k, "shards": shards}
             for k, p in enumerate(paths)]
    t0 = time.perf_counter()
    if parallel:
        outs = [result(p) for p in [spawn("_write", s) for s in specs]]
    else:
        outs = [result(spawn("_write", s)) for s in specs]
    wall = time.perf_counter() - t0
    write_shards(index, paths)
    return {"seconds": max(o["seconds"] for o in outs) if parallel else sum(o["seconds"] for o in outs),
            "wall": wall, "passages": sum(o["passages"] for o in outs), "articles": sum(o["articles"] for o in outs)}


def ingest(corpus: Path, index: Path, *extra: str) -> dict[str, Any]:
    shutil.rmtree(index, ignore_errors=True)
    import resource

    exe = Path(sys.executable).with_name("searchkit")
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), "ingest", str(corpus), "--index", str(index), "--json", "-q", *extra],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    report = json.loads(proc.stdout)
    # CPU of the ingest and of every process under it (the workers are reaped before it
    # exits): on a machine shared with other jobs, the overhead shows here more than in wall time.
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return {"wall": wall, "cpu": cpu, "articles": report["articles"], "passages": report["passages"],
            "articles_per_s": report["articles"] / wall, "cpu_ms_per_article": 1000 * cpu / report["articles"]}


def queries_of(index: Path, work: Path) -> tuple[list[dict[str, Any]], str]:
    import perf
    from _common import read_jsonl
    from query_set import broad_word, build_queries

    passages = work / "bbc-x1-passages.jsonl"
    if not passages.exists():
        perf.searchkit_passages(index, passages)
    records = list(read_jsonl(passages))
    return build_queries(records, 200, 5), broad_word(records)


def latency(index: Path, queries: list[dict[str, Any]], facets_word: str, cold_repeat: int) -> dict[str, Any]:
    import perf

    r = perf.run_worker({"task": "query", "engine": "searchkit", "index": str(index), "queries": queries,
                         "highlight": True, "facets_query": facets_word})
    cold_terms = next(q["terms"] for q in queries if q["kind"] == "two-word")
    return {"p50_ms": r["p50_ms"], "p95_ms": r["p95_ms"], "facets_p50_ms": r.get("facets_p50_ms"),
            "cold_ms": perf.cold_wall("searchkit", index, cold_terms, cold_repeat), "rss_mb": r["rss_mb"],
            "size_mb": dir_size(index) / 2**20}


def say(label: str, row: dict[str, Any]) -> None:
    print(f"# {label}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
          flush=True)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "_write":
        print(json.dumps(child_write(json.loads(argv[1]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-bench-cluster")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--writer-scale", type=int, default=4)
    ap.add_argument("--shard-scale", type=int, default=16)
    ap.add_argument("--big", type=int, default=64)
    ap.add_argument("--cold-repeat", type=int, default=5)
    ap.add_argument("--skip", default="", help="sections to skip: A,B,C,D")
    ap.add_argument("--no-shard-ingest", action="store_true", help="A without the shard-per-worker ingest")
    args = ap.parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip.split(","))
    res: dict[str, Any] = {"machine": machine_line()}
    print(res["machine"], flush=True)
    corpus = args.data / "news" / "bbc.jsonl"
    n = args.workers
    local1 = work / "x1-local"
    base = work / "x1-articles.pickle"
    if "A" not in skip:  # --- end-to-end ingest: local pool, Dask, Dask with shards ----------
        a = res["ingest"] = {}
        a["local"] = ingest(corpus, local1, "--workers", str(n))
        say("ingest local pool", a["local"])
        a["dask"] = ingest(corpus, work / "x1-dask", "--scheduler", f"local:{n}")
        say("ingest dask", a["dask"])
        a["dask_over_local"] = a["dask"]["wall"] / a["local"]["wall"]
        a["dask_over_local_cpu"] = a["dask"]["cpu"] / a["local"]["cpu"]
        print(f"# dask / local: wall {a['dask_over_local']:.3f}, CPU {a['dask_over_local_cpu']:.3f}", flush=True)
        if not args.no_shard_ingest:
            a["dask_shards"] = ingest(corpus, work / "x1-dask-shards", "--scheduler", f"local:{n}", "--shard-per-worker")
            say("ingest dask shard-per-worker", a["dask_shards"])
            a["shards_over_local"] = a["dask_shards"]["wall"] / a["local"]["wall"]
            a["shards_over_local_cpu"] = a["dask_shards"]["cpu"] / a["local"]["cpu"]
    if not base.exists():
        import perf

        perf.dump_articles(local1, base)
    queries, facets_word = queries_of(local1, work)
    if "B" not in skip:  # --- writer throughput -------------------------------------------------
        b = res["writer"] = {}
        one = build(base, args.writer_scale, work / "w-one")
        many = build(base, args.writer_scale, work / "w-shards", shards=n, parallel=True)
        b["one_writer_passages_per_s"] = one["passages"] / one["seconds"]
        b["shard_writers_passages_per_s"] = many["passages"] / many["seconds"]
        b["ratio"] = b["shard_writers_passages_per_s"] / b["one_writer_passages_per_s"]
        b["passages"] = one["passages"]
        say(f"writer x{args.writer_scale}", b)
    if "C" not in skip:  # --- search over shards -------------------------------------------------
        c = res["shards"] = {}
        s = args.shard_scale
        one = local1 if s == 1 else work / f"x{s}-one"  # at 1x: the ingest's own index
        if s != 1:
            r = build(base, s, one)
            c["passages"], c["build_one_s"] = r["passages"], r["seconds"]
        c["one"] = latency(one, queries, facets_word, args.cold_repeat)
        say(f"x{s} one index", c["one"])
        for k in (1, 4, 16):
            path = work / f"x{s}-shards{k}"
            if k == 1:  # a sharded folder whose one shard is the index above
                use_repo_searchkit()
                from searchkit.store.shards import write_shards

                shutil.rmtree(path, ignore_errors=True)
                path.mkdir(parents=True)
                write_shards(path, [one])
            else:
                build(base, s, path, shards=k)
            c[f"shards{k}"] = latency(path, queries, facets_word, args.cold_repeat)
            say(f"x{s} {k} shards", c[f"shards{k}"])
    if "D" not in skip:  # --- growth: 1x, shard-scale x, big x ------------------------------------
        d = res["growth"] = {}
        d["x1"] = latency(local1, queries, facets_word, args.cold_repeat)
        say("x1", d["x1"])
        if "shards" in res:
            d[f"x{args.shard_scale}"] = res["shards"]["one"]
        elif (work / f"x{args.shard_scale}-one").exists():  # built by an earlier run's C
            d[f"x{args.shard_scale}"] = latency(work / f"x{args.shard_scale}-one", queries, facets_word,
                                                args.cold_repeat)
            say(f"x{args.shard_scale} (earlier build)", d[f"x{args.shard_scale}"])
        big = work / f"x{args.big}-one"
        r = build(base, args.big, big)
        d[f"x{args.big}_build"] = {"seconds": r["seconds"], "passages": r["passages"], "articles": r["articles"],
                                   "passages_per_s": r["passages"] / r["seconds"]}
        say(f"x{args.big} build", d[f"x{args.big}_build"])
        d[f"x{args.big}"] = latency(big, queries, facets_word, args.cold_repeat)
        say(f"x{args.big}", d[f"x{args.big}"])
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
