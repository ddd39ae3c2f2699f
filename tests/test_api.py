"""The public Python API that scripts use (the CLI wraps the same calls)."""

from __future__ import annotations

from pathlib import Path

import pytest

import searchkit

from .conftest import CORPUS, SEED


def test_public_names() -> None:
    for name in ("clean", "ingest", "open_index", "SearchkitError", "Hit", "SearchResult", "Cleaned"):
        assert hasattr(searchkit, name)


def test_clean_accepts_a_path_or_a_string() -> None:
    from_path = searchkit.clean(SEED)
    from_text = searchkit.clean(SEED.read_text(encoding="utf-8"))
    assert from_path.text == from_text.text
    assert "Read Next" not in from_path.text
    assert any("Read Next" in r.text for r in from_path.removed)


def test_clean_html_string_and_jsonl_file() -> None:
    html = (CORPUS / "baltic-rail-link.html").read_text(encoding="utf-8")
    cleaned = searchkit.clean(html)
    assert "first European-gauge freight train" in cleaned.text
    assert "Share on Facebook" not in cleaned.text
    first = searchkit.clean(CORPUS / "baltic-ledger-2020.jsonl")
    assert first.metadata.title == "Opposition leader asks EU for targeted sanctions"


def test_clean_missing_file_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(searchkit.SourceError):
        searchkit.clean(tmp_path / "missing.html")


def test_search_result_is_typed_and_serialisable(corpus_handmade_index: Path) -> None:
    with searchkit.open_index(corpus_handmade_index) as idx:
        result = idx.search("border closure", facets=True)
    assert isinstance(result, searchkit.SearchResult)
    assert isinstance(result.hits[0], searchkit.Hit)
    d = result.to_dict()
    assert set(d) >= {"query", "total", "returned", "hits", "facets", "suggestion", "elapsed_ms"}
    assert set(d["hits"][0]) == {"rank", "score", "passage_id", "article_id", "ordinal", "title", "site", "date",
                                 "url", "path", "text", "highlights", "entities", "copies"}
