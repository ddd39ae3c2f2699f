"""Choose searchkit's ranking constants by leave-one-collection-out, and report held-out scores.

    python bench/tuning/sweep.py --peers before.json            # the LOO table and the ablations
    python bench/tuning/sweep.py --check runs.json --peers before.json --legacy   # model vs searchkit
    python bench/tuning/sweep.py --grid '{"k1": [1.2, 1.5], "fb_weight": [0, 0.3]}'   # ad hoc

``--peers`` is a file whose last line is ``rank_eval.py``'s JSON (collection -> engine ->
metrics): the best of bm25s, tantivy and FTS5 per collection is the bar. ``--check`` is
``rank_eval.py --runs``' file: the model's searchkit settings before this sweep (``--legacy``:
the old index, with Whoosh's stop list) are scored beside rank_eval's real searchkit run.

The model (``model.py``) scores every setting on all six collections in ``../shared/data/ir``.
For each held-out collection, each setting is chosen on the other five and the held-out one is
scored with it: the number reported is that held-out score, never the tuned one.

Choice criterion: the mean over the five training collections of searchkit's nDCG@10 relative
to the best peer there, ``nDCG / best_peer - 1``. Plain mean nDCG would let MED (0.7) outvote
CACM (0.3) five to two for the same relative change; the goal is "at least the best peer on
every collection", so each collection counts as a ratio to its own bar.

Stages (each chosen per fold on its five training collections, the later given the earlier):
1. the base ranking, jointly: k1, b, title weight, article weight (0 = passages alone; or the
   article score alone), the query-time stop list for OR ranking and its weight;
2. pseudo-relevance feedback on top of it: off, or RM3 with a weight, a word count and a
   query-length trigger.
A method is kept only if the held-out score with it is at least the held-out score without it
(the same LOO with the method switched off) on every fold. Feedback is judged first, against
stage 1 alone; the other methods are then judged within stage 1.
3. further methods (``FURTHER_METHODS``), each on its own on top of the stage 1 each fold chose:
   its value (off among them) chosen on the five training collections, the held-out score
   compared with stage 1's. Kept only if it loses on no fold.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import statistics
import sys
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model import BENCH, Config, Prepared, run  # noqa: E402

sys.path.insert(0, str(BENCH / "lib"))
from _common import DEFAULT_DATA, evaluate, load_collection  # noqa: E402

COLLECTIONS = ("cranfield", "cisi", "med", "cacm", "cf", "npl")
PEERS = ("bm25s", "tantivy", "fts5")

BASE_GRID: dict[str, list[Any]] = {
    "k1": [0.9, 1.2, 1.5],
    "b": [0.3, 0.4, 0.5, 0.6, 0.75],
    "title_boost": [1.0, 2.0, 3.0],
    # (passage weight, article weight): passages alone, the sum with the article at 0.5-4x, the article alone
    "mix": [(1.0, 0.0), (1.0, 0.5), (1.0, 1.0), (1.0, 2.0), (1.0, 3.0), (1.0, 4.0), (0.0, 1.0)],
    # (query stop list, weight a stop word keeps); a first sweep also had Lucene's 33 words and
    # Snowball's kept at 0.3: Snowball's list skipped was chosen on every fold
    "stop": [("none", 0.0), ("snowball", 0.0)],
}
FEEDBACK_GRID: list[dict[str, Any]] = [{"fb_weight": 0.0}] + [
    {"fb_weight": w, "fb_words": n, "fb_min_words": m}
    for w in (0.1, 0.2, 0.3) for n in (5, 10) for m in (4, 10)]
FURTHER_METHODS: dict[str, list[dict[str, Any]]] = {
    # BM25+: every field a word matches adds idf x delta (a floor under long documents' tf part)
    "BM25+ delta": [{"delta": d} for d in (0.0, 0.1, 0.25, 0.5)],
    # per-field length normalisation and saturation of the article score (None: as the passages')
    "article score's own b": [{"body_b": b} for b in (None, 0.3, 0.5, 0.6, 0.75)],
    "article score's own k1": [{"body_k1": k} for k in (None, 0.9, 1.5, 2.0)],
    # how much a repeated query word counts (k3 1000: linear in its repeats)
    "query-word saturation k3": [{"k3": k} for k in (5.0, 1.0, 2.0, 10.0, 1000.0)],
    # idf ** p: above 1 a long query leans on its rare words
    "idf power": [{"idf_power": p} for p in (1.0, 0.8, 1.1, 1.2, 1.5)],
    # common words weighed down by their idf instead of (on top of) the stop list
    "idf-floored query weights": [{"idf_floor": f} for f in (0.0, 1.0, 2.0, 3.0)],
    "document-frequency cut": [{"df_cut": d} for d in (1.0, 0.2, 0.3, 0.4, 0.6)],
    # feedback only for confident queries: the best article's score over the second's
    "feedback, confident queries only": [{"fb_weight": 0.0}] + [
        {"fb_weight": w, "fb_words": n, "fb_min_ratio": r}
        for w in (0.1, 0.2, 0.3) for n in (10, 20) for r in (1.05, 1.1, 1.2, 1.4)],
    # feedback words' weight scaled by the query's clarity, min(1, KL / c): the KL divergence
    # (nats) of the top articles' word model from the collection's, over the words added
    "feedback scaled by clarity": [{"fb_weight": 0.0}] + [
        {"fb_weight": w, "fb_words": n, "fb_clarity": c} for w in (0.1, 0.2, 0.3) for n in (10, 20)
        for c in (1.0, 2.0, 4.0)],
    # term proximity on the pooled passages: BM25TP's pair bonus (query words within a window,
    # 1/d^2 each, saturated like a term frequency) or Tao & Zhai's log(0.3 + e^-MinDist)
    "term proximity (BM25TP pairs)": [{"prox_weight": 0.0}] + [
        {"prox_weight": w, "prox_window": n} for w in (0.25, 0.5, 1.0, 2.0, 4.0) for n in (3, 5, 10)],
    "term proximity (MinDist)": [{"prox_weight": 0.0}] + [
        {"prox_weight": w, "prox_kind": "mindist"} for w in (0.25, 0.5, 1.0, 2.0, 4.0)],
    # sequential dependence: the query's neighbouring word pairs within a window, as pseudo-terms
    "term proximity (query-word pairs in a window)": [{"prox_weight": 0.0}] + [
        {"prox_weight": w, "prox_kind": "seq", "prox_window": n} for w in (0.25, 0.5, 1.0, 2.0)
        for n in (2, 4, 8)],
    # one-sided length normalisation: long documents normalised harder (b), short ones less (b_short)
    "b for long documents, b_short below the average": [{"b_short": None}] + [
        {"b": b, "b_short": bs} for b in (0.5, 0.6, 0.75) for bs in (0.0, 0.2, 0.4)],
    # a floor under the length normalisation: a document shorter than this share of the average
    # length counts as that long (a title-only record is not more focused than a short abstract)
    "length-normalisation floor": [{"len_floor": 0.0}] + [
        {"b": b, "len_floor": f} for b in (0.4, 0.5, 0.6, 0.75) for f in (0.2, 0.35, 0.5)],
    # a stronger length normalisation for long (verbose) queries
    "b for long queries": [{"b_long": None}] + [
        {"b_long": b, "long_words": n} for b in (0.5, 0.6, 0.75) for n in (6, 10, 15)],
}
METHODS_OFF: dict[str, dict[str, list[Any]]] = {
    "article score": {"mix": [(1.0, 0.0)]},
    "query stop words": {"stop": [("none", 0.0)]},
    "title weight": {"title_boost": [1.0]},
}


def expand(spec: dict[str, list[Any]], base: Config) -> list[Config]:
    out = []
    for vals in itertools.product(*spec.values()):
        kw: dict[str, Any] = {}
        for k, v in zip(spec, vals):
            if k == "mix":
                kw["passage_weight"], kw["article_weight"] = v
            elif k == "stop":
                kw["query_stop"], kw["stop_weight"] = v
            else:
                kw[k] = v
        out.append(replace(base, **kw))
    return out


class Scores:
    """nDCG@10 of (collection, setting), computed once."""

    def __init__(self, preps: dict[str, Prepared], keep: Path | None = None) -> None:
        self.preps = preps
        self.keep = keep
        self.memo: dict[tuple[str, Config], float] = {}
        if keep is not None and keep.exists():
            self.memo = pickle.loads(keep.read_bytes())

    def save(self) -> None:
        """Keep the scores for the next run (another criterion, another table)."""
        if self.keep is not None:
            self.keep.write_bytes(pickle.dumps(self.memo))

    def __call__(self, coll: str, cfg: Config) -> float:
        key = (coll, cfg)
        if key not in self.memo:
            prep = self.preps[coll]
            self.memo[key] = evaluate(run(prep, cfg), prep.qrels)["ndcg@10"]
            if len(self.memo) % 100 == 0:
                self.save()
        return self.memo[key]


def criterion(scores: Scores, colls: list[str], cfg: Config, bar: dict[str, float]) -> float:
    return statistics.fmean(scores(c, cfg) / bar.get(c, 1.0) - 1 for c in colls)


def choose(scores: Scores, colls: list[str], cands: list[Config], bar: dict[str, float]) -> Config:
    return max(cands, key=lambda cfg: criterion(scores, colls, cfg, bar))


def loo(scores: Scores, base: Config, bar: dict[str, float], base_grid: dict[str, list[Any]],
        feedback: bool) -> dict[str, tuple[Config, float]]:
    """held-out collection -> (setting chosen on the other five, its held-out nDCG@10)."""
    colls = list(scores.preps)
    cands = expand(base_grid, base)
    out = {}
    for held in colls:
        train = [c for c in colls if c != held]
        best = choose(scores, train, cands, bar)
        if feedback:
            best = choose(scores, train, [replace(best, **fb) for fb in FEEDBACK_GRID], bar)
        out[held] = (best, scores(held, best))
    return out


def diff(cfg: Config, base: Config) -> str:
    return ", ".join(f"{f.name}={getattr(cfg, f.name)}" for f in fields(cfg)
                     if getattr(cfg, f.name) != getattr(base, f.name)) or "(as base)"


def load_bar(path: Path | None) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    if path is None:
        return {}, {}
    results = json.loads(path.read_text().strip().splitlines()[-1])
    peers = {c: {e: m["ndcg@10"] for e, m in engines.items()} for c, engines in results.items()}
    bar = {c: max(v for e, v in p.items() if e in PEERS) for c, p in peers.items()}
    return bar, peers


def prepare(folder: Path, names: list[str], all_words: bool, title_only: bool, cache: Path | None
            ) -> dict[str, Prepared]:
    preps = {}
    for name in names:
        f = cache / f"{name}-{int(all_words)}{int(title_only)}.pickle" if cache else None
        if f is not None and f.exists():
            preps[name] = pickle.loads(f.read_bytes())
            preps[name].ana = __import__("model").analyzer(all_words)
            continue
        prep = Prepared(load_collection(folder / name), all_words, title_only)
        if f is not None:
            ana, prep.ana = prep.ana, None
            f.write_bytes(pickle.dumps(prep))
            prep.ana = ana
        preps[name] = prep
        print(f"# {name}: {prep.n_articles} articles, {prep.n_passages} passages", file=sys.stderr, flush=True)
    return preps


def table(title: str, rows: list[list[Any]], head: list[str]) -> None:
    print(f"\n{title}\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(f"{x:.3f}" if isinstance(x, float) else str(x) for x in r) + " |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA / "ir")
    ap.add_argument("--collections", default=",".join(COLLECTIONS))
    ap.add_argument("--peers", type=Path, help="rank_eval.py output (its last line is the JSON)")
    ap.add_argument("--check", type=Path, help="rank_eval.py --runs file: compare the model with searchkit")
    ap.add_argument("--legacy", action="store_true", help="model the index before this sweep (Whoosh's stop "
                    "list) instead of the one with every word")
    ap.add_argument("--index-stoplist", action="store_true", help="model an index built with Whoosh's stop list")
    ap.add_argument("--title-only", action="store_true", help="model a loader that keeps records with a title "
                    "and no text (searchkit refuses them: CACM has 1,617)")
    ap.add_argument("--grid", help="JSON: Config field -> values; print each setting's scores, no LOO")
    ap.add_argument("--base-grid", help="JSON: stage 1's grid instead of BASE_GRID (its keys replaced; "
                    '"mix" and "stop" as lists of pairs), e.g. the values a full sweep chose plus the off switches')
    ap.add_argument("--cache", type=Path, help="folder to keep the tokenised collections in")
    args = ap.parse_args(argv)
    names = [c for c in args.collections.split(",") if c]
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    all_words = not (args.legacy or args.index_stoplist)
    preps = prepare(args.data, names, all_words, args.title_only and not args.legacy, args.cache)
    scores = Scores(preps, args.cache / f"scores-{int(all_words)}{int(args.title_only)}.pickle" if args.cache else None)
    bar, peers = load_bar(args.peers)
    base = Config(all_words=all_words)  # searchkit's settings before this sweep (feedback on)

    if args.check:
        runs = json.loads(args.check.read_text())
        rows = []
        for c in names:
            real = evaluate(runs[c]["searchkit"], preps[c].qrels)["ndcg@10"] if c in runs else float("nan")
            model_run = run(preps[c], base)
            same = sum(runs[c]["searchkit"].get(q, [])[:10] == model_run[q][:10] for q in model_run) if c in runs else 0
            rows.append([c, real, scores(c, base), scores(c, base) - real, f"{same}/{len(model_run)}"])
        table("Model against rank_eval's searchkit run (nDCG@10)", rows,
              ["collection", "searchkit", "model", "model - searchkit", "same top 10"])
        return 0

    if args.grid:
        for cfg in expand(json.loads(args.grid), base):
            row = {c: round(scores(c, cfg), 4) for c in names}
            row["criterion"] = round(criterion(scores, names, cfg, bar), 4)
            print(json.dumps({"setting": diff(cfg, base), **row}), flush=True)
        return 0

    base_nofb = replace(base, fb_weight=0.0)  # stage 1 is chosen without feedback
    base_grid = dict(BASE_GRID)
    if args.base_grid:
        base_grid.update({k: [tuple(v) if isinstance(v, list) else v for v in vals]
                          for k, vals in json.loads(args.base_grid).items()})
    full = loo(scores, base_nofb, bar, base_grid, feedback=True)
    scores.save()
    rows = []
    for held, (cfg, s) in full.items():
        rows.append([held, s, bar.get(held, float("nan")), s - bar.get(held, float("nan")),
                     scores(held, base), diff(cfg, base)])
    table("Held-out folds (each setting chosen on the other five collections)", rows,
          ["held out", "nDCG@10 held out", "best peer", "vs best peer", "settings before", "chosen"])

    ablations = {"feedback": loo(scores, base_nofb, bar, base_grid, feedback=False)}
    rows = [[held, s, bar.get(held, float("nan")), s - bar.get(held, float("nan")), scores(held, base),
             diff(cfg, base_nofb)] for held, (cfg, s) in ablations["feedback"].items()]
    table("Held-out folds without feedback (stage 1 alone)", rows,
          ["held out", "nDCG@10 held out", "best peer", "vs best peer", "settings before", "chosen"])
    # Feedback is decided first (against stage 1 alone); each other method is then judged
    # without feedback: stage 1 with the method, minus stage 1 with it switched off.
    shipped = ablations["feedback"]
    for method, off in METHODS_OFF.items():
        ablations[method] = loo(scores, base_nofb, bar, {**base_grid, **off}, feedback=False)
    scores.save()
    rows = []
    for method, res in ablations.items():
        with_it = full if method == "feedback" else shipped
        deltas = [with_it[c][1] - res[c][1] for c in names]
        rows.append([method, *[f"{d:+.3f}" for d in deltas],
                     "keep" if min(deltas) >= 0 else "drop (loses on a fold)"])
    table("Each method: held-out nDCG@10 with it minus without it (both by LOO)", rows,
          ["method", *names, "verdict"])
    rows, held_rows = [], []
    for method, opts in FURTHER_METHODS.items():
        res = {}
        for held in names:
            train = [c for c in names if c != held]
            stage1 = shipped[held][0]
            best = choose(scores, train, [replace(stage1, **o) for o in opts], bar)
            res[held] = (best, scores(held, best))
        deltas = [res[c][1] - shipped[c][1] for c in names]
        chosen_on = [c for c in names if res[c][0] != shipped[c][0]]
        verdict = ("off on every fold" if not chosen_on else
                   "keep" if min(deltas) >= 0 else "drop (loses on a fold)")
        rows.append([method, *[f"{d:+.3f}" for d in deltas], verdict])
        held_rows.append([method, *[f"{res[c][1]:.3f}" for c in names],
                          "; ".join(sorted({diff(res[c][0], shipped[c][0]) for c in names}))])
    scores.save()
    table("Further methods on top of stage 1: held-out nDCG@10 with it minus stage 1 alone (by LOO)", rows,
          ["method", *names, "verdict"])
    table("Further methods: held-out nDCG@10 and the values the folds chose", held_rows,
          ["method", *names, "chosen"])
    print(json.dumps({c: {"held_out": round(s, 4), "chosen": asdict(cfg)} for c, (cfg, s) in full.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
