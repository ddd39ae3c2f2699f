"""Tests for the clean stage: golden seed, boilerplate families, must-keep sentences,
metadata, hidden elements, JSON-LD bodies and hostile HTML."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from searchkit.cleaner import RepeatedBlocks, clean_html, clean_source, clean_text, load_rules, strip_boilerplate
from searchkit.metadata import normalise_date
from searchkit.errors import SearchkitError
from searchkit.htmlbody import boilerplate_mark
from searchkit.records import Cleaned, Source

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "clean"
SEED = ROOT / "corpus" / "sofrep-belarus-border.txt"

ARTICLE = [
    "The Harbor Town council voted 6-1 on Sunday night to build a $40 million flood wall along the waterfront, "
    "ending a debate that has divided the town for almost three years.",
    "Supporters said the wall, which will rise four feet above the current sea wall, is the only way to protect "
    "the downtown businesses that flooded twice last winter.",
    "Opponents, led by a group of fishermen, argued that the wall would cut off access to the docks and raise "
    "property taxes for a decade. They said they would ask for a referendum.",
    "Construction is expected to start in the fall and take two years, according to the town engineer, who "
    "added that the docks would stay open during the work.",
]

PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Harbor Town Approves Flood Wall | Valley Tribune</title></head>
<body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sports">Sports</a></nav></header>
<main><article>
<h1>Harbor Town Approves Flood Wall</h1>
{body}
</article></main>
<footer><p><a href="/about">About us</a> <a href="/privacy">Privacy</a></p></footer>
</body></html>"""

BOILERPLATE = tomllib.loads((FIXTURES / "boilerplate.toml").read_text(encoding="utf-8"))["case"]
MUST_KEEP = tomllib.loads((FIXTURES / "must_keep.toml").read_text(encoding="utf-8"))


def place(article: list[str], snippet: list[str], position: str) -> list[str]:
    """The article with the snippet paragraphs inserted at the start, middle or end."""
    at = {"start": 0, "middle": 2, "end": len(article)}[position]
    return article[:at] + snippet + article[at:]


def as_html(paragraphs: list[str]) -> str:
    return "\n".join(p if p.startswith("<") else f"<p>{p}</p>" for p in paragraphs)


# --- golden seed -------------------------------------------------------------------------


def test_seed_golden() -> None:
    cleaned = clean_text(SEED.read_text(encoding="utf-8"))
    expected = (FIXTURES / "sofrep-belarus-border.clean.txt").read_text(encoding="utf-8").rstrip("\n")
    assert cleaned.text == expected
    assert len(cleaned.paragraphs) == 19
    assert [r.rule for r in cleaned.removed] == ["orphan-headline", "read-next", "support-appeal"]
    assert cleaned.removed[0].text == "US Troops, F-35s, And Apaches Sent To The Baltics To Counter Russian Army"
    assert cleaned.removed[1].text.startswith("Read Next: US Troops")
    assert cleaned.removed[2].text.startswith("If you enjoyed this article")
    assert all(r.reason for r in cleaned.removed)


