"""Issue text -> content model: stories, Semaform sections, blocks, intro, comments."""

from __future__ import annotations

import pytest

from newsletter.content import model as m
from newsletter.content.parse import parse_issue_text, section_kind
from newsletter.errors import ContentError

HEAD = "---\nsubject: Test\ndate: 2026-06-02\n---\n"  # the body starts on line 5


def issue(body: str, head: str = HEAD) -> m.Issue:
    return parse_issue_text("x.md", head + body)


def errors(body: str, head: str = HEAD) -> list[str]:
    with pytest.raises(ContentError) as e:
        issue(body, head)
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("The News", "news"), ("the news", "news"), ("THE SCOOP", "scoop"), ("Know More", "know_more"),
        ("step  back", "step_back"), ("Ana's View", "view"), ("Ana’s View", "view"),
        ("Jean-Luc Picard's view", "view"), ("Room for Disagreement", "disagreement"),
        ("The View From Lisbon", "view_from"), ("the view from São Paulo", "view_from"),
        ("Notable", "notable"), ("What we're watching", "plain"), ("News", "plain"), ("The Views", "plain"),
        ("James' View", "view"), ("The Editors’ View", "view"), ("Ruth´s View", "view"), ("Jame' View", "plain"),
    ],
)
def test_section_kinds_are_case_insensitive(title: str, kind: str) -> None:
    assert section_kind(title) == kind


def test_story_sections_keep_their_titles_and_lines() -> None:
    doc = issue(
        "# Cranes return to Harlow\n\nThe lede.\n\n"
        "## The News\n\nFacts.\n\n"
        "## the view from Rotterdam\n\nDutch eyes.\n\n"
        "## Ana's View\n\nAnalysis.\n\n"
        "## Odds and ends\n\nPlain.\n"
    )
    (story,) = doc.stories
    assert story.number == 1 and story.headline == "Cranes return to Harlow" and story.line == 5
    assert [(s.kind, s.title, s.line) for s in story.sections] == [
        ("lede", "", 5),
        ("news", "The News", 9),
        ("view_from", "the view from Rotterdam", 13),
        ("view", "Ana's View", 17),
        ("plain", "Odds and ends", 21),
    ]
    assert story.sections[0].blocks == (m.Paragraph((m.Text("The lede."),), 7),)


def test_every_body_construct() -> None:
    doc = issue(
        "# S\n\n"
        "## Know More\n\n"
        "### Why it matters\n\n"
        "Some *em*, **strong**, `code` and [a link](https://example.com/a \"Title\").\n\n"
        "- one\n- two\n\n"
        "3. three\n4. four\n\n"
        "> quoted\n\n"
        "---\n\n"
        "![A crane at dusk](https://example.com/c.jpg \"The crane\"){credit=\"Jo Lee/Agency\"}\n\n"
        "![](https://example.com/rule.png){.decorative}\n"
    )
    blocks = doc.stories[0].sections[0].blocks  # an empty lede is dropped
    assert blocks[0] == m.Subhead((m.Text("Why it matters"),), 9)
    assert blocks[1] == m.Paragraph((
        m.Text("Some "), m.Emphasis((m.Text("em"),)), m.Text(", "), m.Strong((m.Text("strong"),)),
        m.Text(", "), m.Code("code"), m.Text(" and "),
        m.Link("https://example.com/a", (m.Text("a link"),), "Title"), m.Text("."),
    ), 11)
    assert blocks[2] == m.ListBlock(False, ((m.Paragraph((m.Text("one"),), 13),), (m.Paragraph((m.Text("two"),), 14),)), 13)
    assert isinstance(blocks[3], m.ListBlock) and blocks[3].ordered and blocks[3].start == 3
    assert blocks[4] == m.Quote((m.Paragraph((m.Text("quoted"),), 19),), 19)
    assert blocks[5] == m.Rule(21)
    assert blocks[6] == m.Figure("https://example.com/c.jpg", "A crane at dusk", 23, caption="The crane", credit="Jo Lee/Agency")
    assert blocks[7] == m.Figure("https://example.com/rule.png", "", 25, decorative=True)


def test_merge_tags_and_placeholders_are_not_emphasis() -> None:
    doc = issue("Hi *|FNAME|*, *|LNAME|* and %%first_name|reader%%.\n\n# S\n")
    assert doc.intro[0].inlines == (  # type: ignore[union-attr]
        m.Text("Hi "), m.MergeTag("*|FNAME|*"), m.Text(", "), m.MergeTag("*|LNAME|*"),
        m.Text(" and "), m.Placeholder("first_name", "reader"), m.Text("."),
    )


