"""Repeated-block detection across pages of the same site.

A paragraph that appears, word for word, on two different articles of one site is site
furniture (a membership plug, a "join our forums" line, a company boilerplate under every
press release), whatever its wording: no rule has to know it. Detection needs several
pages, so it is a two-pass affair that the caller opts into:

    >>> from searchkit.cleaner import clean_html
    >>> repeats = RepeatedBlocks()
    >>> for html, url in pages:                      # doctest: +SKIP
    ...     repeats.learn(clean_html(html, url=url))
    >>> cleaned = clean_html(html, url=url, repeats=repeats)   # doctest: +SKIP

The object holds only fingerprints per site; no global state.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from .records import Cleaned

_WORD = re.compile(r"\w+")


def site_of(url: str | None) -> str | None:
    """The host of ``url`` without ``www.``, lower-cased; ``None`` when there is none."""
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def fingerprint(paragraph: str) -> str:
    """Case- and punctuation-insensitive key of a paragraph."""
    return " ".join(_WORD.findall(paragraph.casefold()))


class RepeatedBlocks:
    """Paragraph fingerprints per site, with the pages they were seen on.

    ``min_pages`` is how many distinct pages of a site must show a paragraph before it
    counts as boilerplate; very short paragraphs (under ``min_words``) are ignored because
    "Advertisement" or a one-word subheading is better judged by the text rules.
    """

    def __init__(self, min_pages: int = 2, min_words: int = 6) -> None:
        self.min_pages = min_pages
        self.min_words = min_words
        self._pages: dict[tuple[str, str], set[str]] = defaultdict(set)

    def learn(self, cleaned: Cleaned, page: str | None = None) -> None:
        """Record the paragraphs of one cleaned page (``page`` defaults to its URL)."""
        site = site_of(cleaned.metadata.url)
        key = page or cleaned.metadata.url
        if site is None or key is None:
            return
        for paragraph in cleaned.paragraphs:
            mark = fingerprint(paragraph)
            if mark.count(" ") + 1 >= self.min_words:
                self._pages[(site, mark)].add(key)

    def is_repeated(self, url: str | None, paragraph: str) -> bool:
        """True when ``paragraph`` was seen on at least ``min_pages`` pages of ``url``'s site."""
        site = site_of(url)
        if site is None:
            return False
        return len(self._pages.get((site, fingerprint(paragraph)), ())) >= self.min_pages
