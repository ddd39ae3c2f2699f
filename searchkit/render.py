"""Render records for people (styled on a terminal, plain in a pipe).

Text from articles is untrusted: it is shown as :class:`~searchkit.terminal.Styled` text or
rich's ``Text`` (never parsed as markup or emoji codes, so ``[bold red]`` and ``:smile:`` stay
literal) after :func:`inert` has replaced escape sequences and other control characters with
visible placeholders. Styles reach only a terminal (rich draws them, and turns colour off for
``NO_COLOR``); rich is imported for tables and for a terminal, never for a piped search.

JSON and CSV for scripts are :mod:`searchkit.serialize`'s (re-exported here).

Line breaking is :mod:`searchkit.terminal`'s: wrapped at spaces on a terminal, never when
piped, and never inside a URL, a path, an id or an entity name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .inert import inert
from .results import FACETS, Copy, Entity, Hit, SearchResult
from .serialize import (  # noqa: F401 - re-exported: render is where callers look for output
    JSON_VERSION,
    Context,
    source_line,
    article_dict,
    dumps,
    emit,
    entities_csv,
    facet_lists,
    hit_dict,
    result_csv,
    result_dict,
    result_json,
    result_jsonl,
    versioned,
)
from .terminal import Styled, print_wrapped
from .text import collapse_spaces

if TYPE_CHECKING:  # rich is imported only to draw tables: a piped search never loads it
    from rich.console import Console
    from rich.table import Table

    from .records import Article, Cleaned, Removal


def relative_path(path: str) -> str:
    """A path relative to the current folder when it lies below it, else as stored."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def one_line(text: str | None, width: int | None = 100) -> str:
    """``text`` inert, on one line (white space collapsed), cut to ``width`` characters with
    an ellipsis (``None``: never cut, for URLs, paths and ids)."""
    s = collapse_spaces(inert(text))
    return s if width is None or len(s) <= width else s[: width - 1] + "…"


# Where a line may break on a terminal: between the fields of an id line (two spaces), and
# between the names of a list (after ", " or "; "), so a name or path is never cut in two.
_FIELDS = re.compile(r"  +")
_LIST = re.compile(r"(?<=[,;]) +")


class StatsLike(Protocol):
    """What ``stats`` prints (``searchkit.search.IndexStats``; not imported here, so that
    rendering does not load the search stack)."""

    path: str
    articles: int
    passages: int
    size_bytes: int
    segments: int
    schema_version: int
    sites: tuple[tuple[str, int], ...]
    first_date: str | None
    last_date: str | None
    entities: dict[str, int]

    def to_dict(self) -> dict[str, Any]: ...


def folder(path: str | os.PathLike[str]) -> str:
    """A folder as the user gave it, marked as one (``index/``): "no index at index" reads
    better as "no index at index/"."""
    s = os.fspath(path)
    return s if s.endswith(os.sep) else s + os.sep


def plural(n: int, word: str) -> str:
    """``1 passage``, ``1,234 passages``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --- search -------------------------------------------------------------------------------------


def hit_text(hit: Hit, style: str = "bold yellow") -> Styled:
    """The passage with its highlights. Each piece is made inert on its own, so highlight
    offsets (into the raw text) stay right even where an escape sequence shrinks to ``?``."""
    t = Styled()
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


def print_indented(console: Console, text: Styled, indent: int = 4) -> None:
    """Print ``text`` indented; wrapped at spaces on a terminal only (see :mod:`.terminal`)."""
    print_wrapped(console, text, indent)


def entity_line(entities: dict[str, Sequence[str]]) -> Styled:
    """``person: A, B; org: C`` (empty types left out)."""
    return Styled("; ".join(f"{f}: {', '.join(inert(n) for n in names)}"
                          for f, names in entities.items() if names), style="magenta")


def copy_label(c: Copy, width: int | None = 40) -> str:
    """``id site · date`` (the path when the copy has no site): enough to tell the copies
    apart and to ``show`` one."""
    source = c.source_id or c.path
    where = one_line(c.site, width) or (inert(relative_path(source)) if source else "") or one_line(c.url, None)
    label = f"{c.article_id} {where}".rstrip()
    return f"{label} · {c.date[:10]}" if c.date else label


def copies_count(n: int) -> str:
    """``1 copy``, ``3 copies``."""
    return f"{n:,} {'copy' if n == 1 else 'copies'}"


def copies_line(copies: Sequence[Copy], shown: int = 3) -> Styled:
    """``2 copies: id site · date; id path``: the hit's story as other articles carry it."""
    labels = [copy_label(c) for c in copies[:shown]]
    more = f"; +{len(copies) - shown:,} more" if len(copies) > shown else ""
    return Styled(f"{copies_count(len(copies))}: " + "; ".join(labels) + more, style="cyan")


