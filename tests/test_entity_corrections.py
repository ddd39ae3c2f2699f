"""Facets on a whole index and the user's corrections, as a user meets them: through the
Python API on a real index and ``searchkit`` as a subprocess.

Issue 12's examples that need an index: a name typed differently in one article, a surname
filter that missed a headline, a group filter that missed the plural, an Indonesian page, and
canonical names that changed when unrelated files were added; then merge / rename / split /
retype / drop, kept in a file in the index folder, surviving a rebuild, moved between indexes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

import searchkit
from searchkit.records import Article

from .conftest import CORPUS, SEED, make_article, run_cli

ARCHIVE = Path(__file__).parent / "fixtures" / "entity_quality" / "archive"


@pytest.fixture(scope="module")
def archive_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-written archive, ingested with the real pipeline (cleaner, language, NER)."""
    index = tmp_path_factory.mktemp("archive") / "index"
    report = searchkit.ingest([ARCHIVE], index=index, workers=1)
    assert report.failed == [], report.failed
    return index


def club(n: int, typed_as: str) -> Article:
    return make_article(f"club/{n}.txt", f"Chelsea report {n}", [
        f"Chelsea won match {n} of the season at Stamford Bridge, and the fans stayed late.",
    ], entities=[(typed_as, "Chelsea", ["Chelsea"])])


def test_a_name_typed_otherwise_in_one_article_takes_the_index_wide_type(
        build_index: Callable[[Iterable[Article]], Path]) -> None:
    index = build_index([club(1, "org"), club(2, "org"), club(3, "org"), club(4, "org"), club(5, "person")])
    with searchkit.open_index(index) as idx:
        assert "Chelsea" not in {e.name for e in idx.entities("person")}
        assert next(e for e in idx.entities("org") if e.name == "Chelsea").count == 5
        hits = idx.search("match", org="chelsea", limit=10, collapse=False).hits
        assert {h.title for h in hits} == {f"Chelsea report {n}" for n in range(1, 6)}
        assert all(h.entities == {"org": ("Chelsea",)} for h in hits)
        assert idx.search("match", person="chelsea").hits == ()
        facets = idx.search("match", facets=True).facets
        assert facets is not None and dict(facets["org"]) == {"Chelsea": 5} and facets["person"] == ()


def test_filters_find_surnames_and_plural_groups(archive_index: Path) -> None:
    """`--person "adrian mutu"` missed "Chelsea sack Mutu"; `--group tory` missed the Tories."""
    with searchkit.open_index(archive_index) as idx:
        mutu = idx.search("sacked OR joined", person="adrian mutu", operator="or", collapse=False).hits
        assert {Path(h.path).name for h in mutu} == {"chelsea-sack-mutu.txt"}
        assert any("Chelsea sack Mutu" in h.text for h in idx.search("sack", person="adrian mutu").hits)
        tories = idx.search("taxes", group="tory", collapse=False).hits
        assert {Path(h.path).name for h in tories} == {"tories-plan.txt", "tory-campaign.txt"}
        assert any("Tories" in h.text for h in tories)
        assert {e.name for e in idx.entities("group")} >= {"Conservative", "Belarusian"}


def test_a_non_english_page_gets_no_english_entities(archive_index: Path) -> None:
    result = run_cli("stats", "--json", "--index", archive_index)
    assert result.returncode == 0, result.stderr
    languages = {d["language"]: d["articles"] for d in json.loads(result.stdout)["languages"]}
    assert languages["en"] == len(list(ARCHIVE.glob("*.txt"))) - 1 and set(languages) - {"en"} <= {"id", "ms"}
    with searchkit.open_index(archive_index) as idx:
        hit = idx.search("harga", limit=1).hits[0]
        article = idx.article(hit.article_id)
    assert article.entities == () and article.metadata.language in ("id", "ms")
    people = {e.name for e in searchkit.open_index(archive_index).entities("person")}
    assert not people & {"Dan", "Jika"}


