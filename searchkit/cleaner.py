"""Clean stage: strip site boilerplate, keep every sentence of the article, extract metadata.

Interface (used by ingest and the CLI):

* ``clean_text(text, meta=None) -> Cleaned`` for plain text (paragraphs separated by blank lines)
* ``clean_html(html, url=None, meta=None) -> Cleaned`` for an HTML page
* ``clean_source(source) -> Cleaned`` dispatches on ``source.kind``

``meta`` carries metadata given by the input (JSONL fields); it wins over extracted values.
Every dropped block is recorded as a :class:`~searchkit.records.Removal`.

PLACEHOLDER: a minimal version so the pipeline runs end to end; the real cleaner replaces it.
"""

from __future__ import annotations

import re

from .records import Cleaned, Metadata, Removal, Source


def _meta(meta: dict[str, str] | None) -> Metadata:
    m = meta or {}
    return Metadata(title=m.get("title"), date=m.get("date"), author=m.get("author"),
                    site=m.get("site"), url=m.get("url"), language=m.get("language"))


def clean_text(text: str, meta: dict[str, str] | None = None) -> Cleaned:
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    keep, removed = [], []
    for p in paras:
        if not p:
            continue
        if p.lower().startswith("read next:"):
            removed.append(Removal(p, "read-next", "a link to another article"))
            continue
        keep.append(p)
    return Cleaned("\n\n".join(keep), _meta(meta), tuple(removed))


def clean_html(html: str, url: str | None = None, meta: dict[str, str] | None = None) -> Cleaned:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for t in soup(["script", "style", "nav", "header", "footer", "aside", "form"]):
        t.decompose()
    text = "\n\n".join(p.get_text(" ", strip=True) for p in soup.find_all(["p", "h2", "h3", "li"]))
    m = dict(meta or {})
    if "title" not in m and soup.title and soup.title.string:
        m["title"] = soup.title.string.strip()
    if url and "url" not in m:
        m["url"] = url
    return clean_text(text, m)


def clean_source(source: Source) -> Cleaned:
    if source.kind == "html":
        return clean_html(source.content, url=source.meta.get("url"), meta=source.meta)
    return clean_text(source.content, meta=source.meta)
