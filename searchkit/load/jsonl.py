"""JSONL (one article a line) and JSON (one article object, or an array of them) → sources.

Dumps come from many scrapers and datasets, each naming its fields its own way, so the
common names are read as aliases (first found wins, in this order):

=========  ===============================================================================
field      names read
=========  ===============================================================================
text       ``text``, ``body``, ``content``, ``article``, ``articleBody``, ``maintext``
           (or HTML: ``html``, ``raw_html``); with none, the title is the text (a headline
           with no body, such as a news brief, is an article of one paragraph)
title      ``title``, ``headline``
url        ``url``, ``link``
date       ``date``, ``published``, ``pubDate``, ``publishedAt``, ``published_at``,
           ``publish_date``, ``date_publish``, ``datePublished``
site       ``site``, ``source`` (a string, or an object with a ``name``), ``source_domain``,
           ``publisher``
author     ``author``, ``authors`` (a list is joined), ``byline``
language   ``language``, ``lang``
id         ``id``, ``_id``, ``guid``, ``doc_id``
=========  ===============================================================================

Any other field holding a short string, a number or a list of them (Reuters ``places`` and
``topics``, BBC ``category``) is kept on the source as a tag. A JSONL file fails per line; a
JSON file is one document, so it fails once, never once per line of a pretty-printed file.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import SourceError, describe
from ..records import LoadIssue, Source
from .decode import SURROGATE, check_html_depth, normalise_text
from .files import MAX_ARTICLE_CHARS, display_path, file_hash

HTML_KEYS = ("html", "raw_html")
TEXT_KEYS = ("text", "body", "content", "article", "articleBody", "maintext")
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "date": ("date", "published", "pubDate", "publishedAt", "published_at", "publish_date", "date_publish",
             "datePublished"),
    "site": ("site", "source", "source_domain", "publisher"),
    "author": ("author", "authors", "byline"),
    "language": ("language", "lang"),
}
ID_KEYS = ("id", "_id", "guid", "doc_id")
MAX_TAG_CHARS = 200
"""Longer strings are prose (a summary, a description), not a label to filter on."""
MAX_TAG_VALUES = 100


def read_jsonl(path: str, text: str) -> tuple[list[Source], list[LoadIssue]]:
    """One source per good line; a failure (with its line number) per bad line."""
    sources: list[Source] = []
    issues: list[LoadIssue] = []
    seen_ids: set[str] = set()
    where_file = display_path(path)
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = _parse(line)
            if not isinstance(obj, dict):
                raise SourceError("line is not a JSON object")
            sources.append(article_source(path, obj, f"L{lineno}", seen_ids, line, "jsonl"))
        except SourceError as e:
            issues.append(LoadIssue(f"{where_file}#L{lineno}", str(e)))
    if not sources and not issues:
        issues.append(LoadIssue(where_file, "no articles in JSONL file"))
    return sources, issues


def read_json(path: str, text: str) -> tuple[list[Source], list[LoadIssue]]:
    """A JSON file: one article object, or an array of article objects (``path#/<n>`` each).

    A file that is not articles (a config, a gazetteer) fails once, with what it holds. In an
    array that does hold articles, each item that is not one fails on its own."""
    where = display_path(path)
    try:
        doc = _parse(text)
    except SourceError as e:
        return [], [LoadIssue(where, str(e))]
    if isinstance(doc, dict):
        try:
            return [article_source(path, doc, "", set(), text, "json")], []
        except SourceError as e:
            return [], [LoadIssue(where, f"JSON object is not an article: {e}")]
    if not isinstance(doc, list):
        return [], [LoadIssue(where, f"JSON file holds a {type(doc).__name__}, not an article or an array of them")]
    sources: list[Source] = []
    bad: list[LoadIssue] = []
    seen_ids: set[str] = set()
    for n, item in enumerate(doc):
        try:
            if not isinstance(item, dict):
                raise SourceError(f"item is a {type(item).__name__}, not a JSON object")
            raw = json.dumps(item, ensure_ascii=False, sort_keys=True)
            sources.append(article_source(path, item, f"/{n}", seen_ids, raw, "json"))
        except SourceError as e:
            bad.append(LoadIssue(f"{where}#/{n}", str(e)))
    if not sources:
        reason = "empty JSON array" if not doc else f"JSON array of {len(doc):,} items holds no article ({bad[0].reason})"
        return [], [LoadIssue(where, reason)]
    return sources, bad


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(f"malformed JSON: {e.msg.removesuffix(' at')} at line {e.lineno} column {e.colno}"
                          if "\n" in text.strip() else
                          f"malformed JSON: {e.msg.removesuffix(' at')} at column {e.colno}") from e
    except (ValueError, RecursionError) as e:
        raise SourceError(f"malformed JSON: {describe(e, 200)}") from e


def article_source(path: str, obj: dict[str, Any], position: str, seen_ids: set[str], raw: str,
                   input_kind: str) -> Source:
    """The source for one article object. ``position`` (``L<n>``, ``/<n>`` or ``""`` for a
    whole-file object) names it when it has no id of its own, or a repeated one."""
    kind, body, content = "text", None, None
    for key in HTML_KEYS:
        if isinstance(obj.get(key), str) and obj[key].strip():
            kind, body = "html", obj[key]
            break
    else:
        for key in TEXT_KEYS:
            if isinstance(obj.get(key), str) and obj[key].strip():
                # Content as read: a text of only invisible characters (zero-width spaces,
                # a BOM) is no body, and the title stands in as for a record without one.
                text = normalise_text(obj[key])
                if text.strip():
                    body, content = obj[key], text
                    break
    used = {*HTML_KEYS, *TEXT_KEYS, *ID_KEYS}
    meta: dict[str, str] = {}
    for name, keys in FIELD_ALIASES.items():
        used.update(keys)
        for key in keys:
            value = _meta_value(obj.get(key))
            if value:
                meta[name] = value
                break
    if body is None:
        # A headline with no body (a news brief, a catalogue record) is still an article:
        # its title is its one paragraph, so a word of the title finds it.
        body = meta.get("title")
    if body is None:
        raise SourceError("no 'text', 'html' or 'title' field with content (also read: "
                          + ", ".join([*TEXT_KEYS[1:], *FIELD_ALIASES["title"][1:]]) + ")")
    if len(body) > MAX_ARTICLE_CHARS:
        raise SourceError(f"article of {len(body):,} characters is over the {MAX_ARTICLE_CHARS:,} limit")
    if kind == "html":
        check_html_depth(body)
        content = SURROGATE.sub("\ufffd", body)
    elif content is None:
        content = normalise_text(body)
    if not content.strip():
        raise SourceError("no 'text' or 'html' field with content")
    ext = next((v for v in (_meta_value(obj.get(k), join=False) for k in ID_KEYS) if v), "")
    if ext and ext not in seen_ids:
        seen_ids.add(ext)
        meta["id"] = ext
        source_id = f"{path}#{ext}"
    else:
        source_id = f"{path}#{position}" if position else path
    tags = {k: v for k, v in ((k, _tag_values(obj[k])) for k in obj if k not in used) if v}
    return Source(source_id, path, kind, content, file_hash(raw.encode("utf-8", "surrogatepass")), meta,
                  tags=tags, input_kind=input_kind)


def _meta_value(value: Any, join: bool = True) -> str:
    if isinstance(value, dict):  # e.g. NewsAPI's "source": {"id": "bbc-news", "name": "BBC News"}
        value = value.get("name")
    if isinstance(value, list) and join:  # "authors": ["A", "B"]
        value = ", ".join(str(v) for v in value if isinstance(v, (str, int)) and not isinstance(v, bool))
    if value is None or isinstance(value, (bool, list, dict)) or value == "":
        return ""
    return normalise_text(str(value))


def _tag_values(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items[:MAX_TAG_VALUES]:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            return ()  # a nested structure is data, not labels
        text = normalise_text(str(item))
        if len(text) > MAX_TAG_CHARS:
            return ()
        if text and text not in out:
            out.append(text)
    return tuple(out)
