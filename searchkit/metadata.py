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
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class MetaRules:
    """The ``[metadata]`` part of ``clean_rules.toml``: title separators, byline words."""

    separators: tuple[str, ...]
    prefix: re.Pattern[str]
    role_words: frozenset[str]
    agencies: dict[str, str]
    rejects: tuple[re.Pattern[str], ...]
    site_separators: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def metadata_rules() -> MetaRules:
    """Load the metadata clean-up rules once; they ship as data next to the text rules so
    that a reader sees why a title segment or a byline part was dropped."""
    path = Path(__file__).parent / "data" / "clean_rules.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return MetaRules(
        separators=tuple(data.get("title_separators", [])),
        prefix=re.compile(data.get("byline_prefix", r"^\s*by\s+"), re.I),
        role_words=frozenset(w.casefold() for w in data.get("role_words", [])),
        agencies={name.casefold(): canonical for name, canonical in data.get("agencies", [])},
        rejects=tuple(re.compile(p, re.I) for p in data.get("author_rejects", [])),
        site_separators=tuple(data.get("site_separators", [])),
    )


_ALNUM = re.compile(r"[\W_]+")


def _squash(text: str) -> str:
    """Letters and digits only, case and accents folded ("Aktuálně.cz" -> "aktualnecz")."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _ALNUM.sub("", "".join(c for c in folded if not unicodedata.combining(c)))


def _host_names(url: str | None) -> set[str]:
    """Squashed labels of the page's host that can name the site ("harborpost", "bbc")."""
    host = urlsplit(url).hostname or "" if url else ""
    labels = [label for label in host.lower().split(".") if label not in ("www", "m", "amp")]
    names = {_squash(label) for label in labels[:-1] if len(label) >= 3}
    if len(labels) >= 2:
        names.add(_squash("".join(labels[:-1])))
    names.discard("")
    return names


def is_address(value: str) -> bool:
    """A URL, path or host name where a name was expected ("https://www.cbsnews.com/")."""
    return "://" in value or value.startswith(("/", "#", "www.")) or bool(re.fullmatch(r"[\w-]+(\.[\w-]+)*\.[a-z]{2,6}/\S*", value))


def site_name(candidates: list[str | None], url: str | None) -> str | None:
    """The site's name from the first candidate that is a name, without its tagline.

    ``og:site_name`` and the publisher's name are sometimes an address (a JSON-LD
    ``@id``) or a home-page title ("LinkNaija | Nigeria's popular news platform"). An
    address is skipped; of a tagged name, the segment that names the page's host is kept
    ("The Jerusalem Post | JPost.com" on jpost.com), else the first one, unless the first
    is a long phrase and the last a short name ("Thoughts about onboarding and good UX |
    Userpilot Blog": names are short, taglines and titles long).
    """
    for value in candidates:
        if not value or is_address(value):
            continue
        segments = [value]
        for sep in metadata_rules().site_separators:
            segments = [part for segment in segments for part in segment.split(sep)]
        segments = [s.strip(" |-–—·•»:") for s in segments]
        segments = [s for s in segments if s and not is_address(s)]
        if not segments:
            continue
        if len(segments) == 1:
            return segments[0]
        hosts = _host_names(url)
        for segment in segments:
            squashed = _squash(segment)
            if any(squashed == name or len(name) >= 4 and squashed.startswith(name) for name in hosts):
                return segment
        first, last = len(segments[0].split()), len(segments[-1].split())
        return segments[-1] if first >= TAGLINE_WORDS and first >= 2 * last else segments[0]
    return None


TAGLINE_WORDS = 5
"""A first site-name segment of this many words, twice the last's, is a tagline or a title."""


def strip_site_suffix(title: str | None, site: str | None, url: str | None, raw_site: str | None = None) -> str | None:
    """``"Clymer manual review | MoreBikes"`` -> ``"Clymer manual review"``.

    A last (or first) title segment is dropped only when it names the site: equal to
    ``og:site_name`` or to a label of the page's host name, letters and digits compared.
    A headline segment that merely looks short ("Review | Film") is never guessed at.
    ``raw_site`` is the site name as the page gave it, tagline included: a title that ends
    with all of it loses all of it.
    """
    if not title:
        return title
    if raw_site and raw_site.casefold() == title.casefold():
        return title  # the page's title is the site's own (a home-page title): nothing to strip
    if raw_site:
        for sep in metadata_rules().separators:
            if title.endswith(sep + raw_site) and len(title) > len(sep + raw_site):
                title = title[: -len(sep + raw_site)].strip()
                break
    names = {_squash(site)} if site else set()
    names.update(_host_names(url))
    names.discard("")
    if not names:
        return title
    changed = True
    while changed:
        changed = False
        for sep in metadata_rules().separators:
            head, found, tail = title.rpartition(sep)
            if found and head.strip() and _squash(tail) in names:
                title, changed = head.strip(), True
                break
            tail2, found, rest = title.partition(sep)
            if found and rest.strip() and _squash(tail2) in names:
                title, changed = rest.strip(), True
                break
    return title


