"""WARC and WACZ input (issue 17): fixtures written at test time with warcio and zipfile from
pages written here; each check is what a user would look at (URL, dates, counts, reasons)."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from searchkit import load
from searchkit.cleaner import clean_source
from searchkit.load import archives

from .archive_support import Rec, chunked, gzipped, news_page, write_wacz, write_warc
from .reliability_support import run_cli

HARBOUR = news_page("Grain exports double in Gdansk",
                    ["The harbour authority in Gdansk said on Tuesday that grain exports had doubled since spring.",
                     "Officials expect the new terminal to open before the winter storms arrive on the coast."],
                    published="2024-03-01T08:00:00Z", canonical="https://news.example/amp/harbour")
FERRY = news_page("Storm closes the Tallinn ferry",
                  ["Ferries between Tallinn and Helsinki stopped on Sunday as the storm reached the Gulf of Finland.",
                   "The operator said sailings would resume once the wind dropped below gale force."])
GALE = news_page("Gale warning for the Baltic coast",
                 ["Forecasters in Riga issued a gale warning for the whole Baltic coast on Monday evening.",
                  "Harbours from Klaipeda to Parnu told small boats to stay in port until Wednesday."])


def _records() -> list[Rec]:
    return [
        Rec("https://news.example/harbour", "2024-03-05T10:00:00Z", HARBOUR.encode()),
        Rec("https://news.example/ferry", "2024-03-06T11:30:00Z", chunked(FERRY.encode()),
            http_headers=[("Transfer-Encoding", "chunked")]),
        Rec("https://news.example/gale", "2024-03-07T09:15:00Z", gzipped(GALE.encode()),
            http_headers=[("Content-Encoding", "gzip")]),
        Rec("https://news.example/logo.png", "2024-03-05T10:00:01Z", b"\x89PNG\r\n\x1a\n" + bytes(300),
            content_type="image/png"),
        Rec("https://news.example/site.css", "2024-03-05T10:00:01Z", b"body{color:red}", content_type="text/css"),
        Rec("https://news.example/app.js", "2024-03-05T10:00:01Z", b"var a=1;", content_type="application/javascript"),
        Rec("https://news.example/harbour", "2024-03-08T10:00:00Z", rec_type="revisit"),
        Rec("https://news.example/harbour?utm=x", "2024-03-08T10:05:00Z", HARBOUR.encode()),  # identical payload
        Rec("https://news.example/old", "2024-03-08T10:06:00Z", b"<html>Moved</html>", status="301 Moved Permanently"),
        Rec("https://news.example/robots.txt", "2024-03-05T09:59:59Z", b"User-agent: *\nDisallow: /admin\n",
            content_type="text/plain"),
    ]


@pytest.fixture()
def warc(tmp_path: Path) -> Path:
    return write_warc(tmp_path / "crawl.warc.gz", _records())


def _read(path: Path) -> tuple[list[Any], list[load.LoadIssue]]:
    sources, issues = load.read_file(str(path))
    return list(sources), issues


def test_warc_pages_become_articles_with_url_and_dates(warc: Path) -> None:
    sources, issues = _read(warc)
    assert [s.meta["url"] for s in sources] == ["https://news.example/harbour", "https://news.example/ferry",
                                                "https://news.example/gale"]
    harbour, ferry, gale = (clean_source(s) for s in sources)
    # The target URI is the URL, even when the page names another canonical address.
    assert harbour.metadata.url == "https://news.example/harbour"
    # The page's own publication date wins; the capture date fills in when it has none.
    assert harbour.metadata.date == "2024-03-01T08:00:00+00:00"
    assert ferry.metadata.date == "2024-03-06T11:30:00+00:00"
    # Chunked transfer encoding and gzip content encoding are undone.
    assert "Ferries between Tallinn and Helsinki" in ferry.text and "Forecasters in Riga" in gale.text
    assert all(s.input_kind == "warc" for s in sources)
    assert [i.status for i in issues] == ["skipped"]


def test_skipped_records_are_counted_in_one_line(warc: Path) -> None:
    _, issues = _read(warc)
    (line,) = [i.reason for i in issues if i.status == "skipped"]
    assert line.startswith("7 records skipped (")
    for part in ("image/*: 1", "text/css: 1", "application/javascript: 1", "revisit: 1", "identical payload: 1",
                 "HTTP 301: 1", "robots.txt: 1"):
        assert part in line


def test_source_id_points_into_the_archive_and_is_stable(warc: Path, tmp_path: Path) -> None:
    sources, _ = _read(warc)
    assert sources[0].source_id == f"{warc}#20240305100000/https://news.example/harbour"
    again, _ = _read(warc)
    assert [s.source_id for s in again] == [s.source_id for s in sources]
    assert [s.content_hash for s in again] == [s.content_hash for s in sources]


def test_uncompressed_warc_and_resource_records(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "plain.warc", [
        Rec("https://news.example/ferry", "2024-03-06T11:30:00Z", FERRY.encode()),
        Rec("file:///saved/gale.html", "2024-03-07T09:15:00Z", GALE.encode(), content_type="text/html",
            rec_type="resource"),
    ], compress=False)
    sources, issues = _read(path)
    assert len(sources) == 2 and not issues
    assert "url" not in sources[1].meta  # a file:// URI is not a web address
    assert clean_source(sources[1]).metadata.title == "Gale warning for the Baltic coast"


def test_truncated_final_gzip_member_keeps_the_good_records(warc: Path) -> None:
    data = warc.read_bytes()
    warc.write_bytes(data[:-6])  # the last member's CRC and length cut off
    sources, issues = _read(warc)
    assert len(sources) == 3
    (note,) = [i for i in issues if "truncated" in i.reason]
    assert note.reason.startswith("the last gzip member is truncated")
    assert "\n" not in note.reason


def test_truncated_record_is_reported_and_earlier_records_kept(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "cut.warc", [
        Rec("https://news.example/ferry", "2024-03-06T11:30:00Z", FERRY.encode()),
        Rec("https://news.example/gale", "2024-03-07T09:15:00Z", GALE.encode()),
    ], compress=False)
    data = path.read_bytes()
    end = data.rindex(b"Harbours from Klaipeda")
    path.write_bytes(data[:end])  # cut inside the second page
    sources, issues = _read(path)
    assert [s.meta["url"] for s in sources] == ["https://news.example/ferry"]
    (failure,) = [i for i in issues if i.status == "failed"]
    assert failure.where.endswith("#20240307091500/https://news.example/gale")
    assert failure.reason.startswith("truncated record:") and "bytes missing" in failure.reason


def test_record_over_the_size_limit_is_skipped_with_a_reason(tmp_path: Path) -> None:
    big = news_page("Big", ["word " * (14 * 2**20)])  # 70 MB of text, about 0.1 MB gzipped
    path = write_warc(tmp_path / "big.warc.gz", [
        Rec("https://news.example/big", "2024-03-06T11:30:00Z", big.encode()),
        Rec("https://news.example/ferry", "2024-03-06T11:31:00Z", FERRY.encode()),
    ])
    sources, issues = _read(path)
    assert [s.meta["url"] for s in sources] == ["https://news.example/ferry"]
    assert [i.reason for i in issues if i.status == "failed"] == ["record payload over the 64 MB limit; skipped"]


def test_warc_gzip_bomb_is_abandoned_without_reading_it_all(tmp_path: Path) -> None:
    # One record declaring 2 GB of zeros, compressed to ~2 MB: over 200x the file's size.
    path = tmp_path / "bomb.warc.gz"
    header = (b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: https://x.example/\r\n"
              b"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:1>\r\nContent-Type: text/html\r\n"
              b"Content-Length: 2147483648\r\n\r\n")
    comp = gzip.compress(header, compresslevel=1)
    zeros = gzip.compress(b"\0" * (16 * 2**20), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(comp)
        for _ in range(4):
            fh.write(zeros)
    sources, issues = _read(path)
    assert not sources
    assert any("decompression bomb" in i.reason for i in issues)


def test_a_zip_that_is_not_a_wacz(tmp_path: Path) -> None:
    path = tmp_path / "photos.wacz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    sources, issues = _read(path)
    assert not sources
    assert [i.reason for i in issues] == ["not a readable zip (WACZ) file: no WARC files inside (a WACZ holds "
                                          "archive/*.warc.gz)"]


def test_wacz_reads_its_warcs_and_pages(warc: Path, tmp_path: Path) -> None:
    wacz = write_wacz(tmp_path / "capture.wacz", [warc], [
        {"url": "https://news.example/ferry", "ts": "2024-03-06T11:30:00Z", "title": "Ferry news"},
        {"url": "https://news.example/harbour", "ts": "2024-03-05T10:00:00Z", "title": "Harbour news"},
    ])
    sources, issues = _read(wacz)
    # Only the pages listed in pages.jsonl are articles (the gale record is a fetched fragment here).
    assert sorted(s.meta["url"] for s in sources) == ["https://news.example/ferry", "https://news.example/harbour"]
    assert all(s.input_kind == "wacz" and s.source_id.startswith(f"{wacz}#2024") for s in sources)
    ferry = clean_source(next(s for s in sources if s.meta["url"].endswith("ferry")))
    assert ferry.metadata.title == "Storm closes the Tallinn ferry"  # the page's own title wins
    assert ferry.metadata.date == "2024-03-06T11:30:00+00:00"
    (line,) = [i.reason for i in issues if i.status == "skipped"]
    assert "not a page in pages.jsonl: 2" in line  # the gale page and the harbour copy with ?utm=x


def test_wacz_zip_bomb_member_is_not_read(tmp_path: Path) -> None:
    wacz = tmp_path / "bomb.wacz"
    with zipfile.ZipFile(wacz, "w") as zf:
        zf.writestr("archive/data.warc", b"\0" * (50 * 2**20), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("datapackage.json", "{}")
    sources, issues = _read(wacz)
    assert not sources
    assert any("(a zip bomb?); not read" in i.reason for i in issues)


def test_large_archive_is_reread_lazily_with_the_same_sources(warc: Path) -> None:
    kept, _ = archives.scan_archive(str(warc), "warc")
    scan, reread = archives.scan_archive(str(warc), "warc", keep_chars=100)
    assert scan.sources is None and kept.sources is not None  # over the budget: nothing kept
    lazy = load.SourceSet(ids=scan.ids, reread=reread)
    assert lazy.lazy and len(lazy) == 3 and lazy.source_ids == set(kept.ids)
    assert list(lazy) == kept.sources and list(lazy) == kept.sources  # each re-read gives the same


def test_ingest_of_a_grown_warc_adds_only_the_new_records(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    path = write_warc(tmp_path / "in" / "crawl.warc.gz", _records()[:2])
    index = tmp_path / "index"
    first = json.loads(run_cli(["ingest", str(path.parent), "--index", str(index), "--json", "-w", "1"]).stdout)
    assert first["new"] == 2 and first["failed"] == []
    write_warc(path, _records()[2:], append=True)  # the crawl went on: the same file, grown
    second = json.loads(run_cli(["ingest", str(path.parent), "--index", str(index), "--json", "-w", "1"]).stdout)
    assert (second["new"], second["unchanged"], second["updated"]) == (1, 2, 0)
    assert second["articles"] == 3
    shown = run_cli(["search", "Tallinn", "--index", str(index), "--json"])
    hit = json.loads(shown.stdout)["hits"][0]
    assert hit["url"] == "https://news.example/ferry" and hit["date"].startswith("2024-03-06")
    assert hit["path"] == str(path)


@pytest.mark.parametrize("compress", [True, False], ids=["warc.gz", "warc"])
def test_archive_cut_anywhere_gives_one_line_and_keeps_records(tmp_path: Path, compress: bool) -> None:
    warc = write_warc(tmp_path / ("crawl.warc.gz" if compress else "crawl.warc"), _records(), compress=compress)
    data = warc.read_bytes()
    sources, _ = _read(warc)
    kept = len(sources)
    for cut in range(len(data) - 40, len(data) // 2, -37):  # cut at many places: never a traceback
        warc.write_bytes(data[:cut])
        got, issues = _read(warc)
        assert len(got) <= kept
        assert all("\n" not in i.reason for i in issues)
        assert sum(1 for i in issues if "truncated" in i.reason) <= 1
