"""Article <-> Whoosh documents: what ingest writes for an article, and how it is read back.

An article is written as one ``article`` document followed by one ``passage`` document per
passage, in that order, in one writer: document order is the link between them. A segment
keeps the order of its documents and a merge keeps each segment's order, so an article's
passages always follow its article document; ``--in-article`` relies on it to find the
passages of matching articles, and re-ranking to find an article's ``body``.

The article document carries the stored JSON record (:func:`article_record`: what ``show``
and incremental ingest need), the article-wide entity sets and the whole-article ``body``;
passage documents carry the text, the title and the passage's own entities.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..results import FACETS, Entity
from ..text import SURROGATES, parse_iso_datetime
from .schema import ARTICLE_FIELD, GENERATION_FIELD, article_facet

if TYPE_CHECKING:  # the records of ingest and show: a search does not load them
    from ..records import Article, Metadata, Passage, Removal

KIND_ARTICLE = "article"
"""``kind`` of the one document per article (record, article-wide entities, ``body``)."""
KIND_PASSAGE = "passage"
"""``kind`` of the documents a text query matches."""

@dataclass(frozen=True)
class FileStamp:
    """What incremental ingest remembers of a file: its hash and how many articles it held.

    The count matters after a killed run: a JSONL file whose articles were only partly
    committed has the right hash on every committed record, yet must be read again."""

    file_hash: str
    sources: int


def keyword_value(names: Iterable[str]) -> str:
    """Join canonical names for a comma-separated KEYWORD field (commas inside names become spaces)."""
    return ",".join(n.replace(",", " ").strip() for n in names if n and n.strip())


def keyword_values(value: str) -> tuple[str, ...]:
    """The names a :func:`keyword_value` string holds."""
    return tuple(v for v in value.split(",") if v)


def tag_value(tags: dict[str, tuple[str, ...]]) -> str:
    """Tags as the ``tag`` field holds them: ``key=value`` pairs, comma-separated (a comma
    inside a value becomes a space)."""
    return keyword_value(f"{k}={v}" for k, values in tags.items() for v in values if v.strip())


def tag_values(value: str) -> dict[str, tuple[str, ...]]:
    """The tags a :func:`tag_value` string holds, key -> values, as written."""
    out: dict[str, list[str]] = {}
    for pair in keyword_values(value):
        key, _, v = pair.partition("=")
        out.setdefault(key, []).append(v)
    return {k: tuple(v) for k, v in out.items()}


def article_body(title: str | None, passage_texts: Iterable[str]) -> str:
    """What ``body`` holds: the title, then every passage (together, the clean text's words).
    A passage that is the title again (a record whose only text is its headline) is left out,
    so the article score counts the headline's words once, as a peer indexing title + text
    would not count them twice either."""
    return "\n\n".join([title or "", *(t for t in passage_texts if not title or t != title)])


def article_record(a: Article, file_hash: str, file_sources: int | None = None) -> dict[str, Any]:
    """The JSON record stored on an article's document."""
    return {
        "article_id": a.article_id, "source_id": a.source_id, "path": a.path,
        "content_hash": a.content_hash, "file_hash": file_hash, "file_sources": file_sources,
        "metadata": a.metadata.to_dict(), "removed": [r.to_dict() for r in a.removed],
        "entities": [e.to_dict() for e in a.entities], "passages": len(a.passages),
        "chars": len(a.text), "tags": {k: list(v) for k, v in a.tags.items()}, "input_kind": a.input_kind,
    }


def record_json(rec: dict[str, Any]) -> str:
    text = json.dumps(rec, ensure_ascii=False)
    if SURROGATES.search(text):  # a file name with undecodable bytes: keep it exact, escaped
        text = json.dumps(rec, ensure_ascii=True)
    return text


def article_documents(a: Article, stamp: FileStamp, generation: int | None = None) -> list[dict[str, Any]]:
    """The documents of one article, in the order they must be added (article first)."""
    from ..load import display_path

    md = a.metadata
    # Indexed fields must be valid Unicode; the exact path (maybe with surrogate escapes)
    # lives in the stored record, which incremental ingest reads.
    common: dict[str, Any] = {"article_id": a.article_id, "path": display_path(a.path),
                              "source_id": display_path(a.source_id)}
    if md.site:
        common["site"] = md.site
    if md.url:
        common["url"] = md.url
    date = parse_iso_datetime(md.date)
    if date is not None:
        common["date"] = date
    article_sets = {article_facet(f): keyword_value([e.name for e in a.entities if e.type == f]) for f in FACETS}
    body = {ARTICLE_FIELD: article_body(md.title, (p.text for p in a.passages))}
    docs = [dict(kind=KIND_ARTICLE, record=record_json(article_record(a, stamp.file_hash, stamp.sources)),
                 input_kind=a.input_kind, **common, **body, **{k: v for k, v in article_sets.items() if v},
                 **({GENERATION_FIELD: generation} if generation is not None else {}))]
    tags = tag_value(a.tags)
    if tags:
        common["tag"] = tags
    for p in a.passages:
        doc = dict(common)
        doc.update(kind=KIND_PASSAGE, passage_id=p.passage_id, ordinal=p.ordinal, start=p.start, end=p.end,
                   text=p.text, exact=p.text)
        if p.line is not None:
            doc["line"] = p.line
        if md.title:
            doc["title"] = doc["title_exact"] = md.title
        for f in FACETS:
            if p.entities.get(f):
                doc[f] = keyword_value(p.entities[f])
        docs.append(doc)
    return docs


def add_article(writer: Any, a: Article, stamp: FileStamp, generation: int | None = None) -> None:
    """Add an article's documents to a Whoosh writer, in document order (see the module doc);
    ``generation``: the index generation that wrote the article (see ``GENERATION_FIELD``)."""
    for doc in article_documents(a, stamp, generation):
        writer.add_document(**doc)


def article_from_documents(aid: str, docs: Iterable[dict[str, Any]]) -> Article | None:
    """An article rebuilt from the stored fields of its documents (its record and passages),
    with the entity names as stored; None without the article's record. The text is its
    passages joined by blank lines."""
    from ..records import Article, Passage

    record = None
    passages = []
    for d in docs:
        if d.get("record"):
            record = json.loads(d["record"])
        elif "passage_id" in d:
            passages.append(Passage(aid, int(d["ordinal"]), int(d["start"]), int(d["end"]), d.get("text", ""),
                                    {f: keyword_values(d[f]) for f in FACETS if d.get(f)}, d.get("line")))
    if record is None:
        return None
    md, removed, ents = load_record(record)
    passages.sort(key=lambda p: p.ordinal)
    text = "\n\n".join(p.text for p in passages)
    return Article(aid, record["source_id"], record["path"], record["content_hash"], text, md, removed, ents,
                   tuple(passages), {k: tuple(v) for k, v in record.get("tags", {}).items()},
                   record.get("input_kind", "txt"))


def load_record(rec: dict[str, Any]) -> tuple[Metadata, tuple[Removal, ...], tuple[Entity, ...]]:
    """Rebuild records from an article document's stored JSON."""
    from ..records import Metadata, Removal

    md = Metadata(**rec.get("metadata", {}))
    removed = tuple(Removal(**r) for r in rec.get("removed", []))
    ents = tuple(Entity(e["name"], e["type"], e.get("count", 1), tuple(e.get("aliases", ())))
                 for e in rec.get("entities", []))
    return md, removed, ents


def stored_records(searcher: Any) -> dict[str, dict[str, Any]]:
    """source_id → stored article record, read from the index's ``article`` documents."""
    out: dict[str, dict[str, Any]] = {}
    for fields_ in searcher.documents(kind=KIND_ARTICLE):
        rec = json.loads(fields_["record"])
        out[rec.get("source_id") or fields_["source_id"]] = rec
    return out


def facet_value_counts(reader: Any) -> dict[str, dict[str, int]]:
    """facet → {stored value: number of passages}, read from the index lexicons."""
    counts: dict[str, dict[str, int]] = {}
    for f in FACETS:
        values: dict[str, int] = {}
        if f in reader.schema:
            field_ = reader.schema[f]
            for btext, info in reader.iter_field(f):
                values[field_.from_bytes(btext)] = info.doc_frequency()
        counts[f] = values
    return counts


def word_passage_counts(reader: Any) -> Any:
    """A function giving the passages whose text contains a word (as the text field analyses
    it: "Digital" is looked up as "digit"); 0 for a stop word. The entity table uses it to
    tell a capitalised ordinary word from a name."""
    if "text" not in reader.schema:
        return lambda word: None
    analyzer = reader.schema["text"].analyzer

    def passages(word: str) -> int:
        terms = [t.text for t in analyzer(word)]
        return reader.doc_frequency("text", terms[0]) if terms else 0

    return passages
