"""Issue file -> Issue: the whole reading stage, collecting every problem before raising."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

from markdown_it.token import Token

from newsletter.content import model as m
from newsletter.content.frontmatter import parse_front_matter
from newsletter.content.markdown import (BlockReader, ParseMemo, _close, keep_parse_memo, markdown, parse_memo,
                                         plain_text, with_fallbacks)
from newsletter.content.source import Source, parse_source, read_source, strip_comments
from newsletter.errors import ContentError, Problem

#: "Ruth's View", "Ruth’s View", "Ruth´s View" (an acute accent typed for the apostrophe), and a
#: name ending in s with the apostrophe alone: "James' View", "The Editors’ View".
_VIEW = re.compile(r"^(?P<name>.+?)(?:['’´`]s|(?<=s)['’])\s+view$", re.IGNORECASE)
_VIEW_FROM = re.compile(r"^the\s+view\s+from\s+(?P<place>.+)$", re.IGNORECASE)
_FIXED_KINDS = {
    "the news": "news",
    "the scoop": "scoop",
    "know more": "know_more",
    "step back": "step_back",
    "room for disagreement": "disagreement",
    "notable": "notable",
}
_ATTRIBUTION = re.compile(r"^\s*(?:—|–|--)\s*(?P<who>.+)$")


def section_kind(title: str) -> str:
    """The Semaform kind of a ``##`` heading, matched case-insensitively; ``plain`` otherwise."""
    key = " ".join(title.split()).lower()
    if key in _FIXED_KINDS:
        return _FIXED_KINDS[key]
    if _VIEW_FROM.match(key):
        return "view_from"
    if _VIEW.match(key):
        return "view"
    return "plain"


def parse_issue_file(path: Path) -> m.Issue:
    return build_issue(read_source(path))


def parse_issue_text(file: str, text: str) -> m.Issue:
    return build_issue(parse_source(file, text.encode("utf-8")))


def build_issue(src: Source) -> m.Issue:
    problems: list[Problem] = []
    fm = parse_front_matter(src.path, src.front_matter, 2, problems)
    body = _without_comments(src.path, src.body, src.body_line, problems)
    memo = parse_memo(src.path)
    try:
        intro, items = _read_body(src.path, body.split("\n"), src.body_line, problems, memo)
    except RecursionError:
        raise ContentError(Problem(src.path, src.body_line, "content is nested too deeply to read")) from None
    keep_parse_memo(src.path, memo, len(body))

    if fm.intro:
        if intro:
            problems.append(Problem(src.path, fm.lines.get("intro", 2),
                                    "the intro is written twice: in front matter 'intro:' and before the first '# ' heading",
                                    "keep one of them"))
        else:
            fm_intro = _without_comments(src.path, fm.intro, fm.intro_line or 2, problems)
            intro_tokens = markdown().parse(fm_intro)
            intro_reader = BlockReader(src.path, fm_intro.split("\n"), fm.intro_line or 2, problems)
            _refuse_too_deep(intro_tokens, intro_reader)
            intro = intro_reader.blocks(intro_tokens, 0, len(intro_tokens))

    if problems or not any(isinstance(i, m.Story) for i in items):
        # '#School board' is a paragraph to Markdown: everything after it then reads as intro
        # or lands before the first story. Name the line that caused it, when something's wrong.
        problems += _headlines_without_space(src.path, body.split("\n"), src.body_line,
                                             no_story=not any(isinstance(i, m.Story) for i in items))
    if problems:
        raise ContentError(_dedupe(problems))
    assert fm.date is not None
    slug = Path(src.path).stem
    if slug == "archive":  # out/archive/ is the web archive's folder
        raise ContentError(Problem(src.path, 0, "an issue can't be named 'archive.md': out/archive/ holds the web archive",
                                   "rename the file, e.g. issues/<date>-archive.md"))
    # The name is the issue's folder in out/ and its web address: '..' would write outside out/.
    if slug.startswith(".") or not slug.isprintable():
        what = "starts with '.'" if slug.startswith(".") else "has a line break or control character in it"
        raise ContentError(Problem(src.path, 0, f"the file's name {what}: it names the issue's folder out/<name>/",
                                   "rename the file, e.g. issues/<date>-<headline>.md"))
    issue = m.Issue(
        path=src.path,
        slug=slug,
        subject=fm.subject,
        date=fm.date,
        preheader=with_fallbacks(fm.preheader),
        intro=tuple(intro),
        items=tuple(items),
        number=fm.number,
        updated=fm.updated,
        author=fm.author,
        preheader_given=bool(with_fallbacks(fm.preheader)),  # '%%first_name%%' alone is no preheader
        source=src.text,
        front_matter_lines=dict(fm.lines),
    )
    if not issue.preheader:
        issue.preheader = default_preheader(issue)
    return issue


