"""Find the article body of an HTML page and cut it into paragraph blocks.

The chain, one concern per function (as in trafilatura's ``htmlprocessing``):

1. :func:`parse_html` — ``lxml.html`` straight, not BeautifulSoup. bs4 builds its own
   Python tree on top of the parser, which costs several times the parse itself on 200 KB
   news pages; lxml gives the same tree in C, and the whole cleaner then runs faster than
   trafilatura. ``huge_tree`` raises libxml2's depth limit from 256 to about 2,000, so a
   real page nested 300 deep keeps its text, while a hostile page of 100,000 nested
   ``<div>`` is still truncated by the parser, never a crash; every tree walk below is
   iterative, so Python's recursion limit is never involved.
2. :func:`drop_silent_elements` — remove what never shows prose (scripts, styles, form
   controls).
3. :func:`page_blocks` — flatten the tree into text blocks (one per paragraph-level
   element) with their link density, owning element and the boilerplate containers they
   sit in (:func:`boilerplate_mark`: ``<nav>``/``<aside>``/``<footer>``..., hidden
   elements, class or id words such as "share", "related", "newsletter").
4. :func:`layout_marks` — which marks only say how a container is shown (a "widget", a
   "modal", a ``<header>``), for the cleaner's second body strategy.

Steps 5 and 6 (locate the body among the blocks, split off what is outside it) live in
:mod:`searchkit.bodylocate`.

Text rules (read-next lines, appeals, credits ...) run afterwards, in :mod:`searchkit.cleaner`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from lxml import html as lxml_html


BLOCK_TAGS = frozenset(
    "address article aside blockquote body br center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot "
    "thead tr ul".split()
)
"""Elements that start a new block of text (``br`` too: many sites separate paragraphs by it).
A table row is one block; its cells are separated by a space."""
CELL_TAGS = frozenset(("td", "th"))

HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_SPACE = re.compile(r"\s+")
_CLASS_SPLIT = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SENTENCE_END = re.compile(r"[.!?…。！？\"”’»)]\s*$|[.!?]\s|[。！？]")


@dataclass(frozen=True)
class HtmlRules:
    """The structural part of the rules (``[html]`` in ``clean_rules.toml``)."""

    silent_tags: frozenset[str]
    container_tags: frozenset[str]
    negative_words: frozenset[str]
    negative_stems: frozenset[str]
    body_names: frozenset[str]
    layout_words: frozenset[str] = frozenset()
    layout_tags: frozenset[str] = frozenset()
    fallback_share: float = 0.0
    anchor_share: float = 1.0
    leaf_climb: float = 0.0
    link_cost_cap: float = 0.0
    dominant_share: float = 0.0
    thread_words: frozenset[str] = frozenset()


@dataclass
class Block:
    """One paragraph-level run of text, with the element it came from."""

    text: str
    link_chars: int
    owner: etree._Element
    tag: str
    marks: tuple[etree._Element, ...] = ()
    prose: bool | None = field(default=None, repr=False, compare=False)
    """:func:`is_prose`, computed once: body location asks it of every block several times."""
    card: bool = False
    """Part of a story card in a list of other stories (:func:`mark_story_cards`)."""

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


def normalise_space(text: str) -> str:
    """Runs of whitespace (newlines included) become one space; ends are trimmed."""
    return _SPACE.sub(" ", text).strip()


_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f\uf900-\ufaff]")


def word_count(text: str) -> int:
    """Words in ``text``; for scripts written without spaces (Chinese, Japanese, Thai) two
    characters count as a word, so a long CJK paragraph is not mistaken for a short line."""
    unspaced = len(_UNSPACED.findall(text))
    return text.count(" ") + 1 + unspaced // 2


def parse_html(html: str) -> lxml_html.HtmlElement | None:
    """Parse a page with lxml; ``None`` for an empty or unparseable page (never raises)."""
    if not html or not html.strip():
        return None
    # lxml refuses str input that carries an XML encoding declaration; bytes are always fine.
    data = html.encode("utf-8", "replace")
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        tree = lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return tree if isinstance(tree, lxml_html.HtmlElement) else None


_TAXONOMY = re.compile(r"^(entry-|post-)?(author|category|tag|format|type|status|topic|section)-[\w-]+$", re.I)
_POST_CLASSES = frozenset(("hentry", "type-post", "entry-type-post", "status-publish"))
"""Blog engines label the post element with its author, categories and tags (WordPress
``post_class``: "hentry author-jane category-news tag-fire"; Typepad "entry-author-jane
entry-type-post"). Such a label names a value, not a container role, so "author-jane" must
not read as an author box. A class counts as a label when the element carries two of them
or a post class; a lone "author-bio" is still a role."""
_MODIFIERS = frozenset("has with w no without and enable enabled show is".split())
_PART_NAMES = frozenset("label title heading legend icon overflow".split())
"""A state word after one of these names the state of that part of the element, not of the
element: Drupal's "field--label-hidden" is a field whose label is hidden, "overflow-hidden"
one whose overflow is clipped."""
_BREAKPOINT = re.compile(r"^(xs|sm|md|lg|xl|\dxl):", re.I)
"""A utility class for one screen size ("md:block"): next to "hidden", the element is hidden on
small screens only and shown on the desktop page the reader of a saved page sees."""


def class_words(element: etree._Element) -> frozenset[str]:
    """Lower-cased words of an element's class and id ('share-bar' -> {'share', 'bar'}).

    A word right after a layout modifier is left out: "has-sidebar", "with-comments" or
    "no-ads" describe the page layout around the story, not a boilerplate container. So is
    "hidden" where it hides the element on some screens only: "hidden-xs", "hidden-mobile",
    a generated "hidden-1rq27kw" per breakpoint, or "hidden" beside "md:block".
    """
    raw = f"{element.get('class') or ''} {element.get('id') or ''}"
    if not raw.strip():
        return frozenset()
    return _raw_class_words(raw)


@lru_cache(maxsize=4096)
def _raw_class_words(raw: str) -> frozenset[str]:
    """:func:`class_words` of one class-and-id string (a page repeats its class names)."""
    words: set[str] = set()
    names = raw.split()
    filed = sum(1 for name in names if _TAXONOMY.match(name)) >= 2 or any(n in _POST_CLASSES for n in names)
    responsive = ":" in raw and any(_BREAKPOINT.match(name) for name in names)
    for name in names:
        if "(" in name or "$" in name:
            continue  # atomic CSS ("Mend(395px)--modalMinWidth") names styles, not roles
        if filed and _TAXONOMY.match(name):
            continue  # "author-jane-doe category-news": how the post is filed, not a role
        previous = ""
        partial = name[:7].lower() == "hidden-" or responsive and name.lower() == "hidden"
        for word in _CLASS_SPLIT.split(name):
            if word:
                word = word.lower()
                if word == "hidden" and (partial or previous in _PART_NAMES):
                    previous = word
                    continue
                if previous not in _MODIFIERS:
                    words.add(word)
                    words.add(previous + word)  # "key-points" also reads as "keypoints"
                previous = word
    return frozenset(words)


@lru_cache(maxsize=4096)
def stem_hits(words: frozenset[str], stems: frozenset[str]) -> frozenset[str]:
    """The ``stems`` found inside any of ``words`` (run-together names: "commentlist")."""
    return frozenset(stem for stem in stems for word in words if stem in word)


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
        if element.getparent() is None:
            continue
        if isinstance(element.tag, str) and element.tag.lower() in _CONTROL_TAGS and _swallowed_page(element):
            # An unclosed <div> inside a <button> makes the parser nest the rest of the page
            # in the button: drop the control's own markup, keep what it swallowed.
            element.drop_tag()
        else:
            element.drop_tree()


_CONTROL_TAGS = frozenset("button label select map object".split())
SWALLOWED_CHARS = 500
"""A form control holding more text than this in block elements has swallowed the page."""


def _swallowed_page(element: etree._Element) -> bool:
    """Whether a form control holds block elements with real text (a parser repair)."""
    chars = 0
    for child in element.iter():
        if child is not element and isinstance(child.tag, str) and child.tag.lower() in ("p", "article", "main", "section", "li", "h2", "h3"):
            chars += len(child.text_content())
            if chars > SWALLOWED_CHARS:
                return True
    return False


def boilerplate_mark(element: etree._Element, rules: HtmlRules) -> tuple[str, str] | None:
    """(rule, reason) when the element is a boilerplate container by tag, visibility or name.

    A mark is only a presumption: :func:`~searchkit.bodylocate.choose_body` ignores marks on the containers that
    hold the article (some sites wrap the story in ``<nav>`` or ``<div class="share-...">``).
    """
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if tag in ("article", "main") or element.get("itemprop") == "articleBody":
        return None  # the page says this is the content; a class such as "tag-news" does not undo that
    if is_hidden(element):
        return "hidden-element", "hidden by the page (hidden, aria-hidden or display:none)"
    if tag in rules.container_tags:
        if tag == "figure" and element.find(".//table") is not None:
            return None  # a table set as a figure (block editors wrap every table so) is content
        return "page-furniture", f"inside <{tag}>, which holds navigation, captions or page furniture"
    words = class_words(element)
    bad = words & rules.negative_words
    if not bad and words and rules.negative_stems:
        # run-together names: "commentlist", "relatedposts", "socialshare"
        bad = stem_hits(words, rules.negative_stems)
    if bad and not _is_quote_embed(element) and not _holds_named_body(element, words, rules):
        return "boilerplate-container", f"inside a container named '{sorted(bad)[0]}' by its class or id"
    return None


NAMED_BODY_CHARS = 500
"""A container named like the article body holds the story when it has this much text outside links."""


def _holds_named_body(element: etree._Element, words: frozenset[str], rules: HtmlRules) -> bool:
    """Whether a name-marked container holds the article body by name ("post-meta" around
    "post-content", an "overlay" around "article-body"): the page says what the inner
    element is, so the outer name describes its presentation or its place, not its content.
    A comment thread keeps its mark (a comment's text may be named like a body too)."""
    if words & rules.thread_words or stem_hits(words, rules.thread_words):
        return False
    for inner in element.iter():
        if inner is element or not isinstance(inner.tag, str):
            continue
        if inner.get("itemprop") == "articleBody" or class_words(inner) & rules.body_names:
            text = len(normalise_space(inner.text_content()))
            links = sum(len(normalise_space(a.text_content())) for a in inner.iter("a"))
            if text - links >= NAMED_BODY_CHARS:
                return True
    return False


HIDDEN_STORY = 3
"""A hidden container holding at least this many prose paragraphs may hold the story."""


def layout_marks(
    marks: dict[etree._Element, tuple[str, str]], rules: HtmlRules, blocks: list[Block] | None = None
) -> set[etree._Element]:
    """The marks that only say how a container is shown, not what it holds.

    A page-builder "widget", a "modal" or a ``<header>`` can hold the story as well as
    furniture; a "comments", "related" or ``<nav>`` container never holds it. The second
    strategy of :mod:`searchkit.cleaner` stops trusting the first kind. Hiding is trusted
    unless the hidden container holds a run of ``HIDDEN_STORY`` prose paragraphs (a story
    revealed by a script, not a tooltip, a label or a duplicate summary).
    """
    stories: dict[etree._Element, int] = {}
    for block in blocks or ():
        if is_prose(block):
            for element in block.marks:
                stories[element] = stories.get(element, 0) + 1
    relaxed: set[etree._Element] = set()
    for element, (rule, _reason) in marks.items():
        story = stories.get(element, 0) >= HIDDEN_STORY
        if rule == "hidden-element":
            if story:
                relaxed.add(element)
        elif rule == "page-furniture":
            if isinstance(element.tag, str) and element.tag.lower() in rules.layout_tags:
                relaxed.add(element)
        else:
            words = class_words(element)
            bad = words & rules.negative_words
            if not bad:
                bad = stem_hits(words, rules.negative_stems)
            if bad and (bad <= rules.layout_words or story and bad <= rules.layout_words | {"hidden"}):
                relaxed.add(element)
    return relaxed


def _is_quote_embed(element: etree._Element) -> bool:
    """A "social-embed" wrapper around a ``<blockquote>``: a quoted post is part of the story."""
    quote = element.find(".//blockquote")
    if quote is None:
        return False
    inner = len(normalise_space(quote.text_content()))
    return inner > 0 and inner >= 0.8 * len(normalise_space(element.text_content()))


def page_blocks(root: etree._Element, rules: HtmlRules) -> tuple[list[Block], dict[etree._Element, tuple[str, str]]]:
    """Flatten ``root`` into blocks in document order (iteratively, no recursion).

    Returns the blocks and the boilerplate marks met on the way (element -> rule, reason);
    each block lists the marked containers it sits in. A hidden *inline* element (or a
    marked link) is lifted out as its own block, so that the paragraph
    around it stays one paragraph.
    """
    blocks: list[Block] = []
    marks: dict[etree._Element, tuple[str, str]] = {}
    buffer: list[str] = []
    aside: list[str] = []  # text of the marked inline element being lifted out
    lifted: etree._Element | None = None
    link_chars = 0
    aside_link_chars = 0
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
        nonlocal link_chars, aside_link_chars
        if text:
            if lifted is not None:
                aside.append(text)
                if link_depth:
                    aside_link_chars += len(text.strip())
                return
            buffer.append(text)
            if link_depth:
                link_chars += len(text.strip())

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        is_block = tag in BLOCK_TAGS and lifted is None
        if event == "start":
            if is_block and element is not root:
                flush(owners[-1])
                owners.append(element)
            mark = boilerplate_mark(element, rules) if element is not root and lifted is None else None
            if mark is not None and is_block:
                marks[element] = mark
                flush(owners[-1])
                marked.append(element)
            elif mark is not None and (mark[0] == "hidden-element" or (tag == "a" and mark[0] != "page-furniture")):
                # Hidden text inside a sentence, or a marked link (a "share" or "ad" link)
                # is lifted out. A class name on other inline text ("dateline" around
                # "CAIRO —") does not justify changing the words of a sentence.
                marks[element] = mark
                lifted = element
            if tag == "a":
                link_depth += 1
            if tag in CELL_TAGS:
                add(" ")
            add(element.text)
        else:
            if tag == "a":
                link_depth -= 1
            if element is lifted:
                text = normalise_space("".join(aside))
                if text:
                    blocks.append(Block(text, min(aside_link_chars, len(text)), owners[-1], tag, (*marked, element)))
                aside.clear()
                aside_link_chars = 0
                lifted = None
            if is_block and element is not root:
                flush(owners.pop())
            if marked and marked[-1] is element:
                flush(owners[-1])
                marked.pop()
            if element is not root:
                add(element.tail)
    flush(owners[-1])
    return blocks, marks


_TEASER_END = re.compile(r"(\[(\.\.\.|…)\]|\((\.\.\.|…)\)|(\.\.\.|…)\s*(read|continue|more)\b[^.]{0,20})\W*$", re.I)
"""A cut-off excerpt: "... the energy [...]", "... more ... Read more" (a teaser of another post)."""


PROSE_LINK_DENSITY = 0.35
"""A block with this share of its characters in links is not prose (a list of links, a teaser)."""


def is_prose(block: Block) -> bool:
    """Long enough, punctuated like sentences, not mostly links, and not a cut-off excerpt."""
    if block.prose is None:
        block.prose = _prose_text(block)
    return block.prose


def _prose_text(block: Block) -> bool:
    if block.card or block.link_density >= PROSE_LINK_DENSITY or _TEASER_END.search(block.text):
        return False
    words = word_count(block.text)
    return words >= 25 or words >= 8 and bool(_SENTENCE_END.search(block.text))

