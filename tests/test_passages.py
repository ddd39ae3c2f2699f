from searchkit.passages import MAX_CHARS, MIN_CHARS, attach_entities, split_passages
from searchkit.records import Mention, Passage


def test_paragraphs_become_passages_with_exact_offsets() -> None:
    paras = [f"Paragraph {i} says something long enough to stand alone as a passage in the index, "
             f"with a second clause to be sure." for i in range(4)]
    text = "\n\n".join(paras)
    passages = split_passages("a1", text)
    assert [p.text for p in passages] == paras
    for p in passages:
        assert text[p.start:p.end] == p.text
    assert [p.passage_id for p in passages] == ["a1:0", "a1:1", "a1:2", "a1:3"]


def test_short_paragraphs_merge_with_the_next() -> None:
    text = "MINSK, Sept 17.\n\n" + "The border closure comes after six weeks of protests across the country, " * 2
    passages = split_passages("a", text)
    assert len(passages) == 1
    assert passages[0].text.startswith("MINSK, Sept 17.")
    assert text[passages[0].start:passages[0].end] == passages[0].text


def test_long_paragraph_splits_at_sentence_boundaries() -> None:
    sentence = "The ministry said the crossing would stay closed until further notice. "
    text = (sentence * 40).strip()
    passages = split_passages("a", text)
    assert len(passages) > 1
    for p in passages:
        assert len(p.text) <= MAX_CHARS
        assert len(p.text) >= MIN_CHARS
        assert p.text.endswith("notice.")
        assert text[p.start:p.end] == p.text


def test_a_single_huge_sentence_is_still_cut() -> None:
    text = "word " * 5000
    passages = split_passages("a", text.strip())
    assert len(passages) > 1
    assert sum(len(p.text.split()) for p in passages) == 5000


def test_entities_attach_to_the_passage_they_occur_in() -> None:
    text = "Alexander Lukashenko spoke in Minsk about the border and many other things at length.\n\n" \
           "Svetlana Tikhanovskaya answered from Vilnius with a long statement to the press corps."
    passages = split_passages("a", text)
    second = text.index("Svetlana")
    mentions = [Mention(0, 20, "Alexander Lukashenko", "Alexander Lukashenko", "person"),
                Mention(text.index("Minsk"), text.index("Minsk") + 5, "Minsk", "Minsk", "place"),
                Mention(second, second + 22, "Svetlana Tikhanovskaya", "Svetlana Tikhanovskaya", "person")]
    tagged = attach_entities(passages, mentions)
    assert tagged[0].entities == {"person": ("Alexander Lukashenko",), "place": ("Minsk",)}
    assert tagged[1].entities == {"person": ("Svetlana Tikhanovskaya",)}


def test_empty_text_gives_no_passages() -> None:
    assert split_passages("a", "") == []
    assert split_passages("a", "\n\n  \n") == []


def test_source_lines_find_each_passage_in_the_page_outside_markup() -> None:
    from searchkit.passages import source_lines

    page = ('<html><head><meta name="description" content="Rail Baltica reaches Kaunas today">\n'
            '<script>var s = "Rail Baltica reaches Kaunas today";</script></head>\n'
            "<body>\n<p>Rail Baltica reaches Kaunas today, the ministry\nsaid.</p>\n"
            "<p>Lithuania&rsquo;s minister spoke.</p>\n<p>Caf&eacute; owners cheered.</p>\n</body></html>\n")
    text = "Rail Baltica reaches Kaunas today, the ministry said.\n\nLithuania’s minister spoke.\n\nCafé owners cheered."
    passages = [Passage("a", i, 0, 0, t) for i, t in enumerate(text.split("\n\n"))]
    # The body's line, not the meta description's or the script's; a word split by a
    # character reference is not found (None), never a wrong line.
    assert source_lines(page, passages, html=True) == [4, 6, None]
    plain = "Title\n\nRail Baltica reaches Kaunas today, the\nministry said.\n"
    assert source_lines(plain, passages[:1], html=False) == [3]
