"""What ``clean`` and ``ingest`` say about their inputs (issue 15, item 7): the same words for
a missing file, ``-`` for standard input, and URLs refused because nothing is fetched."""

from __future__ import annotations

import json
from pathlib import Path

from .archive_support import Rec, write_warc
from .reliability_support import run_cli

PAGE = ("<html><head><title>Grain exports double</title></head><body><article><p>The harbour authority in "
        "Gdansk said on Tuesday that grain exports had doubled since spring.</p></article></body></html>")


def test_missing_file_has_the_same_reason_in_clean_and_ingest(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.html"
    clean = run_cli(["clean", str(missing)])
    ingest = run_cli(["ingest", str(missing), "--index", str(tmp_path / "ix"), "--json"])
    assert clean.returncode == 2
    assert clean.stderr == f"searchkit: error: {missing}: no such file or folder\n"
    assert json.loads(ingest.stdout)["failed"] == [{"where": str(missing), "reason": "no such file or folder"}]


def test_clean_dash_reads_standard_input() -> None:
    run = run_cli(["clean", "-", "--json"], input=PAGE)
    assert run.returncode == 0, run.stderr
    cleaned = json.loads(run.stdout)
    assert cleaned["metadata"]["title"] == "Grain exports double"
    assert "grain exports had doubled" in cleaned["text"]


def test_clean_of_a_url_says_nothing_is_fetched() -> None:
    run = run_cli(["clean", "https://news.example/2024/03/grain"])
    assert run.returncode == 2
    assert run.stderr.startswith("searchkit: error: https://news.example/2024/03/grain: searchkit works offline "
                                 "and does not fetch URLs")
    assert run.stderr.count("\n") == 1


def test_clean_of_a_folder_says_it_reads_one_file(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    run = run_cli(["clean", str(folder)])
    assert run.returncode == 2
    assert run.stderr == f"searchkit: error: {folder}: is a folder; clean reads one file (ingest reads folders)\n"


def test_clean_of_a_warc_shows_its_first_page(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "crawl.warc.gz", [
        Rec("https://news.example/logo.png", "2024-03-05T10:00:00Z", b"\x89PNG", content_type="image/png"),
        Rec("https://news.example/grain", "2024-03-05T10:00:01Z", PAGE.encode()),
    ])
    cleaned = json.loads(run_cli(["clean", str(path), "--json"]).stdout)
    assert cleaned["metadata"]["url"] == "https://news.example/grain"
    assert cleaned["metadata"]["date"] == "2024-03-05T10:00:01+00:00"
