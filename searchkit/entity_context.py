"""What a mention's own words and its neighbours say about its type.

The small model types a name by the name alone far too often: "Davis Cup" and "Harry Potter"
become people, "Chelsea" in "Chelsea boss Jose Mourinho" a person, "US Dlrs" a person,
"Revs" (revenues, in an earnings table) a person. The rules here add votes to the weighted
type vote of :mod:`searchkit.entity_resolution`, so they correct the model without
overruling strong evidence:

* **the name's last word** (:func:`name_votes`): an event ("Cup", "League", "Awards"), an
  amount ("Dlrs", "Dollar"), an organisation ("United", "Ltd", "Party", "Government");
* **the words around a mention** (:func:`context_votes`): a work title after "film" or
  before "star", an organisation before a member's role ("boss", "striker", "shares") or
  after a kind of organisation ("oil giant Yukos", "rock band"), a product before "console"
  or "users", a person or organisation by the pronoun after "said", the two sides of a
  fixture ("X v Y", "X 2-1 Y"), a ground after "at" ("a draw at Anfield"), a team or band
  that takes "the" ("the Harlequins were beaten"), a town before its region ("Burbank,
  California");
* **words that are never names** (:func:`is_not_name`): table abbreviations and units
  ("Revs", "Avg", "Shr", "GMT") and bare corporate suffixes ("Co", "Ltd").

Events, works, amounts and products are types without a facet (:data:`NO_FACET`): an entity that
ends up with one of them is left out of the article's entities. The word lists are data
(``data/entity_context.json``), each with its reason.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .names import DATA_DIR, gazetteer, name_key

if TYPE_CHECKING:
    from spacy.tokens import Doc

NO_FACET: tuple[str, ...] = ("event", "work", "amount", "product")
"""Types an entity may get that are no facet: it is dropped from the article's entities."""

NAME_WEIGHT = 10
"""Votes of a name's own last word for an event or an amount: as strong as a gazetteer entry,
since "Davis Cup" is an event however often the model calls it a person."""
HEAD_WEIGHT = 6
"""Votes of an organisation word at the end of a name ("Manchester United", "US Government")."""
CONTEXT_WEIGHT = 3
"""Votes of one mention's neighbours: more than one model label (2), less than two."""
WORK_WEIGHT = 6
"""Votes of a work cue ("the film X", "X star"): it must outweigh a given name at the start of
the title ("Mary Poppins", "Harry Potter") and a label or two of the model."""

THE_NAME_IS_NO_PERSON = True
"""Whether a plural name written after "the" and not as a modifier ("the Lions were", "beat
the Saints", not "the Lions squad") gets an organisation vote: English names no person with
the article, and a plural name with it is a team or a band ("the Blues", "the Beatles"); a
known place ("the Netherlands") keeps its type. A switch for the leave-one-set-out replay."""
VENUE_CUES = True
"""Whether a one-word name right after a venue preposition (``venue_cues_before``: "at
Anfield", "at Twickenham") gets a place vote. A switch for the leave-one-set-out replay."""

LOCALITY_CUES = True
"""Whether a name written before a comma and its region ("Burbank, California") gets a place
vote (:func:`_before_its_region`). A switch for the leave-one-set-out replay."""

_POSSESSIVES = frozenset({"'s", "\u2019s", "'", "\u2019"})
_SCORE = re.compile(r"\d{1,2}-\d{1,2}")
_SKIPPABLE = frozenset({"-", "\u2013", "\u2014", ":", "the", "'", '"', "\u201c", "\u201d", "\u2018", "\u2019", "new"})


@dataclass(frozen=True)
class ContextRules:
    """The word lists of ``data/entity_context.json``."""

    not_names: frozenset[str]
    amount_heads: frozenset[str]
    event_heads: frozenset[str]
    event_names: frozenset[str]
    work_before: frozenset[str]
    work_after: frozenset[str]
    role_nouns: frozenset[str]
    org_before: frozenset[str]
    product_after: frozenset[str]
    origin_after: frozenset[str]
    venue_before: frozenset[str]
    org_heads: frozenset[str]
    fixture_words: frozenset[str]
    org_first_words: frozenset[str]
    report_verbs: frozenset[str]
    name_possessive_words: frozenset[str]  # after "McDonald's": its 's is part of the name
    name_possessive_punct: frozenset[str]
    places_with_the: frozenset[str]  # name keys of places written "the Amazon", "the Alps"
    pronouns: Mapping[str, str]  # pronoun -> the type it tells ("he" -> person)
    group_forms: Mapping[str, str]  # name key of a form -> the group's name


