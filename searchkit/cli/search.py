"""Reading the index: ``search``, ``show``, ``similar``; and ``clean``, which shows what
ingest would index for a file without touching an index."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..commands import DEFAULT_INDEX, Exit, SearchArgs, errors_handled, fail, one_format, out, run_search, say, write_result
from .root import IndexOpt, NoPagerOpt, app

if TYPE_CHECKING:
    from ..records import Source


@app.command()
def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help='Whoosh syntax: words (all must match), OR, NOT, "phrases", field:value, wild*, fuzzy~1. Every word counts, stop words too; AT&T, C++, 9/11, COVID-19 are searched as written. Empty with filters lists passages.')] = "",
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Hits to show (at most 10000); 0: every match, streamed, with --jsonl or --csv.")] = 10,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="Passages mentioning this person (any alias or surname; repeat for all of several).")] = None,  # noqa: UP007
    org: Annotated[Optional[list[str]], typer.Option("--org", help="... this organisation.")] = None,  # noqa: UP007
    place: Annotated[Optional[list[str]], typer.Option("--place", help="... this place.")] = None,  # noqa: UP007
    group: Annotated[Optional[list[str]], typer.Option("--group", help="... this group (nationality, religious or political group).")] = None,  # noqa: UP007
    site: Annotated[Optional[list[str]], typer.Option("--site", help="Only articles from this site (repeat for any of several).")] = None,  # noqa: UP007
    since: Annotated[Optional[str], typer.Option("--since", help="Articles dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")] = None,  # noqa: UP007
    until: Annotated[Optional[str], typer.Option("--until", help="Articles dated on or before.")] = None,  # noqa: UP007
    tag: Annotated[Optional[list[str]], typer.Option("--tag", metavar="KEY=VALUE", help="Articles with this tag of a JSONL record (topics=crude; any case). Repeat: any value of one key, every key.")] = None,  # noqa: UP007
    in_article: Annotated[bool, typer.Option("--in-article", help="Entity filters match anywhere in the article, not just the passage.")] = False,
    all_passages: Annotated[bool, typer.Option("--all-passages", help="Show every matching passage (default: at most 2 per article).")] = False,
    all_copies: Annotated[bool, typer.Option("--all-copies", help="Show every copy of a story as its own hit, and count each in facets (default: one hit per story, with its copies listed).")] = False,
    any_word: Annotated[bool, typer.Option("--any", help="Match any of the words (OR), ranking passages with more of them first.")] = False,
    facets: Annotated[bool, typer.Option("--facets", help="Also count entities over all matching passages (terminal and --json).")] = False,
    exact_count: Annotated[bool, typer.Option("--exact-count", help="Count every match (default: stop counting past 1,000).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document (see README for the fields).")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON hit per line.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: a header, then one hit per row.")] = False,
    no_pager: NoPagerOpt = False,
    sort: Annotated[str, typer.Option("--sort", metavar="relevance|date|-date", help="Order of the hits: by relevance, or by date over every match (-date: newest first; undated last).")] = "relevance",
    context: Annotated[int, typer.Option("--context", "-C", min=0, help="Also show N passages before and after each hit.")] = 0,
    exact: Annotated[bool, typer.Option("--exact", help="Match words as written: case kept, no stemming (US is not us); exact:word does it for one word.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show per hit which terms matched in which field, and its passage and article scores.")] = False,
    timeline: Annotated[Optional[str], typer.Option("--timeline", metavar="[day|week|month|year]", help="Matching articles per period of publication date, instead of the hits (in --json: timeline); no unit: by the span.")] = None,  # noqa: UP007
    provenance: Annotated[Optional[Path], typer.Option("--provenance", metavar="FILE", help="Also write FILE: the query, options, index generation and fingerprint, version and time (JSON).")] = None,  # noqa: UP007
) -> None:
    """Ranked passages for a query, with highlights, filters and entity facets.

    Fields in the query: text: title: exact: site: date: (date:2020, date:[20200901 TO 20201031])
    person: org: place: group: (as the filter flags do, by any alias, any case or a surname),
    article_id: passage_id:.

    \b
    Example:  searchkit search belarus --place lithuania --since 2020-09
    """
    run_search(SearchArgs(
        query=query, index=index, limit=limit, person=person, org=org, place=place, group=group, site=site,
        since=since, until=until, tag=tag, in_article=in_article, all_passages=all_passages, all_copies=all_copies,
        any_word=any_word,
        facets=facets, exact_count=exact_count, as_json=as_json, as_jsonl=as_jsonl, as_csv=as_csv,
        no_pager=no_pager, sort=sort, context=context, exact=exact, explain=explain, timeline=timeline,
        provenance=provenance,
    ))


# --- show / clean / similar ---------------------------------------------------------------------

RemovedOpt = Annotated[bool, typer.Option("--removed", help="Also say what the cleaner removed: blocks per rule, "
                                          "with the reason and an example; --removed=all lists every block.")]
RemovedAllOpt = Annotated[bool, typer.Option("--removed-all", hidden=True, help="Same as --removed=all.")]


@app.command()
def show(
    article_id: Annotated[str, typer.Argument(help="Article id from search output (any unique prefix works), or a passage id ID:ORD to mark that passage.")],
    index: IndexOpt = DEFAULT_INDEX,
    removed: RemovedOpt = False,
    removed_all: RemovedAllOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Show an indexed article: clean text, metadata, entities.

    \b
    Example:  searchkit show a77779e232fc --removed
    """
    from ..search import open_index
    from ..serialize import article_dict, dumps, emit

    with errors_handled():
        with open_index(index) as idx:
            article = idx.article(article_id)
        _, colon, ordinal = article_id.strip().partition(":")
        mark = int(ordinal) if colon and ordinal.isdigit() else None
        if mark is not None and not any(p.ordinal == mark for p in article.passages):
            raise fail(f"article {article.article_id} has no passage {mark} (it has {len(article.passages):,})")
        if as_json:
            emit(sys.stdout, dumps(article_dict(article)))
        else:
            from ..render import print_article
            from ..terminal import paged

            with paged(out, enabled=not no_pager):
                print_article(out, article, removed=removed, every_removed=removed_all, mark=mark)


