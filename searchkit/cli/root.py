"""The one typer app of ``searchkit`` and the option types its commands share.

The commands themselves are declared in the modules beside this one (one per area) and
register on :data:`app` when imported; :func:`searchkit.cli.load_app` imports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..commands import Exit, out

app = typer.Typer(
    name="searchkit",
    help="Offline full-text search for saved news articles.\n\n\b\n"
         "Example:  searchkit ingest corpus/ && searchkit search \"border closure\" --person lukashenko",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

IndexOpt = Annotated[Path, typer.Option(
    "--index", "-i", envvar="SEARCHKIT_INDEX", help="Index folder (also SEARCHKIT_INDEX).", show_default=True,
)]
NoPagerOpt = Annotated[bool, typer.Option("--no-pager", help="Never page long output on a terminal "
                                          "(the pager is SEARCHKIT_PAGER, PAGER or less).")]

# The filters and flags of the research workflows (batch, watch), worded for them; search and
# similar spell out their own help for the same options.
PersonOpt = Annotated[Optional[list[str]], typer.Option("--person", help="Passages mentioning this person (repeat for all of several).")]  # noqa: UP007
OrgOpt = Annotated[Optional[list[str]], typer.Option("--org", help="... this organisation.")]  # noqa: UP007
PlaceOpt = Annotated[Optional[list[str]], typer.Option("--place", help="... this place.")]  # noqa: UP007
GroupOpt = Annotated[Optional[list[str]], typer.Option("--group", help="... this group.")]  # noqa: UP007
SiteOpt = Annotated[Optional[list[str]], typer.Option("--site", help="Only articles from this site (repeat for any of several).")]  # noqa: UP007
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="Articles dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")]  # noqa: UP007
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Articles dated on or before.")]  # noqa: UP007
InArticleOpt = Annotated[bool, typer.Option("--in-article", help="Entity filters match anywhere in the article.")]
AnyOpt = Annotated[bool, typer.Option("--any", help="Match any of the words (OR).")]
ExactOpt = Annotated[bool, typer.Option("--exact", help="Match words as written (case kept, no stemming).")]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="One JSON document per line.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV: a header, then one hit per row.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document.")]


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version as dist_version

        out.print(f"searchkit {dist_version('searchkit')}")
        raise Exit(0)


@app.callback()
def _top(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Offline full-text search for saved news articles."""
