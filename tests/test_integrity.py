"""Index integrity (issue 19): every byte flip, truncation and deletion of an index file is
found by ``searchkit check``; opening an index refuses one whose files changed size; a crash
between a commit's table of contents and its manifest is never called damage; ``--clean`` and
``--repair`` fix what ``check`` names."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from searchkit.store.integrity import check_index

from .reliability_support import one_line_error, run_cli, stats, write_corpus

FLIPS = 200


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    assert write_corpus(folder, jsonl_files=1, per_jsonl=40, text_files=10) == 50
    return folder


@pytest.fixture(scope="module")
def index(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small index of several segments (commits of 15 articles, no merge)."""
    index = tmp_path_factory.mktemp("index") / "index"
    proc = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--commit-every", "15", "--quiet"])
    assert proc.returncode == 0, proc.stderr
    return index


def _copy(index: Path, tmp_path: Path, name: str = "copy") -> Path:
    return Path(shutil.copytree(index, tmp_path / name))


def _index_files(index: Path) -> list[str]:
    """Every file of the index, the copy table's (``duplicates/…``) too (the lock file holds
    only who last wrote; it is not index data)."""
    return sorted(str(p.relative_to(index)) for p in index.rglob("*") if p.is_file() and p.name != "ingest.lock")


def _kind_of(name: str) -> str:
    if name.startswith("duplicates/"):  # the copy table: current.json, members-N, clusters-N, signatures-N
        return "copies-" + name.removeprefix("duplicates/").split("-")[0].split(".")[0]
    for suffix, kind in ((".sources.json", "sources"), (".toc", "toc"), (".col", "column"), (".pst", "postings"),
                         (".trm", "terms")):
        if name.endswith(suffix):
            return kind
    return name


def _one_of_each_kind(index: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in _index_files(index):
        out.setdefault(_kind_of(name), name)
    return out


KINDS = ["postings", "terms", "column", "sources", "toc", "entities.json", "entity_names.json", "searchkit.json",
         "copies-current", "copies-members", "copies-clusters", "copies-signatures",
         "manifest.json"]


def test_a_fresh_index_checks_clean(index: Path) -> None:
    proc = run_cli(["check", "--index", index])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"index {index}: generation ")
    assert "50 articles, 100 passages" in lines[0]
    assert lines[-1] == "ok: no problems found"
    deep = run_cli(["check", "--index", index, "--deep", "--json"])
    assert deep.returncode == 0, deep.stdout
    report = json.loads(deep.stdout)
    assert report["ok"] and report["deep"] and not report["problems"]
    assert (report["articles"], report["passages"]) == (50, 100)
    assert report["files_checked"] == len(_index_files(index)) - 1  # the manifest checks itself
    assert sorted(_one_of_each_kind(index)) == sorted(KINDS)


def test_every_one_of_200_random_byte_flips_is_found(index: Path, tmp_path: Path) -> None:
    """Each flip on a fresh copy: one byte changed to another value, at a random offset of a
    file chosen by size (every file at least once). The default check must name the file."""
    rng = random.Random(19)
    names = _index_files(index)
    sizes = {n: (index / n).stat().st_size for n in names}
    missed = []
    for i in range(FLIPS):
        name = names[i] if i < len(names) else rng.choices(names, weights=[sizes[n] for n in names])[0]
        work = _copy(index, tmp_path, f"flip-{i}")
        offset = rng.randrange(sizes[name])
        with open(work / name, "r+b") as fh:
            fh.seek(offset)
            old = fh.read(1)[0]
            fh.seek(offset)
            fh.write(bytes([old ^ rng.randrange(1, 256)]))
        report = check_index(work)
        if report.exit_code != 1 or not any(f.name == name or f.segment == name.split(".")[0]
                                            for f in report.problems):
            missed.append((name, offset, report.exit_code, [f.line() for f in report.findings]))
        shutil.rmtree(work)
    assert not missed, f"{len(missed)} of {FLIPS} flips not found: {missed[:5]}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", ["flip", "truncate", "delete"])
