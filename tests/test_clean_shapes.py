"""One test per page shape the cleaner used to fail on (issue 13), plus the metadata and
sign-off rules. Each HTML fixture in ``fixtures/clean/shapes`` is hand-written from the
shape of the failing pages (not copied from them) and says its shape in a comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchkit.cleaner import clean_html, clean_text
from searchkit.metadata import clean_author, strip_site_suffix

from .conftest import run_cli

SHAPES = Path(__file__).resolve().parent / "fixtures" / "clean" / "shapes"


def shape(name: str) -> str:
    return (SHAPES / name).read_text(encoding="utf-8")


def story_paragraphs(html: str, start: str) -> list[str]:
    """The fixture's own story paragraphs: the <p> elements after the marker ``start``."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html[html.index(start):])
    return [" ".join(p.text_content().split()) for p in tree.iter("p")]


# (fixture, marker before the story's first <p>, how many story paragraphs, body-fallback expected)
CASES = [
    ("builder-widgets.html", '<div class="page-section">', 5, True),
    # the "modal" holds an element named like the body, so its mark is void and the first
    # strategy finds the story (it needed the fallback before)
    ("modal-story.html", '<div class="story-body">', 4, False),
    ("blog-sidebar-profile.html", "", 0, True),
    ("button-swallows-page.html", "<main", 4, False),
    ("blog-taxonomy-classes.html", '<div class="entry-content">', 3, False),
    ("hidden-story.html", '<div class="article-body hidden"', 4, True),
]


@pytest.mark.parametrize(("name", "start", "count", "fallback"), CASES)
def test_shape_keeps_the_whole_story(name: str, start: str, count: int, fallback: bool) -> None:
    html = shape(name)
    cleaned = clean_html(html)
    if count:
        story = story_paragraphs(html, start)[:count]
        for paragraph in story:
            assert paragraph in cleaned.paragraphs, f"{name}: lost {paragraph[:50]!r}"
        assert len(cleaned.text) < 1.25 * sum(len(p) for p in story) + 200, f"{name}: kept far more than the story"
    assert any(r.rule == "body-fallback" for r in cleaned.removed) == fallback
    if fallback:
        note = next(r for r in cleaned.removed if r.rule == "body-fallback")
        assert "first strategy kept" in note.text and note.reason


def test_blog_widgets_keep_the_br_separated_post_not_the_longer_sidebar_profile() -> None:
    cleaned = clean_html(shape("blog-sidebar-profile.html"))
    assert cleaned.paragraphs[0].startswith("The company's quarterly filing")
    assert cleaned.paragraphs[-1] == "The shares fell 4 percent in early trading on Monday."
    assert len(cleaned.paragraphs) == 3
    assert not any("equity analyst" in p for p in cleaned.paragraphs)


def test_one_sentence_post_is_found_by_its_headline_not_the_longer_side_blurb() -> None:
    cleaned = clean_html(shape("short-post-beside-blurb.html"))
    assert cleaned.paragraphs == ["We have finally sent issue two to the printer, with a new cover."]
    assert cleaned.metadata.title == "Issue Two Is Out"


def test_cut_off_excerpts_of_other_posts_are_not_taken_for_prose() -> None:
    cleaned = clean_html(shape("teaser-excerpts-beside-post.html"))
    assert len(cleaned.paragraphs) == 2
    assert cleaned.paragraphs[0].startswith("The new Pilot looks almost the same")
    assert not any(p.endswith("[...]") for p in cleaned.paragraphs)


def test_hidden_tooltip_stays_hidden_when_the_hidden_story_is_kept() -> None:
    cleaned = clean_html(shape("hidden-story.html"))
    assert len(cleaned.paragraphs) == 4
    assert not any(p.startswith("An index is a list") for p in cleaned.paragraphs)


def test_fallback_does_not_bring_back_comments_or_footer() -> None:
    taxonomy = clean_html(shape("blog-taxonomy-classes.html"))
    assert not any("Great post" in p or "Sam Lee writes" in p for p in taxonomy.paragraphs)
    modal = clean_html(shape("modal-story.html"))
    assert not any("Harbor Daily" in p for p in modal.paragraphs)


def test_article_without_layout_marks_never_runs_the_fallback() -> None:
    page = (
        "<html><body><nav><a href='/'>Home</a></nav><article>"
        + "".join(f"<p>Paragraph {i} of the story says what happened on the pier, and why it matters.</p>" for i in range(6))
        + "</article><div class='comments'><p>" + "A reader comment about the pier and the town. " * 8
        + "</p></div></body></html>"
    )
    cleaned = clean_html(page)
    assert len(cleaned.paragraphs) == 6
    assert not any(r.rule == "body-fallback" for r in cleaned.removed)


# --- text rules: sign-offs, disclaimers ------------------------------------------------------


