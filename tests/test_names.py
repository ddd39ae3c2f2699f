"""Name keys and readable forms: when two spellings are one name, and what a title is."""

from __future__ import annotations

import pytest

from searchkit.names import display_form, name_key, strip_title


@pytest.mark.parametrize(
    ("a", "b"),
    [("E.U.", "EU"), ("the U.S.", "us"), ("Lukashenko’s", "Lukashenko"), ("Belarus'", "belarus"),
     ("Paweł Jabłoński", "Pawel Jablonski"), ("al-Qaeda", "Al Qaeda"), ("U.S.A", "USA"),
     ("Tesla, Inc.", "Tesla")],
)
def test_name_key_ignores_case_dots_possessives_accents(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_display_form_and_titles() -> None:
    assert display_form("the E.U.’s") == "EU"
    assert strip_title("Belarussian President Alexander Lukashenko") == "Alexander Lukashenko"
    assert strip_title("Polish Deputy Foreign Minister Pawel Jablonski") == "Pawel Jablonski"
    assert strip_title("Mr. Lukashenko") == "Lukashenko"
    assert strip_title("Lukashenko") == "Lukashenko"
