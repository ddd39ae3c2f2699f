"""Steps 1 and 2 of the entity stage: the candidate mentions of one article.

Step 1 takes the model's spans and repairs them (cut where no name continues, titles,
determiners and possessives trimmed, junk dropped, a person split in two joined again);
step 2 adds the names the model missed: gazetteer names and names of a telling shape.
Each candidate carries its token range, character offsets, display form, name key and the
votes for its type gathered so far; :mod:`searchkit.entity_resolution` clusters and types
them. The overview of all five steps is in :mod:`searchkit.entities`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from .entity_context import context_rules, is_not_name, is_sentence_start, short_lowercase
from .names import (
    DATA_DIR,
    TITLE_RUN,
    display_form,
    gazetteer,
    looks_like_demonym,
    name_key,
    name_rules,
    strip_possessive,
    title_prefix_length,
    without_brackets,
)

if TYPE_CHECKING:  # spaCy is imported only when the model loads
    from spacy.tokens import Doc, Token

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
CUT_TITLE_ENDS = True
"""Whether a title's last word left inside a person's span is cut (:func:`_ends_title`); a
switch for the leave-one-set-out replay."""
_POSSESSIVE_TOKENS = frozenset({"'s", "\u2019s", "'", "\u2019", "'S", "\u2019S"})
_SPAN_BREAKS = frozenset({",", "(", ")", "[", "]", ":", ";", "/", '"', "\u201c", "\u201d", "-", "\u2013", "\u2014", "|"})
_BRACKETS = frozenset("()[]{}<>")
_HYPHENS = frozenset({"-", "\u2010", "\u2011"})


@cache
def given_names() -> frozenset[str]:
    """Given names (``data/names_given.txt``), casefolded and accent-folded via name_key.
    Titles ("Major", "Prince") are none, nor are nationality adjectives: in English news
    "Irish", "German" or "Danish" before a name is the adjective ("Irish Lions", "German
    Bundesbank"), not the rare given name, and it is no person's first word."""
    lines = (DATA_DIR / "names_given.txt").read_text(encoding="utf-8").splitlines()
    rules = name_rules()
    not_names = rules.titles | rules.honorifics | rules.title_modifiers | rules.calendar | gazetteer().demonyms
    names: frozenset[str] = frozenset(name_key(n) for n in lines if n and not n.startswith("#"))
    return names - not_names


def is_given_name(word: str) -> bool:
    """A word written as a given name: in the list, and not an acronym of two or three
    capitals ("US" of "US Figures" or "US Navy" is no "Us")."""
    return name_key(word) in given_names() and not (word.isupper() and len(word.replace(".", "")) <= 3)

# --- step 1: candidates from the model --------------------------------------------------------


@dataclass
class Candidate:
    """A mention being resolved: a token range of the doc and the evidence gathered for it."""

    start: int  # token index
    end: int
    start_char: int
    end_char: int
    text: str  # verbatim, as in the article: its text[start_char:end_char]
    form: str  # display form: "the E.U.’s" → "EU"
    key: str
    votes: Counter[str] = field(default_factory=Counter)
    label: str | None = None  # the facet of the model's label, for a span the model tagged
    after_the: bool = False  # written "the X" (set by the resolution; "the Amazon" is the river)

    @property
    def words(self) -> list[str]:
        return self.form.split()


def token_texts(doc: Doc) -> list[str]:
    """Every token's text, listed once per doc: the loops over a whole doc test the text
    first and build a Token (``doc[i]``, the costliest step of those loops) only for the
    few capitalised words that pass."""
    texts: list[str] | None = doc.user_data.get(_TEXTS_KEY)
    if texts is None:
        texts = doc.user_data[_TEXTS_KEY] = [t.text for t in doc]
    return texts


_TEXTS_KEY = "searchkit.token_texts"


def make_candidate(doc: Doc, start: int, end: int) -> Candidate:
    start_char = doc[start].idx
    end_char = doc[end - 1].idx + len(doc[end - 1].text)
    text = doc[start:end].text  # (doc.text would rebuild the whole text on every call)
    bare = strip_possessive(text)  # a pre-tokenised "Clinton's" is one token; a prefix of text
    end_char -= len(text) - len(bare)
    form = display_form(without_brackets(bare))
    return Candidate(start, end, start_char, end_char, bare, form, name_key(form))


def _is_junk(c: Candidate) -> bool:
    """Lowercase words, numbers, single letters and boilerplate phrases are no entity."""
    form = c.form
    if len(form.replace(".", "")) < 2 or not any(ch.isalpha() for ch in form) or not any(ch.isupper() for ch in form):
        return True
    if not form[0].isupper() and not form[0].isdigit():
        return True
    return c.key in name_rules().junk or c.key in name_rules().calendar or is_not_name(c.key) or _firm_tail(c.text)


def _firm_tail(text: str) -> bool:
    """Whether a span is the tail of a firm's name cut inside its brackets: "U.K.) Ltd" of
    "Marks and Spencer (U.K.) Ltd", "USA) Inc": a closing bracket with no opening one, then
    only corporate suffixes. It names neither the country nor the firm."""
    close = min((i for i in (text.find(")"), text.find("]")) if i >= 0), default=-1)
    if close < 0 or "(" in text[:close] or "[" in text[:close]:
        return False
    tail = text[close + 1 :].replace(".", " ").replace(",", " ").casefold().split()
    return bool(tail) and all(w in name_rules().corporate_suffixes for w in tail)


def _trim_span(doc: Doc, start: int, end: int, facet: str, votes: Counter[str]) -> tuple[int, int]:
    """Drop leading determiners/titles and trailing possessives/punctuation from a span."""
    rules = name_rules()
    while end - start > 1 and (
        doc[end - 1].text in _POSSESSIVE_TOKENS or doc[end - 1].is_punct or doc[end - 1].is_lower
        or not any(ch.isalnum() for ch in doc[end - 1].text)
    ) and not _infix_hyphen(doc, end - 2):  # "Li Ka-shing" keeps its "-shing"
        end -= 1  # "Lukashenko ’s", "Representatives of", "Interfax news agency"
    while end - start > 1 and (
        doc[start].is_punct or doc[start].lower_ in rules.determiners or doc[start].lower_.endswith(rules.modifier_suffixes)
        or not any(ch.isalnum() for ch in doc[start].text)
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
        names_person = is_given_name(rest)
        if rest[:1].isupper() and (facet == "person" or honorific or names_person):
            votes["person"] += WEIGHTS["honorific" if honorific else "title"]
            start += n
    if CUT_TITLE_ENDS and facet == "person" and end - start > 1 and _ends_title(doc, start):
        votes["person"] += WEIGHTS["title"]
        start += 1  # "Minister of Mines and [Energy Subroto]": the title's last word
    return start, end


def _ends_title(doc: Doc, start: int) -> bool:
    """Whether the first word of a person's span is the last word of a title the model left
    outside it: a title modifier (no given name) after a connector of a title that starts
    within :data:`~searchkit.names.TITLE_RUN` words ("Minister of Mines and Energy Subroto")."""
    rules = name_rules()
    word = doc[start]
    if word.lower_ not in rules.title_modifiers or is_given_name(word.text) or start == 0:
        return False
    if doc[start - 1].lower_ not in rules.title_connectors:
        return False
    before = doc[max(0, start - TITLE_RUN) : start - 1]
    return any(t.lower_.rstrip(".") in rules.titles or t.lower_.rstrip(".") in rules.honorifics for t in before)


def model_candidates(doc: Doc) -> list[Candidate]:
    """The model's entity spans of the facet labels, trimmed, with junk dropped."""
    labels = name_rules().labels
    out = []
    for ent in doc.ents:
        facet = labels.get(ent.label_)
        if facet is None:
            continue
        for start, end in _split_span(doc, *_hyphen_joined(doc, ent.start, ent.end), facet):
            votes: Counter[str] = Counter({facet: WEIGHTS["model"]})
            start, end = _trim_span(doc, start, end, facet, votes)
            c = make_candidate(doc, start, end)
            c.votes, c.label = votes, facet
            if _is_junk(c) or (facet == "person" and any(ch.isdigit() for ch in c.form)) or _shouted(doc, c):
                continue
            if facet != "person" and short_lowercase(c.form):
                continue
            if facet == "group":
                c = _grown_group_form(doc, c)
                if not _is_group_name(c):
                    continue
            out.append(c)
    # Each name grows only over words no other mention holds: the ones before it as grown,
    # the ones after it as they are ("Berg O'Neill O'Neill Berg": two names, never overlapping).
    merged = _merge_split_people(doc, out)
    done: list[Candidate] = []
    for i, c in enumerate(merged):
        done.append(_complete_person(doc, c, taken=[*done, *merged[i + 1:]]))
    return done


def _grown_group_form(doc: Doc, c: Candidate) -> Candidate:
    """"Liberal" + "Democrats": the model's group span grown over the word before it when the
    two are a group form of the data ("Liberal Democrats"), so that the party is not cut to
    "Democrats" (the US party)."""
    if c.start == 0 or not doc[c.start - 1].text[:1].isupper():
        return c
    grown = make_candidate(doc, c.start - 1, c.end)
    if grown.key not in context_rules().group_forms:
        return c
    grown.votes, grown.label = c.votes, c.label
    return grown


def _is_group_name(c: Candidate) -> bool:
    """Whether a NORP span names a people, religion or party ("Belarusian", "Sunni",
    "Democrats"); the model also gives NORP to first names ("Florian") and coinages."""
    key, rules = c.key, name_rules()
    if key in context_rules().group_forms:
        return True
    if key in gazetteer().demonyms or key in rules.group_words or key.rstrip("s") in gazetteer().demonyms:
        return True
    return looks_like_demonym(c.form) and key not in given_names()


def _shouted(doc: Doc, c: Candidate) -> bool:
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


def _can_join_name(doc: Doc, k: int, taken: Sequence[Candidate]) -> bool:
    """Whether token ``k`` may be added to an adjacent person's name: a capitalised word that
    is no title, stop word, known place or organisation, nor part of another mention."""
    if not 0 <= k < len(doc) or not _is_name_word(doc[k]) or doc[k].is_stop:
        return False
    rules, key = name_rules(), name_key(doc[k].text)
    if key in rules.calendar or key in rules.titles or key in rules.honorifics or key in rules.title_modifiers or key in gazetteer().facet:
        return False
    return not any(c.start <= k < c.end for c in taken)


def _complete_person(doc: Doc, c: Candidate, taken: Sequence[Candidate]) -> Candidate:
    """Add the first name the model left out ("Didier" + "Deschamps") or the surname after a
    lone given name ("Shawn" + "Estes")."""
    if not c.votes["person"] or c.votes["person"] < max(c.votes.values()):
        return c
    start, end = c.start, c.end
    before = start - 1
    if _can_join_name(doc, before, taken) and doc[before].whitespace_ == " " and (
        is_given_name(doc[before].text) or not is_sentence_start(doc, before)
    ):
        start = before
    if end - start == 1 and is_given_name(doc[start].text) and _can_join_name(doc, end, taken):
        end += 1
    if (start, end) == (c.start, c.end):
        return c
    grown = make_candidate(doc, start, end)
    grown.votes, grown.label = c.votes, c.label
    return grown


def _breaks_name(doc: Doc, k: int, facet: str) -> bool:
    """Whether token ``k`` cannot be inside one name: a free-standing dash, comma or bracket,
    a number, a lowercase word inside a person's name ("Gillespie st Kaluwitharana"), or the
    start of an all-caps word after normal case ("Deborah Charles RANGOON", a dateline)."""
    tok = doc[k]
    if _infix_hyphen(doc, k) or (k > 0 and _infix_hyphen(doc, k - 1)):
        return False  # "Kilroy-Silk", "Li Ka-shing": one name
    numeric = any(ch.isdigit() for ch in tok.text) and not any(ch.isalpha() for ch in tok.text)
    if tok.is_space or numeric or tok.text in _SPAN_BREAKS or any(ch in _BRACKETS for ch in tok.text):
        return True
    if facet == "person" and tok.is_lower and tok.is_alpha and tok.lower_ not in name_rules().name_particles:
        return True
    prev = doc[k - 1]
    return tok.is_upper and tok.is_alpha and len(tok) > 2 and prev.is_alpha and not prev.is_upper


def _infix_hyphen(doc: Doc, k: int) -> bool:
    """Token ``k`` is a hyphen joining two words with no space ("Kilroy-Silk")."""
    if not 0 < k < len(doc) - 1 or doc[k].text not in _HYPHENS:
        return False
    return not doc[k - 1].whitespace_ and not doc[k].whitespace_ and doc[k - 1].is_alpha and doc[k + 1].is_alpha


def _hyphen_joined(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """A model span grown over the rest of a hyphenated word it cuts: the model tags
    "Kilroy" of "Kilroy-Silk" or "Li Ka" of "Li Ka-shing", and the value would be a fragment."""
    modifiers = name_rules().modifier_suffixes  # "US-based" stays "US"
    while end < len(doc) - 1 and _infix_hyphen(doc, end) and "-" + doc[end + 1].lower_ not in modifiers:
        end += 2
    while start > 1 and _infix_hyphen(doc, start - 1) and doc[start - 2].text[:1].isupper():
        start -= 2
    return start, end


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


def _merge_split_people(doc: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Join "Alexander" + "Lukashenko" when the model split one name into adjacent spans."""
    out: list[Candidate] = []
    for c in cands:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.end == c.start
            and doc[prev.end - 1].whitespace_ == " "
            and len(prev.words) == 1
            and "person" in prev.votes | c.votes
            and is_given_name(prev.form)
        ):
            merged = make_candidate(doc, prev.start, c.end)
            merged.votes, merged.label = prev.votes + c.votes, c.label or prev.label
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


def pattern_candidates(doc: Doc, taken: set[int]) -> list[Candidate]:
    """Untagged names with a telling shape: a known given name or an initial followed by
    capitalised words ("Gwen Torrence", "G. Kersey") is a person; capitalised words ending
    in a company or institution word ("Hindustan Copper Corp") are an organisation."""
    gaz, rules, given = gazetteer(), name_rules(), given_names()
    out = []
    i = 0
    texts = token_texts(doc)
    while i < len(doc):
        if i in taken or not texts[i][:1].isupper():
            i += 1
            continue
        tok = doc[i]
        found = None
        starts_person = _is_initial(tok) or (_is_name_word(tok) and not tok.is_stop and name_key(tok.text) in given)
        if starts_person and i + 1 < len(doc):
            j = _name_run(doc, i + 1, taken)
            words = [t.text for t in doc[i + 1 : j]]
            last = name_key(words[-1]) if words else ""
            stop = any(t.is_stop or t.lower_ in rules.determiners for t in doc[i + 1 : j])  # "I. The"
            if words and not stop and last not in rules.org_suffixes | rules.place_suffixes and name_key(" ".join(words)) not in gaz.facet:
                found = (j, "person")
        if found is None and _is_name_word(tok) and tok.lower_ not in rules.determiners:
            j = _name_run(doc, i, taken, max_words=5)
            if j - i >= 2 and doc[j - 1].lower_.rstrip(".") in rules.org_suffixes:
                found = (j, "org")
        if found is None:
            i += 1
            continue
        j, facet = found
        c = make_candidate(doc, i, j)
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


def gazetteer_candidates(doc: Doc, cands: Sequence[Candidate]) -> list[Candidate]:
    """Known countries, cities, organisations and demonyms the model missed.

    A known name may also replace model spans it wholly covers, which repairs splits such as
    "Organization for Security and Co-operation" + "Europe"; it never cuts into a span.
    """
    gaz = gazetteer()
    owner = {i: c for c in cands for i in range(c.start, c.end)}
    out = []
    i = 0
    n = len(doc)
    texts = token_texts(doc)
    while i < n:
        if not texts[i][:1].isupper():
            i += 1
            continue
        tok = doc[i]
        limit = gaz.span_limit.get(name_key(tok.text), 0)
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
            if key in gaz.cities and key not in gaz.countries and is_sentence_start(doc, i):
                continue
            found = (j, facet, key)
            break
        if found is None:
            i += 1
            continue
        j, facet, key = found
        c = make_candidate(doc, i, j)
        if not _is_junk(c):
            for k in range(i, j):  # the model spans it replaces lend it their votes
                if k in owner and owner[k].start == k:
                    c.votes += owner[k].votes
                    c.label = c.label or owner[k].label
            out.append(c)
        i = j
    return out