def _read_body(file: str, lines: list[str], first_line: int, problems: list[Problem],
               memo: ParseMemo) -> tuple[list[m.Block], list[m.Item]]:
    """The body's intro and items, read one story at a time (``story_starts``): a story whose
    text, first line and number are those of the file's last parse, and which read without a
    problem then, is taken from the memo."""
    before = len(problems)
    starts = story_starts(lines)
    read = _read_parts(file, lines, first_line, problems, memo, starts)
    if read is None:  # nested too deeply to cut safely: markdown-it drops what follows its limit
        del problems[before:]
        read = _read_parts(file, lines, first_line, problems, memo, [0])
    assert read is not None
    return read


#: A part whose blocks nest this deep is read with the whole body (markdown-it stops reading
#: blocks at 20 levels and skips the rest of its text, which depends on where the text ends).
_DEEP = 10
#: Blocks this deep are refused: markdown-it's limit is 20 levels (a list level counts two),
#: and past it the rest of the text would be dropped without a word.
_TOO_DEEP = 19


def _refuse_too_deep(tokens: Sequence[Token], reader: BlockReader) -> None:
    """A problem at the first block nested as deep as markdown-it reads (what follows is lost)."""
    deep = next((t for t in tokens if t.level >= _TOO_DEEP), None)
    if deep is not None:
        reader.problem(reader.line_of(deep), "lists or quotes are nested too deeply to read",
                       "nest lists at most 8 levels and quotes at most 17")


def _read_parts(file: str, lines: list[str], first_line: int, problems: list[Problem], memo: ParseMemo,
                starts: list[int]) -> tuple[list[m.Block], list[m.Item]] | None:
    intro: list[m.Block] = []
    items: list[m.Item] = []
    for n, start in enumerate(starts):
        last = n + 1 == len(starts)
        # Each part but the last ends with its line break, as it does inside the whole body.
        text = "\n".join(lines[start:len(lines) if last else starts[n + 1]]) + ("" if last else "\n")
        number = 1 + sum(isinstance(i, m.Story) for i in items)
        key = (text, first_line + start, number)
        found = memo.previous_stories.get(key)
        if found is None:
            before, known = len(problems), len(memo.inlines)
            tokens = markdown().parse(text, {"parse_memo": memo})
            if len(starts) > 1 and any(t.level >= _DEEP for t in tokens):
                return None
            reader = BlockReader(file, text.split("\n"), first_line + start, problems, memo)
            _refuse_too_deep(tokens, reader)
            part = _split(tokens, reader, number)
            # The paragraphs it converted go with it, for when it is taken from the memo next time.
            found = (part, list(memo.inlines.items())[known:]) if len(problems) == before else None
        else:
            part = found[0]
            memo.inlines.update(found[1])
        if found is not None:
            memo.stories[key] = found
        intro.extend(part[0])
        items.extend(part[1])
    return intro, items


