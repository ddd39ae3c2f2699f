"""Pair precision/recall of :mod:`searchkit.duplicates` on a labelled set of copies.

Usage::

    python bench/quality/duplicates.py [DATA_DIR] [--bases N] [--json OUT]   # default ../shared/data

The labelled set (built here from the shapes of real copies; nothing is hand-picked):

* **BBC exact repeats**: BBC (news/bbc) articles whose normalised text is identical form a
  gold cluster (the collection has dozens of pages saved twice).
* **Reuters re-sends and corrections**: Reuters-21578 bodies that are identical once
  normalised (wire re-sends), and each ``CORRECTED - X`` story with the latest earlier story
  titled ``X`` (or the one whose title shares most words with it) within three days.
* **Synthetic copies** of ``--bases`` BBC and Reuters articles that are in no gold cluster:
  another site's boilerplate around it, a changed headline, a paragraph added (from another
  story of the same topic), a paragraph removed, a few words edited, and (Reuters) the wire
  story plus a local paragraph. Each base and its copies form one gold cluster.
* **Must not merge**: different stories on one topic: Reuters earnings reports of one day
  (one template, other company and figures), and BBC pairs of one category whose titles
  share most words. A merged pair there is a violation, reported on its own.

Every other pair of articles that the clusterer puts together counts as a false positive in
the precision (so an unlabelled true copy in the corpora costs precision: the figure is a
lower bound); the first of them are printed so that a reader can judge.

Threshold choice: leave one source out. For each source (bbc, reuters, synthetic) the
threshold with the best pair F1 (mean of the sources' pessimistic precision, i.e. an unsure
merged pair counted as wrong, and of their recall) on the two others, among those with no must-not-merge
violation, is picked and scored on the held-out one; the default is the best on all three.
Cost: ms per article of ``signature_of`` and of ``DuplicateClusters.add``, plus the save,
load (LSH rebuilt from signatures) and pickle alternatives.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import random
import re
import statistics
import sys
import tempfile
import time
from difflib import SequenceMatcher
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib._common import DEFAULT_DATA, use_repo_searchkit  # noqa: E402

use_repo_searchkit()
from searchkit.duplicates import (  # noqa: E402
    DuplicateClusters,
    DuplicateSettings,
    Signature,
    exact_hash,
    normalise,
    signature_of,
)

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)


@dataclass
class Doc:
    doc_id: str
    source: str  # bbc / reuters / synthetic
    text: str
    title: str
    date: str | None
    topic: str


# ----------------------------------------------------------------------------- corpora


def load_bbc(data: Path) -> list[Doc]:
    """BBC text files: the first line is the headline, as the plain-text loader keeps it."""
    docs = []
    for path in sorted((data / "news" / "bbc").glob("*/*.txt")):
        text = path.read_text(encoding="latin-1").strip()
        paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        title = paras[0].splitlines()[0] if paras else ""
        docs.append(Doc(f"bbc:{path.parent.name}/{path.stem}", "bbc", "\n\n".join(paras), title, None, path.parent.name))
    return docs


def load_reuters(data: Path) -> list[Doc]:
    docs = []
    with (data / "reuters21578" / "reuters21578.jsonl").open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            topic = (r.get("topics") or ["-"])[0]
            docs.append(Doc(f"reuters:{r['id']}", "reuters", r["text"], r["title"], r["date"], topic))
    return docs


# ----------------------------------------------------------------------------- labels


def judge(a: str, b: str) -> str:
    """'copy', 'different' or 'unsure' for two real texts, by word-level alignment (difflib),
    a measure independent of the shingles and MinHash under test.

    Copy: the aligned words cover 80% of both texts, or 90% of the shorter one (of 30+
    words: a story inside a longer one). Different: they cover under half of the shorter.
    Between the two nobody should be sure, and the pair is left out of the scores."""
    wa, wb = normalise(a).split(), normalise(b).split()
    if not wa or not wb:
        return "unsure"
    matched = sum(m.size for m in SequenceMatcher(None, wa, wb, autojunk=False).get_matching_blocks())
    shorter = min(len(wa), len(wb))
    if 2 * matched / (len(wa) + len(wb)) >= 0.8 or (shorter >= 30 and matched / shorter >= 0.9):
        return "copy"
    return "different" if matched / shorter < 0.5 else "unsure"


def exact_groups(docs: list[Doc]) -> list[list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        if d.text.strip():
            groups[exact_hash(d.text)].append(d.doc_id)
    return [g for g in groups.values() if len(g) > 1]


def _words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", title.lower()) if len(w) > 2}


def same_title_pairs(docs: list[Doc]) -> list[tuple[str, str]]:
    """Reuters stories with one title sent within three days of each other: re-sends, or a
    recurring report (a daily market close) whose two days are different stories."""
    by_title: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        if d.source == "reuters" and d.title and d.date and not d.title.startswith("CORRECTED"):
            by_title[d.title].append(d)
    pairs = []
    for same in by_title.values():
        for a, b in itertools.combinations(same, 2):
            delta = abs((datetime.fromisoformat(a.date) - datetime.fromisoformat(b.date)).total_seconds())
            if delta <= 3 * 86400 and exact_hash(a.text) != exact_hash(b.text):
                pairs.append((a.doc_id, b.doc_id))
    return pairs


def corrected_pairs(docs: list[Doc]) -> list[tuple[str, str]]:
    """Each ``CORRECTED - X`` story with the earlier story it corrects (same or most similar
    title, within three days before it)."""
    pairs = []
    dated = [d for d in docs if d.date]
    for d in dated:
        if not d.title.startswith("CORRECTED"):
            continue
        title = d.title.split("-", 1)[1].strip()
        when = datetime.fromisoformat(d.date)
        best: tuple[float, str] | None = None
        for o in dated:
            if o is d or o.title.startswith("CORRECTED"):
                continue
            delta = (when - datetime.fromisoformat(o.date)).total_seconds()
            if not 0 <= delta <= 3 * 86400:
                continue
            a, b = _words(title), _words(o.title)
            score = len(a & b) / max(1, len(a | b))
            if score >= 0.5 and (best is None or score > best[0]):
                best = (score, o.doc_id)
        if best:
            pairs.append((best[1], d.doc_id))
    return pairs


BOILERPLATE = (
    ("Home | News | Business | Sport | Weather", "Share this article: Facebook Twitter Email",
     "Copyright {year} The Riverside Courier. All rights reserved. This material may not be published, broadcast, rewritten or redistributed."),
    ("Skip to main content. Subscribe now for unlimited access", "Related stories: more from our newsroom. Sign up for the morning briefing newsletter.",
     "(c) {year} Northfield Media Group. Terms of use | Privacy policy | Contact us"),
    ("Advertisement", "Follow us on social media for the latest updates. Comments are closed for this story.",
     "All content copyright {year} Harbour Daily Post and its licensors."),
)

LOCAL = (
    "Local traders in {town} said the news would be watched closely, and the chamber of commerce "
    "plans to discuss it at its meeting next {day}.",
    "In {town}, council officials said they had not yet been told how the decision would affect "
    "the county, but expected an answer by {day}.",
    "Residents of {town} contacted by the {paper} on {day} were divided, with several saying they "
    "would wait for more details before judging.",
)
TOWNS = ("Millbrook", "Ashford", "Carlow Bay", "Westerly", "Pine Ridge")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def synthetic_copies(base: Doc, pool: list[Doc], rng: random.Random) -> list[tuple[str, str]]:
    """(kind, text) copies of ``base``; ``pool`` gives same-topic paragraphs to add."""
    paras = base.text.split("\n\n")
    head, body = paras[0], paras[1:]
    out: list[tuple[str, str]] = []
    top, mid, bottom = rng.choice(BOILERPLATE)
    out.append(("boilerplate", "\n\n".join([top, *paras, mid, bottom.format(year=rng.choice((2005, 1987)))])))
    words = head.split()
    new_head = " ".join(rng.sample(words, len(words))) if len(words) > 2 else head + " update"
    out.append(("headline", "\n\n".join([f"UPDATE 1 - {new_head.title()}", *body])))
    donor = rng.choice([d for d in pool if d.topic == base.topic and d.doc_id != base.doc_id] or pool)
    extra = rng.choice(donor.text.split("\n\n")[1:] or [donor.text])
    at = rng.randint(1, len(paras))
    out.append(("para_added", "\n\n".join(paras[:at] + [extra] + paras[at:])))
    if len(body) >= 3:
        drop = rng.randrange(1, len(paras))
        out.append(("para_removed", "\n\n".join(p for i, p in enumerate(paras) if i != drop)))
    tokens = base.text.split(" ")
    for _ in range(3):
        i = rng.randrange(len(tokens))
        tokens[i] = rng.choice(("said", "reported", "the", "officials", "new", "also"))
    out.append(("words_edited", " ".join(tokens)))
    if base.source == "reuters":
        local = rng.choice(LOCAL).format(town=rng.choice(TOWNS), day=rng.choice(DAYS), paper="Courier")
        out.append(("wire_local", "\n\n".join([*paras, local])))
    return out


def must_not_merge(docs: list[Doc], rng: random.Random, limit: int = 300) -> list[tuple[str, str, str]]:
    """(kind, a, b) pairs of different stories on one topic."""
    pairs: list[tuple[str, str, str]] = []
    by_day: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        if d.source == "reuters" and d.date and re.search(r"\bQTR\b.*\bNET\b|\bNET\b", d.title) and d.text.lstrip().startswith("Shr"):
            by_day[d.date[:10]].append(d)
    earnings = [(a, b) for ds in by_day.values() for a, b in itertools.combinations(ds, 2)
                if exact_hash(a.text) != exact_hash(b.text) and a.title.split()[0] != b.title.split()[0]]
    for a, b in rng.sample(earnings, min(limit, len(earnings))):
        pairs.append(("reuters_earnings_same_day", a.doc_id, b.doc_id))
    bbc = [d for d in docs if d.source == "bbc"]
    scored = []
    for topic in {d.topic for d in bbc}:
        same = [d for d in bbc if d.topic == topic]
        for a, b in itertools.combinations(same, 2):
            wa, wb = _words(a.title), _words(b.title)
            if wa and wb and exact_hash(a.text) != exact_hash(b.text):
                score = len(wa & wb) / len(wa | wb)
                if score >= 0.5:
                    scored.append((score, a.doc_id, b.doc_id))
    scored.sort(reverse=True)
    pairs += [("bbc_same_topic_title", a, b) for _, a, b in scored[:limit]]
    return pairs


# ----------------------------------------------------------------------------- scoring


def build_set(data: Path, bases: int, seed: int) -> tuple[list[Doc], dict[str, str], dict[tuple[str, str], str], list[tuple[str, str, str]]]:
    """Docs, gold cluster of each labelled doc, kind of each gold pair, must-not-merge pairs."""
    rng = random.Random(seed)
    real = load_bbc(data) + load_reuters(data)
    real = [d for d in real if d.text.strip()]
    gold: dict[str, str] = {}
    kinds: dict[tuple[str, str], str] = {}

    def label(ids: list[str], kind: str) -> None:
        root = next((gold[i] for i in ids if i in gold), ids[0])
        for i in ids:
            old = gold.get(i)
            if old and old != root:  # merge two gold clusters
                for k, v in list(gold.items()):
                    if v == old:
                        gold[k] = root
            gold[i] = root
        for a, b in itertools.combinations(ids, 2):
            kinds.setdefault(tuple(sorted((a, b))), kind)

    for group in exact_groups(real):
        label(group, f"{group[0].split(':')[0]}_exact")
    text = {d.doc_id: d.text for d in real}
    unsure = 0
    candidates = [("reuters_corrected", a, b) for a, b in corrected_pairs(real)]
    candidates += [("reuters_same_title", a, b) for a, b in same_title_pairs(real)]
    mnm: list[tuple[str, str, str]] = []
    for kind, a, b in candidates + must_not_merge(real, rng):
        verdict = judge(text[a], text[b])
        if verdict == "copy":
            label([a, b], kind)
        elif verdict == "different" and kind != "reuters_corrected":
            mnm.append((kind, a, b))
        else:
            unsure += 1
    print(f"labelled by alignment: {len(candidates)} re-send/correction candidates, {len(mnm)} must-not-merge, {unsure} unsure (left out)")
    free = [d for d in real if d.doc_id not in gold and len(d.text.split()) >= 80 and d.text.count("\n\n") >= 3]
    picked = rng.sample([d for d in free if d.source == "bbc"], bases // 2) + rng.sample(
        [d for d in free if d.source == "reuters"], bases - bases // 2)
    synthetic: list[Doc] = []
    for base in picked:
        ids = [base.doc_id]
        for kind, text in synthetic_copies(base, real, rng):
            copy = Doc(f"syn:{kind}:{base.doc_id}", "synthetic", text, base.title, base.date, base.topic)
            synthetic.append(copy)
            ids.append(copy.doc_id)
            kinds[tuple(sorted((base.doc_id, copy.doc_id)))] = f"synthetic_{kind}"
        label(ids, "synthetic_copy_copy")
    return real + synthetic, gold, kinds, mnm


def source_of(doc_id: str) -> str:
    return {"bbc": "bbc", "reuters": "reuters", "syn": "synthetic"}[doc_id.split(":")[0]]


def cluster_all(docs: list[Doc], sigs: dict[str, Signature], settings: DuplicateSettings) -> tuple[DuplicateClusters, float]:
    clusters = DuplicateClusters(settings)
    start = time.perf_counter()
    for d in docs:
        clusters.add(d.doc_id, sigs[d.doc_id], date=d.date, length=len(d.text))
    return clusters, time.perf_counter() - start


_VERDICTS: dict[tuple[str, str], str] = {}


def score(clusters: DuplicateClusters, gold: dict[str, str], kinds: dict[tuple[str, str], str],
          mnm: list[tuple[str, str, str]], text: dict[str, str]) -> dict[str, Any]:
    """Pair scores. A merged pair outside the gold clusters is judged by :func:`judge`: a copy
    counts as right (an unlabelled copy in the corpora), an unsure pair is left out, a
    different one is a false positive."""
    predicted = set()
    for ids in clusters.clusters(min_size=2):
        predicted.update(tuple(sorted(p)) for p in itertools.combinations(ids, 2))
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # tp, fp
    false_pos = []
    by_source_pess: dict[str, int] = defaultdict(int)
    unlabelled = {"copy": 0, "unsure": 0, "different": 0}
    tp_all = fp_all = 0
    for a, b in predicted:
        ok = a in gold and gold.get(a) == gold.get(b)
        if not ok:
            if (a, b) not in _VERDICTS:
                _VERDICTS[(a, b)] = judge(text[a], text[b])
            verdict = _VERDICTS[(a, b)]
            unlabelled[verdict] += 1
            if verdict == "unsure":  # wrong for the pessimistic figures, left out of the others
                for src in {source_of(a), source_of(b)}:
                    by_source_pess[src] += 1
                continue
            ok = verdict == "copy"
        tp_all += ok
        fp_all += not ok
        for src in {source_of(a), source_of(b)}:
            by_source[src][0 if ok else 1] += 1
        if not ok:
            false_pos.append((a, b))  # judged different
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair, kind in kinds.items():
        recall[kind][1] += 1
        recall[kind][0] += pair in predicted
    violations = [(k, a, b) for k, a, b in mnm if clusters.cluster_of(a) == clusters.cluster_of(b)]
    result = {
        "pairs_predicted": len(predicted),
        "unlabelled_pairs_judged": unlabelled,
        "precision": tp_all / (tp_all + fp_all) if tp_all + fp_all else 1.0,
        # unsure pairs counted as wrong: the figure the threshold is chosen on
        "precision_pessimistic": tp_all / (tp_all + fp_all + unlabelled["unsure"]) if predicted else 1.0,
        "precision_by_source": {s: tp / (tp + fp) if tp + fp else 1.0 for s, (tp, fp) in sorted(by_source.items())},
        "precision_pessimistic_by_source": {
            s: tp / (tp + fp + by_source_pess[s]) if tp + fp + by_source_pess[s] else 1.0
            for s, (tp, fp) in sorted(by_source.items())
        },
        "recall_by_kind": {k: {"recall": f / n, "found": f, "pairs": n} for k, (f, n) in sorted(recall.items())},
        "recall_by_source": {},
        "must_not_merge": {"pairs": len(mnm), "violations": len(violations), "examples": violations[:10]},
        "false_positive_examples": false_pos[:15],
    }
    for src in ("bbc", "reuters", "synthetic"):
        got = [(p in predicted) for p, k in kinds.items() if k.startswith(src)]
        result["recall_by_source"][src] = sum(got) / len(got) if got else 1.0
    return result


def f1_for(res: dict[str, Any], sources: tuple[str, ...]) -> float:
    ps = [res["precision_pessimistic_by_source"].get(s, 1.0) for s in sources]
    rs = [res["recall_by_source"][s] for s in sources]
    p, r = statistics.mean(ps), statistics.mean(rs)
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--bases", type=int, default=300, help="articles given synthetic copies")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--shingle-words", type=int, default=DuplicateSettings().shingle_words)
    parser.add_argument("--lsh-threshold", type=float, default=DuplicateSettings().lsh_threshold)
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args()

    docs, gold, kinds, mnm = build_set(args.data, args.bases, args.seed)
    print(f"{len(docs)} docs, {len(kinds)} gold pairs, {len(mnm)} must-not-merge pairs")
    base = DuplicateSettings(shingle_words=args.shingle_words, lsh_threshold=args.lsh_threshold)
    texts = {d.doc_id: d.text for d in docs}
    start = time.perf_counter()
    sigs = {d.doc_id: signature_of(d.text, base) for d in docs}
    sig_ms = (time.perf_counter() - start) * 1000 / len(docs)

    results: dict[float, dict[str, Any]] = {}
    add_ms: dict[float, float] = {}
    for t in THRESHOLDS:
        clusters, secs = cluster_all(docs, sigs, DuplicateSettings(threshold=t, shingle_words=args.shingle_words, lsh_threshold=args.lsh_threshold))
        results[t] = score(clusters, gold, kinds, mnm, texts)
        add_ms[t] = secs * 1000 / len(docs)
        r = results[t]
        print(f"t={t:.2f} P={r['precision']:.4f} P_pess={r['precision_pessimistic']:.4f} "
              + " ".join(f"Ppess_{s}={v:.3f}" for s, v in r["precision_pessimistic_by_source"].items())
              + " " + " ".join(f"R_{s}={v:.3f}" for s, v in r["recall_by_source"].items())
              + f" mnm={r['must_not_merge']['violations']} unlabelled={r['unlabelled_pairs_judged']} add={add_ms[t]:.3f}ms")

    sources = ("bbc", "reuters", "synthetic")
    loso = {}
    for held in sources:
        train = tuple(s for s in sources if s != held)
        allowed = [t for t in THRESHOLDS if results[t]["must_not_merge"]["violations"] == 0] or list(THRESHOLDS)
        best = max(allowed, key=lambda t: (f1_for(results[t], train), -abs(t - 0.6)))
        loso[held] = {"threshold": best, "f1_held_out": f1_for(results[best], (held,))}
    allowed = [t for t in THRESHOLDS if results[t]["must_not_merge"]["violations"] == 0] or list(THRESHOLDS)
    chosen = max(allowed, key=lambda t: (f1_for(results[t], sources), -abs(t - 0.6)))
    print("leave-one-source-out:", json.dumps(loso))
    print(f"chosen threshold (best F1, unsure pairs counted wrong, on all sources, no must-not-merge violation): {chosen}")
    r = results[chosen]
    print(json.dumps({k: r[k] for k in ("precision", "precision_pessimistic", "precision_by_source", "precision_pessimistic_by_source", "recall_by_kind", "must_not_merge")}, indent=1))
    print("false positives (first):")
    text = {d.doc_id: d for d in docs}
    for a, b in r["false_positive_examples"][:8]:
        print(f"  {a} [{text[a].title[:60]}] ~ {b} [{text[b].title[:60]}]")

    # cost: save / load (LSH rebuilt) / pickle of the whole clusterer
    clusters, _ = cluster_all(docs, sigs, DuplicateSettings(threshold=chosen, shingle_words=args.shingle_words, lsh_threshold=args.lsh_threshold))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        clusters.save(tmp)
        t1 = time.perf_counter()
        DuplicateClusters.load(tmp)
        t2 = time.perf_counter()
        blob = pickle.dumps(clusters)
        t3 = time.perf_counter()
        pickle.loads(blob)
        t4 = time.perf_counter()
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    cost = {
        "articles": len(docs),
        "signature_ms_per_article": round(sig_ms, 3),
        "add_ms_per_article": round(add_ms[chosen], 3),
        "save_s": round(t1 - t0, 3),
        "load_rebuild_lsh_s": round(t2 - t1, 3),
        "pickle_dump_s": round(t3 - t2, 3),
        "pickle_load_s": round(t4 - t3, 3),
        "folder_bytes": size,
        "pickle_bytes": len(blob),
    }
    print("cost:", json.dumps(cost))
    if args.json:
        args.json.write_text(json.dumps({"thresholds": {str(t): results[t] for t in THRESHOLDS}, "loso": loso,
                                         "chosen": chosen, "cost": cost}, indent=1))


if __name__ == "__main__":
    main()
