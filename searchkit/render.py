"""Render records for people (rich, on a terminal) and for scripts (JSON).

Text from articles is untrusted: it is shown through ``rich.text.Text`` (never parsed as
markup or emoji codes, so ``[bold red]`` and ``:smile:`` stay literal) after :func:`inert`
has replaced escape sequences and other control characters with visible placeholders. Rich
turns colour off by itself when stdout is not a terminal or ``NO_COLOR`` is set.

JSON goes out through :func:`dumps` and :func:`emit`: valid for any input (undecodable file
name bytes and lone surrogates are escaped) and written as is, never through rich's markup or
emoji pass, so a value round-trips exactly.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .records import FACETS, Article, Cleaned, Entity, Hit, Removal, SearchResult
from .text import SURROGATES, collapse_spaces

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters JSON allows raw in strings that a terminal (or a JavaScript eval) may still act on.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

JSON_VERSION = 1
"""Bumped when a field of the JSON output is renamed or removed (adding fields does not)."""


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


def relative_path(path: str) -> str:
    """A path relative to the current folder when it lies below it, else as stored."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def one_line(text: str | None, width: int = 100) -> str:
    s = collapse_spaces(inert(text))
    return s if len(s) <= width else s[: width - 1] + "…"


def dumps(obj: Any) -> str:
    """Compact, valid JSON for any input. Lone surrogates (from odd file names) and characters
    a terminal might act on (C1 controls, bidi overrides) are written as ``\\uXXXX`` escapes:
    still the same string to any JSON parser, but never raw on the screen."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit(console: Console, text: str) -> None:
    """Write one line of machine output (JSON) exactly as given: no markup, no emoji codes,
    no wrapping, no highlighting."""
    console.file.write(text + "\n")
    console.file.flush()


# --- search -------------------------------------------------------------------------------------


def hit_text(hit: Hit, style: str = "bold yellow") -> Text:
    """The passage with its highlights. Each piece is made inert on its own, so highlight
    offsets (into the raw text) stay right even where an escape sequence shrinks to ``?``."""
    t = Text()
    pos = 0
    for h in sorted(hit.highlights, key=lambda h: h.start):
        start, end = max(h.start, pos), min(h.end, len(hit.text))
        if start >= end:
            continue
        t.append(inert(hit.text[pos:start]))
        t.append(inert(hit.text[start:end]), style=style)
        pos = end
    t.append(inert(hit.text[pos:]))
    return t


def print_indented(console: Console, text: Text, indent: int = 4) -> None:
    """Wrap ``text`` to the console width less ``indent`` and print it indented, with no
    trailing spaces (so piped output stays clean)."""
    for line in text.wrap(console, max(20, console.width - indent)):
        line.rstrip()
        console.print(Text(" " * indent) + line, soft_wrap=True)


def print_result(console: Console, result: SearchResult, *, show_entities: bool = True) -> None:
    for hit in result.hits:
        head = Text(f"{hit.rank:>2}. ", style="bold")
        head.append(one_line(hit.title) or one_line(os.path.basename(hit.path)) or "(untitled)", style="bold cyan")
        meta = [x for x in (one_line(hit.site, 40), (hit.date or "")[:10]) if x]
        if meta:
            head.append("  " + " · ".join(meta), style="green")
        head.append(f"  [{hit.score:.2f}]", style="dim")
        console.print(head)
        print_indented(console, Text(f"{hit.passage_id}  {inert(relative_path(hit.path))}", style="dim"))
        print_indented(console, hit_text(hit))
        if show_entities and hit.entities:
            ents = Text("; ".join(f"{f}: {', '.join(inert(n) for n in names)}"
                                  for f, names in hit.entities.items() if names), style="magenta")
            print_indented(console, ents)
        if hit.explain is not None:
            print_explain(console, hit.explain)
        console.print()
    if result.facets is not None:
        print_facets(console, result.facets)
    shown = len(result.hits)
    if result.total_exact:
        summary = f"{result.total:,} passage{'s' if result.total != 1 else ''} matched"
    else:
        summary = f"more than {result.total:,} passages matched"
    if shown < result.total:
        summary += f", {shown} shown"
    console.print(Text(f"{summary} ({result.elapsed_ms:.1f} ms)", style="dim"))


def print_explain(console: Console, explain: dict[str, Any]) -> None:
    """``--explain`` under a hit: its score's parts, then each matched term, its field and
    what in the query it came from (``closures -> closur (stemmed)``)."""
    line = Text(f"score = passage {explain['passage_score']:.2f} + article {explain['article_score']:.2f}", style="dim")
    print_indented(console, line)
    for m in explain.get("matched", []):
        how = "" if m["how"] == "word" else f" ({m['how']})"
        origin = "" if m["query"] == m["term"] else f"{inert(m['query'])} -> "
        print_indented(console, Text(f"matched {m['field']}: {origin}{inert(m['term'])}{how}", style="dim"))


def print_facets(console: Console, facets: dict[str, tuple[tuple[str, int], ...]]) -> None:
    table = Table(title="Entities in matching passages", title_justify="left", show_edge=False)
    for facet in FACETS:
        table.add_column(facet, overflow="fold")
    rows = max((len(v) for v in facets.values()), default=0)
    for i in range(min(rows, 10)):
        cells = []
        for facet in FACETS:
            vals = facets.get(facet, ())
            cells.append(Text(f"{inert(vals[i][0])} ({vals[i][1]})") if i < len(vals) else Text(""))
        table.add_row(*cells)
    console.print(table)
    console.print()


def result_json(result: SearchResult) -> str:
    d = result.to_dict()
    d["version"] = JSON_VERSION
    return dumps(d)


def result_jsonl(result: SearchResult) -> Iterable[str]:
    for hit in result.hits:
        yield dumps(hit.to_dict())


# --- clean / show -------------------------------------------------------------------------------


def print_removed(console: Console, removed: Iterable[Removal]) -> None:
    removed = list(removed)
    if not removed:
        console.print(Text("Nothing was removed.", style="dim"))
        return
    console.print(Text(f"Removed {len(removed)} block{'s' if len(removed) != 1 else ''}:", style="bold"))
    for r in removed:
        line = Text("  - ")
        line.append(f"[{inert(r.rule)}] ", style="red")
        line.append(inert(r.reason), style="italic")
        console.print(line)
        print_indented(console, Text(one_line(r.text, 160), style="dim"), indent=6)


def print_cleaned(console: Console, cleaned: Cleaned, *, removed: bool) -> None:
    md = cleaned.metadata
    fields_ = [(k, v) for k, v in md.to_dict().items() if v]
    for k, v in fields_:
        console.print(Text(f"{k}: ", style="bold").append(one_line(v, 200), style=""))
    if fields_:
        console.print()
    console.print(Text(inert(cleaned.text)))
    if removed:
        console.print()
        print_removed(console, cleaned.removed)


def print_article(console: Console, article: Article, *, removed: bool, show_text: bool = True) -> None:
    md = article.metadata
    console.print(Text(one_line(md.title, 200) or one_line(os.path.basename(article.path)) or "(untitled)",
                       style="bold cyan"))
    for k, v in (("id", article.article_id), ("site", md.site), ("date", md.date), ("author", md.author),
                 ("url", md.url), ("path", article.path), ("passages", str(len(article.passages)))):
        if v:
            console.print(Text(f"{k}: ", style="bold").append(one_line(v, 200)))
    if article.entities:
        console.print()
        for facet in FACETS:
            names = [e for e in article.entities if e.type == facet]
            if names:
                console.print(Text(f"{facet}: ", style="bold magenta").append(
                    ", ".join(f"{inert(e.name)} ({e.count})" for e in names)))
    if show_text:
        console.print()
        console.print(Text(inert(article.text)))
    if removed:
        console.print()
        print_removed(console, article.removed)


def article_dict(article: Article) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "article_id": article.article_id, "source_id": article.source_id, "path": article.path,
        "metadata": article.metadata.to_dict(), "text": article.text,
        "entities": [e.to_dict() for e in article.entities],
        "passages": [{"passage_id": p.passage_id, "ordinal": p.ordinal, "start": p.start, "end": p.end,
                      "entities": {k: list(v) for k, v in p.entities.items()}} for p in article.passages],
        "removed": [r.to_dict() for r in article.removed],
    }


# --- entities / stats ---------------------------------------------------------------------------


def print_entities(console: Console, rows: list[Entity]) -> None:
    table = Table(show_edge=False)
    table.add_column("entity", style="bold")
    table.add_column("type", style="magenta")
    table.add_column("passages", justify="right")
    table.add_column("aliases", overflow="fold", style="dim")
    for e in rows:
        aliases = [a for a in e.aliases if a != e.name]
        table.add_row(Text(inert(e.name)), e.type, str(e.count), Text(", ".join(inert(a) for a in aliases)))
    console.print(table)