def test_blocks_are_drawn_outside_story_cards() -> None:
    doc = issue(
        "# One\n\nText.\n\n::: sponsor Brought to you by\nAd copy.\n:::\n\n## The News\n\nMore.\n\n"
        "::: quote\n\"Ships are safe in harbor.\"\n-- Anon\n:::\n\n"
        "# Two\n\nText two.\n\n::: sitrep\n- **Oslo:** calm.\n:::\n\n::: signup\nJoin [here](https://example.com/s).\n:::\n"
    )
    kinds = [type(i).__name__ if isinstance(i, m.Story) else i.kind for i in doc.items]
    assert kinds == ["Story", "sponsor", "quote", "Story", "sitrep", "signup"]
    sponsor, quote = doc.items[1], doc.items[2]
    assert isinstance(sponsor, m.Callout) and sponsor.label == "Brought to you by" and sponsor.line == 9
    assert isinstance(quote, m.Callout) and quote.attribution == "Anon"
    assert quote.blocks == (m.Paragraph((m.Text("\"Ships are safe in harbor.\""),), 18),)
    assert [s.kind for s in doc.stories[0].sections] == ["lede", "news"]


def test_intro_in_the_body() -> None:
    doc = issue("Good morning.\n\n# S\n\nLede sentence. More.\n")
    assert doc.intro == (m.Paragraph((m.Text("Good morning."),), 5),)
    assert doc.preheader == "Lede sentence."


def test_intro_in_front_matter() -> None:
    doc = issue("# S\n", head="---\nsubject: T\ndate: 2026-06-02\nintro: |\n  From the *editor*.\n---\n")
    assert doc.intro == (m.Paragraph((m.Text("From the "), m.Emphasis((m.Text("editor"),)), m.Text(".")), 5),)


def test_intro_in_both_places_is_an_error() -> None:
    head = "---\nsubject: T\ndate: 2026-06-02\nintro: Hello.\n---\n"
    assert errors("Also hello.\n\n# S\n", head) == [
        ("x.md:4: the intro is written twice: in front matter 'intro:' and before the first '# ' heading"
        " (keep one of them)")
    ]


def test_comments_are_dropped_and_lines_still_point_right() -> None:
    doc = issue("<!-- note to self -->\nIntro <!-- aside --> text.\n\n# S\n\n<!--\n## The News\nhint\n-->\nLede.\n")
    assert doc.intro == (m.Paragraph((m.Text("Intro text."),), 6),)
    assert [s.kind for s in doc.stories[0].sections] == ["lede"]
    assert doc.stories[0].sections[0].blocks == (m.Paragraph((m.Text("Lede."),), 14),)
    assert errors("<!--\n\n-->\n# S\n\n![](https://example.com/x.png)\n") == [
        "x.md:10: image has no alt text (write ![what the image shows](URL); mark decoration with {.decorative})"
    ]


def test_unclosed_comment_is_an_error() -> None:
    assert errors("# S\n\nText <!-- forgot to close\n") == [
        "x.md:7: comment '<!--' is never closed (end it with '-->'; everything after it is hidden until then)"
    ]


def test_raw_html_is_text() -> None:
    doc = issue("# S\n\n<b onclick=\"x()\">bold</b> <script>alert(1)</script>\n")
    assert doc.stories[0].sections[0].blocks[0].inlines == (  # type: ignore[union-attr]
        m.Text("<b onclick=\"x()\">bold</b> <script>alert(1)</script>"),
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("## The News\n", "x.md:5: section '## The News' comes before the first story (start a story with '# Headline' above it)"),
        ("# S\n\n::: sponsr\nx\n:::\n", "x.md:7: unknown block '::: sponsr' (known blocks: sponsor, signup, sitrep, quote)"),
        ("# S\n\n::: quote\n::: sponsor\nx\n:::\n:::\n",
         "x.md:8: a '::: sponsor' block can't be inside the '::: quote' block that starts on line 7"
         " (end that block with a ':::' line first)"),
        ("# S\n\n- item\n\n  ::: quote\n  x\n  :::\n",
         "x.md:9: a '::: block' can't be nested inside a list or a quote (start the block after it, at the start of "
         "a line)"),
        # A block left open took the rest of the file, the next story too, without a word.
        ("# S\n\n::: sponsor Acme\nAd.\n",
         "x.md:7: '::: sponsor' block is never closed (end it with a ':::' line; until then everything after it"
         " is inside the block)"),
        ("# S\n\n::: quote\n:::\n", "x.md:7: '::: quote' block is empty (write its text between the '::: quote' line and ':::')"),
        ("# S\n\n![](https://e.example/a.jpg)\n",
         "x.md:7: image has no alt text (write ![what the image shows](URL); mark decoration with {.decorative})"),
        ("# S\n\n![a](https://e.example/a.jpg){size=2}\n",
         "x.md:7: unknown image attribute 'size' (images take {credit=\"...\"}, {link=\"https://...\"} and {.decorative})"),
        ("# S\n\n[](https://e.example/a)\n", "x.md:7: link to https://e.example/a has no text (write [what the link is](URL))"),
        ("::: sponsor\nAd.\n:::\n\nStray.\n\n# S\n",
         ("x.md:9: text between blocks must belong to a story"
         " (move it under a '# Headline', or above the first block to make it the intro)")),
    ],
)
def test_body_errors(body: str, expected: str) -> None:
    assert errors(body) == [expected]


