"""What ``searchkit stats`` shows: the size and contents of an index."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TYPE_CHECKING

from whoosh import query as Q

from ..results import FACETS
from ..store.documents import KIND_ARTICLE
from ..store.schema import SCHEMA_VERSION

if TYPE_CHECKING:  # the table is loaded only when a filter or facets need it
    from ..entity_table import EntityTable


@dataclass(frozen=True)
class IndexStats:
    path: str
    articles: int
    passages: int
    size_bytes: int
    segments: int
    generation: int
    schema_version: int
    sites: tuple[tuple[str, int], ...]
    first_date: str | None
    last_date: str | None
    entities: dict[str, int] = field(default_factory=dict)  # facet -> distinct canonical entities
    languages: tuple[tuple[str, int], ...] = ()  # (ISO 639-1 code, articles), most first
    inputs: tuple[tuple[str, int], ...] = ()  # (input kind: html, txt, jsonl, warc..., articles), most first

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "articles": self.articles, "passages": self.passages,
            "size_bytes": self.size_bytes, "segments": self.segments, "generation": self.generation,
            "schema_version": self.schema_version,
            "sites": [{"site": s, "articles": n} for s, n in self.sites],
            "first_date": self.first_date, "last_date": self.last_date, "entities": self.entities,
            "languages": [{"language": lang, "articles": n} for lang, n in self.languages],
            "inputs": [{"kind": kind, "articles": n} for kind, n in self.inputs],
        }


def index_stats(searcher: Any, path: Path, generation: int, table: EntityTable) -> IndexStats:
    """Counts of articles, passages, sites, dates and entities, read from ``searcher``."""
    article_docs = searcher.search(Q.Term("kind", KIND_ARTICLE), limit=None, scored=False)
    articles = len(article_docs)
    sites: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    inputs: Counter[str] = Counter()
    dates: list[datetime] = []
    for docnum in article_docs.docs():
        f = searcher.stored_fields(docnum)
        if f.get("site"):
            sites[f["site"]] += 1
        record = _record(f.get("record"))
        languages[record.get("metadata", {}).get("language") or "und"] += 1
        inputs[record.get("input_kind") or "txt"] += 1
        if isinstance(f.get("date"), datetime):
            dates.append(f["date"])
    reader = searcher.reader()
    return IndexStats(
        path=str(path), articles=articles, passages=searcher.doc_count() - articles,
        size_bytes=folder_size(path),
        segments=len(reader.leaf_readers()) if hasattr(reader, "leaf_readers") else 1,
        generation=generation, schema_version=SCHEMA_VERSION,
        sites=tuple(sites.most_common(10)),
        first_date=min(dates).date().isoformat() if dates else None,
        last_date=max(dates).date().isoformat() if dates else None,
        entities={f: len(table.entities(f)) for f in FACETS},
        languages=tuple(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        inputs=tuple(sorted(inputs.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _record(record: str | None) -> dict[str, Any]:
    """An article document's stored record (its language, input kind...), {} if unreadable."""
    try:
        got = json.loads(record) if record else {}
    except ValueError:
        return {}
    return got if isinstance(got, dict) else {}


def folder_size(path: Path) -> int:
    """Bytes in the index folder (a sharded index's shards included). A concurrent ingest's
    commit may delete a file between the listing and its stat: that file no longer counts."""
    total = 0
    for p in path.iterdir():
        try:
            if p.is_file():
                total += p.stat().st_size
            elif p.is_dir() and p.name == "shards":
                total += sum(folder_size(s) for s in p.iterdir() if s.is_dir())
        except FileNotFoundError:
            continue
    return total
