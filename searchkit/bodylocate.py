"""Locate the article body among the blocks of a page (the statistics half of the cleaner).

:mod:`searchkit.htmlbody` parses the page and cuts it into blocks with their boilerplate
marks; this module scores them and picks the element that holds the story:

* :func:`choose_body` — the element whose subtree holds the most article-like prose (long,
  punctuated, few links) net of link lists and boilerplate; JSON-LD ``articleBody`` steers
  the choice when present. The container of the heading that repeats the title
  (:func:`headline_container`) wins over a body chosen away from it in a sidebar or the
  comments, and is the fallback for pages with too little prose, before a container named
  like an article body (:func:`named_container`). Found by structure and statistics, never
  by site name.
* :func:`continuations` — siblings after the body that hold the rest of the post.
* :func:`split_blocks` — blocks outside the body, or inside a boilerplate container within
  it, become :class:`Removal` records with their reason.
* :func:`prose_chars` — the score that the cleaner's two body strategies compare.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from .htmlbody import HEADINGS, Block, HtmlRules, class_words, is_prose, normalise_space, stem_hits
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
    blocks: list[Block],
    root: etree._Element,
    ignored: set[etree._Element] | None,
    reference: Counter[str] | None,
    link_cap: float = 0.0,
    detail: dict[etree._Element, float] | None = None,
) -> tuple[etree._Element, float]:
    """Best-scoring element: by JSON-LD text match when ``reference`` is given, else by score.

    Blocks inside a marked container count against it, except for marks in ``ignored``;
    ``ignored=None`` ignores every mark. With ``link_cap`` > 0, the link lines under an
    element cost it at most ``link_cap`` times the prose it holds: a report whose paragraphs
    alternate with long lists of links (a changelog) stays one article instead of losing to
    its longest paragraph, while a menu with no prose still costs its wrapper in full.
    """
    scores: dict[etree._Element, float] = {}
    gains: dict[etree._Element, float] = {}
    link_costs: dict[etree._Element, float] = {}
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
        link_line = link_cap > 0 and not boiler and block.link_density > 0.5
        for node in _ancestors(block.owner, root):
            if link_line:
                link_costs[node] = link_costs.get(node, 0.0) + score
            else:
                scores[node] = scores.get(node, 0.0) + score
                if score > 0:
                    gains[node] = gains.get(node, 0.0) + score
            if reference is not None:
                matched[node] = matched.get(node, 0) + hits
                totals[node] = totals.get(node, 0) + len(tokens)
    for node, cost in link_costs.items():
        scores[node] = scores.get(node, 0.0) + max(cost, -link_cap * gains.get(node, 0.0))
    if detail is not None:
        detail.update(scores)
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


THREAD_LEVELS = 2
"""How far above a comment thread the post it follows is looked for (its parent, grandparent)."""


def comment_threads(
    blocks: list[Block], marks: dict[etree._Element, tuple[str, str]], rules: HtmlRules | None
) -> frozenset[etree._Element]:
    """Containers named for comments that follow the post they answer.

    A "comments" box after prose of its own parent or grandparent (outside every mark) is
    the thread under a post: however much it holds, it is never the story, so its mark is
    not overruled by the scores nor voided as a wrapper. A comment-named container with no
    prose before it keeps the usual presumption (a site may name its opinion column so).
    """
    if rules is None or not rules.thread_words:
        return frozenset()
    named: dict[etree._Element, bool] = {}
    first: dict[etree._Element, int] = {}
    for index, block in enumerate(blocks):
        for element in block.marks:
            if element not in named:
                words = class_words(element)
                named[element] = marks[element][0] == "boilerplate-container" and bool(
                    words & rules.thread_words or stem_hits(words, rules.thread_words)
                )
            if named[element]:
                first.setdefault(element, index)
                break  # the outermost thread only: the comments inside it are part of it
    threads: set[etree._Element] = set()
    for element, start in first.items():
        above = list(_ancestors(element, None))[1:]
        levels, wrappers = above[:THREAD_LEVELS], set(above)
        if not levels:
            continue
        for block in blocks[:start]:
            if not is_prose(block) or any(m not in wrappers for m in block.marks):
                continue
            if any(node in levels for node in _ancestors(block.owner, levels[-1])):
                threads.add(element)
                break
    return frozenset(threads)


@dataclass(frozen=True)
class BodyChoice:
    """The element chosen as the article body, and how.

    ``honoured``: the boilerplate marks were respected (``False`` when the scores overruled
    them, or for the weak-page fallbacks; the cleaner then checks the result). ``how``:
    ``"scores"``, ``"headline"`` (the scores chose a body away from the headline, whose
    container was taken instead), ``"weak-headline"`` or ``"named"`` (too little prose to
    score: the headline's container, or a container named like an article body).
    """

    element: etree._Element
    honoured: bool
    how: str = "scores"
    threads: frozenset[etree._Element] = frozenset()


def choose_body(
    blocks: list[Block],
    root: etree._Element,
    marks: dict[etree._Element, tuple[str, str]],
    article_body: str = "",
    rules: HtmlRules | None = None,
    title: str | None = None,
) -> BodyChoice:
    """The element whose subtree is most article-like, and whether the marks were honoured.

    Each block adds its score to every ancestor, so an outer wrapper only beats the article
    container if it adds more prose than link lists and short fragments. Prose inside a
    boilerplate-marked container counts against its ancestors; but when honouring the marks
    leaves far less prose than ignoring them, the marks were wrong (the page wraps its
    story in ``<nav>`` or a "share" div) and the unmarked choice wins, not honoured, so
    that the cleaner does not take prose inside a "sidebar" for the article without
    checking. Then: a body that owes nearly all its score to one child gives way to it
    (:func:`_dominant_part`), a lone paragraph climbs to its container
    (:func:`_paragraph_to_container`), and a body away from the headline gives way to the
    headline's container (:func:`_story_beside`). JSON-LD ``articleBody`` guides the choice
    when given.
    """
    reference = Counter(_tokens(article_body)) if len(article_body) > 200 else None
    cap = rules.link_cost_cap if rules is not None else 0.0
    # Page-wide, only a mark around nearly all the prose is a wrapper: a footer with one
    # long paragraph can out-weigh a two-paragraph story.
    node_scores: dict[etree._Element, float] = {}
    threads = comment_threads(blocks, marks, rules)
    marked, marked_score = _best_node(
        blocks, root, wrapper_marks(blocks, marks, WRAPPER_SHARE) - threads, reference, cap, node_scores
    )
    unmarked, unmarked_score = _best_node(blocks, root, set(marks) - threads if threads else None, reference, cap)
    honoured = marked_score >= 0.3 * unmarked_score
    best, score = (marked, marked_score) if honoured else (unmarked, unmarked_score)
    if rules is None:
        return BodyChoice(best, honoured)
    if honoured and rules.dominant_share > 0 and reference is None:
        best = _dominant_part(best, node_scores, rules.dominant_share)
    if honoured and rules.leaf_climb > 0:
        best = _paragraph_to_container(blocks, best, rules.leaf_climb)
    anchored = headline_container(blocks, root, title)
    if score >= WEAK_BODY:
        if anchored is not None and _story_beside(blocks, best, honoured, anchored, rules.anchor_share):
            return BodyChoice(anchored, True, "headline", threads)
        return BodyChoice(best, honoured, threads=threads)
    if anchored is not None:
        return BodyChoice(anchored, False, "weak-headline", threads)
    named = named_container(root, rules)
    if named is not None:
        return BodyChoice(named, False, "named", threads)
    return BodyChoice(best, honoured, threads=threads)


ANCHOR_SHARE = 0.5
"""The headline's container may hold at most this share of the page's text (else it is the page)."""


def _dominant_part(best: etree._Element, scores: dict[etree._Element, float], share: float) -> etree._Element:
    """The child of the chosen body that earns nearly all of its score, when there is one.

    An element's score is the sum of its blocks', so any sibling with a little prose of its
    own (a "happening now" feed of other stories beside the story column, a profile under
    it) lifts the common parent above the story's own container. When one child holds at
    least ``share`` of the parent's score, the rest adds little and is more likely other
    content than the story's; the descent repeats while it holds. It stops where the rest
    is part of the same text (a paragraph, a list or a subheading beside the child, lines of
    its own separated by ``<br>``) or where
    prose comes before the child (the story's lead, then a side rail, then the rest). The
    rest of a story in a clean sibling after it comes back through :func:`continuations`.
    """
    while True:
        total = scores.get(best, 0.0)
        children = [child for child in best if child in scores]
        if total <= 0 or not children:
            return best
        top = max(children, key=lambda child: scores[child])
        if scores[top] < share * total or scores[top] >= total:
            return best
        if total - sum(scores[child] for child in children) > 0:
            return best  # text of its own (lines separated by <br>): the story runs on here
        place = children.index(top)
        if any(_text_level(child, i < place) for i, child in enumerate(children) if child is not top):
            return best  # a paragraph, list or subheading beside it: the story runs on here
        if any(scores[child] > 0 and not _heading(child) for child in children[:place]):
            return best  # prose before it is the story's lead (a first part, then a side rail)
        best = top


_TEXT_LEVEL = frozenset("p ul ol dl blockquote pre table li br h3 h4 h5 h6 span a b i em strong font".split())


def _heading(element: etree._Element) -> bool:
    """Whether ``element`` is a heading (the headline before the story is not its lead)."""
    return isinstance(element.tag, str) and element.tag.lower() in HEADINGS


def _text_level(element: etree._Element, before: bool) -> bool:
    """Whether a sibling of the dominant part is part of the same text (a paragraph, a list,
    a subheading; the headline only after it) rather than another container."""
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    return tag in _TEXT_LEVEL or (tag in ("h1", "h2") and not before)


def _paragraph_to_container(blocks: list[Block], best: etree._Element, climb: float) -> etree._Element:
    """The paragraph's container when the scores chose one paragraph of a longer story.

    A story whose paragraphs alternate with short lines (a list of devices, table rows,
    a one-line lead) or link lines scores lower as a whole than its longest paragraph. A
    lone paragraph is rarely the whole article: when the run it belongs to holds at least
    ``climb`` times its text outside links, in unmarked blocks, the run's parent is the
    body (link lines in it are then removed one by one as link lists).
    """
    owners = {b.owner for b in blocks}
    if any(element in owners for element in best.iterdescendants()):
        return best  # not a single paragraph: a container already
    parent = run_key(best)  # past single-child wrappers (<div class="paragraph"><p>)
    if parent is None:
        return best
    wrapping = set(_ancestors(parent, None))
    subtree = set(parent.iter())
    inside = [b for b in blocks if b.owner in subtree and all(m in wrapping for m in b.marks)]
    mine = sum(len(b.text) - b.link_chars for b in inside if b.owner is best)
    text = sum(len(b.text) - b.link_chars for b in inside)
    return parent if mine and text >= climb * mine else best


def _within(element: etree._Element, node: etree._Element) -> bool:
    """Whether ``element`` is ``node`` or sits inside it."""
    return any(ancestor is node for ancestor in _ancestors(element, node))


def _story_beside(blocks: list[Block], best: etree._Element, honoured: bool, anchored: etree._Element, share: float) -> bool:
    """Whether the story is under the page's headline although the scores chose a body away from it.

    A short post (a video with two sentences, a link with a comment) loses on score to a
    longer "about this blog" box, a profile or the comment thread. The heading that
    repeats the title says where the post is: when the chosen body neither holds the
    headline's container nor sits in it, that container wins if the chosen body was
    suspect (the marks were overruled to reach it: it sits in a "sidebar" or "comments"
    box), or if the container's own prose is at least ``share`` of the chosen body's.
    The scored choice stays when the container holds no prose of its own;
    a news headline in a ``<header>`` with a one-sentence standfirst, above a story in
    another column, keeps its story by the share test.
    """
    if _within(best, anchored) or _within(anchored, best):
        return False
    headline_part = set(anchored.iter())
    own_prose = prose_chars(b for b in blocks if b.owner in headline_part)
    if own_prose == 0:
        return False
    if not honoured:
        return True
    chosen = set(best.iter())
    return own_prose >= share * prose_chars(b for b in blocks if b.owner in chosen)


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
        if block.link_density > 0.9 and links_home(block.owner):
            continue  # the site's name linked to its front page ("Blog Name: Post Title")
        # the whole title, or most of it ("Title - Site Blog"; never the site name alone)
        if folded == wanted or folded in wanted and len(folded) >= 0.5 * len(wanted):
            heading = block
    if heading is None:
        return None
    page_chars = sum(len(b.text) for b in blocks)
    position = blocks.index(heading)
    # The story under the headline is prose; a byline and a date under it are not, so the
    # smallest container holding prose after the headline wins over the one holding only
    # the headline's own header. A post with no prose at all (a video and "Wow.") falls
    # back to any text after the headline.
    for needs_prose in (True, False):
        node = heading.owner.getparent()
        while node is not None and node is not root:
            inside = set(node.iter())
            after = sum(
                len(b.text) for b in blocks[position + 1 :]
                if b.owner in inside and b.link_density < 0.5 and (not needs_prose or is_prose(b))
            )
            held = sum(len(b.text) for b in blocks if b.owner in inside)
            if held > ANCHOR_SHARE * page_chars:
                break
            if after >= 40:
                return node
            node = node.getparent()
    return None


def links_home(element: etree._Element) -> bool:
    """Whether ``element`` holds a link to a site's front page (its path empty or "/")."""
    for link in element.iter("a"):
        href = (link.get("href") or "").strip()
        if href and not href.startswith(("#", "?")) and urlsplit(href).path.strip("/") in ("", "index.html", "index.php"):
            return True
    return False


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


CONTINUATION_PROSE = 2
"""A sibling after the body continues the story when it holds this many prose paragraphs."""


def continuations(
    blocks: list[Block], body: etree._Element, marks: dict[etree._Element, tuple[str, str]], layout: set[etree._Element]
) -> list[etree._Element]:
    """Siblings right after the body that hold the rest of the story.

    Blog engines print the part after the "continue reading" cut in a sibling of the post
    body ("entry-body" then "entry-more"); page builders put each section of a story in its
    own sibling block. Such a sibling is unmarked, or marked only for how it is shown (a
    layout mark: "more", "widget"), holds nothing marked inside, and has at least
    ``CONTINUATION_PROSE`` prose paragraphs; the run of them stops at the first sibling
    with text that is not one (comments, a related list, a footer). Empty siblings (an
    image, a rule) are passed over.
    """
    sibling = body.getnext()
    if sibling is None:
        return []
    by_owner: dict[etree._Element, list[Block]] = {}
    for block in blocks:
        by_owner.setdefault(block.owner, []).append(block)
    found: list[etree._Element] = []
    while sibling is not None:
        own = [b for element in sibling.iter() for b in by_owner.get(element, ())]
        if own:
            inner_marks = {m for b in own for m in b.marks if m is not sibling and _within(m, sibling)}
            shown_only = sibling not in marks or sibling in layout
            prose = sum(1 for b in own if is_prose(b))
            if inner_marks or not shown_only or prose < CONTINUATION_PROSE:
                break
            found.append(sibling)
        sibling = sibling.getnext()
    return found


def split_blocks(
    blocks: list[Block],
    body: etree._Element,
    marks: dict[etree._Element, tuple[str, str]],
    extra: Iterable[etree._Element] = (),
    threads: frozenset[etree._Element] = frozenset(),
) -> tuple[list[Block], list[Removal]]:
    """Blocks of the article body, and a removal for every block outside it or in boilerplate.

    Marks on the body itself or on its ancestors are ignored: they wrap the article. So are
    marks on a container inside the body that holds most of its prose (a layout class such
    as "has-sidebar" or "sticky-sidebar" around the story column). ``extra`` elements (the
    body's :func:`continuations`) count as part of the body, their own marks ignored.
    """
    parts = (body, *extra)
    wrapping = set(_ancestors(body, None)) | set(parts)
    inside: list[Block] = []
    removed: list[Removal] = []
    for block in blocks:
        node: etree._Element | None = block.owner
        while node is not None and node not in parts:
            node = node.getparent()
        if node is None:
            removed.append(Removal(block.text, "outside-article", "outside the element that holds the article prose"))
        else:
            inside.append(block)
    void = wrapping | (wrapper_marks(inside, marks) - threads)
    kept: list[Block] = []
    for block in inside:
        inner = [m for m in block.marks if m not in void]
        if inner:
            rule, reason = marks[inner[-1]]
            removed.append(Removal(block.text, rule, reason))
        else:
            kept.append(block)
    return kept, removed
