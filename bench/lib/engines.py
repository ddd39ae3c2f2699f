"""Peer engines for the benchmarks, behind one small interface.

Each engine indexes records ``{"id", "title", "text"}`` (plus, for the speed benchmark,
``"entities"``: a list of ``"type=Name"`` strings used as an exact-match filter) and answers
a query given as a list of already-normalised terms (see ``_common.query_terms``), as an OR
(the ranking benchmark) or an AND (the speed benchmark, like searchkit's default) of the
terms, or as a phrase. These are bench-only extras, not runtime dependencies.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Record = dict[str, Any]
Result = list[tuple[str, float, str | None]]  # (id, score, highlighted snippet or None)


class Engine:
    name = "?"

    def build(self, records: Iterable[Record], path: Path) -> int:
        """Index the records into ``path`` (created afresh); return the count."""
        raise NotImplementedError

    def open(self, path: Path) -> None:
        raise NotImplementedError

    def search(self, terms: list[str], limit: int = 10, *, phrase: bool = False,
               entity: str | None = None, highlight: bool = False, operator: str = "or") -> Result:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _fresh(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


# --------------------------------------------------------------------------- bm25s


class Bm25sEngine(Engine):
    """bm25s (Lucene BM25, k1=1.5 b=0.75) with the PyStemmer English stemmer and stopwords.

    In-memory only: ``path`` is ignored (bm25s is a ranking peer, not a speed peer)."""

    name = "bm25s"

    def build(self, records: Iterable[Record], path: Path) -> int:
        import bm25s
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        records = list(records)
        self._ids = [r["id"] for r in records]
        corpus = [f'{r.get("title") or ""}\n{r["text"]}' for r in records]
        tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._vocab = tokens.vocab
        self._retriever = bm25s.BM25()
        self._retriever.index(tokens, show_progress=False)
        return len(records)

    def open(self, path: Path) -> None:
        pass

    def search(self, terms: list[str], limit: int = 10, *, phrase: bool = False,
               entity: str | None = None, highlight: bool = False, operator: str = "or") -> Result:
        import bm25s

        q = bm25s.tokenize([" ".join(terms)], stopwords="en", stemmer=self._stemmer,
                           return_ids=False, show_progress=False)[0]
        q = [t for t in q if t in self._vocab]
        if not q:
            return []
        k = min(limit, len(self._ids))
        docs, scores = self._retriever.retrieve([q], k=k, show_progress=False)
        return [(self._ids[d], float(s), None) for d, s in zip(docs[0], scores[0]) if s > 0]


# --------------------------------------------------------------------------- tantivy


class TantivyEngine(Engine):
    """tantivy with its ``en_stem`` tokenizer (lower case + Snowball English), BM25 defaults."""

    name = "tantivy"

    def _schema(self) -> Any:
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
        sb.add_text_field("text", stored=True, tokenizer_name="en_stem")
        sb.add_text_field("entities", stored=False, tokenizer_name="raw")
        return sb.build()

    def build(self, records: Iterable[Record], path: Path, *, heap: int = 128_000_000,
              threads: int = 1) -> int:
        import tantivy

        _fresh(path)
        index = tantivy.Index(self._schema(), path=str(path))
        writer = index.writer(heap_size=heap, num_threads=threads)
        n = 0
        for r in records:
            writer.add_document(tantivy.Document(id=r["id"], title=r.get("title") or "", text=r["text"],
                                                 entities=list(r.get("entities") or [])))
            n += 1
        writer.commit()
        writer.wait_merging_threads()
        return n

    def open(self, path: Path) -> None:
        import tantivy

        self._index = tantivy.Index.open(str(path))
        self._index.reload()
        self._searcher = self._index.searcher()
        self._snippets: dict[str, Any] = {}

    def _query(self, terms: list[str], phrase: bool, entity: str | None, operator: str = "or") -> Any:
        import tantivy

        if phrase:
            text = '"' + " ".join(terms) + '"'
        else:
            must = "+" if operator == "and" else ""
            text = " ".join(f'{must}"{t}"' for t in terms)
        q = self._index.parse_query(text, ["title", "text"])
        if entity:
            f = tantivy.Query.term_query(self._index.schema, "entities", entity)
            q = tantivy.Query.boolean_query([(tantivy.Occur.Must, q), (tantivy.Occur.Must, f)])
        return q

    def search(self, terms: list[str], limit: int = 10, *, phrase: bool = False,
               entity: str | None = None, highlight: bool = False, operator: str = "or") -> Result:
        import tantivy

        if not terms:
            return []
        q = self._query(terms, phrase, entity, operator)
        hits = self._searcher.search(q, limit).hits
        gen = tantivy.SnippetGenerator.create(self._searcher, q, self._index.schema, "text") if highlight else None
        out: Result = []
        for score, addr in hits:
            doc = self._searcher.doc(addr)
            snippet = gen.snippet_from_doc(doc).to_html() if gen else None
            out.append((doc["id"][0], float(score), snippet))
        return out


# --------------------------------------------------------------------------- SQLite FTS5


class Fts5Engine(Engine):
    """SQLite FTS5 with the ``porter`` tokenizer, ranked by ``bm25()`` (k1=1.2, b=0.75)."""

    name = "fts5"

    def build(self, records: Iterable[Record], path: Path) -> int:
        _fresh(path)
        db = sqlite3.connect(path / "fts.db")
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text, entities, "
                   "tokenize='porter unicode61')")
        n = 0
        with db:
            for r in records:
                db.execute("INSERT INTO docs(id, title, text, entities) VALUES (?, ?, ?, ?)",
                           (r["id"], r.get("title") or "", r["text"],
                            " ".join(_fts_entity_token(e) for e in r.get("entities") or [])))
                n += 1
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        db.commit()
        db.close()
        return n

    def open(self, path: Path) -> None:
        self._db = sqlite3.connect(path / "fts.db")

    def search(self, terms: list[str], limit: int = 10, *, phrase: bool = False,
               entity: str | None = None, highlight: bool = False, operator: str = "or") -> Result:
        if not terms:
            return []
        if phrase:
            match = '{title text}: "' + " ".join(terms) + '"'
        else:
            joiner = " AND " if operator == "and" else " OR "
            match = "{title text}: (" + joiner.join(f'"{t}"' for t in terms) + ")"
        if entity:
            match = f'({match}) AND entities: "{_fts_entity_token(entity)}"'
        cols = "id, bm25(docs)" + (", highlight(docs, 2, '<b>', '</b>')" if highlight else ", NULL")
        rows = self._db.execute(f"SELECT {cols} FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                                (match, limit)).fetchall()
        return [(i, -s, h) for i, s, h in rows]

    def close(self) -> None:
        self._db.close()


def _fts_entity_token(entity: str) -> str:
    """``place=New York`` → one FTS5 token (the unicode61 tokenizer splits on anything else)."""
    return "".join(c if c.isalnum() else "x" for c in entity.lower())


# --------------------------------------------------------------------------- plain Whoosh


class WhooshEngine(Engine):
    """Plain Whoosh: a minimal schema (id, title, text; StemmingAnalyzer), BM25F defaults,
    OR of the terms. The floor that searchkit's own layers must not sink far below."""

    name = "whoosh"

    def __init__(self, k1: float = 1.2, b: float = 0.75, title_boost: float = 1.0,
                 procs: int = 1, multisegment: bool = False, analyzer: str = "standard",
                 exact: bool = False) -> None:
        self.k1, self.b, self.title_boost = k1, b, title_boost
        self.procs, self.multisegment = procs, multisegment
        # "standard": Whoosh's StemmingAnalyzer (stop list, words of 2+ letters); "news":
        # searchkit's own analyzer (every word, symbols in names), so that the comparison
        # with searchkit is of the engine, not of the words indexed. ``exact`` adds the
        # case-kept, unstemmed twins of title and text that searchkit indexes (their cost).
        self.analyzer, self.exact = analyzer, exact

    def _schema(self) -> Any:
        from whoosh import fields
        from whoosh.analysis import StemmingAnalyzer

        if self.analyzer == "news" or self.exact:
            from _common import use_repo_searchkit

            use_repo_searchkit()
        if self.analyzer == "news":
            from searchkit.store.analysis import NewsAnalyzer

            ana: Any = NewsAnalyzer()
        else:
            ana = StemmingAnalyzer()
        extra: dict[str, Any] = {}
        if self.exact:
            from searchkit.store.analysis import NewsAnalyzer

            extra = dict(exact=fields.TEXT(analyzer=NewsAnalyzer(exact=True)),
                         title_exact=fields.TEXT(analyzer=NewsAnalyzer(exact=True)))
        return fields.Schema(id=fields.ID(stored=True, unique=False),
                             title=fields.TEXT(analyzer=ana, stored=True),
                             text=fields.TEXT(analyzer=ana, stored=True),
                             entities=fields.KEYWORD(commas=True, lowercase=False), **extra)

    def build(self, records: Iterable[Record], path: Path) -> int:
        from whoosh import index

        _fresh(path)
        ix = index.create_in(str(path), self._schema())
        kw: dict[str, Any] = {"limitmb": 256}
        if self.procs > 1:
            kw.update(procs=self.procs, multisegment=self.multisegment)
        w = ix.writer(**kw)
        n = 0
        for r in records:
            twins = dict(exact=r["text"], title_exact=r.get("title") or "") if self.exact else {}
            w.add_document(id=r["id"], title=r.get("title") or "", text=r["text"],
                           entities=",".join(r.get("entities") or []), **twins)
            n += 1
        w.commit()
        ix.close()
        return n

    def open(self, path: Path) -> None:
        from whoosh import index, scoring

        self._ix = index.open_dir(str(path))
        self._searcher = self._ix.searcher(weighting=scoring.BM25F(B=self.b, K1=self.k1))

    def _query(self, terms: list[str], phrase: bool, entity: str | None, operator: str = "or") -> Any:
        from whoosh import query as Q

        ana = self._ix.schema["text"].analyzer
        stems = [t.text for t in ana(" ".join(terms))]
        if not stems:
            return None
        if phrase:
            q: Any = Q.Or([Q.Phrase("title", stems, boost=self.title_boost), Q.Phrase("text", stems)])
        elif operator == "and":
            q = Q.And([Q.Or([Q.Term("title", s, boost=self.title_boost), Q.Term("text", s)]) for s in stems])
        else:
            q = Q.Or([Q.Term("title", s, boost=self.title_boost) for s in stems] +
                     [Q.Term("text", s) for s in stems])
        if entity:
            q = Q.And([q, Q.Term("entities", entity)])
        return q

    def search(self, terms: list[str], limit: int = 10, *, phrase: bool = False,
               entity: str | None = None, highlight: bool = False, operator: str = "or") -> Result:
        q = self._query(terms, phrase, entity, operator)
        if q is None:
            return []
        results = self._searcher.search(q, limit=limit, terms=highlight)
        out: Result = []
        for hit in results:
            snippet = hit.highlights("text", top=1) if highlight else None
            out.append((hit["id"], float(hit.score), snippet))
        return out

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()


def make_engine(name: str) -> Engine:
    """A peer by name; ``whoosh-p2`` is plain Whoosh indexing with 2 processes (multisegment)."""
    if name == "whoosh-p2":
        e = WhooshEngine(procs=2, multisegment=True)
        e.name = "whoosh-p2"
        return e
    if name in ("whoosh-news", "whoosh-news-exact"):  # searchkit's analyzer; + its exact fields
        e = WhooshEngine(analyzer="news", exact=name.endswith("exact"))
        e.name = name
        return e
    return PEERS[name]()


def cold_query(name: str, path: str, terms: list[str]) -> None:
    """What a minimal CLI on each peer does in a fresh process: open, one query, print."""
    engine = make_engine(name)
    engine.open(Path(path))
    for doc_id, score, snippet in engine.search(terms, 10, highlight=True, operator="and"):
        print(doc_id, round(score, 3), snippet)
    engine.close()


PEERS = {"bm25s": Bm25sEngine, "tantivy": TantivyEngine, "fts5": Fts5Engine, "whoosh": WhooshEngine}
