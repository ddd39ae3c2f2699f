"""Clean stage: strip site boilerplate, keep every sentence of the article, extract metadata.

Interface (used by ingest and the CLI):

* ``clean_text(text, meta=None) -> Cleaned`` for plain text (paragraphs separated by blank lines)
* ``clean_html(html, url=None, meta=None) -> Cleaned`` for an HTML page
* ``clean_source(source) -> Cleaned`` dispatches on ``source.kind``

``meta`` carries metadata given by the input (JSONL fields); it wins over extracted values.
Every dropped block is recorded as a :class:`~searchkit.records.Removal` (rule id + reason).

Design: the text rules live in ``data/clean_rules.toml`` (families of wording such as
"read next", newsletter and support appeals, share prompts, copyright and cookie lines),
each limited to short paragraphs so that an article sentence that merely mentions
"subscribers" is never dropped. Plain text and HTML share :func:`strip_boilerplate`; HTML
first goes through :mod:`searchkit.htmlbody` (parse with lxml directly, not bs4, for
speed; blocks and boilerplate marks) and :mod:`searchkit.bodylocate` (find the body by
structure and text statistics) and :mod:`searchkit.metadata`
(title, date, author, site, url, language). :mod:`searchkit.repeats` adds opt-in
repeated-block detection across pages of one site (``repeats=``).

Chain for HTML: parse → page facts (metadata, JSON-LD body) → drop silent elements →
blocks with boilerplate marks → story cards (:mod:`searchkit.storycards`) → locate the body → split off what is outside it or in
boilerplate containers → headline and link lists → text rules → repeated blocks.

Example::

    >>> cleaned = clean_text("Troops were sent on Monday.\\n\\nRead Next: Another story")
    >>> cleaned.text
    'Troops were sent on Monday.'
    >>> cleaned.removed[0].rule
    'read-next'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .bodylocate import WRAPPER_SHARE, choose_body, continuations, prose_chars, split_blocks, wrapper_marks
from .htmlbody import (
    HEADINGS,
    Block,
    HtmlRules,
    drop_silent_elements,
    is_prose,
    layout_marks,
    normalise_space,
    page_blocks,
    parse_html,
    word_count,
)
from lxml.etree import _Element

from .storycards import mark_story_cards
from .metadata import PageFacts, extract_page_facts, merge_metadata
from .errors import SearchkitError
from .records import Cleaned, Metadata, Removal, Source
from .repeats import RepeatedBlocks

__all__ = ["CleanRules", "RepeatedBlocks", "clean_html", "clean_source", "clean_text", "load_rules", "strip_boilerplate"]

_PARAGRAPH_SPLIT = re.compile(r"\n[ \t\r\f\v]*\n")
_LINK_INTRO = re.compile(r"^[^:]{2,40}:\s*(.+)$")
_TITLE_WORD = re.compile(r"^[\W\d]*[A-Z0-9]")
_MINOR_WORDS = frozenset("a an and as at but by de for from in into of on or over per the to up via vs with".split())


@dataclass(frozen=True)
class BlockRule:
    """A text rule: a family of boilerplate wording, limited to short paragraphs."""

    rule_id: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    max_words: int
    edge_only: bool = False

    def matches(self, text: str, words: int) -> bool:
        return words <= self.max_words and any(p.search(text) for p in self.patterns)


@dataclass(frozen=True)
class TrimRule:
    """A fragment cut off the end of the last paragraph (a sign-off glued to the last sentence)."""

    rule_id: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class CleanRules:
    """All cleaning rules: text rules in order, plus the structural HTML rules."""

    blocks: tuple[BlockRule, ...]
    html: HtmlRules
    edge_blocks: int = 2
    trims: tuple[TrimRule, ...] = ()


@lru_cache(maxsize=8)
def load_rules(path: str | None = None) -> CleanRules:
    """Load (and cache) the rules; ``path`` points at another TOML file with the same shape.

    The rules ship as data so that a user can read why a block was removed and add a
    family of boilerplate without touching code.
    """
    if path is None:
        path = str(Path(__file__).parent / "data" / "clean_rules.toml")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        blocks = tuple(
            BlockRule(
                rule_id=table["id"],
                reason=table["reason"],
                patterns=tuple(re.compile(p, re.IGNORECASE) for p in table["patterns"]),
                max_words=int(table.get("max_words", 40)),
                edge_only=table.get("where", "any") == "edge",
            )
            for table in data.get("block", [])
        )
        trims = tuple(
            TrimRule(table["id"], table["reason"], tuple(re.compile(p) for p in table["patterns"]))
            for table in data.get("trim", [])
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SearchkitError(f"cannot read cleaning rules {path}: {error}") from error
    except (KeyError, TypeError, ValueError, re.error) as error:
        raise SearchkitError(
            f"bad cleaning rule in {path}: {error}", hint="each [[block]] needs id, reason and patterns (regexes)"
        ) from error
    html = data.get("html", {})
    return CleanRules(
        blocks=blocks,
        html=HtmlRules(
            silent_tags=frozenset(html.get("silent_tags", [])),
            container_tags=frozenset(html.get("container_tags", [])),
            negative_words=frozenset(html.get("negative_words", [])),
            negative_stems=frozenset(html.get("negative_stems", [])),
            body_names=frozenset(html.get("body_names", [])),
            layout_words=frozenset(html.get("layout_words", [])),
            layout_tags=frozenset(html.get("layout_tags", [])),
            fallback_share=float(html.get("fallback_share", 0.0)),
            anchor_share=float(html.get("anchor_share", 1.0)),
            leaf_climb=float(html.get("leaf_climb", 0.0)),
            link_cost_cap=float(html.get("link_cost_cap", 0.0)),
            dominant_share=float(html.get("dominant_share", 0.0)),
            thread_words=frozenset(html.get("thread_words", [])),
        ),
        edge_blocks=int(data.get("edge_blocks", 2)),
        trims=trims,
    )


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, whitespace inside each normalised to one space."""
    paragraphs = (normalise_space(p) for p in _PARAGRAPH_SPLIT.split(text.replace("\r\n", "\n")))
    return [p for p in paragraphs if p]


