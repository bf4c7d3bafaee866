"""Markdown for the public long texts: CommonMark with tables and strikethrough, sanitized with an allow-list."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from portal.markdown import render_markdown
from portal.templating import paragraphs


def test_plain_paragraphs_render_as_before() -> None:
    text = "First paragraph,\nsecond line.\n\nSecond paragraph."
    assert render_markdown(text) == "<p>First paragraph,<br>\nsecond line.</p>\n<p>Second paragraph.</p>"
    assert render_markdown(text) == paragraphs(text)
    assert isinstance(render_markdown(text), Markup)


def test_emphasis_links_lists_tables_and_strikethrough() -> None:
    html = render_markdown(
        'Some *emphasis*, **bold**, ~~gone~~ and [a link](https://example.org/a?b=1&c=2 "Title").\n\n'
        "- one\n- two\n\n3. three\n\n| a | b |\n|:--|--:|\n| 1 | 2 |"
    )
    assert html == (
        '<p>Some <em>emphasis</em>, <strong>bold</strong>, <s>gone</s> and <a href="https://example.org/a?b=1&amp;c=2" '
        'title="Title" rel="noopener nofollow">a link</a>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n'
        '<ol start="3">\n<li>three</li>\n</ol>\n<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n'
        "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>"
    )


def test_headings_sit_under_the_page_sections() -> None:
    assert render_markdown("# Big\n\n## Less\n\n##### Small") == "<h3>Big</h3>\n<h4>Less</h4>\n<h6>Small</h6>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>[x](data:text/html;base64,PHNjcmlwdD4=)</p>"),
        ("[x](ftp://example.org/f)", '<p><a rel="noopener nofollow">x</a></p>'),
        ("<https://example.org>", '<p><a href="https://example.org" rel="noopener nofollow">https://example.org</a></p>'),
        ("[mail](mailto:chairs@example.org)", '<p><a href="mailto:chairs@example.org" rel="noopener nofollow">mail</a></p>'),
        (
            "![a chart](https://evil.example/track.png)",
            '<p><a href="https://evil.example/track.png" rel="noopener nofollow">a chart</a></p>',
        ),
        (
            '<a href="https://example.org" onclick="x()">hi</a>',
            '<p>&lt;a href="https://example.org" onclick="x()"&gt;hi&lt;/a&gt;</p>',
        ),
    ],
)
def test_markdown_with_a_script_tag_renders_inert(text: str, expected: str) -> None:
    assert render_markdown(text) == expected


def test_table_alignment_adds_no_inline_style() -> None:
    assert "style=" not in render_markdown("| a |\n|:-:|\n| 1 |")


@pytest.mark.parametrize("text", [None, "", "  \n\n "])
def test_empty_text_renders_nothing(text: str | None) -> None:
    assert render_markdown(text) == Markup("")
