"""JSONL and JSON input (issue 15): field aliases of common dumps, extra fields kept as tags,
and a ``.json`` file read as one JSON document: one failure per file, not one per line."""

from __future__ import annotations

import json
from pathlib import Path

from searchkit import load
from searchkit.cleaner import clean_source

from .reliability_support import run_cli

BODY = ("The harbour authority in Gdansk said on Tuesday that grain exports had doubled since spring, "
        "and officials expect the new terminal to open before the winter storms.")


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_common_field_aliases_are_read(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "dump.jsonl", [
        {"headline": "Grain exports double", "body": BODY, "link": "https://news.example/a",
         "pubDate": "Tue, 05 Mar 2024 10:00:00 GMT", "source": "Baltic Ledger", "guid": "a-1"},
        {"title": "NewsAPI shape", "content": BODY, "url": "https://news.example/b",
         "publishedAt": "2024-03-06T11:30:00Z", "source": {"id": "bl", "name": "Baltic Ledger"},
         "authors": ["Anna Nowak", "Jan Kowalski"]},
        {"title": "news-please shape", "maintext": BODY, "date_publish": "2024-03-07 09:15:00",
         "source_domain": "news.example", "_id": "np-7"},
    ])
    sources, issues = load.read_file(str(path))
    assert issues == []
    a, b, c = sources
    assert a.meta == {"title": "Grain exports double", "url": "https://news.example/a",
                      "date": "Tue, 05 Mar 2024 10:00:00 GMT", "site": "Baltic Ledger", "id": "a-1"}
    assert a.source_id == f"{path}#a-1"
    assert b.meta["site"] == "Baltic Ledger" and b.meta["author"] == "Anna Nowak, Jan Kowalski"
    assert b.source_id == f"{path}#L2"
    assert c.meta["site"] == "news.example" and c.source_id == f"{path}#np-7"
    cleaned = clean_source(a)
    assert cleaned.metadata.date == "2024-03-05T10:00:00+00:00" and cleaned.metadata.url == "https://news.example/a"


def test_extra_fields_are_kept_as_tags(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "reuters.jsonl", [
        {"id": "r1", "title": "Crude prices", "text": BODY, "places": ["usa", "saudi-arabia"], "topics": ["crude"],
         "category": "business", "year": 1987, "summary": "x" * 500, "nested": {"a": 1}, "flag": True},
    ])
    (source,), _ = load.read_file(str(path))
    assert source.tags == {"places": ("usa", "saudi-arabia"), "topics": ("crude",), "category": ("business",),
                           "year": ("1987",)}


def test_json_file_with_one_article_or_an_array(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"title": "Grain exports double", "text": BODY}, indent=2))
    (source,), issues = load.read_file(str(one))
    assert not issues and source.source_id == str(one) and source.input_kind == "json"
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"id": "x", "text": BODY}, {"text": BODY + " Again."}, {"url": "https://a.example/"}],
                              indent=2))
    sources, issues = load.read_file(str(many))
    assert [s.source_id for s in sources] == [f"{many}#x", f"{many}#/1"]
    assert [(i.where, i.reason) for i in issues] == [
        (f"{many}#/2", "no 'text', 'html' or 'title' field with content (also read: body, content, article, "
                       "articleBody, maintext, headline)")]


def test_json_that_is_not_articles_fails_once(tmp_path: Path) -> None:
    gazetteer = tmp_path / "gazetteer_places.json"
    gazetteer.write_text(json.dumps({"Gdansk": ["Danzig"], "Vilnius": ["Wilno"], "Riga": []}, indent=2))
    names = tmp_path / "names.json"
    names.write_text(json.dumps(["Anna", "Jan", "Piotr"], indent=2))
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "title": "x",\n  "text": "unterminated\n}\n')
    results = {p.name: load.read_file(str(p)) for p in (gazetteer, names, broken)}
    assert {n: [i.reason for i in r[1]] for n, r in results.items()} == {
        "gazetteer_places.json": ["JSON object is not an article: no 'text', 'html' or 'title' field with content "
                                  "(also read: body, content, article, articleBody, maintext, headline)"],
        "names.json": ["JSON array of 3 items holds no article (item is a str, not a JSON object)"],
        "broken.json": ["malformed JSON: Invalid control character at line 3 column 24"],
    }


