"""Ingest on a Dask LocalCluster (2 worker processes, loopback only), one writer or a shard per
worker: the same index as the local pool's, and nothing lost or doubled when a worker or the
client is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import searchkit
from searchkit.store.integrity import check_index

from .conftest import CORPUS, run_cli

QUERIES = ["border", "rail link", "Lukashenko", "election protest"]


def write_articles_as_files(folder: Path, n: int) -> Path:
    """``n`` text files made of corpus/ paragraphs (each file its own mix), for runs long
    enough to kill something in the middle."""
    paragraphs = [p.strip() for f in ("sofrep-belarus-border.txt",) for p in
                  (CORPUS / f).read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 80]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = [paragraphs[(i + k) % len(paragraphs)] for k in range(3)]
        (folder / f"{i:03d}.txt").write_text(f"Dispatch {i} from the border\n\n" + "\n\n".join(body) + "\n",
                                             encoding="utf-8")
    return folder


def snapshot(index: Path | list[Path], collapse_copies: bool = True) -> dict[str, object]:
    """What a user sees of an index: counts, every article's passages and entities, the
    entity table, and the hits of a few queries (ids and scores); ``collapse_copies=False``
    every copy as its own hit."""
    with searchkit.open_index(index) as idx:
        st = idx.stats()
        ids = sorted({h.article_id for q in QUERIES for h in idx.search(q, limit=50, collapse_copies=collapse_copies).hits})
        articles = {aid: ([(p.ordinal, p.start, p.end, p.text, p.entities) for p in a.passages],
                          sorted((e.name, e.type, e.count) for e in a.entities))
                    for aid in ids for a in [idx.article(aid)]}
        hits = {q: sorted((h.passage_id, round(h.score, 6))
                          for h in idx.search(q, limit=50, collapse_copies=collapse_copies).hits) for q in QUERIES}
        facets = idx.search("border", facets=True, collapse_copies=collapse_copies).facets
        entities = sorted((e.name, e.type, e.count) for e in idx.entities())
    return {"articles": st.articles, "passages": st.passages, "by_article": articles, "hits": hits,
            "facets": facets, "entities": entities}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_articles_as_files(tmp_path_factory.mktemp("cluster-in") / "news", 12)


@pytest.fixture(scope="module")
def local_index(tmp_path_factory: pytest.TempPathFactory, inputs: Path) -> Path:
    index = tmp_path_factory.mktemp("local") / "index"
    report = searchkit.ingest([inputs, CORPUS], index=index, workers=1)
    assert report.failed == [] and report.new == 18
    return index


def test_local_cluster_builds_the_same_index_as_the_local_pool(tmp_path: Path, inputs: Path, local_index: Path) -> None:
    index = tmp_path / "index"
    done = run_cli("ingest", inputs, CORPUS, "--index", index, "--scheduler", "local:2", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["new"], report["failed"]) == (18, [])
    assert snapshot(index) == snapshot(local_index)
    again = run_cli("ingest", inputs, CORPUS, "--index", index, "--scheduler", "local:2", "--json")
    assert json.loads(again.stdout)["unchanged"] == 18  # incremental, as the local pool


def test_shards_searched_as_one_equal_a_single_index(tmp_path: Path, inputs: Path, local_index: Path) -> None:
    index = tmp_path / "sharded"
    done = run_cli("ingest", inputs, CORPUS, "--index", index, "--scheduler", "local:2", "--shard-per-worker", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["articles"] == 18
    listed = run_cli("shards", "--index", index, "--json")
    shards = json.loads(listed.stdout)["shards"]
    assert len(shards) == 2 and sum(s["articles"] for s in shards) == 18 and all(s["articles"] for s in shards)
    # Every copy as its own hit: the same passages, entities and scores as one index.
    assert snapshot(index, collapse_copies=False) == snapshot(local_index, collapse_copies=False)
    # Copies are found across shards (the pooled table in the top folder): a story is one hit.
    with searchkit.open_index(index) as idx:
        collapsed = idx.search("border", limit=50).hits
        assert any(h.copies for h in collapsed)
        assert len({h.article_id for h in collapsed}) < len({h.article_id for h in idx.search(
            "border", limit=50, collapse_copies=False).hits})
    # The same shards named one by one on the command line: the same hits, to the last digit.
    by_list = run_cli("search", "border", "--index", shards[0]["path"], "--index", shards[1]["path"], "--json",
                      "--all-copies")
    by_top = run_cli("search", "border", "--index", index, "--json", "--all-copies")
    assert [(h["passage_id"], h["score"]) for h in json.loads(by_list.stdout)["hits"]] == \
        [(h["passage_id"], h["score"]) for h in json.loads(by_top.stdout)["hits"]]
    assert run_cli("check", "--index", index).returncode == 0
    # An entity correction made on the whole applies to every shard's passages.
    assert run_cli("entities", "rename", "person", "Alexander Lukashenko", "A. Lukashenko", "--index", index).returncode == 0
    with searchkit.open_index(index) as idx:
        assert "A. Lukashenko" in {e.name for e in idx.entities("person")}
        assert idx.search("border", person="A. Lukashenko").hits
    merged = run_cli("merge", "--index", index, "--json")
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["articles"] == 18
    with searchkit.open_index(index) as idx:
        assert idx.stats().articles == 18
        assert "A. Lukashenko" in {e.name for e in idx.entities("person")}
    assert json.loads(run_cli("ingest", inputs, CORPUS, "--index", index, "--json").stdout)["unchanged"] == 18


def _workers_of(proc: subprocess.Popen[str], want: int, timeout: float = 120) -> list[psutil.Process]:
    """The Dask worker processes a LocalCluster of ``proc`` started (spawned children)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = [c for c in psutil.Process(proc.pid).children(recursive=True)
                if "spawn_main" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
        if len(kids) >= want:
            return kids
        time.sleep(0.2)
    raise AssertionError("the LocalCluster's workers did not start")


def _first_commit(index: Path, proc: subprocess.Popen[str], timeout: float = 300) -> None:
    """Wait until the ingest has committed part of its work (a table of contents past the first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(int(p.stem.split("_")[-1]) >= 1 for p in index.rglob("_MAIN_*.toc")) and \
                any(p.stat().st_size > 0 for p in index.rglob("*.sources.json")):
            return
        time.sleep(0.1)
    raise AssertionError("no commit before the end")


def _start(args: list[str | Path]) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SEARCHKIT_INDEX", None)
    return subprocess.Popen([sys.executable, "-m", "searchkit", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("shards", [False, True], ids=["one-writer", "shard-per-worker"])
def test_a_worker_killed_mid_ingest_loses_and_doubles_nothing(tmp_path: Path, shards: bool) -> None:
    news = write_articles_as_files(tmp_path / "news", 60)
    index = tmp_path / "index"
    proc = _start(["ingest", news, "--index", index, "--scheduler", "local:2", "--commit-every", "4", "--json",
                   *(["--shard-per-worker"] if shards else [])])
    try:
        workers = _workers_of(proc, 2)
        _first_commit(index, proc)
        workers[0].send_signal(signal.SIGKILL)
        assert proc.poll() is None  # killed mid-ingest, not after it
        out, errors = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, errors
    assert json.loads(out)["articles"] == 60
    with searchkit.open_index(index) as idx:
        assert idx.stats().articles == 60  # each article's record once: none lost, none twice
        assert len({h.article_id for h in idx.search("Dispatch", limit=1000, collapse_copies=False).hits}) == 60
    assert not check_index(index, deep=True).problems


def test_the_client_killed_and_run_again_finishes_consistently(tmp_path: Path) -> None:
    news = write_articles_as_files(tmp_path / "news", 60)
    index = tmp_path / "index"
    args: list[str | Path] = ["ingest", news, "--index", index, "--scheduler", "local:2", "--commit-every", "4"]
    proc = _start(args)
    try:
        workers = _workers_of(proc, 2)
        _first_commit(index, proc)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    gone, alive = psutil.wait_procs(workers, timeout=30)
    for w in alive:  # the test's own clean-up; the assertion below says whether it was needed
        w.kill()
    assert not alive, "the LocalCluster's workers outlived their client"
    with searchkit.open_index(index) as idx:
        assert 0 < idx.stats().articles < 60  # what was committed, consistent and searchable
    again = run_cli(*args, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["articles"] == 60 and report["new"] + report["unchanged"] == 60
    assert not check_index(index, deep=True).problems


def test_without_dask_the_flag_says_how_to_install_it(tmp_path: Path) -> None:
    fake = tmp_path / "nodask" / "distributed"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named distributed (simulated)')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    done = run_cli("ingest", CORPUS, "--index", tmp_path / "index", "--scheduler", "local:2", env=env)
    assert done.returncode == 2
    assert "pip install 'searchkit[dask]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "index").exists()


def test_dask_tasks_start_at_the_pool_batch_size_and_grow_on_long_runs() -> None:
    """A short run (and the start of a long one, whose first commits a killed client keeps)
    sends the local pool's batches; a long run sends fewer, larger tasks, up to the bound; no
    source is lost, doubled or moved."""
    from searchkit.ingest.cluster import TASK_GROWTH
    from searchkit.ingest.workers import _batched

    def sizes(n: int) -> list[int]:
        items = [(i, None) for i in range(n)]
        batches = list(_batched(iter(items), 16, TASK_GROWTH * 16))  # type: ignore[arg-type]
        assert [x for b in batches for x in b] == items
        return [len(b) for b in batches]

    assert sizes(60) == [16, 16, 16, 12]
    assert sizes(0) == []
    long = sizes(2225)
    assert long[:8] == [16] * 8 and max(long) == TASK_GROWTH * 16 == long[-2]
    assert len(long) < 2225 / 32  # far fewer tasks than batches of 16 (140)
