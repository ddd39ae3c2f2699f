"""Hostile text in output (issue 6): escape sequences, control characters, rich markup and
emoji codes in articles are shown inert on a terminal; JSON output is valid and round-trips
for any input; colour is off when stdout is not a terminal or NO_COLOR is set."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from searchkit.records import Article, Cleaned, Entity, Highlight, Hit, Metadata, Passage, Removal, SearchResult
from searchkit.render import (
    dumps,
    emit,
    hit_text,
    inert,
    print_article,
    print_cleaned,
    print_entities,
    print_result,
    result_json,
    result_jsonl,
)

from searchkit.ingest import write_articles

from .conftest import articles_from_files
from .reliability_support import SGR, child_env, run_cli
from .terminal_support import run_on_terminal

HOSTILE = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b]0;pwned title\x07",  # set the window title
    "\x1b]8;;https://evil.example\x1b\\click me\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # write the clipboard
    "\x1bP+q544e\x1b\\",  # DCS query
    "\x9b31m",  # 8-bit CSI
    "\x07\x08\r\x0b\x0c\x00",
    "\u202eevil\u202c",  # bidi override
    "[bold red]markup[/bold red]",
    "[link=https://evil.example]link[/link]",
    ":smile: :red_heart:",
]

# Any character at all, lone surrogates included (they come from undecodable file names).
any_text = st.text(st.characters(exclude_categories=()), max_size=80) | st.sampled_from(HOSTILE)


def _terminal() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, color_system="truecolor", width=100, highlight=False,
                   legacy_windows=False), buf


def _assert_inert(output: str) -> str:
    """Only SGR (colour and weight) sequences of our own, and no other control character."""
    visible = SGR.sub("", output)
    bad = [c for c in visible if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F
           or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
    assert not bad, f"control characters reached the terminal: {bad!r} in {visible!r}"
    return visible


def _hit(text: str, title: str | None = "T", path: str = "/x.txt", entity: str = "E") -> Hit:
    spans = tuple(Highlight(m.start(), m.end()) for m in re.finditer(r"\w+", text))[:3]
    return Hit(rank=1, score=1.5, passage_id="0123456789ab:0", article_id="0123456789ab", ordinal=0, text=text,
               highlights=spans, title=title, site=title, date="2021-05-01T00:00:00", url=title, path=path,
               entities={"person": (entity,), "org": (entity,)})


@settings(max_examples=300, deadline=None)
@given(text=any_text, title=any_text, path=any_text, entity=any_text)
@example(text="".join(HOSTILE), title="".join(HOSTILE), path=os.fsdecode(b"/caf\xe9.txt"), entity=HOSTILE[2])
def test_search_results_are_inert_on_a_terminal(text: str, title: str, path: str, entity: str) -> None:
    console, buf = _terminal()
    result = SearchResult("q", 1, (_hit(text, title, path, entity),),
                          {"person": ((entity, 2),), "org": (), "place": (), "group": ()})
    print_result(console, result)
    _assert_inert(buf.getvalue())


@settings(max_examples=150, deadline=None)
@given(text=any_text, title=any_text, name=any_text)
def test_articles_entities_and_cleaned_text_are_inert(text: str, title: str, name: str) -> None:
    console, buf = _terminal()
    md = Metadata(title=title, date="2021-01-01", author=name, site=title, url=title)
    removed = (Removal(text, name, title),)
    article = Article("0123456789ab", "s", name, "h", text, md, removed, (Entity(name, "person", 2, (title,)),),
                      (Passage("0123456789ab", 0, 0, len(text), text),))
    print_article(console, article, removed=True)
    print_cleaned(console, Cleaned(text, md, removed), removed=True)
    print_entities(console, [Entity(name, "person", 3, (title, name))])
    _assert_inert(buf.getvalue())


def test_markup_and_emoji_codes_stay_literal() -> None:
    console, buf = _terminal()
    text = "[bold red]markup[/bold red] and [link=https://evil.example]link[/link] :smile:"
    print_result(console, SearchResult("q", 1, (_hit(text, title=text),)))
    visible = SGR.sub("", buf.getvalue())
    assert "[bold red]markup[/bold red]" in visible
    assert "[link=https://evil.example]link[/link]" in visible
    assert ":smile:" in visible and "\U0001f604" not in visible
    assert "\x1b]8;" not in buf.getvalue()  # no real hyperlink was made


def test_highlights_stay_on_their_words_after_escapes_are_removed() -> None:
    text = "\x1b[31m\x1b]0;x\x07border closure today"
    start = text.index("border")
    rendered = hit_text(dataclasses.replace(_hit(text), highlights=(Highlight(start, start + 6),)))
    assert rendered.plain == "??border closure today"
    (span,) = rendered.__rich__().spans  # what a terminal draws
    assert rendered.plain[span.start:span.end] == "border"


def test_inert_shows_file_name_bytes() -> None:
    assert inert(os.fsdecode(b"/news/caf\xe9.txt")) == "/news/caf\\xe9.txt"


@settings(max_examples=300, deadline=None)
@given(text=any_text, title=any_text, path=any_text, entity=any_text, query=any_text)
@example(text="".join(HOSTILE), title="\udcff\ud800", path=os.fsdecode(b"/caf\xe9.txt"), entity="\u2028",
         query=":smile:")
def test_json_round_trips_for_any_text(text: str, title: str, path: str, entity: str, query: str) -> None:
    result = SearchResult(query, 1, (_hit(text, title, path, entity),), {"person": ((entity, 1),)}, entity)
    doc = result_json(result)
    assert "\n" not in doc
    expected = result.to_dict()
    every_type = {"person": [], "org": [], "place": [], "group": []}
    expected["hits"] = [{**h, "entities": {**every_type, **h["entities"]}, "source_id": "", "line": None, "tags": {}}
                        for h in expected["hits"]]
    expected["facets"] = {**every_type, **expected["facets"]}
    expected["version"] = 1
    assert json.loads(doc) == expected
    (line,) = result_jsonl(result)
    assert json.loads(line) == expected["hits"][0]
    raw = doc.encode("utf-8")  # encodable: no lone surrogate left raw
    assert not re.search(rb"[\x00-\x1f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9\xaa-\xae]", raw)


def test_emit_writes_json_untouched() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="truecolor")
    doc = dumps({"t": ":smile: [bold]x[/bold] \x1b[31m"})
    emit(console, doc)
    assert buf.getvalue() == doc + "\n"
    assert json.loads(buf.getvalue()) == {"t": ":smile: [bold]x[/bold] \x1b[31m"}


# --- the real CLI -------------------------------------------------------------------------------

HOSTILE_TITLE = "Breaking [bold red]NEWS[/bold red] \u202eevil [link=https://evil.example]click[/link]"


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    inbox = root / "inbox"
    inbox.mkdir()
    body = ("Angela Merkel [bold red]said[/bold red] the \x1b[2J\x1b]0;pwned\x07 summit in Berlin was "
            "[link=https://evil.example]productive[/link] \x9b31m and NATO agreed. " * 3)
    with open(inbox / "feed.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "h1", "title": HOSTILE_TITLE, "site": "evil\x1b[5m.example", "author": "\x1b]52;c;x\x07",
                             "text": body}) + "\n")
    (inbox / "page.html").write_text(
        "<html><head><title>Title \x1b]0;owned\x07 &#x9b;31m with [blink]markup[/blink]</title></head><body>"
        "<article><p>Emmanuel Macron spoke in Paris about \x1b[31mred\x1b[0m tape and the summit agenda "
        "for a long while, and journalists took notes.</p></article></body></html>", encoding="utf-8")
    people = [("person", "Angela Merkel", ["Angela Merkel"]), ("person", "Emmanuel Macron", ["Emmanuel Macron"]),
              ("place", "Berlin", ["Berlin"]), ("place", "Paris", ["Paris"]), ("org", "NATO", ["NATO"])]
    assert write_articles(root / "index", articles_from_files([inbox], people)).failed == []
    return root / "index"


def _no_escapes(text: str) -> None:
    assert "\x1b" not in text and not re.search(r"[\x80-\x9f\u202e]", text), repr(text)


@pytest.mark.parametrize("args", [
    ["search", "summit"], ["search", "summit", "--facets"], ["entities"], ["stats"],
])
def test_cli_output_from_hostile_articles_is_inert(hostile_index: Path, args: list[str]) -> None:
    proc = run_cli([*args, "--index", hostile_index])
    assert proc.returncode == 0, proc.stderr
    _no_escapes(proc.stdout)
    _no_escapes(proc.stderr)
    if args[0] == "search":
        assert "[bold red]NEWS[/bold red]" in proc.stdout  # markup shown, not obeyed


def test_cli_show_of_hostile_article_is_inert(hostile_index: Path) -> None:
    found = json.loads(run_cli(["search", "Macron", "--index", hostile_index, "--json"]).stdout)
    for hit in found["hits"]:
        proc = run_cli(["show", hit["article_id"], "--index", hostile_index, "--removed"])
        assert proc.returncode == 0, proc.stderr
        _no_escapes(proc.stdout)


@pytest.mark.parametrize("fmt", ["--json", "--jsonl"])
def test_cli_json_of_hostile_articles_round_trips(hostile_index: Path, fmt: str) -> None:
    proc = run_cli(["search", "summit", "--index", hostile_index, fmt])
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    hits = docs[0]["hits"] if fmt == "--json" else docs
    titles = {h["title"] for h in hits}
    assert HOSTILE_TITLE in titles
    assert any("[link=https://evil.example]productive[/link]" in h["text"] for h in hits)


def test_cli_json_keeps_emoji_codes_literal(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.jsonl").write_text(json.dumps({"title": "Fans :smile: and :red_heart:",
                                               "text": "The stadium in Leeds was full of happy fans."}) + "\n")
    assert write_articles(tmp_path / "index", articles_from_files([inbox])).failed == []
    proc = run_cli(["search", "stadium", "--index", tmp_path / "index", "--json"])
    assert json.loads(proc.stdout)["hits"][0]["title"] == "Fans :smile: and :red_heart:"


# --- colour -------------------------------------------------------------------------------------

COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def test_colour_only_on_a_terminal_and_without_no_color(hostile_index: Path) -> None:
    args = ["search", "summit", "--index", str(hostile_index)]
    env = child_env(TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    piped = run_cli(args, env=env)
    assert piped.returncode == 0 and "\x1b" not in piped.stdout  # not a terminal: plain text
    on_tty = run_on_terminal(args, columns=120, env={"NO_COLOR": None}, stderr_terminal=True, timeout=60).raw
    assert COLOUR.search(on_tty), "expected colour on a terminal (else this test proves nothing)"
    no_color = run_on_terminal(args, columns=120, env={"NO_COLOR": "1"}, stderr_terminal=True, timeout=60).raw
    assert "summit" in no_color and not COLOUR.search(no_color), repr(no_color[:300])


# --- wrapping (issue 15, item 4) -------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from("ab c\n-/é漢"), max_size=120), width=st.integers(1, 30))
def test_wrapping_only_breaks_at_spaces_and_never_cuts_a_word(text: str, width: int) -> None:
    from rich.cells import cell_len

    from searchkit.terminal import wrap_lines

    lines = [line.plain for line in wrap_lines(Text(text), width)]
    assert " ".join(lines).split() == text.split()  # every word whole, in order
    assert [line for line in lines if line != line.rstrip()] == []
    for line in lines:
        assert cell_len(line) <= width or " " not in line.strip()  # too long only for one unbreakable word
    assert len(lines) >= text.count("\n") + 1  # the text's own line breaks are kept


def test_wrapping_keeps_highlights_and_long_urls_whole() -> None:
    from searchkit.terminal import wrap_lines

    text = Text("see https://example.org/a/very/long/path/of/an/article now")
    text.stylize("bold", 4, 8)
    lines = wrap_lines(text, 12)
    assert [line.plain for line in lines] == ["see", "https://example.org/a/very/long/path/of/an/article", "now"]
    assert [(s.start, s.end, str(s.style)) for s in lines[1].spans] == [(0, 4, "bold")]
    assert [line.plain for line in wrap_lines(Text("a b\n\nc"), None)] == ["a b", "", "c"]