def test_canonical_names_do_not_change_when_unrelated_files_are_added(tmp_path: Path) -> None:
    """The seed's border-closure passage read `org: European Union; place: US`, then `org: EU;
    place: America` once more files were ingested."""
    extra = tmp_path / "extra"
    extra.mkdir()
    for n in range(4):
        (extra / f"eu-{n}.txt").write_text(
            f"EU talks {n}\n\nThe EU and America agreed a deal. EU officials said America would "
            f"cut tariffs, and the EU would follow. America welcomed it.\n", encoding="utf-8")
    index = tmp_path / "index"

    def border_entities() -> dict[str, list[str]]:
        result = run_cli("search", "border closure", "--jsonl", "-n", "1", "--index", index)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[0])["entities"]

    assert run_cli("ingest", SEED, "--index", index).returncode == 0
    before = border_entities()
    assert run_cli("ingest", extra, "--index", index).returncode == 0
    assert border_entities() == before
    assert before["org"] == ["European Union"] and before["place"] == ["United States"]


def test_edits_apply_at_once_survive_a_rebuild_and_move_between_indexes(tmp_path: Path) -> None:
    index, other = tmp_path / "index", tmp_path / "other"
    assert run_cli("ingest", CORPUS, "--index", index).returncode == 0
    shutil.copytree(index, other)

    def ok(*args: str, where: Path = index) -> str:
        result = run_cli(*args, "--index", where)
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok("entities", "merge", "person", "Alexander Lukashenko", "Vyacheslav Volodin")
    ok("entities", "retype", "org", "Kremlin", "place")
    ok("entities", "drop", "place", "Poland")
    ok("entities", "rename", "org", "European Union", "EU bloc")
    listed = json.loads(ok("entities", "--edits", "--json"))["edits"]
    assert [e["action"] for e in listed] == ["merge", "retype", "drop", "rename"]
    edits_file = index / "entity_edits.tsv"
    assert "merge\tperson\tAlexander Lukashenko\tVyacheslav Volodin" in edits_file.read_text(encoding="utf-8")

    def check(where: Path) -> None:
        people = {e["name"]: e for e in json.loads(ok("entities", "--type", "person", "--json", where=where))["entities"]}
        assert "Vyacheslav Volodin" not in people and "Vyacheslav Volodin" in people["Alexander Lukashenko"]["aliases"]
        places = [e["name"] for e in json.loads(ok("entities", "--type", "place", "--json", where=where))["entities"]]
        assert "Poland" not in places and "Kremlin" in places
        hits = json.loads(ok("search", "parliament", "--person", "lukashenko", "--json", where=where))["hits"]
        assert any("Volodin" in h["text"] for h in hits)
        border = json.loads(ok("search", "border closure", "--json", "-n", "1", where=where))["hits"][0]
        assert border["entities"]["org"] == ["EU bloc"]

    check(index)
    ok("ingest", "--rebuild", CORPUS)  # re-ingest: the corrections stay
    check(index)
    exported = tmp_path / "edits.tsv"
    ok("entities", "export", str(exported))
    ok("entities", "import", str(exported), where=other)
    check(other)


def test_bad_edits_are_one_line_errors(tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert run_cli("ingest", SEED, "--index", index).returncode == 0
    for args in (["merge", "person", "Nobody Known", "Alexander Lukashenko"], ["retype", "person", "Alexander Lukashenko", "animal"],
                 ["drop", "person"], ["frobnicate", "person", "x"]):
        result = run_cli("entities", *args, "--index", index)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
    (index / "entity_edits.tsv").write_text("merge person only-spaces\n", encoding="utf-8")
    result = run_cli("entities", "--index", index)
    assert result.returncode == 2 and "entity_edits.tsv:1" in result.stderr and "Traceback" not in result.stderr


def test_suggest_lists_a_surname_and_a_full_name_named_in_the_same_article(
        build_index: Callable[[Iterable[Article]], Path]) -> None:
    """Bowers / Reveta Bowers in the same article were not merged: the bare name is far more
    frequent, so the table keeps them apart, and suggest offers the merge with its evidence."""
    school = make_article("school/1.txt", "Head joins board", [
        "Reveta Bowers, head of a school in Los Angeles, joined the board of the foundation on Monday morning.",
    ], entities=[("person", "Reveta Bowers", ["Reveta Bowers"]), ("person", "Bowers", ["Bowers,"])])
    later = [make_article(f"school/{n}.txt", f"Board meeting {n}", [
        f"Bowers chaired board meeting number {n} and said the school budget would grow next year.",
    ], entities=[("person", "Bowers", ["Bowers"])]) for n in range(2, 7)]
    index = build_index([school, *later])
    result = run_cli("entities", "suggest", "--json", "--index", index)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["suggestions"]
    assert {"edit": ["merge", "person", "Reveta Bowers", "Bowers"], "evidence": "surname of 'Reveta Bowers'; 1 article names both"} in found
