"""The ranking sweep's model (bench/tuning/model.py): the methods it can switch on score as
their formulas say, so a verdict of the leave-one-collection-out sweep is about the method."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

TUNING = Path(__file__).resolve().parents[1] / "bench" / "tuning"


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(TUNING))
    try:
        spec = importlib.util.spec_from_file_location("ranking_model", TUNING / "model.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules["ranking_model"] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(TUNING))


def field(model, docs: list[Counter[int]]):  # type: ignore[no-untyped-def]
    f = model.Field(len(docs), len(docs))
    for d, counts in enumerate(docs):
        f.add(d, counts)
    f.freeze()
    return f


# term 0 in every document (a common word), term 1 in one (a rare word)
DOCS = [Counter({0: 2, 1: 1, 2: 3}), Counter({0: 1, 2: 5}), Counter({0: 3, 3: 1}), Counter({0: 1, 3: 2})]


def test_bm25_plus_adds_idf_times_delta_to_every_match(model) -> None:  # type: ignore[no-untyped-def]
    f = field(model, DOCS)
    rows, plain = f.scores(0, 1.2, 0.4)
    rows2, plus = f.scores(0, 1.2, 0.4, delta=0.5)
    assert list(rows) == list(rows2) == [0, 1, 2, 3]
    assert np.allclose(plus - plain, 0.5 * f.idf(0))


def test_b_short_changes_only_the_documents_shorter_than_the_average(model) -> None:  # type: ignore[no-untyped-def]
    f = field(model, DOCS)  # lengths 6, 6, 4, 3: the average is 4.75
    _, plain = f.scores(0, 1.2, 0.75)
    _, one_sided = f.scores(0, 1.2, 0.75, b_short=0.0)
    assert np.allclose(one_sided[:2], plain[:2])  # the two longer documents: b as before
    assert (one_sided[2:] < plain[2:]).all()  # the shorter ones are no longer lifted by their length
    assert np.allclose(f.scores(0, 1.2, 0.75, b_short=0.75)[1], plain)


def test_len_floor_scores_a_short_document_as_if_it_were_the_floor_long(model) -> None:  # type: ignore[no-untyped-def]
    f = field(model, DOCS)  # lengths 6, 6, 4, 3: the average is 4.75
    _, plain = f.scores(0, 1.2, 0.75)
    _, floored = f.scores(0, 1.2, 0.75, len_floor=0.8)  # 0.8 x 4.75 = 3.8: only the 3-word one is below
    assert np.allclose(floored[:3], plain[:3])
    assert floored[3] < plain[3]
    tf, norm = 1.0, 1 - 0.75 + 0.75 * 0.8
    assert math.isclose(floored[3], f.idf(0) * tf * 2.2 / (tf + 1.2 * norm))
    assert np.allclose(f.scores(0, 1.2, 0.75, len_floor=0.0)[1], plain)


def test_idf_power_scales_by_idf_to_the_power_minus_one(model) -> None:  # type: ignore[no-untyped-def]
    f = field(model, DOCS)
    _, plain = f.scores(1, 1.2, 0.4)
    _, powered = f.scores(1, 1.2, 0.4, idf_power=1.5)
    assert np.allclose(powered, plain * f.idf(1) ** 0.5)


def prep_of(model, docs: list[Counter[int]]):  # type: ignore[no-untyped-def]
    body = field(model, docs)
    df = np.zeros(4, dtype=np.int64)
    for t, (r, _) in body.post.items():
        df[t] = len(r)
    return SimpleNamespace(vocab={"common": 0, "rare": 1, "other": 2, "last": 3}, body=body, body_df=df,
                           n_articles=len(docs))


def test_idf_floor_weighs_common_words_down_and_leaves_rare_ones(model) -> None:  # type: ignore[no-untyped-def]
    prep = prep_of(model, DOCS)
    stems = [("common", 1, frozenset({"common"})), ("rare", 1, frozenset({"rare"}))]
    floor = 1.0
    cfg = model.Config(all_words=True, idf_floor=floor)
    w = model.query_weights(prep, cfg, stems)
    assert prep.body.idf(0) < floor < prep.body.idf(1)
    assert math.isclose(w[0], prep.body.idf(0) / floor)
    assert w[1] == 1.0
    assert model.query_weights(prep, replace(cfg, idf_floor=0.0), stems) == {0: 1.0, 1: 1.0}


def test_df_cut_leaves_out_words_in_more_articles_than_the_share(model) -> None:  # type: ignore[no-untyped-def]
    prep = prep_of(model, DOCS)
    stems = [("common", 1, frozenset({"common"})), ("rare", 1, frozenset({"rare"}))]
    w = model.query_weights(prep, model.Config(all_words=True, df_cut=0.5), stems)
    assert w == {1: 1.0}  # "common" is in 4 of 4 articles, "rare" in 1


def feedback_prep(model):  # type: ignore[no-untyped-def]
    prep = prep_of(model, DOCS * 5)  # 20 articles, so a word of two of them is under the df cap
    prep.vocab = {str(t): t for t in range(4)}
    prep.vectors = [(np.fromiter(c.keys(), dtype=np.int64), np.fromiter(c.values(), dtype=np.float64))
                    for c in DOCS * 5]
    cf = np.zeros(4)
    for t, (_, tfs) in prep.body.post.items():
        cf[t] = tfs.sum()
    prep.body_cf = cf
    return prep


def test_confident_feedback_runs_only_when_the_best_article_stands_out(model) -> None:  # type: ignore[no-untyped-def]
    prep = feedback_prep(model)
    cfg = model.Config(all_words=True, fb_weight=0.2, fb_docs=2, fb_words=5, fb_max_df=0.5, fb_min_ratio=1.5)
    arts = np.array([0, 1, 2])
    assert model._feedback(prep, cfg, {1: 1.0}, arts, np.array([10.0, 9.0, 1.0])) == {}  # 10 < 1.5 x 9
    added = model._feedback(prep, cfg, {1: 1.0}, arts, np.array([20.0, 9.0, 1.0]))
    assert added and 0 not in added  # a word of every article is over the df cap
    assert model._feedback(prep, replace(cfg, fb_min_ratio=0.0), {1: 1.0}, arts, np.array([10.0, 9.0, 1.0]))


def test_clarity_scales_the_feedback_weight_down_and_never_up(model) -> None:  # type: ignore[no-untyped-def]
    prep = feedback_prep(model)
    cfg = model.Config(all_words=True, fb_weight=0.2, fb_docs=2, fb_words=5, fb_max_df=0.5)
    arts, scores = np.array([0, 1, 2]), np.array([20.0, 9.0, 1.0])
    plain = model._feedback(prep, cfg, {1: 1.0}, arts, scores)
    strict = model._feedback(prep, replace(cfg, fb_clarity=1000.0), {1: 1.0}, arts, scores)
    loose = model._feedback(prep, replace(cfg, fb_clarity=1e-9), {1: 1.0}, arts, scores)
    assert plain.keys() == strict.keys() == loose.keys()
    for t in plain:
        assert strict[t] < plain[t]
        assert math.isclose(loose[t], plain[t])


def test_pair_frequencies_sum_inverse_squared_distances_in_window(model) -> None:  # type: ignore[no-untyped-def]
    seq = np.array([1, 2, 9, 1, 9, 9, 9, 9, 9, 2])  # 1 2 at distance 1; 2 1 at 2; 1 ... 2 at 6
    weights = {1: 1.0, 2: 1.0}
    assert model.pair_frequencies(seq, weights, 5) == {(1, 2): 1.0 + 1 / 4}
    assert model.pair_frequencies(seq, weights, 6) == {(1, 2): 1.0 + 1 / 4 + 1 / 36}
    assert model.pair_frequencies(np.array([1, 1, 1]), weights, 5) == {}  # one word repeated is no pair


def test_min_distance_is_the_closest_two_distinct_query_words(model) -> None:  # type: ignore[no-untyped-def]
    assert model.min_distance(np.array([1, 9, 9, 2, 9, 1]), {1: 1.0, 2: 1.0}) == 2.0
    assert model.min_distance(np.array([1, 9, 1]), {1: 1.0, 2: 1.0}) == 3.0  # one word: the length


def test_pair_windows_count_neighbouring_query_words_in_either_order(model) -> None:  # type: ignore[no-untyped-def]
    seq = np.array([1, 2, 9, 9, 2, 1, 9, 9, 9, 9, 9, 1])
    assert model.pair_windows(seq, {(1, 2)}, 2) == {(1, 2): 2}  # "1 2" and "2 1" side by side
    assert model.pair_windows(seq, {(1, 2)}, 8) == {(1, 2): 3}  # the last 1 is 7 after a 2
    assert model.pair_windows(seq, {(1, 3)}, 8) == {}


FILLER = ("the committee met on monday and again on friday to discuss the plan for the new "
          "school building in the north of the town")


@pytest.fixture(scope="module")
def proximity_prep(model):  # type: ignore[no-untyped-def]
    """Two articles of the same words, one with "kidney failure" side by side, one with the two
    words far apart; and a third that never says "failure"."""
    words = FILLER.split()
    near = " ".join(["kidney", "failure"] + words + ["report"])
    far = " ".join(["kidney"] + words + ["failure", "report"])
    docs = [{"id": "far", "title": "", "text": far + "."}, {"id": "near", "title": "", "text": near + "."},
            {"id": "other", "title": "", "text": "kidney " + FILLER + " report."}]
    coll = model.Collection("tiny", docs, {"q": "kidney failure"}, {"q": {"near": 1}})
    return model.Prepared(coll, all_words=True)


def test_proximity_ranks_the_passage_with_the_words_adjacent_first(  # type: ignore[no-untyped-def]
        model, proximity_prep) -> None:
    base = model.Config(all_words=True, k1=1.2, b=0.4, article_weight=4.0, query_stop="snowball", fb_weight=0.0)
    assert model.rank(proximity_prep, base, "q")[:2] == ["far", "near"]  # same score: document order
    for kind, window in (("tp", 5), ("seq", 8), ("mindist", 5)):
        ranked = model.rank(proximity_prep, replace(base, prox_weight=1.0, prox_kind=kind, prox_window=window), "q")
        assert ranked[0] == "near", kind
        assert set(ranked) == {"near", "far", "other"}


def test_b_long_applies_to_queries_of_enough_words_only(model, proximity_prep) -> None:  # type: ignore[no-untyped-def]
    base = model.Config(all_words=True, k1=1.2, b=0.4, article_weight=4.0, query_stop="snowball", fb_weight=0.0)
    first = model.first_pass
    seen: list[float] = []
    model.first_pass = lambda prep, cfg, qid: (seen.append(cfg.b), first(prep, cfg, qid))[1]
    try:
        model.rank(proximity_prep, replace(base, b_long=0.75, long_words=2), "q")  # two words: long
        model.rank(proximity_prep, replace(base, b_long=0.75, long_words=3), "q")
    finally:
        model.first_pass = first
    assert seen == [0.75, 0.4]