def test_seed_keeps_every_other_paragraph_word_for_word() -> None:
    raw = [re.sub(r"\s+", " ", p).strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    cleaned = clean_text(SEED.read_text(encoding="utf-8"))
    removed = {r.text for r in cleaned.removed}
    assert cleaned.paragraphs == [p for p in raw if p not in removed]
    assert len(raw) == 22


# --- boilerplate families ----------------------------------------------------------------


def test_fixture_sets_are_large_enough() -> None:
    assert len(BOILERPLATE) >= 30
    assert len(MUST_KEEP["sentences"]) + len(MUST_KEEP["edge_sentences"]) >= 30
    families = {rule for case in BOILERPLATE for rule in case["rules"]}
    assert {"read-next", "orphan-headline", "newsletter", "support-appeal", "share-prompt", "advertisement",
            "photo-credit", "author-bio", "copyright", "cookie-notice"} <= families


@pytest.mark.parametrize("case", BOILERPLATE, ids=lambda c: c["text"][:40])
def test_boilerplate_text_form(case: dict) -> None:
    snippet = case["text"].split("\n\n")
    cleaned = clean_text("\n\n".join(place(ARTICLE, snippet, case.get("position", "middle"))))
    assert cleaned.paragraphs == ARTICLE
    assert [r.rule for r in cleaned.removed] == case["rules"]
    assert [r.text for r in cleaned.removed] == snippet


@pytest.mark.parametrize("case", BOILERPLATE, ids=lambda c: c["text"][:40])
def test_boilerplate_html_form(case: dict) -> None:
    snippet = [case["html"]] if "html" in case else case["text"].split("\n\n")
    page = PAGE.format(body=as_html(place(ARTICLE, snippet, case.get("position", "middle"))))
    cleaned = clean_html(page)
    assert cleaned.paragraphs == ARTICLE
    removed_text = " ".join(r.text for r in cleaned.removed)
    for paragraph in case["text"].split("\n\n"):
        assert paragraph.split()[-1] in removed_text


@pytest.mark.parametrize("sentence", MUST_KEEP["sentences"], ids=lambda s: s[:40])
def test_must_keep_sentence(sentence: str) -> None:
    paragraphs = place(ARTICLE, [sentence], "middle")
    assert clean_text("\n\n".join(paragraphs)).paragraphs == paragraphs
    assert clean_html(PAGE.format(body=as_html(paragraphs))).paragraphs == paragraphs


@pytest.mark.parametrize("sentence", MUST_KEEP["edge_sentences"], ids=lambda s: s[:40])
@pytest.mark.parametrize("position", ["start", "end"])
def test_must_keep_edge_sentence(sentence: str, position: str) -> None:
    paragraphs = place(ARTICLE, [sentence], position)
    assert clean_text("\n\n".join(paragraphs)).paragraphs == paragraphs
    assert clean_html(PAGE.format(body=as_html(paragraphs))).paragraphs == paragraphs


def test_subheading_next_to_ordinary_paragraph_is_kept() -> None:
    paragraphs = ARTICLE[:2] + ["Opponents Vow To Keep Fighting"] + ARTICLE[2:]
    assert clean_text("\n\n".join(paragraphs)).paragraphs == paragraphs


def test_orphan_headline_needs_a_matching_link() -> None:
    kept, removed = strip_boilerplate(["A Different Headline Entirely", "Read Next: Pentagon Weighs New Drone Rules"])
    assert kept == ["A Different Headline Entirely"]
    assert [r.rule for r in removed] == ["read-next"]


def test_long_paragraph_with_boilerplate_words_is_kept() -> None:
    long = ("Sign up for the newsletter, the flyer said, but " + "residents ignored it and kept coming to meetings " * 8).strip()
    assert clean_text(long).text == long


# --- rules as data -----------------------------------------------------------------------


def test_rules_have_ids_reasons_and_compile() -> None:
    rules = load_rules()
    ids = [r.rule_id for r in rules.blocks]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z-]+", i) for i in ids)
    assert all(r.reason and r.patterns and r.max_words > 0 for r in rules.blocks)
    assert "script" in rules.html.silent_tags and "nav" in rules.html.container_tags
    assert load_rules() is rules  # cached


def test_custom_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[block]]\nid = "podcast-plug"\nreason = "a podcast plug"\nmax_words = 12\n'
        "patterns = ['^listen to our podcast\\b']\n[html]\nsilent_tags = []\ncontainer_tags = []\n"
        "negative_words = []\nnegative_stems = []\nbody_names = []\n",
        encoding="utf-8",
    )
    kept, removed = strip_boilerplate(["Listen to our podcast on any app", "Real news."], load_rules(str(path)))
    assert kept == ["Real news."]
    assert removed[0].rule == "podcast-plug"


# --- metadata ----------------------------------------------------------------------------


def test_metadata_from_realistic_page() -> None:
    cleaned = clean_html((FIXTURES / "valley-tribune-article.html").read_text(encoding="utf-8"))
    meta = cleaned.metadata
    assert meta.title == "Harbor Town Approves $40 Million Flood Wall"  # JSON-LD headline first
    assert meta.date == "2024-03-03T21:15:00+00:00"
    assert meta.author == "Maria Lopez, Dev Patel"
    assert meta.site == "Valley Tribune"
    assert meta.url == "https://www.valleytribune.example/news/2024/03/03/harbor-flood-wall"
    assert meta.language == "en-US"


