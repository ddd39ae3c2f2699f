"""``search --timeline``: matching articles per period of their publication date (issue 16)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import pytest

from searchkit.records import Article
from searchkit.timeline import build_timeline, period_label, period_start

from .conftest import make_article, run_cli
from .terminal_support import run_on_terminal
from .test_json_schema import SCHEMA

# Dated articles about a strike, some mentioning a minister, one undated, and one that
# mentions a date in its text that is not its publication date.
DATES = ["2019-12-30", "2020-01-02", "2020-01-15", "2020-01-15", "2020-03-03", "2020-03-30", "2021-07-01"]


def strike_articles() -> list[Article]:
    arts = []
    for n, date in enumerate(DATES):
        minister = n % 2 == 0
        arts.append(make_article(
            f"strike/{n}.txt", f"Strike day {n}",
            [f"The dock strike entered another day, number {n}, with pickets at the gates.",
             "Minister Jane Holt said talks would resume." if minister else "No talks were planned.",
             "The strike also closed the ferry terminal."],
            entities=[("person", "Jane Holt", ["Jane Holt"])] if minister else [], date=date))
    arts.append(make_article("strike/undated.txt", "Strike, undated", [
        "A strike leaflet from 5 May 2018, undated as a page: the dock strike goes on."]))
    arts.append(make_article("other/weather.txt", "Weather", ["Rain all week in the port."], date="2020-02-10"))
    return arts


@pytest.fixture
def strike_index(build_index: Callable[[Iterable[Article]], Path]) -> Path:
    return build_index(strike_articles())


def expected(dates: list[str], unit: str) -> Counter[str]:
    return Counter(period_label(period_start(dt.date.fromisoformat(d), unit), unit) for d in dates)


@pytest.mark.parametrize("unit", ["day", "week", "month", "year"])
def test_json_counts_match_the_publication_dates(strike_index: Path, unit: str) -> None:
    proc = run_cli("search", "strike", "--timeline", unit, "--json", "--index", strike_index)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    tl = doc["timeline"]
    assert tl["unit"] == unit
    got = {b["period"]: b["articles"] for b in tl["buckets"]}
    want = expected(DATES, unit)
    assert {p: c for p, c in got.items() if c} == dict(want)
    assert tl["undated"] == 1  # the leaflet: its "5 May 2018" is text, not a publication date
    assert tl["articles"] == len(DATES) + 1
    assert sum(got.values()) == len(DATES)
    # Periods run from the first to the last with the empty ones in between, in order.
    starts = [b["start"] for b in tl["buckets"]]
    assert starts == sorted(starts) and len(starts) == len(set(starts))
    assert tl["buckets"][0]["period"] == min(want) and tl["buckets"][-1]["period"] == max(want)


def test_filters_narrow_the_timeline_and_facets_come_along(strike_index: Path) -> None:
    # --all-copies: the fixture's articles share one template, so they are copies of one story,
    # which facets count once by default; here each article counts.
    proc = run_cli("search", "strike", "--person", "holt", "--timeline", "month", "--facets", "--json",
                   "--all-copies", "--index", strike_index)
    doc = json.loads(proc.stdout)
    with_minister = [d for n, d in enumerate(DATES) if n % 2 == 0]
    assert {b["period"]: b["articles"] for b in doc["timeline"]["buckets"] if b["articles"]} == \
        dict(expected(with_minister, "month"))
    assert doc["timeline"]["undated"] == 0
    assert doc["facets"]["person"] == [{"name": "Jane Holt", "count": len(with_minister)}]
    since = run_cli("search", "strike", "--since", "2020-02", "--timeline", "year", "--json", "--index", strike_index)
    buckets = {b["period"]: b["articles"] for b in json.loads(since.stdout)["timeline"]["buckets"]}
    assert buckets == {"2020": 2, "2021": 1}


def test_piped_output_is_plain_columns(strike_index: Path) -> None:
    proc = run_cli("search", "strike", "--timeline", "year", "--index", strike_index)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["2019\t1", "2020\t5", "2021\t1", "undated\t1"]


def test_no_unit_picks_one_by_the_span(strike_index: Path) -> None:
    proc = run_cli("search", "strike", "--timeline", "--index", strike_index)  # the option last, no value
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:2] == ["2019-12\t1", "2020-01\t3"]  # 19 months: by month
    before = run_cli("search", "--timeline", "strike", "--index", strike_index)  # a query after it, not a unit
    assert before.stdout == proc.stdout


def test_terminal_shows_bars_and_the_summary(strike_index: Path) -> None:
    run = run_on_terminal(["search", "strike", "--timeline", "year", "--index", strike_index], columns=60)
    assert run.returncode == 0, run.stderr
    lines = run.screen.splitlines()
    assert "Matching articles per year (publication date)" in lines[0]
    bars = {ln.split()[0]: ln for ln in lines[1:4]}
    assert bars["2020"].count("█") > bars["2019"].count("█") > 0
    assert bars["2020"].rstrip().endswith(" 5")
    assert any(ln.split()[:2] == ["undated", "1"] for ln in lines)
    assert "passages matched in 8 articles" in run.screen


def test_no_match_and_a_bad_unit(strike_index: Path) -> None:
    none = run_cli("search", "zeppelin", "--timeline", "month", "--json", "--index", strike_index)
    assert none.returncode == 1
    assert json.loads(none.stdout)["timeline"] == {"unit": "month", "articles": 0, "undated": 0, "buckets": []}
    bad = run_cli("search", "strike", "--timeline=fortnight", "--index", strike_index)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "searchkit: error: unknown timeline unit 'fortnight'; use one of day, week, month, year (or auto)"]


def test_build_timeline_fills_gaps_and_counts_undated_apart() -> None:
    dates = {"a": dt.date(2020, 11, 30), "b": dt.date(2021, 2, 1), "c": None, "d": dt.date(2021, 2, 9)}
    tl = build_timeline(dates, "month")
    assert [(b.period, b.articles) for b in tl.buckets] == [("2020-11", 1), ("2020-12", 0), ("2021-01", 0),
                                                             ("2021-02", 2)]
    assert tl.undated == 1 and tl.articles == 4
    weeks = build_timeline({"a": dt.date(2021, 1, 3), "b": dt.date(2021, 1, 4)}, "week")
    assert [b.period for b in weeks.buckets] == ["2020-W53", "2021-W01"]  # ISO weeks start on Monday
