"""Site names and bylines as pages really state them: an address where a name belongs, a
home-page title with its tagline as ``og:site_name``, file names and labels as authors.
Each page here is hand-written from the shape of such pages."""

from __future__ import annotations

import pytest

from searchkit.cleaner import clean_html
from searchkit.metadata import clean_author, site_name

STORY = "<p>" + "The harbour board approved the new dock fees on Tuesday after a long debate, members said. " * 3 + "</p>"


def page(head: str, body: str = STORY) -> str:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>"


def test_publisher_given_only_by_its_address_is_not_the_site_name() -> None:
    # JSON-LD publisher with an @id and no name, as some CMSs write it
    html = page(
        '<title>Dock fees rise</title><script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "Dock fees rise", "publisher": {"@id": "https://www.harborpost.example/"}}</script>'
    )
    assert clean_html(html).metadata.site is None


def test_address_site_name_gives_way_to_the_next_source() -> None:
    html = page(
        '<meta property="og:site_name" content="https://www.harborpost.example/">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "publisher": {"@type": "Organization", '
        '"name": "Harbor Post"}}</script><title>Dock fees rise</title>'
    )
    assert clean_html(html).metadata.site == "Harbor Post"


def test_site_name_with_a_list_of_topics_keeps_the_name() -> None:
    html = page(
        '<meta property="og:site_name" content="Pitlane | F1 | Indy | Rally | Karting">'
        "<title>Rally standings after round four | Pitlane | F1 | Indy | Rally | Karting</title>"
    )
    meta = clean_html(html, url="https://www.pitlane.example/standings").metadata
    assert meta.site == "Pitlane"
    assert meta.title == "Rally standings after round four"


@pytest.mark.parametrize(
    ("raw", "url", "expected"),
    [
        ("Harbor Post | The coast's favourite news since 1901", None, "Harbor Post"),
        ("Harbor Post - Local news, weather and sport", None, "Harbor Post"),
        ("Notes on onboarding, product adoption and good design | Northwind Blog", None, "Northwind Blog"),
        ("The Harbor Post | HarborPost.example", "https://harborpost.example/a", "HarborPost.example"),
        ("Harbor Post |", None, "Harbor Post"),
        ("Harbor Post", None, "Harbor Post"),
        ("Harbor-Post Weekly", None, "Harbor-Post Weekly"),  # a hyphen inside a name is no separator
        ("/", None, None),
        ("www.harborpost.example", None, None),
    ],
)
def test_site_name_without_its_tagline(raw: str, url: str | None, expected: str | None) -> None:
    assert site_name([raw], url) == expected


def test_home_page_title_as_page_title_is_left_whole() -> None:
    html = page('<meta property="og:site_name" content="Harbor Post - Local news and weather">'
                "<title>Harbor Post - Local news and weather</title>")
    meta = clean_html(html).metadata
    assert meta.site == "Harbor Post"
    assert meta.title == "Harbor Post - Local news and weather"


@pytest.mark.parametrize(
    "value",
    ["humans.txt", "HarborPost.com", "sports.harborpost.example.com", "undefined", "q_admin", "Webmaster",
     "By", "Author", "Posted by", "Written By", "[www]", "Jane says:", "Гость"],
)
def test_not_a_name_is_not_the_author(value: str) -> None:
    assert clean_author(value) == (None, None)


@pytest.mark.parametrize(
    ("byline", "name"),
    [
        ("Posted by:Jane Doe", "Jane Doe"),
        ("Author: Jane Doe", "Jane Doe"),
        ("Authored by: Dr. Jane Doe", "Dr. Jane Doe"),
        ("Jane Doe, HarborPost.com", "Jane Doe"),
        ("Byron Hale", "Byron Hale"),  # "By" only as a word of its own
        ("J.D. Salinger", "J.D. Salinger"),
    ],
)
def test_byline_labels_and_site_credits_are_dropped(byline: str, name: str) -> None:
    assert clean_author(byline)[0] == name


def test_author_meta_holding_a_file_name_falls_back_to_the_byline() -> None:
    html = page('<meta rel="author" content="humans.txt"><title>Dock fees rise</title>',
                '<span class="byline">By Jo Reed</span>' + STORY)
    assert clean_html(html).metadata.author == "Jo Reed"
