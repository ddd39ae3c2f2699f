"""Locate the article body among the blocks of a page (the statistics half of the cleaner).

:mod:`searchkit.htmlbody` parses the page and cuts it into blocks with their boilerplate
marks; this module scores them and picks the element that holds the story:

* :func:`choose_body` — the element whose subtree holds the most article-like prose (long,
  punctuated, few links) net of link lists and boilerplate; JSON-LD ``articleBody`` steers
  the choice when present. Pages with too little prose fall back to the container of the
  heading that repeats the title (:func:`headline_container`), then to a container named
  like an article body (:func:`named_container`). Found by structure and statistics, never
  by site name.
* :func:`split_blocks` — blocks outside the body, or inside a boilerplate container within
  it, become :class:`Removal` records with their reason.
* :func:`prose_chars` — the score that the cleaner's two body strategies compare.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from lxml import etree

from .htmlbody import HEADINGS, Block, HtmlRules, class_words, is_prose, normalise_space
from .records import Removal

WEAK_BODY = 300
"""Below this score the page has too little prose to trust the scores (see named_container)."""
MIN_NAMED_CHARS = 100
LONE_PARAGRAPH = 300
LONE_WEIGHT = 0.3
"""A prose block shorter than LONE_PARAGRAPH with no prose sibling weighs LONE_WEIGHT."""
WRAPPER_SHARE = 0.75
"""Page-wide, a marked container around more than this share of the prose wraps the story."""
_WORD = re.compile(r"\w+")


def prose_chars(blocks: Iterable[Block]) -> int:
    """Characters of article-like prose in ``blocks``: the score the two strategies compare.

    Weighted as in :func:`choose_body`: a short prose block with no prose sibling (a teaser's
    summary in a list of other stories) counts ``LONE_WEIGHT`` of its length.
    """
    prose = [block for block in blocks if is_prose(block)]
    siblings: Counter[etree._Element | None] = Counter(run_key(b.owner) for b in prose)
    total = 0.0
    for block in prose:
        lone = len(block.text) < LONE_PARAGRAPH and siblings[run_key(block.owner)] < 2
        total += len(block.text) * (LONE_WEIGHT if lone else 1.0)
    return int(total)


def run_key(owner: etree._Element) -> etree._Element | None:
    """The element whose children form the run of paragraphs ``owner`` belongs to.

    Usually the parent; but when each paragraph is wrapped in its own container
    (``<div class="paragraph"><p>...</p></div>``, one page-builder block per paragraph),
    the single-child wrappers are skipped, so the paragraphs still count as siblings.
    """
    node = owner.getparent()
    while node is not None and len(node) == 1 and node.getparent() is not None:
        node = node.getparent()
    return node


def block_score(block: Block) -> float:
    """Evidence that a block is article prose (positive) or navigation (negative)."""
    length = len(block.text)
    if block.link_density > 0.5:
        return -0.5 * length
    if is_prose(block):
        commas = block.text.count(",") + block.text.count("，") + block.text.count("、")
        return length + 20 * min(commas, 5)
    return -min(length, 40) * 0.1


def _ancestors(element: etree._Element, stop: etree._Element | None) -> Iterable[etree._Element]:
    node: etree._Element | None = element
    while node is not None:
        yield node
        if node is stop:
            return
        node = node.getparent()


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def wrapper_marks(
    blocks: list[Block], marks: dict[etree._Element, tuple[str, str]], share: float = 0.5
) -> set[etree._Element]:
    """Class-named marks that hold more than ``share`` of the prose of ``blocks``.

    Such a container wraps the story (``<div id="ad-portal">`` around the whole page, a
    "sticky-sidebar" layout column), so its name says nothing about its content. Marks made
    by the tag (``<aside>``, ``<nav>``) or by hiding are never voided this way.
    """
    prose_in: dict[etree._Element, int] = {}
    total = 0
    for block in blocks:
        if is_prose(block):
            total += len(block.text)
            for element in block.marks:
                if marks[element][0] == "boilerplate-container":
                    prose_in[element] = prose_in.get(element, 0) + len(block.text)
    return {element for element, chars in prose_in.items() if chars > share * total}


def _best_node(
    blocks: list[Block], root: etree._Element, ignored: set[etree._Element] | None, reference: Counter[str] | None
) -> tuple[etree._Element, float]:
    """Best-scoring element: by JSON-LD text match when ``reference`` is given, else by score.

    Blocks inside a marked container count against it, except for marks in ``ignored``;
    ``ignored=None`` ignores every mark.
    """
    scores: dict[etree._Element, float] = {}
    matched: dict[etree._Element, int] = {}
    totals: dict[etree._Element, int] = {}
    # Story paragraphs come in runs of siblings; a lone short paragraph under its own
    # parent is usually the summary of a teaser in a list of other stories.
    prose_siblings: Counter[etree._Element | None] = Counter(run_key(b.owner) for b in blocks if is_prose(b))
    for block in blocks:
        boiler = ignored is not None and any(m not in ignored for m in block.marks)
        score = -0.5 * len(block.text) if boiler else block_score(block)
        if score > 0 and len(block.text) < LONE_PARAGRAPH and prose_siblings[run_key(block.owner)] < 2:
            score *= LONE_WEIGHT
        tokens = _tokens(block.text) if reference is not None and not boiler else []
        hits = sum(1 for t in tokens if t in reference) if reference is not None else 0
        for node in _ancestors(block.owner, root):
            scores[node] = scores.get(node, 0.0) + score
            if reference is not None:
                matched[node] = matched.get(node, 0) + hits
                totals[node] = totals.get(node, 0) + len(tokens)
    if not scores:
        return root, 0.0
    best = max(scores, key=lambda node: scores[node])
    if reference is not None:
        # Prefer the element that best matches JSON-LD articleBody, unless that body is a
        # teaser: then the match sits inside the scored container, which holds far more.
        size = sum(reference.values())
        candidate, best_f1 = best, 0.0
        for node, total in totals.items():
            if not total:
                continue
            precision = matched[node] / total
            recall = min(matched[node] / size, 1.0)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            if f1 > best_f1:
                candidate, best_f1 = node, f1
        teaser = size < 0.3 * totals.get(best, 0) and best in set(_ancestors(candidate, root))
        if best_f1 >= 0.6 and not teaser:
            return candidate, scores[candidate]
    return best, scores[best]


def choose_body(
    blocks: list[Block],
    root: etree._Element,
    marks: dict[etree._Element, tuple[str, str]],
    article_body: str = "",
    rules: HtmlRules | None = None,
    title: str | None = None,
) -> tuple[etree._Element, bool]:
    """The element whose subtree is most article-like, and whether the marks were honoured.

    Each block adds its score to every ancestor, so an outer wrapper only beats the article
    container if it adds more prose than link lists and short fragments. Prose inside a
    boilerplate-marked container counts against its ancestors; but when honouring the marks
    leaves far less prose than ignoring them, the marks were wrong (the page wraps its
    story in ``<nav>`` or a "share" div) and the unmarked choice wins; the second value is
    then ``False`` (also for the weak-page fallbacks), so that the cleaner does not take
    prose inside a "sidebar" for the article without checking. JSON-LD ``articleBody``
    guides the choice when given.
    """
    reference = Counter(_tokens(article_body)) if len(article_body) > 200 else None
    # Page-wide, only a mark around nearly all the prose is a wrapper: a footer with one
    # long paragraph can out-weigh a two-paragraph story.
    marked, marked_score = _best_node(blocks, root, wrapper_marks(blocks, marks, WRAPPER_SHARE), reference)
    unmarked, unmarked_score = _best_node(blocks, root, None, reference)
    honoured = marked_score >= 0.3 * unmarked_score
    best, score = (marked, marked_score) if honoured else (unmarked, unmarked_score)
    if score < WEAK_BODY and rules is not None:
        anchored = headline_container(blocks, root, title)
        if anchored is not None:
            return anchored, False
        named = named_container(root, rules)
        if named is not None:
            return named, False
    return best, honoured


ANCHOR_SHARE = 0.5
"""The headline's container may hold at most this share of the page's text (else it is the page)."""


def headline_container(blocks: list[Block], root: etree._Element, title: str | None) -> etree._Element | None:
    """The smallest container of the page's headline that also holds text after it.

    For pages whose story is one or two sentences, the scores cannot tell it from a
    site blurb in a side column; the heading that repeats the page title can. ``None``
    when no heading repeats the title, or when its container is most of the page.
    """
    wanted = normalise_space(title or "").casefold()
    if len(wanted) < 10:
        return None
    heading = None
    for block in blocks:
        folded = block.text.casefold()
        if block.tag not in HEADINGS or len(folded) < 10 or heading is not None and len(folded) <= len(heading.text):
            continue
        # the whole title, or most of it ("Title - Site Blog"; never the site name alone)
        if folded == wanted or folded in wanted and len(folded) >= 0.5 * len(wanted):
            heading = block
    if heading is None:
        return None
    page_chars = sum(len(b.text) for b in blocks)
    position = blocks.index(heading)
    node = heading.owner.getparent()
    while node is not None and node is not root:
        inside = set(node.iter())
        after = sum(len(b.text) for b in blocks[position + 1 :] if b.owner in inside and b.link_density < 0.5)
        held = sum(len(b.text) for b in blocks if b.owner in inside)
        if held > ANCHOR_SHARE * page_chars:
            return None
        if after >= 40:
            return node
        node = node.getparent()
    return None


def named_container(root: etree._Element, rules: HtmlRules) -> etree._Element | None:
    """The ``<article>``, ``itemprop=articleBody`` or "entry-content"-like element with the
    most text outside links: the fallback for pages whose article is a list or a table."""
    best, best_chars = None, MIN_NAMED_CHARS
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if not (
            element.tag in ("article", "main")
            or element.get("itemprop") == "articleBody"
            or class_words(element) & rules.body_names
        ):
            continue
        text = len(normalise_space(element.text_content()))
        links = sum(len(normalise_space(a.text_content())) for a in element.iter("a"))
        if text - links > best_chars:
            best, best_chars = element, text - links
    return best


def split_blocks(
    blocks: list[Block], body: etree._Element, marks: dict[etree._Element, tuple[str, str]]
) -> tuple[list[Block], list[Removal]]:
    """Blocks of the article body, and a removal for every block outside it or in boilerplate.

    Marks on the body itself or on its ancestors are ignored: they wrap the article. So are
    marks on a container inside the body that holds most of its prose (a layout class such
    as "has-sidebar" or "sticky-sidebar" around the story column).
    """
    wrapping = set(_ancestors(body, None))
    inside: list[Block] = []
    removed: list[Removal] = []
    for block in blocks:
        node: etree._Element | None = block.owner
        while node is not None and node is not body:
            node = node.getparent()
        if node is None:
            removed.append(Removal(block.text, "outside-article", "outside the element that holds the article prose"))
        else:
            inside.append(block)
    void = wrapping | wrapper_marks(inside, marks)
    kept: list[Block] = []
    for block in inside:
        inner = [m for m in block.marks if m not in void]
        if inner:
            rule, reason = marks[inner[-1]]
            removed.append(Removal(block.text, rule, reason))
        else:
            kept.append(block)
    return kept, removed