@app.command()
def clean(
    file: Annotated[str, typer.Argument(help="An HTML, MHTML, text or JSONL file (first article), an archive (first page), or - for standard input.")],
    removed: RemovedOpt = False,
    removed_all: RemovedAllOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: text, metadata and removed blocks.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Print a file's cleaned article text without touching an index.

    \b
    Example:  searchkit clean corpus/sofrep-belarus-border.txt --removed
    """
    from searchkit import clean as clean_api
    from ..serialize import dumps, emit, versioned

    from ..load import normalise_text

    with errors_handled():
        if file == "-":
            cleaned = clean_api(_stdin_document())
        elif file.lower().startswith(("http://", "https://", "ftp://")):
            raise fail(f"{file}: searchkit works offline and does not fetch URLs",
                       hint="save the page first (e.g. curl -o page.html URL), then clean the file")
        else:
            cleaned = clean_api(Path(file))
        empty = not normalise_text(cleaned.text).strip()  # the same test as ingest's
        if as_json:
            emit(sys.stdout, dumps(versioned(cleaned.to_dict())))
        elif not empty or removed or removed_all:
            from ..render import print_cleaned
            from ..terminal import paged

            with paged(out, enabled=not no_pager):
                print_cleaned(out, cleaned, removed=removed, every_removed=removed_all)
    if empty:  # ingest skips such a file; clean says so too, with the same reason
        raise fail(f"{file}: no article text left after cleaning", code=1)


def _stdin_document() -> Source:
    """Standard input read like a file (HTML, text, MHTML or JSONL, its encoding detected)."""
    from ..errors import SourceError
    from ..load import MAX_FILE_BYTES, read_file

    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"standard input is larger than the {MAX_FILE_BYTES // 2**20} MB limit")
    sources, issues = read_file("<stdin>", data)
    if not sources:
        failed = [i.reason for i in issues if i.status == "failed"]
        raise SourceError(f"standard input: {failed[0] if failed else 'no article'}")
    return sources[0]


@app.command()
def similar(
    target: Annotated[str, typer.Argument(metavar="ID", help="A passage id (a151617c9f3d:4) or an article id (or a unique prefix) from search output.")],
    index: IndexOpt = DEFAULT_INDEX,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Hits to show (at most 10000).")] = 10,
    person: Annotated[Optional[list[str]], typer.Option("--person", help="Passages mentioning this person (as in search).")] = None,  # noqa: UP007
    org: Annotated[Optional[list[str]], typer.Option("--org", help="... this organisation.")] = None,  # noqa: UP007
    place: Annotated[Optional[list[str]], typer.Option("--place", help="... this place.")] = None,  # noqa: UP007
    group: Annotated[Optional[list[str]], typer.Option("--group", help="... this group.")] = None,  # noqa: UP007
    site: Annotated[Optional[list[str]], typer.Option("--site", help="Only articles from this site.")] = None,  # noqa: UP007
    since: Annotated[Optional[str], typer.Option("--since", help="Articles dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")] = None,  # noqa: UP007
    until: Annotated[Optional[str], typer.Option("--until", help="Articles dated on or before.")] = None,  # noqa: UP007
    in_article: Annotated[bool, typer.Option("--in-article", help="Entity filters match anywhere in the article.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document, as search --json.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON hit per line.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV: a header, then one hit per row.")] = False,
    no_pager: NoPagerOpt = False,
) -> None:
    """Passages of other articles like a passage or a whole article (more like this).

    \b
    Example:  searchkit similar a77779e232fc --place lithuania
    """
    from ..search import open_index

    with errors_handled():
        fmt = one_format(json=as_json, jsonl=as_jsonl, csv=as_csv)
        with open_index(index) as idx:
            result = idx.similar(target, limit=limit, person=person, org=org, place=place, group=group, site=site,
                                 since=since, until=until, in_article=in_article)
        write_result(result, fmt, no_pager)
        if not result.hits:
            from ..render import summary_line

            say(summary_line(result), "yellow")
            raise Exit(1)
