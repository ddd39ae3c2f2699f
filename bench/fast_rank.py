"""A small re-implementation of Whoosh's BM25F scoring over searchkit-shaped passages, for
sweeping ranking choices in seconds instead of minutes. Whatever wins here is then checked
through real Whoosh (``tune_ranking.py``) and through searchkit itself (``rank_eval.py``).

    python bench/fast_rank.py [COLLECTION_DIR ...] --grid '{"k1": [1.2, 1.6], "agg": ["max"]}'

Scoring per unit (passage, or whole document with ``unit="doc"``), as Whoosh does it: each
field scored on its own, ``idf_f(t) * tf*(k1+1) / (tf + k1*(1-b+b*len/avglen))``, summed over
fields and query terms; the title's ``field_boost`` multiplies its term frequencies (Whoosh
applies it at index time).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, Collection, evaluate, load_collection, query_terms  # noqa: E402
from tune_ranking import split  # noqa: E402


@dataclass(frozen=True)
class Config:
    unit: str = "passage"  # "passage" | "doc"
    title_boost: float = 2.0  # index-time tf multiplier of the title (searchkit: TITLE_BOOST)
    title_weight: float = 1.0  # query-time weight of title-field scores
    title_on: str = "all"  # which passages carry the title: "all" | "first"
    k1: float = 1.2
    b: float = 0.75
    title_b: float | None = None
    idf: str = "whoosh"  # "whoosh" log(N/(n+1))+1 | "bm25" log(1+(N-n+.5)/(n+.5))
    article_docs: bool = True  # searchkit's kind=article docs counted in N and in avg length
    agg: str = "max"  # "max" | "max+<w>" (plus w x the other passages' text-only scores)
    coord_pow: float = 0.0  # score * (matched distinct stems / stems) ** p
    qtf: bool = True  # repeated query terms count again (Whoosh's Or of repeated Terms does)
    k3: float | None = None  # with qtf: weight qtf*(k3+1)/(qtf+k3) (BM25 query saturation); None = linear
    stop: str = "whoosh"  # index+query stoplist: "whoosh" (default analyzer) | "none"
    minsize: int = 2
    stemmer: str = "porter"  # whoosh.lang: "porter" (StemmingAnalyzer's default) | "porter2"
    fields: str = "separate"  # "separate" (title and text scored apart) | "concat" (one field)
    hybrid: float = 0.0  # article score = max passage + hybrid x whole-article score (title+text as one doc)
    passage_weight: float = 1.0  # with hybrid: weight of the best passage's score
    doc_k1: float | None = None  # with hybrid: k1 / b of the whole-article score (None = k1 / b)
    doc_b: float | None = None
    doc_depth: int = 0  # with hybrid: score only the top N articles by passage score (0 = all)
    prf_docs: int = 0  # RM3 pseudo-relevance feedback from the top N articles (0 = off)
    prf_terms: int = 10  # expansion terms kept
    prf_weight: float = 0.5  # weight of the feedback model against the original query
    prf_min: int = 0  # only queries with at least this many distinct stems get feedback
    prf_maxdf: float = 0.0  # skip expansion terms found in more than this share of articles (0 = keep all)
    prf_prune: bool = False  # keep each feedback article's top prf_terms terms only (as Anserini's RM3)
    prf_weighting: str = "score"  # feedback articles weighted by "score" or "uniform"
    prf_mode: str = "full"  # "full": second full ranking | "rerank": re-score the first pass' top doc_depth


def analyzer(cfg: Config) -> Any:
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.lang.porter import stem
    from whoosh.lang.porter2 import stem as stem2

    kw: dict[str, Any] = {"minsize": cfg.minsize, "stemfn": stem2 if cfg.stemmer == "porter2" else stem}
    if cfg.stop == "none":
        kw["stoplist"] = None
    return StemmingAnalyzer(**kw)


class Prepared:
    """Tokenised units of one collection for one (unit, title_on, stop) choice."""

    def __init__(self, coll: Collection, cfg: Config) -> None:
        self.ana = analyzer(cfg)
        self.units: list[tuple[str, int]] = []  # (doc id, ordinal)
        self.post: dict[str, dict[str, list[tuple[int, int]]]] = {"title": defaultdict(list), "text": defaultdict(list)}
        self.length: dict[str, list[int]] = {"title": [], "text": []}
        self.vectors: list[Counter[str]] = []  # text-field term counts per unit (for feedback)
        for d in coll.docs:
            parts = [d["text"]] if cfg.unit == "doc" else (split(d["text"]) or [""])
            for i, part in enumerate(parts):
                u = len(self.units)
                self.units.append((d["id"], i))
                title = (d.get("title") or "") if (cfg.title_on == "all" or i == 0) else ""
                pairs = (("title", title), ("text", part)) if cfg.fields == "separate" else \
                    (("title", ""), ("text", title + "\n" + part))
                for f, txt in pairs:
                    tf = Counter(t.text for t in self.ana(txt))
                    if f == "text":
                        self.vectors.append(tf)
                    self.length[f].append(sum(tf.values()))
                    for term, n in tf.items():
                        self.post[f][term].append((u, n))
        self.n_docs = len(coll.docs)
        self.index = {d: u for u, (d, i) in enumerate(self.units) if i == 0}


def query_weights(cfg: Config, stems: list[str]) -> dict[str, float]:
    """Query-term weights: repeated words count again (linear or k3-saturated)."""
    out: dict[str, float] = {}
    for t, qtf in Counter(stems).items():
        if not cfg.qtf:
            out[t] = 1.0
        elif cfg.k3 is None:
            out[t] = float(qtf)
        else:
            out[t] = qtf * (cfg.k3 + 1) / (qtf + cfg.k3)
    return out


def unit_scores(prep: Prepared, cfg: Config, weights: dict[str, float], only: set[int] | None = None
                ) -> tuple[dict[int, float], dict[int, float], dict[int, set[str]]]:
    n_units = len(prep.units)
    big_n = n_units + (prep.n_docs if cfg.article_docs and cfg.unit != "doc" else 0)
    avg = {f: (sum(v) * (cfg.title_boost if f == "title" else 1)) / big_n for f, v in prep.length.items()}
    score: dict[int, float] = defaultdict(float)
    text_score: dict[int, float] = defaultdict(float)
    matched: dict[int, set[str]] = defaultdict(set)
    for t, qw in weights.items():
        for f in ("title", "text"):
            plist = prep.post[f].get(t)
            if not plist:
                continue
            n = len(plist)
            idf = math.log(big_n / (n + 1)) + 1 if cfg.idf == "whoosh" else math.log(1 + (big_n - n + 0.5) / (n + 0.5))
            boost = cfg.title_boost if f == "title" else 1.0
            weight = cfg.title_weight if f == "title" else 1.0
            b = cfg.title_b if (f == "title" and cfg.title_b is not None) else cfg.b
            lengths = prep.length[f]
            for u, tf in plist:
                if only is not None and u not in only:
                    continue
                tfw = tf * boost
                fl = lengths[u] * boost
                s = qw * weight * idf * tfw * (cfg.k1 + 1) / (tfw + cfg.k1 * (1 - b + b * fl / avg[f]))
                score[u] += s
                if f == "text":
                    text_score[u] += s
                matched[u].add(t)
    return score, text_score, matched


def run(coll: Collection, prep: Prepared, cfg: Config, doc_prep: Prepared | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for qid in coll.judged_queries:
        stems = [t.text for t in prep.ana(" ".join(query_terms(coll.queries[qid])))]
        weights = query_weights(cfg, stems)
        ranked = rank(prep, cfg, doc_prep, weights)
        if cfg.prf_docs and doc_prep is not None and len(weights) >= cfg.prf_min:
            expanded = feedback(doc_prep, cfg, weights, ranked)
            if cfg.prf_mode == "andmaybe":  # only passages with an original query word, scored by all
                ranked = rank(prep, cfg, doc_prep, expanded, require=set(weights))
            elif cfg.prf_mode == "rerank":
                keep = ranked[:cfg.doc_depth or len(ranked)]
                rescored = rank(prep, cfg, doc_prep, expanded, only_docs={d for d, _ in keep})
                ranked = rescored + [kv for kv in ranked if kv[0] not in {d for d, _ in rescored}]
            else:
                ranked = rank(prep, cfg, doc_prep, expanded)
        out[qid] = [d for d, _ in ranked[:100]]
    return out


def rank(prep: Prepared, cfg: Config, doc_prep: Prepared | None, weights: dict[str, float],
         only_docs: set[str] | None = None, require: set[str] | None = None) -> list[tuple[str, float]]:
    distinct = set(weights)
    score, text_score, matched = unit_scores(prep, cfg, weights)
    per: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for u, s in score.items():
        if require is not None and not matched[u] & require:
            continue
        if cfg.coord_pow:
            s *= (len(matched[u]) / len(distinct)) ** cfg.coord_pow
        per[prep.units[u][0]].append((s, text_score[u]))
    final = {d: cfg.passage_weight * aggregate(cfg.agg, v) for d, v in per.items()
             if only_docs is None or d in only_docs}
    if cfg.hybrid and doc_prep is not None:
        dcfg = replace(cfg, unit="doc", fields="concat", k1=cfg.doc_k1 if cfg.doc_k1 is not None else cfg.k1,
                       b=cfg.doc_b if cfg.doc_b is not None else cfg.b)
        if cfg.doc_depth:
            top = sorted(final.items(), key=lambda kv: -kv[1])[:cfg.doc_depth]
            final = dict(top)
        only = {doc_prep.index[d] for d in final}
        dscore, _, _ = unit_scores(doc_prep, dcfg, weights, only)
        for u, s in dscore.items():
            final[doc_prep.units[u][0]] += cfg.hybrid * s
    return sorted(final.items(), key=lambda kv: -kv[1])


def feedback(doc_prep: Prepared, cfg: Config, weights: dict[str, float], ranked: list[tuple[str, float]]
             ) -> dict[str, float]:
    """RM3: the original query weights interpolated with a relevance model of the top articles."""
    top = [(doc_prep.index[d], s) for d, s in ranked[:cfg.prf_docs] if s > 0]
    total = sum(s for _, s in top) or 1.0
    if cfg.prf_weighting == "uniform":
        top = [(u, 1.0) for u, _ in top]
        total = float(len(top)) or 1.0
    rm: Counter[str] = Counter()
    max_df = cfg.prf_maxdf * len(doc_prep.units)
    for u, s in top:
        vec = Counter({t: n for t, n in doc_prep.vectors[u].items()
                       if not max_df or len(doc_prep.post["text"][t]) <= max_df})
        if cfg.prf_prune:
            vec = Counter(dict(vec.most_common(cfg.prf_terms)))
        length = sum(vec.values()) or 1
        for t, n in vec.items():
            rm[t] += (n / length) * (s / total)
    terms = dict(rm.most_common(cfg.prf_terms))
    norm_rm = sum(terms.values()) or 1.0
    norm_q = sum(weights.values()) or 1.0
    out = {t: (1 - cfg.prf_weight) * w / norm_q for t, w in weights.items()}
    for t, w in terms.items():
        out[t] = out.get(t, 0.0) + cfg.prf_weight * w / norm_rm
    return out


def aggregate(how: str, scores: list[tuple[float, float]]) -> float:
    s = sorted(scores, reverse=True)
    if how == "max":
        return s[0][0]
    if how.startswith("max+"):
        return s[0][0] + float(how[4:]) * sum(t for _, t in s[1:])
    raise ValueError(how)


def grid(spec: dict[str, list[Any]]) -> list[Config]:
    keys = list(spec)
    return [Config(**dict(zip(keys, vals))) for vals in itertools.product(*(spec[k] for k in keys))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("collections", nargs="*", type=Path,
                    default=[DEFAULT_DATA / "ir" / c for c in ("cranfield", "cisi", "med")])
    ap.add_argument("--grid", default="{}", help="JSON: field -> list of values (see Config)")
    args = ap.parse_args(argv)
    configs = grid(json.loads(args.grid))
    colls = [load_collection(c) for c in args.collections]
    preps: dict[tuple[str, str, str, str, int], Prepared] = {}
    default = Config()
    for cfg in configs:
        row: dict[str, Any] = {k.name: getattr(cfg, k.name) for k in fields(cfg) if getattr(cfg, k.name) != getattr(default, k.name)}
        for c in colls:
            key = (c.name, cfg.unit, cfg.title_on, cfg.stop, cfg.minsize, cfg.stemmer, cfg.fields)
            if key not in preps:
                preps[key] = Prepared(c, cfg)
            doc_prep = None
            if cfg.hybrid:
                dkey = (c.name, "doc", "all", cfg.stop, cfg.minsize, cfg.stemmer, "concat")
                if dkey not in preps:
                    preps[dkey] = Prepared(c, replace(cfg, unit="doc", fields="concat", title_on="all"))
                doc_prep = preps[dkey]
            m = evaluate(run(c, preps[key], cfg, doc_prep), c.qrels)
            row[c.name] = round(m["ndcg@10"], 4)
        row["mean"] = round(sum(row[c.name] for c in colls) / len(colls), 4)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