def test_realistic_page_body_and_removals() -> None:
    cleaned = clean_html((FIXTURES / "valley-tribune-article.html").read_text(encoding="utf-8"))
    assert cleaned.paragraphs == [
        "The Harbor Town council voted 6-1 on Sunday night to build a $40 million flood wall along the waterfront, "
        "ending a debate that has divided the town for almost three years.",
        "Supporters said the wall, which will rise four feet above the current sea wall, is the only way to protect "
        "the downtown businesses that flooded twice last winter.",
        "“We cannot keep mopping out our basements and pretending the water will not come back,” said council "
        "member Ruth Ames, who owns a hardware store on Front Street.",
        "Opponents vow to keep fighting",
        "Opponents, led by a group of fishermen, argued that the wall would cut off access to the docks and raise "
        "property taxes for a decade. They said they would ask for a referendum.",
        "Construction is expected to start in the fall and take two years, according to the town engineer.",
    ]
    rules = {r.rule for r in cleaned.removed}
    assert {"hidden-element", "outside-article"} <= rules
    removed = " | ".join(r.text for r in cleaned.removed)
    for boilerplate in ("Harbor Town Approves $40 Million Flood Wall", "By Maria Lopez", "Photo: Sam Park",
                        "Advertisement", "Read more:", "Share on Facebook", "is a staff reporter",
                        "We use cookies", "Fishermen worry", "Ten places to eat", "All rights reserved"):
        assert boilerplate in removed
    assert all(r.rule and r.reason and r.text for r in cleaned.removed)


def test_metadata_fallbacks_without_json_ld() -> None:
    page = """<html><head><title>Dock fees rise | Harbor Post</title>
    <meta property="og:site_name" content="Harbor Post">
    <meta name="author" content="Jo Reed"></head>
    <body><article><p>Dock fees will rise by ten percent next year, the harbor master said on Monday.</p>
    <time datetime="2023-11-05">Nov 5</time></article></body></html>"""
    meta = clean_html(page, url="https://harborpost.example/dock-fees").metadata
    assert meta.title == "Dock fees rise"  # the " | Harbor Post" suffix names the site
    assert meta.date == "2023-11-05"
    assert meta.author == "Jo Reed"
    assert meta.site == "Harbor Post"
    assert meta.url == "https://harborpost.example/dock-fees"
    assert meta.language is None


def test_given_meta_wins_over_extracted() -> None:
    page = (FIXTURES / "valley-tribune-article.html").read_text(encoding="utf-8")
    meta = clean_html(page, meta={"title": "From JSONL", "date": "March 4, 2024", "site": "Feed"}).metadata
    assert (meta.title, meta.date, meta.site) == ("From JSONL", "2024-03-04", "Feed")
    assert meta.author == "Maria Lopez, Dev Patel"


def test_plain_text_title_is_not_guessed() -> None:
    cleaned = clean_text("Harbor Town Approves Flood Wall\n\n" + "\n\n".join(ARTICLE))
    assert cleaned.metadata.title is None
    assert clean_text("x", meta={"title": "Given"}).metadata.title == "Given"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2020-09-17T14:03:00-04:00", "2020-09-17T14:03:00-04:00"),
        ("2020-09-17T14:03:00.123Z", "2020-09-17T14:03:00+00:00"),
        ("2020-09-17T14:03:00+0200", "2020-09-17T14:03:00+02:00"),
        ("2020-09-17", "2020-09-17"),
        ("Thu, 17 Sep 2020 18:03:00 GMT", "2020-09-17T18:03:00+00:00"),
        ("September 17, 2020", "2020-09-17"),
        ("Sept 17th 2020", "2020-09-17"),
        ("Thursday, September 17, 2020", "2020-09-17"),
        ("1850-01-01", None),
        ("17 September 2020", "2020-09-17"),
        ("not a date", None),
        ("", None),
    ],
)
def test_normalise_date(raw: str, iso: str | None) -> None:
    assert normalise_date(raw) == iso


# --- structure: hidden elements, JSON-LD body ---------------------------------------------


def test_hidden_elements_are_removed_with_reason() -> None:
    body = as_html(ARTICLE[:2]) + (
        '<p hidden>Hidden by attribute, never shown to readers of the page.</p>'
        '<div aria-hidden="true"><p>Hidden from assistive technology and from the clean text.</p></div>'
        '<p style="color: red; display : none">Hidden with inline style display none.</p>'
        '<p style="visibility:hidden">Hidden with inline style visibility hidden.</p>'
    ) + as_html(ARTICLE[2:])
    cleaned = clean_html(PAGE.format(body=body))
    assert cleaned.paragraphs == ARTICLE
    hidden = [r for r in cleaned.removed if r.rule == "hidden-element"]
    assert len(hidden) == 4
    assert all("hidden" in r.reason for r in hidden)


