"""The shared text helpers: one space, lone surrogates, ISO dates."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchkit.text import SURROGATES, collapse_spaces, parse_iso_datetime


def test_collapse_spaces_makes_one_line() -> None:
    assert collapse_spaces("  Alexander\n\t Lukashenko\u00a0 ") == "Alexander Lukashenko"
    assert collapse_spaces(" \n ") == ""


@given(st.text())
def test_collapse_spaces_has_no_run_of_white_space(text: str) -> None:
    out = collapse_spaces(text)
    assert not re.search(r"\s\s|^\s|\s$", out)
    assert out.split() == text.split()


def test_surrogates_are_found_and_nothing_else() -> None:
    assert SURROGATES.findall("a\udcffb\ud800") == ["\udcff", "\ud800"]
    assert not SURROGATES.search("Zürich \U0001f600 \ufffd")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-09-17", datetime(2020, 9, 17)),
        ("2020-09-17T14:03:00Z", datetime(2020, 9, 17, 14, 3)),
        ("2020-09-17T14:03:00-04:00", datetime(2020, 9, 17, 14, 3)),  # wall-clock time kept
        ("", None),
        (None, None),
        ("17 September 2020", None),
        ("2020-13-01", None),
    ],
)
def test_parse_iso_datetime(value: str | None, expected: datetime | None) -> None:
    assert parse_iso_datetime(value) == expected