def test_a_headline_with_no_body_is_an_article_of_one_paragraph(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "briefs.jsonl", [
        {"id": "b1", "title": "Ferry to Klaipeda cancelled by storm", "text": ""},
        {"id": "b2", "headline": "Port strike ends", "body": "   "},
        {"id": "b3", "text": "", "url": "https://news.example/empty"},
    ])
    sources, issues = load.read_file(str(path))
    assert [s.source_id for s in sources] == [f"{path}#b1", f"{path}#b2"]
    assert [i.where for i in issues] == [f"{path}#L3"]
    cleaned = clean_source(sources[0])
    assert cleaned.text == "Ferry to Klaipeda cancelled by storm"
    assert cleaned.metadata.title == "Ferry to Klaipeda cancelled by storm"


def test_a_body_of_only_invisible_characters_is_no_body(tmp_path: Path) -> None:
    """Zero-width spaces and a BOM are not text: the headline stands in, as for an empty body."""
    path = _jsonl(tmp_path / "briefs.jsonl", [
        {"id": "z1", "title": "Rail Baltica tender reopened", "text": "\u200b\u200b\ufeff \u200d"},
        {"id": "z2", "text": "\u200b"},
    ])
    sources, issues = load.read_file(str(path))
    assert [s.source_id for s in sources] == [f"{path}#z1"]
    assert [i.where for i in issues] == [f"{path}#L2"]
    assert clean_source(sources[0]).text == "Rail Baltica tender reopened"


def test_a_title_only_record_is_ingested_found_and_shown(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _jsonl(folder / "feed.jsonl", [
        {"id": "brief", "title": "Ferry to Klaipeda cancelled by storm", "text": ""},
        {"id": "full", "title": "Grain exports double", "text": BODY},
    ])
    index = str(tmp_path / "ix")
    report = json.loads(run_cli(["ingest", str(folder), "--index", index, "--json", "-w", "1"]).stdout)
    assert report["new"] == 2 and report["failed"] == []
    hits = json.loads(run_cli(["search", "klaipeda", "--index", index, "--json"]).stdout)["hits"]
    assert [(h["title"], h["text"]) for h in hits] == [("Ferry to Klaipeda cancelled by storm",
                                                         "Ferry to Klaipeda cancelled by storm")]
    shown = run_cli(["show", hits[0]["article_id"], "--index", index]).stdout
    assert "Ferry to Klaipeda cancelled by storm" in shown
    # the headline's words are counted once in the whole-article score, not once as title and again as text
    from whoosh import index as windex
    from whoosh.query import And, Term

    with windex.open_dir(index, readonly=True).searcher() as s:
        (docnum,) = s.docs_for_query(And([Term("kind", "article"), Term("article_id", hits[0]["article_id"])]))
        assert s.doc_field_length(docnum, "body", 0) == 6


def test_ingest_of_a_pretty_printed_json_file_is_one_failure(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "entities.json").write_text(json.dumps({f"name{i}": {"type": "person", "count": i}
                                                      for i in range(500)}, indent=2))
    _jsonl(folder / "good.jsonl", [{"title": "Grain", "text": BODY, "topics": ["grain"]}])
    report = json.loads(run_cli(["ingest", str(folder), "--index", str(tmp_path / "ix"), "--json", "-w", "1"]).stdout)
    assert report["new"] == 1 and len(report["failed"]) == 1
    assert report["failed"][0]["where"] == str(folder / "entities.json")


def test_lone_surrogates_from_json_escapes_become_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "x\\ud800", "title": "T\\udfff", "text": "Bad \\udc80 escape here."}\n', encoding="utf-8")
    sources, failures = load.read_file(str(path))
    assert not failures
    (s,) = sources
    assert s.content == "Bad \ufffd escape here." and s.meta["title"] == "T\ufffd"
    s.source_id.encode("utf-8")  # no surrogate left anywhere that gets indexed
    s.meta["id"].encode("utf-8")

