"""Precision@100 of the entity facets a user sees first, on BBC and on Reuters-21578.

    python bench/quality/facet_precision.py [--data DIR] [--work DIR]
                                            [--index bbc=PATH] [--index reuters=PATH]
                                            [--corpus bbc,reuters] [--top 100] [--workers 2]
                                            [--judgments FILE] [--unjudged FILE] [--context]

Why: NER is scored on CoNLL (``bench/ner_eval.py``), but what a researcher judges the tool
by is the list ``searchkit entities --type person`` prints first. This benchmark builds an
index of each corpus through the public API (``searchkit.ingest``; or reuses one given with
``--index NAME=PATH``), lists the top ``--top`` values of each facet with
``searchkit.open_index(path).entities(facet, top=N)``, and scores every value against a
judgments file (``facet_judgments.tsv`` beside this script).

Corpora (read from ``--data``, default ``../shared/data`` relative to the checkout):

* ``bbc`` — the 2,225 BBC articles of ``news/bbc/<category>/NNN.txt`` (the five category
  folders; the dataset's README is not an article).
* ``reuters`` — the first 3,000 lines of ``reuters21578/reuters21578.jsonl``, copied to
  the work folder as one JSONL file (searchkit reads its ``title``/``date``/``text``).

Judgments: one line per (type, value), tab-separated: ``type  value  right|wrong  reason``
and, for a value whose meaning differs between the corpora, a fifth column naming the
corpus the line is for (it overrides a line without one); ``#`` starts a comment. A value is *right* when it is a real entity of that type, named in
its normal full form (no stray punctuation, no title glued on, not a fragment), and *wrong*
otherwise, with the reason. The file is shared by both corpora. Values of the top list with no judgment are reported as
unjudged (``--unjudged FILE`` writes them as lines to fill in, with counts, aliases and,
with ``--context``, one passage that carries the value); precision@N is right / judged,
and the table says how many were unjudged, so a figure over fewer than N values is visible.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))

from _common import DEFAULT_DATA, machine_line, use_repo_searchkit  # noqa: E402

use_repo_searchkit()

import searchkit  # noqa: E402

FACETS = ("person", "org", "place", "group")
DEFAULT_JUDGMENTS = HERE / "facet_judgments.tsv"
REUTERS_ARTICLES = 3000
VERDICTS = ("right", "wrong")


@dataclass(frozen=True)
class Judgment:
    verdict: str  # "right" or "wrong"
    reason: str


def read_judgments(path: Path) -> dict[tuple[str, str, str], Judgment]:
    """(corpus or "", type, value) -> judgment. A malformed line is an error: a silent skip
    would turn a judged value into an unjudged one and move the figure."""
    out: dict[tuple[str, str, str], Judgment] = {}
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] not in FACETS or parts[2] not in VERDICTS:
            raise SystemExit(f"{path}:{n}: expected 'type<TAB>value<TAB>right|wrong<TAB>reason', got {line!r}")
        reason = parts[3].strip() if len(parts) > 3 else ""
        if parts[2] == "wrong" and not reason:
            raise SystemExit(f"{path}:{n}: a 'wrong' needs its reason")
        key = (parts[4].strip() if len(parts) > 4 else "", parts[0], parts[1])
        if key in out and out[key].verdict != parts[2]:
            raise SystemExit(f"{path}:{n}: {key} is judged twice, differently")
        out[key] = Judgment(parts[2], reason)
    return out


def corpus_inputs(name: str, data: Path, work: Path) -> list[Path]:
    """The files or folders to ingest for a corpus."""
    if name == "bbc":
        root = data / "news" / "bbc"
        folders = sorted(p for p in root.iterdir() if p.is_dir())
        if not folders:
            raise SystemExit(f"no BBC category folders under {root}")
        return folders
    if name == "reuters":
        src = data / "reuters21578" / "reuters21578.jsonl"
        dst = work / f"reuters-{REUTERS_ARTICLES}.jsonl"
        if not dst.exists():
            work.mkdir(parents=True, exist_ok=True)
            with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
                for n, line in enumerate(fin):
                    if n >= REUTERS_ARTICLES:
                        break
                    fout.write(line)
        return [dst]
    raise SystemExit(f"unknown corpus {name!r}; use bbc or reuters")


def build_index(name: str, data: Path, work: Path, workers: int) -> tuple[Path, dict[str, Any]]:
    """A fresh index of one corpus; returns its path and the ingest report with its rate."""
    index = work / f"index-{name}"
    if index.exists():
        shutil.rmtree(index)
    inputs = corpus_inputs(name, data, work)
    t0 = time.perf_counter()
    report = searchkit.ingest([str(p) for p in inputs], index=str(index), workers=workers)
    seconds = time.perf_counter() - t0
    info = {"articles": report.articles, "passages": report.passages, "seconds": round(seconds, 1),
            "articles_per_s": round(report.articles / seconds, 1) if seconds else None,
            "failed": len(report.failed), "workers": workers}
    return index, info


def context_of(idx: Any, facet: str, value: str) -> str:
    """One passage that carries ``value`` in ``facet`` (for the annotator), or ''."""
    words = [w for w in value.replace("-", " ").split() if w.isalnum()]
    if not words:
        return ""
    try:
        res = idx.search(" OR ".join(words[:3]), limit=1, **{facet: value})
    except searchkit.SearchkitError:
        return ""
    return " ".join(res.hits[0].text.split())[:300] if res.hits else ""


def score_corpus(name: str, index: Path, top: int, judgments: dict[tuple[str, str, str], Judgment],
                 want_context: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with searchkit.open_index(str(index)) as idx:
        stats = idx.stats()
        out["_stats"] = {"articles": stats.articles, "passages": stats.passages}
        for facet in FACETS:
            rows = idx.entities(facet, top=top)
            right, wrong, unjudged = [], [], []
            for e in rows:
                j = judgments.get((name, facet, e.name)) or judgments.get(("", facet, e.name))
                entry = {"value": e.name, "count": e.count, "aliases": list(e.aliases)}
                if j is None:
                    if want_context:
                        entry["context"] = context_of(idx, facet, e.name)
                    unjudged.append(entry)
                elif j.verdict == "right":
                    right.append(entry)
                else:
                    wrong.append({**entry, "reason": j.reason})
            judged = len(right) + len(wrong)
            out[facet] = {
                "listed": len(rows), "right": len(right), "wrong": len(wrong), "unjudged": len(unjudged),
                "precision": round(len(right) / judged, 3) if judged else None,
                "wrong_values": wrong, "unjudged_values": unjudged,
            }
    return out


def print_table(results: dict[str, dict[str, Any]], top: int) -> None:
    print(f"\nprecision@{top} (right / judged; unjudged values in brackets)")
    names = list(results)
    print(f"{'facet':<8}" + "".join(f"{n:>22}" for n in names))
    for facet in FACETS:
        cells = []
        for n in names:
            r = results[n][facet]
            p = "-" if r["precision"] is None else f"{r['precision']:.3f}"
            extra = f" [{r['unjudged']}]" if r["unjudged"] else ""
            cells.append(f"{p} ({r['right']}/{r['right'] + r['wrong']}){extra}")
        print(f"{facet:<8}" + "".join(f"{c:>22}" for c in cells))


def print_wrong(results: dict[str, dict[str, Any]]) -> None:
    for n, res in results.items():
        for facet in FACETS:
            wrong = res[facet]["wrong_values"]
            if wrong:
                print(f"\n{n} {facet}: {len(wrong)} wrong")
                for w in wrong:
                    print(f"  {w['value']!r} ({w['count']}): {w['reason']}")


def write_unjudged(path: Path, results: dict[str, dict[str, Any]]) -> int:
    seen: set[tuple[str, str]] = set()
    lines = []
    for n, res in results.items():
        for facet in FACETS:
            for u in res[facet]["unjudged_values"]:
                if (facet, u["value"]) in seen:
                    continue
                seen.add((facet, u["value"]))
                note = f"{n} {u['count']}; aliases: {', '.join(u['aliases'][:8])}"
                if u.get("context"):
                    note += f"; e.g. {u['context']}"
                lines.append(f"{facet}\t{u['value']}\t?\t# {note}")
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return len(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--work", type=Path, default=Path("/tmp/searchkit-facet-precision"),
                    help="where indexes are built (each corpus's index-NAME is replaced)")
    ap.add_argument("--index", action="append", default=[], metavar="NAME=PATH",
                    help="reuse an existing index for a corpus instead of building one")
    ap.add_argument("--corpus", default="bbc,reuters")
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--judgments", type=Path, default=DEFAULT_JUDGMENTS)
    ap.add_argument("--unjudged", type=Path, help="write the unjudged values here, as lines to judge")
    ap.add_argument("--context", action="store_true", help="with --unjudged: add one passage per value")
    args = ap.parse_args(argv)

    given = dict(spec.split("=", 1) for spec in args.index)
    judgments = read_judgments(args.judgments)
    print(machine_line(), flush=True)
    print(f"judgments: {len(judgments)} lines in {args.judgments.name}")
    results: dict[str, dict[str, Any]] = {}
    ingests: dict[str, Any] = {}
    for name in [c for c in args.corpus.split(",") if c]:
        if name in given:
            index = Path(given[name])
        else:
            index, ingests[name] = build_index(name, args.data, args.work, args.workers)
            print(f"{name}: ingested {ingests[name]['articles']} articles in {ingests[name]['seconds']} s "
                  f"({ingests[name]['articles_per_s']} articles/s, {args.workers} workers)", flush=True)
        results[name] = score_corpus(name, index, args.top, judgments, args.context)
    print_table(results, args.top)
    print_wrong(results)
    if args.unjudged:
        n = write_unjudged(args.unjudged, results)
        print(f"\n{n} unjudged values written to {args.unjudged}")
    summary = {
        "top": args.top, "ingest": ingests,
        "precision": {n: {f: res[f]["precision"] for f in FACETS} for n, res in results.items()},
        "counts": {n: {f: {k: res[f][k] for k in ("right", "wrong", "unjudged")} for f in FACETS}
                   for n, res in results.items()},
        "stats": {n: res["_stats"] for n, res in results.items()},
    }
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
