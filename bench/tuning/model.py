"""searchkit's ranking re-done in numpy over searchkit-shaped collections, so that a ranking
choice can be scored on six collections in about a second instead of a ten-minute ingest.

It is a model, so ``sweep.py --check`` compares it with ``rank_eval.py``'s own searchkit run
before any number from it is trusted. What it copies from searchkit, exactly:

* the documents: each record goes through searchkit's loader, cleaner, ``normalise_text`` and
  passage splitter (no NER: entities do not score); one Whoosh ``article`` document per record
  then its passages, so N and the average field lengths of ``text``/``title`` count both kinds
  (Whoosh divides by every document), while ``body`` counts articles only (``RobertsonBM25F``);
* Whoosh's BM25F: each field scored on its own, ``idf * tf(k1+1) / (tf + k1(1-b+b*len/avg))``,
  the title's ``field_boost`` multiplying its term frequency (not its length), document lengths
  rounded through Whoosh's one-byte length code, Robertson idf ``log(1 + (N-n+.5)/(n+.5))``;
* the query: the analyzer's stems, repeated ones weighted ``qtf(k3+1)/(qtf+k3)``;
* the pool (top 2x200 passages, at most two per article, 200 kept: ``rank_eval`` asks 200
  hits), the article re-ranking (passage + weight x the article's BM25 over ``body``) and RM3
  (top articles' ``tf/len x score/total``, the df cap over articles, the added words' weight
  ``w/(1-w) x sum(query weights)/mass``; the pooled passages re-scored, never new ones).

It also scores methods searchkit does not run, for the sweep to judge (``sweep.FURTHER_METHODS``;
each off by default): BM25+'s ``delta``, an ``idf_power``, query words weighted
``min(1, idf / idf_floor)``, a ``df_cut``, and feedback gated by the top articles' score ratio
(``fb_min_ratio``) or scaled by the query's clarity (``fb_clarity``), a ``b_long`` for queries
of ``long_words`` or more words, and a term-proximity bonus on the pooled passages
(``prox_weight``, ``prox_kind``, ``prox_window``: BM25TP's pairs, MinDist, or the query's
neighbouring word pairs), read from each passage's token sequence.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH / "lib"))

from _common import Collection, query_terms, use_repo_searchkit  # noqa: E402

use_repo_searchkit()

from searchkit.search.ranking import STOP_WORDS  # noqa: E402  (this checkout's, after the line above)

POOL = 200
"""Collapsed passages re-ranked: ``rank_eval`` asks 200 hits, which pools max(200, 100)."""
PER_ARTICLE = 2

# Query-time stop lists (the index keeps every word; these only change OR ranking).
LUCENE_STOP = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with".split())
"""Lucene's English stop set (also bm25s' "en" list): 33 function words."""
WHOOSH_STOP = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or tbd that the this to "
    "us we when will with yet you your".split())
"""Whoosh's default list (what searchkit's analyzer dropped at index time until now)."""
SNOWBALL_STOP = STOP_WORDS
"""The Snowball project's English stop list: searchkit's own query-time list, so the model
skips exactly the words searchkit skips."""
STOP_LISTS = {"none": frozenset(), "lucene": LUCENE_STOP, "whoosh": WHOOSH_STOP, "snowball": SNOWBALL_STOP}

_LENGTH_CACHE: list[int] | None = None


def whoosh_length(n: int) -> int:
    """A document length as Whoosh stores and reads it back (one byte, log-spaced)."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    return int(byte_to_length(length_to_byte(n))) if n else 0


def analyzer(all_words: bool) -> Any:
    """searchkit's analyzer (Snowball stems); ``all_words``: no stop list, no minimum size,
    as the index is to be built (every word searchable)."""
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.lang import porter2

    if all_words:
        return StemmingAnalyzer(stemfn=porter2.stem, stoplist=None)
    return StemmingAnalyzer(stemfn=porter2.stem)


