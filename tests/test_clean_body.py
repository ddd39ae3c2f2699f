"""Body location on page shapes the cleaner lost (second round of issue 13): a short post
beside a longer "about" box, a post continued after the "read more" cut in a sibling, a
report whose paragraphs alternate with link lists, fields marked "label-hidden", and the
guard that keeps a news story when its headline sits in a header of its own. Each fixture
is hand-written from the shape of the failing pages and says its shape in a comment."""

from __future__ import annotations

from pathlib import Path

from lxml import html as lxml_html

from searchkit.cleaner import clean_html

from .conftest import run_cli

SHAPES = Path(__file__).resolve().parent / "fixtures" / "clean" / "shapes"


def shape(name: str) -> str:
    return (SHAPES / name).read_text(encoding="utf-8")


def paragraphs_of(html: str, xpath: str) -> list[str]:
    """The fixture's own paragraphs under ``xpath``, whitespace normalised as the cleaner does."""
    tree = lxml_html.fromstring(html)
    return [" ".join(p.text_content().split()) for p in tree.xpath(xpath)]


def test_short_post_wins_over_a_longer_about_box_and_the_comments() -> None:
    html = shape("short-post-beside-about-box.html")
    cleaned = clean_html(html)
    post = paragraphs_of(html, "//div[@class='text']/p")[1]
    assert post in cleaned.paragraphs
    assert not any("former ferry mate" in p or "Write to me" in p for p in cleaned.paragraphs)
    assert not any("Can't wait" in p or "Blocked in my country" in p for p in cleaned.paragraphs)
    assert cleaned.metadata.title == "Harbour Lights Documentary Follows Night Ferry Crews"


def test_post_continued_after_the_cut_is_kept_whole_and_in_order() -> None:
    html = shape("continued-after-the-cut.html")
    story = paragraphs_of(html, "//div[@class='entry-body']/p | //div[@class='entry-more']/p")
    cleaned = clean_html(html)
    assert [p for p in cleaned.paragraphs if p in story] == story
    assert not any("About time" in p or "harbour authority is still a defendant" in p for p in cleaned.paragraphs)


def test_report_with_long_link_lists_keeps_every_paragraph() -> None:
    html = shape("changelog-report.html")
    prose = [p for p in paragraphs_of(html, "//div[@class='paragraph']/p") if len(p) > 60]
    cleaned = clean_html(html)
    for paragraph in prose:
        assert paragraph in cleaned.paragraphs, paragraph[:50]
    assert "Sponsor me" not in cleaned.text


def test_fields_whose_label_is_hidden_are_not_hidden() -> None:
    html = shape("label-hidden-fields.html")
    entries = paragraphs_of(html, "//div[contains(@class, 'field--name-item-copy')]/p")
    cleaned = clean_html(html)
    assert len(entries) == 5
    for entry in entries:
        assert entry in cleaned.paragraphs
    assert not any("inbox every Friday" in p for p in cleaned.paragraphs)


def test_hidden_text_is_still_dropped_when_a_label_is_not() -> None:
    page = (
        "<html><body><article>"
        + "<p>The pier reopened on Monday after a month of repairs, the harbour master said.</p>" * 3
        + '<div class="field field--label-above visually-hidden"><p>Skip to the comments of this story, '
        "which are moderated by the harbour desk.</p></div></article></body></html>"
    )
    assert "Skip to the comments" not in clean_html(page).text


def test_story_stays_the_body_when_the_headline_has_a_header_of_its_own() -> None:
    html = shape("headline-header-beside-story.html")
    story = paragraphs_of(html, "//div[@class='story-text']/p")
    cleaned = clean_html(html)
    assert [p for p in cleaned.paragraphs if p in story] == story
    assert not any("Most read" in p or "Dock fees" in p for p in cleaned.paragraphs)


def test_clean_cli_prints_the_short_post_and_says_how_it_was_found() -> None:
    r = run_cli("clean", SHAPES / "short-post-beside-about-box.html", "--removed")
    assert r.returncode == 0, r.stderr
    story, _, removed = r.stdout.partition("Removed ")
    assert "This three-part documentary follows the night crews" in story
    assert "former ferry mate" not in story
    assert "[body-headline]" in removed


def test_story_found_by_its_scores_records_no_headline_note() -> None:
    cleaned = clean_html(shape("headline-header-beside-story.html"))
    assert not any(r.rule == "body-headline" for r in cleaned.removed)


def test_table_set_as_a_figure_is_kept_and_the_photo_caption_is_not() -> None:
    cleaned = clean_html(shape("table-in-figure.html"))
    assert "2 Breakwater Quay 3,870,500 +4.8% 31%" in cleaned.paragraphs
    assert "4 Outer Islands Terminal 1,644,100 +12.7% 8%" in cleaned.paragraphs
    assert not any("north pier at dawn" in p for p in cleaned.paragraphs)
    assert cleaned.paragraphs[-1].startswith("The board expects the growth to slow")


def test_text_hidden_on_small_screens_only_is_kept() -> None:
    # utility-class pages: "hidden md:block" shows on the desktop page; "hidden-xs" hides on
    # phones only; a plain "hidden" (or "visually-hidden") container still hides
    story = "<p>The ferry timetable changes on Monday, when the winter crossings start, the operator said.</p>"
    page = (
        "<html><body><article>" + story
        + '<div class="hidden md:block"><p>Night crossings to the outer islands will stop until the spring, and the '
        "last boat will leave at nine.</p></div>"
        + '<div class="hidden-xs"><p>Fares rise by a tenth in April, the first rise in three years, the operator '
        "added.</p></div>"
        + '<div class="hidden"><p>Thank you for reading the harbour desk, a reader-funded newsroom.</p></div>'
        + '<div class="visually-hidden">Skip to the next story in the harbour section.</div>'
        "</article></body></html>"
    )
    text = clean_html(page).text
    assert "Night crossings to the outer islands" in text
    assert "Fares rise by a tenth" in text
    assert "reader-funded newsroom" not in text
    assert "Skip to the next story" not in text


