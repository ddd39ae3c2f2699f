"""Replay the entity stage over cached model output, to choose its constants quickly.

    python bench/tuning/entity_replay.py cache  [--data DIR] [--cache DIR] [--corpus bbc,reuters]
    python bench/tuning/entity_replay.py sweep  [--cache DIR] [--set NAME=VALUE,...] ...
    python bench/tuning/entity_replay.py table  --index bbc=PATH --index reuters=PATH [--set ...]
    python bench/tuning/entity_replay.py ner    --conll FILE [--conll FILE] [--set ...]

Why: the facet benchmark (``bench/quality/facet_precision.py``) ingests both archives for
every setting, ~10 minutes a run on a loaded machine, most of it the spaCy model. The model's
output does not depend on the entity stage's constants, so ``cache`` runs the real ingest
path once (``searchkit.ingest.build.build_articles``: cleaning, language, passages) with an
extractor that also saves every article's processed ``Doc`` (spaCy ``DocBin``), and ``sweep``
re-runs only the resolution, the passages' values and the index-wide table
(:class:`searchkit.entity_table.EntityTable`, with the word counts of the cached corpus) for
each setting, and scores the top 100 of each facet against ``bench/quality/facet_judgments.tsv``.
The figures are those of the real benchmark up to what ingest adds on top (duplicate skips);
the real benchmark gives the reported numbers. ``table`` replays the index-wide table only,
from the value and word counts of existing indexes (seconds a setting). ``ner`` scores the
entity stage on CoNLL files as ``bench/quality/ner_eval.py`` does (same documents, same
exact-span scoring), with the model run once and the resolution once per setting.

A setting is ``MODULE.NAME=VALUE`` with MODULE one of ``resolution``, ``table``, ``candidates``,
``context``: the constant is set on the module for that replay (a bench-only shortcut: the
stage reads its constants from the module). Each ``--set`` is one variant; the baseline
(today's constants) always runs first. Unjudged values count as neither right nor wrong and
are listed with ``--unjudged``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import pickle
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))
sys.path.insert(0, str(HERE.parent / "quality"))

from _common import DEFAULT_DATA, use_repo_searchkit  # noqa: E402

use_repo_searchkit()

from facet_precision import DEFAULT_JUDGMENTS, FACETS, corpus_inputs, read_judgments  # noqa: E402

from searchkit import entity_candidates, entity_consistency, entity_context, entity_resolution, entity_table  # noqa: E402
from searchkit.entities import EntityExtractor  # noqa: E402
from searchkit.entity_table import EntityTable  # noqa: E402

MODULES = {"consistency": entity_consistency, "resolution": entity_resolution, "table": entity_table, "candidates": entity_candidates,
           "context": entity_context}


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class CachingExtractor(EntityExtractor):
    """The real extractor; it keeps each article's Doc so a sweep can replay it."""

    def __init__(self) -> None:
        super().__init__()
        self.docs: dict[str, bytes] = {}

    def extract_many(self, texts: Iterable[str], batch_size: int = 16) -> Iterator[Any]:
        texts = list(texts)
        for text, doc in zip(texts, self._docs(texts, batch_size)):
            self.docs[_key(text)] = doc.to_bytes(exclude=["user_data", "tensor"])
            yield entity_resolution.resolve_article(doc)


class ReplayExtractor:
    """Resolution over cached Docs (no model run)."""

    def __init__(self, docs: dict[str, bytes], vocab: Any) -> None:
        self.docs, self.vocab = docs, vocab

    def extract_many(self, texts: Iterable[str], batch_size: int = 16) -> Iterator[Any]:
        from spacy.tokens import Doc

        for text in texts:
            yield entity_resolution.resolve_article(Doc(self.vocab).from_bytes(self.docs[_key(text)]))

    def extract(self, text: str) -> Any:
        return next(self.extract_many([text]))