def test_a_headline_without_its_space_is_named_when_it_breaks_the_issue() -> None:
    # '#School board' is a paragraph: the story's sections then came "before the first story",
    # and the line that caused it was never mentioned.
    assert errors("#School board\n\nText.\n\n##The News\n\nMore.\n\n## Know More\n\nx\n") == [
        "x.md:5: '#School board' is text, not a story headline (put a space after the '#': # School board; "
        "for a hashtag, write \\#School)",
        "x.md:9: '##The News' is text, not a section heading (put a space after the '##': ## The News)",
        "x.md:13: section '## Know More' comes before the first story (start a story with '# Headline' above it)",
    ]
    assert errors("#School board\n\nText.\n") == [  # no story at all
        "x.md:5: '#School board' is text, not a story headline (put a space after the '#': # School board; "
        "for a hashtag, write \\#School)"]
    # A hashtag at the start of a paragraph, in an issue that reads well, is just text.
    story = issue("# S\n\n#SaveTheBay drew a crowd.\n\n#harbour\n")
    assert [b.inlines[0].text for b in story.items[0].sections[0].blocks] == ["#SaveTheBay drew a crowd.", "#harbour"]
    # ... and in an issue of intro alone, or beside another mistake, a hashtag inside a paragraph stays text.
    assert issue("Hello.\n#HarbourLife and the boats\nof the bay.\n").intro
    assert errors("# S\n\n#HarbourLife and\nthe boats.\n\n![](https://x.example/a.jpg)\n") == [
        "x.md:10: image has no alt text (write ![what the image shows](URL); mark decoration with {.decorative})"]


def test_a_refused_link_written_with_entities_is_reported_at_its_own_line() -> None:
    # The decoded URL isn't in the file, so the paragraph's first line was named.
    body = "# S\n\nFirst line of the paragraph\nand [a bad link](&#106;avascript:alert(1)) here.\n"
    assert errors(body) == ["x.md:8: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"]


def test_a_block_left_open_before_a_story_names_both() -> None:
    body = "# S\n\n::: sponsor Acme\nAd.\n\n# Next story\n\n## The News\n\nText.\n"
    assert errors(body) == [
        "x.md:7: '::: sponsor' block is never closed (end it with a ':::' line; until then everything after it"
        " is inside the block)",
        "x.md:10: the story headline '# Next story' is inside the '::: sponsor' block that starts on line 7"
        " (end that block with a ':::' line before the story)",
    ]


def test_a_block_left_open_above_another_block_names_the_open_one() -> None:
    # The second block's ':::' closed the first: the error was at the second, not the cause.
    body = "# S\n\n::: sponsor Acme\nAd.\n\nMore story text.\n\n::: quote\nSaid.\n:::\n"
    assert errors(body) == [
        "x.md:12: a '::: quote' block can't be inside the '::: sponsor' block that starts on line 7"
        " (end that block with a ':::' line first)",
    ]


@pytest.mark.parametrize(
    "quote",
    [
        "*Ships* are safe.\n— Grace Hopper, 1978",  # attribution on the next line (same paragraph)
        "*Ships* are safe.\n\n-- Grace Hopper, 1978",  # attribution as its own paragraph
        "*Ships* are\nsafe.\n  – Grace Hopper, 1978",
    ],
)
def test_quote_attribution(quote: str) -> None:
    doc = issue(f"# S\n\n::: quote\n{quote}\n:::\n")
    (callout,) = doc.callouts
    assert callout.attribution == "Grace Hopper, 1978"
    assert callout.blocks == (m.Paragraph((m.Emphasis((m.Text("Ships"),)), m.Text(" are safe.")), 8),)


def test_a_dash_inside_a_quote_is_not_an_attribution() -> None:
    doc = issue("# S\n\n::: quote\nCalm -- for now.\n:::\n")
    assert doc.callouts[0].attribution == ""


