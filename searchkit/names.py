"""Names of entities: the comparison key, the readable form, and the rules and gazetteers behind them.

Ingest's entity stage (:mod:`searchkit.entity_candidates`, :mod:`searchkit.entity_resolution`)
uses these to trim and compare the names of one article; the index-wide
:mod:`searchkit.entity_table` uses the same keys and alias groups to join the stored values of
all articles, so that both agree on when two spellings are one name.

Pure Python on purpose: the query path imports this module, so it must not pull in spaCy.
The small rules and gazetteer files it reads are loaded once, on first use.

Example::

    name_key("the U.S.")      # 'us'
    display_form("the E.U.’s")  # 'EU'
    strip_title("Belarussian President Alexander Lukashenko")  # 'Alexander Lukashenko'
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from .text import collapse_spaces

DATA_DIR = Path(__file__).parent / "data"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}|(?:[A-Za-z]\.)+[A-Za-z]")
_DEMONYM_SHAPE = re.compile(r"[A-Z][a-z]+(?:ian|ean|an|ese|ish|ic|i)")
_KEY_DROP = re.compile(r"[.,\"“”()\[\]]")
_KEY_SPACE = re.compile(r"[\s\-\u2013\u2014_/]+")


# --- rules and gazetteers (data files under searchkit/data) -----------------------------------


def _read_data(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class NameRules:
    """Word lists for cleaning a name: honorifics and titles to strip, junk to drop."""

    labels: Mapping[str, str]
    honorifics: frozenset[str]
    titles: frozenset[str]
    title_modifiers: frozenset[str]
    determiners: frozenset[str]
    junk: frozenset[str]
    org_suffixes: frozenset[str]  # last words that make a name an organisation ("Corp", "Ministry")
    name_particles: frozenset[str]  # lowercase words inside a person's name ("van", "bin")
    place_suffixes: frozenset[str]  # last words that make a name a place ("Street", "Airport")
    calendar: frozenset[str]  # months and weekdays: never a name, whatever the model says
    modifier_suffixes: tuple[str, ...]  # "Ontario-based Magna": a leading word to drop
    group_words: frozenset[str]  # religious, political and ethnic groups that no demonym list has
    place_word_endings: tuple[str, ...]  # "Nottinghamshire", "Ekaterinburg": one-word toponyms
    corporate_suffixes: frozenset[str]  # "Tesla Inc." is "Tesla": dropped from name keys
    title_connectors: frozenset[str] = frozenset()  # "Chief of Staff", "Mining and Energy Minister"
    partnership_words: frozenset[str] = frozenset()  # "Merrill Lynch and Co", "Alex. Brown and Sons"


@cache
def name_rules() -> NameRules:
    """The rules in ``data/entities_rules.json`` (read once per process)."""
    raw = json.loads(_read_data("entities_rules.json"))
    return NameRules(
        labels=dict(raw["labels"]),
        honorifics=frozenset(raw["honorifics"]),
        titles=frozenset(raw["titles"]),
        title_modifiers=frozenset(raw["title_modifiers"]),
        determiners=frozenset(raw["leading_determiners"]),
        junk=frozenset(raw["junk"]),
        org_suffixes=frozenset(raw["org_suffixes"]),
        name_particles=frozenset(raw["name_particles"]),
        place_suffixes=frozenset(raw["place_suffixes"]),
        calendar=frozenset(raw["calendar"]),
        modifier_suffixes=tuple(raw["leading_modifier_suffixes"]),
        group_words=frozenset(raw["group_words"]),
        place_word_endings=tuple(raw["place_word_endings"]),
        corporate_suffixes=frozenset(raw["corporate_suffixes"]),
        title_connectors=frozenset(raw.get("title_connectors", ())),
        partnership_words=frozenset(raw.get("partnership_words", ())),
    )


@dataclass(frozen=True)
class Gazetteer:
    """Known names by name key: their facet and, for aliases, the name of their alias group.

    ``alias_group`` maps every spelling of a country or organisation ("us", "usa", "united
    states", "america") to one group name ("United States"), which is how "U.S." in one
    article and "United States" in another become one entity of the index.
    """

    facet: Mapping[str, str]
    alias_group: Mapping[str, str]
    countries: frozenset[str]
    cities: frozenset[str]
    demonyms: frozenset[str]
    regions: frozenset[str]  # countries, states (and their abbreviations) and other regions
    span_limit: Mapping[str, int]  # first word of a known name's key -> most tokens to try


@cache
def gazetteer() -> Gazetteer:
    """Countries, capitals, big cities, regions, demonyms and major organisations (read once)."""
    places = json.loads(_read_data("gazetteer_places.json"))
    orgs = json.loads(_read_data("gazetteer_orgs.json"))
    extra = json.loads(_read_data("entities_rules.json"))["extra_place_aliases"]
    facet: dict[str, str] = {}
    group: dict[str, str] = {}
    countries: set[str] = set()
    demonyms: set[str] = set()
    regions: set[str] = set()

    span_limit: dict[str, int] = {}

    def add(name: str, kind: str, group_name: str | None = None) -> None:
        key = name_key(name)
        if key:
            tokens = len(re.findall(r"\w+|[^\w\s]", name))  # an upper bound on spaCy's tokens
            first = key.split()[0]
            span_limit[first] = max(span_limit.get(first, 0), tokens)
        if key and key not in facet:
            facet[key] = kind
        if group_name and key:
            group.setdefault(key, group_name)

    for c in places["countries"]:
        for n in [c["name"], *c["aliases"], *extra.get(c["name"], [])]:
            add(n, "place", c["name"])
            countries.add(name_key(n))
        if c.get("capital"):
            add(c["capital"], "place")
        for d in (c.get("demonym") or "").split(","):
            if d.strip():
                demonyms.add(name_key(d))
    for n in [*places["cities"], *places["regions"], *json.loads(_read_data("entities_rules.json"))["extra_places"]]:
        add(n, "place")
    regions.update(name_key(n) for n in places["regions"])
    for state, abbreviations in json.loads(_read_data("entity_context.json"))["place_abbreviations"]["names"].items():
        add(state, "place", state)
        for n in abbreviations:
            add(n, "place", state)
        regions.update(name_key(n) for n in [state, *abbreviations])
    for o in orgs["organisations"]:
        for n in [o["name"], *o["aliases"]]:
            add(n, "org", o["name"])
    for d in demonyms:
        facet.setdefault(d, "group")
    cities = frozenset(name_key(n) for n in places["cities"])
    regions = (regions | countries) - {""}
    return Gazetteer(facet, group, frozenset(countries), cities, frozenset(demonyms), frozenset(regions), span_limit)


# --- name forms and keys -----------------------------------------------------------------------


def undot_acronym(word: str) -> str:
    """``E.U.`` → ``EU``, ``U.S.A`` → ``USA``; any other word unchanged."""
    if _DOTTED_ACRONYM.fullmatch(word):
        return word.replace(".", "").upper()
    return word


NAME_S = ("'s", "\u2019s")
"""The 's a firm's name may end in ("Moody's", "McDonald\u2019s"), as written after the name."""


def strip_possessive(text: str) -> str:
    """Drop a trailing possessive: ``Lukashenko’s`` and ``Belarus'`` → the name itself."""
    t = text.rstrip()
    for suffix in ("'s", "\u2019s", "'S", "\u2019S", "'", "\u2019"):
        if t.endswith(suffix) and len(t) > len(suffix):
            return t[: -len(suffix)].rstrip()
    return t


def looks_like_demonym(word: str) -> bool:
    """A capitalised adjective of nationality ("Belarussian", "Polish", "Iraqi"); used only
    inside a run of title words, where a false positive costs nothing."""
    return bool(_DEMONYM_SHAPE.fullmatch(word))


def title_prefix_length(words: Sequence[str]) -> int:
    """How many leading words form a title ("Belarussian President", "Mr.", "Deputy Foreign
    Minister", "Chief of Staff", "Mining and Energy Minister"). The run must contain an
    honorific or title word and end on one; the last word is never part of it, so a name
    always remains. Inside the run, modifiers and demonyms may stand anywhere; other
    capitalised words and connectors ("of", "and") only before a later title word within
    :data:`TITLE_RUN` words, so "Chief of Staff" is one title but "Chief Howard Baker" keeps
    "Howard"."""
    rules = name_rules()
    end = 0
    for i, w in enumerate(words[:-1]):
        lw = w.rstrip(".").casefold()
        parts = lw.split("-")
        if _is_title_word(lw, parts, rules):
            end = i + 1
        elif lw in rules.title_modifiers or looks_like_demonym(w):
            continue
        elif (lw in rules.title_connectors or w[:1].isupper()) and i < TITLE_RUN and any(
            _is_title_word(x.rstrip(".").casefold(), x.rstrip(".").casefold().split("-"), rules)
            for x in words[i + 1 : min(len(words) - 1, TITLE_RUN)]
        ):
            continue
        else:
            break
    return end


TITLE_RUN = 6
"""Longest title run looked through: "Chancellor of the Exchequer" is four words."""


def _is_title_word(lw: str, parts: Sequence[str], rules: NameRules) -> bool:
    return lw in rules.honorifics or lw in rules.titles or (
        len(parts) > 1 and parts[-1] in rules.titles and all(p in rules.titles | rules.title_modifiers for p in parts)
    )


_BRACKETS_TO_SPACE = str.maketrans(dict.fromkeys("()[]{}<>", " "))


def without_brackets(text: str) -> str:
    """A name as written with the brackets of an editorial insertion taken out: "the (World)
    Bank" is the World Bank, and a value or alias never holds a bracket. Text without
    brackets is returned as it is."""
    cleared = text.translate(_BRACKETS_TO_SPACE)
    return text if cleared == text else collapse_spaces(cleared)


def display_form(text: str) -> str:
    """The readable canonical form of a surface name: whitespace collapsed, a leading "the"
    and a trailing possessive dropped, dotted acronyms undotted (``the E.U.’s`` → ``EU``)."""
    words = strip_possessive(collapse_spaces(text)).split()
    while len(words) > 1 and words[0].casefold() in name_rules().determiners:
        words = words[1:]
    return " ".join(undot_acronym(w) for w in words)


_UNDECOMPOSABLE = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
                                 "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th"})


