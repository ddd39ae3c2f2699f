"""The index-wide entity table: filters by any alias, counts grouped by one name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.entity_table import DOMINANCE, EntityTable
from searchkit.names import name_key

ROOT = Path(__file__).resolve().parent.parent

COUNTS = {
    "person": {
        "Alexander Lukashenko": 40,
        "Lukashenko": 12,
        "Viktor Lukashenko": 2,
        "Bill Clinton": 10,
        "Hillary Clinton": 9,
        "Clinton": 7,
        "Svetlana Tikhanovskaya": 5,
        "Tikhanovskaya": 3,
    },
    "place": {"US": 30, "United States": 8, "Belarus": 20, "Britain": 4, "United Kingdom": 2, "UK": 1},
    "org": {"EU": 15, "European Union": 3, "Reuters": 6, "OSCE": 2},
    "group": {"Belarusian": 4},
}


@pytest.fixture(scope="module")
def table() -> EntityTable:
    return EntityTable.build(COUNTS)


# --- expand: what a filter value matches ------------------------------------------------------


@pytest.mark.parametrize(
    ("facet", "value", "expected"),
    [
        ("person", "Alexander Lukashenko", {"Alexander Lukashenko", "Lukashenko"}),
        ("person", "ALEXANDER LUKASHENKO", {"Alexander Lukashenko", "Lukashenko"}),
        ("person", "Belarussian President Alexander Lukashenko", {"Alexander Lukashenko", "Lukashenko"}),
        ("person", "Lukashenko’s", {"Alexander Lukashenko", "Lukashenko", "Viktor Lukashenko"}),
        ("person", "tikhanovskaya", {"Svetlana Tikhanovskaya", "Tikhanovskaya"}),
        ("person", "Viktor Lukashenko", {"Viktor Lukashenko"}),
        ("place", "U.S.", {"US", "United States"}),
        ("place", "United States", {"US", "United States"}),
        ("place", "America", {"US", "United States"}),
        ("place", "united states of america", {"US", "United States"}),
        ("place", "Great Britain", {"Britain", "United Kingdom", "UK"}),
        ("org", "E.U.", {"EU", "European Union"}),
        ("org", "european union", {"EU", "European Union"}),
        ("org", "Organization for Security and Co-operation in Europe", {"OSCE"}),
        ("group", "belarusian", {"Belarusian"}),
    ],
)
def test_expand_by_alias_case_and_surname(table: EntityTable, facet: str, value: str, expected: set[str]) -> None:
    assert table.expand(facet, value) == {(facet, v) for v in expected}


def test_expand_unknown_value_matches_nothing(table: EntityTable) -> None:
    assert table.expand("person", "Angela Merkel") == set()
    assert table.expand("org", "Belarus") == set()  # facets stay apart


def test_surname_filter_finds_every_person_of_that_name(table: EntityTable) -> None:
    assert table.expand("person", "clinton") == {("person", v) for v in ("Bill Clinton", "Hillary Clinton", "Clinton")}


# --- canonical: grouping of facet counts ------------------------------------------------------


def name(table: EntityTable, facet: str, value: str) -> str | None:
    resolved = table.canonical(facet, value)
    assert resolved is None or resolved[0] == facet
    return resolved[1] if resolved else None


def test_dominant_full_name_absorbs_the_bare_surname(table: EntityTable) -> None:
    assert name(table, "person", "Lukashenko") == "Alexander Lukashenko"
    assert name(table, "person", "Tikhanovskaya") == "Svetlana Tikhanovskaya"
    assert name(table, "person", "Viktor Lukashenko") == "Viktor Lukashenko"


def test_shared_surname_without_a_dominant_person_is_not_merged(table: EntityTable) -> None:
    """A bare "Clinton" beside Bill (10) and Hillary Clinton (9) is neither of them, and no
    person of its own either: no facet row, no name on a hit; a surname filter still finds it."""
    assert 10 / 19 < DOMINANCE
    assert name(table, "person", "Clinton") is None
    assert name(table, "person", "Bill Clinton") == "Bill Clinton"
    assert name(table, "person", "Hillary Clinton") == "Hillary Clinton"
    assert "Clinton" not in [r.name for r in table.entities("person")]
    assert "Clinton" not in [n for n, _, _ in table.groups("person")]
    assert ("person", "Clinton") in table.expand("person", "Clinton")
    assert table.canonical_names()["person"]["Clinton"] is None


def test_a_bare_surname_of_several_people_survives_json_and_a_user_rename() -> None:
    from searchkit.entity_edits import Edit, apply_edits

    table = EntityTable.from_json(json.loads(json.dumps(EntityTable.build({"person": {"Roy Keane": 5, "Robbie Keane": 2, "Keane": 14}}).to_json())))
    assert [r.name for r in table.entities("person")] == ["Roy Keane", "Robbie Keane"]
    renamed = apply_edits(table, [Edit("rename", "person", "Keane", "Keane (band)")])
    assert "Keane (band)" in [r.name for r in renamed.entities("person")]
    merged = apply_edits(table, [Edit("merge", "person", "Roy Keane", "Keane")])
    assert [(r.name, r.count) for r in merged.entities("person")] == [("Roy Keane", 19), ("Robbie Keane", 2)]


def test_a_surname_shared_only_with_names_that_are_no_people_stands() -> None:
    """ "Old Labour" and "Kill Bill" start with no given name: they make no second person."""
    table = EntityTable.build({"person": {"Mark Hughes": 8, "Old Hughes": 4, "Hughes": 20}})
    assert "Hughes" in [r.name for r in table.entities("person")]


def test_aliases_of_places_and_orgs_share_the_gazetteer_name(table: EntityTable) -> None:
    """The gazetteer names a known entity, however its stored values are counted: a saved
    filter keyed on "United States" keeps working when unrelated files are added."""
    assert name(table, "place", "United States") == name(table, "place", "US") == "United States"
    assert name(table, "org", "EU") == "European Union"
    assert {name(table, "place", v) for v in ("Britain", "United Kingdom", "UK")} == {"United Kingdom"}
    assert name(table, "place", "Atlantis") == "Atlantis"


def test_entities_rows_sum_counts_and_list_aliases(table: EntityTable) -> None:
    rows = table.entities()
    assert [r.count for r in rows] == sorted((r.count for r in rows), reverse=True)
    luka = next(r for r in rows if r.name == "Alexander Lukashenko")
    assert (luka.type, luka.count, luka.aliases) == ("person", 52, ("Lukashenko",))
    us = next(r for r in rows if r.name == "United States")
    assert (us.type, us.count, us.aliases) == ("place", 38, ("US",))
    assert sum(r.count for r in rows) == sum(sum(v.values()) for v in COUNTS.values()) - COUNTS["person"]["Clinton"]
    assert {r.type for r in table.entities("org")} == {"org"}
    assert [r.name for r in table.entities("person")].count("Bill Clinton") == 1


def test_empty_table() -> None:
    empty = EntityTable.build({})
    assert empty.entities() == [] and empty.expand("person", "x") == set()
    assert EntityTable.from_json(empty.to_json()).entities() == []


# --- persistence ------------------------------------------------------------------------------


def test_json_round_trip_is_plain_json(table: EntityTable) -> None:
    restored = EntityTable.from_json(json.loads(json.dumps(table.to_json())))
    assert restored.entities() == table.entities()
    assert restored.expand("place", "U.S.") == {("place", "US"), ("place", "United States")}
    assert name(restored, "person", "Lukashenko") == "Alexander Lukashenko"


def test_a_saved_table_answers_one_facet_before_reading_the_others(table: EntityTable) -> None:
    """A filter on people reads only the people of the saved table (a filtered search's
    start-up); what the other facets answer afterwards is what the whole table answers."""
    restored = EntityTable.from_json(json.loads(json.dumps(table.to_json())))
    assert restored.expand("person", "lukashenko") == table.expand("person", "lukashenko") != set()
    assert set(restored._raw) == set(table.to_json()["facets"]) - {"person"}
    assert name(restored, "person", "Lukashenko") == "Alexander Lukashenko"
    assert restored.expand("place", "U.S.") == table.expand("place", "U.S.")
    assert restored.entities() == table.entities()
    assert restored.canonical_names() == table.canonical_names()


def test_from_json_rejects_another_version(table: EntityTable) -> None:
    data = table.to_json() | {"version": 999}
    with pytest.raises(ValueError, match="version"):
        EntityTable.from_json(data)


names = st.text(alphabet=st.sampled_from("abcdeKLMNO .’'-É"), min_size=1, max_size=20).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["person", "place", "org"]), st.dictionaries(names, st.integers(1, 50)), max_size=3))
def test_every_stored_value_expands_to_itself_and_survives_json(counts: dict[str, dict[str, int]]) -> None:
    table = EntityTable.build(counts)
    restored = EntityTable.from_json(json.loads(json.dumps(table.to_json())))
    for facet, values in counts.items():
        for v in values:
            resolved = restored.canonical(facet, v)
            assert resolved == table.canonical(facet, v)
            if name_key(v) and resolved is not None:  # found under the type the index gave it
                assert (facet, v) in restored.expand(resolved[0], v)
    kept = sum(c for f, vals in counts.items() for v, c in vals.items() if restored.canonical(f, v) is not None)
    assert sum(r.count for r in restored.entities()) == kept  # every kept passage counted once


def test_query_path_does_not_import_spacy() -> None:
    code = (
        "import sys, searchkit.entity_table as a; t = a.EntityTable.build({'person': {'Lukashenko': 1}});"
        "t.expand('person', 'lukashenko'); assert 'spacy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_bare_head_word_shared_by_many_longer_names_is_no_entity() -> None:
    """Football and business pages: "United" stands for a different club in each article
    that never names it in full (Oakford United, Lyle United, Pemberton United), "Commission"
    for a different commission; a head word named on its own more often than its longer
    forms ("Parliament" beside one "Northern Parliament") is an institution and stays."""
    table = EntityTable.build({"org": {
        "United": 20, "Oakford United": 15, "Lyle United": 6, "Pemberton United": 4,
        "Commission": 5, "Trade Commission": 9, "Water Commission": 3,
        "Parliament": 30, "Northern Parliament": 8,
    }})
    names = {e.name for e in table.entities("org")}
    assert not names & {"United", "Commission"}, names
    assert {"Parliament", "Oakford United", "Trade Commission", "Northern Parliament"} <= names
    assert table.canonical("org", "United") is None
