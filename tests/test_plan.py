"""The plan of an incremental ingest, decided from what files hold now and what the index stored."""

from __future__ import annotations

from typing import Any

from searchkit.ingest.plan import FileRead, plan_files, plan_prune
from searchkit.records import Failure, Source
from searchkit.store.documents import FileStamp


def _source(sid: str, content_hash: str, path: str = "feed.jsonl") -> Source:
    return Source(sid, path, "text", f"text of {sid}", content_hash)


def _stored(sid: str, content_hash: str, file_hash: str, file_sources: int, path: str = "feed.jsonl") -> dict[str, Any]:
    return {"article_id": f"id-{sid}", "source_id": sid, "path": path, "content_hash": content_hash,
            "file_hash": file_hash, "file_sources": file_sources}


def _stored_feed() -> dict[str, dict[str, dict[str, Any]]]:
    return {"feed.jsonl": {sid: _stored(sid, f"h{n}", "old-file", 3)
                           for n, sid in enumerate(["feed#L1", "feed#L2", "feed#L3"], start=1)}}


def test_a_changed_jsonl_file_is_planned_line_by_line() -> None:
    # line 1 changed, line 2 did not, line 3 is gone, line 4 is new
    read = FileRead("feed.jsonl", "new-file", (_source("feed#L1", "h1-edited"), _source("feed#L2", "h2"),
                                               _source("feed#L4", "h4")))
    plan = plan_files([read], _stored_feed())
    stamp = FileStamp("new-file", 3)
    assert [(s.source_id, st) for s, st in plan.to_index] == [("feed#L1", stamp), ("feed#L4", stamp)]
    assert plan.to_delete == ["id-feed#L3"]
    assert plan.unchanged == 1
    assert [(prev["source_id"], st) for prev, st in plan.restamp] == [("feed#L2", stamp)]


def test_a_file_left_unparsed_counts_all_its_articles_unchanged() -> None:
    plan = plan_files([FileRead("feed.jsonl", "old-file", None)], _stored_feed())
    assert (plan.unchanged, plan.to_index, plan.to_delete, plan.restamp) == (3, [], [], [])


def test_a_half_committed_file_is_read_again_and_only_the_missing_articles_indexed() -> None:
    # a killed run committed two of the file's three articles, with the file's current hash
    stored = _stored_feed()
    del stored["feed.jsonl"]["feed#L3"]
    read = FileRead("feed.jsonl", "old-file", (_source("feed#L1", "h1"), _source("feed#L2", "h2"),
                                               _source("feed#L3", "h3")))
    plan = plan_files([read], stored)
    assert [s.source_id for s, _ in plan.to_index] == ["feed#L3"]
    assert plan.unchanged == 2 and plan.restamp == [] and plan.to_delete == []


def test_an_unreadable_file_keeps_its_articles() -> None:
    failure = Failure("feed.jsonl", "permission denied")
    plan = plan_files([FileRead("feed.jsonl", None, None, failures=(failure,))], _stored_feed())
    assert plan.failed == [failure]
    assert (plan.unchanged, plan.to_index, plan.to_delete) == (0, [], [])


def test_a_file_whose_every_line_fails_keeps_its_articles_but_an_empty_good_file_drops_them() -> None:
    bad = Failure("feed.jsonl#L1", "not JSON")
    broken = plan_files([FileRead("feed.jsonl", "new-file", (), failures=(bad,))], _stored_feed())
    assert broken.to_delete == [] and broken.failed == [bad]
    emptied = plan_files([FileRead("feed.jsonl", "new-file", ())], _stored_feed())
    assert sorted(emptied.to_delete) == ["id-feed#L1", "id-feed#L2", "id-feed#L3"]


def test_warnings_are_kept_apart_from_failures() -> None:
    note = Failure("new.txt", "invalid UTF-8 bytes replaced")
    plan = plan_files([FileRead("new.txt", "f", (_source("new.txt", "h", "new.txt"),), warnings=(note,))], {})
    assert plan.warnings == [note] and plan.failed == []
    assert [s.source_id for s, _ in plan.to_index] == ["new.txt"]


def test_prune_drops_files_neither_found_nor_on_disk() -> None:
    stored = {"gone.txt": {"gone.txt": _stored("gone.txt", "h", "f", 1, "gone.txt")},
              "kept.txt": {"kept.txt": _stored("kept.txt", "h", "f", 1, "kept.txt")},
              "elsewhere.txt": {"elsewhere.txt": _stored("elsewhere.txt", "h", "f", 1, "elsewhere.txt")}}
    plan = plan_prune(stored, seen_paths={"kept.txt"}, exists=lambda p: p == "elsewhere.txt")
    assert (plan.to_delete, plan.pruned) == (["id-gone.txt"], 1)