def match_rule(text: str, index: int, count: int, rules: CleanRules) -> BlockRule | None:
    """The first text rule that fires on paragraph ``index`` of ``count``, if any."""
    words = word_count(text)
    at_edge = index < rules.edge_blocks or index >= count - rules.edge_blocks
    for rule in rules.blocks:
        if rule.edge_only and not at_edge:
            continue
        if rule.matches(text, words):
            return rule
    return None


def looks_like_headline(text: str) -> bool:
    """A short title-case line without closing punctuation ('US Troops Sent To The Baltics')."""
    words = text.split()
    if not 2 <= len(words) <= 20 or text[-1] in ".!?;:,\"”":
        return False
    significant = [w for w in words if w.lower() not in _MINOR_WORDS]
    capitalised = sum(1 for w in significant if _TITLE_WORD.match(w))
    return bool(significant) and capitalised / len(significant) >= 0.75


def _link_target(text: str) -> str:
    """The headline part of a 'Read Next: <headline>' paragraph."""
    found = _LINK_INTRO.match(text)
    return found.group(1).strip() if found else text


def strip_boilerplate(paragraphs: list[str], rules: CleanRules | None = None) -> tuple[list[str], list[Removal]]:
    """Drop boilerplate paragraphs; return the kept ones and a removal for each dropped one.

    Orphan headlines are the one rule that needs context: a related-story title that a
    site prints on its own line next to a "Read Next: <same title>" link. It is recognised
    only when the same text reappears in a link paragraph within two paragraphs, so a real
    subheading is never mistaken for one.
    """
    rules = rules or load_rules()
    count = len(paragraphs)
    fired: list[BlockRule | None] = [match_rule(p, i, count, rules) for i, p in enumerate(paragraphs)]
    link_rules = {"read-next"}
    orphan: set[int] = set()
    for i, paragraph in enumerate(paragraphs):
        if fired[i] is not None or not looks_like_headline(paragraph):
            continue
        key = paragraph.casefold()
        for j in range(max(0, i - 2), min(count, i + 3)):
            rule = fired[j]
            if j != i and rule is not None and rule.rule_id in link_rules and key in _link_target(paragraphs[j]).casefold():
                orphan.add(i)
                break
    kept: list[str] = []
    removed: list[Removal] = []
    for i, paragraph in enumerate(paragraphs):
        rule = fired[i]
        if i in orphan:
            removed.append(Removal(paragraph, "orphan-headline", "a related-story headline repeated by a nearby link"))
        elif rule is not None:
            removed.append(Removal(paragraph, rule.rule_id, rule.reason))
        else:
            kept.append(paragraph)
    if kept:
        for trim in rules.trims:
            found = next((m for m in (p.search(kept[-1]) for p in trim.patterns) if m), None)
            if found and found.start() > 0:
                removed.append(Removal(kept[-1][found.start():].strip(), trim.rule_id, trim.reason))
                kept[-1] = kept[-1][: found.start()].rstrip()
    return kept, removed


