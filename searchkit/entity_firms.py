"""Firm names the model cuts in parts: partnerships and names with "and" inside.

Wire copy names a firm by its partners ("Merrill Lynch and Co", "Goldman, Sachs and Co",
"Smith Barney, Harris Upham and Co Inc", "Alex. Brown and Sons Inc") or by a name with "and"
inside ("American Telephone and Telegraph Co", "Standard and Poor's Corp"). The small model
tags the parts, and types them by the part alone: "Merrill Lynch" and "Alex. Brown" become
people, "Goldman" and "Sachs and Co" two organisations. :func:`firm_candidates` reads the whole
name back from its tail (a corporate suffix, or "and" + a partnership word such as "Co" or
"Sons") and makes it one organisation candidate that replaces the parts. The firm's short name
("Merrill Lynch said", "Goldman" of "Goldman, Sachs and Co") is returned too, so that its other
mentions in the article get the organisation's vote.

Part of step 1 of the entity stage (:mod:`searchkit.entity_candidates`); the word lists are
data (``partnership_words`` and ``corporate_suffixes`` in ``data/entities_rules.json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .entity_candidates import WEIGHTS, Candidate, make_candidate, token_texts
from .names import NAME_S, display_form, name_key, name_rules, without_brackets

if TYPE_CHECKING:  # spaCy is imported only when the model loads
    from spacy.tokens import Doc

MAX_FIRM_TOKENS = 10
"""Longest firm name looked back over: "Smith Barney , Harris Upham and Co Inc" is eight."""
_AND = frozenset({"and", "&"})


def _is_part_word(doc: Doc, k: int) -> bool:
    """A word of a partner's name: capitalised ("Lynch", "O'Neill", "Alex.")."""
    text = doc[k].text
    return text[:1].isupper() and text.rstrip(".").replace("'", "").replace("-", "").isalpha()


def _suffix(doc: Doc, k: int, words: frozenset[str]) -> bool:
    return k < len(doc) and doc[k].text[:1].isupper() and doc[k].lower_.rstrip(".") in words


def _tail_end(doc: Doc, k: int) -> tuple[int, bool] | None:
    """Where a firm's name ends when ``doc[k]`` is its "and": after "and Co" / "and Sons"
    (a partnership: True), or after "and" + one to three capitalised words + a corporate
    suffix ("and Telegraph Co", "and Poor's Corp": False); None for any other "and"."""
    rules = name_rules()
    corporate = rules.corporate_suffixes
    j = k + 1
    if _suffix(doc, j, rules.partnership_words):
        end, partnership = j + 1, True
    else:
        end = j
        while end < len(doc) and end - j < 4 and (_is_part_word(doc, end) or (end > j and doc[end].lower_ in NAME_S)):
            if _suffix(doc, end, corporate) and end > j:
                break
            end += 1
        if end == j or not _suffix(doc, end, corporate):
            return None
        end, partnership = end + 1, False
    while _suffix(doc, end, corporate):  # "and Co Inc"
        end += 1
    return end, partnership


def _head_start(doc: Doc, k: int) -> tuple[int, int] | None:
    """Where the partners' names before the "and" at ``k`` start, and where the first of
    them ends (the firm's short name): back over capitalised words and the commas between
    them ("Goldman, Sachs and Co"), up to a word that ends a firm of its own ("Salomon
    Brothers, Goldman, Sachs and Co" starts at "Goldman"); None when no name stands before."""
    rules = name_rules()
    stops = rules.corporate_suffixes | rules.partnership_words
    i = k - 1
    while i >= 0 and k - i <= MAX_FIRM_TOKENS:
        lw = doc[i].lower_.rstrip(".")
        if _is_part_word(doc, i) and not doc[i].is_stop and lw not in stops:
            i -= 1
        elif doc[i].text == "," and i > 0 and _is_part_word(doc, i - 1) and _is_part_word(doc, i + 1):
            i -= 1
        else:
            break
    start = i + 1
    while start < k and doc[start].text == ",":
        start += 1
    if start >= k:
        return None
    first_end = next((j for j in range(start, k) if doc[j].text == ","), k)
    return start, first_end


def _said_alone(doc: Doc, start: int, end: int) -> bool:
    """Whether the words ``doc[start:end]`` stand elsewhere in the article without the firm
    name they start here ("IBM" of "IBM and Apple Computer Inc" says "IBM said" too)."""
    words = [t.text for t in doc[start:end]]
    n = len(words)
    for i in range(len(doc) - n + 1):
        if i != start and doc[i].text == words[0] and [t.text for t in doc[i : i + n]] == words:
            if i + n >= len(doc) or (doc[i + n].lower_ not in _AND and doc[i + n].text != ","):
                return True
    return False


def firm_candidates(doc: Doc, cands: Sequence[Candidate]) -> tuple[list[Candidate], set[str]]:
    """The firm names of the article as organisation candidates, and the name keys of their
    short names. A name with "and" inside but no partnership word ("American Telephone and
    Telegraph Co") is one firm only when its first part is never written alone in the article,
    and never when that part is a firm of its own ("Chrysler Corp and Ford Motor Co")."""
    rules = name_rules()
    out: list[Candidate] = []
    short: set[str] = set()
    labels = {i: c.label for c in cands for i in range(c.start, c.end)}
    texts = token_texts(doc)
    k = 1
    while k < len(doc) - 1:
        if texts[k].lower() not in _AND:  # spaCy's lower_
            k += 1
            continue
        tail = _tail_end(doc, k)
        head = _head_start(doc, k) if tail else None
        if tail is None or head is None:
            k += 1
            continue
        (end, partnership), (start, first_end) = tail, head
        if not partnership and (doc[k - 1].lower_.rstrip(".") in rules.corporate_suffixes or _said_alone(doc, start, first_end)):
            k += 1
            continue
        c = make_candidate(doc, start, end)
        c.form = display_form(without_brackets(c.text.replace(" ,", "").replace(",", "")))
        c.key = name_key(c.form)
        c.votes = Counter({"org": WEIGHTS["organisation"]})
        c.label = "org" if any(labels.get(i) == "org" for i in range(start, end)) else None
        out.append(c)
        if partnership:
            short.add(name_key(doc[start:first_end].text))
        k = end
    return out, short
