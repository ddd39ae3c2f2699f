"""Records as JSON and CSV for scripts: the contract that ``--json``, ``--jsonl`` and ``--csv``
keep. ``searchkit/data/output.schema.json`` describes every JSON document (the tests check each
command's output against it).

JSON goes out through :func:`dumps` and :func:`emit`: valid for any input (undecodable file name
bytes and lone surrogates are escaped) and written as is, never through rich's markup or emoji
pass, so a value round-trips exactly. Nothing here imports rich: a script's ``search --json``
does not pay for the terminal layer at start-up.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .inert import inert
from .results import FACETS, Entity, Hit, SearchResult

if TYPE_CHECKING:  # the records of ingest: a search does not load them
    from .records import Article, Passage

# Characters JSON allows raw in strings that a terminal (or a JavaScript eval) may still act on.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

JSON_VERSION = 1
"""Bumped when a field of the JSON output is renamed or removed (adding fields does not)."""


def dumps(obj: Any) -> str:
    """Compact, valid JSON for any input. Lone surrogates (from odd file names) and characters
    a terminal might act on (C1 controls, bidi overrides) are written as ``\\uXXXX`` escapes:
    still the same string to any JSON parser, but never raw on the screen."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit(target: Any, text: str) -> None:
    """Write one line of machine output (JSON, CSV) exactly as given: no markup, no emoji codes,
    no wrapping, no highlighting. ``target`` is a file, or a rich console (its file)."""
    file = getattr(target, "file", target)
    file.write(text + "\n")
    file.flush()


# --- JSON ---------------------------------------------------------------------------------------


def facet_lists(entities: dict[str, Sequence[str]]) -> dict[str, list[str]]:
    """All four entity types, empty ones too: the documented shape, so that
    ``jq '.entities.person[]'`` works on every hit."""
    return {f: list(entities.get(f, ())) for f in FACETS}


_RECORD_LINE = re.compile(r"#L(\d+)$")


def source_line(source_id: str) -> int | None:
    """The line of a JSONL record in its file (``path#L12`` -> 12); None for a whole file, or a
    record that has an id of its own (``path#<id>``)."""
    m = _RECORD_LINE.search(source_id or "")
    return int(m.group(1)) if m else None


Context = tuple[Sequence["Passage"], Sequence["Passage"]]
"""The passages before and after a hit (``search -C N``)."""


def hit_dict(hit: Hit, context: Context | None = None) -> dict[str, Any]:
    """A hit as JSON: every entity type present; ``source_id`` and ``line`` say where the
    article came from, so a script can open it (``path``, and the record's line in a JSONL file)."""
    d = hit.to_dict()
    d["entities"] = facet_lists(hit.entities)
    d["source_id"] = hit.source_id
    d["line"] = hit.line if hit.line is not None else source_line(hit.source_id)
    d["tags"] = {k: list(v) for k, v in hit.tags.items()}
    if context is not None:
        d["context"] = {side: [{"passage_id": p.passage_id, "ordinal": p.ordinal, "text": p.text} for p in ps]
                        for side, ps in zip(("before", "after"), context)}
    return d


def result_dict(result: SearchResult, contexts: dict[str, Context] | None = None) -> dict[str, Any]:
    d = result.to_dict()
    d["hits"] = [hit_dict(h, contexts.get(h.passage_id) if contexts else None) for h in result.hits]
    if result.facets is not None:
        d["facets"] = {f: [{"name": n, "count": c} for n, c in result.facets.get(f, ())] for f in FACETS}
    d["version"] = JSON_VERSION
    return d


def result_json(result: SearchResult, contexts: dict[str, Context] | None = None) -> str:
    return dumps(result_dict(result, contexts))


def result_jsonl(result: SearchResult, contexts: dict[str, Context] | None = None) -> Iterable[str]:
    for hit in result.hits:
        yield dumps(hit_dict(hit, contexts.get(hit.passage_id) if contexts else None))


def versioned(d: dict[str, Any]) -> dict[str, Any]:
    """A one-document output with the format ``version`` first (``show``, ``clean``, ...)."""
    return {"version": JSON_VERSION, **d}


def article_dict(article: Article) -> dict[str, Any]:
    return versioned({
        "article_id": article.article_id, "source_id": article.source_id, "path": article.path,
        "metadata": article.metadata.to_dict(), "text": article.text,
        "tags": {k: list(v) for k, v in article.tags.items()}, "input_kind": article.input_kind,
        "entities": [e.to_dict() for e in article.entities],
        "passages": [{"passage_id": p.passage_id, "ordinal": p.ordinal, "start": p.start, "end": p.end,
                      "line": p.line, "entities": facet_lists(p.entities)} for p in article.passages],
        "removed": [r.to_dict() for r in article.removed],
        "copies": [c.to_dict() for c in article.copies],
    })


# --- CSV ----------------------------------------------------------------------------------------

SEARCH_CSV_FIELDS: tuple[str, ...] = ("rank", "score", "passage_id", "article_id", "ordinal", "title", "site",
                                      "date", "url", "path", "source_id", "line", "tags", "text", *FACETS, "copies")
ENTITY_CSV_FIELDS: tuple[str, ...] = ("entity", "type", "passages", "aliases")


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """CSV with a header row; values made inert (a spreadsheet or a terminal may show them),
    lists joined with ``; ``."""
    import csv  # here: most output is JSON or for people

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in [header, *rows]:
        writer.writerow(["; ".join(inert(x) for x in v) if isinstance(v, (list, tuple))
                         else inert(v) if isinstance(v, str) else v for v in row])
        yield buf.getvalue().removesuffix("\n")
        buf.seek(0)
        buf.truncate()


def result_csv(result: SearchResult) -> Iterable[str]:
    """One row per hit: the ``--jsonl`` fields less the highlights, an entity type a column."""
    return hits_csv(result.hits)


def hits_csv(hits: Iterable[Hit]) -> Iterable[str]:
    """The header, then a row per hit as it comes (an export streams them)."""
    for_rows = (
        [d["entities"][k] if k in FACETS else [c["article_id"] for c in d[k]] if k == "copies"
         else [f"{t}={v}" for t, vs in d[k].items() for v in vs] if k == "tags" else d[k]
         for k in SEARCH_CSV_FIELDS]
        for d in (hit_dict(h) for h in hits)
    )
    return _csv_lines(SEARCH_CSV_FIELDS, for_rows)


def _aliases(e: Entity) -> list[str]:
    return [a for a in e.aliases if a != e.name]


def entities_csv(rows: list[Entity]) -> Iterable[str]:
    return _csv_lines(ENTITY_CSV_FIELDS, ([e.name, e.type, e.count, _aliases(e)] for e in rows))
