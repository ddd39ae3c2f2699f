"""Speed benchmark: searchkit against plain Whoosh, tantivy and SQLite FTS5.

    python bench/speed/perf.py [DATA_DIR] [--scale 1,4,16] [--workdir DIR] [--skip-ingest]
    python bench/speed/perf.py ingest [CORPUS] [--workers 1,2] [--repeat 3] [--compare NAME=PATH]

The second form is the ingest mode (``ingest_mode.py``): end-to-end ingests of this and other
checkouts or settings, interleaved, with CPU time per article; ``perf.py ingest --help``.

Corpus: ``DATA_DIR/news/bbc.jsonl`` (2,225 articles) replicated to each scale with distinct
ids, and ``DATA_DIR/reuters21578/reuters21578.jsonl`` (``--reuters``) as a dated corpus.
Per scale it measures, each engine in its own subprocess (so peak RSS is per engine):

* searchkit ingest end to end (clean + passages + NER + index), articles/s, with
  ``--ingest-workers`` (1 and 2 at the scales in ``--ingest-scales``; 2 elsewhere);
* index-only passages/s on the very passages searchkit produced, for every engine;
* index size against the clean text size; peak RSS;
* warm query latency, median and p95, over a fixed set of 200 queries (two-word, rare word,
  phrase, word + entity filter), with highlights, all words required (searchkit's default;
  the peers get the same AND);
* cold wall and CPU time of a fresh process that opens the index and runs one query (median of 10):
  ``searchkit search`` for searchkit, a minimal script for the peers;
* searchkit ``--facets`` over a broad query.

The results print as Markdown tables (pasted into ``bench/README.md``); the last line is one
JSON object with every number. Work files go to ``--workdir`` (a temp folder by default);
``--skip-ingest`` reuses the searchkit indexes already there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from _common import (DEFAULT_DATA, REPO_ROOT, Table, dir_size, machine_line,  # noqa: E402
                     children_peak_rss_mb, peak_rss_mb, percentile, read_jsonl, timed_process,
                     use_repo_searchkit)
from query_set import QUERY_KINDS, broad_word, build_queries  # noqa: E402

HERE = Path(__file__).resolve()
PEER_ENGINES = ("whoosh", "tantivy", "fts5")


# =========================================================================== corpus


def replicate(src: Path, dst: Path, scale: int) -> int:
    """Write ``scale`` copies of a JSONL corpus with distinct ids (``id~r<k>`` for k ≥ 1)."""
    if dst.exists():
        return sum(1 for _ in open(dst, encoding="utf-8"))
    rows = list(read_jsonl(src))
    tmp = dst.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for k in range(scale):
            for r in rows:
                r2 = dict(r)
                if k:
                    r2["id"] = f'{r["id"]}~r{k}'
                r2.setdefault("site", "bbc.co.uk")
                f.write(json.dumps(r2, ensure_ascii=False) + "\n")
    tmp.rename(dst)
    return scale * len(rows)


def searchkit_passages(index: Path, out: Path) -> int:
    """Dump the passages of a searchkit index (text, title, entities) for the peers."""
    from whoosh import index as wix

    use_repo_searchkit()
    from searchkit.records import FACETS

    ix = wix.open_dir(str(index))
    n = 0
    with ix.searcher() as s, open(out, "w", encoding="utf-8") as f:
        for fields in s.all_stored_fields():
            if "passage_id" not in fields or "text" not in fields:
                continue
            ents = [f"{facet}={name}" for facet in FACETS
                    for name in (fields.get(facet) or "").split(",") if name]
            f.write(json.dumps({"id": fields["passage_id"], "article_id": fields.get("article_id"),
                                "title": fields.get("title") or "", "text": fields["text"],
                                "entities": ents}, ensure_ascii=False) + "\n")
            n += 1
    ix.close()
    return n


# =========================================================================== searchkit's index


def ingest_runs(res: dict[str, Any], label: str, corpus: Path, index: Path, counts: list[int]) -> None:
    """End-to-end ``searchkit.ingest`` with each worker count (the last run leaves the index)."""
    n_articles = sum(1 for _ in open(corpus, encoding="utf-8"))
    for w in sorted(counts, reverse=True):
        r = run_worker({"task": "ingest", "corpus": str(corpus), "index": str(index), "workers": w})
        r["articles_per_s"] = n_articles / r["seconds"]
        res[f"ingest_w{w}"] = r
        print(f"# {label}: ingest workers={w}: {r['articles_per_s']:.1f} articles/s, "
              f"{r['passages']} passages, {r['seconds']:.0f} s, RSS {r['rss_mb']:.0f} MiB "
              f"(+ workers {r['rss_children_mb']:.0f})", flush=True)


def replicate_articles(base: Path, out: Path, scale: int) -> int:
    """``scale`` copies of the pickled 1x articles with distinct source and article ids
    (``#<id>~r<k>``, as ``replicate`` names the JSONL replicas)."""
    import pickle
    from dataclasses import replace

    use_repo_searchkit()
    from searchkit.ingest.build import article_id_for

    if out.exists():
        return -1
    with open(base, "rb") as f:
        articles = pickle.load(f)
    copies = list(articles)
    for k in range(1, scale):
        for a in articles:
            sid = f"{a.source_id}~r{k}"
            aid = article_id_for(sid)
            copies.append(replace(a, source_id=sid, article_id=aid,
                                  passages=tuple(replace(p, article_id=aid) for p in a.passages)))
    with open(out, "wb") as f:
        pickle.dump(copies, f, protocol=pickle.HIGHEST_PROTOCOL)
    return len(copies)


def dump_articles(index: Path, out: Path) -> int:
    """Pickle the searchkit index's articles (clean text, passages, entities) so that the
    index-only measurement can re-index them without cleaning or NER."""
    import pickle

    use_repo_searchkit()
    import searchkit
    from whoosh import index as wix

    ix = wix.open_dir(str(index), readonly=True)
    with ix.searcher() as s:
        ids = sorted({f["article_id"] for f in s.all_stored_fields() if "record" in f})
    ix.close()
    with searchkit.open_index(str(index)) as idx:
        articles = [idx.article(a) for a in ids]
    with open(out, "wb") as f:
        pickle.dump(articles, f, protocol=pickle.HIGHEST_PROTOCOL)
    return len(articles)


def searchkit_index_only(articles_file: Path, index: Path) -> dict[str, Any]:
    """searchkit's writer on ready-made articles (``searchkit.ingest.write_articles``): the
    same writer, commits, final merge of small segments and entity table as an ingest, without
    cleaning or NER, to split ingest time into index vs the rest.

    Copy detection is off here: the replicated scales are every 1x article 16 or 64 times over,
    which the copies stage would rightly fold into clusters of 16 or 64, while the archive they
    stand for is that many distinct stories (``bench/speed/copies_cost.py`` measures the stage)."""
    import pickle

    use_repo_searchkit()
    from searchkit.ingest import write_articles
    from searchkit.settings import IngestSettings

    with open(articles_file, "rb") as f:
        articles = pickle.load(f)
    if index.exists():
        shutil.rmtree(index)
    t0 = time.perf_counter()
    report = write_articles(index, articles, settings=IngestSettings(dup_threshold=0.0))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "passages": report.passages, "rss_mb": peak_rss_mb(), "rss_children_mb": 0.0}