#: Where a story starts: a '# ' headline at the start of a line.
_STORY_LINE = re.compile(r"#(?:[ \t]|$)")
#: A code fence makes cutting the body into stories unsafe: its text may look like a headline,
#: and a ':::' block's end is found without regard to fences.
_FENCE_LINE = re.compile(r"^ {0,3}(?:```|~~~)", re.MULTILINE)
#: A ':::' line: a block's start (with a name) or end (without).
_CONTAINER_LINE = re.compile(r" {0,3}(:{3,})(.*)")


def story_starts(lines: list[str]) -> list[int]:
    """The body's line indexes where one part ends and the next begins, the first being 0: each
    '# ' line outside a ':::' block, where markdown-it's block structure starts afresh (an ATX
    heading at the start of a line ends any paragraph, list or quote before it). Parsing the
    parts one by one gives what parsing the whole gives (tests/test_parse_memo.py); a body with
    a code fence, a reference definition or an indented ':::' line is one part."""
    starts = [0]
    text = "\n".join(lines)
    # A reference definition ("[label]: url") applies file-wide. The regex looks for a fence
    # at every line start (0.2 ms for an issue); most bodies have no fence marks at all.
    if "]:" in text or (("```" in text or "~~~" in text) and _FENCE_LINE.search(text)):
        return starts
    block = 0  # the opening ':::' length of the block we are in (markdown-it-container doesn't nest same-length blocks)
    for i, line in enumerate(lines):
        if ":::" in line[:6]:
            marker = _CONTAINER_LINE.match(line)
            if marker is not None:
                if line[0] != ":":
                    return [0]  # an indented ':::' may belong to a list item, and end with it
                if not block and marker.group(2).strip():  # a name, as make_markdown's validate wants
                    block = len(marker.group(1))
                elif block and not marker.group(2).strip(" \t") and len(marker.group(1)) >= block:
                    block = 0  # the plugin allows only spaces and tabs after a closing marker
                continue
        if i and not block and line.startswith("#") and _STORY_LINE.match(line):
            starts.append(i)
    return starts


#: A line that looks meant as a headline or section but has no space after its '#' marks.
_NO_SPACE_HEADING = re.compile(r"(#{1,2})([A-Za-z][^#\n]{0,80})$")


def _headlines_without_space(file: str, lines: list[str], first_line: int, *, no_story: bool) -> list[Problem]:
    """Lines like '#School board' that were surely meant as headlines: each starts a paragraph,
    and stands alone or the issue has no story at all ('#HarbourLife and ...' inside a
    paragraph, or starting one in an issue with stories, is a hashtag)."""
    out = []
    fenced = False
    for n, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        found = None if fenced else _NO_SPACE_HEADING.match(line.rstrip())
        starts = n == 0 or not lines[n - 1].strip()
        alone = starts and (n + 1 == len(lines) or not lines[n + 1].strip())
        if found is not None and (alone or (starts and no_story)):
            marks, words = found.groups()
            what = "story headline" if marks == "#" else "section heading"
            out.append(Problem(file, first_line + n, f"'{line.strip()[:40]}' is text, not a {what}",
                               f"put a space after the '{marks}': {marks} {words}"
                               + (f"; for a hashtag, write \\#{words.split()[0]}" if marks == "#" else "")))
    return out


