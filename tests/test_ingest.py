"""Incremental ingest: unchanged files skipped, changed ones replaced, --prune, --rebuild."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import searchkit
from searchkit.errors import SchemaMismatch

from .conftest import CORPUS, SEED


def _copy_corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    for p in docs.iterdir():
        p.chmod(0o644)
    return docs


def test_second_run_reports_everything_unchanged_and_changes_nothing(tmp_path: Path) -> None:
    docs = _copy_corpus(tmp_path)
    index = tmp_path / "index"
    first = searchkit.ingest([docs], index=index, workers=1)
    assert (first.new, first.updated, first.failed) == (6, 0, [])
    toc_before = sorted(p.name for p in index.iterdir())
    second = searchkit.ingest([docs], index=index, workers=1)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 6)
    assert (second.articles, second.passages) == (first.articles, first.passages)
    assert sorted(p.name for p in index.iterdir()) == toc_before  # no new commit, no new segment


def test_changed_file_is_replaced_not_duplicated(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    seed = docs / "seed.txt"
    shutil.copy(SEED, seed)
    seed.chmod(0o644)
    index = tmp_path / "index"
    searchkit.ingest([docs], index=index, workers=1)
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\nA new closing paragraph about the Vilnius talks "
                    "was added to the article after it was first published.\n", encoding="utf-8")
    report = searchkit.ingest([docs], index=index, workers=1)
    assert (report.new, report.updated, report.articles) == (0, 1, 1)
    with searchkit.open_index(index) as idx:
        assert len(idx.search("vilnius talks").hits) == 1
        assert idx.stats().articles == 1


def test_jsonl_lines_are_tracked_one_by_one(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    lines = (CORPUS / "baltic-ledger-2020.jsonl").read_text(encoding="utf-8").splitlines()
    feed = docs / "feed.jsonl"
    feed.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    index = tmp_path / "index"
    assert searchkit.ingest([docs], index=index, workers=1).new == 3
    edited = json.loads(lines[0])
    edited["text"] += "\n\nUpdate: ministers postponed the decision to October."
    feed.write_text("\n".join([json.dumps(edited), lines[1], lines[3]]) + "\n", encoding="utf-8")
    unchanged_title = json.loads(lines[1])["title"]
    body_before = _article_body_length(index, unchanged_title)
    report = searchkit.ingest([docs], index=index, workers=1)
    # line 0 changed, line 1 unchanged, line 2 gone, line 3 new
    assert (report.new, report.updated, report.unchanged, report.articles) == (1, 1, 1, 3)
    # The unchanged article was re-added with the file's new stamp: its whole-article text
    # (not stored) was rebuilt from its passages.
    assert body_before > 0 and _article_body_length(index, unchanged_title) == body_before
    again = searchkit.ingest([docs], index=index, workers=1)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    # the unchanged line was re-stamped, not re-read: its article-wide entity facets survive
    unchanged_title = json.loads(lines[1])["title"]
    with searchkit.open_index(index) as idx:
        hits = idx.search("", limit=100, collapse=False).hits
        aid = next(h.article_id for h in hits if h.title == unchanged_title)
        article = idx.article(aid)
        entity = article.entities[0]
        found = idx.search("", limit=100, collapse=False, in_article=True, **{entity.type: entity.name}).hits
        assert {h.passage_id for h in found} >= {p.passage_id for p in article.passages}


def _article_body_length(index: Path, title: str) -> int:
    """Words in the ``body`` of the article with this title (read through Whoosh directly)."""
    from whoosh import index as windex
    from whoosh.query import And, Term

    with searchkit.open_index(index) as idx:
        article_id = idx.search(f'title:"{title}"').hits[0].article_id
    with windex.open_dir(str(index), readonly=True).searcher() as s:
        (docnum,) = s.docs_for_query(And([Term("kind", "article"), Term("article_id", article_id)]))
        return int(s.doc_field_length(docnum, "body", 0))


def test_prune_drops_articles_whose_files_are_gone(tmp_path: Path) -> None:
    docs = _copy_corpus(tmp_path)
    index = tmp_path / "index"
    searchkit.ingest([docs], index=index, workers=1)
    (docs / "baltic-rail-link.html").unlink()
    kept = searchkit.ingest([docs], index=index, workers=1)
    assert kept.articles == 6  # without --prune nothing is dropped
    pruned = searchkit.ingest([docs], index=index, workers=1, prune=True)
    assert (pruned.pruned, pruned.articles) == (1, 5)
    with searchkit.open_index(index) as idx:
        assert idx.search("kaunas").hits == ()


def test_two_workers_give_the_same_index_as_one(tmp_path: Path) -> None:
    one = searchkit.ingest([CORPUS], index=tmp_path / "one", workers=1)
    two = searchkit.ingest([CORPUS], index=tmp_path / "two", workers=2)
    assert (one.articles, one.passages) == (two.articles, two.passages)
    with searchkit.open_index(tmp_path / "one") as a, searchkit.open_index(tmp_path / "two") as b:
        assert [h.passage_id for h in a.search("border").hits] == [h.passage_id for h in b.search("border").hits]


def _worker_state() -> dict[str, object]:
    """Run in an ingest worker: what NER runs with there."""
    from searchkit.ingest.workers import _WORKER

    extractor = _WORKER["extractor"]
    extractor.extract("Angela Merkel met Joe Biden in Berlin.")
    ner = extractor.nlp.get_pipe("ner")
    return {"threads": len(os.listdir("/proc/self/task")), "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "blis": any(node.ops.use_blis for node in ner.model.walk())}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc; PR_SET_PDEATHSIG")
def test_a_worker_runs_ner_on_one_thread(tmp_path: Path) -> None:
    # A second thread (a BLAS pool, a watcher) makes glibc lock on every malloc: NER ~35% slower.
    from searchkit.entities import DEFAULT_MODEL
    from searchkit.ingest.workers import worker_init

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=worker_init,
                             initargs=(DEFAULT_MODEL, os.getpid())) as pool:
        state = pool.submit(_worker_state).result(timeout=120)
    assert state == {"threads": 1, "blas_threads": "1", "blis": False}


def test_rebuild_starts_over_and_schema_mismatch_says_rebuild(tmp_path: Path) -> None:
    index = tmp_path / "index"
    searchkit.ingest([SEED], index=index, workers=1)
    marker = index / "searchkit.json"
    marker.write_text(json.dumps({"schema_version": 0}), encoding="utf-8")
    with pytest.raises(SchemaMismatch, match="schema version 0"):
        searchkit.open_index(index)
    with pytest.raises(SchemaMismatch):
        searchkit.ingest([SEED], index=index, workers=1)
    report = searchkit.ingest([SEED], index=index, workers=1, rebuild=True)
    assert (report.new, report.articles) == (1, 1)
    with searchkit.open_index(index) as idx:
        assert idx.stats().articles == 1


def test_an_ingest_ends_with_few_segments_and_the_same_results(tmp_path: Path) -> None:
    from whoosh import index as windex

    from searchkit.settings import IngestSettings
    from searchkit.store import whoosh_ext

    docs = _copy_corpus(tmp_path)
    merged, one_commit = tmp_path / "merged", tmp_path / "one"
    searchkit.ingest([docs], index=merged, workers=1, settings=IngestSettings(commit_every=1))  # a segment per article
    searchkit.ingest([docs], index=one_commit, workers=1)
    ix = windex.open_dir(str(merged))
    assert len(whoosh_ext.segments(ix)) <= IngestSettings().max_segments
    ix.close()
    with searchkit.open_index(merged) as a, searchkit.open_index(one_commit) as b:
        for q in ("border closure", "lukashenko OR belarus", '"european parliament"'):
            assert [h.passage_id for h in a.search(q, limit=50).hits] == [h.passage_id for h in b.search(q, limit=50).hits]
        assert a.stats().passages == b.stats().passages


@pytest.mark.parametrize(("commit_every", "segments"), [(8, 1), (6, 2)])
def test_a_short_last_stretch_joins_the_last_commit(tmp_path: Path, commit_every: int, segments: int) -> None:
    # 10 articles: commits of 8 would leave a last segment of 2 (under half a commit): those
    # join the first commit (one segment); commits of 6 leave 4, a segment of its own.
    from whoosh import index as windex

    from searchkit.settings import IngestSettings
    from searchkit.store import whoosh_ext

    docs = tmp_path / "news.jsonl"
    docs.write_text("".join(json.dumps({"id": f"a{i}", "title": f"Story {i}",
                                        "text": f"Harbour number {i} reopened after the storm. Ferries ran again."}) + "\n"
                            for i in range(10)), encoding="utf-8")
    index = tmp_path / "index"
    report = searchkit.ingest([docs], index=index, workers=1, settings=IngestSettings(commit_every=commit_every))
    assert report.articles == 10
    ix = windex.open_dir(str(index))
    assert len(whoosh_ext.segments(ix)) == segments
    ix.close()


def test_the_real_pipelines_entities_drive_filters_and_facets(corpus_index: Path) -> None:
    """End to end on corpus/ with the real NER (the search tests use given entities): the
    seed's "border closure" passage says only "Lukashenko's", which must resolve to the
    article's Alexander Lukashenko for the filter to keep it; Navalny is elsewhere in the
    article, so only --in-article finds it there."""
    border = "The border closure comes after six weeks"
    with searchkit.open_index(corpus_index) as idx:
        kept = idx.search("border closure", person="lukashenko").hits
        assert kept and kept[0].text.startswith(border)
        assert "Alexander Lukashenko" in kept[0].entities["person"]
        assert not any(h.text.startswith(border) for h in idx.search("border closure", person="navalny").hits)
        assert idx.search("border closure", person="navalny", in_article=True).hits[0].text.startswith(border)
        facets = idx.search("", facets=True).facets
    assert facets is not None and dict(facets["person"])["Alexander Lukashenko"] >= 3
    assert "Belarus" in dict(facets["place"])
