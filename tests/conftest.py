"""Shared fixtures: the repository's corpus/ ingested once per test session."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest

import searchkit
from searchkit.ingest import write_articles
from searchkit.ingest.build import article_id_for
from searchkit.passages import attach_entities, split_passages
from searchkit.records import Article, Entity, Mention, Metadata

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEED = CORPUS / "sofrep-belarus-border.txt"


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of corpus/ built through the real pipeline (real cleaner, real NER)."""
    index = tmp_path_factory.mktemp("corpus") / "index"
    report = searchkit.ingest([CORPUS], index=index, workers=1)
    assert report.failed == [], report.failed
    return index


EntitySpec = tuple[str, str, Sequence[str]]
"""(facet, canonical name, surface forms): every occurrence of a surface form in the text is a mention."""


def make_article(source_id: str, title: str, paragraphs: Sequence[str], *,
                 entities: Iterable[EntitySpec] = (), date: str | None = None, site: str | None = None,
                 url: str | None = None) -> Article:
    """A hand-made :class:`Article` as ingest would build it, without the cleaner or NER:
    the real passage splitter, and the mentions of the given entities found by plain search."""
    text = "\n\n".join(paragraphs)
    aid = article_id_for(source_id)
    mentions: list[Mention] = []
    ents: list[Entity] = []
    for facet, name, surfaces in entities:
        count = 0
        for surface in surfaces:
            at = text.find(surface)
            while at >= 0:
                mentions.append(Mention(at, at + len(surface), surface, name, facet))
                count += 1
                at = text.find(surface, at + len(surface))
        ents.append(Entity(name, facet, max(count, 1), tuple(s for s in surfaces if s != name)))
    mentions.sort(key=lambda m: m.start)
    return Article(aid, source_id, source_id, hashlib.sha256(text.encode()).hexdigest(), text,
                   Metadata(title=title, date=date, site=site, url=url), (), tuple(ents),
                   tuple(attach_entities(split_passages(aid, text), mentions)))


HANDMADE = [
    make_article("handmade/border.txt", "Border crossings closed", [
        "Alexander Lukashenko ordered the border with Lithuania closed on Monday, citing security at the crossings.",
        "Traders in Vilnius said the border closure would hurt business on both sides for months to come.",
    ], entities=[("person", "Alexander Lukashenko", ["Alexander Lukashenko"]),
                 ("place", "Lithuania", ["Lithuania"]), ("place", "Vilnius", ["Vilnius"])],
        date="2020-09-14", site="example.org"),
    make_article("handmade/rail.txt", "Rail link to Kaunas opens", [
        "The new rail link between Kaunas and the border town opened to passengers after six years of work.",
        "Rail Baltica said the line would also carry freight from next year, once the signalling is finished.",
    ], entities=[("place", "Kaunas", ["Kaunas"]), ("org", "Rail Baltica", ["Rail Baltica"])],
        date="2021-03-02", site="news.example"),
    make_article("handmade/talks.txt", "Talks in Warsaw", [
        "Ministers met in Warsaw to discuss trade, tariffs and the cost of energy for the coming winter.",
        "Later, Lukashenko warned that the border could close again if the sanctions were extended in spring.",
    ], entities=[("place", "Warsaw", ["Warsaw"]), ("person", "Alexander Lukashenko", ["Lukashenko"])],
        date="2021-05-20", site="example.org"),
]
"""Three hand-made articles: two mention Lukashenko, all three say "border"."""


@pytest.fixture
def build_index(tmp_path: Path) -> Callable[[Iterable[Article]], Path]:
    """Build an index from hand-made articles through the real writer, without NER
    (milliseconds, not seconds); each call makes a new index."""
    made = 0

    def build(articles: Iterable[Article]) -> Path:
        nonlocal made
        made += 1
        index = tmp_path / f"handmade-index-{made}"
        report = write_articles(index, articles)
        assert report.failed == [], report.failed
        return index

    return build


@pytest.fixture
def handmade_index(build_index: Callable[[Iterable[Article]], Path]) -> Path:
    """An index of :data:`HANDMADE`."""
    return build_index(HANDMADE)


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m searchkit`` as a real subprocess, as a user or script would."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", **(env or {})}
    full_env.pop("SEARCHKIT_INDEX", None) if "SEARCHKIT_INDEX" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "searchkit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)
