"""Shared fixtures: indexes of the repository's corpus/ and of hand-made articles.

Search tests use indexes written from articles without NER (:func:`articles_from_files`,
:func:`make_article`): the real loader, cleaner, passage splitter and writer, with the
entities given by the test, in milliseconds. The entity stage and the end-to-end ingest keep
their own tests on the real spaCy model (``corpus_index``, ``test_entities``, ``test_ingest``)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest

import searchkit
from searchkit.ingest import write_articles
from searchkit.ingest.build import article_id_for
from searchkit.ingest.plan import read_entry
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


@pytest.fixture(scope="session")
def corpus_handmade_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of corpus/ through the real loader, cleaner and writer, with the entities of
    :data:`CORPUS_ENTITIES` instead of NER (for the search and CLI tests)."""
    index = tmp_path_factory.mktemp("corpus-handmade") / "index"
    report = write_articles(index, articles_from_files([CORPUS], CORPUS_ENTITIES))
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



def articles_from_files(paths: Iterable[str | os.PathLike[str]], entities: Iterable[EntitySpec] = ()) -> list[Article]:
    """Articles of files and folders as ingest builds them (the real loader, cleaner and
    passage splitter), with the mentions of ``entities`` instead of NER's: each surface form
    found as a whole word, the longest first, no two overlapping. An entity is an article's
    only if one of its forms occurs in it."""
    from searchkit.cleaner import clean_source
    from searchkit.load import discover, normalise_text

    specs = list(entities)
    by_surface = {surface: (facet, name) for facet, name, surfaces in specs for surface in surfaces}
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(s) for s in sorted(by_surface, key=len, reverse=True))
                         + r")(?!\w)") if by_surface else None
    files, failures = discover(paths)
    assert failures == [], failures
    articles: list[Article] = []
    for entry in files:
        read = read_entry(entry.path, {})
        assert read.failures == () and read.sources, (entry.path, read.failures)
        for source in read.sources:
            cleaned = clean_source(source)
            text = normalise_text(cleaned.text)
            aid = article_id_for(source.source_id)
            mentions = [Mention(m.start(), m.end(), m.group(), name=by_surface[m.group()][1],
                                type=by_surface[m.group()][0]) for m in (pattern.finditer(text) if pattern else ())]
            found: dict[tuple[str, str], list[str]] = {}
            for m in mentions:
                found.setdefault((m.type, m.name), []).append(m.text)
            ents = tuple(Entity(name, facet, len(forms), tuple(sorted({f for f in forms if f != name})))
                         for (facet, name), forms in found.items())
            articles.append(Article(aid, source.source_id, source.path, source.content_hash, text, cleaned.metadata,
                                    tuple(cleaned.removed), ents,
                                    tuple(attach_entities(split_passages(aid, text), mentions))))
    return articles


CORPUS_ENTITIES: list[EntitySpec] = [
    ("person", "Alexander Lukashenko", ["Alexander Lukashenko", "Lukashenko"]),
    ("person", "Svetlana Tikhanovskaya", ["Svetlana Tikhanovskaya", "Tikhanovskaya"]),
    ("person", "Alexei Navalny", ["Alexei Navalny", "Navalny"]),
    ("person", "Vyacheslav Volodin", ["Vyacheslav Volodin", "Volodin"]),
    ("person", "Pawel Jablonski", ["Pawel Jablonski"]),
    ("person", "Alexander Taraikovsky", ["Alexander Taraikovsky", "Taraikovsky"]),
    ("org", "European Parliament", ["European Parliament"]),
    ("org", "European Union", ["European Union", "EU", "E.U."]),
    ("org", "State Duma", ["State Duma", "Duma"]),
    ("org", "Reuters", ["Reuters"]),
    ("org", "Associated Press", ["Associated Press"]),
    ("org", "Kremlin", ["Kremlin"]),
    ("org", "Rail Baltica", ["Rail Baltica"]),
    *(("place", p, [p]) for p in ("Belarus", "Lithuania", "Poland", "Ukraine", "Russia", "Minsk", "Vilnius",
                                   "Brussels", "Berlin", "Moscow", "Tomsk", "Lublin", "Cyprus", "Turkey",
                                   "Germany", "Kaunas", "Riga", "Tallinn", "Warsaw", "Estonia", "Latvia")),
    ("group", "Belarusian", ["Belarusian", "Belarussian", "Belarusians"]),
    ("group", "Polish", ["Polish"]),
    ("group", "Russian", ["Russian"]),
]
"""The people, organisations and places of corpus/ (as a reader would tag them), for
:func:`articles_from_files` in place of NER."""

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
