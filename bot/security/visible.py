"""What a reader actually sees: Markdown/HTML rendered with markdown-it-py, hidden parts dropped.  PURE.

Issue bodies and comments reach the model only as their visible text. The Markdown is rendered
by a real parser (markdown-it-py, CommonMark plus tables and strikethrough, raw HTML on as Gitea
allows it) and the HTML walked with the standard HTML parser, so hiding places are gone by
construction: HTML comments, link reference definitions (`[//]: # (…)`), link and image titles,
image alt text, `<details>` bodies, elements with `hidden`, `display:none`, `visibility:hidden`,
`font-size:0` or `opacity:0`, `<template>`, `<script>`, `<style>`. Structure survives as light
Markdown (headings, list bullets, code fences, link targets) so the model can still follow it.
Character-level tricks (zero-width, bidi, tags, ANSI, CR overwrite) are `bot.security.text`'s.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from bot.security.text import visible_chars

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_HIDDEN_STYLE = re.compile(r"(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])"
                           r"|opacity\s*:\s*0(?![.\d]*[1-9])|(?:height|width)\s*:\s*0(?:px)?\s*(?:;|$)|clip\s*:")
_SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head", "title"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"})
_BLOCK = frozenset({"p", "div", "ul", "ol", "table", "tr", "blockquote", "section", "article", "summary"})


class _Visible(HTMLParser):
    """Collects visible text, skipping hidden subtrees (tracked as a depth of open hidden tags)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden: list[str] = []  # stack of open tags that hide their content
        self.details: list[bool] = []  # per open <details>: inside its <summary>?
        self.href: list[str] = []
        self.lists: list[int] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self._void(tag)
            return
        found = dict(attrs)
        if self.hidden or tag in _SKIP or "hidden" in found or _HIDDEN_STYLE.search(found.get("style") or "") \
                or found.get("aria-hidden") == "true" or (self.details and not self.details[-1] and tag != "summary"):
            self.hidden.append(tag)
            return
        if tag == "details":
            self.details.append(False)
        elif tag == "summary" and self.details:
            self.details[-1] = True
        self._open(tag, found)

    def _open(self, tag: str, found: dict[str, str | None]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in ("ul", "ol"):
            self.lists.append(0 if tag == "ol" else -1)
        elif tag == "li":
            self.lists and self.lists[-1] >= 0 and self.lists.__setitem__(-1, self.lists[-1] + 1)
            bullet = f"{self.lists[-1]}." if self.lists and self.lists[-1] > 0 else "-"
            self.out.append("\n" + "  " * max(len(self.lists) - 1, 0) + bullet + " ")
        elif tag == "pre":
            self.pre += 1
            self.out.append("\n```\n")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag == "a":
            self.href.append(found.get("href") or "")
        elif tag in ("td", "th"):
            self.out.append(" | ")
        elif tag in _BLOCK:
            self.out.append("\n\n")

    def _void(self, tag: str) -> None:
        if not self.hidden and tag == "br":
            self.out.append("\n")
        elif not self.hidden and tag == "hr":
            self.out.append("\n\n---\n\n")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if self.hidden[-1] == tag or tag == "details" and "details" in self.hidden:
                while self.hidden and self.hidden.pop() != tag:
                    pass
            return
        if tag == "details" and self.details:
            self.details.pop()
        elif tag == "summary" and self.details:
            self.details[-1] = False
            self.out.append("\n")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self.out.append("\n```\n")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and not href.startswith("#") and not self.out[-1:] == [href]:
                self.out.append(f" <{href}>")
        elif tag in _BLOCK or re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden and not (self.details and not self.details[-1]):  # a closed <details> shows its summary only
            self.out.append(data)


def visible_html(html: str) -> str:
    """The visible text of an HTML fragment (comments, hidden elements and attributes dropped)."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    text = re.sub(r"[ \t]+\n", "\n", "".join(parser.out))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def visible_text(markdown: str) -> str:
    """The text a reader of this Markdown sees on Gitea, as light Markdown, for the model."""
    if not markdown:
        return ""
    html = _MD.render(visible_chars(markdown))
    return visible_chars(visible_html(html))