def _without_comments(file: str, text: str, first_line: int, problems: list[Problem]) -> str:
    """The Markdown with its ``<!-- comments -->`` dropped (line numbers kept)."""
    text, unclosed = strip_comments(text)
    if unclosed:
        problems.append(Problem(file, first_line + unclosed - 1, "comment '<!--' is never closed",
                                "end it with '-->'; everything after it is hidden until then"))
    return text


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in sorted(problems, key=lambda p: p.line):
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _split(tokens: Sequence[Token], reader: BlockReader, first_number: int = 1) -> tuple[list[m.Block], list[m.Item]]:
    """Top-level tokens -> intro blocks and the sequence of stories (numbered from
    ``first_number``) and callouts.

    A ``::: block`` is always drawn outside story cards: one that appears inside a story
    is placed right after that story.
    """
    intro: list[m.Block] = []
    items: list[m.Item] = []
    story: dict[str, Any] | None = None
    pending: list[m.Callout] = []  # callouts met inside the current story

    def finish_story() -> None:
        nonlocal story
        if story is not None:
            sections = [s for s in story["sections"] if s["blocks"] or s["kind"] != "lede"]
            items.append(m.Story(
                number=sum(isinstance(i, m.Story) for i in items) + first_number,
                headline=story["headline"],
                sections=tuple(m.Section(s["kind"], s["title"], tuple(s["blocks"]), s["line"]) for s in sections),
                line=story["line"],
            ))
            items.extend(pending)
            pending.clear()
        story = None

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and tok.tag in ("h1", "h2"):
            title = plain_text(reader.inlines(tokens[i + 1])).strip()
            line = reader.line_of(tok)
            if tok.tag == "h1":
                finish_story()
                if not title:
                    reader.problem(line, "story headline is empty")
                story = {"headline": title, "line": line,
                         "sections": [{"kind": "lede", "title": "", "blocks": [], "line": line}]}
            elif story is None:
                reader.problem(line, f"section '## {title}' comes before the first story",
                               "start a story with '# Headline' above it")
            else:
                if not title:
                    reader.problem(line, "section heading is empty")
                story["sections"].append({"kind": section_kind(title), "title": title, "blocks": [], "line": line})
            i += 3
            continue
        if tok.type == "container_block_open":
            close = _close(tokens, i)
            name = tok.info.strip().split(" ")[0]
            if not _closed(tok, reader):
                reader.problem(reader.line_of(tok), f"'::: {name}' block is never closed",
                               "end it with a ':::' line; until then everything after it is inside the block")
            reader.block = (name, reader.line_of(tok))
            try:
                inner = reader.blocks(tokens, i + 1, close)
            finally:
                reader.block = None
            callout = _callout(tok, inner, reader)
            if callout is not None:
                (pending if story is not None else items).append(callout)
            i = close + 1
            continue
        close = _close(tokens, i) if tok.type.endswith("_open") else i
        blocks = reader.blocks(tokens, i, close + 1)
        if story is None:
            if items:
                where = reader.line_of(tok)
                reader.problem(where, "text between blocks must belong to a story",
                               "move it under a '# Headline', or above the first block to make it the intro")
            else:
                intro.extend(blocks)
        else:
            story["sections"][-1]["blocks"].extend(blocks)
        i = close + 1
    finish_story()
    return intro, items


def _closed(tok: Token, reader: BlockReader) -> bool:
    """Whether a ':::' block has its closing line: markdown-it-container ends one that has none
    at the end of the text, without a word."""
    end = tok.map[1] if tok.map else 0
    marker = _CONTAINER_LINE.match(reader.lines[end]) if end < len(reader.lines) else None
    return marker is not None and not marker.group(2).strip(" \t")  # only spaces or tabs after it


def _callout(tok: Token, blocks: list[m.Block], reader: BlockReader) -> m.Callout | None:
    line = reader.line_of(tok)
    name, _, label = tok.info.strip().partition(" ")
    kind = name.lower()
    if kind not in m.CALLOUT_KINDS:
        reader.problem(line, f"unknown block '::: {name}'", "known blocks: " + ", ".join(m.CALLOUT_KINDS))
        return None
    attribution = ""
    if kind == "quote" and blocks and isinstance(blocks[-1], m.Paragraph):
        last = blocks[-1]
        first = last.inlines[0] if last.inlines else None
        if isinstance(first, m.Text) and _ATTRIBUTION.match(plain_text(last.inlines)):
            attribution = _ATTRIBUTION.match(plain_text(last.inlines)).group("who").strip()  # type: ignore[union-attr]
            blocks = blocks[:-1]
        elif _ATTRIBUTION.match(_last_content_line(tok, reader)):
            # "-- Name" on the line right after the quote joins its paragraph: split it off.
            text = plain_text(last.inlines)
            tail = _TAIL_ATTRIBUTION.search(text)
            if tail:
                attribution = tail.group("who").strip()
                blocks = [*blocks[:-1], m.Paragraph(_take(last.inlines, tail.start()), last.line)]
    if not blocks:
        reader.problem(line, f"'::: {kind}' block is empty", f"write its text between the '::: {kind}' line and ':::'")
    return m.Callout(kind, tuple(blocks), line, with_fallbacks(label.strip()), attribution)