def test_comments_in_a_front_matter_intro_are_dropped_too() -> None:
    head = "---\nsubject: T\ndate: 2026-06-02\nintro: |\n  Hello <!-- say it warmly --> there.\n  <!-- a note\n  on two lines -->\n---\n"
    doc = issue("# S\n", head)
    assert doc.intro == (m.Paragraph((m.Text("Hello there."),), 5),)
    head = "---\nsubject: T\ndate: 2026-06-02\nintro: |\n  Hi.\n  <!-- never closed\n---\n"
    assert errors("# S\n", head) == [
        "x.md:6: comment '<!--' is never closed (end it with '-->'; everything after it is hidden until then)"
    ]


@pytest.mark.parametrize("nested", ["- " * 9 + "x", "1. " * 9 + "x", "> " * 18 + "x", "- " * 10 + "x"])
def test_lists_or_quotes_nested_past_the_parser_limit_are_refused(nested: str) -> None:
    # markdown-it reads 20 block levels (a list level counts two) and drops the rest of the
    # text without a word: the story after a ten-level list used to vanish from the email.
    with pytest.raises(ContentError) as e:
        parse_issue_text("issues/deep.md", HEAD + "# One\n\n" + nested + "\n\n# Two\n\nStill here.\n")
    assert [str(p) for p in e.value.problems] == [
        "issues/deep.md:7: lists or quotes are nested too deeply to read "
        "(nest lists at most 8 levels and quotes at most 17)"]


def test_lists_and_quotes_at_the_deepest_allowed_level_keep_what_follows() -> None:
    for nested in ("- " * 8 + "x", "> " * 17 + "x"):
        issue = parse_issue_text("issues/deep.md", HEAD + "# One\n\n" + nested + "\n\n# Two\n\nStill here.\n")
        assert [s.headline for s in issue.stories] == ["One", "Two"]
        assert issue.stories[1].sections[0].blocks[0].inlines == (m.Text("Still here."),)


def test_an_intro_in_front_matter_nested_too_deeply_is_refused_too() -> None:
    text = '---\nsubject: Test\ndate: 2026-06-02\nintro: "' + "- " * 10 + 'x"\n---\n# One\n\nText.\n'
    with pytest.raises(ContentError) as e:
        parse_issue_text("issues/deep.md", text)
    assert "lists or quotes are nested too deeply to read" in str(e.value)


def _blocks_of_first_section(body: str) -> tuple[m.Block, ...]:
    issue = parse_issue_text("issues/x.md", HEAD + "# Story\n\nLede.\n\n## The News\n\n" + body)
    story = issue.items[0]
    assert isinstance(story, m.Story)
    return story.sections[1].blocks


def _shape(blocks: tuple[m.Block, ...]) -> list[str]:
    from newsletter.content.markdown import plain_text

    return [f"image:{b.alt}" if isinstance(b, m.Figure) else f"text:{plain_text(b.inlines)}"
            for b in blocks if isinstance(b, (m.Figure, m.Paragraph))]


@pytest.mark.parametrize(("body", "shape"), [
    ('![The crane](https://x.example/c.jpg "It leaves.")\nThe crane left on Tuesday.\n',
     ["image:The crane", "text:The crane left on Tuesday."]),
    ("Before ![A](https://x.example/a.jpg) after.\n", ["text:Before", "image:A", "text:after."]),
    ("Text first.\n![B](https://x.example/b.jpg)\n", ["text:Text first.", "image:B"]),
    ("**Bold before ![E](https://x.example/e.jpg) bold after** tail.\n",
     ["text:Bold before  bold after", "image:E", "text:tail."]),  # inside emphasis: right after it
    ("![C](https://x.example/c.jpg)\n![D](https://x.example/d.jpg)\nThen words.\n",
     ["image:C", "image:D", "text:Then words."]),
])
def test_images_and_text_of_one_paragraph_keep_the_order_written(body: str, shape: list[str]) -> None:
    assert _shape(_blocks_of_first_section(body)) == shape


def test_a_quote_with_an_image_above_it_keeps_its_attribution() -> None:
    issue = parse_issue_text("issues/x.md", HEAD + "# Story\n\nLede.\n\n::: quote\n"
                             "![A pilot at the wheel](https://x.example/p.jpg)\nSlow is smooth.\n-- A pilot\n:::\n")
    quote = issue.items[1]
    assert isinstance(quote, m.Callout) and quote.attribution == "A pilot"
    assert _shape(quote.blocks) == ["image:A pilot at the wheel", "text:Slow is smooth."]