def test_wire_sign_off_is_dropped_in_plain_text() -> None:
    cleaned = clean_text("Cocoa arrivals rose 5 pct in the week, the exporters said.\n\nThey expect more rain.\n\n Reuter\n")
    assert cleaned.text == "Cocoa arrivals rose 5 pct in the week, the exporters said.\n\nThey expect more rain."
    assert [r.rule for r in cleaned.removed] == ["sign-off"]


def test_sign_off_glued_to_the_last_sentence_is_trimmed() -> None:
    cleaned = clean_text("Gemayel had agreed to the proposals, the sources said. REUTER")
    assert cleaned.text == "Gemayel had agreed to the proposals, the sources said."
    assert cleaned.removed[0].rule == "sign-off" and cleaned.removed[0].text == "REUTER"


def test_words_like_reuters_inside_the_story_are_kept() -> None:
    text = "Reuters reported the deal first.\n\nThe agency's reporters, Reuter said, were not told."
    assert clean_text(text).text == text


def test_disclaimer_is_dropped_with_its_reason() -> None:
    text = (
        "The minister said the talks would resume on Monday.\n\n"
        "The views and opinions expressed in the article do not necessarily reflect those of the agency."
    )
    cleaned = clean_text(text)
    assert cleaned.text == "The minister said the talks would resume on Monday."
    assert cleaned.removed[0].rule == "disclaimer"


# --- metadata: titles and bylines ----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        ("Bike & Style book review | MoreBikes", None, "https://www.morebikes.co.uk/7908/x/", "Bike & Style book review"),
        ("Daily Deals: More Black Friday Deals - IGN", "IGN", None, "Daily Deals: More Black Friday Deals"),
        ("New SUVs highlight L.A. Auto Show - Connecticut Post", "Connecticut Post", None, "New SUVs highlight L.A. Auto Show"),
        ("Harbor Post | Dock fees rise", "Harbor Post", None, "Dock fees rise"),
        ("Review - Film", "Harbor Post", "https://harborpost.example/x", "Review - Film"),
        ("Harbor Post", "Harbor Post", None, "Harbor Post"),
    ],
)
def test_site_suffix_leaves_the_title(title: str, site: str | None, url: str | None, expected: str) -> None:
    assert strip_site_suffix(title, site, url) == expected


@pytest.mark.parametrize(
    ("byline", "name", "agency"),
    [
        ("By TOM KRISHER, AP Auto Writer", "Tom Krisher", "Associated Press"),
        ("By Jane Doe and John Roe", "Jane Doe, John Roe", None),
        ("By Dan Smith", "Dan Smith", None),
        ("Reuters Staff", None, "Reuters"),
        ("Nama (wajib)", None, None),
        ("Name (required)", None, None),
        ("J J", None, None),
        ("Maria Lopez, Dev Patel", "Maria Lopez, Dev Patel", None),
    ],
)
def test_byline_is_reduced_to_names(byline: str, name: str | None, agency: str | None) -> None:
    assert clean_author(byline) == (name, agency)


def test_agency_byline_gives_the_site_when_the_page_names_none() -> None:
    page = (
        '<html><head><title>Auto show opens</title><meta name="author" content="By TOM KRISHER, AP Auto Writer"></head>'
        "<body><article><p>The auto show opened on Wednesday with a dozen new electric models, the organizers said.</p>"
        "</article></body></html>"
    )
    meta = clean_html(page).metadata
    assert (meta.author, meta.site) == ("Tom Krisher", "Associated Press")


def test_comment_form_label_is_not_taken_as_the_author() -> None:
    page = (
        "<html><head><title>Resep</title></head><body><article><p>"
        + "Masak nasi dengan air secukupnya, lalu tunggu sampai matang dan harum. " * 3
        + '</p></article><form><span class="comment-author-label author">Nama (wajib)</span></form>'
        '<span class="author">Sari Dewi</span></body></html>'
    )
    assert clean_html(page).metadata.author == "Sari Dewi"


# --- CLI: clean and ingest agree ----------------------------------------------------------


def test_clean_cli_empty_result_is_exit_1_with_ingests_reason(tmp_path: Path) -> None:
    page = tmp_path / "menu.html"
    page.write_text("<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>", encoding="utf-8")
    r = run_cli("clean", page)
    assert r.returncode == 1
    assert "no article text left after cleaning" in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.strip() == ""


def test_clean_cli_keeps_the_story_inside_an_overlay(tmp_path: Path) -> None:
    r = run_cli("clean", SHAPES / "modal-story.html", "--removed")
    assert r.returncode == 0, r.stderr
    assert "Dock workers at the city's container port" in r.stdout
    assert "[body-fallback]" not in r.stdout  # the overlay holds a "story-body": no fallback needed
