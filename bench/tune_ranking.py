"""Ranking experiments: searchkit's index shape (one Whoosh document per passage, the title
copied onto each passage) with the ranking knobs exposed, to choose them on one collection
and check them on the others.

    python bench/tune_ranking.py [COLLECTION_DIR ...] [--sweep NAME]

It does not touch searchkit's code: it rebuilds the same schema shape here (StemmingAnalyzer
on ``title`` and ``text``, the title's ``field_boost``, ``kind=article`` documents next to the
passages) and varies BM25F k1/b, the title weight, the idf formula, the coordination bonus of
the OR query, the query stoplist and the passage → article score aggregation. The winners are
then reported to the lead as exact changes to ``searchkit/schema.py`` / ``search.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, Collection, evaluate, load_collection, query_terms, use_repo_searchkit  # noqa: E402

DEPTH = 100


@dataclass(frozen=True)
class IndexConfig:
    title_boost: float = 2.0  # schema field_boost (multiplies the title's term weights)
    unit: str = "passage"  # "passage" (searchkit) or "doc" (whole document = one Whoosh doc)
    article_docs: bool = True  # searchkit also stores one kind=article doc per article


@dataclass(frozen=True)
class QueryConfig:
    k1: float = 1.2
    b: float = 0.75
    title_b: float | None = None
    idf: str = "whoosh"  # "whoosh": log(N/(n+1))+1 ; "bm25": log(1+(N-n+0.5)/(n+0.5))
    passage_n: bool = False  # idf N and avg length over passages only (not article docs)
    coord: float | None = None  # Or(scale=...) coordination bonus; None = plain OR
    agg: str = "max"  # "max" | "sum" | "max+<w>" (max plus w times the other passages)
    query_title: float = 1.0  # query-time boost of title terms
    coord_pow: float | None = None  # post-hoc: score * (distinct query stems matched / stems) ** p


def split(text: str) -> list[str]:
    """searchkit's passage splitter if this checkout has it, else paragraphs merged to ≥150 chars."""
    try:
        use_repo_searchkit()
        from searchkit.passages import split_passages

        return [p.text for p in split_passages("x", text)]
    except ImportError:
        out: list[str] = []
        pending = ""
        for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
            if not para:
                continue
            para = (pending + "\n\n" + para) if pending else para
            pending = ""
            if len(para) < 150:
                pending = para
            else:
                out.append(para)
        if pending:
            if out and len(out[-1]) + len(pending) <= 1200:
                out[-1] += "\n\n" + pending
            else:
                out.append(pending)
        return out


def build(coll: Collection, cfg: IndexConfig, path: Path) -> None:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    ana = StemmingAnalyzer()
    schema = fields.Schema(kind=fields.ID(), article=fields.ID(stored=True),
                           title=fields.TEXT(analyzer=ana, field_boost=cfg.title_boost),
                           text=fields.TEXT(analyzer=ana))
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), schema)
    w = ix.writer(limitmb=256)
    for d in coll.docs:
        title = d.get("title") or ""
        units = [d["text"]] if cfg.unit == "doc" else split(d["text"]) or [""]
        for u in units:
            w.add_document(kind="passage", article=d["id"], title=title, text=u)
        if cfg.article_docs:
            w.add_document(kind="article", article=d["id"])
    w.commit()


def weighting(q: QueryConfig, n_passages: int | None) -> Any:
    from whoosh import scoring

    class Tuned(scoring.BM25F):
        def idf(self, searcher: Any, fieldname: str, text: str) -> float:
            parent = searcher.get_parent()
            n = parent.doc_frequency(fieldname, text)
            big_n = n_passages if (q.passage_n and n_passages) else parent.doc_count_all()
            if q.idf == "bm25":
                return math.log(1 + (big_n - n + 0.5) / (n + 0.5))
            return math.log(big_n / (n + 1)) + 1

    kw = {"title_B": q.title_b} if q.title_b is not None else {}
    return Tuned(B=q.b, K1=q.k1, **kw)