# =========================================================================== workers
# Each measurement runs in a fresh interpreter: ``perf.py _worker '<json spec>'`` prints one
# JSON line. Peak RSS is then that engine's alone.


def run_worker(spec: dict[str, Any], timeout: float = 7200) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(HERE), "_worker", json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {spec['task']}/{spec.get('engine')} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def make_engine(name: str) -> Any:
    from engines import make_engine as make

    return make(name)


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    task = spec["task"]
    if task == "ingest":
        use_repo_searchkit()
        import searchkit

        index = Path(spec["index"])
        if index.exists():
            shutil.rmtree(index)
        t0 = time.perf_counter()
        report = searchkit.ingest([spec["corpus"]], index=str(index), workers=spec["workers"], progress=None)
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "articles": report.articles, "passages": report.passages,
                "failed": len(report.failed), "rss_mb": peak_rss_mb(), "rss_children_mb": children_peak_rss_mb()}
    if task == "build" and spec["engine"] == "searchkit":
        return searchkit_index_only(Path(spec["articles"]), Path(spec["index"]))
    if task == "build":
        engine = make_engine(spec["engine"])
        records = list(read_jsonl(Path(spec["passages"])))
        t0 = time.perf_counter()
        n = engine.build(records, Path(spec["index"]))
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "passages": n, "rss_mb": peak_rss_mb(),
                "rss_children_mb": children_peak_rss_mb()}
    if task == "query":
        return query_worker(spec)
    raise ValueError(task)


def _searchkit_query(idx: Any, q: dict[str, Any], highlight: bool, facets: bool = False) -> int:
    terms = q["terms"]
    text = '"' + " ".join(terms) + '"' if q["kind"] == "phrase" else " ".join(terms)
    kw: dict[str, Any] = {}
    if q.get("entity"):
        facet, name = q["entity"].split("=", 1)
        kw[facet] = name
    res = idx.search(text, limit=10, highlight=highlight, facets=facets, **kw)
    return len(res.hits)


