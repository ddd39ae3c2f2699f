"""``search --timeline``: how many matching articles were published per day, week, month or year.

"When did this start being talked about?" is a question about publication dates, so the
histogram reads the ``date`` column of the matching passages (the article's own date, which
every passage carries), never a date mentioned in the text. It counts *articles*: an article
with five matching passages is one story that day. Articles without a date are counted
apart (``undated``), not dropped. Buckets run from the first to the last date with the empty
ones in between, so the gaps show; ``auto`` picks the unit from the span of the dates.

The counting reads columns only (no stored fields), so it costs about what ``--facets`` does;
the printing imports rich only when it prints for people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

UNITS = ("day", "week", "month", "year")
"""What ``--timeline`` takes (and ``auto``: by the span of the dates)."""
_NO_DATE = 2**63  # Whoosh's date column holds 2**64 - 1 for a document without a date
_MAX_FILLED = 5000
"""Past this many buckets between the first and the last date, empty ones are not listed."""


@dataclass(frozen=True)
class TimelineBucket:
    period: str
    """``2020``, ``2020-11``, ``2020-W45`` (ISO week) or ``2020-11-05``."""
    start: str
    """The first day of the period, ISO 8601."""
    articles: int


@dataclass(frozen=True)
class Timeline:
    unit: str
    buckets: tuple[TimelineBucket, ...]
    undated: int
    """Matching articles without a publication date."""
    articles: int = field(default=0)
    """Matching articles in all (dated and undated)."""

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "articles": self.articles, "undated": self.undated,
                "buckets": [{"period": b.period, "start": b.start, "articles": b.articles} for b in self.buckets]}


def check_unit(unit: str) -> str:
    """``unit`` if it is one ``--timeline`` takes; else raise :class:`QuerySyntax`."""
    from .errors import QuerySyntax

    if unit not in (*UNITS, "auto"):
        raise QuerySyntax(f"unknown timeline unit {unit!r}; use one of {', '.join(UNITS)} (or auto)")
    return unit


def article_dates(columns: Any, docs: Iterable[int], article_of: Any) -> dict[str, dt.date | None]:
    """article id -> its publication date (None: undated), for the articles of ``docs``."""
    from whoosh.util.times import long_to_datetime

    readers, starts = columns.segments()
    out: dict[str, dt.date | None] = {}
    for reader, local in columns.by_segment(set(docs)):
        start = starts[readers.index(reader)]
        column = columns.column(reader, "date")
        for d in local:
            aid = article_of[start + d]
            if out.get(aid) is not None:
                continue
            value = column[d]
            out[aid] = long_to_datetime(value).date() if isinstance(value, int) and value < _NO_DATE else None
    return out


def pick_unit(first: dt.date, last: dt.date) -> str:
    """The unit that gives a readable number of bars for the span: about 10 to 60."""
    days = (last - first).days
    if days > 365 * 5:
        return "year"
    if days > 120:
        return "month"
    if days > 31:
        return "week"
    return "day"


def period_start(day: dt.date, unit: str) -> dt.date:
    if unit == "year":
        return dt.date(day.year, 1, 1)
    if unit == "month":
        return dt.date(day.year, day.month, 1)
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day


def period_label(start: dt.date, unit: str) -> str:
    if unit == "year":
        return f"{start.year}"
    if unit == "month":
        return f"{start.year}-{start.month:02d}"
    if unit == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def next_period(start: dt.date, unit: str) -> dt.date:
    if unit == "year":
        return dt.date(start.year + 1, 1, 1)
    if unit == "month":
        return dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + dt.timedelta(days=7 if unit == "week" else 1)


def build_timeline(dates: dict[str, dt.date | None], unit: str) -> Timeline:
    """Articles per period from their dates (``unit`` ``auto``: see :func:`pick_unit`)."""
    dated = [d for d in dates.values() if d is not None]
    undated = len(dates) - len(dated)
    if not dated:
        return Timeline("day" if unit == "auto" else unit, (), undated, len(dates))
    if unit == "auto":
        unit = pick_unit(min(dated), max(dated))
    counts: dict[dt.date, int] = {}
    for d in dated:
        key = period_start(d, unit)
        counts[key] = counts.get(key, 0) + 1
    starts = sorted(counts)
    filled: list[dt.date] = []
    cursor = starts[0]
    while cursor <= starts[-1] and len(filled) <= _MAX_FILLED:
        filled.append(cursor)
        cursor = next_period(cursor, unit)
    if len(filled) > _MAX_FILLED:
        filled = starts
    buckets = tuple(TimelineBucket(period_label(s, unit), s.isoformat(), counts.get(s, 0)) for s in filled)
    return Timeline(unit, buckets, undated, len(dates))


# --- output -------------------------------------------------------------------------------------


def timeline_lines(timeline: Timeline) -> list[str]:
    """The timeline as plain columns (piped output): ``period<TAB>articles``, undated last."""
    lines = [f"{b.period}\t{b.articles}" for b in timeline.buckets]
    if timeline.undated:
        lines.append(f"undated\t{timeline.undated}")
    return lines


def print_timeline(console: Any, timeline: Timeline, width: int | None = None) -> None:
    """Bars on a terminal, plain columns when piped (a script reads ``period TAB count``)."""
    from rich.text import Text

    if not console.is_terminal:
        for line in timeline_lines(timeline):
            console.file.write(line + "\n")
        return
    console.print(Text(f"Matching articles per {timeline.unit} (publication date)", style="bold"))
    label_width = max((len(b.period) for b in timeline.buckets), default=7)
    label_width = max(label_width, len("undated") if timeline.undated else 0)
    top = max((b.articles for b in timeline.buckets), default=0)
    room = max(10, min(50, (width or console.width) - label_width - 10))  # the longest bar
    for b in timeline.buckets:
        bar = "█" * (round(b.articles / top * room) if top else 0)
        if b.articles and not bar:
            bar = "▏"
        console.print(Text(f" {b.period:<{label_width}} ").append(bar, style="cyan").append(f" {b.articles:,}"))
    if timeline.undated:
        console.print(Text(f" {'undated':<{label_width}} ", style="dim").append(f"{timeline.undated:,}", style="dim"))
    console.print()


def print_timeline_result(console: Any, result: Any) -> None:
    """``search --timeline`` for people: the histogram (instead of the hits), the facets if
    asked for, the summary line; piped, the plain columns only."""
    from rich.text import Text

    from .render import plural, print_facets

    if result.timeline is None or not result.hits:
        return  # nothing matched: the caller says so on stderr
    print_timeline(console, result.timeline)
    if not console.is_terminal:
        return
    if result.facets is not None:
        print_facets(console, result.facets)
    n = result.timeline.articles
    console.print(Text(f"{plural(result.total, 'passage')} matched in {plural(n, 'article')} "
                       f"({result.elapsed_ms:.1f} ms)", style="dim"))
