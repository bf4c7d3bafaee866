"""Small server-rendered SVG charts for the chair console. Each chart is an image with a title and a text
description for screen readers (``role="img"``); the page puts a table with the same numbers beside it.
Colours come from the stylesheet (classes), so the CSP needs no inline style."""

from __future__ import annotations

from markupsafe import Markup


def _frame(chart_id: str, title: str, desc: str, width: int, height: int, body: list[Markup]) -> Markup:
    return Markup(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>'
    ).format(id=chart_id, w=width, h=height, title=title, desc=desc, body=Markup("").join(body))


def _describe(items: list[tuple[str, int]]) -> str:
    return "; ".join(f"{label}: {value}" for label, value in items) or "No data yet."


def columns(chart_id: str, title: str, items: list[tuple[str, int]], *, label_every: int = 1) -> Markup:
    """Vertical bars (a histogram, a count per day), each with its value above it and its label below."""
    width, height, top, bottom, left = 640, 220, 22, 34, 8
    peak = max((v for _, v in items), default=0) or 1
    slot = (width - 2 * left) / max(len(items), 1)
    bar = max(2.0, slot * 0.7)
    body: list[Markup] = [
        Markup('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(
            left, height - bottom, width - left, height - bottom
        )
    ]
    for i, (label, value) in enumerate(items):
        h = (height - top - bottom) * value / peak
        x = left + i * slot + (slot - bar) / 2
        y = height - bottom - h
        body.append(
            Markup('<g><title>{}: {}</title><rect class="bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"/>').format(
                label, value, x, y, bar, h
            )
        )
        if value:
            body.append(
                Markup('<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>').format(
                    x + bar / 2, y - 5, value
                )
            )
        if i % label_every == 0 or i == len(items) - 1:
            body.append(
                Markup('<text class="label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>').format(
                    x + bar / 2, height - bottom + 18, label
                )
            )
        body.append(Markup("</g>"))
    return _frame(chart_id, title, _describe(items), width, height, body)


def bars(chart_id: str, title: str, items: list[tuple[str, int]]) -> Markup:
    """Horizontal bars with their labels on the left (submissions per topic): long labels stay readable."""
    row, label_w, width, gap = 26, 300, 640, 6
    height = max(row * len(items), row)
    peak = max((v for _, v in items), default=0) or 1
    body: list[Markup] = []
    for i, (label, value) in enumerate(items):
        y = i * row
        w = (width - label_w - 50) * value / peak
        short = label if len(label) <= 42 else label[:40] + "…"
        body.append(
            Markup(
                "<g><title>{label}: {value}</title>"
                '<text class="label" x="{lx}" y="{ty}" text-anchor="end">{short}</text>'
                '<rect class="bar" x="{x}" y="{y}" width="{w:.1f}" height="{h}"/>'
                '<text class="value" x="{vx:.1f}" y="{ty}">{value}</text></g>'
            ).format(
                label=label,
                value=value,
                short=short,
                lx=label_w - 8,
                ty=y + row / 2 + 5,
                x=label_w,
                y=y + gap / 2,
                w=w,
                h=row - gap,
                vx=label_w + w + 6,
            )
        )
    return _frame(chart_id, title, _describe(items), width, height, body)