def test_json_ld_article_body_picks_the_container() -> None:
    story = ARTICLE
    teaser = [
        "A long list of other stories, each with a summary sentence that reads like prose and is long enough to "
        "count, sits in a div that looks just like the article container on this page.",
    ] * 6
    page = f"""<html><head><script type="application/ld+json">
    {json.dumps({"@type": "NewsArticle", "headline": "Flood wall", "articleBody": " ".join(story)})}
    </script></head><body>
    <div class="a1">{as_html(teaser)}</div>
    <div class="a2">{as_html(story)}</div>
    </body></html>"""
    cleaned = clean_html(page)
    assert cleaned.paragraphs == story


def test_link_dense_block_inside_article_is_removed() -> None:
    links = '<ul>' + "".join(f'<li><a href="/s{i}">Another story number {i} on the site</a></li>' for i in range(6)) + "</ul>"
    cleaned = clean_html(PAGE.format(body=as_html(ARTICLE[:2]) + links + as_html(ARTICLE[2:])))
    assert cleaned.paragraphs == ARTICLE
    assert any(r.rule == "link-list" for r in cleaned.removed)


# --- hostile input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n\t ",
        "<html></html>",
        "<html><head><title>Only a head</title></head></html>",
        "just some text without any markup at all",
        "<p>unclosed <b>tags <i>everywhere",
        "<?xml version='1.0' encoding='iso-8859-1'?><html><body><p>XML declaration.</p></body></html>",
        "<!-- only a comment -->",
        "\x00\x01\x02 binary junk \ufffd\ud800",
        "<html><body><script>document.write('<p>x</p>')</script></body></html>",
        "<table><tr><td><div><table><tr><td>nested tables</td></tr></table></div></td></tr></table>",
        '<script type="application/ld+json">{not json</script><p>Body text.</p>',
        '<script type="application/ld+json">[{"@type": ["NewsArticle"], "author": 5, "headline": null}]</script>',
        "<frameset><frame src='a.html'></frameset>",
    ],
)
def test_weird_html_never_raises(html: str) -> None:
    cleaned = clean_html(html)
    assert isinstance(cleaned, Cleaned)
    assert isinstance(cleaned.text, str)


def test_hundred_thousand_nested_divs() -> None:
    html = "<html><body>" + "<div>" * 100_000 + "<p>deep</p>" + "</div>" * 100_000 + "</body></html>"
    cleaned = clean_html(html)
    assert isinstance(cleaned, Cleaned)


@pytest.mark.parametrize("depth", [200, 300, 1500])
def test_deep_but_legal_nesting_keeps_text(depth: int) -> None:
    html = "<html><body>" + "<div>" * depth + as_html(ARTICLE) + "</div>" * depth + "</body></html>"
    assert clean_html(html).paragraphs == ARTICLE


def test_weird_text_never_raises() -> None:
    for text in ["", "\n\n\n", "   ", "\x00", "Read Next:", "a\r\n\r\nb"]:
        assert isinstance(clean_text(text), Cleaned)
    assert clean_text("a\r\n\r\nb").paragraphs == ["a", "b"]


# --- dispatch ----------------------------------------------------------------------------


def test_clean_source_dispatches_on_kind() -> None:
    html = Source("a.html", "a.html", "html", PAGE.format(body=as_html(ARTICLE)), "h1", {"url": "https://x.example/a"})
    text = Source("a.txt", "a.txt", "text", "\n\n".join(ARTICLE + ["Advertisement"]), "h2", {"site": "X"})
    assert clean_source(html).paragraphs == ARTICLE
    assert clean_source(html).metadata.url == "https://x.example/a"
    assert clean_source(text).paragraphs == ARTICLE
    assert clean_source(text).metadata.site == "X"


def test_to_dict_is_json_ready() -> None:
    cleaned = clean_text(SEED.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(cleaned.to_dict()))
    assert [r["rule"] for r in data["removed"]] == ["orphan-headline", "read-next", "support-appeal"]


# --- repeated blocks across pages of a site -----------------------------------------------