@cache
def context_rules() -> ContextRules:
    """The rules in ``data/entity_context.json`` (read once per process)."""
    raw = json.loads((DATA_DIR / "entity_context.json").read_text(encoding="utf-8"))

    def words(name: str) -> frozenset[str]:
        return frozenset(raw[name]["words"])

    forms = {name_key(f): group for group, fs in raw["group_forms"]["names"].items() for f in [group, *fs]}
    return ContextRules(
        not_names=words("not_names"), amount_heads=words("amount_heads"), event_heads=words("event_heads"),
        event_names=words("event_names"), work_before=words("work_cues_before"), work_after=words("work_cues_after"),
        role_nouns=words("org_role_nouns"), org_before=words("org_cues_before"), product_after=words("product_cues"),
        origin_after=words("origin_cues"), venue_before=words("venue_cues_before"), org_heads=words("org_heads"),
        fixture_words=words("fixture_words"),
        org_first_words=words("org_first_words"), report_verbs=frozenset(raw["pronoun_cues"]["verbs"]),
        name_possessive_words=words("name_possessive_cues"),
        name_possessive_punct=frozenset(raw["name_possessive_cues"]["punctuation"]),
        places_with_the=frozenset(name_key(w) for w in raw["places_named_with_the"]["words"]),
        pronouns={p: t for t in ("person", "org") for p in raw["pronoun_cues"][t]},
        group_forms=forms,
    )


def is_not_name(key: str) -> bool:
    """A table abbreviation, unit or bare corporate suffix ("revs", "gmt", "co")."""
    return key in context_rules().not_names


def short_lowercase(form: str) -> bool:
    """A name of three letters or fewer written in normal case ("Us", "Man", "Who"): an
    acronym of a place or organisation is written in capitals, so this is a word."""
    letters = [ch for ch in form if ch.isalpha()]
    return len(letters) <= 3 and not form.isupper()


def name_votes(words: list[str], key: str) -> Counter[str]:
    """Votes from the name itself: its last word, or the whole name for one-word events."""
    rules = context_rules()
    votes: Counter[str] = Counter()
    last = words[-1].rstrip(".").casefold()
    if len(words) > 1 and last in rules.amount_heads:
        votes["amount"] += NAME_WEIGHT
    elif len(words) > 1 and (last in rules.event_heads or " ".join(w.casefold() for w in words[-2:]) in rules.event_heads):
        votes["event"] += NAME_WEIGHT
    elif len(words) == 1 and key in rules.event_names:
        votes["event"] += NAME_WEIGHT
    elif len(words) > 1 and (last in rules.org_heads or words[0].casefold() in rules.org_first_words):
        votes["org"] += HEAD_WEIGHT
    if key in rules.group_forms:
        votes["group"] += HEAD_WEIGHT
    return votes


def _word_before(doc: Doc, start: int) -> str:
    k = start - 1
    while k >= 0 and start - k <= 3 and doc[k].lower_ in _SKIPPABLE:
        k -= 1
    return doc[k].lower_ if k >= 0 else ""


def _word_after(doc: Doc, end: int) -> str:
    k = end
    if k < len(doc) and doc[k].lower_ in ("'s", "\u2019s", "'", "\u2019"):
        k += 1
    return doc[k].lower_ if k < len(doc) else ""


_SENTENCE_END = frozenset({".", "!", "?", ":", ";", '"', "\u201c", "\u201d", "\u2014", "-", "(", "["})


def is_sentence_start(doc: Doc, i: int) -> bool:
    """A cheap sentence-start test (no parser in the pipeline): a word there is capitalised
    whatever it is."""
    if i == 0:
        return True
    prev = doc[i - 1]
    return prev.text in _SENTENCE_END or "\n" in prev.whitespace_ or prev.is_space


