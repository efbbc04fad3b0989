"""The report as one self-contained HTML page: no scripts, no fonts, no URLs, charts inline.

Nothing is computed here: the page lays out what ``aggregate`` counted and ``charts`` drew.
Every string that comes from the data (outlet names, terms, titles, ids, error messages) goes
through ``html.escape``; the charts' SVG and the article renderer's HTML are the only markup
taken as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import pandas as pd

CellFormat = Literal["text", "int", "number", "percent"]
MISSING = "–"


@dataclass(frozen=True)
class Column:
    """A table column: the frame's column, its heading, and how its cells are written."""

    name: str
    heading: str
    format: CellFormat = "number"


@dataclass(frozen=True)
class Chart:
    title: str
    caption: str
    svg: str
    numbers: str  # the chart's numbers as an HTML table


@dataclass(frozen=True)
class GroupSection:
    """The drill-down of one group: its terms, its reporting verbs, its most framed articles."""

    label: str
    headline: str
    terms: str  # HTML table
    reporting: str  # HTML table
    most_framed: str  # HTML table
    article_html: str | None = None  # the most framed article, highlighted (trusted HTML)
    article_note: str | None = None  # why it is not shown


@dataclass(frozen=True)
class Summary:
    source: str
    grouping: str
    articles: int
    errors: int
    groups: int
    shown_groups: int
    min_articles: int
    left_out_groups: int
    model_versions: Sequence[str]
    error_messages: Sequence[tuple[str, int]] = field(default_factory=tuple)


def html_table(
    frame: pd.DataFrame, columns: Sequence[Column], *, caption: str = "", empty: str = "None.",
) -> str:
    """An HTML table of ``frame``'s ``columns`` (numbers right-aligned, every text escaped)."""
    if frame.empty:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(
        f'<th scope="col"{_align(column)}>{escape(column.heading)}</th>' for column in columns
    )
    body = "\n".join(
        "<tr>" + "".join(
            f"<td{_align(column)}>{_cell(record.get(column.name), column.format)}</td>"
            for column in columns
        ) + "</tr>"
        for record in frame.to_dict("records")
    )
    caption_html = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<table>{caption_html}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n'
            "</tbody></table>")


def render_page(
    summary: Summary, overview: str, charts: Sequence[Chart], sections: Sequence[GroupSection],
) -> str:
    title = f"Framing report: {summary.source}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary_html(summary),
        '<h2 id="groups">Groups</h2>',
        overview,
        '<h2 id="charts">Charts</h2>',
        *(_chart_html(chart) for chart in charts),
        *([] if charts else ['<p class="empty">No group to draw.</p>']),
        '<h2 id="drill-down">Groups in detail</h2>',
        "<p>Each group's most frequent loaded terms, its reporting verbs by source kind, and "
        "its most framed articles. Open a group to read them.</p>",
        *(_section_html(section) for section in sections),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary_html(summary: Summary) -> str:
    versions = ", ".join(f"<code>{escape(version)}</code>" for version in summary.model_versions)
    items = [
        f"<li>Scores: <code>{escape(summary.source)}</code>, grouped by "
        f"{escape(summary.grouping)}.</li>",
        f"<li>Articles scored: <strong>{summary.articles:,}</strong>; errors (counted, never "
        f"averaged): <strong>{summary.errors:,}</strong>.</li>",
        f"<li>Groups: <strong>{summary.groups:,}</strong> with at least {summary.min_articles} "
        f"scored article{'s' if summary.min_articles != 1 else ''}"
        + (f" ({summary.left_out_groups:,} smaller groups left out)"
           if summary.left_out_groups else "")
        + f"; charts and details show the {summary.shown_groups:,} with the most articles.</li>",
        f"<li>Model versions: {versions or MISSING}.</li>",
    ]
    errors = ""
    if summary.error_messages:
        rows = "".join(f"<tr><td>{escape(message)}</td><td class=\"number\">{count:,}</td></tr>"
                       for message, count in summary.error_messages)
        errors = ('<table><caption>Most frequent errors</caption><thead><tr>'
                  '<th scope="col">error</th><th scope="col" class="number">articles</th>'
                  f"</tr></thead><tbody>{rows}</tbody></table>")
    return f'<section id="summary"><ul>{"".join(items)}</ul>{errors}</section>'


def _chart_html(chart: Chart) -> str:
    return (
        f'<section class="chart"><h3>{escape(chart.title)}</h3>'
        f"<figure>{chart.svg}<figcaption>{escape(chart.caption)}</figcaption></figure>"
        f"<details><summary>The numbers</summary>{chart.numbers}</details></section>"
    )


def _section_html(section: GroupSection) -> str:
    article = ""
    if section.article_html is not None:
        article = ("<details class=\"article\"><summary>The most framed article, "
                   f"highlighted</summary>{section.article_html}</details>")
    elif section.article_note:
        article = f'<p class="note">{escape(section.article_note)}</p>'
    return (
        f'<details class="group"><summary><strong>{escape(section.label)}</strong> — '
        f"{escape(section.headline)}</summary>"
        f"<h4>Most framed articles</h4>{section.most_framed}{article}"
        f"<h4>Most frequent loaded terms</h4>{section.terms}"
        f"<h4>Reporting verbs by source kind</h4>{section.reporting}</details>"
    )


def _align(column: Column) -> str:
    return "" if column.format == "text" else ' class="number"'


def _cell(value: Any, cell_format: CellFormat) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if cell_format == "text":
        return escape(str(value))
    if cell_format == "int":
        return f"{int(value):,}"
    if cell_format == "percent":
        return f"{float(value) * 100:.1f}%"
    return f"{float(value):.3f}"


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; vertical-align: top; }
th { background: #f4f4f4; } td.number, th.number { text-align: right;
       font-variant-numeric: tabular-nums; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #555; }
details { margin: 0.4rem 0; } details.group { border: 1px solid #ddd; padding: 0.4rem 0.8rem; }
details > summary { cursor: pointer; }
.note, .empty { color: #666; font-style: italic; }
"""