def test_an_indented_rule_in_the_front_matter_intro_does_not_end_the_front_matter() -> None:
    parsed = issue("# Story\n\nLede.\n", head="---\nsubject: Test\ndate: 2026-06-02\nintro: |\n  Before the rule.\n\n"
                   "  ---\n\n  After the rule.\npreheader: \"A preheader long enough to pass the checks here.\"\n---\n")
    assert parsed.preheader == "A preheader long enough to pass the checks here."
    assert [type(b).__name__ for b in parsed.intro] == ["Paragraph", "Rule", "Paragraph"]


def test_an_ordered_list_may_start_at_zero() -> None:
    from newsletter.render.html import HtmlRenderer
    from newsletter.render.tags import TagVault
    from newsletter.render.text import TextRenderer

    lists = [b for b in issue("# S\n\n0. zero\n1. one\n").items[0].sections[0].blocks if isinstance(b, m.ListBlock)]
    assert [b.start for b in lists] == [0]
    assert TextRenderer(lambda n, f: f, str).blocks(lists) == "0. zero\n1. one"
    assert '<ol class="nl-list" start="0">' in HtmlRenderer(TagVault(), lambda n, f: f, str).blocks(lists)


def test_an_image_link_is_written_as_markdown_writes_a_link() -> None:
    body = ('# S\n\n![Map](https://x.example/m.png){link="https://example.com/maps/harbour map.pdf"}\n\n'
            '![Shop](https://x.example/s.png){link="https://bücher.example/a?b=ö"}\n')
    figures = [b for b in issue(body).items[0].sections[0].blocks if isinstance(b, m.Figure)]
    assert [f.link for f in figures] == ["https://example.com/maps/harbour%20map.pdf",
                                         "https://xn--bcher-kva.example/a?b=%C3%B6"]


def test_a_quote_with_dashes_of_its_own_keeps_them_and_its_attribution() -> None:
    parsed = issue("# S\n\nLede.\n\n::: quote\nThe tide -- as every pilot knows -- does not read the timetable.\n"
                   "-- A pilot of thirty years\n:::\n")
    quote = parsed.items[1]
    assert isinstance(quote, m.Callout) and quote.attribution == "A pilot of thirty years"
    from newsletter.content.markdown import plain_text

    assert plain_text(quote.blocks[0].inlines) == "The tide -- as every pilot knows -- does not read the timetable."


@pytest.mark.parametrize(("lede", "preheader"), [
    ("Dr. Amara Okafor said the bay was calm. Then more.", "Dr. Amara Okafor said the bay was calm."),
    ("J. Reyes left the pilot station. Nobody replaced her.", "J. Reyes left the pilot station."),
    ("Ships of the U.S. Navy called at the port. More.", "Ships of the U.S. Navy called at the port."),
    ("Prices rose 3.5 per cent. More.", "Prices rose 3.5 per cent."),
    ("Where now? Nobody knows.", "Where now?"),
])
def test_the_default_preheader_is_the_first_whole_sentence(lede: str, preheader: str) -> None:
    assert issue(f"# S\n\n{lede}\n").preheader == preheader


def test_alt_text_is_read_without_its_markdown() -> None:
    body = "# S\n\n![The *Osprey* at `dawn`, for %%first_name|you%%](https://x.example/o.png)\n"
    figures = [b for b in issue(body).items[0].sections[0].blocks if isinstance(b, m.Figure)]
    assert [f.alt for f in figures] == ["The Osprey at dawn, for you"]


def test_a_block_in_the_front_matter_intro_is_named_as_such() -> None:
    head = "---\nsubject: T\ndate: 2026-06-02\nintro: |\n  Hello.\n\n  ::: sponsor\n  Buy.\n  :::\n---\n"
    assert errors("# S\n\nLede.\n", head) == [
        "x.md:7: a '::: block' can't be in the front matter's 'intro:' (write the intro in the body, above the "
        "first '# ' headline, where blocks may go)"]


def test_the_first_sentence_is_looked_for_in_the_first_thousand_characters() -> None:
    """The preheader keeps 200 of them; a 450 KB paragraph isn't scanned to its end."""
    from newsletter.content.parse import first_sentence

    assert first_sentence("a. " * 150_000) == ("a. " * 150_000)[:1000]


def test_a_headline_without_its_space_right_above_its_lede_is_named_when_there_is_no_story() -> None:
    assert errors("#Harbour story\nThe lede about it.\n") == [
        "x.md:5: '#Harbour story' is text, not a story headline (put a space after the '#': # Harbour story; "
        "for a hashtag, write \\#Harbour)"]
