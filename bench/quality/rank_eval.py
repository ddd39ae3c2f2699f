"""Ranking benchmark: searchkit against peer engines on IR test collections.

    python bench/quality/rank_eval.py [COLLECTION_DIR ...] [--engines searchkit,bm25s,tantivy,fts5,whoosh]

Each COLLECTION_DIR holds ``docs.jsonl`` (id, title, text), ``queries.jsonl`` (id, text) and
``qrels.tsv`` (header; query_id, doc_id, relevance); the default is
``../shared/data/ir/{cranfield,cisi,med}`` next to the repo. Every document goes through
searchkit's real pipeline (clean, passages, entities) into a temporary index and every query
through ``Index.search`` as the CLI calls it; the article-collapsed ranking (first hit per
article) is the document ranking. Peers index the same documents (title + text) and get the
same normalised query: the OR of its terms (``_common.query_terms``).

Metrics: nDCG@10 (linear graded gain, log2 discount), MAP@100, P@10, over the queries with a
relevant document. The last line printed is one JSON object: collection → engine → metrics.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from _common import (DEFAULT_DATA, Collection, Table, evaluate, load_collection,  # noqa: E402
                     machine_line, query_terms, use_repo_searchkit)
from engines import PEERS, Engine  # noqa: E402

use_repo_searchkit()  # before anything imports searchkit (ranking_variants does): this checkout's, not an installed one

DEPTH = 100  # documents ranked per query (MAP@100)


class SearchkitEngine(Engine):
    """searchkit through its public API: ingest a JSONL file, search with ``operator="or"``.

    ``variant`` names a :class:`~searchkit.settings.RankingParams` from
    ``ranking_variants.VARIANTS``, passed to ``open_index`` (no variant changes the index)."""

    name = "searchkit"
    _built: dict[str, Path] = {}  # collection -> folder (no variant changes the index)

    def __init__(self, variant: str = "as-is", **search_options: Any) -> None:
        from ranking_variants import VARIANTS

        self.variant = variant
        self.ranking = VARIANTS[variant]
        self.search_options = search_options
        if variant != "as-is":
            self.name = f"searchkit[{variant}]"

    def build(self, records: Any, path: Path) -> int:
        records = list(records)
        key = path.name.split("-")[0]
        if key in self._built:  # same index: reuse it, only the query side differs
            self._line_to_id = {n: r["id"] for n, r in enumerate(records, start=1)}
            self._path = self._built[key]
            return len(records)
        n = self._ingest(records, path)
        self._built[key] = self._path = path
        return n

    def _ingest(self, records: Any, path: Path) -> int:
        use_repo_searchkit()
        import searchkit

        path.mkdir(parents=True, exist_ok=True)
        jsonl = path / "docs.jsonl"
        self._line_to_id: dict[int, str] = {}
        with open(jsonl, "w", encoding="utf-8") as f:
            for n, r in enumerate(records, start=1):
                f.write(json.dumps({"id": r["id"], "title": r.get("title") or "", "text": r["text"]}) + "\n")
                self._line_to_id[n] = r["id"]
        self._jsonl = jsonl
        report = searchkit.ingest([str(jsonl)], index=str(path / "index"), workers=2, progress=None)
        self.report = report
        return len(self._line_to_id)

    def open(self, path: Path) -> None:
        import searchkit

        self._idx = searchkit.open_index(str(self._path / "index"), ranking=self.ranking)
        self._ids = set(self._line_to_id.values())

    def doc_id(self, hit: Any) -> str:
        """The collection's id of a hit: its source id is ``path#<id>``, or ``path#L<line>``
        for a JSONL line without an id."""
        tail = hit.source_id.rsplit("#", 1)[1]
        return tail if tail in self._ids else self._line_to_id[int(tail[1:])]

    def search(self, terms: list[str], limit: int = 10, **_: Any) -> list[tuple[str, float, None]]:
        if not terms:
            return []
        opts = {"operator": "or", "collapse": True, "highlight": False, **self.search_options}
        res = self._idx.search(" ".join(terms), limit=limit * 2, **opts)
        seen: dict[str, float] = {}
        for hit in res.hits:
            d = self.doc_id(hit)
            if d not in seen:
                seen[d] = hit.score
        return [(d, s, None) for d, s in list(seen.items())[:limit]]

    def close(self) -> None:
        self._idx.close()


def make_engine(name: str) -> Engine:
    if name == "searchkit":
        return SearchkitEngine()
    if name.startswith("searchkit[") and name.endswith("]"):
        return SearchkitEngine(name[len("searchkit["):-1])
    return PEERS[name]()


def run_engine(engine: Engine, coll: Collection, workdir: Path) -> tuple[dict[str, list[str]], float, float]:
    """Index the collection, run its judged queries; return the run and the two timings."""
    path = workdir / f"{coll.name}-{engine.name}"
    t0 = time.perf_counter()
    engine.build(coll.docs, path)
    engine.open(path)
    t1 = time.perf_counter()
    run = {q: [d for d, _, _ in engine.search(query_terms(coll.queries[q]), DEPTH)]
           for q in coll.judged_queries}
    t2 = time.perf_counter()
    engine.close()
    return run, t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("collections", nargs="*", type=Path,
                    default=[DEFAULT_DATA / "ir" / c for c in ("cranfield", "cisi", "med")])
    ap.add_argument("--engines", default="searchkit,bm25s,tantivy,fts5,whoosh",
                    help="comma-separated, from: searchkit, searchkit[VARIANT] (see ranking_variants.py), "
                    + ", ".join(PEERS))
    ap.add_argument("--runs", type=Path, help="also write per-query rankings here (JSON)")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    print(machine_line())
    results: dict[str, dict[str, dict[str, float]]] = {}
    runs: dict[str, dict[str, dict[str, list[str]]]] = {}
    table = Table(["collection", "engine", "nDCG@10", "MAP@100", "P@10", "queries", "index s", "query ms"])
    with tempfile.TemporaryDirectory(prefix="searchkit-rank-") as tmp:
        for folder in args.collections:
            coll = load_collection(folder)
            results[coll.name] = {}
            for name in names:
                try:
                    run, t_index, t_query = run_engine(make_engine(name), coll, Path(tmp))
                except ImportError as e:
                    print(f"# {name}: skipped ({e})", file=sys.stderr)
                    continue
                m = evaluate(run, coll.qrels)
                results[coll.name][name] = {k: round(v, 4) for k, v in m.items()}
                runs.setdefault(coll.name, {})[name] = run
                table.add(coll.name, name, m["ndcg@10"], m["map@100"], m["p@10"], m["queries"],
                          t_index, 1000 * t_query / max(1, m["queries"]))
                print(table.render().splitlines()[-1], flush=True)
    print()
    print(table.render())
    if args.runs:
        args.runs.write_text(json.dumps(runs))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