def sources_of(name: str, data: Path, work: Path) -> list[Any]:
    from searchkit.load import read_file

    out = []
    if name == "corpus":  # the repository's own sample articles (its README is no article)
        inputs = [p for p in (HERE.parents[1] / "corpus").iterdir() if p.name != "README.md"]
    else:
        inputs = corpus_inputs(name, data, work)
    for inp in sorted(inputs):
        paths = sorted(p for p in inp.rglob("*") if p.is_file()) if inp.is_dir() else [inp]
        for p in paths:
            out.extend(read_file(str(p))[0])
    return out


def passages_of(sources: list[Any], extractor: Any, batch: int = 64) -> list[Any]:
    from searchkit.ingest.build import build_articles
    from searchkit.records import Article

    out = []
    for i in range(0, len(sources), batch):
        out.extend(a for a in build_articles(sources[i : i + batch], extractor) if isinstance(a, Article))
    return out


def word_counter(articles: list[Any]) -> Any:
    """Passages containing a word, as the index's text analyzer sees it."""
    from searchkit.store.schema import build_schema

    analyzer = build_schema()["text"].analyzer
    df: Counter[str] = Counter()
    for a in articles:
        for p in a.passages:
            df.update({t.text for t in analyzer(p.text)})

    def passages(word: str) -> int:
        terms = [t.text for t in analyzer(word)]
        return df[terms[0]] if terms else 0

    return passages


def cache(args: argparse.Namespace) -> None:
    args.cache.mkdir(parents=True, exist_ok=True)
    for name in args.corpus.split(","):
        t0 = time.perf_counter()
        ex = CachingExtractor()
        sources = sources_of(name, args.data, args.cache)
        articles = passages_of(sources, ex)
        with open(args.cache / f"{name}.pickle", "wb") as f:
            pickle.dump({"docs": ex.docs, "sources": len(sources)}, f)
        print(f"{name}: {len(articles)} articles cached in {time.perf_counter() - t0:.0f} s", flush=True)