def run_queries(coll: Collection, path: Path, q: QueryConfig) -> dict[str, list[str]]:
    from whoosh import index
    from whoosh import query as Q

    ix = index.open_dir(str(path))
    n_passages = None
    with ix.searcher() as s0:
        n_passages = s0.doc_frequency("kind", "passage")
        avg = {f: s0.field_length(f) / n_passages for f in ("title", "text")}
    searcher = ix.searcher(weighting=weighting(q, n_passages))
    if q.passage_n:  # average field lengths over passages, not over every Whoosh document
        searcher.avg_field_length = lambda f, default=None: avg.get(f, default)  # type: ignore[method-assign]
    ana = ix.schema["text"].analyzer
    run: dict[str, list[str]] = {}
    for qid in coll.judged_queries:
        stems = [t.text for t in ana(" ".join(query_terms(coll.queries[qid])))]
        if not stems:
            run[qid] = []
            continue
        terms = [Q.Term("title", t, boost=q.query_title) for t in stems] + [Q.Term("text", t) for t in stems]
        query = Q.Or(terms, scale=q.coord) if q.coord else Q.Or(terms)
        results = searcher.search(query, limit=DEPTH * 10 if q.agg != "max" else DEPTH * 3,
                                  terms=q.coord_pow is not None)
        per: dict[str, list[float]] = defaultdict(list)
        nstems = len(set(stems))
        for hit in results:
            score = hit.score
            if q.coord_pow is not None:
                matched = {t for _, t in hit.matched_terms()}
                score *= (len(matched) / nstems) ** q.coord_pow
            per[hit["article"]].append(score)
        run[qid] = [a for a, _ in sorted(per.items(), key=lambda kv: -aggregate(q.agg, kv[1]))][:DEPTH]
    searcher.close()
    ix.close()
    return run


def aggregate(how: str, scores: list[float]) -> float:
    s = sorted(scores, reverse=True)
    if how == "max":
        return s[0]
    if how == "sum":
        return sum(s)
    if how.startswith("max+"):
        return s[0] + float(how[4:]) * sum(s[1:])
    if how.startswith("top2+"):
        return s[0] + float(how[5:]) * (s[1] if len(s) > 1 else 0.0)
    raise ValueError(how)


SWEEPS: dict[str, list[tuple[IndexConfig, QueryConfig]]] = {}


def sweep(name: str, pairs: list[tuple[IndexConfig, QueryConfig]]) -> None:
    SWEEPS[name] = pairs


BASE = (IndexConfig(), QueryConfig())
sweep("baseline", [BASE, (IndexConfig(unit="doc", article_docs=False, title_boost=1.0), QueryConfig())])
sweep("idf", [(IndexConfig(), QueryConfig(idf=i, passage_n=p)) for i in ("whoosh", "bm25") for p in (False, True)])
sweep("agg", [(IndexConfig(), QueryConfig(agg=a)) for a in ("max", "sum", "max+0.1", "max+0.25", "max+0.5", "top2+0.5")])
sweep("coord", [(IndexConfig(), QueryConfig(coord=c)) for c in (None, 0.3, 0.6, 0.9, 1.0)])
sweep("coordpow", [(IndexConfig(), QueryConfig(coord_pow=p)) for p in (0.25, 0.5, 1.0, 2.0)])
sweep("k1b", [(IndexConfig(), QueryConfig(k1=k, b=b)) for k, b in itertools.product((0.6, 0.9, 1.2, 1.6, 2.0), (0.3, 0.5, 0.75, 0.9))])
sweep("title", [(IndexConfig(title_boost=t), QueryConfig()) for t in (1.0, 2.0, 3.0)] +
      [(IndexConfig(title_boost=1.0), QueryConfig(query_title=t)) for t in (0.5, 1.5, 2.0)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("collections", nargs="*", type=Path,
                    default=[DEFAULT_DATA / "ir" / c for c in ("cranfield", "cisi", "med")])
    ap.add_argument("--sweep", default="baseline", help="one of: " + ", ".join(SWEEPS) + ", or 'json:[...]'")
    args = ap.parse_args(argv)
    if args.sweep.startswith("json:"):
        pairs = [(IndexConfig(**i), QueryConfig(**q)) for i, q in json.loads(args.sweep[5:])]
    else:
        pairs = SWEEPS[args.sweep]
    colls = [load_collection(c) for c in args.collections]
    out = []
    with tempfile.TemporaryDirectory(prefix="searchkit-tune-") as tmp:
        built: dict[tuple[str, IndexConfig], Path] = {}
        for icfg, qcfg in pairs:
            row: dict[str, Any] = {"index": asdict(icfg), "query": {k: v for k, v in asdict(qcfg).items()
                                                                    if v != getattr(QueryConfig(), k)}}
            for c in colls:
                key = (c.name, icfg)
                if key not in built:
                    built[key] = Path(tmp) / f"{c.name}-{len(built)}"
                    build(c, icfg, built[key])
                m = evaluate(run_queries(c, built[key], qcfg), c.qrels)
                row[c.name] = round(m["ndcg@10"], 4)
                row[c.name + "_map"] = round(m["map@100"], 4)
            print(json.dumps(row), flush=True)
            out.append(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
