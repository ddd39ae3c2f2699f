"""Saved searches: ``watch add/list/rm/show``, "what's new" across ingests (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import pytest

from searchkit.ingest import write_articles
from searchkit.records import Article

from .conftest import make_article, run_cli
from .test_json_schema import SCHEMA

DOCK = "Dockers walked out at the harbour on Monday; the strike closed the ferry terminal."


def new_passage_ids(proc_stdout: str) -> set[str]:
    return {json.loads(line)["passage_id"] for line in proc_stdout.splitlines()}


def test_watch_across_two_real_ingests(tmp_path: Path) -> None:
    """The real pipeline (NER included): add a saved search, ingest new and changed files,
    and see exactly those hits as new, once."""
    corpus, index = tmp_path / "in", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(f"Strike at the port\n\n{DOCK}\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Weather\n\nRain all week; the harbour was calm.\n", encoding="utf-8")
    first = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet")
    assert first.returncode == 0, first.stderr
    assert "saved searches" not in first.stderr  # none yet
    added = run_cli("watch", "add", "strike", "strike", "--index", index)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("saved strike: \"strike\" (1 passage match now;")
    nothing = run_cli("watch", "show", "strike", "--new", "--index", index)
    assert nothing.returncode == 1 and nothing.stdout == ""  # it starts caught up
    assert "nothing new" in nothing.stderr

    # Second ingest: one new file about the strike, one changed file that now mentions it,
    # and the first file unchanged.
    (corpus / "c.txt").write_text("Strike spreads\n\nThe strike spread to the rail depot by Wednesday.\n",
                                  encoding="utf-8")
    (corpus / "b.txt").write_text("Weather\n\nRain all week; the strike kept the harbour quiet.\n", encoding="utf-8")
    second = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet", "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    jsonschema.validate(report, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert (report["new"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert report["watches"] == [{"name": "strike", "new_passages": 2}]

    listed = json.loads(run_cli("watch", "list", "--json", "--index", index).stdout)
    jsonschema.validate(listed, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert [(w["name"], w["matches"], w["new"]) for w in listed["watches"]] == [("strike", 3, 2)]

    peek = run_cli("watch", "show", "strike", "--new", "--peek", "--jsonl", "--index", index)
    assert peek.returncode == 0, peek.stderr
    everything = run_cli("search", "strike", "--jsonl", "--index", index)
    old = {json.loads(line)["passage_id"] for line in everything.stdout.splitlines()
           if json.loads(line)["path"].endswith("a.txt")}
    assert len(new_passage_ids(peek.stdout)) == 2 and not new_passage_ids(peek.stdout) & old
    assert {json.loads(line)["path"].rsplit("/", 1)[1] for line in peek.stdout.splitlines()} == {"b.txt", "c.txt"}
    again = run_cli("watch", "show", "strike", "--new", "--jsonl", "--index", index)  # --peek marked nothing
    assert again.returncode == 0 and new_passage_ids(again.stdout) == new_passage_ids(peek.stdout)
    done = run_cli("watch", "show", "strike", "--new", "--index", index)  # the show before marked them seen
    assert done.returncode == 1 and done.stdout == ""
    shown = json.loads(run_cli("watch", "list", "--json", "--index", index).stdout)["watches"][0]
    assert shown["new"] == 0 and shown["shown"] is not None

    # A third ingest with nothing changed: nothing is new, and the summary says nothing.
    third = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet")
    assert third.returncode == 0 and "saved searches" not in third.stderr
    assert run_cli("watch", "show", "strike", "--new", "--index", index).returncode == 1


def test_ingest_summary_names_watches_with_new_passages(tmp_path: Path) -> None:
    corpus, index = tmp_path / "in", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text(f"Strike\n\n{DOCK}\n", encoding="utf-8")
    assert run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet").returncode == 0
    run_cli("watch", "add", "ferry", "ferry", "--index", index)
    run_cli("watch", "add", "rail", "rail depot", "--index", index)
    (corpus / "c.txt").write_text("Ferry news\n\nThe ferry ran again on Friday.\n", encoding="utf-8")
    (corpus / "d.txt").write_text("Late\n\nA second ferry was late.\n", encoding="utf-8")
    proc = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "saved searches with new passages: ferry (2)"


def handmade(n: int, text: str) -> Article:
    return make_article(f"h/{n}.txt", f"Article {n}", [text], date="2021-01-0" + str(n % 9 + 1))


def test_add_list_rm_and_their_errors(build_index: Callable[[Iterable[Article]], Path]) -> None:
    index = build_index([handmade(1, DOCK), handmade(2, "Rain at the harbour.")])
    add = run_cli("watch", "add", "harbour", "harbour", "--since", "2021", "--any", "--index", index)
    assert add.returncode == 0, add.stderr
    dup = run_cli("watch", "add", "harbour", "ferry", "--index", index)
    assert dup.returncode == 2 and dup.stderr.strip().splitlines() == [
        "searchkit: error: a saved search 'harbour' exists already (hint: searchkit watch rm harbour first, "
        "or choose another name)"]
    bad_query = run_cli("watch", "add", "broken", "harbour AND", "--index", index)
    assert bad_query.returncode == 2 and "Traceback" not in bad_query.stderr
    bad_name = run_cli("watch", "add", "../x", "harbour", "--index", index)
    assert bad_name.returncode == 2 and "is not a name for a saved search" in bad_name.stderr
    listed = run_cli("watch", "list", "--index", index)
    assert listed.stdout.splitlines() == [
        'harbour  "harbour" since=2021 --any  2 passages, 0 new  (last shown: never)']
    assert "broken" not in (index / "watches.json").read_text()
    unknown = run_cli("watch", "show", "nope", "--index", index)
    assert unknown.returncode == 2 and "no saved search 'nope' (hint: saved searches: harbour)" in unknown.stderr
    peek_alone = run_cli("watch", "show", "harbour", "--peek", "--index", index)
    assert peek_alone.returncode == 2 and "--peek goes with --new" in peek_alone.stderr
    shown = run_cli("watch", "show", "harbour", "--json", "--index", index)  # the search as saved
    assert shown.returncode == 0 and json.loads(shown.stdout)["total"] == 2
    rm = run_cli("watch", "rm", "harbour", "--index", index)
    assert rm.returncode == 0 and rm.stdout.startswith("removed harbour:")
    assert run_cli("watch", "list", "--index", index).stdout.startswith("no saved searches")
    assert run_cli("watch", "rm", "harbour", "--index", index).returncode == 2


def test_changed_record_is_new_but_its_unchanged_neighbours_are_not(tmp_path: Path) -> None:
    """A JSONL file with one record changed: ingest writes its other records again with a
    new file stamp (a re-stamp), and those keep their generation, so only the change is new."""
    feed, index = tmp_path / "feed.jsonl", tmp_path / "index"

    def write(second: str) -> None:
        rows = [{"id": "1", "title": "Dock", "text": DOCK},
                {"id": "2", "title": "Depot", "text": second},
                {"id": "3", "title": "Rail", "text": "The strike stopped the trains at the rail depot."}]
        feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    write("The strike went on at the depot.")
    assert run_cli("ingest", feed, "--index", index, "--workers", "1", "--quiet").returncode == 0
    run_cli("watch", "add", "strike", "strike", "--index", index)
    write("The strike ended at the depot on Friday.")
    second = run_cli("ingest", feed, "--index", index, "--workers", "1", "--quiet", "--json")
    assert json.loads(second.stdout)["updated"] == 1
    new = run_cli("watch", "show", "strike", "--new", "--jsonl", "--index", index)
    assert new.returncode == 0, new.stderr
    assert [json.loads(line)["text"] for line in new.stdout.splitlines()] == ["The strike ended at the depot on Friday."]


def test_articles_written_again_count_as_new(build_index: Callable[[Iterable[Article]], Path]) -> None:
    index = build_index([handmade(1, DOCK), handmade(2, "The strike went on at the depot.")])
    run_cli("watch", "add", "strike", "strike", "--index", index)
    write_articles(index, [handmade(2, "The strike ended at the depot on Friday.")])
    new = run_cli("watch", "show", "strike", "--new", "--jsonl", "--index", index)
    assert [json.loads(line)["text"] for line in new.stdout.splitlines()] == ["The strike ended at the depot on Friday."]


def test_check_validates_the_file_and_rebuild_keeps_it(build_index: Callable[[Iterable[Article]], Path],
                                                        tmp_path: Path) -> None:
    index = build_index([handmade(1, DOCK)])
    run_cli("watch", "add", "strike", "strike", "--index", index)
    clean = run_cli("check", "--index", index)
    assert clean.returncode == 0, clean.stdout  # the file is known, and valid
    assert "watches.json" not in clean.stdout
    saved = (index / "watches.json").read_text()
    (index / "watches.json").write_text(saved.replace('"query"', '"qurey"'))
    damaged = run_cli("check", "--index", index)
    assert damaged.returncode == 1
    assert any(line.startswith("problem: watches.json: ") and "malformed" in line for line in damaged.stdout.splitlines())
    show = run_cli("watch", "show", "strike", "--index", index)
    assert show.returncode == 2 and "watches.json is damaged" in show.stderr and "Traceback" not in show.stderr
    # An ingest still succeeds, and says why it could not count the saved searches.
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "d.txt").write_text("Strike\n\nThe strike is over.\n", encoding="utf-8")
    ingest = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet")
    assert ingest.returncode == 0, ingest.stderr
    assert "repaired: saved searches: " in ingest.stderr
    # Restored, then the index rebuilt: the saved search survives, and everything is new once.
    (index / "watches.json").write_text(saved)
    rebuilt = run_cli("ingest", corpus, "--index", index, "--workers", "1", "--quiet", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "saved searches with new passages: strike (1)" in rebuilt.stderr
    new = run_cli("watch", "show", "strike", "--new", "--index", index)
    assert new.returncode == 0 and "The strike is over." in new.stdout
    assert "the index was rebuilt since strike was last shown" in new.stderr


def test_an_index_from_before_the_generation_field_gets_it_on_its_next_ingest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index written before articles recorded their generation: search works, its next
    ingest adds the field in place (same schema version), and its older articles count as seen."""
    from whoosh import fields

    from searchkit.store import folder as folder_module
    from searchkit.store import whoosh_ext
    from searchkit.store.schema import GENERATION_FIELD, build_schema

    def old_schema() -> fields.Schema:
        schema = build_schema()
        schema.remove(GENERATION_FIELD)
        return schema

    index = tmp_path / "index"
    with monkeypatch.context() as m:  # the writer of before: no field, no generation
        m.setattr(folder_module, "build_schema", old_schema)
        m.setattr(whoosh_ext, "new_writer", lambda ix, where, *_, **__: ix.writer(limitmb=128, compound=False))
        m.setattr(whoosh_ext, "writer_generation", lambda writer: None)
        write_articles(index, [handmade(1, DOCK), handmade(2, "The strike went on at the depot.")])
    from whoosh import index as windex

    assert GENERATION_FIELD not in windex.open_dir(str(index)).schema
    assert run_cli("watch", "add", "strike", "strike", "--index", index).returncode == 0
    assert run_cli("watch", "show", "strike", "--new", "--index", index).returncode == 1
    write_articles(index, [handmade(3, "The strike reached the airport.")])
    assert GENERATION_FIELD in windex.open_dir(str(index)).schema
    new = run_cli("watch", "show", "strike", "--new", "--jsonl", "--index", index)
    assert [json.loads(line)["text"] for line in new.stdout.splitlines()] == ["The strike reached the airport."]
    assert run_cli("check", "--index", index).returncode == 0
