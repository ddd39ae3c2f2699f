"""Bytes to clean text: encoding detection, Unicode normalisation, kind sniffing, HTML depth.

Inputs are scraped pages from anywhere, so decoding never trusts one signal: a byte-order
mark, then a declared charset, then UTF-8, then Windows-1252. Words are never changed; only
white space, invisible and control characters are tidied.
"""

from __future__ import annotations

import json
import re
import unicodedata

from ..errors import SourceError

MAX_HTML_DEPTH = 2_000
"""Deepest element nesting accepted. Real pages stay under ~100; a page nested deeper is a
broken scrape or an attack on recursive parsers, and is refused before any parser sees it."""


# --- decoding -------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding=["']([A-Za-z0-9_.:-]+)""", re.I)


def decode_noted(data: bytes, *, html: bool = False) -> tuple[str, str | None]:
    """Decode bytes to text, with a note when the text had to be repaired or its encoding
    guessed: BOM first, then an HTML/XML declared charset, then UTF-8, then Windows-1252
    (which maps every byte, so old Western pages still read)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError as e:
                raise SourceError(f"invalid {enc.upper()} after its byte-order mark") from e
            if _looks_binary_text(text):
                raise SourceError(f"binary data, not text (despite a {enc.upper()} byte-order mark)")
            return text, None
    wide = _utf16_without_bom(data)
    if wide:
        try:
            return data.decode(wide), f"no byte-order mark; read as {wide.upper()}"
        except UnicodeDecodeError:
            pass
    if html:
        m = _DECLARED.search(data[:4096])
        if m:
            enc = (m.group(1) or m.group(2)).decode("ascii", "replace").lower()
            try:
                return data.decode(enc), None
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration is common; fall through to detection
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    if _looks_binary(data):
        raise SourceError("binary data, not text")
    # Mostly UTF-8 with a few bad bytes (a truncated or spliced page) keeps its UTF-8 text;
    # text with no valid multi-byte sequences at all is a legacy 8-bit page.
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in lenient if ord(ch) > 0x7F and ch != "\ufffd")
    if good > bad:
        return lenient, f"invalid UTF-8: {bad:,} bad byte sequence{'s' if bad != 1 else ''} replaced with U+FFFD"
    return data.decode("cp1252", errors="replace"), "not valid UTF-8; read as Windows-1252"


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.05


def _looks_binary_text(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or unicodedata.category(ch) in ("Cn", "Co", "Cs"))
    return odd / len(sample) > 0.05


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``data`` looks like mostly-ASCII UTF-16 (every
    other byte zero), which a Windows tool may write without a byte-order mark."""
    sample = data[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    sample = sample[: len(sample) // 2 * 2]
    half = len(sample) // 2
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    if odd_zero > 0.6 * half and even_zero < 0.05 * half:
        return "utf-16-le"
    if even_zero > 0.6 * half and odd_zero < 0.05 * half:
        return "utf-16-be"
    return None


_SPACE = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls; C1 in text means a mis-decoded page
SURROGATE = re.compile(r"[\ud800-\udfff]")


def normalise_text(text: str) -> str:
    """NFC, unified newlines, one space for runs of horizontal white space, no invisible
    or control characters, at most one blank line between paragraphs. Words are untouched.

    Lone surrogates (which JSON's ``\\udXXX`` escapes can produce) become U+FFFD: they are
    not encodable, and would break the index and the terminal further down."""
    text = SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACE.sub(" ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# --- sniffing -------------------------------------------------------------------------------

_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<(!doctype\s+)?html)", re.I | re.S)
_HTML_TAGS = re.compile(r"</?(p|div|article|section|span|a|br|h[1-6]|meta|title|script|table|ul|li)\b[^>]*>", re.I)


def sniff_kind(text: str, name: str = "") -> str:
    """Return ``"jsonl"``, ``"json"``, ``"html"`` or ``"text"`` from the content, with the name
    as a tie-break. A file whose first line is a JSON object is JSONL (one line or many); a
    pretty-printed object or an array is one JSON document, read whole (never line by line)."""
    head = text[:4096]
    stripped = head.lstrip()
    lower = name.lower().removesuffix(".gz")
    if stripped.startswith("{"):
        first = text.lstrip().split("\n", 1)[0]
        try:
            if isinstance(json.loads(first), dict):
                return "jsonl"
        except ValueError:
            if lower.endswith((".jsonl", ".ndjson")):
                return "jsonl"
            if lower.endswith(".json") or first.strip() == "{":
                return "json"
    if stripped.startswith("[") and (lower.endswith((".json", ".jsonl", ".ndjson")) or re.match(r"\[\s*[{\]]", stripped)):
        return "json"
    if _HTML_START.match(head) or len(_HTML_TAGS.findall(head)) >= 3:
        return "html"
    if lower.endswith((".html", ".htm", ".xhtml", ".shtml")) and "<" in head:
        return "html"
    return "text"


def sniff_bytes(data: bytes, name: str = "") -> str:
    """:func:`sniff_kind` on a cheap decode of the head (UTF-16/32 heads decoded properly first);
    refuses binary data."""
    head = data[:8192]
    for bom, enc in _BOMS:
        if head.startswith(bom):
            head_text = head[len(bom):].decode(enc, errors="ignore")
            break
    else:
        wide = _utf16_without_bom(head)
        if wide:
            head_text = head.decode(wide, errors="ignore")
        elif _looks_binary(head):
            raise SourceError("binary data, not text")
        else:
            head_text = head.decode("utf-8", errors="replace")
    return sniff_kind(head_text, name)


# Elements that never hold children, or that the HTML parser closes by itself when a sibling
# opens: neither deepens a real page, so neither counts towards its depth.
_NOT_NESTING = frozenset(
    "area base br col embed hr img input link meta param source track wbr "
    "p li dt dd tr td th thead tbody tfoot option optgroup rp rt colgroup caption".split()
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")


def html_depth(html: str, stop_at: int = MAX_HTML_DEPTH) -> int:
    """The deepest element nesting of ``html`` (counting only elements that really nest),
    stopping early once ``stop_at`` is passed. A linear scan: it cannot recurse or blow up."""
    depth = deepest = 0
    for m in _TAG.finditer(html):
        if m.group(2).lower() in _NOT_NESTING or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
    return deepest


def check_html_depth(html: str) -> None:
    if html_depth(html) > MAX_HTML_DEPTH:
        raise SourceError(f"HTML nested more than {MAX_HTML_DEPTH:,} elements deep; not parsed "
                          "(a broken scrape or an attack on parsers)")
