"""The index-wide type-consistency pass: what the whole index says about one article's type."""

from __future__ import annotations

from searchkit.entity_table import EntityTable


def facet_of(table: EntityTable, field: str, value: str) -> str | None:
    found = table.canonical(field, value)
    return found[0] if found else None


def test_a_surname_of_the_index_people_is_a_person() -> None:
    """Business wire copy names a man in full once and then "Icahn said": the model types the
    bare surname an organisation in every story that does not repeat the first name."""
    table = EntityTable.build({
        "person": {"Carl Icahn": 8, "Ronan O'Gara": 16, "Robert Kilroy-Silk": 30},
        "org": {"Icahn": 17, "Kilroy-Silk": 46, "TWA": 40},
        "place": {"O'Gara": 22, "Dublin": 30},
    })
    assert facet_of(table, "org", "Icahn") == "person"
    assert facet_of(table, "place", "O'Gara") == "person"
    assert facet_of(table, "org", "Kilroy-Silk") == "person"
    assert facet_of(table, "org", "TWA") == "org" and facet_of(table, "place", "Dublin") == "place"


def test_a_firm_named_after_a_person_stays_a_firm() -> None:
    """"Disney" beside one "Roy Disney", "Goldman" beside "Goldman Sachs": not people."""
    table = EntityTable.build({
        "person": {"Roy Disney": 1, "Ann Goldman": 3},
        "org": {"Disney": 20, "Goldman": 5, "Goldman Sachs": 9},
    })
    assert facet_of(table, "org", "Disney") == "org"
    assert facet_of(table, "org", "Goldman") == "org"


def test_evidence_from_misread_full_names_does_not_count() -> None:
    """"Entering Westminster" typed a person, or "US Navy" (the acronym is no given name),
    does not make Westminster or the Navy a person's surname."""
    table = EntityTable.build({
        "person": {"Entering Westminster": 4, "US Navy": 6},
        "place": {"Westminster": 26},
        "org": {"Navy": 10},
    })
    assert facet_of(table, "place", "Westminster") == "place"
    assert facet_of(table, "org", "Navy") == "org"


def test_a_misspelt_demonym_joins_its_group() -> None:
    """Wire copy: "Ameican", "Jaspanese" and "Canadaian" were groups of their own; two real
    demonyms one letter apart ("Nigerien", "Nigerian") stay two groups."""
    table = EntityTable.build({"group": {"American": 166, "Ameican": 1, "Japanese": 79, "Jaspanese": 1,
                                         "Canadian": 11, "Canadaian": 1, "Nigerien": 2, "Nigerian": 8}})
    assert table.canonical("group", "Ameican") == ("group", "American")
    assert table.canonical("group", "Jaspanese") == ("group", "Japanese")
    assert table.canonical("group", "Canadaian") == ("group", "Canadian")
    assert table.canonical("group", "Nigerien") == ("group", "Nigerien")
    assert {e.name for e in table.entities("group")} == {"American", "Japanese", "Canadian", "Nigerien", "Nigerian"}


def test_a_person_the_index_never_names_in_full_takes_its_other_type() -> None:
    """Sports pages: a club ("Hartwell") or a ground ("Kestonfield") typed a person where no
    cue told the article, an organisation or place where a fixture, "Hartwell boss" or "at
    Kestonfield" did; the index never gives it a first name. A player named in full
    elsewhere ("Tom Brackley", then "Brackley") stays a person, and so does a bare name
    that is only rarely anything else."""
    table = EntityTable.build({
        "person": {"Hartwell": 40, "Kestonfield": 12, "Tom Brackley": 30, "Brackley": 50, "Osmund": 60},
        "org": {"Hartwell": 30, "Brackley": 30, "Osmund": 12},
        "place": {"Kestonfield": 9},
    })
    assert facet_of(table, "person", "Hartwell") == "org"
    assert facet_of(table, "person", "Kestonfield") == "place"
    assert facet_of(table, "person", "Brackley") == "person"
    assert facet_of(table, "person", "Osmund") == "person"
