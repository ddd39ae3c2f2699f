"""The write side of store/whoosh_ext.py: the commit's posting loop writes the very files
Whoosh's own loop writes, and an ingest's writer keeps its postings in memory until the
commit, or spills them to disk and merges them back to the same files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import fields
from whoosh import index as windex

from searchkit.store import whoosh_ext

WORDS = [f"w{k}" for k in range(400)]


def _schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        text=fields.TEXT(stored=True, phrase=True),
        plain=fields.TEXT(phrase=False),
        tags=fields.KEYWORD(commas=True, scorable=False),
        n=fields.NUMERIC(stored=True),
    )


def _documents(seed: int = 7, count: int = 600) -> list[dict]:
    """Documents whose postings take every path: a word in every document (posting lists
    of several blocks), words seen once (inlined in the term table), long and empty texts
    (length bytes from 0 to large), repeated words (weights above 1), fields left out."""
    rng = random.Random(seed)
    docs = []
    for k in range(count):
        words = ["common"] + rng.choices(WORDS, k=rng.choice([0, 1, 5, 40, 300]))
        if k % 97 == 0:
            words.append(f"only{k}")
        doc = {"id": f"d{k}", "text": " ".join(words), "n": k}
        if k % 3:
            doc["plain"] = " ".join(reversed(words))
        if k % 5 == 0:
            doc["tags"] = ",".join(rng.sample(["a", "b", "c", "d"], 2))
        docs.append(doc)
    return docs


def _segment_files(folder: Path) -> dict[str, bytes]:
    """The one segment's files by extension (their names carry a random segment id)."""
    ix = windex.open_dir(str(folder))
    (segment,) = whoosh_ext.segments(ix)
    ix.close()
    prefix = segment.segment_id()
    files = sorted(p for p in folder.iterdir() if p.name.startswith(prefix))
    return {p.name[len(prefix):]: p.read_bytes() for p in files}


NEWS_WORDS = ["Blair", "blair's", "AT&T", "M&S", "£1.5bn", "COVID-19", "U.S.", "US", "us", "the", "said",
              "Résumé", "9/11", "C++", ".NET", "F-35s", "naïve", "Lukashenko's"] + WORDS[:60]


def _news_schema() -> fields.Schema:
    """searchkit's kinds of text field: its analyzer (normalised and exact), positions or
    counts only, a field boost; beside fields that keep Whoosh's own analysis."""
    from searchkit.store.analysis import NewsAnalyzer

    news, exact = NewsAnalyzer(), NewsAnalyzer(exact=True)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        text=fields.TEXT(analyzer=news, stored=True, phrase=True),
        exact=fields.TEXT(analyzer=exact, phrase=True),
        title=fields.TEXT(analyzer=news, stored=True, field_boost=2.0),
        body=fields.TEXT(analyzer=news, phrase=False),
        tags=fields.KEYWORD(commas=True, scorable=False, stored=True),
    )


def _news_documents(seed: int = 5, count: int = 500) -> list[dict]:
    """Passages of every length (none, one word, hundreds with repeats), symbols in names,
    case that the exact field keeps apart, titles on some."""
    rng = random.Random(seed)
    docs = []
    for k in range(count):
        words = rng.choices(NEWS_WORDS, k=rng.choice([0, 1, 3, 30, 250]))
        text = " ".join(words) + (", said Blair." if k % 4 == 0 else "")
        doc = {"id": f"p{k}", "text": text, "exact": text, "body": text}
        if k % 3 == 0:
            doc["title"] = " ".join(rng.choices(NEWS_WORDS, k=rng.choice([1, 6])))
        if k % 7 == 0:
            doc["tags"] = "topic=trade,place=uk"
        docs.append(doc)
    return docs


def _write(folder: Path, docs: list[dict], ours: bool, pool_mb: int = whoosh_ext.POOL_MB,
           by_term: bool = False, schema: fields.Schema | None = None) -> dict[str, bytes]:
    folder.mkdir()
    ix = windex.create_in(str(folder), schema or _schema())
    if ours:
        writer = whoosh_ext.new_writer(ix, folder, pool_mb, by_term=by_term)
        assert isinstance(writer.pool, whoosh_ext.TermPool) is by_term
    else:
        writer = ix.writer(limitmb=pool_mb, compound=False)
    assert ("add_postings" in vars(writer.fieldwriter)) is ours
    assert ("add_document" in vars(writer)) is (ours and by_term)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    ix.close()
    return _segment_files(folder)


@pytest.mark.parametrize("by_term", [False, True], ids=["whoosh-pool", "term-pool"])
def test_the_commit_writes_the_files_whoosh_writes(tmp_path: Path, by_term: bool) -> None:
    docs = _documents()
    mine = _write(tmp_path / "ours", docs, ours=True, by_term=by_term)
    theirs = _write(tmp_path / "whoosh", docs, ours=False)
    assert set(mine) == set(theirs)
    assert any(name.endswith(".pst") for name in mine)
    for name in theirs:
        assert mine[name] == theirs[name], f"segment file *{name} differs"


@pytest.mark.parametrize("by_term", [False, True], ids=["whoosh-pool", "term-pool"])
def test_postings_spilled_to_disk_give_the_same_index(tmp_path: Path, by_term: bool) -> None:
    """A pool too small for the batch sorts runs to disk and merges them back: same files."""
    docs = _documents(seed=11, count=900)
    in_memory = _write(tmp_path / "memory", docs, ours=True, pool_mb=512, by_term=by_term)
    spilled = _write(tmp_path / "spilled", docs, ours=True, pool_mb=1, by_term=by_term)
    assert in_memory == spilled


