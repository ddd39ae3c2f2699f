"""Copies at ingest (issue 14): clusters kept incrementally through new, changed, pruned and
re-ingested articles; a killed run leaves a table that is behind (never damaged) and the next
ingest catches up; ``--dup-threshold 0`` turns the stage off; ``check`` verifies the table and
``--repair`` rebuilds it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

import searchkit
from searchkit.ingest.run import write_articles
from searchkit.records import Article
from searchkit.settings import IngestSettings
from searchkit.store.copies import DUPLICATES

from .conftest import run_cli
from .reliability_support import child_env
from .test_copies_search import article, ids, story_set
from .test_duplicates import LOOK_ALIKE, WIRE, copies_of, earnings


def clusters(index: Path) -> list[set[str]]:
    doc = json.loads(run_cli("duplicates", "--index", index, "--json").stdout)
    return [{m["article_id"] for m in c["members"]} for c in doc["clusters"]]


def check(index: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--index", index, *args)


def test_ingest_keeps_clusters_through_new_changed_and_pruned_files(tmp_path: Path) -> None:
    """The real pipeline (workers sign, the writer clusters), one file at a time."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    index = tmp_path / "index"
    (corpus / "wire.txt").write_text(WIRE)
    (corpus / "gazette.txt").write_text(copies_of(WIRE)["boilerplate"])
    (corpus / "look-alike.txt").write_text(LOOK_ALIKE)

    def ingest(*extra: str) -> None:
        r = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet", *extra)
        assert r.returncode == 0, r.stderr
        deep = check(index, "--deep")
        assert deep.returncode == 0 and deep.stdout.splitlines()[-1] == "ok: no problems found", deep.stdout

    def aid(name: str) -> str:
        from searchkit.ingest.build import article_id_for

        return article_id_for(str(corpus / name))

    ingest()
    assert clusters(index) == [{aid("wire.txt"), aid("gazette.txt")}]
    (corpus / "edited.txt").write_text(copies_of(WIRE)["words_edited"])  # a new copy joins the story
    ingest()
    assert clusters(index) == [{aid("wire.txt"), aid("gazette.txt"), aid("edited.txt")}]
    (corpus / "gazette.txt").write_text(earnings("ACME TOOLS", "42", "37", "12.4", "10.9", "301.2", "288.7"))
    ingest()  # changed into another story: it leaves
    assert clusters(index) == [{aid("wire.txt"), aid("edited.txt")}]
    (corpus / "edited.txt").unlink()
    ingest("--prune")  # removed: the story is alone again
    assert clusters(index) == []
    hits = json.loads(run_cli("search", "ferry terminal", "--index", index, "--json").stdout)["hits"]
    assert all(h["copies"] == [] for h in hits)
    (corpus / "again.txt").write_text(copies_of(WIRE)["exact_spacing"])
    ingest("--dup-threshold", "0")  # off: no table, every copy its own hit
    assert not (index / DUPLICATES).exists()
    ingest("--dup-threshold", "0.6")  # on again: found from the stored text
    assert clusters(index) == [{aid("wire.txt"), aid("again.txt")}]


