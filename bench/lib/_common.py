"""Shared helpers for the benchmarks: paths, loaders, query normalisation, metrics, timing.

Run by hand, never from the tests. Everything here is stdlib-only so that a bench script
can import it before deciding which engines to load.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import resource
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"


def use_repo_searchkit() -> None:
    """Import searchkit from this checkout, installed or not."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


# --------------------------------------------------------------------------- queries

# The same stoplist for every engine, applied when the natural-language query is
# normalised (Whoosh's default English list, which is also what searchkit's analyzer uses),
# so that no engine wins or loses by its own stopword handling of the *query*.
STOP_WORDS = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or tbd that the "
    "this to us we when will with yet you your".split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def query_terms(text: str, stopwords: frozenset[str] = STOP_WORDS) -> list[str]:
    """A natural-language query → lower-case word tokens, query syntax and stopwords dropped.

    >>> query_terms('What "similarity laws" must be obeyed (AND/OR)?')
    ['what', 'similarity', 'laws', 'must', 'obeyed']
    """
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stopwords]
    # AND/OR/NOT are operators in every engine's parser even in lower case in some; they are
    # stopwords here anyway, and we never pass raw syntax through.
    return [w for w in words if w not in ("and", "or", "not", "near")]


# --------------------------------------------------------------------------- collections


@dataclass
class Collection:
    name: str
    docs: list[dict[str, Any]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query_id -> doc_id -> grade (0 = judged non-relevant)

    @property
    def judged_queries(self) -> list[str]:
        """Queries with at least one relevant document (the others are skipped)."""
        return [q for q in self.queries if any(g > 0 for g in self.qrels.get(q, {}).values())]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_collection(folder: Path) -> Collection:
    docs = list(read_jsonl(folder / "docs.jsonl"))
    queries = {q["id"]: q["text"] for q in read_jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels.tsv", encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return Collection(folder.name, docs, queries, qrels)


# --------------------------------------------------------------------------- metrics


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear graded gain and a log2(rank + 1) discount."""
    dcg = sum(grades.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def average_precision_at(ranked: list[str], grades: dict[str, int], k: int = 100) -> float:
    """AP over the top k (trec_eval map_cut_k: divided by all relevant documents)."""
    relevant = {d for d, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, d in enumerate(ranked[:k]):
        if d in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / len(relevant)


def precision_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    return sum(1 for d in ranked[:k] if grades.get(d, 0) > 0) / k


def evaluate(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, MAP@100 and P@10 over the queries that have a relevant document."""
    qids = [q for q in run if any(g > 0 for g in qrels.get(q, {}).values())]
    if not qids:
        return {"ndcg@10": 0.0, "map@100": 0.0, "p@10": 0.0, "queries": 0}
    return {
        "ndcg@10": statistics.fmean(ndcg_at(run[q], qrels[q]) for q in qids),
        "map@100": statistics.fmean(average_precision_at(run[q], qrels[q]) for q in qids),
        "p@10": statistics.fmean(precision_at(run[q], qrels[q]) for q in qids),
        "queries": len(qids),
    }


def per_query_ndcg(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    return {q: ndcg_at(r, qrels[q]) for q, r in run.items() if any(g > 0 for g in qrels.get(q, {}).values())}


# --------------------------------------------------------------------------- timing


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    i = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[i]


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MiB.

    Read from ``VmHWM`` rather than ``getrusage``: a forked-and-exec'd child inherits its
    parent's ``ru_maxrss``, which would charge the driver's memory to every engine."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """Largest peak RSS among waited-for children (worker processes), MiB. Inherited
    ``ru_maxrss`` makes this an upper bound: a worker forked from a big parent reports at
    least the parent's size at fork time."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed_process(cmd: list[str], env: dict[str, str], what: str) -> tuple[float, float]:
    """Wall and CPU ms (user + system of the child alone) of one run of ``cmd``."""
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = 1000 * (time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"cold {what} failed: {proc.stderr[-2000:]}")
    return wall, 1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def dir_size(path: Path | str) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def machine_line() -> str:
    """One line naming the machine and the versions measured."""
    versions = []
    for mod, label in (("whoosh", "whoosh3"), ("bm25s", "bm25s"), ("Stemmer", "PyStemmer"),
                       ("tantivy", "tantivy"), ("spacy", "spacy")):
        try:
            from importlib import metadata

            dist = {"whoosh": "whoosh3", "Stemmer": "PyStemmer"}.get(mod, mod)
            versions.append(f"{label} {metadata.version(dist)}")
        except Exception:  # noqa: BLE001 - a missing optional peer is just not listed
            pass
    import sqlite3

    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; " + ", ".join(versions))


def batched(items: Iterable[Any], n: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for it in items:
        batch.append(it)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Table:
    """A Markdown table printed as the script goes (the README pastes it as is)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def render(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def fmt(x: object) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        return f"{x:.3f}" if abs(x) < 10 else f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.1f}"
    return str(x)
