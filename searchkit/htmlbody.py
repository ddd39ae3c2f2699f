"""Find the article body of an HTML page and cut it into paragraph blocks.

The chain, one concern per function (as in trafilatura's ``htmlprocessing``):

1. :func:`parse_html` — ``lxml.html`` straight, not BeautifulSoup. bs4 builds its own
   Python tree on top of the parser, which costs ~10x the parse itself on 200 KB news
   pages; lxml gives the same tree in C. libxml2's default depth limit (256) is kept on
   purpose: a hostile page of 100,000 nested ``<div>`` is truncated, never a crash, and all
   tree walks below are iterative, so Python's recursion limit is never involved.
2. :func:`prune_tree` — drop what is never prose (scripts, nav, forms, ``aside``),
   hidden elements, and containers whose class/id name a boilerplate family ("share",
   "related", "newsletter", ...) unless they hold most of the page's prose.
3. :func:`page_blocks` — flatten the pruned tree into text blocks (one per paragraph-level
   element) with their link density and owning element.
4. :func:`locate_body` — choose the element whose subtree holds the most article-like
   prose (long, punctuated, few links) net of link lists; when JSON-LD ``articleBody`` is
   present, choose the element that best matches it instead. The body is found by
   structure and statistics, never by site name.
5. :func:`filter_blocks` — inside the body, drop link lists, the headline and blocks that
   match a text rule; every dropped block becomes a :class:`Removal` with its reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from .records import Removal

BLOCK_TAGS = frozenset(
    "address article aside blockquote body br center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th "
    "thead tr ul".split()
)
"""Elements that start a new block of text (``br`` too: many sites separate paragraphs by it)."""

HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_CLASS_SPLIT = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SENTENCE_END = re.compile(r"[.!?…。！？\"”’»)]\s*$|[.!?。]\s")


@dataclass(frozen=True)
class HtmlRules:
    """The structural part of the rules (``[html]`` in ``clean_rules.toml``)."""

    silent_tags: frozenset[str]
    container_tags: frozenset[str]
    negative_words: frozenset[str]
    positive_words: frozenset[str]


@dataclass
class Block:
    """One paragraph-level run of text, with the element it came from."""

    text: str
    link_chars: int
    owner: etree._Element
    tag: str
    marks: tuple[etree._Element, ...] = ()

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


def normalise_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def parse_html(html: str) -> lxml_html.HtmlElement | None:
    """Parse a page with lxml; ``None`` for an empty or unparseable page (never raises)."""
    if not html or not html.strip():
        return None
    # lxml refuses str input that carries an XML encoding declaration; bytes are always fine.
    data = html.encode("utf-8", "replace")
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        tree = lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return tree if isinstance(tree, lxml_html.HtmlElement) else None


def class_words(element: etree._Element) -> set[str]:
    """Lower-cased words of an element's class and id ('share-bar' -> {'share', 'bar'})."""
    raw = f"{element.get('class') or ''} {element.get('id') or ''}"
    if not raw.strip():
        return set()
    return {w.lower() for w in _CLASS_SPLIT.split(raw) if w}


def is_hidden(element: etree._Element) -> bool:
    """Hidden by the page itself: ``hidden``, ``aria-hidden``, inline ``display:none``."""
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = element.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def drop_silent_elements(root: etree._Element, rules: HtmlRules) -> None:
    """Remove elements that never show prose (scripts, styles, form controls) in place.

    Nothing is recorded for them: they hold code or widgets, not text a reader would see.
    """
    doomed = [el for el in root.iter() if el is not root and (not isinstance(el.tag, str) or el.tag.lower() in rules.silent_tags)]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


def boilerplate_mark(element: etree._Element, rules: HtmlRules) -> tuple[str, str] | None:
    """(rule, reason) when the element is a boilerplate container by tag, visibility or name.

    A mark is only a presumption: :func:`locate_body` ignores marks on the containers that
    hold the article (some sites wrap the story in ``<nav>`` or ``<div class="share-...">``).
    """
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if tag in ("article", "main") or element.get("itemprop") == "articleBody":
        return None  # the page says this is the content; a class such as "tag-news" does not undo that
    if is_hidden(element):
        return "hidden-element", "hidden by the page (hidden, aria-hidden or display:none)"
    if tag in rules.container_tags:
        return "page-furniture", f"inside <{tag}>, which holds navigation, captions or page furniture"
    bad = class_words(element) & rules.negative_words
    if bad:
        return "boilerplate-container", f"inside a container named '{sorted(bad)[0]}' by its class or id"
    return None