def context_votes(doc: Doc, start: int, end: int, key: str) -> Counter[str]:
    """Votes from the tokens around the mention ``doc[start:end]`` (key ``key``)."""
    rules = context_rules()
    gaz = gazetteer()
    votes: Counter[str] = Counter()
    known = gaz.facet.get(key)
    before, after = _word_before(doc, start), _word_after(doc, end)
    if known is None:
        if before in rules.work_before or after in rules.work_after:
            votes["work"] += WORK_WEIGHT
    told = _pronoun_after_verb(doc, end)
    if told:
        votes[told] += CONTEXT_WEIGHT
    next_tok = doc[end] if end < len(doc) else None
    if known is None and next_tok is not None and next_tok.is_lower and after in rules.product_after:
        votes["product"] += CONTEXT_WEIGHT
    if (known is None and next_tok is not None and next_tok.is_lower and after in rules.origin_after
            and not is_sentence_start(doc, start)):  # "Apple growers in eastern Poland": the crop itself
        votes["place"] += CONTEXT_WEIGHT
    if key not in gaz.regions and key not in gaz.demonyms:  # "England coach" stays a place; "Liverpool manager", "retailer Amazon" do not
        if before in rules.org_before and start > 0 and doc[start - 1].is_lower:
            votes["org"] += CONTEXT_WEIGHT
        elif THE_NAME_IS_NO_PERSON and known is None and _after_the(doc, start, end):
            votes["org"] += CONTEXT_WEIGHT
        if next_tok is not None and next_tok.is_lower and after in rules.role_nouns:
            votes["org"] += CONTEXT_WEIGHT
        elif _is_fixture_side(doc, start, end):
            votes["org"] += CONTEXT_WEIGHT
    if LOCALITY_CUES and known is None and _before_its_region(doc, end):
        votes["place"] += CONTEXT_WEIGHT  # "based in Burbank, California, said"
    if (VENUE_CUES and known is None and end - start == 1 and start > 0 and doc[start - 1].lower_ in rules.venue_before
            and _stands_alone(doc, end)):
        votes["place"] += CONTEXT_WEIGHT  # "at Anfield", not "at Ericsson's lab"
    return votes


def _before_its_region(doc: Doc, end: int) -> bool:
    """"Burbank, California, said", "Armonk, N.Y.": a name followed by a comma and a known
    country, state or region that ends the phrase (punctuation, a lowercase word or the end
    follows) is a town of that region, the way datelines and addresses write it."""
    if end + 1 >= len(doc) or doc[end].text != ",":
        return False
    regions = gazetteer().regions
    for n in (3, 2, 1):  # "New South Wales", "New York", "California"
        k = end + 1 + n
        if k > len(doc) or doc[k - 1].text in _POSSESSIVES or name_key(doc[end + 1 : k].text) not in regions:
            continue
        if k == len(doc):
            return True
        # not "Petro-Canada, Canada's state-owned oil company": a possessive starts an apposition
        return doc[k].text not in _POSSESSIVES and (doc[k].is_punct or doc[k].is_lower)
    return False


def _stands_alone(doc: Doc, end: int) -> bool:
    """Whether the name ending at ``end`` is used on its own, not as a modifier or an owner of
    what follows ("the Blair government", "Ericsson's lab"): what follows is no possessive, no
    capitalised word (the name goes on: "the Windows XP") and no lowercase word but a
    function word ("were", "and", "on")."""
    if end >= len(doc):
        return True
    nxt = doc[end]
    if nxt.text in ("'s", "\u2019s", "'", "\u2019") or (nxt.is_alpha and nxt.text[:1].isupper()):
        return False
    return not (nxt.is_lower and nxt.is_alpha) or nxt.is_stop


def _after_the(doc: Doc, start: int, end: int) -> bool:
    """"the Lions were", "for the Saints.": a plural name that takes the article and stands
    alone (:func:`_stands_alone`)."""
    last = doc[end - 1].text
    if start == 0 or doc[start - 1].text != "the" or not (last.endswith("s") and not last.endswith("ss") and last[:1].isupper()):
        return False
    return _stands_alone(doc, end)


def _pronoun_after_verb(doc: Doc, end: int) -> str | None:
    """"X said he" → person, "X said it" → org; None without such a cue."""
    rules = context_rules()
    if end + 1 < len(doc) and doc[end].lower_ in rules.report_verbs:
        return rules.pronouns.get(doc[end + 1].lower_)
    return None


def _is_fixture_side(doc: Doc, start: int, end: int) -> bool:
    """``X v Y`` or ``X 2-1 Y``: the mention is one side of a match."""
    fixture = context_rules().fixture_words
    after = doc[end].text if end < len(doc) else ""
    before = doc[start - 1].text if start > 0 else ""
    if after in fixture or before in fixture:
        return True
    return _score_at(doc, end, 1) or _score_at(doc, start - 1, -1)


def _score_at(doc: Doc, k: int, step: int) -> bool:
    """A score ("2-1", or "2", "-", "1" as spaCy splits it) starting at token ``k``, read in
    the direction ``step``."""
    if not 0 <= k < len(doc):
        return False
    if _SCORE.fullmatch(doc[k].text):
        return True
    ks = [k, k + step, k + 2 * step]
    if not all(0 <= j < len(doc) for j in ks):
        return False
    a, dash, b = (doc[j] for j in ks)
    return a.is_digit and dash.text in ("-", "\u2013") and b.is_digit and len(a) <= 2 and len(b) <= 2