def _title_case(name: str) -> str:
    """``TOM KRISHER`` -> ``Tom Krisher``; a name written in mixed case is left alone."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        return " ".join(w.capitalize() if "'" not in w else w.title() for w in name.split())
    return name


def clean_author(value: str | None) -> tuple[str | None, str | None]:
    """(names, agency) from a byline as a page prints it.

    ``"By TOM KRISHER, AP Auto Writer"`` gives ``("Tom Krisher", "Associated Press")``: the
    prefix and the job title go, the wire agency is returned for use as the site. Comment
    form labels ("Nama (wajib)") and junk without a real name ("J J") give ``None``.
    """
    if not value:
        return None, None
    rules = metadata_rules()
    text = collapse_spaces(value)
    if any(p.search(text) for p in rules.rejects):
        return None, None
    names: list[str] = []
    agency: str | None = None
    for part in re.split(r"\s*[,;|/]\s*|\s+(?:and|&|und|et)\s+|\s+[-–—]\s+", text):
        part = rules.prefix.sub("", part).strip(" .:-–—")
        if not part:
            continue
        folded = part.casefold()
        if folded in rules.agencies:
            agency = agency or rules.agencies[folded]
            continue
        words = [w.casefold() for w in _ALNUM.split(part) if w]
        if any(w in rules.role_words for w in words):
            for size in (3, 2, 1):  # an agency inside the role ("AP Auto Writer")
                for i in range(len(words) - size + 1):
                    found = rules.agencies.get(" ".join(words[i : i + size]))
                    if found:
                        agency = agency or found
            continue
        if any(p.search(part) for p in rules.rejects) or any(ch.isdigit() for ch in part):
            continue
        if not words or all(len(w) <= 1 for w in words):
            continue  # initials only ("J J"): not a name
        names.append(_title_case(part))
    unique = list(dict.fromkeys(names))
    return (", ".join(unique) if unique else None), agency


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
    # rel/itemprop first (deliberate markup); a class named "byline" when those name no one
    # (a <meta rel="author" content="humans.txt"> is such a case).
    candidates = list(tree.iterfind(".//*[@rel='author']")) + list(tree.iterfind(".//*[@itemprop='author']"))
    candidates += [
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
            name, _agency = clean_author(text)
            if name:
                return name
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

    agency: str | None = None
    cleaned_authors = []
    for raw in _names(ld.get("author")):
        name, found = clean_author(raw)
        agency = agency or found
        if name:
            cleaned_authors.append(name)
    author = ", ".join(dict.fromkeys(cleaned_authors)) if cleaned_authors else None
    meta_author = _first(metas.get("author"), metas.get("article:author"), metas.get("dc.creator"),
                         metas.get("parsely-author"), metas.get("sailthru.author"))
    if not author and meta_author and not meta_author.startswith("http"):
        author, found = clean_author(meta_author)
        agency = agency or found
    if not author:
        author = _byline_in_page(tree)

    lang = None
    for element in (tree, *tree.iter("body")):
        lang = element.get("lang") or element.get("xml:lang")
        if lang:
            break
    lang = lang or _first(ld.get("inLanguage"), metas.get("og:locale"), metas.get("content-language"))

    page_url = _first(canonical, metas.get("og:url"), ld.get("url"), url)
    raw_sites = [metas.get("og:site_name"), *_names(ld.get("publisher")), metas.get("application-name")]
    site = site_name(raw_sites, page_url or url)
    title = _first(ld.get("headline"), metas.get("og:title"), metas.get("twitter:title"), _title_tag(tree))
    raw_site = next((s for s in raw_sites if s and not is_address(s)), None)
    metadata = Metadata(
        title=strip_site_suffix(title, site, page_url or url, raw_site),
        date=date,
        author=author,
        site=site or agency,
        url=page_url,
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
