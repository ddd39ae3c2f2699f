"""Building articles from sources: clean, split into passages, tag entities (runs in workers)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from ..entity_resolution import ArticleEntities
from ..errors import SearchkitError, describe
from ..language import DEFAULT_LANGUAGE as ENGLISH
from ..language import detect_language
from ..records import Article, Failure, Source

NO_ENTITIES = ArticleEntities((), ())


def article_id_for(source_id: str) -> str:
    """The article id: stable across runs, derived from the source id alone."""
    return hashlib.sha1(source_id.encode("utf-8", "surrogateescape")).hexdigest()[:12]


LINE_KINDS = frozenset({"html", "txt"})
"""Inputs whose passages get a source line: a file a reader opens as it is. (A JSONL
record's line is its source id's; an archive record or an MHTML part is encoded inside its
file, where a line number would point at nothing the reader sees.)"""


def input_kind(source: Source) -> str:
    """``html`` or ``txt`` for a file read whole, else the container (``jsonl``, ``warc``…)."""
    if source.input_kind == "file":
        return "html" if source.kind == "html" else "txt"
    return source.input_kind


def build_articles(sources: list[Source], extractor: Any, *, sign_copies: bool = True) -> list[Article | Failure]:
    """Clean, split, tag and (``sign_copies``) sign for copy detection a batch of sources, one
    result per source, in order; a source that cannot be built gives a :class:`Failure`
    (never an exception)."""
    from ..cleaner import clean_source
    from ..load import normalise_text
    from ..passages import attach_entities, source_lines, split_passages

    cleaned: list[tuple[Source, Any, str]] = []
    out: list[Article | Failure | None] = []
    for source in sources:
        try:
            c = clean_source(source)
            text = normalise_text(c.text)
        except SearchkitError as e:
            out.append(Failure(source.source_id, str(e)))
            continue
        except Exception as e:  # noqa: BLE001 - one bad page must never stop the run
            out.append(Failure(source.source_id, f"cleaner failed: {type(e).__name__}: {describe(e)}"))
            continue
        if not text.strip():
            out.append(Failure(source.source_id, "no article text left after cleaning"))
            continue
        cleaned.append((source, c, text))
        out.append(None)
    languages = [detect_language(t) for _, _, t in cleaned]
    # Only English text meets the English model; other languages get no entities.
    english = iter(_extract_all(extractor, [t for (_, _, t), lang in zip(cleaned, languages) if lang == ENGLISH]))
    tagged = [next(english) if lang == ENGLISH else NO_ENTITIES for lang in languages]
    results = iter(zip(cleaned, tagged, languages))
    final: list[Article | Failure] = []
    for slot in out:
        if slot is not None:
            final.append(slot)
            continue
        (source, c, text), ents, language = next(results)
        if isinstance(ents, Exception):
            final.append(Failure(source.source_id, f"entity extraction failed: {describe(ents)}"))
            continue
        aid = article_id_for(source.source_id)
        passages = attach_entities(split_passages(aid, text), ents.mentions)
        kind = input_kind(source)
        if kind in LINE_KINDS:
            passages = [replace(p, line=n) for p, n in zip(passages, source_lines(source.content, passages, html=kind == "html"))]
        final.append(Article(
            article_id=aid, source_id=source.source_id, path=source.path,
            content_hash=source.content_hash, text=text, metadata=replace(c.metadata, language=language),
            removed=tuple(c.removed), entities=tuple(ents.entities), passages=tuple(passages),
            copy_signature=_signature(text, c.metadata.title) if sign_copies else None,
            tags=dict(source.tags), input_kind=kind,
        ))
    return final


def _signature(text: str, title: str | None) -> Any:
    """The copy-detection signature (``searchkit.duplicates``), or None if it cannot be made:
    the writer then makes it, and a bad text never costs its article."""
    from ..duplicates import signature_of

    try:
        return signature_of(text, title=title)
    except Exception:  # noqa: BLE001
        return None


def _extract_all(extractor: Any, texts: list[str]) -> list[Any]:
    """Entities of every text, batched; if the batch fails, one text at a time, so that the
    bad text gets its exception (in its slot) and the others their entities."""
    try:
        return list(extractor.extract_many(texts))
    except SearchkitError:
        raise
    except Exception:  # noqa: BLE001 - retry one at a time to isolate the bad text
        tagged: list[Any] = []
        for t in texts:
            try:
                tagged.append(extractor.extract(t))
            except Exception as e2:  # noqa: BLE001
                tagged.append(e2)
        return tagged