def drop_repeated(paragraphs: list[str], url: str | None, repeats: RepeatedBlocks | None) -> tuple[list[str], list[Removal]]:
    """Drop paragraphs that other pages of the same site repeat word for word."""
    if repeats is None:
        return paragraphs, []
    kept: list[str] = []
    removed: list[Removal] = []
    for paragraph in paragraphs:
        if repeats.is_repeated(url, paragraph):
            removed.append(Removal(paragraph, "repeated-block", "repeated word for word on other pages of the same site"))
        else:
            kept.append(paragraph)
    return kept, removed


def clean_text(text: str, meta: dict[str, str] | None = None, *, repeats: RepeatedBlocks | None = None) -> Cleaned:
    """Clean a plain-text article (paragraphs separated by blank lines).

    The title is never guessed from the first paragraph: plain text has no markup that
    says which line is the headline, so ``metadata.title`` comes from ``meta`` only.
    ``repeats`` (optional) drops paragraphs that other pages of the site repeat.
    """
    metadata = merge_metadata(Metadata(), meta)
    kept, removed = strip_boilerplate(split_paragraphs(text or ""))
    kept, repeated = drop_repeated(kept, metadata.url, repeats)
    return Cleaned("\n\n".join(kept), metadata, tuple(removed + repeated))


def _filter_body(blocks: list[Block], facts: PageFacts, rules: CleanRules) -> tuple[list[str], list[Removal]]:
    """Structural filters inside the located body: the headline and link lists.

    A heading is the page headline when it repeats the title, or when it is an ``<h1>``
    before any prose; later ``<h1>`` are kept, since some sites use them as subheadings.
    """
    title = normalise_space(facts.metadata.title or "").casefold()
    kept: list[str] = []
    removed: list[Removal] = []
    seen_prose = False
    for i, block in enumerate(blocks):
        words = word_count(block.text)
        folded = block.text.casefold()
        repeats_title = bool(title) and len(folded) > 10 and (folded == title or folded in title)
        if (block.tag == "h1" and not seen_prose) or (repeats_title and (block.tag in HEADINGS or not seen_prose)):
            removed.append(Removal(block.text, "headline", "the page headline, kept as metadata title"))
        elif block.card:
            removed.append(Removal(block.text, "story-card", "a card in a list of other stories (a linked headline and its summary)"))
        elif block.link_density > 0.6 and words < 60 and match_rule(block.text, i, len(blocks), rules) is None:
            # (a link block that a text rule names, such as "Read Next: <a>...</a>", is left
            # to strip_boilerplate, which records the precise rule and finds its orphan headline)
            removed.append(Removal(block.text, "link-list", "mostly links: navigation or a list of other stories"))
        else:
            seen_prose = seen_prose or is_prose(block)
            kept.append(block.text)
    return kept, removed


