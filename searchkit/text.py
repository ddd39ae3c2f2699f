"""Small text helpers shared by the stages: white space, lone surrogates, ISO dates.

Each was written several times over (the metadata reader alone collapsed white space five
times); one definition keeps the stages agreeing on what "one space" or "a date" means.
Pure standard library on purpose: the query path imports this module.

Example::

    collapse_spaces("  Alexander\\n Lukashenko ")   # 'Alexander Lukashenko'
    parse_iso_datetime("2020-09-17T14:03:00Z")       # datetime(2020, 9, 17, 14, 3)
"""

from __future__ import annotations

import re
from datetime import datetime

SURROGATES = re.compile(r"[\ud800-\udfff]")
"""A lone surrogate: what Python keeps of an undecodable byte of a file name
(``surrogateescape``) or of a bad ``\\udXXX`` JSON escape. Such text cannot be encoded, so
each stage that writes text out (index, terminal) has to replace it first."""


def collapse_spaces(text: str) -> str:
    """``text`` with every run of white space (new lines included) as one space, and none
    at either end: the form of a title, an author or a name, which are one line each."""
    return " ".join(text.split())


def parse_iso_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 date or timestamp as a naive ``datetime`` (its UTC offset dropped, not
    applied: the index stores the wall-clock time the article gives), ``None`` if ``value``
    is empty or no ISO date. A trailing ``Z`` is read as ``+00:00`` (Python 3.10 and
    earlier do not accept it)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)
