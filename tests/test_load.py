"""Bad input (issue 6): each fault gives its one-line reason, and the other files of the same
run are ingested and counted. One real ``searchkit ingest --json`` runs over a folder holding
every fault; each test below checks one of them. Big and binary files are made at test time."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from searchkit import load

from .reliability_support import child_env, obeying_file_modes, run_cli, stats

GOOD_TEXT = ("The harbour authority in Gdansk said on Tuesday that grain exports had doubled since spring, "
             "and officials expect the new terminal to open before the winter storms.")
HUNDRED_MB = 100 * 2**20

BAD_NAME = b"report-\xff\xfe-caf\xe9.txt"  # not UTF-8: Python keeps the bytes as surrogate escapes


def _gzip_bomb(path: Path) -> None:
    """About 1 GB of zeros in ~1 MB: one 10 MB member repeated (multi-member gzip)."""
    member = gzip.compress(b"\0" * (10 * 2**20), compresslevel=9)
    with open(path, "wb") as fh:
        for _ in range(100):
            fh.write(member)


def build_bad_folder(root: Path) -> dict[str, Path]:
    """Every bad input of issue 6 plus good files, in one folder. Returns the notable paths."""
    f = root / "inbox"
    f.mkdir()
    p: dict[str, Path] = {}
    p["good_text"] = f / "good.txt"
    p["good_text"].write_text(GOOD_TEXT, encoding="utf-8")
    p["good_html"] = f / "good.html"
    p["good_html"].write_text(f"<html><head><title>Harbour news</title></head><body><article><p>{GOOD_TEXT}</p>"
                              "<p>Dock workers in Gdynia welcomed the decision.</p></article></body></html>",
                              encoding="utf-8")
    p["binary"] = f / "photo.txt"
    p["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64)
    p["invalid_utf8"] = f / "invalid-utf8.txt"
    p["invalid_utf8"].write_bytes(("Zoë Fischer visited Kraków and Malmö. " * 5).encode() + b"\xff\xfe\xc3(" +
                                  b" The shipyard strike ended in Szczecin.")
    p["legacy"] = f / "legacy-1252.txt"
    p["legacy"].write_bytes("Café owners in Besançon protested the new tax on Thursday.".encode("cp1252"))
    p["utf16"] = f / "utf16-bom.txt"
    p["utf16"].write_bytes("Fishermen in Tromsø reported record cod catches this season.".encode("utf-16"))
    p["empty"] = f / "empty.txt"
    p["empty"].write_bytes(b"")
    p["whitespace"] = f / "blank.txt"
    p["whitespace"].write_bytes(b" \n\t\r\n \xc2\xa0 \n")
    p["huge"] = f / "huge.txt"
    _write_huge(p["huge"])
    p["deep"] = f / "deep.html"
    p["deep"].write_text("<html><body>" + "<div>" * 100_000 + "<p>Too deep to read.</p>" + "</div>" * 100_000 +
                         "</body></html>", encoding="utf-8")
    p["no_body"] = f / "no-body.html"
    p["no_body"].write_text("<!doctype html><html><head><title>Only a head</title>"
                            "<meta charset='utf-8'></head></html>", encoding="utf-8")
    p["jsonl"] = f / "feed.jsonl"
    lines = [json.dumps({"id": f"n{i}", "title": f"Feed item {i}", "text": f"{GOOD_TEXT} Item number {i}."})
             for i in range(5)]
    lines[2] = '{"id": "n2", "title": "Broken", "text": "unterminated'
    p["jsonl"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    p["bomb"] = f / "bomb.txt.gz"
    _gzip_bomb(p["bomb"])
    (f / "loop").mkdir()
    os.symlink("..", f / "loop" / "back-up")  # a folder loop
    os.symlink("cycle-b.txt", f / "cycle-a.txt")  # a file loop
    os.symlink("cycle-a.txt", f / "cycle-b.txt")
    p["bad_name"] = Path(os.fsdecode(os.fsencode(f) + b"/" + BAD_NAME))
    with open(os.fsencode(f) + b"/" + BAD_NAME, "wb") as fh:
        fh.write(b"The ferry from Ystad to Swinoujscie was cancelled because of the storm.")
    return p


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("bad")
    paths = build_bad_folder(root)
    index = root / "index"
    proc = run_cli(["ingest", root / "inbox", "--index", index, "--workers", "1", "--json"], timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)  # valid JSON, whatever the file names
    failed = {item["where"]: item["reason"] for item in report["failed"]}
    warnings = {item["where"]: item["reason"] for item in report["warnings"]}
    return {"proc": proc, "report": report, "failed": failed, "warnings": warnings, "paths": paths,
            "index": index, "root": root}


def _reason(bad_run: dict[str, Any], key: str) -> str:
    path = os.fsdecode(os.path.realpath(os.fsencode(bad_run["paths"][key])))
    reasons = [r for w, r in bad_run["failed"].items() if w == load.display_path(path) or w.startswith(path + "#")]
    assert reasons, f"no failure reported for {key}: {bad_run['failed']}"
    for r in reasons:
        assert "\n" not in r and r.strip() == r
    return reasons[0]


def _search(index: Path, query: str) -> dict[str, Any]:
    # Every copy too: the test articles share one body (near-duplicates, which search collapses).
    proc = run_cli(["search", query, "--index", index, "--json", "--all-passages", "--all-copies", "--limit", "50"])
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_run_completes_and_counts_the_good_files(bad_run: dict[str, Any]) -> None:
    proc, report = bad_run["proc"], bad_run["report"]
    assert proc.returncode == 1  # some inputs failed: grep-like exit code, not an error
    # good.txt, good.html, invalid-utf8, legacy-1252, utf16-bom, 4 good JSONL lines, bad name
    assert report["new"] == 10, report
    assert report["articles"] == 10
    assert stats(bad_run["index"])["articles"] == 10


def test_binary_file_with_text_extension(bad_run: dict[str, Any]) -> None:
    assert _reason(bad_run, "binary") == "binary data, not text"


def test_invalid_utf8_is_repaired_and_noted(bad_run: dict[str, Any]) -> None:
    path = str(bad_run["paths"]["invalid_utf8"].resolve())
    assert bad_run["warnings"][path] == "invalid UTF-8: 3 bad byte sequences replaced with U+FFFD"
    hits = _search(bad_run["index"], "Szczecin")["hits"]
    assert len(hits) == 1 and "Kraków" in hits[0]["text"]  # the valid UTF-8 around it is intact


def test_legacy_encoding_is_read_as_windows_1252(bad_run: dict[str, Any]) -> None:
    path = str(bad_run["paths"]["legacy"].resolve())
    assert bad_run["warnings"][path] == "not valid UTF-8; read as Windows-1252"
    assert "Besançon" in _search(bad_run["index"], "protested")["hits"][0]["text"]


def test_utf16_with_bom_is_ingested(bad_run: dict[str, Any]) -> None:
    assert str(bad_run["paths"]["utf16"].resolve()) not in bad_run["failed"]
    assert "Tromsø" in _search(bad_run["index"], "cod")["hits"][0]["text"]


def test_empty_and_whitespace_only_files(bad_run: dict[str, Any]) -> None:
    assert _reason(bad_run, "empty") == "empty file"
    assert _reason(bad_run, "whitespace") == "only white space"


def test_100_mb_file_fails_fast(bad_run: dict[str, Any]) -> None:
    assert _reason(bad_run, "huge") == "file of 100 MB is larger than the 64 MB limit; split it into articles"


def test_html_nested_100000_levels(bad_run: dict[str, Any]) -> None:
    assert _reason(bad_run, "deep").startswith("HTML nested more than 2,000 elements deep; not parsed")


def test_html_with_no_body(bad_run: dict[str, Any]) -> None:
    assert _reason(bad_run, "no_body") == "no article text left after cleaning"


def test_jsonl_with_one_malformed_line(bad_run: dict[str, Any]) -> None:
    path = str(bad_run["paths"]["jsonl"].resolve())
    assert bad_run["failed"][f"{path}#L3"] == "malformed JSON: Unterminated string starting at column 41"
    titles = {h["title"] for h in _search(bad_run["index"], "Item")["hits"]}
    assert titles == {"Feed item 0", "Feed item 1", "Feed item 3", "Feed item 4"}


def test_gzip_bomb_is_capped(bad_run: dict[str, Any]) -> None:
    assert _reason(bad_run, "bomb") == "gzip data expands beyond 64 MB (decompression stopped)"


def test_symlink_loops(bad_run: dict[str, Any]) -> None:
    inbox = str(bad_run["root"] / "inbox")
    failed = bad_run["failed"]
    assert failed[f"{inbox}/loop/back-up"] == "symlink loop: the link leads back to a folder above it"
    assert failed[f"{inbox}/cycle-a.txt"] == "symlink loop"
    assert failed[f"{inbox}/cycle-b.txt"] == "symlink loop"


def test_file_name_with_invalid_utf8_bytes(bad_run: dict[str, Any]) -> None:
    hits = _search(bad_run["index"], "ferry")["hits"]
    assert len(hits) == 1
    # Shown with the bytes escaped, in valid JSON (and so printable and storable).
    assert hits[0]["path"].endswith("report-\\xff\\xfe-caf\\xe9.txt")
    plain = run_cli(["search", "ferry", "--index", bad_run["index"]])
    assert plain.returncode == 0 and "report-\\xff\\xfe-caf\\xe9.txt" in plain.stdout
    again = run_cli(["ingest", bad_run["root"] / "inbox", "--index", bad_run["index"], "--workers", "1", "--json"],
                    timeout=300)
    report = json.loads(again.stdout)
    assert report["new"] == 0 and report["updated"] == 0  # found again by its exact name: unchanged


def test_bad_run_summary_is_readable(bad_run: dict[str, Any]) -> None:
    """The human summary of the same folder: one line per failure, no traceback."""
    proc = run_cli(["ingest", bad_run["root"] / "inbox", "--index", bad_run["root"] / "index-2", "--workers", "1"],
                   timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    failures = [line for line in proc.stderr.splitlines() if line.startswith("  failed: ")]
    assert len(failures) == len(bad_run["failed"])
    assert proc.stderr.splitlines()[-1].startswith("10 articles, " + str(bad_run["report"]["passages"]) + " passages in ")


# --- faults that need their own run -------------------------------------------------------------

INGEST_REPORTING_RSS = """
import json, resource, sys
from searchkit.ingest import ingest
report = ingest(sys.argv[1:-1], index=sys.argv[-1], workers=1)
print(json.dumps({"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "workers_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "failed": report.failed, "new": report.new}))
"""
# Linux carries a process's peak RSS across fork and exec, so an ingest started straight from
# pytest (hundreds of MB) would report pytest's peak. A small launcher starts it instead.
LAUNCHER = """
import resource, subprocess, sys
proc = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True, text=True)
sys.stderr.write(proc.stderr)
print(proc.stdout.strip()[:-1] + f', "children_kb": {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}}')
sys.exit(proc.returncode)
"""


def _peak_rss(paths: list[Path], index: Path) -> dict[str, Any]:
    """Peak RSS (KiB) of an ingest: of the ingesting process itself, which reads the files
    (``self_kb``), of its worker (``workers_kb``), and of all of them (``children_kb``:
    ``RUSAGE_CHILDREN`` of the launcher)."""
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, INGEST_REPORTING_RSS, *map(str, paths), str(index)],
                          capture_output=True, text=True, env=child_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _write_huge(path: Path) -> None:
    line = (GOOD_TEXT + "\n").encode()
    chunk = line * (2**20 // len(line))  # about 1 MB at a time: the test itself stays small
    with open(path, "wb") as fh:
        while fh.tell() < HUNDRED_MB:
            fh.write(chunk[: HUNDRED_MB - fh.tell()])


def test_huge_file_and_gzip_bomb_keep_memory_bounded(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TEXT, encoding="utf-8")
    baseline = _peak_rss([good], tmp_path / "index-a")
    huge = tmp_path / "huge.txt"
    _write_huge(huge)
    bomb = tmp_path / "bomb.txt.gz"
    _gzip_bomb(bomb)
    loaded = _peak_rss([good, huge, bomb], tmp_path / "index-b")
    assert loaded["new"] == 1 and len(loaded["failed"]) == 2
    growth_mb = (loaded["self_kb"] - baseline["self_kb"]) / 1024
    print(f"peak RSS of the ingesting process: {baseline['self_kb'] / 1024:.0f} MB with one small file, "
          f"{loaded['self_kb'] / 1024:.0f} MB with a 100 MB file and a 1 GB gzip bomb as well; its worker "
          f"(spaCy): {loaded['workers_kb'] / 1024:.0f} MB; all processes: {loaded['children_kb'] / 1024:.0f} MB")
    assert growth_mb < 16, f"reading the bad files grew the peak RSS by {growth_mb:.0f} MB"


def test_unreadable_file_and_folder(tmp_path: Path) -> None:
    """chmod 000 means nothing to root (tests and CI run as root), so the ingest runs without
    root's permission-override capabilities: then it hits EACCES like anyone else."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "ok.txt").write_text(GOOD_TEXT, encoding="utf-8")
    secret = inbox / "secret.txt"
    secret.write_text("Nobody may read this.", encoding="utf-8")
    closed = inbox / "closed"
    closed.mkdir()
    (closed / "inner.txt").write_text(GOOD_TEXT, encoding="utf-8")
    secret.chmod(0o000)
    closed.chmod(0o000)
    try:
        proc = run_cli(["ingest", inbox, "--index", tmp_path / "index", "--workers", "1", "--json"],
                       **obeying_file_modes())
    finally:
        secret.chmod(0o644)
        closed.chmod(0o755)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    failed = {f["where"]: f["reason"] for f in report["failed"]}
    assert failed == {str(secret): "permission denied", str(closed): "cannot read folder: Permission denied"}
    assert report["new"] == 1


def test_file_deleted_mid_run(tmp_path: Path) -> None:
    from searchkit.ingest import ingest

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = [f"{i:02d}.txt" for i in range(6)]
    for i, name in enumerate(names):
        (inbox / name).write_text(f"{GOOD_TEXT} Story {i}.", encoding="utf-8")
    victim = inbox / names[4]

    def progress(event: str, done: int, total: int) -> None:
        if done == 2 and victim.exists():  # files 0 and 1 are read; 4 goes before its turn
            victim.unlink()

    report = ingest([inbox], index=tmp_path / "index", workers=1, progress=progress)
    assert report.failed == [(str(victim), "file disappeared before it could be read")]
    assert report.new == 5 and report.articles == 5
