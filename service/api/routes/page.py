"""The review page: ``GET /`` shows the form, ``POST /`` (a plain form submission) scores the
pasted article and shows it rendered under the form.

Everything here answers HTML, errors included: a browser that submitted a form gets a page with
the reason and the right status (400, 413, 415, 422, 503), never a JSON body. The body is an
``application/x-www-form-urlencoded`` form, read with the API's capped reader and parsed with the
standard library, so no form-parsing dependency is needed. The responses forbid every script
(``Content-Security-Policy`` without ``script-src``): whatever an article contains, the browser
runs none of it, and the page itself needs none.
"""

from __future__ import annotations

from typing import get_args
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from service.api.body import check_text_length, decode_body, read_capped_body
from service.api.deps import ModelState, ModelStateDep, SettingsDep, loaded_model
from service.api.routes.score import keep_scored_text
from service.errors import ErrorCode, ServiceError
from service.logs import current_request_id
from service.render import render_article
from service.render.page import ArticleFormat, PageError, ReviewForm, render_review_page
from service.schemas import ScoreResponse
from service.scoring import LoadedModel, score_payload
from training.errors import NothingToScore

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
FORMATS: tuple[ArticleFormat, ...] = get_args(ArticleFormat)
# The form has two fields; a few more (a browser extension's) are tolerated, thousands are not.
MAX_FORM_FIELDS = 16
PAGE_HEADERS: dict[str, str] = {
    # No script-src: default-src 'none' forbids every script, the article's and any other.
    # The renderer's stylesheet and bars are inline styles, hence style-src 'unsafe-inline'.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A pasted article may be private: no cache keeps it.
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def review_page(state: ModelStateDep) -> HTMLResponse:
    """The empty form, the colour legend, and whether a model is there to score."""
    return page_response(ReviewForm(), state)


@router.post("/", response_class=HTMLResponse)
async def review_article(
    request: Request, settings: SettingsDep, state: ModelStateDep, background: BackgroundTasks
) -> HTMLResponse:
    """Score the submitted article and show it under the form (which keeps the text)."""
    form = ReviewForm()
    try:
        form = await read_review_form(request, settings.max_body_bytes)
        check_text_length(form.text, settings.max_text_chars)
        loaded = loaded_model(state)
        # Scoring and rendering are CPU work: off the event loop, like the sync API routes.
        response, fragment = await run_in_threadpool(score_and_render, loaded, form)
    except ServiceError as error:
        return error_page(form, state, error.code, error.message)
    except NothingToScore as error:
        return error_page(form, state, ErrorCode.nothing_to_score, f"Nothing to score: {error}.")
    if settings.keep_scored:
        background.add_task(
            keep_scored_text, request.app, settings, response.text, response.article.framing,
            loaded.manifest.version,
        )
    # FastAPI attaches ``background`` to the returned response: it runs after the answer.
    return page_response(form, state, result=fragment)


async def read_review_form(request: Request, max_body_bytes: int) -> ReviewForm:
    """The form's text and format; ``ServiceError`` for a body that is not such a form."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise ServiceError(
            ErrorCode.unsupported_media_type,
            f"The page accepts its own form ({FORM_MEDIA_TYPE}), not "
            f"{media_type or 'a body without a Content-Type'}; programs can use POST /v1/score.",
        )
    # A form body is percent-encoded ASCII; reading it as UTF-8 also accepts a client that sent
    # the characters unencoded.
    body = decode_body(await read_capped_body(request, max_body_bytes), "utf-8")
    try:
        fields = parse_qs(
            body,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError as error:
        raise ServiceError(
            ErrorCode.invalid_encoding,
            f"The form's text is not valid UTF-8 once decoded ({error.reason}).",
        ) from None
    except ValueError:  # parse_qs: more than max_num_fields fields
        raise ServiceError(
            ErrorCode.invalid_request, f"The form has more than {MAX_FORM_FIELDS} fields."
        ) from None
    article_format = fields.get("format", ["text"])[0]
    if article_format not in FORMATS:
        raise ServiceError(
            ErrorCode.invalid_request,
            f"The format must be one of {', '.join(FORMATS)}, not {article_format!r}.",
        )
    # Browsers submit a textarea's line breaks as CRLF; the text the user pasted had LF, and
    # counting it the same way as POST /v1/score would keeps the length limit the same.
    text = fields.get("text", [""])[0].replace("\r\n", "\n")
    return ReviewForm(text=text, format=article_format)


def score_and_render(loaded: LoadedModel, form: ReviewForm) -> tuple[ScoreResponse, str]:
    """The score response for the form's article (as ``POST /v1/score`` answers it) and its
    HTML from the one renderer."""
    response = score_payload(
        loaded.model, loaded.manifest, form.text, html=form.format == "html"
    )
    return response, render_article(response)


def error_page(
    form: ReviewForm, state: ModelState, code: ErrorCode, message: str
) -> HTMLResponse:
    error = PageError(code.value, message, current_request_id())
    return page_response(form, state, error=error, status_code=code.status)


def page_response(
    form: ReviewForm,
    state: ModelState,
    *,
    result: str | None = None,
    error: PageError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    html = render_review_page(
        form,
        result=result,
        error=error,
        model_version=state.manifest.version if state.manifest is not None else None,
        model_problem=state.problem,
    )
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)

