"""Steps 3 to 5 of the entity stage: one article's candidates → its entities and mentions.

Step 3 clusters the candidates into the article's entities (one name key or gazetteer
alias group; a bare surname joins its person; an acronym the name it abbreviates), step 4
gives each entity one type by a weighted vote over all its mentions and the data files,
step 5 adds the later occurrences of resolved names the model did not tag. Then each
entity is named (:func:`_canonical_name`) and the article's :class:`ArticleEntities` made.
The overview of all five steps is in :mod:`searchkit.entities`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .entity_candidates import (
    WEIGHTS,
    Candidate,
    gazetteer_candidates,
    is_given_name,
    is_sentence_start,
    make_candidate,
    model_candidates,
    pattern_candidates,
    token_texts,
)
from .entity_context import NO_FACET, context_rules, context_votes, name_votes
from .entity_firms import firm_candidates
from .names import NAME_S, gazetteer, name_key, name_rules, without_brackets
from .records import FACETS, Entity, Mention

if TYPE_CHECKING:  # spaCy is imported only when the model loads
    from spacy.tokens import Doc

PROPAGATION_MIN_VOTES = 4  # two model labels
JOIN_FIRM_NAMES = True
"""Whether firm names cut in parts are joined (:mod:`searchkit.entity_firms`); a switch for
the leave-one-set-out replay."""
JOIN_SHORT_FORMS = True
"""Whether a one-word head ("the Commission") joins the one longer organisation of the
article that ends with it (:func:`_join_short_forms`); a switch for the replay."""
MODEL_LABEL_CAP: float | None = 1
"""The model's labels for one name in one article count as at most this many labels in the
type vote (shared in their proportions): the mentions of one name get the same label for
the same reasons, so five "Yukos" PERSON labels are one piece of evidence told five times,
and the context cues ("oil giant Yukos", "Yukos shares") must be able to outweigh it.
None: every label counts. Chosen by leave-one-set-out: see the README."""
PERSON_BY_SURNAME = True
"""Whether a full name the model typed as an organisation or place becomes a person when the
article uses its last word alone for a person ("Ms Bowers", "Bowers said she"), see
:func:`_full_name_of`; a switch for the leave-one-set-out replay."""
_TYPES = ("person", "place", "org", "group", *NO_FACET)
"""The order that breaks a tie of the type vote. Place before organisation: a name the model
calls a place and an organisation equally, with no other evidence ("the ports of Klaipeda",
"traffic through Klaipeda"), is a place that the model read by metonymy (a city for its port,
council or club). Chosen by leave-one-set-out with :data:`MODEL_LABEL_CAP`: see the README."""
_INITIAL = re.compile(r"[A-Z]\.|[B-HJ-PR-UWYZ]")  # "J. Smith", "C Hodgson" of a line-up; not "A", "I" nor the brand letters of "X Factor", "V Festival", "Q Awards"
_CONNECTORS = frozenset({"of", "the", "and", "for", "de", "du", "la", "&"})


@dataclass(frozen=True)
class ArticleEntities:
    """The entities of one article: its canonical set and every mention with offsets."""

    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]


# --- steps 3 and 4: clusters and types -------------------------------------------------------


@dataclass
class _Cluster:
    """The mentions of one entity of the article."""

    members: list[Candidate]
    votes: Counter[str] = field(default_factory=Counter)

    @property
    def type(self) -> str:
        """The type with most votes: a facet, or one of NO_FACET (an event, a work, an
        amount); the model's labels count as :data:`MODEL_LABEL_CAP` labels at most, and a
        tie goes to the type listed first in :data:`_TYPES`."""
        votes: Mapping[str, float] = self.votes
        if MODEL_LABEL_CAP is not None:
            labels: dict[str, int] = {}
            for m in self.members:
                if m.label:
                    labels[m.label] = labels.get(m.label, 0) + 1
            n = sum(labels.values())
            if n > MODEL_LABEL_CAP:
                capped = dict(votes)
                for f, k in labels.items():
                    capped[f] = capped.get(f, 0) - WEIGHTS["model"] * k * (1 - MODEL_LABEL_CAP / n)
                votes = capped
        return max(_TYPES, key=lambda f: votes.get(f, 0))  # max keeps the first of equals

    @property
    def longest_words(self) -> list[str]:
        return max((m.words for m in self.members), key=len)


def _evidence(c: _Cluster) -> Counter[str]:
    """Votes from the data files, counted once per entity (not once per mention)."""
    gaz = gazetteer()
    votes: Counter[str] = Counter()
    keys = {m.key for m in c.members}
    full = {k for m in c.members if len(m.words) > 1 for k in [m.key]}
    if full:  # "Roy Disney" with "Disney": the surname's gazetteer entry is another entity
        keys -= {k.split()[-1] for k in full}
    for key in keys:
        facet = gaz.facet.get(key)
        if key in gaz.countries:
            votes["place"] = max(votes["place"], WEIGHTS["country"])
        elif facet == "org":
            votes["org"] = max(votes["org"], WEIGHTS["organisation"])
        elif key in gaz.demonyms:
            votes["group"] = max(votes["group"], WEIGHTS["demonym"])
        elif facet == "place" and (key not in context_rules().places_with_the or any(m.after_the for m in c.members)):
            votes["place"] = max(votes["place"], WEIGHTS["city"])  # not "Amazon said": "the Amazon" is the river
    words = c.longest_words
    votes += name_votes(words, name_key(" ".join(words)))
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
    if not is_given_name(words[0]) and not _INITIAL.fullmatch(words[0]):
        return False
    rest = name_key(" ".join(words[1:]))
    return rest not in gazetteer().facet and words[-1].casefold() not in name_rules().org_suffixes


def _cluster_key(c: Candidate) -> str:
    group = gazetteer().alias_group.get(c.key)
    return "gaz:" + group if group else "key:" + c.key


def _initials(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w.casefold() not in _CONNECTORS and w[:1].isupper())


def build_clusters(cands: Iterable[Candidate]) -> list[_Cluster]:
    """Group mentions by name key or alias group, then link surnames and acronyms."""
    by_key: dict[str, _Cluster] = {}
    for c in sorted(cands, key=lambda c: c.start):
        cl = by_key.setdefault(_cluster_key(c), _Cluster([]))
        cl.members.append(c)
    clusters = list(by_key.values())
    for cl in clusters:
        _retally(cl)
    clusters = _join_surnames_to_people(clusters)
    return _link_acronyms(_join_short_forms(clusters) if JOIN_SHORT_FORMS else clusters)


def _join_short_forms(clusters: list[_Cluster]) -> list[_Cluster]:
    """A one-word organisation that is the head word of exactly one longer organisation of the
    article joins it: "the Commission" of an article about the European Commission, "United"
    after "Manchester United". Only head words of names (``org_suffixes``: "Commission",
    "United", "Bank"), which stand for the full name once it is given; any other one-word
    name is a name of its own."""
    heads = name_rules().org_suffixes
    longer: dict[str, list[_Cluster]] = defaultdict(list)
    for cl in clusters:
        words = cl.longest_words
        if cl.type == "org" and len(words) > 1:
            key = name_key(words[-1])
            if cl not in longer[key]:
                longer[key].append(cl)
    kept = []
    for cl in clusters:
        keys = {m.key for m in cl.members}
        key = next(iter(keys)) if len(keys) == 1 else ""
        targets = longer.get(key, []) if cl.type == "org" and key in heads and all(len(m.words) == 1 for m in cl.members) else []
        if len(targets) == 1 and targets[0] is not cl:
            targets[0].members.extend(cl.members)
            targets[0].members.sort(key=lambda m: m.start)
            targets[0].votes += cl.votes
            continue
        kept.append(cl)
    return kept


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


def _join_surnames_to_people(clusters: list[_Cluster]) -> list[_Cluster]:
    """A one-word name that is the last word of a person's full name joins that person; with
    several such people in the article, each mention goes to the nearest one before it."""
    gaz = gazetteer()
    named_alone = _people_named_alone(clusters)
    people = [cl for cl in clusters if len(cl.longest_words) > 1
              and (cl.type == "person" or (PERSON_BY_SURNAME and _full_name_of(cl, named_alone)))]
    by_surname, by_word = _people_by_word(people, True), _people_by_word(people, False)
    kept = []
    linked: set[int] = set()
    for cl in clusters:
        keys = {m.key for m in cl.members}
        target = _link_targets(cl, by_surname, by_word)
        if not target or cl in target or _typed_by_context(cl):
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


def _people_named_alone(clusters: Sequence[_Cluster]) -> set[str]:
    """Keys of one-word names the article uses for a person on more than the model's word: an
    honorific ("Ms Bowers"), a pronoun after "said" ("Bowers said she"), a title."""
    found = set()
    for cl in clusters:
        if cl.type != "person" or any(len(m.words) != 1 for m in cl.members):
            continue
        own = sum(m.votes["person"] - (WEIGHTS["model"] if m.label == "person" else 0) for m in cl.members)
        if own > 0:
            found.update(m.key for m in cl.members)
    return found


def _full_name_of(cl: _Cluster, named_alone: set[str]) -> bool:
    """Whether a name of two to four capitalised words the model typed otherwise is a person's
    full name: its last word is used alone for a person in the same article ("Reveta Bowers,
    head of the school ... Ms Bowers said"), and nothing in the name says organisation or
    place (no known name, no "Bank", "Party", "Street" at its end)."""
    words = cl.longest_words
    if cl.type not in ("org", "place") or not 1 < len(words) <= 4 or not all(w[:1].isupper() for w in words):
        return False
    rules = name_rules()
    last = words[-1].rstrip(".").casefold()
    if last in rules.org_suffixes or last in rules.place_suffixes or name_key(words[-1]) not in named_alone:
        return False
    gaz = gazetteer().facet
    return not any(m.key in gaz or name_key(m.words[0]) in gaz for m in cl.members)


def _typed_by_context(cl: _Cluster) -> bool:
    """Whether a one-word name has more than the model's labels for a type other than person
    ("Disney said it", "Disney shares"): then it is that organisation, not the surname of
    "Roy Disney" in the same article. A bare model label ("Tikhanovskaya" ORG) is not enough,
    nor a gazetteer entry, which is no evidence about these mentions: "Mr Kennedy" of an
    article about Charles Kennedy is no town because a city of Colombia has that name."""
    mentions: Counter[str] = sum((m.votes for m in cl.members), Counter())
    other = max((v for t, v in mentions.items() if t != "person"), default=0)
    return other > WEIGHTS["model"] * len(cl.members)


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
    other_keys = {m.key for cl in clusters if cl.type != "person" for m in cl.members}
    for cl in clusters:
        if cl.type not in FACETS:
            continue
        if cl.type == "person" and cl.votes["person"] < PROPAGATION_MIN_VOTES and all(len(m.words) == 1 for m in cl.members):
            continue
        seqs = {tuple(t.text for t in doc[m.start : m.end]) for m in cl.members}
        if cl.type == "person":  # a bare surname, unless it names another entity ("Disney" the firm)
            seqs |= {(m.words[-1],) for m in cl.members
                     if len(surnames[m.words[-1]]) == 1 and name_key(m.words[-1]) not in other_keys}
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
    texts = token_texts(doc)
    i = 0
    while i < len(doc):
        text = texts[i]
        entries = forms.get(text.lower()) if i not in taken and text[:1].isupper() else None
        hit = None
        for seq, cl in entries or ():
            j = i + len(seq)
            if _matches(doc, i, seq) and not any(k in taken for k in range(i, j)) and not _next_is_name(doc, j):
                prev_name = i > 0 and doc[i - 1].is_title and doc[i - 1].is_alpha and not is_sentence_start(doc, i - 1)
                if not prev_name:
                    hit = (j, cl)
                    break
        if hit is None:
            i += 1
            continue
        j, cl = hit
        cl.members.append(make_candidate(doc, i, j))
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


def _possessive_after(doc: Doc, m: Candidate) -> tuple[str, int] | None:
    """The 's trimmed off a mention ("McDonald" + "'s", or the one token "McDonald's") and
    the index of the token after it; None when the mention carries none."""
    if m.end < len(doc) and doc[m.end].text in NAME_S:
        return doc[m.end].text, m.end + 1
    last = doc[m.end - 1].text
    if len(last) > 2 and last.endswith(NAME_S):
        return last[-2:], m.end
    return None


def _name_with_s(doc: Doc, cl: _Cluster, name: str) -> str:
    """``name`` + 's when the 's belongs to an organisation's name: every mention in the
    article carries it, and at least one is followed by a verb or ends a sentence ("McDonald's
    said", "Moody's has"; a possessive is followed by what it owns, "Apple's shares")."""
    if cl.type != "org" or name.endswith(NAME_S):
        return name
    rules = context_rules()
    cue, mark = False, None
    for m in cl.members:
        found = _possessive_after(doc, m)
        if found is None:
            return name
        mark, k = found
        if k >= len(doc) or doc[k].text in rules.name_possessive_punct or doc[k].lower_ in rules.name_possessive_words:
            cue = True
    return name + mark if cue and mark else name


def _article_entities(doc: Doc, clusters: Sequence[_Cluster]) -> ArticleEntities:
    mentions = []
    entities = []
    for cl in clusters:
        name, facet = _canonical_name(cl), cl.type  # forms hold no brackets (make_candidate)
        if facet not in FACETS:
            continue  # an event, a work or an amount: no facet
        name, bare = _name_with_s(doc, cl, name), name
        texts = [m.text for m in cl.members]  # no doc.text: rebuilding it costs a pass over the doc
        for m, text in zip(cl.members, texts):
            mentions.append(Mention(m.start_char, m.end_char, text, name, facet))
        aliases = tuple(sorted({without_brackets(t) for t in texts} - {name, bare}))  # surface forms, brackets out
        entities.append((min(m.start for m in cl.members), Entity(name, facet, len(cl.members), aliases)))
    entities.sort(key=lambda e: (-e[1].count, e[0]))
    mentions.sort(key=lambda m: m.start)
    return ArticleEntities(tuple(e for _, e in entities), tuple(mentions))


def _ordinary_words(doc: Doc, clusters: Sequence[_Cluster]) -> list[_Cluster]:
    """The clusters without those the article itself shows to be ordinary words: a word it
    also writes in lowercase is capitalised only where a sentence starts ("Freight operators
    have shifted cargo" beside "moves freight"), and a person's name starts with a given
    name, not with a word the article uses ("Rail Baltica" beside "the rail link")."""
    if not clusters:
        return []
    lower = {t for t in token_texts(doc) if t.islower() and t.isalpha()}  # spaCy's is_lower, is_alpha
    known = gazetteer().facet
    kept = []
    for cl in clusters:
        words = cl.longest_words
        first = words[0]
        if first.casefold() not in lower or name_key(first) in known:
            kept.append(cl)
        elif all(m.end - m.start == 1 and is_sentence_start(doc, m.start) for m in cl.members):
            continue  # only ever capitalised as the first word of a sentence
        elif cl.type == "person" and len(words) > 1 and not is_given_name(first) and not _INITIAL.fullmatch(first):
            continue
        else:
            kept.append(cl)
    return kept


def resolve_article(doc: Doc) -> ArticleEntities:
    """Steps 1–5 over one processed spaCy ``Doc``."""
    cands = model_candidates(doc)
    firms, firm_short_names = firm_candidates(doc, cands) if JOIN_FIRM_NAMES else ([], set())
    if firms:  # the parts of a firm's name the model tagged give way to the whole name
        inside = {i for c in firms for i in range(c.start, c.end)}
        cands = [c for c in cands if not any(i in inside for i in range(c.start, c.end))] + firms
    extra = gazetteer_candidates(doc, cands)
    replaced = {i for c in extra for i in range(c.start, c.end)}
    cands = [c for c in cands if c.start not in replaced] + extra
    taken = {i for c in cands for i in range(c.start, c.end)}
    cands += pattern_candidates(doc, taken)
    for c in cands:
        c.votes += context_votes(doc, c.start, c.end, c.key)
        c.after_the = c.start > 0 and doc[c.start - 1].lower_ == "the"
        if c.key in firm_short_names:  # "Merrill Lynch said" in an article about Merrill Lynch and Co
            c.votes["org"] += WEIGHTS["organisation"]
    clusters = _ordinary_words(doc, build_clusters(cands))
    propagate(doc, clusters, taken)
    for cl in clusters:
        cl.members.sort(key=lambda m: m.start)
    return _article_entities(doc, clusters)