def test_repeated_blocks_across_pages_of_one_site() -> None:
    plug = "Get the Harbor Post in print every month, twelve issues for the price of ten."
    other = ["Fishermen said the new dock fees would double their costs, and the harbor master disagreed."]
    first = PAGE.format(body=as_html(ARTICLE + [plug]))
    second = PAGE.format(body=as_html(other + [plug]))
    third = PAGE.format(body=as_html(ARTICLE))
    repeats = RepeatedBlocks()
    repeats.learn(clean_html(first, url="https://www.harborpost.example/a"))
    repeats.learn(clean_html(second, url="https://harborpost.example/b"))
    repeats.learn(clean_html(third, url="https://other.example/c"))
    cleaned = clean_html(first, url="https://harborpost.example/a", repeats=repeats)
    assert cleaned.paragraphs == ARTICLE
    assert [r.rule for r in cleaned.removed if r.text == plug] == ["repeated-block"]
    # the article paragraphs appear on another site only: not site furniture
    assert clean_html(third, url="https://other.example/c", repeats=repeats).paragraphs == ARTICLE
    # the same page learnt twice does not make its own paragraphs repeated
    again = RepeatedBlocks()
    again.learn(clean_html(third, url="https://other.example/c"))
    again.learn(clean_html(third, url="https://other.example/c"))
    assert clean_html(third, url="https://other.example/c", repeats=again).paragraphs == ARTICLE


def test_repeated_blocks_in_text_use_meta_url() -> None:
    repeats = RepeatedBlocks()
    plug = "The Valley Voice prints a weekly crossword on page twelve of every edition."
    for n in range(2):
        repeats.learn(clean_text(f"{ARTICLE[n]}\n\n{plug}", meta={"url": f"https://v.example/{n}"}))
    cleaned = clean_text("\n\n".join(ARTICLE[2:] + [plug]), meta={"url": "https://v.example/9"}, repeats=repeats)
    assert cleaned.paragraphs == ARTICLE[2:]
    assert cleaned.removed[-1].rule == "repeated-block"


def test_inline_marks_keep_sentences_whole() -> None:
    body = (
        '<p><span class="dateline">CAIRO —</span> Gunmen opened fire on visitors at the museum on Wednesday, '
        "officials said, in the deadliest attack in a decade.</p>"
        '<p>The attackers wore uniforms<span class="sr-only" style="display:none"> (opens in a new window)</span> '
        "and stormed the building in the afternoon, witnesses said.</p>"
    ) + as_html(ARTICLE)
    cleaned = clean_html(PAGE.format(body=body))
    assert cleaned.paragraphs[:2] == [
        "CAIRO — Gunmen opened fire on visitors at the museum on Wednesday, officials said, in the deadliest attack in a decade.",
        "The attackers wore uniforms and stormed the building in the afternoon, witnesses said.",
    ]
    assert any(r.rule == "hidden-element" and "new window" in r.text for r in cleaned.removed)


def test_list_article_falls_back_to_named_container() -> None:
    items = "".join(f"<li>Round {n}: {day} March – Harbor Circuit</li>" for n, day in enumerate(range(3, 30, 3), 1))
    sidebar = as_html(["Click the photo to read our columns about racing, motorbikes and the people behind them."] * 2)
    page = f"""<html><body><div class="layout"><div class="post entry-content"><h1>Race calendar</h1>
    <ul>{items}</ul></div><div class="widgets">{sidebar}</div></div></body></html>"""
    cleaned = clean_html(page)
    assert cleaned.paragraphs[0] == "Round 1: 3 March – Harbor Circuit"
    assert len(cleaned.paragraphs) == 9


@pytest.mark.parametrize(
    ("markup", "author"),
    [
        ('<a rel="author" href="/staff/jo">Jo Reed</a>', "Jo Reed"),
        ('<span itemprop="author" itemscope><span itemprop="name">Ana Sousa</span></span>', "Ana Sousa"),
        ('<div class="article-byline">By Sam Park</div>', "Sam Park"),
        ('<span itemprop="author" content="https://plus.example/+Someone">Erin Quinn</span>', "Erin Quinn"),
        ('<div class="byline">Updated 5 March 2024</div>', None),
    ],
)
def test_author_from_page_body_when_head_has_none(markup: str, author: str | None) -> None:
    page = f"<html><head><title>Dock fees rise</title></head><body>{markup}<article>{as_html(ARTICLE)}</article></body></html>"
    cleaned = clean_html(page)
    assert cleaned.metadata.author == author
    assert cleaned.paragraphs == ARTICLE


def test_date_from_itemprop_date_published() -> None:
    page = (f'<html><body><span itemprop="datePublished" content="2019-11-18T09:00:00Z">Nov 18</span>'
            f"<article>{as_html(ARTICLE)}</article></body></html>")
    assert clean_html(page).metadata.date == "2019-11-18T09:00:00+00:00"