def test_each_fault_of_each_kind_of_file_is_found(index: Path, tmp_path: Path, kind: str, fault: str) -> None:
    work = _copy(index, tmp_path)
    name = _one_of_each_kind(work)[kind]
    path = work / name
    data = path.read_bytes()
    if fault == "flip":
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:])
    elif fault == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.unlink()
    proc = run_cli(["check", "--index", work])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    problems = [line for line in proc.stdout.splitlines() if line.startswith("problem: ")]
    assert problems, proc.stdout
    segment = name.split(".")[0]
    assert any(name in line or (segment.startswith("MAIN_") and segment in line) or
               (kind == "toc" and ".toc" in line) for line in problems), proc.stdout
    assert proc.stdout.splitlines()[-1].startswith(f"{len(problems)} problem")

    # Opening the index for search: a file whose size changed (or is gone) is a clear
    # one-line error; a flip keeps the size, and is check's business.
    found = run_cli(["search", "talks", "--index", work, "--json", "-n", "3"])
    assert "Traceback" not in found.stderr
    assert "internal error" not in found.stderr
    if kind == "entity_names.json" or kind.startswith("copies-"):
        # Derived from entities.json for fast hits: a bad copy is ignored and the table read.
        # A bad copy table is ignored too: search shows every copy until it is repaired.
        assert found.returncode == 0, found.stderr
    elif fault != "flip":
        assert found.returncode == 2, found.stdout
        line = one_line_error(found.stderr)
        assert "index damaged: " in line, line
        assert "searchkit check" in line, line


def test_ingest_refuses_to_build_on_a_damaged_segment(index: Path, corpus: Path, tmp_path: Path) -> None:
    """A flipped byte keeps the size, so search opens; ingest must not merge the segment into
    a new one with fresh checksums (the damage would be blessed)."""
    work = _copy(index, tmp_path)
    target = next(work.glob("MAIN_*.trm"))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    before = sorted(p.name for p in work.iterdir())
    proc = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", work, "--workers", "1"])
    assert proc.returncode == 2
    line = one_line_error(proc.stderr)
    assert f"index damaged: {target.name} fails its checksum" in line and "check --repair" in line, line
    assert sorted(p.name for p in work.iterdir()) == before