def facet_counts(articles: list[Any]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for a in articles:
        for p in a.passages:
            for facet, values in p.entities.items():
                counts[facet].update(set(values))
    return {f: dict(counts[f]) for f in FACETS}


def score(name: str, table: EntityTable, judgments: Any, top: int) -> dict[str, Any]:
    out = {}
    for facet in FACETS:
        right = wrong = 0
        unjudged, wrong_values = [], []
        for e in table.entities(facet)[:top]:
            j = judgments.get((name, facet, e.name)) or judgments.get(("", facet, e.name))
            if j is None:
                unjudged.append((e.name, e.count))
            elif j.verdict == "right":
                right += 1
            else:
                wrong += 1
                wrong_values.append((e.name, e.count))
        out[facet] = {"p": round(right / (right + wrong), 3) if right + wrong else None,
                      "right": right, "wrong": wrong, "unjudged": unjudged, "wrong_values": wrong_values}
    return out


@contextlib.contextmanager
def applied(setting: dict[tuple[str, str], Any]) -> Iterator[None]:
    """The entity stage's constants set to ``setting`` for the block, restored after it."""
    saved = {k: getattr(MODULES[k[0]], k[1]) for k in setting}
    for (module, const), value in setting.items():
        setattr(MODULES[module], const, value)
    try:
        yield
    finally:
        for (module, const), value in saved.items():
            setattr(MODULES[module], const, value)


def parse_setting(spec: str) -> dict[tuple[str, str], Any]:
    out = {}
    for part in filter(None, re.split(r",(?=\w+\.\w+=)", spec)):
        lhs, value = part.split("=", 1)
        module, name = lhs.split(".", 1)
        out[(module, name)] = json.loads(value)
    return out


def sweep(args: argparse.Namespace) -> None:
    import spacy

    judgments = read_judgments(args.judgments)
    vocab = spacy.blank("en").vocab
    loaded = {}
    given = dict(spec.split("=", 1) for spec in args.index)
    for name in (args.corpus.split(",") if args.mode == "sweep" else []):
        with open(args.cache / f"{name}.pickle", "rb") as f:
            loaded[name] = pickle.load(f)
        loaded[name]["sources"] = sources_of(name, args.data, args.cache)
    results = {}
    for spec in ["", *args.set]:
        with applied(parse_setting(spec)):
            row = {}
            for name, idx in given.items():
                from whoosh import index as whoosh_index

                from searchkit.store.documents import facet_value_counts, word_passage_counts

                with whoosh_index.open_dir(idx).reader() as reader:
                    table = EntityTable.build(facet_value_counts(reader), word_passage_counts(reader))
                row[name] = score(name, table, judgments, args.top)
            for name, c in loaded.items():
                articles = passages_of(c["sources"], ReplayExtractor(c["docs"], vocab))
                if "df" not in c:  # the passages' text is the same in every variant
                    c["df"] = word_counter(articles)
                table = EntityTable.build(facet_counts(articles), c["df"])
                row[name] = score(name, table, judgments, args.top)
            results[spec or "baseline"] = row
        cells = " ".join(f"{n}:{f[:3]}={r[f]['p']}({r[f]['right']}/{r[f]['right'] + r[f]['wrong']},u{len(r[f]['unjudged'])})"
                         for n, r in row.items() for f in FACETS)
        print(f"{spec or 'baseline'}: {cells}", flush=True)
        if args.unjudged:
            for n, r in row.items():
                for f in FACETS:
                    for v, cnt in r[f]["unjudged"]:
                        print(f"  unjudged {n} {f}\t{v}\t{cnt}")
                    for v, cnt in r[f]["wrong_values"] if args.wrong else ():
                        print(f"  wrong {n} {f}\t{v}\t{cnt}")
    print(json.dumps({k: {n: {f: r[f]["p"] for f in FACETS} for n, r in row.items()} for k, row in results.items()}))


def ner(args: argparse.Namespace) -> None:
    from ner_eval import FACET_TYPES, TYPES, make_doc, read_conll, token_span
    from ner_eval import score as ner_score

    from searchkit.entity_resolution import resolve_article

    extractor = EntityExtractor()
    sets = {}
    for path in args.conll:
        docs = read_conll(path)
        gold = {(n, s, e, t) for n, d in enumerate(docs) for s, e, t in d.gold if t in TYPES}
        built = [make_doc(extractor.nlp.vocab, d) for d in docs]
        processed = list(extractor.nlp.pipe((b[0] for b in built), batch_size=16))
        sets[path.name] = (built, processed, gold)
    table = {}
    for spec in ["", *args.set]:
        with applied(parse_setting(spec)):
            row = {}
            for name, (built, processed, gold) in sets.items():
                pred = set()
                for n, doc in enumerate(processed):
                    _, index = built[n]
                    for m in resolve_article(doc).mentions:
                        kind = FACET_TYPES.get(m.type)
                        span = token_span(doc, index, m.start, m.end) if kind else None
                        if span:
                            pred.add((n, span[0], span[1], kind))
                scores = ner_score(pred, gold)
                row[name] = {t: scores[t]["f1"] for t in (*TYPES, "micro")}
        table[spec or "baseline"] = row
        print(f"{spec or 'baseline'}: " + " ".join(f"{n}:{t}={f:.4f}" for n, r in row.items() for t, f in r.items()), flush=True)
    print(json.dumps(table))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("cache", "sweep", "table", "ner"))
    ap.add_argument("--conll", action="append", type=Path, default=[])
    ap.add_argument("--index", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/searchkit-entity-replay"))
    ap.add_argument("--corpus", default="bbc,reuters")
    ap.add_argument("--judgments", type=Path, default=DEFAULT_JUDGMENTS)
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=JSON,...")
    ap.add_argument("--unjudged", action="store_true")
    ap.add_argument("--wrong", action="store_true", help="list the wrong values too")
    args = ap.parse_args()
    {"cache": cache, "ner": ner}.get(args.mode, sweep)(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