@pytest.mark.parametrize(
    "content",
    [
        "[[block]]\nid = 'x'\nreason = 'y'\npatterns = ['(unclosed']\n",
        "[[block]]\nid = 'x'\npatterns = ['a']\n",
        "this is = not [toml",
    ],
)
def test_bad_rules_file_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SearchkitError, match="rules"):
        load_rules(str(path))


# --- properties ----------------------------------------------------------------------------

_PARAGRAPH = st.one_of(
    st.sampled_from([c["text"] for c in BOILERPLATE] + MUST_KEEP["sentences"] + ARTICLE),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PARAGRAPH, max_size=12))
def test_clean_text_only_drops_whole_paragraphs(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    cleaned = clean_text(text)
    expected = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n[ \t\r\f\v]*\n", text.replace("\r\n", "\n"))]
    expected = [p for p in expected if p]
    removed = [r.text for r in cleaned.removed]
    # every input paragraph is either kept (unchanged, in order) or recorded as removed
    assert sorted(cleaned.paragraphs + removed) == sorted(expected)
    it = iter(expected)
    assert all(any(p == q for q in it) for p in cleaned.paragraphs)
    assert all(r.rule and r.reason for r in cleaned.removed)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abcdivpspan&#;!-\n")), max_size=300))
def test_clean_html_never_raises_on_tag_soup(html: str) -> None:
    cleaned = clean_html(html)
    assert "\n\n\n" not in cleaned.text
    assert all(p == p.strip() and "\n" not in p for p in cleaned.paragraphs)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('<form id="aspnetForm" action="/story">', "</form>"),  # ASP.NET wraps the whole page in a form
        ('<div id="ad-portal" class="has-sidebar">', "</div>"),  # a wrapper named like an ad slot
        ('<div class="theiaStickySidebar">', "</div>"),  # a layout column named "sidebar"
    ],
)
def test_article_inside_a_boilerplate_looking_wrapper(before: str, after: str) -> None:
    page = f"""<html><body>{before}
    <nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
    <div class="story">{as_html(ARTICLE)}</div>
    <div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
    <aside class="related"><p>Fishermen worry about new dock fees as the season begins, and prices rise.</p></aside>
    {after}</body></html>"""
    cleaned = clean_html(page)
    assert cleaned.paragraphs == ARTICLE


def test_run_together_class_names() -> None:
    comment = "I have lived by the harbor for forty years and this wall is the best news we have had, thank you."
    page = f"""<html><body><article>{as_html(ARTICLE)}
    <ol class="commentlist"><li><p>{comment}</p></li><li><p>{comment}</p></li></ol>
    <div class="socialshare"><p>Share this story with your friends and neighbours today.</p></div>
    </article></body></html>"""
    cleaned = clean_html(page)
    assert cleaned.paragraphs == ARTICLE
    assert [r.rule for r in cleaned.removed] == ["boilerplate-container"] * 3
    # a name that merely contains a stem-like word ("commentary") is not boilerplate
    commentary = f'<html><body><div class="commentary-body">{as_html(ARTICLE)}</div></body></html>'
    assert clean_html(commentary).paragraphs == ARTICLE
    assert boilerplate_mark(lxml_html.fromstring('<div class="commentary-body"></div>'), load_rules().html) is None


def test_embedded_post_in_a_social_wrapper_is_kept() -> None:
    tweet = "The new flood wall is finally happening and the harbor will never look the same again."
    body = as_html(ARTICLE[:2]) + (
        f'<div class="social-media-embed"><blockquote class="twitter-tweet"><p>{tweet}</p></blockquote></div>'
        '<div class="social-share"><a href="#">Share</a> <a href="#">Tweet</a></div>'
    ) + as_html(ARTICLE[2:])
    cleaned = clean_html(PAGE.format(body=body))
    assert cleaned.paragraphs == ARTICLE[:2] + [tweet] + ARTICLE[2:]


def test_orphan_headline_in_html_next_to_a_read_next_link() -> None:
    headline = "US Troops, F-35s, And Apaches Sent To The Baltics To Counter Russian Army"
    body = as_html(ARTICLE[:2]) + f'<p>{headline}</p><p>Read Next: <a href="/baltics">{headline}</a></p>' + as_html(ARTICLE[2:])
    cleaned = clean_html(PAGE.format(body=body))
    assert cleaned.paragraphs == ARTICLE
    assert [r.rule for r in cleaned.removed if headline in r.text] == ["orphan-headline", "read-next"]
