"""Metadata extraction for the clean stage: title, date, author, site, url, language.

Sources are tried from the most to the least deliberate: JSON-LD (``NewsArticle`` and
friends) is written for machines, then Open Graph / Twitter / ``article:*`` meta tags,
then ``<time datetime>``, ``<link rel=canonical>``, ``<html lang>`` and ``<title>``. The
caller's metadata (JSONL fields) always wins over what is found in the page.

Dates are normalised to ISO 8601: ``YYYY-MM-DD`` when only a day is known, otherwise
``YYYY-MM-DDTHH:MM:SS`` with the UTC offset when the page gives one.

This module also returns JSON-LD ``articleBody``, which the body extractor uses to find
the article container by content rather than by site-specific markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import html as lxml_html

from .records import Metadata
from .text import collapse_spaces

_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report|Posting|LiveBlog)$", re.I)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT_DATE_FORMATS = (
    "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d/%m/%Y",
    "%Y%m%d", "%B %d, %Y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
)


@dataclass(frozen=True)
class PageFacts:
    """What the page says about itself; ``article_body`` is JSON-LD ``articleBody`` or ''."""

    metadata: Metadata
    article_body: str = ""


def normalise_date(value: str | None) -> str | None:
    """Return ``value`` as an ISO 8601 string, or ``None`` if it is not a recognisable date.

    >>> normalise_date("2020-09-17T14:03:00-04:00")
    '2020-09-17T14:03:00-04:00'
    >>> normalise_date("Thu, 17 Sep 2020 18:03:00 GMT")
    '2020-09-17T18:03:00+00:00'
    >>> normalise_date("September 17, 2020")
    '2020-09-17'
    """
    if not value:
        return None
    text = collapse_spaces(value)
    if not text:
        return None
    iso = re.sub(r"Z$", "+00:00", text)
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)  # +0400 -> +04:00
    iso = re.sub(r"\.\d+(?=[+-]|$)", "", iso)  # drop fractional seconds
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
        cleaned = re.sub(r"\bSept\b", "Sep", cleaned, flags=re.I)
        cleaned = re.sub(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+", "", cleaned, flags=re.I)
        cleaned = re.sub(r"\s*(UTC|GMT|[A-Z]{2,4}T)$", "", cleaned)
        for fmt in _TEXT_DATE_FORMATS:
            try:
                parsed = datetime.strptime(cleaned, fmt)
                break
            except ValueError:
                continue
    if parsed is None or not 1900 <= parsed.year <= 2100:
        return None
    if _DATE_ONLY.match(iso) or (parsed.hour, parsed.minute, parsed.second) == (0, 0, 0) and parsed.tzinfo is None:
        return parsed.date().isoformat()
    return parsed.replace(microsecond=0).isoformat()


def _walk_json(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every dict in a JSON-LD document (top level, lists, ``@graph``), iteratively."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type", [])
    return [str(k) for k in (kind if isinstance(kind, list) else [kind])]


def _names(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation value: a string, a dict or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
    return [collapse_spaces(n) for n in names if n and n.strip()]


def _json_ld_articles(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
    articles = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        articles.extend(obj for obj in _walk_json(data) if any(_ARTICLE_TYPES.search(t) for t in _types(obj)))
    return articles


def _meta_tags(tree: lxml_html.HtmlElement) -> dict[str, str]:
    """``<meta>`` values keyed by lower-cased ``property``/``name``/``itemprop``; first wins."""
    found: dict[str, str] = {}
    for tag in tree.iter("meta"):
        content = tag.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = (tag.get(attr) or "").strip().lower()
            if key and key not in found:
                found[key] = collapse_spaces(content)
    return found


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("name") or value.get("@id") or value.get("url")
        if isinstance(value, str) and value.strip():
            return collapse_spaces(value)
    return None


def _title_tag(tree: lxml_html.HtmlElement) -> str | None:
    for title in tree.iter("title"):
        return _first(title.text_content())
    return None


_BY = re.compile(r"^(by|par|por|von|di|door)\s+", re.I)
_BYLINE_CLASS = re.compile(r"(^|[\s_-])(byline|author|authors|author-name|contributor)([\s_-]|$)", re.I)


def _byline_in_page(tree: lxml_html.HtmlElement) -> str | None:
    """The author named in the page body: ``rel=author``, ``itemprop=author`` or a short
    element whose class is "byline"/"author" ("By Jane Doe" gives "Jane Doe")."""
    candidates = list(tree.iterfind(".//*[@rel='author']")) + list(tree.iterfind(".//*[@itemprop='author']"))
    if not candidates:
        candidates = [
            el for el in tree.iter("a", "span", "div", "p", "address")
            if _BYLINE_CLASS.search(el.get("class") or "")
        ][:20]
    for element in candidates:
        named = element.find(".//*[@itemprop='name']")
        source = named if named is not None else element
        content = source.get("content") or ""
        text = content if content and "://" not in content else source.text_content()
        text = _BY.sub("", collapse_spaces(text or ""))
        if 1 <= len(text.split()) <= 6 and not any(ch.isdigit() for ch in text) and not {"@", "/"} & set(text):
            return text
    return None


def extract_page_facts(tree: lxml_html.HtmlElement, url: str | None = None) -> PageFacts:
    """Read the page's own metadata and JSON-LD ``articleBody`` (without the caller's meta)."""
    articles = _json_ld_articles(tree)
    ld: dict[str, Any] = max(articles, key=lambda a: len(str(a.get("articleBody", ""))), default={})
    metas = _meta_tags(tree)

    canonical = None
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            canonical = link.get("href")
            break
    time_value = None
    for time_el in tree.iter("time"):
        time_value = time_el.get("datetime")
        if time_value:
            break
    for element in tree.iterfind(".//*[@itemprop='datePublished']"):
        time_value = element.get("content") or element.get("datetime") or time_value
        break

    date = None
    for candidate in (
        _first(ld.get("datePublished")), metas.get("article:published_time"), metas.get("og:published_time"),
        metas.get("datepublished"), metas.get("pubdate"), metas.get("publishdate"), metas.get("date"),
        metas.get("dc.date"), metas.get("dc.date.issued"), metas.get("sailthru.date"),
        metas.get("parsely-pub-date"), time_value, _first(ld.get("dateModified")),
    ):
        date = normalise_date(candidate)
        if date:
            break

    authors = _names(ld.get("author"))
    author = ", ".join(dict.fromkeys(authors)) if authors else None
    meta_author = _first(metas.get("author"), metas.get("article:author"), metas.get("dc.creator"),
                         metas.get("parsely-author"), metas.get("sailthru.author"))
    if not author and meta_author and not meta_author.startswith("http"):
        author = meta_author
    if not author:
        author = _byline_in_page(tree)

    lang = None
    for element in (tree, *tree.iter("body")):
        lang = element.get("lang") or element.get("xml:lang")
        if lang:
            break
    lang = lang or _first(ld.get("inLanguage"), metas.get("og:locale"), metas.get("content-language"))

    metadata = Metadata(
        title=_first(ld.get("headline"), metas.get("og:title"), metas.get("twitter:title"), _title_tag(tree)),
        date=date,
        author=author,
        site=_first(metas.get("og:site_name"), ld.get("publisher"), metas.get("application-name")),
        url=_first(canonical, metas.get("og:url"), ld.get("url"), url),
        language=lang.replace("_", "-").strip() if lang else None,
    )
    body = ld.get("articleBody")
    return PageFacts(metadata, body if isinstance(body, str) else "")


def merge_metadata(found: Metadata, meta: dict[str, str] | None, url: str | None = None) -> Metadata:
    """Combine page metadata with the caller's: the caller's (JSONL) values win."""
    given = {k: v for k, v in (meta or {}).items() if isinstance(v, str) and v.strip()}
    date = given.get("date")
    return Metadata(
        title=given.get("title") or found.title,
        date=(normalise_date(date) or date) if date else found.date,
        author=given.get("author") or found.author,
        site=given.get("site") or found.site,
        url=given.get("url") or found.url or url,
        language=given.get("language") or found.language,
    )