def searchkit_articles(coll: Collection, title_only: bool = False) -> list[tuple[str, str, list[str]]]:
    """(doc id, title, passage texts) as searchkit's ingest would index them: loader, cleaner,
    normalised text and passage splitter. A record with a title and no text is refused by the
    loader; with ``title_only`` it is kept as one passage of empty text under its title."""
    from searchkit.cleaner import clean_source
    from searchkit.load import normalise_text, read_file
    from searchkit.passages import split_passages

    with tempfile.TemporaryDirectory(prefix="searchkit-sweep-") as tmp:
        path = Path(tmp) / "docs.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for r in coll.docs:
                f.write(json.dumps({"id": r["id"], "title": r.get("title") or "", "text": r["text"]}) + "\n")
        sources, _ = read_file(str(path))
    out = []
    if title_only:
        kept = {s.source_id.rsplit("#", 1)[1] for s in sources}
        out = [(r["id"], normalise_text(r["title"]), [""]) for r in coll.docs
               if r["id"] not in kept and (r.get("title") or "").strip()]
    for s in sources:
        c = clean_source(s)
        text = normalise_text(c.text)
        if not text.strip():
            continue
        out.append((s.source_id.rsplit("#", 1)[1], c.metadata.title or "", [p.text for p in split_passages("x", text)]))
    return out