def summary_line(result: SearchResult) -> str:
    """``5 passages matched, 2 shown (7.5 ms)``: the one wording, also for no hits."""
    if result.total_exact:
        summary = f"{plural(result.total, 'passage')} matched"
    else:
        summary = f"more than {result.total:,} passages matched"
    if len(result.hits) < result.total:
        summary += f", {len(result.hits):,} shown"
    return f"{summary} ({result.elapsed_ms:.1f} ms)"


def print_result(console: Console, result: SearchResult, *, show_entities: bool = True,
                 contexts: dict[str, Context] | None = None) -> None:
    """Hits for people; with ``contexts`` (``-C N``) the neighbouring passages, dimmed, around
    each. With no hits nothing goes to stdout: the caller says so on stderr (with
    :func:`summary_line`), as grep prints nothing."""
    for hit in result.hits:
        head = Styled(f"{hit.rank:>2}. ", style="bold")
        head.append(one_line(hit.title) or one_line(os.path.basename(hit.path)) or "(untitled)", style="bold cyan")
        meta = [x for x in (one_line(hit.site, 40), (hit.date or "")[:10]) if x]
        if meta:
            head.append("  " + " · ".join(meta), style="green")
        head.append(f"  [{hit.score:.2f}]", style="dim")
        print_wrapped(console, head, hang=4)
        line = source_line(hit.source_id)
        where = inert(relative_path(hit.path)) + (f":{line}" if line else "")
        print_wrapped(console, Styled(f"{hit.passage_id}  {where}", style="dim"), 4, _FIELDS)
        before, after = contexts.get(hit.passage_id, ((), ())) if contexts else ((), ())
        for p in before:  # context: indented two more, and dim on a terminal
            print_wrapped(console, Styled(inert(p.text), style="dim"), 6)
        print_wrapped(console, hit_text(hit), 4)
        for p in after:
            print_wrapped(console, Styled(inert(p.text), style="dim"), 6)
        if show_entities and any(hit.entities.values()):
            print_wrapped(console, entity_line(hit.entities), 4, _LIST)
        if hit.copies:
            print_wrapped(console, copies_line(hit.copies), 4, _LIST)
        if hit.explain is not None:
            print_explain(console, hit.explain)
        console.print()
    if not result.hits:
        return
    if result.facets is not None:
        print_facets(console, result.facets)
    console.print(Styled(summary_line(result), style="dim"))


def print_explain(console: Console, explain: dict[str, Any]) -> None:
    """``--explain`` under a hit: its score's parts, then each matched term, its field and
    what in the query it came from (``closures -> closur (stemmed)``)."""
    line = Styled(f"score = passage {explain['passage_score']:.2f} + article {explain['article_score']:.2f}", style="dim")
    print_wrapped(console, line, 4)
    for m in explain.get("matched", []):
        how = "" if m["how"] == "word" else f" ({m['how']})"
        origin = "" if m["query"] == m["term"] else f"{inert(m['query'])} -> "
        print_wrapped(console, Styled(f"matched {m['field']}: {origin}{inert(m['term'])}{how}", style="dim"), 4)


def print_table(console: Console, table: Table) -> None:
    """Print a table with no trailing spaces (rich pads every cell, and the title, to the width)."""
    from rich.text import Text

    for segments in console.render_lines(table, console.options, pad=False):
        line = Text.assemble(*((seg.text, seg.style) for seg in segments if not seg.control))
        line.rstrip()
        console.print(line, soft_wrap=True)


def _fits(console: Console, table: Table) -> bool:
    """Whether ``table`` fits the width without cutting a cell (rich would fold or crop)."""
    from rich.measure import Measurement

    natural = Measurement.get(console, console.options.update(width=10_000), table).maximum
    return natural <= console.width