@pytest.mark.parametrize("pool_mb", [512, 1], ids=["in-memory", "spilled"])
def test_searchkit_text_fields_index_as_whoosh_analyses_them(tmp_path: Path, pool_mb: int) -> None:
    """The ingest writer analyses searchkit's text fields in one pass of its own: the
    segment files are those of Whoosh's own add_document (terms, positions, counts,
    weights with the field boost, field lengths, stored values)."""
    docs = _news_documents()
    mine = _write(tmp_path / "ours", docs, ours=True, pool_mb=pool_mb, by_term=True, schema=_news_schema())
    theirs = _write(tmp_path / "whoosh", docs, ours=False, schema=_news_schema())
    assert set(mine) == set(theirs)
    for name in theirs:
        assert mine[name] == theirs[name], f"segment file *{name} differs"


def test_searchkit_text_fields_answer_phrases_and_exact_words(tmp_path: Path) -> None:
    """Read back: a phrase needs its positions, the exact field tells US from us."""
    docs = [{"id": "a", "text": "AT&T said US trade rose", "exact": "AT&T said US trade rose",
             "body": "AT&T said US trade rose"},
            {"id": "b", "text": "trade with us rose, said AT&T", "exact": "trade with us rose, said AT&T",
             "body": "trade with us rose, said AT&T", "title": "Trade"}]
    _write(tmp_path / "ours", docs, ours=True, by_term=True, schema=_news_schema())
    ix = windex.open_dir(str(tmp_path / "ours"))
    with ix.searcher() as s:
        from whoosh.qparser import QueryParser

        text = QueryParser("text", ix.schema).parse
        exact = QueryParser("exact", ix.schema).parse
        assert [h["id"] for h in s.search(text('"at&t said"'))] == ["a"]
        assert sorted(h["id"] for h in s.search(text("us"))) == ["a", "b"]
        assert [h["id"] for h in s.search(exact("US"))] == ["a"]
        assert s.frequency("body", "trade") == 2
    ix.close()


def test_the_index_answers_as_whoosh_wrote_it(tmp_path: Path) -> None:
    """Read back through Whoosh: the multi-block term, an inlined one, phrase positions."""
    docs = _documents()
    _write(tmp_path / "ours", docs, ours=True, by_term=True)
    ix = windex.open_dir(str(tmp_path / "ours"))
    with ix.searcher() as s:
        from whoosh.qparser import QueryParser

        parse = QueryParser("text", ix.schema).parse
        assert s.doc_frequency("text", "common") == len(docs)
        assert [h["id"] for h in s.search(parse("only194"))] == ["d194"]
        first = docs[1]["text"].split()
        hit_ids = {h["id"] for h in s.search(parse(f'"{first[0]} {first[1]}"'), limit=None)}
        assert "d1" in hit_ids
    ix.close()


def _merged(folder: Path, ours: bool, schema: fields.Schema, docs: list[dict],
            delete: bool = False) -> dict[str, bytes]:
    """Four commits of ``docs`` (one segment each, documents deleted from the second when
    ``delete``), then every segment merged into one: by Whoosh's ``add_reader`` or by
    searchkit's end-of-ingest merge."""
    from whoosh.reading import SegmentReader

    folder.mkdir()
    ix = windex.create_in(str(folder), schema)
    quarter = len(docs) // 4
    for k in range(4):
        writer = whoosh_ext.new_writer(ix, folder, by_term=True)
        for doc in docs[k * quarter:(k + 1) * quarter]:
            writer.add_document(**doc)
        writer.commit(merge=False)
        if delete and k == 1:
            writer = ix.writer()
            for doc in docs[quarter:2 * quarter:3]:
                writer.delete_by_term("id", doc["id"])
            writer.commit(merge=False)
    assert len(whoosh_ext.segments(ix)) == 4
    if ours:
        whoosh_ext.commit_merging(ix, folder, whoosh_ext.segments(ix))
    else:
        def everything(writer: object, current: list) -> list:
            for seg in current:
                reader = SegmentReader(writer.storage, writer.schema, seg)  # type: ignore[attr-defined]
                writer.add_reader(reader)  # type: ignore[attr-defined]
                reader.close()
            return []

        writer = ix.writer(compound=False)
        writer.commit(mergetype=everything)
    ix.close()
    return _segment_files(folder)


@pytest.mark.parametrize("delete", [False, True], ids=["segments", "with-deletions"])
@pytest.mark.parametrize("kind", ["whoosh-fields", "searchkit-fields"])
def test_the_end_of_ingest_merge_writes_the_segment_whoosh_writes(tmp_path: Path, kind: str, delete: bool) -> None:
    """The merge reads each term's postings a block at a time, not one by one: the merged
    segment is byte for byte the one Whoosh's own merge writes (multi-block terms, positions,
    field boosts, renumbered documents after deletions)."""
    schema, docs = (_schema(), _documents(seed=3, count=900)) if kind == "whoosh-fields" else \
        (_news_schema(), _news_documents(seed=9, count=800))
    mine = _merged(tmp_path / "ours", True, schema, docs, delete=delete)
    theirs = _merged(tmp_path / "whoosh", False, schema, docs, delete=delete)
    assert set(mine) == set(theirs) and any(name.endswith(".pst") for name in mine)
    for name in theirs:
        assert mine[name] == theirs[name], f"segment file *{name} differs"