def _article_blocks(
    blocks: list[Block], root: _Element, marks: dict[_Element, tuple[str, str]], facts: PageFacts, rules: HtmlRules
) -> tuple[list[Block], list[Removal]]:
    """The blocks of the article body, by one strategy or, when it fails, by a second one.

    First strategy: every boilerplate mark counts. When what it keeps is less than
    ``fallback_share`` of the page's prose (the article sits in a "modal", a page-builder
    "widget" or a ``<header>``), the page is located again with the marks that
    only describe presentation voided (:func:`~searchkit.htmlbody.layout_marks`). Score of
    each: characters of prose kept (:func:`~searchkit.bodylocate.prose_chars`); when the
    first strategy overruled the marks (its body sits in a "sidebar" or "comments" box),
    only its prose outside such boxes counts. The second wins only when the first scores
    less than ``fallback_share`` of it, and a ``body-fallback`` record says so.
    """
    choice = choose_body(blocks, root, marks, facts.article_body, rules, facts.metadata.title)
    body, honoured = choice.element, choice.honoured
    relaxed = layout_marks(marks, rules, blocks)
    # the rest of a post after its "continue reading" cut, in a sibling of the body
    extra = continuations(blocks, body, marks, relaxed) if honoured else []
    inside, removed = split_blocks(blocks, body, marks, extra, choice.threads)
    if choice.how == "headline":
        removed.insert(0, Removal(
            "the scores chose a body away from the page's headline (a sidebar, a profile or the "
            "comments); the headline's container was taken instead",
            "body-headline", "the body was found by the headline (see text)",
        ))
    share = rules.fallback_share
    if share <= 0:
        return inside, removed
    if honoured:
        first = prose_chars(inside)
    else:
        # The marks were overruled: count only prose outside every container whose name
        # says it holds something else (one around nearly all the prose is a wrapper).
        neutral = relaxed | wrapper_marks(blocks, marks, WRAPPER_SHARE)
        first = prose_chars(b for b in inside if all(m in neutral for m in b.marks))
    if not relaxed or first >= share * prose_chars(blocks):
        return inside, removed
    kept_marks = {element: mark for element, mark in marks.items() if element not in relaxed}
    loose = [replace(b, marks=tuple(m for m in b.marks if m not in relaxed)) for b in blocks]
    choice2 = choose_body(loose, root, kept_marks, facts.article_body, rules, facts.metadata.title)
    inside2, removed2 = split_blocks(loose, choice2.element, kept_marks, (), choice2.threads)
    if choice2.honoured:
        second = prose_chars(inside2)  # every mark left on these blocks still applies
    else:
        # The second strategy overruled the marks that are left (its body holds the
        # comments or a sidebar): like the first, it is scored on its prose outside them.
        neutral2 = wrapper_marks(loose, kept_marks, WRAPPER_SHARE)
        second = prose_chars(b for b in inside2 if all(m in neutral2 for m in b.marks))
    if first >= share * second:
        return inside, removed
    note = (
        f"first strategy kept {first} characters of prose, the second {second}: "
        "containers named only for their presentation were not trusted"
    )
    return inside2, [Removal(note, "body-fallback", "the second body strategy ran (see text)"), *removed2]


def clean_html(
    html: str, url: str | None = None, meta: dict[str, str] | None = None, *, repeats: RepeatedBlocks | None = None
) -> Cleaned:
    """Clean an HTML page: metadata from the head, the article body found by structure.

    Never raises on malformed input: an empty or unparseable page gives empty text.
    ``repeats`` (optional, see :mod:`searchkit.repeats`) drops paragraphs that other pages
    of the same site repeat word for word.
    """
    rules = load_rules()
    tree = parse_html(html or "")
    if tree is None:
        return Cleaned("", merge_metadata(Metadata(url=url), meta, url), ())
    facts = extract_page_facts(tree, url)
    root = tree.find("body")
    if root is None:
        root = tree
    drop_silent_elements(root, rules.html)
    blocks, marks = page_blocks(root, rules.html)
    mark_story_cards(blocks)
    inside, removed = _article_blocks(blocks, root, marks, facts, rules.html)
    paragraphs, structural = _filter_body(inside, facts, rules)
    removed.extend(structural)
    kept, by_rule = strip_boilerplate(paragraphs, rules)
    removed.extend(by_rule)
    metadata = merge_metadata(facts.metadata, meta, url)
    kept, repeated = drop_repeated(kept, metadata.url, repeats)
    removed.extend(repeated)
    return Cleaned("\n\n".join(kept), metadata, tuple(removed))


def clean_source(source: Source, *, repeats: RepeatedBlocks | None = None) -> Cleaned:
    """Clean one loaded source, HTML or plain text. The source's ``defaults`` (an archive's
    capture date, a saved page's URL) fill only what neither the input nor the page gave."""
    if source.kind == "html":
        cleaned = clean_html(source.content, url=source.meta.get("url"), meta=source.meta, repeats=repeats)
    else:
        cleaned = clean_text(source.content, meta=source.meta, repeats=repeats)
    missing = {k: v for k, v in source.defaults.items() if k in Metadata.__dataclass_fields__
               and v and getattr(cleaned.metadata, k) is None}
    return replace(cleaned, metadata=replace(cleaned.metadata, **missing)) if missing else cleaned