def print_facets(console: Console, facets: dict[str, tuple[tuple[str, int], ...]], rows: int = 10) -> None:
    """Entity counts as a table of four columns when it fits the width, else one line per
    type: a name is never cut (the old table folded ``Californi``/``a`` at 50 columns)."""
    from rich.table import Table
    from rich.text import Text

    title = "Entities in matching passages"
    table = Table(title=title, title_justify="left", show_edge=False)
    for facet in FACETS:
        table.add_column(facet, no_wrap=True)
    depth = min(max((len(v) for v in facets.values()), default=0), rows)
    for i in range(depth):
        cells = []
        for facet in FACETS:
            vals = facets.get(facet, ())
            cells.append(Text(f"{inert(vals[i][0])} ({vals[i][1]:,})") if i < len(vals) else Text(""))
        table.add_row(*cells)
    if _fits(console, table):
        print_table(console, table)
    else:
        console.print(Styled(title, style="italic"))
        for facet in FACETS:
            if facets.get(facet):
                line = Styled(f"{facet}: ", style="bold").append(
                    ", ".join(f"{inert(n)} ({c:,})" for n, c in facets[facet][:rows]))
                print_wrapped(console, line, 0, _LIST)
    console.print()


# --- clean / show -------------------------------------------------------------------------------


def print_removed(console: Console, removed: Iterable[Removal], *, every: bool = False) -> None:
    """What the cleaner removed: per rule (how many blocks, why, one example), or with
    ``every`` each block. A big page loses hundreds of blocks to a handful of rules."""
    removed = list(removed)
    if not removed:
        console.print(Styled("Nothing was removed.", style="dim"))
        return
    if every:
        console.print(Styled(f"Removed {plural(len(removed), 'block')}:", style="bold"))
        for r in removed:
            line = Styled("  - ")
            line.append(f"[{inert(r.rule)}] ", style="red")
            line.append(inert(r.reason), style="italic")
            print_wrapped(console, line, hang=4)
            print_wrapped(console, Styled(one_line(r.text, 160), style="dim"), 6)
        return
    by_rule: dict[str, list[Removal]] = {}
    for r in removed:
        by_rule.setdefault(r.rule, []).append(r)
    groups = sorted(by_rule.items(), key=lambda kv: -len(kv[1]))  # stable: ties keep page order
    console.print(Styled(f"Removed {plural(len(removed), 'block')} by {plural(len(groups), 'rule')}", style="bold")
                  .append(" (--removed=all lists each block):", style="dim"))
    width = len(f"{len(groups[0][1]):,}")
    for rule, items in groups:
        reasons = list(dict.fromkeys(inert(r.reason) for r in items))
        line = Styled(f"  {len(items):>{width},}  ").append(f"[{inert(rule)}] ", style="red").append(reasons[0], style="italic")
        if len(reasons) > 1:
            line.append(f" (+{len(reasons) - 1:,} other reason{'s' if len(reasons) > 2 else ''})", style="dim")
        print_wrapped(console, line, hang=width + 4)
        print_wrapped(console, Styled(f"e.g. {one_line(items[0].text, 100)}", style="dim"), width + 4, hang=5)


def _field_line(console: Console, key: str, value: str, style: str = "bold") -> None:
    """``key: value`` on one line, never broken (a URL or path must stay whole)."""
    console.print(Styled(f"{key}: ", style=style).append(value), soft_wrap=True)


def print_cleaned(console: Console, cleaned: Cleaned, *, removed: bool, every_removed: bool = False) -> None:
    """Metadata, then the text exactly as cleaned (wrapped at spaces only on a terminal)."""
    md = cleaned.metadata
    fields_ = [(k, v) for k, v in md.to_dict().items() if v]
    for k, v in fields_:
        _field_line(console, k, one_line(v, None))
    if fields_:
        console.print()
    print_wrapped(console, Styled(inert(cleaned.text)))
    if removed or every_removed:
        console.print()
        print_removed(console, cleaned.removed, every=every_removed)


