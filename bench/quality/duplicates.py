"""Pair precision/recall of :mod:`searchkit.duplicates` on a labelled set of copies.

Usage::

    python bench/quality/duplicates.py [DATA_DIR] [--bases N] [--json OUT]   # default ../shared/data

The labelled set (built here from the shapes of real copies; nothing is hand-picked):

* **BBC exact repeats**: BBC (news/bbc) articles whose normalised text is identical form a
  gold cluster (the collection has dozens of pages saved twice).
* **Reuters re-sends and corrections**: Reuters-21578 bodies that are identical once
  normalised (wire re-sends), and each ``CORRECTED - X`` story with the latest earlier story
  titled ``X`` (or the one whose title shares most words with it) within three days. A pair of
  *notices* (under :data:`NOTICE_WORDS` words, headline and body, not a correction) is two
  stories when, aligned, a figure of one stands where the other has another figure, or its
  headline has a word where the other's has another (another fund, company, amount, day), or
  when they are more than :data:`RECURRING_DAYS` apart: that is how a reader tells a dividend
  notice or a daily market operation from its re-send.
* **Synthetic copies** of ``--bases`` BBC and Reuters articles that are in no gold cluster:
  another site's boilerplate around it, a changed headline, a paragraph added (from another
  story of the same topic), a paragraph removed, a few words edited, and (Reuters) the wire
  story plus a local paragraph. Each base and its copies form one gold cluster.
* **Must not merge**: different stories on one topic: Reuters earnings reports of one day
  (one template, other company and figures), BBC pairs of one category whose titles
  share most words, and the Reuters template notices that a text-only clusterer (threshold
  0.5, no headline, no window) puts together and that the notice rule above tells apart
  (``reuters_template_notice``: other headline or figures; ``reuters_recurring_notice``: one
  headline, other day's figures or weeks apart). A merged pair there is a violation.

Every other pair of articles that the clusterer puts together counts as a false positive in
the precision (so an unlabelled true copy in the corpora costs precision: the figure is a
lower bound); the first of them are printed so that a reader can judge.

Constant choice: leave one source out. For each source (bbc, reuters, synthetic) the setting
(the length ``short_shingles`` under which headline and figures must agree; the threshold in a
second sweep) with the best pair F1 (mean of the sources' pessimistic precision, i.e. an unsure
merged pair counted as wrong, and of their recall) on the two others, among those with no
must-not-merge violation *of those two*, is picked and scored on the held-out one (its F1 and
its must-not-merge violations); the default is the best on all three. The row ``before`` is
the text-only signature without window (the version-1 stage), measured in the same run.
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
from collections import Counter as collections_count
from collections import defaultdict
from dataclasses import dataclass, replace
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

THRESHOLDS = (0.55, 0.6, 0.65, 0.7, 0.75)
SHORT_GRID = (0, 20, 40, 60, 80, 100, 150)
WINDOWS = (0.0, 3.0, 7.0, 14.0)
NOTICE_WORDS = 60
"""Labels: a text (headline and body) under this many words is a notice, whose story is its
headline and figures (a dividend, an earnings line, a daily operation)."""
RECURRING_DAYS = 7
"""Labels: two notices of one text more than a week apart are two runs of a recurring report."""
MARK = re.compile(r"^\W*(?:\(?(?:corrected|correction|rpt|repeat|refile|update \d+)\)?\W*)+", re.IGNORECASE)


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


def _substitutes(a: list[str], b: list[str], digits: bool) -> bool:
    """An aligned replacement between word lists a and b (of figures when ``digits``)."""
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        left, right = a[i1:i2], b[j1:j2]
        if not digits or (any(any(c.isdigit() for c in w) for w in left) and any(any(c.isdigit() for c in w) for w in right)):
            return True
    return False


def story_verdict(a: Doc, b: Doc) -> str:
    """:func:`judge` for two texts, except two notices (see the module's docstring): those
    are 'different' when headline or figures are replaced, or when weeks apart."""
    corrected = bool(MARK.match(a.title) and "correct" in a.title.lower()[:12]) or \
        bool(MARK.match(b.title) and "correct" in b.title.lower()[:12])
    ha, hb = normalise(MARK.sub("", a.title)).split(), normalise(MARK.sub("", b.title)).split()
    wa, wb = normalise(a.text).split(), normalise(b.text).split()
    notice = min(len(ha) + len(wa), len(hb) + len(wb)) < NOTICE_WORDS
    if notice and not corrected and a.source == b.source == "reuters":
        if _substitutes(ha, hb, digits=False) or _substitutes(wa, wb, digits=True):
            return "different"
        if a.date and b.date and abs((datetime.fromisoformat(a.date) - datetime.fromisoformat(b.date)).days) > RECURRING_DAYS:
            return "different"
    return judge(a.text, b.text)


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
    """(kind, text) copies of ``base``; ``pool`` gives same-topic paragraphs to add. The
    ``headline`` copy's new headline is its title too (:func:`synthetic_title`)."""
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


def synthetic_title(base: Doc, kind: str, text: str) -> str:
    """The headline a copy is published under: the changed one for ``headline`` (the text's
    new first line for BBC, whose first line is the headline; the base title's words shuffled
    for Reuters, whose body has no headline line), the base's otherwise."""
    if kind != "headline":
        return base.title
    if base.source == "bbc":
        return text.split("\n\n", 1)[0]
    words = base.title.split()
    return "UPDATE 1 - " + " ".join(random.Random(base.doc_id).sample(words, len(words)))


def template_notices(docs: list[Doc], limit: int = 300) -> list[tuple[str, Doc, Doc]]:
    """Reuters notices a text-only clusterer (threshold 0.5, no headline, no window) puts in one
    story and :func:`story_verdict` tells apart: the real template notices of the archive."""
    reuters = [d for d in docs if d.source == "reuters"]
    settings = DuplicateSettings(threshold=0.5, short_shingles=0, window_days=0)
    clusters = DuplicateClusters(settings)
    for d in reuters:
        clusters.add(d.doc_id, signature_of(d.text, settings), date=d.date, length=len(d.text))
    by_id = {d.doc_id: d for d in reuters}
    found = []
    for ids in clusters.clusters(min_size=2):
        for a, b in itertools.combinations(ids, 2):
            da, db = by_id[a], by_id[b]
            if story_verdict(da, db) == "different" and judge(da.text, db.text) != "different":
                kind = "reuters_recurring_notice" if normalise(MARK.sub("", da.title)) == normalise(MARK.sub("", db.title)) \
                    else "reuters_template_notice"
                found.append((kind, da, db))
    return found[:limit]


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
    pairs += [(kind, a.doc_id, b.doc_id) for kind, a, b in template_notices(docs, limit)]
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

    by_id = {d.doc_id: d for d in real}
    candidates = [("reuters_corrected", a, b) for a, b in corrected_pairs(real)]
    candidates += [("reuters_same_title", a, b) for a, b in same_title_pairs(real)]
    for group in exact_groups(real):
        if group[0].startswith("bbc:"):
            label(group, "bbc_exact")
        else:  # one body, but two notices of one template are two stories: judged pair by pair
            candidates += [("reuters_exact", a, b) for a, b in itertools.combinations(group, 2)]
    unsure = 0
    mnm: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for kind, a, b in candidates + must_not_merge(real, rng):
        if tuple(sorted((a, b))) in seen:
            continue
        seen.add(tuple(sorted((a, b))))
        verdict = story_verdict(by_id[a], by_id[b])
        if verdict == "copy":
            label([a, b], kind)
        elif verdict == "different" and kind != "reuters_corrected":
            mnm.append(("reuters_template_notice" if kind == "reuters_exact" else kind, a, b))
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
            copy = Doc(f"syn:{kind}:{base.doc_id}", "synthetic", text, synthetic_title(base, kind, text), base.date, base.topic)
            synthetic.append(copy)
            ids.append(copy.doc_id)
            kinds[tuple(sorted((base.doc_id, copy.doc_id)))] = f"synthetic_{kind}"
        label(ids, "synthetic_copy_copy")
    return real + synthetic, gold, kinds, mnm


def source_of(doc_id: str) -> str:
    return {"bbc": "bbc", "reuters": "reuters", "syn": "synthetic"}[doc_id.split(":")[0]]


def cluster_all(docs: list[Doc], sigs: dict[str, Signature], settings: DuplicateSettings) -> tuple[DuplicateClusters, float]:
    """Every doc added in order (its date too: the window needs it)."""
    clusters = DuplicateClusters(settings)
    start = time.perf_counter()
    for d in docs:
        clusters.add(d.doc_id, sigs[d.doc_id], date=d.date, length=len(d.text))
    return clusters, time.perf_counter() - start


_VERDICTS: dict[tuple[str, str], str] = {}


def score(clusters: DuplicateClusters, gold: dict[str, str], kinds: dict[tuple[str, str], str],
          mnm: list[tuple[str, str, str]], by_id: dict[str, Doc]) -> dict[str, Any]:
    """Pair scores. A merged pair outside the gold clusters is judged by :func:`story_verdict`: a copy
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
                _VERDICTS[(a, b)] = story_verdict(by_id[a], by_id[b])
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
        "must_not_merge": {"pairs": len(mnm), "violations": len(violations), "examples": violations[:10],
                           "by_kind": {k: [sum(v[0] == k for v in violations), sum(m[0] == k for m in mnm)]
                                       for k in sorted({m[0] for m in mnm})}},
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


def violations_of(res: dict[str, Any], sources: tuple[str, ...]) -> int:
    """Must-not-merge violations among the pairs drawn from ``sources``."""
    return sum(v for k, (v, _) in res["must_not_merge"]["by_kind"].items() if k.split("_")[0] in sources)


def leave_one_out(results: dict[Any, dict[str, Any]], order: list[Any]) -> tuple[dict[str, Any], Any]:
    """Per held-out source: the setting best on the two others (F1, no violation of theirs; ties
    to the first in ``order``, the mildest), scored on the held-out one; and the best on all."""
    sources = ("bbc", "reuters", "synthetic")

    def pick(train: tuple[str, ...]) -> Any:
        fewest = min(violations_of(results[c], train) for c in order)
        allowed = [c for c in order if violations_of(results[c], train) == fewest]
        return max(allowed, key=lambda c: (round(f1_for(results[c], train), 4), -order.index(c)))

    loso = {}
    for held in sources:
        best = pick(tuple(s for s in sources if s != held))
        loso[held] = {"setting": best, "f1_held_out": round(f1_for(results[best], (held,)), 4),
                      "must_not_merge_held_out": violations_of(results[best], (held,))}
    return loso, pick(sources)


def describe(name: str, r: dict[str, Any], ms: float) -> str:
    mnm = r["must_not_merge"]
    return (f"{name:>9} P={r['precision']:.4f} P_pess={r['precision_pessimistic']:.4f} "
            + " ".join(f"Ppess_{s}={v:.3f}" for s, v in r["precision_pessimistic_by_source"].items())
            + " " + " ".join(f"R_{s}={v:.3f}" for s, v in r["recall_by_source"].items())
            + f" mnm={mnm['violations']}/{mnm['pairs']} " + json.dumps({k: v for k, v in mnm["by_kind"].items()})
            + f" add={ms:.3f}ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--bases", type=int, default=300, help="articles given synthetic copies")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args()

    docs, gold, kinds, mnm = build_set(args.data, args.bases, args.seed)
    print(f"{len(docs)} docs, {len(kinds)} gold pairs, {len(mnm)} must-not-merge pairs "
          + json.dumps(dict(sorted(collections_count(k for k, _, _ in mnm).items()))))
    by_id = {d.doc_id: d for d in docs}
    default = DuplicateSettings()
    signing = DuplicateSettings(short_shingles=max(SHORT_GRID))  # figures and headline kept up to the grid's top
    start = time.perf_counter()
    sigs = {d.doc_id: signature_of(d.text, signing, title=d.title) for d in docs}
    sig_ms = (time.perf_counter() - start) * 1000 / len(docs)
    plain = {d.doc_id: signature_of(d.text, DuplicateSettings(short_shingles=0)) for d in docs}
    gaps = [abs((datetime.fromisoformat(by_id[a].date) - datetime.fromisoformat(by_id[b].date)).total_seconds()) / 86400
            for (a, b), k in kinds.items() if k.startswith("reuters") and by_id[a].date and by_id[b].date]
    print(f"days between the two of a labelled Reuters copy pair: max {max(gaps):.2f}, "
          f"99th pct {sorted(gaps)[int(0.99 * (len(gaps) - 1))]:.2f} ({len(gaps)} pairs)")

    results: dict[Any, dict[str, Any]] = {}
    add_ms: dict[Any, float] = {}

    def run(name: Any, signatures: dict[str, Signature], settings: DuplicateSettings) -> dict[str, Any]:
        clusters, secs = cluster_all(docs, signatures, settings)
        results[name] = score(clusters, gold, kinds, mnm, by_id)
        add_ms[name] = secs * 1000 / len(docs)
        print(describe(str(name), results[name], add_ms[name]), flush=True)
        return results[name]

    before = run("before", plain, DuplicateSettings(short_shingles=0, window_days=0))
    for short in SHORT_GRID:
        run(short, sigs, replace(default, short_shingles=short))
    loso_short, chosen_short = leave_one_out(results, list(SHORT_GRID))
    print("leave-one-source-out, short_shingles:", json.dumps(loso_short))
    print(f"chosen short_shingles (best F1 on all sources, no must-not-merge violation): {chosen_short}")

    for window in WINDOWS:
        if window != default.window_days:
            run(f"window={window:g}", sigs, replace(default, short_shingles=chosen_short, window_days=window))
    for t in THRESHOLDS:
        if t != default.threshold:
            run(f"t={t:g}", sigs, replace(default, short_shingles=chosen_short, threshold=t))
    thresholds = {t: (f"t={t:g}" if t != default.threshold else chosen_short) for t in THRESHOLDS}
    loso_t, chosen_t_name = leave_one_out({t: results[n] for t, n in thresholds.items()}, list(THRESHOLDS))
    print("leave-one-source-out, threshold (at the chosen short_shingles):", json.dumps(loso_t))
    print(f"chosen threshold: {chosen_t_name}")
    chosen = replace(default, short_shingles=chosen_short, threshold=chosen_t_name)
    r = results[thresholds[chosen_t_name]]
    print(json.dumps({k: r[k] for k in ("precision", "precision_pessimistic", "precision_by_source",
                                        "precision_pessimistic_by_source", "recall_by_kind", "must_not_merge")}, indent=1))
    print("false positives (first):")
    for a, b in r["false_positive_examples"][:8]:
        print(f"  {a} [{by_id[a].title[:60]}] ~ {b} [{by_id[b].title[:60]}]")
    print("before, must-not-merge merged (first):")
    for kind, a, b in before["must_not_merge"]["examples"][:8]:
        print(f"  {kind}: {a} [{by_id[a].title[:50]}] ~ {b} [{by_id[b].title[:50]}]")

    # cost: save / load (LSH rebuilt) / pickle of the whole clusterer
    clusters, _ = cluster_all(docs, sigs, chosen)
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
        "add_ms_per_article": round(add_ms[thresholds[chosen_t_name]], 3),
        "save_s": round(t1 - t0, 3),
        "load_rebuild_lsh_s": round(t2 - t1, 3),
        "pickle_dump_s": round(t3 - t2, 3),
        "pickle_load_s": round(t4 - t3, 3),
        "folder_bytes": size,
        "pickle_bytes": len(blob),
    }
    print("cost:", json.dumps(cost))
    if args.json:
        args.json.write_text(json.dumps({"settings": {str(k): v for k, v in results.items()},
                                         "loso_short_shingles": loso_short, "loso_threshold": loso_t,
                                         "chosen": chosen.__dict__, "cost": cost}, indent=1, default=str))


if __name__ == "__main__":
    main()
