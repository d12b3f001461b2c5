"""Content model blocks -> HTML fragments for the MJML theme.

Every piece of text is escaped here; URLs have been validated by the reader.
Elements carry class names (``nl-p``, ``nl-link``...) that the theme's inline CSS
(templates/email.css.j2) styles and premailer inlines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import escape
from typing import Callable, Sequence

from markupsafe import Markup

from newsletter.content import model as m
from newsletter.content.markdown import MERGE_TAG
from newsletter.render.tags import TagVault
from newsletter.render.texttokens import TextTokens, as_serialized


#: The width of an image inside text (lists, quotes, the intro), in px.
INLINE_IMAGE_WIDTH = 484
#: Spaces HTML would collapse in code: those that start a line, and runs of two or more.
_CODE_SPACES = re.compile(r"^ +| {2,}")


def esc(text: str) -> str:
    return escape(text, quote=True)


def code_html(text: str) -> str:
    """Code as HTML that keeps its indentation and spacing (a tab as four spaces) while single
    spaces still let a long line wrap: no-break spaces, as every client shows them."""
    escaped = esc(text.replace("\t", "    "))
    if "  " not in escaped and not escaped.startswith(" "):
        return escaped
    return _CODE_SPACES.sub(lambda found: "&nbsp;" * len(found.group(0)), escaped)


@dataclass
class Part:
    """A run of the story card: either HTML for one mj-text, or an image."""

    kind: str  # "text" or "image"
    html: Markup = Markup("")
    figure: m.Figure | None = None


class HtmlRenderer:
    def __init__(self, vault: TagVault, placeholder: Callable[[str, str], str], link_url: Callable[[str], str],
                 texts: TextTokens | None = None) -> None:
        self.vault = vault
        self.placeholder = placeholder
        self.link_url = link_url  # UTM tagging and tag protection for hrefs
        #: Running text as tokens (newsletter/render/texttokens.py), or None: escaped in place.
        self.text = texts.html if texts is not None else esc

    # -- inline -------------------------------------------------------------

    def inlines(self, nodes: Sequence[m.Inline]) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, m.Text):
                out.append(self.text(node.text))
            elif isinstance(node, m.Code):
                out.append(f'<code class="nl-code">{code_html(node.text)}</code>')
            elif isinstance(node, m.Break):
                out.append("<br>")
            elif isinstance(node, m.MergeTag):
                out.append(self.vault.token(node.raw))
            elif isinstance(node, m.Placeholder):
                value = self.placeholder(node.name, node.fallback)
                out.append(self.vault.token(value, web=as_serialized(node.fallback)) if value != node.fallback else esc(value))
            elif isinstance(node, m.Emphasis):
                out.append(f"<em>{self.inlines(node.children)}</em>")
            elif isinstance(node, m.Strong):
                out.append(f"<strong>{self.inlines(node.children)}</strong>")
            elif isinstance(node, m.Link):
                title = f' title="{esc(node.title)}"' if node.title else ""
                out.append(f'<a class="nl-link" href="{self.href(node.url)}"{title}>{self.inlines(node.children)}</a>')
        return "".join(out)

    def href(self, url: str) -> str:
        return esc(self.link_url(url))

    # -- blocks ---------------------------------------------------------------

    def block(self, block: m.Block, lede: bool = False, subhead: str = "h4") -> str:
        """One block as HTML. ``subhead`` is the tag for ``###`` subheads: h4 under a section
        label (h3), h3 where no label precedes them (a story's lede, callouts), so no level is skipped."""
        if isinstance(block, m.Paragraph):
            cls = "nl-p nl-lede" if lede else "nl-p"
            return f'<p class="{cls}">{self.inlines(block.inlines)}</p>'
        if isinstance(block, m.Subhead):
            return f'<{subhead} class="nl-subhead">{self.inlines(block.inlines)}</{subhead}>'
        if isinstance(block, m.ListBlock):
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            items = "".join(f'<li class="nl-li">{self.item(item, subhead)}</li>' for item in block.items)
            return f'<{tag} class="nl-list"{start}>{items}</{tag}>'
        if isinstance(block, m.Quote):
            return f'<blockquote class="nl-quote">{self.blocks(block.blocks, subhead)}</blockquote>'
        if isinstance(block, m.Rule):
            return '<hr class="nl-rule">'
        if isinstance(block, m.Figure):
            return self.figure_inline(block)
        raise TypeError(block)

    def item(self, blocks: Sequence[m.Block], subhead: str = "h4") -> str:
        # Tight list items: a lone paragraph renders without <p> margins.
        if len(blocks) == 1 and isinstance(blocks[0], m.Paragraph):
            return self.inlines(blocks[0].inlines)
        return self.blocks(blocks, subhead)

    def blocks(self, blocks: Sequence[m.Block], subhead: str = "h4") -> str:
        return "".join(self.block(b, subhead=subhead) for b in blocks)

    def plain(self, text: str) -> str:
        """A plain field (headline, title, alt text, caption, label): its tags (*|FNAME|*) as
        vault tokens, so the email keeps them byte-exact and a web page makes them web-safe."""
        return MERGE_TAG.sub(lambda tag: self.vault.token(tag.group(0)), text) if "*|" in text else text

    def plain_figure(self, fig: m.Figure) -> m.Figure:
        if "*|" not in fig.alt + fig.caption + fig.credit:
            return fig
        return replace(fig, alt=self.plain(fig.alt), caption=self.plain(fig.caption), credit=self.plain(fig.credit))

    def figure_inline(self, fig: m.Figure) -> str:
        """An image inside text (lists, quotes, callouts): a plain fluid <img>."""
        fig = self.plain_figure(fig)
        alt = "" if fig.decorative else fig.alt
        # 484: a card's 508 px of text less a list's indent. Outlook on Windows sizes an image
        # by this attribute alone, so it must fit the narrowest place one goes (a list in a card).
        img = (f'<img class="nl-img" src="{esc(fig.src)}" alt="{esc(alt)}" width="{INLINE_IMAGE_WIDTH}" '
               f'style="width:100%;max-width:{INLINE_IMAGE_WIDTH}px;height:auto;">')
        if fig.link:
            img = f'<a href="{self.href(fig.link)}">{img}</a>'
        return img + self.caption(fig)

    def caption(self, fig: m.Figure) -> str:
        parts = []
        if fig.caption:
            parts.append(f'<p class="nl-caption">{esc(fig.caption)}</p>')
        if fig.credit:
            parts.append(f'<p class="nl-credit">{esc(fig.credit)}</p>')
        return "".join(parts)

    def parts(self, blocks: Sequence[m.Block], lede_first: bool = False, subhead: str = "h4") -> list[Part]:
        """Blocks -> runs of mj-text HTML broken by full-width mj-image figures."""
        out: list[Part] = []
        buf: list[str] = []
        first_paragraph = lede_first
        for block in blocks:
            if isinstance(block, m.Figure):
                if buf:
                    out.append(Part("text", Markup("".join(buf))))
                    buf = []
                # The theme writes the image's link itself: give it the href every link gets
                # (UTM tagging, tag protection), as figure_inline does.
                block = self.plain_figure(block)
                linked = replace(block, link=self.link_url(block.link)) if block.link else block
                out.append(Part("image", figure=linked))
                if block.caption or block.credit:
                    out.append(Part("text", Markup(self.caption(block))))
                continue
            lede = first_paragraph and isinstance(block, m.Paragraph)
            if isinstance(block, m.Paragraph):
                first_paragraph = False
            buf.append(self.block(block, lede=lede, subhead=subhead))
        if buf:
            out.append(Part("text", Markup("".join(buf))))
        return out
