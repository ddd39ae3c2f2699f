"""Untrusted text made safe to print: article text, titles, file names and entity names come
from pages nobody checked, and may hold escape sequences that clear the screen, set the window
title or write the clipboard. This module needs only the standard library, so that scripts' output
(``--json``, ``--csv``) needs neither rich nor the terminal layer.
"""

from __future__ import annotations

import re

from .text import SURROGATES

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str | None) -> str:
    """``text`` safe to print: escape sequences and control characters become ``?``
    (new lines and tabs are kept); bytes of an undecodable file name become ``\\xNN``."""
    if not text:
        return ""
    text = _ESCAPES.sub("?", text)
    text = _CONTROLS.sub("?", text)
    if SURROGATES.search(text):
        text = SURROGATES.sub(_surrogate_repr, text)
    return text


def _surrogate_repr(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"