def page_blocks(root: etree._Element, rules: HtmlRules) -> tuple[list[Block], dict[etree._Element, tuple[str, str]]]:
    """Flatten ``root`` into blocks in document order (iteratively, no recursion).

    Returns the blocks and the boilerplate marks met on the way (element -> rule, reason);
    each block lists the marked containers it sits in.
    """
    blocks: list[Block] = []
    marks: dict[etree._Element, tuple[str, str]] = {}
    buffer: list[str] = []
    link_chars = 0
    link_depth = 0
    owners: list[etree._Element] = [root]
    marked: list[etree._Element] = []

    def flush(owner: etree._Element) -> None:
        nonlocal link_chars
        if buffer:
            text = normalise_space("".join(buffer))
            if text:
                tag = owner.tag.lower() if isinstance(owner.tag, str) else ""
                blocks.append(Block(text, min(link_chars, len(text)), owner, tag, tuple(marked)))
            buffer.clear()
        link_chars = 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if text:
            buffer.append(text)
            if link_depth:
                link_chars += len(text.strip())

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        is_block = tag in BLOCK_TAGS
        if event == "start":
            if is_block and element is not root:
                flush(owners[-1])
                owners.append(element)
            mark = boilerplate_mark(element, rules) if element is not root else None
            if mark is not None:
                flush(owners[-1])
                marks[element] = mark
                marked.append(element)
            if tag == "a":
                link_depth += 1
            add(element.text)
        else:
            if tag == "a":
                link_depth -= 1
            if is_block and element is not root:
                flush(owners.pop())
            if marked and marked[-1] is element:
                flush(owners[-1])
                marked.pop()
            if element is not root:
                add(element.tail)
    flush(owners[-1])
    return blocks, marks


def is_prose(block: Block) -> bool:
    """Long enough, punctuated like sentences and not mostly links."""
    if block.link_density >= 0.35:
        return False
    words = block.text.count(" ") + 1
    return words >= 25 or words >= 8 and bool(_SENTENCE_END.search(block.text))


def block_score(block: Block) -> float:
    """Evidence that a block is article prose (positive) or navigation (negative)."""
    length = len(block.text)
    if block.link_density > 0.5:
        return -0.5 * length
    if is_prose(block):
        commas = block.text.count(",") + block.text.count("，") + block.text.count("、")
        return length + 20 * min(commas, 5)
    return -min(length, 40) * 0.2


def _ancestors(element: etree._Element, stop: etree._Element | None) -> Iterable[etree._Element]:
    node: etree._Element | None = element
    while node is not None:
        yield node
        if node is stop:
            return
        node = node.getparent()


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _best_node(blocks: list[Block], root: etree._Element, honour_marks: bool, reference: Counter[str] | None) -> tuple[etree._Element, float]:
    """Best-scoring element: by JSON-LD text match when ``reference`` is given, else by score."""
    scores: dict[etree._Element, float] = {}
    matched: dict[etree._Element, int] = {}
    totals: dict[etree._Element, int] = {}
    for block in blocks:
        boiler = honour_marks and bool(block.marks)
        score = -0.5 * len(block.text) if boiler else block_score(block)
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


def locate_body(blocks: list[Block], root: etree._Element, article_body: str = "") -> etree._Element:
    """The element whose subtree is most article-like; guided by JSON-LD text when given.

    Each block adds its score to every ancestor, so an outer wrapper only beats the article
    container if it adds more prose than link lists and short fragments. Prose inside a
    boilerplate-marked container counts against its ancestors; but when honouring the marks
    leaves far less prose than ignoring them, the marks were wrong (the page wraps its
    story in ``<nav>`` or a "share" div) and the unmarked choice wins.
    """
    reference = Counter(_tokens(article_body)) if len(article_body) > 200 else None
    marked, marked_score = _best_node(blocks, root, True, reference)
    unmarked, unmarked_score = _best_node(blocks, root, False, reference)
    if marked_score >= 0.3 * unmarked_score:
        return marked
    return unmarked


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
    prose_in: dict[etree._Element, int] = {}
    total = 0
    for block in inside:
        if is_prose(block):
            total += len(block.text)
            for element in block.marks:
                prose_in[element] = prose_in.get(element, 0) + len(block.text)
    void = wrapping | {element for element, chars in prose_in.items() if chars > 0.5 * total}
    kept: list[Block] = []
    for block in inside:
        inner = [m for m in block.marks if m not in void]
        if inner:
            rule, reason = marks[inner[-1]]
            removed.append(Removal(block.text, rule, reason))
        else:
            kept.append(block)
    return kept, removed
