"""Markdown for the public site's long texts (written by chairs): markdown-it-py, then nh3 with an allow-list.

Raw HTML is off: what looks like a tag is shown as typed. Single line breaks are kept (as the plain-text
paragraphs written before Markdown did), headings sit two levels down (``#`` becomes ``<h3>``, under the page's
section heading), and images become links to the image (the site's Content-Security-Policy would block them,
and a chair's text should not load third-party files into visitors' browsers). The sanitizer runs last, so
whatever the parser lets through, only the tags, attributes and URL schemes listed here reach the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "s",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"
#: Removed with their content (never produced with raw HTML off; a second line of defence).
DROPPED_WITH_CONTENT = frozenset({"script", "style"})
HEADING_SHIFT = 2


def _heading(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
    return self.renderToken(tokens, idx, options, env)  # type: ignore[no-any-return]


def _image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt)}</a>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    md.add_render_rule("image", _image_as_link)
    return md


_MD = _parser()


def clean_html(html: str) -> str:
    """Keep only the allowed tags and attributes; links get rel="noopener nofollow", other schemes lose href."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
    )


@lru_cache(maxsize=512)
def _render(text: str) -> str:
    return clean_html(_MD.render(text)).strip()


def render_markdown(text: str | None) -> Markup:
    """Markdown (CommonMark, tables, ~~strikethrough~~) -> sanitized HTML, safe to put in a page."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return Markup("")
    return Markup(_render(text))  # noqa: S704 - sanitized by nh3 with the allow-list above  # nosec