def test_crash_between_the_toc_and_the_manifest_is_an_unverified_generation(
        corpus: Path, tmp_path: Path) -> None:
    """A real SIGKILL right after a commit's TOC, before its manifest: search works, check
    says "unverified" and exits 0, and the next ingest records the generation."""
    index = tmp_path / "index"
    script = (
        "import os, signal, sys\n"
        "import importlib\n"
        "run = importlib.import_module(\"searchkit.ingest.run\")\n"
        "ingest = run.ingest\n"
        "from searchkit.settings import IngestSettings\n"
        "real, calls = run.record_generation, []\n"
        "def record(ix, folder, **kw):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 3:  # the open, the first commit, then: killed after the second's TOC\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(ix, folder, **kw)\n"
        "run.record_generation = record\n"
        "ingest([sys.argv[1]], index=sys.argv[2], workers=1, settings=IngestSettings(commit_every=15))\n"
    )
    import subprocess
    import sys

    from .reliability_support import child_env

    proc = subprocess.run([sys.executable, "-c", script, str(corpus), str(index)], capture_output=True,
                          text=True, env=child_env(), timeout=300)
    assert proc.returncode == -9, proc.stderr
    manifest = json.loads((index / "manifest.json").read_bytes().rsplit(b"\n", 2)[0])
    assert manifest["generation"] == 1 and stats(index)["articles"] == 30
    check = run_cli(["check", "--index", index])
    assert check.returncode == 0, check.stdout
    assert "note: generation 2: not recorded yet" in check.stdout
    assert check.stdout.splitlines()[-1] == "ok: no problems found"
    again = run_cli(["ingest", corpus, "--index", index, "--workers", "1", "--json"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["articles"] == 50
    final = run_cli(["check", "--index", index, "--json"])
    assert final.returncode == 0, final.stdout
    report = json.loads(final.stdout)
    assert report["manifest_generation"] == report["generation"] and not report["notes"]


def test_orphans_are_listed_cleaned_and_removed_by_the_next_ingest(index: Path, corpus: Path,
                                                                    tmp_path: Path) -> None:
    work = _copy(index, tmp_path)
    seg = next(p for p in work.glob("MAIN_*.pst"))
    orphans = ["MAIN_deadbeef00000000.pst", "_MAIN_9.toc.1700000000.5", "MAIN_WRITELOCK", "manifest.json.tmp"]
    shutil.copy(seg, work / orphans[0])
    for name in orphans[1:]:
        (work / name).write_bytes(b"x")
    (work / "notes.txt").write_text("mine")
    proc = run_cli(["check", "--index", work])
    assert proc.returncode == 1
    for name in orphans:
        if name == "MAIN_WRITELOCK":
            assert "note: MAIN_WRITELOCK: stale lock file of a stopped writer" in proc.stdout
        else:
            assert f"problem: {name}: not part of generation" in proc.stdout
    assert "note: notes.txt: not searchkit's (left alone)" in proc.stdout
    assert "searchkit check --clean" in proc.stdout.splitlines()[-1]
    clean = run_cli(["check", "--index", work, "--clean"])
    assert clean.returncode == 0, clean.stdout
    assert all(f"removed: {name}" in clean.stdout for name in orphans)
    assert not any((work / n).exists() for n in orphans) and (work / "notes.txt").exists()
    # The next ingest removes them too (what a failed commit leaves).
    for name in orphans[1:]:
        (work / name).write_bytes(b"x")
    proc = run_cli(["ingest", corpus / "batch-0.jsonl", "--index", work, "--json"])
    assert proc.returncode == 0, proc.stderr
    assert not any((work / n).exists() for n in orphans[1:])
    assert run_cli(["check", "--index", work]).returncode == 0


def test_repair_re_ingests_the_articles_of_a_damaged_segment(index: Path, corpus: Path, tmp_path: Path) -> None:
    work = _copy(index, tmp_path)
    before = stats(work)
    target = max(work.glob("MAIN_*.pst"), key=lambda p: p.stat().st_size)
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0xFF
    target.write_bytes(bytes(data))
    assert run_cli(["check", "--index", work]).returncode == 1
    proc = run_cli(["check", "--index", work, "--repair"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"repaired: found {target.name}: checksum mismatch" in proc.stdout
    assert f"repaired: set aside damaged segment {target.name.split('.')[0]}" in proc.stdout
    assert "articles added back" in proc.stdout
    after = stats(work)
    assert (after["articles"], after["passages"]) == (before["articles"], before["passages"])
    assert run_cli(["check", "--index", work, "--deep"]).returncode == 0


def test_repair_names_what_cannot_be_recovered(index: Path, corpus: Path, tmp_path: Path) -> None:
    """Sources gone from disk: the articles of the damaged segment that were read from them
    are named as lost; everything else is repaired."""
    gone = Path(shutil.copytree(corpus, tmp_path / "corpus"))
    work = tmp_path / "index"
    # Commits of 20: the last segment holds the 10 text files alone (read after the JSONL file).
    proc = run_cli(["ingest", gone, "--index", work, "--workers", "1", "--commit-every", "20", "--quiet"])
    assert proc.returncode == 0, proc.stderr
    lists = {p: json.loads(p.read_bytes().rsplit(b"\n", 2)[0])["sources"] for p in work.glob("MAIN_*.sources.json")}
    last, sources = next((p, s) for p, s in lists.items() if all(path.endswith(".txt") for path, _, _ in s))
    seg = last.name.split(".")[0]
    for path, _, _ in sources:
        Path(path).unlink()
    (work / f"{seg}.trm").write_bytes(b"")  # truncated to nothing
    proc = run_cli(["check", "--index", work, "--repair"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lost = [line for line in proc.stdout.splitlines() if line.startswith("repaired: not recoverable: ")]
    assert len(lost) == len(sources)
    assert stats(work)["articles"] == 50 - sum(n for _, _, n in sources)


def test_repair_rebuilds_when_the_table_of_contents_is_gone(index: Path, tmp_path: Path) -> None:
    work = _copy(index, tmp_path)
    for toc in work.glob("_MAIN_*.toc"):
        toc.unlink()
    found = run_cli(["search", "talks", "--index", work])
    assert found.returncode == 2
    assert "index damaged: its table of contents" in one_line_error(found.stderr)
    proc = run_cli(["check", "--index", work, "--repair"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rebuilding from the 11 source files" in proc.stdout
    assert stats(work)["articles"] == 50


def test_check_of_a_folder_that_is_not_an_index_exits_2(tmp_path: Path) -> None:
    proc = run_cli(["check", "--index", tmp_path / "nothing"])
    assert proc.returncode == 2
    assert one_line_error(proc.stderr).startswith(f"searchkit: error: no index at {tmp_path / 'nothing'}")
