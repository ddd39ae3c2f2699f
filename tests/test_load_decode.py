"""Bytes to text: nesting depth, UTF-16 without a byte-order mark, binary data behind one."""

from __future__ import annotations

import pytest

from searchkit import load
from searchkit.errors import SourceError


def test_html_depth_ignores_self_closing_and_auto_closed_tags() -> None:
    sloppy = "<html><body>" + "<p>para" * 5000 + "<br><img src=x>" * 5000 + "</body></html>"
    assert load.html_depth(sloppy) <= 3
    assert load.html_depth("<div>" * 10) == 10
    assert load.html_depth("<div>" * 100_000) == load.MAX_HTML_DEPTH + 1  # stops counting early



def test_utf16_without_bom_is_detected() -> None:
    text, note = load.decode_noted("Plain words in UTF-16.".encode("utf-16-le"))
    assert text == "Plain words in UTF-16." and note == "no byte-order mark; read as UTF-16-LE"



def test_binary_behind_a_bom_is_refused() -> None:
    with pytest.raises(SourceError, match="binary data"):
        load.decode_noted(b"\xff\xfe" + bytes(range(1, 32)) * 50)

