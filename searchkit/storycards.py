"""Story cards: a list of other stories printed as cards (a linked headline and its summary).

The summaries are real paragraphs, so :func:`~searchkit.htmlbody.is_prose` alone takes them
for article prose, and a feed of teasers under a short story pulls the body down to the
column that holds both. :func:`mark_story_cards` flags them before the body is located; the
cleaner records each one inside the body as a ``story-card`` removal.
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from .htmlbody import HEADINGS, Block, is_prose

CARD_RUN = 3
"""A list of other stories: at least this many sibling cards (a linked headline and its summary)."""
_CARD_CLIMB = 4
CARD_ALONE = 0.25
"""See mark_story_cards: a run of cards is a list of other stories when the prose beside
it in its container is under this share of the prose in its cards (leave-one-set-out)."""


def _in_heading(element: etree._Element) -> bool:
    """Whether ``element`` is a heading or sits in one (``<h3><a><div>Title</div></a></h3>``)."""
    node: etree._Element | None = element
    for _ in range(3):
        if node is None:
            return False
        if isinstance(node.tag, str) and node.tag.lower() in HEADINGS:
            return True
        node = node.getparent()
    return False


def _common_ancestor(a: etree._Element, b: etree._Element) -> etree._Element | None:
    mine = {a, *a.iterancestors()}
    node: etree._Element | None = b
    while node is not None and node not in mine:
        node = node.getparent()
    return node


def mark_story_cards(blocks: list[Block], alone: float = CARD_ALONE) -> int:
    """Flag the blocks of story cards (``Block.card``); return how many blocks were flagged.

    A list of other stories prints each as a card: a headline that is one link, its summary
    right after it, maybe a source or a date, each card in its own container, at least
    ``CARD_RUN`` cards side by side. The summary is a real paragraph, so by itself it reads
    as prose and pulls the body towards the list (a feed of twenty teasers under a short
    story). A card holds one paragraph of prose; a section of an article under a linked
    subheading shares its container with the other sections, so it is never a card. And a
    list article prints its items as cards among its own paragraphs: a run of cards counts
    as other stories only when the prose beside the cards, in the run's container, is under
    ``alone`` times the prose in them.
    """
    pairs: list[etree._Element] = []
    for heading, summary in zip(blocks, blocks[1:]):
        if heading.link_density < 0.8 or summary.link_chars or not _in_heading(heading.owner) or not is_prose(summary):
            continue
        container = _common_ancestor(heading.owner, summary.owner)
        if container is not None:
            pairs.append(container)
    if len(pairs) < CARD_RUN:
        return 0
    runs: dict[etree._Element, list[etree._Element]] = {}  # run container -> its cards
    chains = [[node, *list(node.iterancestors())[:_CARD_CLIMB]] for node in pairs]
    for level in range(_CARD_CLIMB):
        per_child: Counter[etree._Element] = Counter(chain[level] for chain in chains if len(chain) > level + 1)
        children_of: dict[etree._Element, list[etree._Element]] = {}
        for child, count in per_child.items():
            if count == 1:
                children_of.setdefault(child.getparent(), []).append(child)
        found = {child for parent, children in children_of.items() if len(children) >= CARD_RUN for child in children}
        for parent, children in children_of.items():
            if len(children) >= CARD_RUN:
                runs[parent] = children
        chains = [chain for chain in chains if len(chain) > level + 1 and chain[level] not in found]
    if not runs:
        return 0
    card_of: dict[etree._Element, etree._Element] = {card: run for run, cards in runs.items() for card in cards}
    run_of_block: dict[int, tuple[etree._Element, etree._Element | None]] = {}
    prose_in_card: Counter[etree._Element] = Counter()
    card_chars: Counter[etree._Element] = Counter()
    beside: Counter[etree._Element] = Counter()
    for index, block in enumerate(blocks):
        card = None
        for node in (block.owner, *block.owner.iterancestors()):
            if card is None and node in card_of:
                card = node
            if node in runs:
                run_of_block[index] = (node, card)
                if is_prose(block):
                    if card is None:
                        beside[node] += len(block.text)
                    else:
                        prose_in_card[card] += 1
                        card_chars[node] += len(block.text)
                break
    feeds = {run for run in runs if beside[run] < alone * card_chars[run]}
    flagged = 0
    for index, (run, card) in run_of_block.items():
        if card is not None and run in feeds and prose_in_card[card] <= 1:
            blocks[index].card, blocks[index].prose = True, False
            flagged += 1
    return flagged