def test_re_ingesting_a_copy_replaces_it_in_its_story(build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("headline")
    aid = ids(arts)
    index = build_index(arts)
    assert {aid["wire"], aid["headline"]} in clusters(index)
    moved = article("headline", LOOK_ALIKE + "\n\nA second paragraph about another matter entirely, at the harbour.",
                    date="2026-03-03")  # same file, now a copy of the look-alike
    assert write_articles(index, [moved]).updated == 1
    found = clusters(index)
    assert {aid["headline"], aid["look-alike"]} in found and not any(aid["wire"] in c for c in found)


@pytest.mark.parametrize("where", ["after-commit", "mid-save"])
def test_a_killed_run_leaves_the_table_behind_and_the_next_run_catches_up(tmp_path: Path, where: str) -> None:
    """A real SIGKILL: right after the second commit, before its clusters are saved; or in the
    middle of that save (new files written, not yet current). Search works meanwhile, check
    says "behind" (a note), and the next ingest brings the table up to date."""
    index = tmp_path / "index"
    holder, name = ("d.DuplicateClusters", "save") if where == "after-commit" else ("d", "write_current")
    script = (
        "import os, signal, sys, importlib\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from tests.test_copies_search import story_set\n"
        "from tests.test_duplicates import WIRE, copies_of\n"
        "from tests.test_copies_search import article\n"
        "from searchkit.ingest.run import write_articles\n"
        "from searchkit.settings import IngestSettings\n"
        "import searchkit.duplicates as d\n"
        f"holder = {holder}\n"
        f"real, calls = getattr(holder, {name!r}), []\n"
        "def patched(*a, **k):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(*a, **k)\n"
        f"setattr(holder, {name!r}, patched)\n"
        "arts = story_set('boilerplate') + [article(k, copies_of(WIRE)[k], date='2026-03-09') for k in ('headline', 'words_edited')]\n"
        "write_articles(sys.argv[1], arts, settings=IngestSettings(commit_every=3))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(index), str(Path(__file__).parents[1])],
                          capture_output=True, text=True, env=child_env(), timeout=300)
    assert proc.returncode == -9, proc.stderr
    before = check(index)
    assert before.returncode == 0, before.stdout
    assert "note: duplicates/members-1.json: behind the index (holds 3 articles, the index 6)" in before.stdout
    assert run_cli("search", "ferry terminal", "--index", index).returncode == 0
    assert len(clusters(index)[0]) == 2  # what the first commit's save knew: wire + boilerplate
    arts = story_set("boilerplate") + [article(k, copies_of(WIRE)[k], date="2026-03-09") for k in ("headline", "words_edited")]
    assert write_articles(index, arts).unchanged == 0  # the same articles written again (nothing new)
    aid = ids(arts)
    assert clusters(index) == [{aid["wire"], aid["boilerplate"], aid["headline"], aid["words_edited"]}]
    after = check(index, "--deep")
    assert after.returncode == 0 and "behind" not in after.stdout, after.stdout
    # no file of the killed save is left over: the current table's and current.json only
    current = json.loads((index / DUPLICATES / "current.json").read_text())["files"]
    assert sorted(p.name for p in (index / DUPLICATES).iterdir()) == sorted(["current.json", *current.values()])


def test_an_ingest_with_nothing_to_write_catches_up_a_table_left_behind(
        build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("paragraph_removed")
    aid = ids(arts)
    index = build_index(arts[:1] + arts[2:])
    saved = index.parent / "saved-table"
    shutil.copytree(index / DUPLICATES, saved)
    write_articles(index, [arts[1]])
    shutil.rmtree(index / DUPLICATES)
    shutil.copytree(saved, index / DUPLICATES)  # as a kill between the commit and the save leaves it
    assert clusters(index) == []
    write_articles(index, [])
    assert clusters(index) == [{aid["wire"], aid["paragraph_removed"]}]


def test_threshold_zero_turns_copies_off_and_a_later_ingest_finds_them(tmp_path: Path) -> None:
    arts = story_set("exact_spacing")
    aid = ids(arts)
    index = tmp_path / "index"
    write_articles(index, arts, settings=IngestSettings(dup_threshold=0))
    assert not (index / DUPLICATES).exists()
    with searchkit.open_index(index) as idx:
        assert {aid["wire"], aid["exact_spacing"]} <= {h.article_id for h in idx.search("ferry terminal").hits}
    missing = run_cli("duplicates", "--index", index)
    assert missing.returncode == 2 and "no copy table" in missing.stderr
    assert "note: duplicates: no copy table" in check(index).stdout
    write_articles(index, [])  # the default threshold: signed from the stored text
    assert clusters(index) == [{aid["wire"], aid["exact_spacing"]}]
    write_articles(index, [], settings=IngestSettings(dup_threshold=0))
    assert not (index / DUPLICATES).exists()


def test_a_new_threshold_reclusters_from_the_kept_signatures(build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("words_edited")
    aid = ids(arts)
    index = build_index(arts)
    assert {aid["wire"], aid["words_edited"]} in clusters(index)
    write_articles(index, [], settings=IngestSettings(dup_threshold=1.0))  # exact copies only
    assert clusters(index) == []
    members = json.loads((index / DUPLICATES / json.loads((index / DUPLICATES / "current.json").read_text())
                          ["files"]["members"]).read_text())
    assert members["settings"]["threshold"] == 1.0 and len(members["members"]) == 5


@pytest.mark.parametrize("role", ["members", "clusters", "signatures"])
def test_check_finds_a_damaged_table_and_repair_rebuilds_it(role: str,
                                                           build_index: Callable[[Iterable[Article]], Path]) -> None:
    arts = story_set("boilerplate")
    index = build_index(arts)
    expected = clusters(index)
    name = json.loads((index / DUPLICATES / "current.json").read_text())["files"][role]
    path = index / DUPLICATES / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x04
    path.write_bytes(bytes(data))
    found = check(index)
    assert found.returncode == 1
    assert f"problem: duplicates/{name}: checksum mismatch" in found.stdout, found.stdout
    repaired = check(index, "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert "repaired: rebuilt the copy table (5 articles, 1 with copies)" in repaired.stdout
    assert clusters(index) == expected


def test_the_ingest_default_is_the_measured_threshold() -> None:
    from searchkit.duplicates import DEFAULT_THRESHOLD

    assert IngestSettings().dup_threshold == DEFAULT_THRESHOLD
    r = run_cli("ingest", "--help")
    assert "--dup-threshold" in r.stdout and "0.6;" in r.stdout


def write_notices(path: Path, records: list[tuple[str, tuple[str, str], str]]) -> None:
    """(id, (headline, body), date) as JSONL records, as a wire archive exports them."""
    path.write_text("".join(json.dumps({"id": rid, "title": head, "text": body, "date": date, "site": "wire.example"}) + "\n"
                            for rid, (head, body), date in records))


def stories_by_title_and_date(index: Path) -> list[set[tuple[str, str]]]:
    doc = json.loads(run_cli("duplicates", "--index", index, "--json").stdout)
    return [{(m["title"], m["date"][:16]) for m in c["members"]} for c in doc["clusters"]]


def test_template_notices_stay_apart_and_a_resent_one_joins_its_story(tmp_path: Path) -> None:
    """Through the CLI: two funds' payout notices (one template, other headline), one bank's
    daily operation on two days (other amounts) stay four stories; the re-send of one notice
    joins it, in the run that brings it and in a later run (the incremental path)."""
    from .test_duplicates import operation, payout

    municipal, harbour = payout("Municipal", "6.4", "15"), payout("Harbour", "6.4", "15")
    first = tmp_path / "wire-0402.jsonl"
    write_notices(first, [
        ("n1", municipal, "2026-04-02T14:30:00"), ("n2", harbour, "2026-04-02T14:31:00"),
        ("n3", operation("1.5", "6-3/16"), "2026-04-06T11:45:00"), ("n4", operation("2.5", "6-1/4"), "2026-04-07T11:45:00"),
        ("n5", ("(RPT) " + municipal[0], municipal[1]), "2026-04-02T16:10:00"),
    ])
    index = tmp_path / "index"
    r = run_cli("ingest", first, "--index", index, "--workers", "1", "--quiet")
    assert r.returncode == 0, r.stderr
    story = {(municipal[0], "2026-04-02T14:30"), ("(RPT) " + municipal[0], "2026-04-02T16:10")}
    assert stories_by_title_and_date(index) == [story]
    later = tmp_path / "wire-0403.jsonl"
    write_notices(later, [
        ("n6", ("CORRECTED - " + municipal[0], municipal[1].replace("April 15", "April 16")), "2026-04-03T09:00:00"),
        ("n7", municipal, "2026-05-04T14:30:00"),  # next month's payout: one text, another story
    ])
    r = run_cli("ingest", later, "--index", index, "--workers", "1", "--quiet")
    assert r.returncode == 0, r.stderr
    assert stories_by_title_and_date(index) == [story | {("CORRECTED - " + municipal[0], "2026-04-03T09:00")}]
    listed = run_cli("duplicates", "--index", index, "--min-copies", "2")
    assert listed.returncode == 0 and listed.stdout.splitlines()[-1] == "1 story with copies, 3 articles", listed.stdout


@pytest.mark.parametrize("version", [1, 2])
def test_a_table_of_the_older_format_is_noted_and_found_again(build_index: Callable[[Iterable[Article]], Path],
                                                               version: int) -> None:
    """An index whose copy table an older searchkit wrote (version 1: no headline, no figures;
    version 2: figures sorted, compared as a bag only): search keeps using it, ``check`` says so in a
    note, ``check --repair`` signs every article again from its stored text."""
    from searchkit.store.copies import MEMBERS_VERSION, write_current

    arts = story_set("boilerplate")
    index = build_index(arts)
    expected = clusters(index)
    table = index / DUPLICATES
    current = json.loads((table / "current.json").read_text())["files"]
    members = table / current["members"]
    old = json.loads(members.read_text())
    old["version"] = version
    for m in old["members"] if version == 1 else ():
        for key in ("figures", "headline", "corrects"):
            del m[key]
    members.write_text(json.dumps(old, separators=(",", ":")))
    write_current(table, current)
    assert clusters(index) == expected  # search reads the clusters file, unchanged in format
    noted = check(index)
    assert noted.returncode == 0 and f"made by an older searchkit (version {version}, now {MEMBERS_VERSION})" in noted.stdout, noted.stdout
    repaired = check(index, "--repair")
    assert repaired.returncode == 0 and "rebuilt the copy table (5 articles, 1 with copies)" in repaired.stdout, repaired.stdout
    assert json.loads((table / json.loads((table / "current.json").read_text())["files"]["members"]).read_text())["version"] == MEMBERS_VERSION == 3
    assert clusters(index) == expected and "made by an older" not in check(index).stdout
