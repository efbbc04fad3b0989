"""The review page at ``/``: a form to paste an article, and the scored article under it.

Markup only: the route (``service/api/routes/page.py``) reads the form and scores; this module
turns what it has (the form's values, the fragment ``render_article`` made, an error) into one
page. What the user typed is escaped here, and the article is only ever shown through
``render_article``, which escapes it too. The page has no script: the form works with scripts
disabled, and the page's Content-Security-Policy forbids every script anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Literal

from service.render.article import render_document, render_legend
from service.render.style import ROOT_CLASS, STYLESHEET
from service.schemas import ScoreResponse

PAGE_TITLE = "slant · review an article"
ArticleFormat = Literal["text", "html"]
FORMAT_CHOICES: dict[ArticleFormat, str] = {"text": "plain text", "html": "HTML"}
TEXTAREA_ROWS = 14

# The page's own rules, scoped under ``.slant-page`` like the article's under ``.slant-article``.
PAGE_STYLESHEET = """
body { margin: 0; background: #fafafa; }
.slant-page { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
  max-width: 62em; margin: 0 auto; padding: 1em 1.5em 3em; }
.slant-page h1 { font-size: 1.4em; margin: .2em 0; }
.slant-page h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
.slant-page .intro, .slant-page .model { color: #555; margin: .2em 0 .8em; }
.slant-page form { background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: .8em 1em; }
.slant-page label[for="text"] { display: block; font-weight: 600; margin-bottom: .3em; }
.slant-page textarea { box-sizing: border-box; width: 100%; font: inherit; font-size: .95em;
  padding: .4em; border: 1px solid #bbb; border-radius: 4px; resize: vertical; }
.slant-page fieldset { border: 0; padding: 0; margin: .5em 0; display: inline-block; }
.slant-page legend { float: left; margin-right: .6em; color: #555; }
.slant-page fieldset label { margin-right: 1em; }
.slant-page button { font: inherit; padding: .3em 1.4em; margin-left: 1em; cursor: pointer; }
.slant-page .notice { border-radius: 6px; padding: .6em .9em; margin: .8em 0; }
.slant-page .notice.error { background: #fdecea; border: 1px solid #e0a39c; color: #7a1c12; }
.slant-page .notice.warning { background: #fff6e0; border: 1px solid #e6c77a; color: #6b4e00; }
.slant-page .notice .request-id { color: #777; font-size: .85em; }
.slant-page #result { background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: .2em 1em 1em; margin-top: 1em; }
"""


@dataclass(frozen=True, slots=True)
class ReviewForm:
    """What the form holds: the pasted article and how to read it."""

    text: str = ""
    format: ArticleFormat = "text"


@dataclass(frozen=True, slots=True)
class PageError:
    """Why a submitted article was not scored: a stable code (``service.errors.ErrorCode``)
    and a sentence for the reader."""

    code: str
    message: str
    request_id: str | None = None


def render_review_page(
    form: ReviewForm,
    *,
    result: str | None = None,
    error: PageError | None = None,
    model_version: str | None = None,
    model_problem: str | None = None,
) -> str:
    """The whole page: the form filled with ``form``, then ``error`` or ``result`` (a fragment
    from ``render_article``). Without a result the colour legend is shown on its own, so a
    first-time reader learns the colours before pasting anything."""
    parts = [
        f"<style>{PAGE_STYLESHEET.strip()}</style>",
        '<main class="slant-page">',
        "<h1>Review an article</h1>",
        '<p class="intro">Paste a news article (plain text or HTML) to see its loaded words '
        "by category and voice, who is quoted with which reporting verbs, the bias of each "
        "sentence, the article's scores and the explanation of its framing score.</p>",
        render_model_line(model_version, model_problem),
        render_form(form),
    ]
    if error is not None:
        parts.append(render_error(error))
    if result is not None:
        parts.append(f'<section id="result" aria-label="scored article">{result}</section>')
    else:
        parts.append(render_colour_key())
    parts.append("</main>")
    return render_document("".join(parts), title=PAGE_TITLE)


def render_model_line(model_version: str | None, model_problem: str | None) -> str:
    if model_version is not None:
        return f'<p class="model">Scored by model {escape(model_version)}.</p>'
    problem = model_problem or "no model is loaded"
    return (
        '<div class="notice warning" role="status">Articles cannot be scored right now: '
        f"{escape(problem)}.</div>"
    )


def render_form(form: ReviewForm) -> str:
    # No ``action``: the form posts back to the page's own address, wherever it is mounted.
    choices = "".join(
        f'<label><input type="radio" name="format" value="{value}"'
        f'{" checked" if value == form.format else ""}> {label}</label>'
        for value, label in FORMAT_CHOICES.items()
    )
    # The newline after <textarea> is dropped by the parser; without it a text that starts
    # with a newline would lose it on every round trip.
    return (
        '<form method="post" accept-charset="utf-8" class="review-form">'
        '<label for="text">Article</label>'
        f'<textarea id="text" name="text" rows="{TEXTAREA_ROWS}" spellcheck="false">\n'
        f"{escape(form.text)}</textarea>"
        f"<fieldset><legend>Format</legend>{choices}</fieldset>"
        '<button type="submit">Score the article</button>'
        "</form>"
    )


def render_error(error: PageError) -> str:
    request_id = (
        f' <span class="request-id">(request {escape(error.request_id)})</span>'
        if error.request_id
        else ""
    )
    return (
        f'<div class="notice error" role="alert" data-code="{escape(error.code, quote=True)}">'
        f"<strong>Not scored.</strong> {escape(error.message)}{request_id}</div>"
    )


def render_colour_key() -> str:
    """The renderer's own legend, inside its scoped root so its rules apply."""
    # The legend only reads the response's cues (to list categories beyond the known ones);
    # an unvalidated response without cues gives the legend of the known categories.
    no_cues = ScoreResponse.model_construct(cues=[])
    return (
        '<section class="colour-key"><h2>Colours</h2>'
        f'<div class="{ROOT_CLASS}"><style>{STYLESHEET}</style>{render_legend(no_cues)}</div>'
        "</section>"
    )