def query_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Warm latency: one untimed pass over the queries, then one timed pass."""
    queries = spec["queries"]
    highlight = spec.get("highlight", True)
    if spec["engine"] == "searchkit":
        use_repo_searchkit()
        import searchkit

        idx = searchkit.open_index(spec["index"])

        def one(q: dict[str, Any]) -> int:
            return _searchkit_query(idx, q, highlight)
    else:
        engine = make_engine(spec["engine"])
        engine.open(Path(spec["index"]))

        def one(q: dict[str, Any]) -> int:
            return len(engine.search(q["terms"], 10, phrase=q["kind"] == "phrase",
                                     entity=q.get("entity"), highlight=highlight, operator="and"))
    for q in queries:
        one(q)
    times: dict[str, list[float]] = {k: [] for k in QUERY_KINDS}
    empty = 0
    for q in queries:
        t0 = time.perf_counter()
        n = one(q)
        times[q["kind"]].append(1000 * (time.perf_counter() - t0))
        empty += n == 0
    out: dict[str, Any] = {"empty": empty, "rss_mb": peak_rss_mb()}
    every = [t for ts in times.values() for t in ts]
    out["p50_ms"], out["p95_ms"] = statistics.median(every), percentile(every, 95)
    out["by_kind_p50_ms"] = {k: statistics.median(v) for k, v in times.items() if v}
    if spec.get("facets_query") and spec["engine"] == "searchkit":
        fq = {"kind": "two-word", "terms": [spec["facets_query"]]}
        _searchkit_query(idx, fq, True, facets=True)
        ft = []
        for _ in range(10):
            t0 = time.perf_counter()
            _searchkit_query(idx, fq, True, facets=True)
            ft.append(1000 * (time.perf_counter() - t0))
        out["facets_p50_ms"] = statistics.median(ft)
    return out


def cold_wall(engine: str, index: Path, terms: list[str], repeat: int = 10) -> tuple[float, float]:
    """Median wall time and median CPU time (ms, user + system) of a fresh process that opens
    the index and runs one query. CPU time is what the process itself costs, which a loaded
    machine does not inflate (wall time waits for a core). Bytecode is cached as a pip install
    leaves it (``PYTHONDONTWRITEBYTECODE`` is dropped: with it, every searchkit module of an
    editable checkout is compiled again in every process, while the peers' are not); the
    first, compiling, run is not counted."""

    if engine == "searchkit":
        exe = Path(sys.executable).with_name("searchkit")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "searchkit"]
        cmd += ["search", " ".join(terms), "--index", str(index), "--json"]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    else:
        # A minimal script: only the engine's own import, like a CLI built on it would do.
        cmd = [sys.executable, "-c",
               "import sys; sys.path.insert(0, sys.argv[1]); from engines import cold_query; "
               "cold_query(sys.argv[2], sys.argv[3], sys.argv[4:])",
               str(HERE.parents[1] / "lib"), engine, str(index), *terms]
        env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    walls, cpus = [], []
    for i in range(repeat + 1):
        wall, cpu = timed_process(cmd, env, engine)
        if i:
            walls.append(wall)
            cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


# =========================================================================== driver


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "_worker":
        print(json.dumps(worker(json.loads(argv[1]))))
        return 0
    if argv and argv[0] in ("ingest", "_ingest_run"):  # the ingest mode (ingest_mode.py)
        import ingest_mode

        if argv[0] == "_ingest_run":
            print(json.dumps(ingest_mode.child(json.loads(argv[1]))))
            return 0
        return ingest_mode.main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scale", default="1,4,16", help="BBC replication factors (default 1,4,16; '' for none)")
    ap.add_argument("--reuters", action="store_true", help="also the Reuters-21578 corpus (dated articles)")
    ap.add_argument("--reuters-limit", type=int, default=5000, help="first N Reuters articles (of 19,779)")
    ap.add_argument("--engines", default="searchkit,whoosh,whoosh-p2,tantivy,fts5")
    ap.add_argument("--ingest-workers", default="1,2", help="worker counts for end-to-end ingest")
    ap.add_argument("--ingest-scales", default="1",
                    help="scales that run the end-to-end ingest; the others index the 1x articles replicated")
    ap.add_argument("--ingest-workers-scales", default="1",
                    help="scales where every --ingest-workers count runs (elsewhere only the largest)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "searchkit-bench")
    ap.add_argument("--skip-ingest", action="store_true",
                    help="reuse the searchkit indexes in --workdir (ingests and index-only builds alike)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--cold-repeat", type=int, default=10)
    ap.add_argument("--no-searchkit", action="store_true",
                    help="peers only, on passages split here (no NER) — for a checkout without the pipeline")
    args = ap.parse_args(argv)

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.no_searchkit:
        engines = [e for e in engines if e != "searchkit"]
    wcounts = [int(x) for x in args.ingest_workers.split(",")]
    ingest_scales = {int(x) for x in args.ingest_scales.split(",") if x}
    full_scales = {int(x) for x in args.ingest_workers_scales.split(",") if x}
    corpora: list[tuple[str, Path]] = []
    for s in (int(x) for x in args.scale.split(",") if x):
        corpora.append((f"bbc x{s}", work / f"bbc-x{s}.jsonl"))
        replicate(args.data / "news" / "bbc.jsonl", work / f"bbc-x{s}.jsonl", s)
    if args.reuters:
        reuters = work / f"reuters-{args.reuters_limit}.jsonl"
        if not reuters.exists():
            with open(args.data / "reuters21578" / "reuters21578.jsonl", encoding="utf-8") as src, \
                    open(reuters, "w", encoding="utf-8") as dst:
                for n, line in enumerate(src):
                    if n >= args.reuters_limit:
                        break
                    dst.write(line)
        corpora.append(("reuters", reuters))

    print(machine_line(), flush=True)
    results: dict[str, Any] = {"machine": machine_line(), "corpora": {}}
    query_sets: dict[str, tuple[list[dict[str, Any]], str]] = {}
    for label, corpus in corpora:
        key = label.replace(" ", "-")
        res: dict[str, Any] = results["corpora"].setdefault(label, {})
        n_articles = sum(1 for _ in open(corpus, encoding="utf-8"))
        res["articles"] = n_articles
        sk_index = work / f"{key}-searchkit"
        passages_file = work / f"{key}-passages.jsonl"
        # --- searchkit: end-to-end ingest, or its articles replicated ---------------------
        # End-to-end ingest (clean + passages + NER + index) runs at --ingest-scales; its cost
        # per article is NER-bound and does not depend on the scale. At the other scales the
        # 1x articles (clean text, passages, entities) are replicated with new ids and indexed
        # through ``searchkit.ingest.write_articles``, which yields the same index without hours of NER.
        articles_file = work / f"{key}-articles.pickle"
        scale = int(label.split("x")[1]) if label.startswith("bbc x") else 0
        if not args.no_searchkit:
            if scale and scale not in ingest_scales:
                base = work / "bbc-x1-articles.pickle"
                if not base.exists():
                    replicate(args.data / "news" / "bbc.jsonl", work / "bbc-x1.jsonl", 1)
                    base_index = work / "bbc-x1-searchkit"
                    ingest_runs(res, "bbc x1 (base)", work / "bbc-x1.jsonl", base_index, [max(wcounts)])
                    dump_articles(base_index, base)
                replicate_articles(base, articles_file, scale)
                sk_index = work / f"{key}-searchkit-io"  # built below by the index-only step
            else:
                if not (args.skip_ingest and (sk_index / "searchkit.json").exists()):
                    counts = wcounts if (scale in full_scales or not scale) else [max(wcounts)]
                    ingest_runs(res, label, corpus, sk_index, counts)
                dump_articles(sk_index, articles_file)
        elif not passages_file.exists():
            _split_here(corpus, passages_file)
        # --- index-only builds ---------------------------------------------------------------
        if "searchkit" in engines:
            io_index = work / f"{key}-searchkit-io"
            if args.skip_ingest and (io_index / "searchkit.json").exists():
                res["searchkit"] = {}  # reused as it is: no build speed this run
            else:
                r = run_worker({"task": "build", "engine": "searchkit", "articles": str(articles_file),
                                "index": str(io_index)})
                res["searchkit"] = {"build_s": r["seconds"], "passages_per_s": r["passages"] / r["seconds"],
                                    "build_rss_mb": r["rss_mb"]}
            searchkit_passages(sk_index, passages_file)
        records = list(read_jsonl(passages_file))
        res["passages"] = len(records)
        res["clean_text_mb"] = sum(len(r["text"].encode()) for r in records) / 2**20
        family = "bbc" if label.startswith("bbc") else key
        if family not in query_sets:  # built from the first (smallest) scale: the same 200 at every scale
            query_sets[family] = (build_queries(records, args.queries, args.seed), broad_word(records))
            (work / f"queries-{family}.json").write_text(json.dumps(query_sets[family][0], indent=0))
        queries, facets_word = query_sets[family]
        res["facets_query"] = facets_word
        # --- index-only builds ---------------------------------------------------------------
        for e in engines:
            row = res.setdefault(e, {})
            idx_path = sk_index if e == "searchkit" else work / f"{key}-{e}"
            if e != "searchkit" and not (args.skip_ingest and idx_path.exists()):
                r = run_worker({"task": "build", "engine": e, "passages": str(passages_file), "index": str(idx_path)})
                row.update(build_s=r["seconds"], passages_per_s=r["passages"] / r["seconds"],
                           build_rss_mb=r["rss_mb"] + r["rss_children_mb"])  # + worker processes, if any
            row["index_mb"] = dir_size(idx_path) / 2**20
            row["size_ratio"] = row["index_mb"] / res["clean_text_mb"]
        # --- queries ---------------------------------------------------------------------------
        for e in engines:
            if e == "whoosh-p2":
                continue  # same index format as "whoosh": build speed only
            row = res[e]
            idx_path = sk_index if e == "searchkit" else work / f"{key}-{e}"
            spec = {"task": "query", "engine": e, "index": str(idx_path), "queries": queries, "highlight": True,
                    "facets_query": facets_word}
            r = run_worker(spec)
            row.update(p50_ms=r["p50_ms"], p95_ms=r["p95_ms"], query_rss_mb=r["rss_mb"],
                       by_kind_p50_ms=r["by_kind_p50_ms"], empty=r["empty"])
            if "facets_p50_ms" in r:
                row["facets_p50_ms"] = r["facets_p50_ms"]
            cold_terms = next(q["terms"] for q in queries if q["kind"] == "two-word")
            row["cold_ms"], row["cold_cpu_ms"] = cold_wall(e, idx_path, cold_terms, args.cold_repeat)
            print(f"# {label}: {e}: p50 {r['p50_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, cold {row['cold_ms']:.0f} ms "
                  f"(CPU {row['cold_cpu_ms']:.0f} ms)", flush=True)
        print_tables(label, res, engines)
    print(json.dumps(results))
    return 0


def _split_here(corpus: Path, out: Path) -> None:
    """Paragraph passages without searchkit (``--no-searchkit``). There is no NER here, so
    mid-sentence capitalised words stand in for entities (as ``org=...``) to give the
    entity-filter queries something to filter on."""
    cap = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{3,}")
    with open(out, "w", encoding="utf-8") as f:
        for n, a in enumerate(read_jsonl(corpus), start=1):
            for i, para in enumerate(p for p in re.split(r"\n\s*\n", a["text"]) if p.strip()):
                f.write(json.dumps({"id": f"{a['id']}:{i}", "article_id": a["id"], "title": a.get("title") or "",
                                    "text": para.strip(),
                                    "entities": sorted({f"org={m}" for m in cap.findall(para)})}) + "\n")


def print_tables(label: str, res: dict[str, Any], engines: list[str]) -> None:
    print(f"\n{label}: {res['articles']:,} articles, {res['passages']:,} passages, "
          f"{res['clean_text_mb']:.1f} MiB clean text")
    for k, v in res.items():
        if k.startswith("ingest_w"):
            print(f"- searchkit ingest end to end, {k[8:]} worker(s): {v['articles_per_s']:.1f} articles/s "
                  f"({v['seconds']:.0f} s; peak RSS {v['rss_mb']:.0f} MiB writer, {v['rss_children_mb']:.0f} MiB worker)")
    t = Table(["engine", "index passages/s", "index size / text", "build RSS MiB", "warm p50 ms", "warm p95 ms",
               "query RSS MiB", "cold ms", "cold CPU ms", "vs tantivy p50", "vs FTS5 p50"])
    ref = {e: res.get(e, {}).get("p50_ms") for e in ("tantivy", "fts5")}
    for e in engines:
        row = res[e]
        p50 = row.get("p50_ms", float("nan"))
        t.add(e, row.get("passages_per_s", float("nan")), row["size_ratio"], row.get("build_rss_mb", float("nan")),
              p50, row.get("p95_ms", float("nan")), row.get("query_rss_mb", float("nan")),
              row.get("cold_ms", float("nan")), row.get("cold_cpu_ms", float("nan")),
              f"{p50 / ref['tantivy']:.1f}x" if ref["tantivy"] and p50 == p50 else "–",
              f"{p50 / ref['fts5']:.1f}x" if ref["fts5"] and p50 == p50 else "–")
    print(t.render())
    if "facets_p50_ms" in res.get("searchkit", {}):
        print(f"- searchkit facets over a broad query ({res['facets_query']!r}): {res['searchkit']['facets_p50_ms']:.1f} ms")
    print(flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