def print_article(console: Console, article: Article, *, removed: bool, every_removed: bool = False,
                  show_text: bool = True, mark: int | None = None) -> None:
    """An article for people; ``mark`` (``show ID:ORD``) sets that passage off: it starts
    with ``> `` (visible in a pipe too; lines a terminal wraps are indented under it), in bold."""
    md = article.metadata
    print_wrapped(console, Styled(one_line(md.title, 200) or one_line(os.path.basename(article.path)) or "(untitled)",
                                style="bold cyan"))
    for k, v in (("id", article.article_id), ("site", md.site), ("date", md.date), ("author", md.author),
                 ("url", md.url), ("path", article.path), ("passages", f"{len(article.passages):,}"),
                 ("tags", "; ".join(f"{k}={v}" for k, vs in article.tags.items() for v in vs))):
        if v:
            _field_line(console, k, one_line(v, None))
    if article.copies:
        console.print()
        console.print(Styled(f"also published as ({copies_count(len(article.copies))}):", style="bold"))
        for c in article.copies:
            untitled = one_line(os.path.basename(c.path or "")) or "(untitled)"
            line = Styled(f"  {c.article_id}  ").append(one_line(c.title, 100) or untitled, style="cyan")
            meta = [x for x in (one_line(c.site, 40), (c.date or "")[:10]) if x]
            if meta:
                line.append("  " + " · ".join(meta), style="green")
            where = c.url or (relative_path(c.source_id or c.path or "") or None)
            if where:
                line.append("  " + inert(where), style="dim")
            print_wrapped(console, line, 0, _FIELDS, hang=4)
    if article.entities:
        console.print()
        for facet in FACETS:
            names = [e for e in article.entities if e.type == facet]
            if names:
                print_wrapped(console, Styled(f"{facet}: ", style="bold magenta").append(
                    ", ".join(f"{inert(e.name)} ({e.count:,})" for e in names)), 0, _LIST, hang=2)
    if show_text:
        console.print()
        marked = next((p for p in article.passages if p.ordinal == mark), None) if mark is not None else None
        if marked is None:
            print_wrapped(console, Styled(inert(article.text)))
        else:
            before, after = article.text[:marked.start].rstrip("\n"), article.text[marked.end:].lstrip("\n")
            if before:
                print_wrapped(console, Styled(inert(before)))
                console.print()
            for line in inert(marked.text).split("\n"):
                print_wrapped(console, Styled(f"> {line}" if line else ">", style="bold"), hang=2)
            if after:
                console.print()
                print_wrapped(console, Styled(inert(after)))
    if removed or every_removed:
        console.print()
        print_removed(console, article.removed, every=every_removed)


# --- entities / stats ---------------------------------------------------------------------------


def print_entities(console: Console, rows: list[Entity]) -> None:
    """Entities as a table when it fits the width, else one line each (names never cut)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False)
    table.add_column("entity", style="bold", no_wrap=True)
    table.add_column("type", style="magenta", no_wrap=True)
    table.add_column("passages", justify="right", no_wrap=True)
    table.add_column("aliases", style="dim", no_wrap=True)
    for e in rows:
        table.add_row(Text(inert(e.name)), e.type, f"{e.count:,}", Text(", ".join(inert(a) for a in _aliases(e))))
    if _fits(console, table):
        print_table(console, table)
        return
    for e in rows:
        line = Styled(inert(e.name), style="bold").append(f"  {e.type}", style="magenta").append(
            f"  {plural(e.count, 'passage')}")
        if _aliases(e):
            line.append("  aliases: " + ", ".join(inert(a) for a in _aliases(e)), style="dim")
        print_wrapped(console, line, 0, _LIST)


def _aliases(e: Entity) -> list[str]:
    return [a for a in e.aliases if a != e.name]


def print_stats(console: Console, st: StatsLike) -> None:
    rows = [("index", folder(st.path)), ("articles", f"{st.articles:,}"), ("passages", f"{st.passages:,}"),
            ("size", f"{st.size_bytes / 2**20:,.1f} MB"), ("segments", f"{st.segments:,}"),
            ("schema", f"v{st.schema_version}"),
            ("dates", f"{st.first_date} … {st.last_date}" if st.first_date else "none"),
            ("entities", ", ".join(f"{n:,} {f}" for f, n in st.entities.items())),
            ("languages", ", ".join(f"{lang} ({n:,})" for lang, n in getattr(st, "languages", ())) or "none"),
            ("inputs", ", ".join(f"{kind} ({n:,})" for kind, n in getattr(st, "inputs", ())) or "none")]
    if st.sites:
        rows.append(("sites", ", ".join(f"{s} ({n:,})" for s, n in st.sites)))
    for k, v in rows:
        console.print(Styled(f"{k:>9}: ", style="bold").append(inert(v)), soft_wrap=True)