def _fold(text: str) -> str:
    """Accent-fold so that "Paweł" and "Pawel", "Zürich" and "Zurich" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 16)  # pure and called for every capitalised word of an article
def name_key(text: str) -> str:
    """The comparison key of a name: case-, accent-, dot- and hyphen-insensitive.

    ``name_key("the U.S.")`` == ``name_key("US")`` == ``"us"``; ``name_key("Paweł")`` ==
    ``"pawel"``; ``name_key("Lukashenko’s")`` == ``"lukashenko"``; ``name_key("Tesla, Inc.")``
    == ``"tesla"``.
    """
    form = display_form(text.translate(_APOSTROPHES))
    words = _KEY_SPACE.sub(" ", _KEY_DROP.sub("", _fold(form))).casefold().split()
    if len(words) > 1 and words[-1] in name_rules().corporate_suffixes:
        words = words[:-1]
    return " ".join(words)


def firm_key(key: str) -> str:
    """The key of a firm's short name: a name key without its corporate suffixes and its
    "and Co" / "and Sons" ("merrill lynch and co inc" → "merrill lynch"), so that the firm's
    full and short names join. A key without them is returned as it is."""
    rules = name_rules()
    words = key.split()
    while len(words) > 1:
        if words[-1] in rules.corporate_suffixes or words[-1] in ("and", "&"):  # "co" is both
            words.pop()
        elif len(words) > 2 and words[-2] in ("and", "&") and words[-1] in rules.partnership_words:
            words = words[:-2]
        else:
            break
    return " ".join(words)


def strip_title(text: str) -> str:
    """``Belarussian President Alexander Lukashenko`` → ``Alexander Lukashenko``."""
    words = display_form(text.translate(_APOSTROPHES)).split()
    return " ".join(words[title_prefix_length(words):])
