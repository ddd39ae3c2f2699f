"""Folder walks (issue 15, item 10): ``searchkit ingest .`` in a checkout never reads the index
it writes (or any searchkit index), and leaves out version control, virtualenvs, caches and
build output by default, listing each; ``--include-skipped`` reads them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from searchkit import load

from .reliability_support import run_cli

ARTICLE = ("The harbour authority in Gdansk said on Tuesday that grain exports had doubled since spring, "
           "and officials expect the new terminal to open before the winter storms.")


def _checkout(root: Path) -> Path:
    """A project checkout with articles in it, and everything a walk should leave out."""
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "news").mkdir()
    (root / "news" / "gdansk.txt").write_text(ARTICLE)
    for folder, name in ((".git", "description.txt"), (".venv/lib", "LICENSE.txt"), ("__pycache__", "x.txt"),
                         ("node_modules/pkg", "README.txt"), ("build/lib", "notes.txt"), ("dist", "index.html"),
                         ("searchkit.egg-info", "PKG-INFO.txt"), ("old-index", "entities.json")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(ARTICLE)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "env2").mkdir()  # a virtualenv without the leading dot
    (root / "env2" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "env2" / "readme.txt").write_text(ARTICLE)
    (root / "old-index" / "searchkit.json").write_text('{"schema_version": 3, "tool": "searchkit"}\n')
    return root


def test_walk_skips_and_lists_what_is_not_input(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "repo")
    files, issues = load.discover([root])
    assert [Path(f.path).relative_to(root).as_posix() for f in files] == ["news/gdansk.txt"]
    assert {Path(i.where).name: i.reason for i in issues} == {
        ".git": "version-control folder skipped",
        ".venv": "virtualenv skipped",
        "env2": "virtualenv skipped",
        "__pycache__": "cache or dependency folder skipped",
        "node_modules": "cache or dependency folder skipped",
        "searchkit.egg-info": "cache or dependency folder skipped",
        "build": "build output skipped",
        "dist": "build output skipped",
        "old-index": "a searchkit index is never read as input",
    }
    assert all(i.status == "skipped" for i in issues)


def test_build_is_an_ordinary_folder_outside_a_project(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "story.txt").write_text(ARTICLE)
    files, issues = load.discover([tmp_path])
    assert [Path(f.path).name for f in files] == ["story.txt"] and issues == []


def test_include_skipped_reads_them_but_never_an_index(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "repo")
    files, issues = load.discover([root], include_skipped=True)
    names = {Path(f.path).relative_to(root).parts[0] for f in files}
    assert names == {"news", ".git", ".venv", "env2", "__pycache__", "node_modules", "build", "dist",
                     "searchkit.egg-info"}
    assert [(Path(i.where).name, i.reason) for i in issues] == [("old-index", "a searchkit index is never read as input")]


def test_an_index_named_explicitly_is_not_read(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "repo")
    files, issues = load.discover([root / "old-index", root / "old-index" / "entities.json"])
    assert files == []
    assert [i.reason for i in issues] == ["a searchkit index is never read as input"] * 2


def test_ingest_dot_in_a_checkout_reads_only_the_articles(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "repo")
    first = run_cli(["ingest", ".", "--json", "-w", "1"], cwd=root)  # the default index/ lands inside
    report = json.loads(first.stdout)
    assert first.returncode == 0, first.stderr
    assert (report["new"], report["failed"]) == (1, [])
    again = json.loads(run_cli(["ingest", ".", "--json", "-w", "1"], cwd=root).stdout)
    assert (again["new"], again["unchanged"], again["failed"]) == (0, 1, [])
    skipped = {Path(s["where"]).name: s["reason"] for s in again["skipped"]}
    assert skipped["index"] == "the index being written is never read as input"
    assert skipped[".venv"] == "virtualenv skipped"
    wider = json.loads(run_cli(["ingest", ".", "--json", "-w", "1", "--include-skipped"], cwd=root).stdout)
    assert wider["new"] == 8 and wider["failed"] == []  # the skipped folders' files, never an index's


def test_second_link_to_a_folder_is_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text(ARTICLE)
    os.symlink("real", tmp_path / "alias")
    files, failures = load.discover([tmp_path])
    assert [Path(f.path).name for f in files] == ["a.txt"]
    assert failures == []



def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    files, failures = load.discover([fifo])
    assert files == [] and failures == [load.LoadIssue(str(fifo), "not a regular file")]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