#: The last dash of the text and what follows it: "The tide -- as pilots know -- waits. -- A pilot".
_TAIL_ATTRIBUTION = re.compile(r"\s(?:—|–|--)\s*(?P<who>(?:(?!—|–|--).)+?)\s*$")


def _last_content_line(tok: Token, reader: BlockReader) -> str:
    """The last non-blank source line inside a ``:::`` container (before its closing fence)."""
    if not tok.map:
        return ""
    for i in range(min(tok.map[1], len(reader.lines)) - 1, tok.map[0], -1):
        text = reader.lines[i].strip()
        if text and not text.startswith(":::"):
            return text
    return ""


def _take(inlines: Sequence[m.Inline], count: int) -> tuple[m.Inline, ...]:
    """The inlines whose plain text is the first ``count`` characters of theirs."""
    out: list[m.Inline] = []
    for node in inlines:
        if count <= 0:
            break
        size = len(plain_text((node,)))
        if size <= count:
            out.append(node)
        elif isinstance(node, (m.Text, m.Code)):
            out.append(type(node)(node.text[:count].rstrip()))
        elif isinstance(node, (m.Emphasis, m.Strong)):
            out.append(type(node)(_take(node.children, count)))
        elif isinstance(node, m.Link):
            out.append(m.Link(node.url, _take(node.children, count), node.title))
        count -= size
    return tuple(out)


#: Where a sentence may end: '.', '!' or '?' before white space or the end.
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
#: Words a '.' follows without ending the sentence: titles and common abbreviations.
_ABBREVIATIONS = frozenset("dr mr ms mrs mx st sr jr co vs no prof gen gov sen rep capt lt mt inc ltd dept "
                           "approx est fig e.g i.e etc u.s u.k u.n".split())


def first_sentence(text: str) -> str:
    """Up to the first sentence's end: not a '.' after a title, an abbreviation or an initial
    ("Dr. Okafor", "J. Reyes"), nor one a lower-case word follows."""
    text = text[:_SENTENCE_SCAN]  # the preheader keeps 200 characters: no need to look further
    for end in _SENTENCE_END.finditer(text):
        at = end.start()
        before = _WORD_BEFORE.search(text, max(0, at - 16), at)
        word = before.group(0) if before else ""
        after = _NEXT_CHAR.match(text, end.end())
        if text[at] == "." and (word.lower().rstrip(".") in _ABBREVIATIONS or (len(word) == 1 and word.isupper())):
            continue
        if after and after.group(1).islower():
            continue
        return text[:at + 1]
    return text


_SENTENCE_SCAN = 1000
_WORD_BEFORE = re.compile(r"\S+$")
_NEXT_CHAR = re.compile(r"\s*(\S)")


def default_preheader(issue: m.Issue) -> str:
    """The first sentence of the first story (or of the intro when there is no story)."""
    paragraph = preheader_paragraph(issue)
    return _first_sentence(plain_text(paragraph.inlines)) if paragraph is not None else ""


def preheader_paragraph(issue: m.Issue) -> m.Paragraph | None:
    """The paragraph a preheader not given in front matter is taken from (the quality gate
    points its findings at its line)."""
    for story in issue.stories:
        for section in story.sections:
            for block in section.blocks:
                if isinstance(block, m.Paragraph):
                    return block
    return next((b for b in issue.intro if isinstance(b, m.Paragraph)), None)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return first_sentence(text)[:200]
