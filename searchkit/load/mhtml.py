"""MHTML (``.mhtml``/``.mht``, RFC 2557), the single file Chrome and Edge write for "Save page
as… Webpage, Single File": a MIME ``multipart/related`` message whose root part is the page
and whose other parts are its images, styles and frames.

The page is the part the ``start`` parameter names (by Content-ID), else the first
``text/html`` part; its transfer encoding (quoted-printable, base64) and charset are undone
by the stdlib ``email`` parser. The top-level ``Snapshot-Content-Location`` (Chrome) or the
page part's ``Content-Location`` is the URL the page was saved from; ``Subject`` (the page's
title) and ``Date`` (when it was saved) are used only if the page itself has neither.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import re
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime

from ..errors import SourceError
from ..records import LoadIssue, Source
from .decode import check_html_depth, decode_noted, normalise_text
from .files import MAX_ARTICLE_CHARS, display_path, file_hash
from .htmlpage import strip_data_uris

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:")


def looks_like_mhtml(head: bytes) -> bool:
    """A MIME header block (before the first blank line) declaring ``multipart/related``."""
    block = head.lstrip().split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = block.splitlines()
    if not lines or not _HEADER_LINE.match(lines[0]):
        return False
    return re.search(rb"^content-type:\s*multipart/related", block, re.I | re.M) is not None


def read_mhtml(path: str, data: bytes) -> tuple[list[Source], list[LoadIssue]]:
    """The page of an MHTML file as one HTML source (or one failure)."""
    where = display_path(path)
    try:
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        page = _page_part(message)
        payload = page.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload.strip():
            raise SourceError("the MHTML page part is empty")
        text, note = _decode(payload, page.get_content_charset())
        text, _ = strip_data_uris(text)
        if len(text) > MAX_ARTICLE_CHARS:
            raise SourceError(f"one article of {len(text):,} characters is over the {MAX_ARTICLE_CHARS:,} limit")
        check_html_depth(text)
    except SourceError as e:
        return [], [LoadIssue(where, str(e))]
    url = _header(message, "Snapshot-Content-Location") or _header(page, "Content-Location")
    meta = {"url": url} if url.startswith(("http://", "https://")) else {}
    defaults: dict[str, str] = {}
    subject = _header(message, "Subject")
    if subject:
        defaults["title"] = normalise_text(subject)
    saved = _date(_header(message, "Date"))
    if saved:
        defaults["date"] = saved
    issues = [LoadIssue(where, note, "repaired")] if note else []
    return [Source(path, path, "html", text, file_hash(data), meta, defaults=defaults, input_kind="mhtml")], issues


def _page_part(message: Message) -> Message:
    if not message.is_multipart():
        if message.get_content_type() == "text/html":
            return message
        raise SourceError(f"MHTML holds {message.get_content_type()}, not a page")
    start = (message.get_param("start") or "")
    start = start.strip("<>") if isinstance(start, str) else ""
    html_parts = [p for p in message.walk() if not p.is_multipart() and p.get_content_type() == "text/html"]
    if start:
        for part in message.walk():
            if (part.get("Content-ID") or "").strip().strip("<>") == start:
                return part
    if not html_parts:
        raise SourceError("no text/html part in the MHTML file")
    return html_parts[0]


def _decode(payload: bytes, charset: str | None) -> tuple[str, str | None]:
    if charset:
        try:
            return payload.decode(charset), None
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: detect as for any page
    return decode_noted(payload, html=True)


def _header(part: Message | EmailMessage, name: str) -> str:
    value = part.get(name)
    if value is None:
        return ""
    decoded = str(email.header.make_header(email.header.decode_header(str(value))))
    return " ".join(decoded.split())


def _date(value: str) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None