def test_blog_name_linked_home_is_not_taken_for_the_post_headline() -> None:
    # "Blog Name: Post Title": the blog's name is the longer heading matching the title, but
    # it links to the front page; the post's own heading anchors the story
    html = shape("blog-name-heading.html")
    post = paragraphs_of(html, "//div[@class='post-body']/p")
    cleaned = clean_html(html)
    assert [p for p in cleaned.paragraphs if p in post] == post
    assert not any("Every week I grow something" in p for p in cleaned.paragraphs)
    assert not any(r.rule == "body-headline" for r in cleaned.removed)


def test_weak_page_takes_the_headline_container_that_holds_the_story_not_its_byline() -> None:
    html = shape("headline-header-above-linked-story.html")
    story = paragraphs_of(html, "//section/p")
    cleaned = clean_html(html)
    assert [p for p in cleaned.paragraphs if p in story] == story
    assert not any("Ferry fares rise" in p or "daily paper since 1898" in p for p in cleaned.paragraphs)


def test_feed_of_story_cards_after_a_short_story_is_dropped() -> None:
    html = shape("story-cards-after-story.html")
    story = paragraphs_of(html, "//div[@class='story']/p")
    cleaned = clean_html(html)
    assert cleaned.paragraphs == story
    assert "Harbour Evening News" not in cleaned.text


def test_list_article_keeps_its_items_printed_as_cards() -> None:
    html = shape("list-article-items-as-cards.html")
    prose = paragraphs_of(html, "//div[@class='c-body']/p | //div[@class='item']/p")
    cleaned = clean_html(html)
    assert [p for p in cleaned.paragraphs if p in prose] == prose
    assert not any(r.rule == "story-card" for r in cleaned.removed)
    assert "Ferry fares rise" not in cleaned.text


def test_linked_headlines_near_the_top_of_a_shallow_page_do_not_break_cleaning() -> None:
    # three headline-and-summary pairs that form no run of cards, two of them right under
    # <body>: the search for their run climbs past the root without failing
    pair = "<div><h3><a href='/{0}'>Harbour story number {0}</a></h3><p>{1}</p></div>"
    summary = "The harbour board met on Monday and agreed the budget for the next year, the chair said."
    page = ("<html><body>" + pair.format(1, summary) + pair.format(2, summary)
            + "<section>" + pair.format(3, summary) + "</section></body></html>")
    cleaned = clean_html(page)
    assert summary in cleaned.paragraphs


def test_feed_of_other_stories_in_a_sibling_wrapper_is_not_the_story() -> None:
    html = shape("news-feed-column-after-story.html")
    story = paragraphs_of(html, "//div[@class='article']/p")
    cleaned = clean_html(html)
    assert cleaned.paragraphs == story
    assert "Bridge closed" not in cleaned.text and "canteens" not in cleaned.text


def test_story_lead_before_a_side_rail_is_kept_with_the_larger_part() -> None:
    html = shape("story-lead-before-side-rail.html")
    story = paragraphs_of(html, "//div[@class='story-part']/p")
    cleaned = clean_html(html)
    assert cleaned.paragraphs == story


def test_post_lines_separated_by_br_are_kept_beside_a_dominant_list() -> None:
    cleaned = clean_html(shape("br-lines-before-a-long-list.html"))
    assert cleaned.paragraphs[0].startswith("Last year we opened the harbour archive")
    assert any(p.startswith("Over the next few days") for p in cleaned.paragraphs)
    assert any(p.startswith("Results can be saved as a list") for p in cleaned.paragraphs)


def test_comment_thread_longer_than_the_post_it_follows_is_not_the_story() -> None:
    html = shape("long-thread-under-short-post.html")
    post = paragraphs_of(html, "//div[@id='content']/p[not(@class)]")
    cleaned = clean_html(html)
    assert cleaned.paragraphs == post
    assert "grandfather" not in cleaned.text and "Leave a Reply" not in cleaned.text


def test_long_rights_notice_in_a_container_named_for_it_is_not_the_story() -> None:
    html = shape("rights-notice-beside-story.html")
    story = paragraphs_of(html, "//div[@id='wideCol']//p")
    cleaned = clean_html(html)
    assert cleaned.paragraphs == story
    assert "trademarks" not in cleaned.text and "WATCH NOW" not in cleaned.text


def test_post_named_like_a_body_inside_a_container_named_meta_is_the_story() -> None:
    html = shape("body-named-inside-meta-box.html")
    post = paragraphs_of(html, "//div[@class='post-content']/p")
    cleaned = clean_html(html)
    assert cleaned.paragraphs == post
    assert "cheque" not in cleaned.text and "said," not in cleaned.text


def test_one_long_paragraph_climbs_to_the_short_rows_of_its_story() -> None:
    html = shape("paragraph-and-short-rows.html")
    cleaned = clean_html(html)
    assert cleaned.paragraphs[0].startswith("Earning a certificate is a way")
    assert any("Result of an assessment process" in p for p in cleaned.paragraphs)
    assert any("Must be renewed" in p for p in cleaned.paragraphs)
    assert "Privacy" not in cleaned.text and "Programs" not in cleaned.text
