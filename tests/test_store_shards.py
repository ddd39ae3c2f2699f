"""Several index folders searched as one (store/shards.py): pooled statistics, so the same
hits and scores as one index of the same articles; what writes to a sharded index and what
refuses to; check and merge over shards; the query path stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import searchkit
from searchkit.errors import SearchkitError
from searchkit.ingest import write_articles
from searchkit.ingest.merge import merge_shards
from searchkit.ingest.sharded import shard_of
from searchkit.records import Article
from searchkit.store.integrity import check_index
from searchkit.store.shards import write_shards, writable_index

from .conftest import CORPUS, CORPUS_ENTITIES, HANDMADE, articles_from_files, run_cli
from .test_json_schema import _check as check_schema

QUERIES = ["border", "rail", "Lukashenko border", '"border closure"', "sanctions OR freight"]


def everything() -> list[Article]:
    return [*articles_from_files([CORPUS], CORPUS_ENTITIES), *HANDMADE]


def sharded(top: Path, articles: list[Article], n: int) -> Path:
    """A sharded index of ``n`` shards, each article in the shard its id routes it to."""
    paths = [top / "shards" / f"w{k:02d}" for k in range(n)]
    for k, p in enumerate(paths):
        write_articles(p, [a for a in articles if shard_of(a.article_id, n) == k])
    write_shards(top, paths)
    return top


def results(index: Path | list[Path]) -> dict[str, object]:
    with searchkit.open_index(index) as idx:
        hits = {q: sorted((h.passage_id, round(h.score, 6)) for h in idx.search(q, limit=100).hits)
                for q in QUERIES}
        facets = idx.search("border", facets=True).facets
        st = idx.stats()
        filtered = sorted(h.passage_id for h in idx.search("border", person="Lukashenko", site="example.org").hits)
        return {"hits": hits, "facets": facets, "counts": (st.articles, st.passages), "filtered": filtered,
                "entities": [(e.name, e.type, e.count) for e in idx.entities()]}


@pytest.fixture
def single(tmp_path: Path) -> Path:
    write_articles(tmp_path / "one", everything())
    return tmp_path / "one"


@pytest.mark.parametrize("n", [2, 3])
def test_shards_searched_as_one_give_the_scores_of_one_index(tmp_path: Path, single: Path, n: int) -> None:
    top = sharded(tmp_path / "sharded", everything(), n)
    with searchkit.open_index(top / "shards" / "w00") as part:
        assert part.stats().articles < len(everything())  # each shard holds only its part ...
    expected = results(single)
    assert results(top) == expected  # ... and together they score as one index
    assert results(sorted((top / "shards").iterdir())) == expected  # the same, named one by one


def test_repeated_index_options_search_the_folders_as_one(tmp_path: Path, single: Path) -> None:
    top = sharded(tmp_path / "sharded", everything(), 2)
    a, b = sorted((top / "shards").iterdir())
    by_list = run_cli("search", "border", "--index", a, "--index", b, "--json")
    by_one = run_cli("search", "border", "--index", single, "--json")
    assert by_list.returncode == 0, by_list.stderr
    assert [(h["passage_id"], h["score"]) for h in json.loads(by_list.stdout)["hits"]] == \
        [(h["passage_id"], h["score"]) for h in json.loads(by_one.stdout)["hits"]]
    shards = run_cli("shards", "--index", top)
    assert shards.returncode == 0 and "2 shards:" in shards.stdout
    listed = json.loads(run_cli("shards", "--index", top, "--json").stdout)
    check_schema(listed, "shards")
    assert [s["articles"] for s in listed["shards"]] == [
        sum(shard_of(x.article_id, 2) == k for x in everything()) for k in (0, 1)]
    noop = run_cli("merge", "--index", single, "--json")  # one index already: nothing to do
    assert noop.returncode == 0
    check_schema(json.loads(noop.stdout), "merge_report")
    assert json.loads(noop.stdout)["articles"] == len(everything())
    # Ingest writes one index: several folders are for searching.
    wrote = run_cli("ingest", CORPUS, "--index", a, "--index", b)
    assert wrote.returncode == 2 and "several --index folders" in wrote.stderr
    into_many = run_cli("ingest", CORPUS, "--index", top)
    assert into_many.returncode == 2 and "--shard-per-worker" in into_many.stderr


def test_the_query_path_over_shards_imports_no_dask_and_no_nlp(tmp_path: Path) -> None:
    top = sharded(tmp_path / "sharded", everything(), 2)
    code = (
        "import sys\n"
        "from searchkit.entry import main\n"
        f"sys.argv = ['searchkit', 'search', 'border', '--json', '--facets', '--index', {str(top)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'spacy', 'bs4', 'lxml', 'typer'})\n"
        "print('LOADED=' + ','.join(loaded), code)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    *doc, last = r.stdout.strip().splitlines()
    assert json.loads(doc[0])["hits"] and last == "LOADED= 0"


def test_check_covers_every_shard_and_names_the_damaged_one(tmp_path: Path) -> None:
    top = sharded(tmp_path / "sharded", everything(), 2)
    report = check_index(top)
    assert not report.problems and report.articles == len(everything())
    victim = next((top / "shards" / "w01").glob("MAIN_*.pst"))
    victim.write_bytes(victim.read_bytes()[:-10])
    done = run_cli("check", "--index", top)
    assert done.returncode == 1 and "shards/w01/" + victim.name in done.stdout


def test_merge_folds_shards_into_one_index_that_takes_ingests(tmp_path: Path, single: Path) -> None:
    top = sharded(tmp_path / "sharded", everything(), 3)
    report = merge_shards(top)
    assert (report.shards, report.articles) == (3, len(everything()))
    got, want = results(top), results(single)
    assert got["counts"] == want["counts"] and got["entities"] == want["entities"]
    # A merge re-encodes field lengths as Whoosh's own segment merges do: same hits, scores close.
    assert {q: [p for p, _ in hs] for q, hs in got["hits"].items()} == {q: [p for p, _ in hs] for q, hs in want["hits"].items()}  # type: ignore[attr-defined]
    assert Path(report.into) == top and not (top / "shards.json").exists() and not (top / "shards").exists()
    assert writable_index(top) == top  # a plain index again
    assert not check_index(top, deep=True).problems
    again = sharded(tmp_path / "again", everything(), 2)
    into = merge_shards(sorted((again / "shards").iterdir()), tmp_path / "new")
    assert (into.articles, results(tmp_path / "new")["counts"]) == (len(everything()), want["counts"])
    assert (again / "shards.json").exists()  # --into leaves the shards as they were


def test_an_open_sharded_index_sees_a_shard_commit_on_refresh(tmp_path: Path) -> None:
    first, later = list(HANDMADE[:2]), HANDMADE[2]
    top = sharded(tmp_path / "sharded", first, 2)
    with searchkit.open_index(top) as idx:
        assert idx.stats().articles == 2
        write_articles(top / "shards" / f"w{shard_of(later.article_id, 2):02d}", [later])
        idx.refresh()
        assert idx.stats().articles == 3
        assert later.article_id in {h.article_id for h in idx.search("Warsaw").hits}