class Field:
    """One field's postings: per term, the documents holding it and their term frequencies."""

    def __init__(self, n_docs: int, population: int) -> None:
        self.rows: dict[int, list[int]] = {}
        self.tfs: dict[int, list[int]] = {}
        self.length = np.zeros(n_docs, dtype=np.float64)  # as Whoosh reads it back
        self.total = 0  # exact, as Whoosh keeps it
        self.population = population  # N of the idf and divisor of the average length

    def add(self, doc: int, counts: Counter[int]) -> None:
        n = sum(counts.values())
        self.total += n
        self.length[doc] = whoosh_length(n)
        for t, tf in counts.items():
            self.rows.setdefault(t, []).append(doc)
            self.tfs.setdefault(t, []).append(tf)

    def freeze(self) -> None:
        self.post = {t: (np.asarray(r, dtype=np.int64), np.asarray(self.tfs[t], dtype=np.float64))
                     for t, r in self.rows.items()}
        del self.rows, self.tfs
        self.avg = self.total / self.population or 1.0

    def idf(self, t: int) -> float:
        n = len(self.post[t][0])
        return math.log(1 + (self.population - n + 0.5) / (n + 0.5))

    def scores(self, t: int, k1: float, b: float, boost: float = 1.0, delta: float = 0.0, idf_power: float = 1.0,
               b_short: float | None = None, len_floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(docs, BM25 of term ``t`` in each), Whoosh's way (boost scales tf, not length);
        ``delta``: BM25+'s lower bound, ``idf * delta`` added to every match; ``b_short``: the
        length normalisation of documents shorter than the average (None: ``b``), so that long
        documents can be normalised harder without rewarding very short ones; ``len_floor``: a
        document shorter than this share of the average is normalised as if it were that long."""
        rows, tf = self.post[t]
        tf = tf * boost
        r = self.length[rows] / self.avg
        if len_floor:
            r = np.maximum(r, len_floor)
        norm = 1 - b + b * r
        if b_short is not None and b_short != b:
            norm = np.where(r < 1, 1 - b_short + b_short * r, norm)
        saturated = tf * (k1 + 1) / (tf + k1 * norm)
        return rows, self.idf(t) ** idf_power * (saturated + delta)


class Prepared:
    """A collection tokenised once for one analyzer: passage ``text``/``title`` and article ``body``."""

    def __init__(self, coll: Collection, all_words: bool, title_only: bool = False) -> None:
        self.name = coll.name
        self.qrels = coll.qrels
        self.all_words = all_words
        self.ana = analyzer(all_words)
        self.vocab: dict[str, int] = {}
        arts = searchkit_articles(coll, title_only)
        self.doc_ids = [a[0] for a in arts]
        n_pass = sum(len(p) for _, _, p in arts)
        population = len(arts) + n_pass  # Whoosh's doc_count_all: articles and passages
        self.text, self.title = Field(n_pass, population), Field(n_pass, population)
        self.body = Field(len(arts), len(arts))
        self.article_of = np.zeros(n_pass, dtype=np.int64)
        self.vectors: list[tuple[np.ndarray, np.ndarray]] = []  # body term ids, tfs (for RM3)
        self.seqs: list[np.ndarray] = []  # each passage's text as term ids, in order (proximity)
        p = 0
        for a, (_, title, passages) in enumerate(arts):
            tcounts = self.counts(title)
            body: Counter[int] = Counter(tcounts)
            for text in passages:
                seq = self.sequence(text)
                self.seqs.append(seq)
                c = Counter(seq.tolist())
                body.update(c)
                self.text.add(p, c)
                if title:
                    self.title.add(p, tcounts)
                self.article_of[p] = a
                p += 1
            self.body.add(a, body)
            ids = np.fromiter(body.keys(), dtype=np.int64, count=len(body))
            self.vectors.append((ids, np.fromiter(body.values(), dtype=np.float64, count=len(body))))
        for f in (self.text, self.title, self.body):
            f.freeze()
        self.n_passages, self.n_articles = n_pass, len(arts)
        self.body_df = np.zeros(len(self.vocab), dtype=np.int64)
        for t, (rows, _) in self.body.post.items():
            self.body_df[t] = len(rows)
        self.body_cf = np.zeros(len(self.vocab), dtype=np.float64)  # collection frequency (clarity)
        for t, (_, tfs) in self.body.post.items():
            self.body_cf[t] = tfs.sum()
        self.queries = {q: self.query_stems(coll.queries[q]) for q in coll.judged_queries}
        # each query's stems in the order typed, repeats kept (pairs of neighbouring query words)
        self.query_order = {q: [t.text for w in query_terms(coll.queries[q]) for t in self.ana(w)]
                            for q in coll.judged_queries}
        self.cache: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}  # term scores
        self.first: dict[tuple[Any, ...], Any] = {}  # first passes

    def sequence(self, text: str) -> np.ndarray:
        """The text's term ids in order: token i is at position i, as the index counts them."""
        return np.fromiter((self.vocab.setdefault(tok.text, len(self.vocab)) for tok in self.ana(text)),
                           dtype=np.int64)

    def counts(self, text: str) -> Counter[int]:
        c: Counter[int] = Counter()
        for tok in self.ana(text):
            c[self.vocab.setdefault(tok.text, len(self.vocab))] += 1
        return c

    def query_stems(self, text: str) -> list[tuple[str, int, frozenset[str]]]:
        """(stem, repeats, the words typed for it) of the query as ``rank_eval`` sends it
        (its shared word list applied)."""
        stems: Counter[str] = Counter()
        words: dict[str, set[str]] = {}
        for w in query_terms(text):
            for t in self.ana(w):
                stems[t.text] += 1
                words.setdefault(t.text, set()).add(w)
        return [(s, n, frozenset(words[s])) for s, n in stems.items()]


@dataclass(frozen=True)
class Config:
    """One ranking choice. The defaults are searchkit's settings before this sweep."""

    all_words: bool = False  # index every word (no stop list, no minimum length)
    k1: float = 1.5
    b: float = 0.75
    title_boost: float = 2.0
    k3: float = 5.0
    body_k1: float | None = None  # the article score's own k1 / b (None: as the passages')
    body_b: float | None = None
    passage_weight: float = 1.0
    article_weight: float = 1.0
    query_stop: str = "none"  # query-time stop list for OR ranking (see STOP_LISTS)
    stop_weight: float = 0.0  # weight kept by a query stop word (0 = skipped)
    fb_weight: float = 0.3  # RM3: share of the expanded query given to the added words (0 = off)
    fb_docs: int = 10
    fb_words: int = 10
    fb_max_df: float = 0.1
    fb_min_words: int = 4  # distinct query words needed for feedback
    fb_min_ratio: float = 0.0  # feedback only if the best article's score is this times the second's
    fb_clarity: float = 0.0  # feedback weight x min(1, clarity / this) (0 = unscaled)
    delta: float = 0.0  # BM25+: idf x delta added to each field a word matches (0 = plain BM25)
    idf_power: float = 1.0  # each word's idf raised to this power (above 1: rare words weigh more)
    idf_floor: float = 0.0  # a query word's weight is scaled by min(1, idf / idf_floor) (0 = off)
    df_cut: float = 1.0  # an OR query leaves out words in more than this share of the articles
    b_long: float | None = None  # b for queries of at least ``long_words`` distinct words (None: b)
    b_short: float | None = None  # b for documents shorter than the average (None: b); b then acts on the longer
    len_floor: float = 0.0  # length normalisation floor: a shorter document counts as this share of the average
    long_words: int = 10
    prox_weight: float = 0.0  # term proximity: this x the pooled passage's pair bonus added (0 = off)
    prox_window: int = 5  # "tp": pairs at most this many positions apart; "seq": within a window of this many words
    prox_kind: str = "tp"  # "tp": BM25TP's pair term frequency sum 1/d^2; "mindist": log(a + e^-mindist);
    # "seq": the query's neighbouring word pairs (sequential dependence) found within the window


Stems = list[tuple[str, int, frozenset[str]]]


def query_weights(prep: Prepared, cfg: Config, stems: Stems) -> dict[int, float]:
    stop = STOP_LISTS[cfg.query_stop]
    out: dict[int, float] = {}
    for s, qtf, typed in stems:
        t = prep.vocab.get(s)
        if t is None:
            continue
        w = qtf * (cfg.k3 + 1) / (qtf + cfg.k3) if qtf > 1 else 1.0
        if typed <= stop:  # every word typed for this stem is a stop word
            w *= cfg.stop_weight
        if cfg.df_cut < 1.0 and prep.body_df[t] > cfg.df_cut * prep.n_articles:
            w = 0.0
        if cfg.idf_floor:  # common words weigh idf / floor (below the floor), none skipped
            w *= min(1.0, prep.body.idf(t) / cfg.idf_floor) if t in prep.body.post else 1.0
        if w > 0:
            out[t] = w
    return out


def _term_scores(prep: Prepared, f: Field, t: int, k1: float, b: float, boost: float, delta: float = 0.0,
                 idf_power: float = 1.0, b_short: float | None = None, len_floor: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    key = (id(f), t, k1, b, boost, delta, idf_power, b_short, len_floor)
    hit = prep.cache.get(key)
    if hit is None:
        hit = prep.cache[key] = f.scores(t, k1, b, boost, delta, idf_power, b_short, len_floor)
    return hit


def _passage_scores(prep: Prepared, cfg: Config, weights: dict[int, float], pos: np.ndarray | None = None,
                    size: int | None = None) -> np.ndarray:
    """BM25F of every passage (or, with ``pos``, of the passages ``pos`` maps to 0..size-1)."""
    rows_all, vals = [], []
    for t, w in weights.items():
        for f, boost in ((prep.text, 1.0), (prep.title, cfg.title_boost)):
            if t in f.post:
                rows, sc = _term_scores(prep, f, t, cfg.k1, cfg.b, boost, cfg.delta, cfg.idf_power, cfg.b_short,
                                        cfg.len_floor)
                rows_all.append(rows)
                vals.append(w * sc)
    n = prep.n_passages if pos is None else size
    if not rows_all:
        return np.zeros(n)
    rows, val = np.concatenate(rows_all), np.concatenate(vals)
    if pos is not None:
        rows = pos[rows]
        keep = rows >= 0
        rows, val = rows[keep], val[keep]
    return np.bincount(rows, weights=val, minlength=n)


def _body_scores(prep: Prepared, cfg: Config, weights: dict[int, float], arts: np.ndarray) -> np.ndarray:
    """The article score (BM25 over ``body``) of the articles ``arts``."""
    k1 = cfg.body_k1 if cfg.body_k1 is not None else cfg.k1
    b = cfg.body_b if cfg.body_b is not None else cfg.b
    rows_all, vals = [], []
    for t, w in weights.items():
        if t in prep.body.post:
            rows, sc = _term_scores(prep, prep.body, t, k1, b, 1.0, cfg.delta, cfg.idf_power,
                                    cfg.b_short if cfg.body_b is None else None,
                                    cfg.len_floor if cfg.body_b is None else 0.0)
            rows_all.append(rows)
            vals.append(w * sc)
    if not rows_all:
        return np.zeros(len(arts))
    full = np.bincount(np.concatenate(rows_all), weights=np.concatenate(vals), minlength=prep.n_articles)
    return full[arts]


def first_pass(prep: Prepared, cfg: Config, qid: str) -> tuple[dict[int, float], np.ndarray, np.ndarray, np.ndarray]:
    """(query weights, pooled passages, their articles, their passage scores), cached per query
    and per the settings they depend on."""
    key = (qid, cfg.k1, cfg.b, cfg.title_boost, cfg.k3, cfg.query_stop, cfg.stop_weight, cfg.delta, cfg.df_cut,
           cfg.idf_power, cfg.idf_floor)
    hit = prep.first.get(key)
    if hit is not None:
        return hit
    weights = query_weights(prep, cfg, prep.queries[qid])
    ps = _passage_scores(prep, cfg, weights) if weights else np.zeros(prep.n_passages)
    matched = np.flatnonzero(ps > 0)
    # Whoosh's collector: best score first, ties in document order.
    order = matched[np.lexsort((matched, -ps[matched]))][: 2 * POOL]
    pool: list[int] = []
    per: Counter[int] = Counter()
    for p in order.tolist():
        a = int(prep.article_of[p])
        if per[a] < PER_ARTICLE:
            per[a] += 1
            pool.append(p)
            if len(pool) == POOL:
                break
    pool_arr = np.asarray(pool, dtype=np.int64)
    hit = prep.first[key] = (weights, pool_arr, prep.article_of[pool_arr], ps[pool_arr])
    return hit


def rank(prep: Prepared, cfg: Config, qid: str) -> list[str]:
    """The article ranking (doc ids, best first, at most 100) for one query."""
    if cfg.b_long is not None:
        long = len(query_weights(prep, cfg, prep.queries[qid])) >= cfg.long_words
        cfg = replace(cfg, b=cfg.b_long if long else cfg.b, b_long=None)
    weights, pool_arr, arts, ps = first_pass(prep, cfg, qid)
    if not len(pool_arr):
        return []
    score = cfg.passage_weight * ps
    if cfg.article_weight:
        score = score + cfg.article_weight * _body_scores(prep, cfg, weights, arts)
    if cfg.prox_weight:
        score = score + cfg.prox_weight * _proximity(prep, cfg, qid, weights, pool_arr)
    order2 = np.argsort(-score, kind="stable")
    if cfg.fb_weight > 0 and len(weights) >= cfg.fb_min_words:
        added = _feedback(prep, cfg, weights, arts[order2], score[order2])
        if added:
            pos = np.full(prep.n_passages, -1, dtype=np.int64)
            pos[pool_arr] = np.arange(len(pool_arr))
            extra = cfg.passage_weight * _passage_scores(prep, cfg, added, pos, len(pool_arr))
            if cfg.article_weight:
                extra += cfg.article_weight * _body_scores(prep, cfg, added, arts)
            score2 = score[order2] + extra[order2]
            order2 = order2[np.argsort(-score2, kind="stable")]
    seen: dict[int, None] = {}
    for a in arts[order2].tolist():
        seen.setdefault(a, None)
    return [prep.doc_ids[a] for a in list(seen)[:100]]


def pair_frequencies(seq: np.ndarray, weights: dict[int, float], window: int) -> dict[tuple[int, int], float]:
    """BM25TP's pair frequencies of a passage: for each pair of distinct query words, the sum
    of 1/d^2 over their occurrences d <= ``window`` positions apart (each occurrence paired with
    the next occurrences of the other words in the window)."""
    at = [(i, t) for i, t in enumerate(seq.tolist()) if t in weights]
    out: dict[tuple[int, int], float] = {}
    for k, (i, t) in enumerate(at):
        for j, u in at[k + 1:]:
            d = j - i
            if d > window:
                break
            if u != t:
                key = (t, u) if t < u else (u, t)
                out[key] = out.get(key, 0.0) + 1.0 / (d * d)
    return out


def pair_windows(seq: np.ndarray, pairs: set[tuple[int, int]], window: int) -> dict[tuple[int, int], int]:
    """For each pair (a, b), how many occurrences of a have a b inside a window of ``window``
    words (fewer than ``window`` positions apart), in either order: Metzler & Croft's unordered
    window (``window`` 2: the two words side by side)."""
    if not pairs:
        return {}
    where: dict[int, list[int]] = {}
    wanted = {t for pr in pairs for t in pr}
    for i, t in enumerate(seq.tolist()):
        if t in wanted:
            where.setdefault(t, []).append(i)
    out: dict[tuple[int, int], int] = {}
    for a, b in pairs:
        pa, pb = where.get(a), where.get(b)
        if not pa or not pb:
            continue
        n = sum(1 for i in pa if any(abs(i - j) < window for j in pb))
        if n:
            out[(a, b)] = n
    return out


def min_distance(seq: np.ndarray, weights: dict[int, float]) -> float:
    """Tao & Zhai's MinDist: the fewest positions between two distinct query words (the
    passage's length if fewer than two match)."""
    best = float(len(seq))
    last: dict[int, int] = {}
    for i, t in enumerate(seq.tolist()):
        if t in weights:
            for u, j in last.items():
                if u != t and i - j < best:
                    best = float(i - j)
            last[t] = i
    return best


def _proximity(prep: Prepared, cfg: Config, qid: str, weights: dict[int, float], pool: np.ndarray) -> np.ndarray:
    """The proximity bonus of each pooled passage. ``tp``: BM25TP (Rasolofo & Savoy 2003),
    sum over pairs of min(w_i idf_i, w_j idf_j) x acc (k1+1) / (acc + K), with K the passage's
    BM25 length norm; ``mindist``: log(0.3 + exp(-MinDist)) (Tao & Zhai 2007)."""
    key = ("prox", qid, cfg.prox_kind, cfg.prox_window, cfg.k1, cfg.b, pool.tobytes())
    hit = prep.first.get(key)
    if hit is not None:
        return hit
    out = np.zeros(len(pool))
    if cfg.prox_kind == "mindist":
        for n, p in enumerate(pool.tolist()):
            out[n] = math.log(0.3 + math.exp(-min_distance(prep.seqs[p], weights)))
        prep.first[key] = out
        return out
    qw = {t: w * prep.text.idf(t) for t, w in weights.items() if t in prep.text.post}
    if cfg.prox_kind == "seq":  # the query's neighbouring word pairs, counted in a window
        order = [prep.vocab[s] for s in prep.query_order[qid] if s in prep.vocab and prep.vocab[s] in qw]
        pairs = {(a, b) for a, b in zip(order, order[1:]) if a != b}

        def pair_tfs(seq: np.ndarray) -> dict[tuple[int, int], Any]:
            return pair_windows(seq, pairs, cfg.prox_window)
    else:  # "tp": every pair of query words, 1/d^2 each

        def pair_tfs(seq: np.ndarray) -> dict[tuple[int, int], Any]:
            return pair_frequencies(seq, qw, cfg.prox_window)
    avg = prep.text.avg
    for n, p in enumerate(pool.tolist()):
        tfs = pair_tfs(prep.seqs[p])
        if not tfs:
            continue
        big_k = cfg.k1 * (1 - cfg.b + cfg.b * prep.text.length[p] / avg)
        out[n] = sum(min(qw[a], qw[b]) * tf * (cfg.k1 + 1) / (tf + big_k) for (a, b), tf in tfs.items())
    prep.first[key] = out
    return out


def _feedback(prep: Prepared, cfg: Config, weights: dict[int, float], arts: np.ndarray, scores: np.ndarray
              ) -> dict[int, float]:
    """RM3 as searchkit does it: the first ``fb_docs`` distinct articles of the re-ranked pool."""
    top: dict[int, float] = {}
    for a, s in zip(arts, scores):
        a = int(a)
        if a not in top:
            top[a] = float(s)
            if len(top) == cfg.fb_docs:
                break
    total = sum(top.values())
    if total <= 0:
        return {}
    if cfg.fb_min_ratio:
        best = sorted(top.values(), reverse=True)
        if len(best) > 1 and best[0] < cfg.fb_min_ratio * best[1]:
            return {}
    ids = np.concatenate([prep.vectors[a][0] for a in top])
    vals = np.concatenate([prep.vectors[a][1] / (prep.vectors[a][1].sum() or 1) * s / total for a, s in top.items()])
    model = np.bincount(ids, weights=vals, minlength=len(prep.vocab))
    cand = np.flatnonzero(model > 0)
    cand = cand[np.argsort(-model[cand], kind="stable")]
    cand = cand[prep.body_df[cand] <= cfg.fb_max_df * prep.n_articles][: cfg.fb_words]
    mass = float(model[cand].sum())
    if not mass:
        return {}
    share = cfg.fb_weight
    if cfg.fb_clarity:
        p_r = model[cand] / mass
        p_c = np.maximum(prep.body_cf[cand], 1) / prep.body.total
        share *= min(1.0, float((p_r * np.log(p_r / p_c)).sum()) / cfg.fb_clarity)
        if share <= 0:
            return {}
    scale = share / (1 - share) * sum(weights.values()) / mass
    return {int(t): float(model[t]) * scale for t in cand}


def run(prep: Prepared, cfg: Config) -> dict[str, list[str]]:
    return {q: rank(prep, cfg, q) for q in prep.queries}
