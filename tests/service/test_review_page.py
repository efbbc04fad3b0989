"""The review page at ``/``: the form, its error pages and headers, and, end to end in headless
Chromium, a real article pasted, submitted and checked against ``POST /v1/score``'s answer.

The browser tests run the real app under uvicorn on a loopback port and drive Debian's
``chromium`` through Playwright's Python package; without either they are skipped (``.ci/run``
installs both). The HTTP tests below them need no browser.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.labels import LabelStore
from service.render import render_article
from service.schemas import ScoreResponse
from tests.conftest import CORE_DATASET, EXAMPLES
from tests.service.conftest import make_client, save_active
from tests.service.fakes import FakeModel

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
FORM = {"content-type": "application/x-www-form-urlencoded"}
SHORT_ARTICLE = (
    "The regime claimed the so-called reform was a success.\n\n"
    'Ali Hassan, a local doctor, said "the heroic volunteers saved dozens of lives".'
)
HOSTILE_ARTICLE = (
    "The so-called regime claimed victory, officials said.\n\n"
    "</textarea><script>window.__pwned = 1</script>\n\n"
    '<img src=x onerror="window.__pwned = 2; alert(1)"> was posted by the alleged thugs.\n\n'
    "Critics slammed the <b>shocking</b> & outrageous decision."
)
SCRIPT_LITERAL = "<script>window.__pwned = 1</script>"
IMG_LITERAL = '<img src=x onerror="window.__pwned = 2; alert(1)">'
SERVER_START_SECONDS = 120


def example_article() -> str:
    """A real article: the shared example when it is there, else the first framed article of
    the project's own data."""
    shared = EXAMPLES / "tasnim_iraq_fm.txt"
    if shared.exists():
        return shared.read_text(encoding="utf-8")
    for path in sorted(CORE_DATASET.glob("articles_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            example = json.loads(line)
            if example["level"] == "article" and example["label"]["framing"]:
                return str(example["text"])
    pytest.skip("no article to paste: neither the shared examples nor datasets/core are here")


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def error_code_on(response: httpx.Response) -> str:
    """The code of the page's error notice (there is exactly one)."""
    assert response.text.count('class="notice error"') == 1, response.text[-2000:]
    marker = 'data-code="'
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index('"', start)]


# --- the live server and the browser ---------------------------------------------------------


@pytest.fixture(scope="module")
def live_server(model_home: Path) -> Iterator[str]:
    """The real app under uvicorn, on a free loopback port, serving the session model."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        create_app(Settings(home=model_home)), log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install "
        "'.[dev]')"
    )
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One browser context on the live server, recording every request and dialog."""

    def __init__(self, browser: Any, origin: str, *, scripts: bool) -> None:
        self.origin = origin
        self.context = browser.new_context(java_script_enabled=scripts)
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.on("dialog", self._dismiss)
        self.page.on("console", lambda message: self.console.append(message.text))

    def _dismiss(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def submit(self, text: str, article_format: str = "text") -> None:
        """Open ``/``, paste ``text``, pick the format, click the button, wait for the answer."""
        self.page.goto(self.origin + "/")
        self.page.fill("textarea[name=text]", text)
        self.page.check(f"input[name=format][value={article_format}]")
        with self.page.expect_response(lambda response: response.request.method == "POST"):
            self.page.click("button[type=submit]")
        self.page.wait_for_selector("#result .slant-text")

    def foreign_requests(self) -> list[str]:
        expected = urlsplit(self.origin)
        return [
            url for url in self.requests
            if (urlsplit(url).scheme, urlsplit(url).netloc) != (expected.scheme, expected.netloc)
        ]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit_factory(chromium: Any, live_server: str) -> Iterator[Any]:
    visits: list[Visit] = []

    def open_visit(*, scripts: bool) -> Visit:
        visits.append(Visit(chromium, live_server, scripts=scripts))
        return visits[-1]

    yield open_visit
    for visit in visits:
        visit.close()


def api_score(origin: str, text: str, article_format: str = "text") -> dict[str, Any]:
    response = httpx.post(
        origin + "/v1/score", json={"text": text, "format": article_format}, timeout=120
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


CUE_PIECES_SCRIPT = """marks => marks.map(mark => ({
    start: Number(mark.dataset.start), end: Number(mark.dataset.end),
    category: mark.dataset.category, voice: mark.dataset.voice,
    probability: mark.dataset.probability, title: mark.title,
    text: mark.textContent, continued: mark.classList.contains("cont")}))"""
SOURCE_ROWS_SCRIPT = """rows => rows.map(row => ({
    name: row.dataset.source, cells: Array.from(row.cells, cell => cell.textContent)}))"""


def cues_on_page(page: Any) -> dict[tuple[int, int, str, str], dict[str, Any]]:
    """Every cue marked on the page, its pieces (a cue cut by a crossing span) joined."""
    cues: dict[tuple[int, int, str, str], dict[str, Any]] = {}
    for piece in page.locator("#result mark.cue").evaluate_all(CUE_PIECES_SCRIPT):
        key = (piece["start"], piece["end"], piece["category"], piece["voice"])
        if key in cues:
            assert piece["continued"], f"a second, unmarked piece of {key}"
            cues[key]["text"] += piece["text"]
        else:
            assert not piece["continued"], f"a continued piece of {key} before its first piece"
            cues[key] = dict(piece)
    return cues


# --- end to end in the browser ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("scripts", [False, True], ids=["scripts-disabled", "scripts-enabled"])
def test_pasted_article_shows_the_apis_cues_sources_scores_and_waterfall(
    visit_factory: Any, live_server: str, scripts: bool
) -> None:
    article = example_article()
    visit = visit_factory(scripts=scripts)
    visit.submit(article)
    page = visit.page
    answer = api_score(live_server, article)
    text = answer["text"]

    # The cues: the same spans, categories and voices, each marking exactly its own words,
    # its hover title naming its probability.
    marked = cues_on_page(page)
    expected = Counter((c["start"], c["end"], c["category"], c["voice"]) for c in answer["cues"])
    assert expected, "the example article should have cues"
    assert max(expected.values()) == 1, "two cues of the API with the same span and kind"
    assert sorted(marked) == sorted(expected)
    for cue in answer["cues"]:
        shown = marked[(cue["start"], cue["end"], cue["category"], cue["voice"])]
        assert shown["text"] == text[cue["start"] : cue["end"]] == cue["text"]
        assert shown["probability"] == f"{cue['probability']:.3f}"
        assert f"probability {cue['probability']:.3f}" in shown["title"]
        assert shown["title"].startswith(f"{cue['category']} · {cue['voice']}")

    # The sources table: one row per source of the API's answer, in its order, with its kind,
    # mentions and the count of each stance under the column of that stance.
    headers = page.locator("#result table.sources thead th").all_text_contents()
    rows = page.locator("#result table.sources tbody tr[data-source]").evaluate_all(
        SOURCE_ROWS_SCRIPT
    )
    named_rows = [row for row in rows if row["name"]]
    assert answer["sources"], "the example article should quote sources"
    assert [row["name"] for row in named_rows] == [s["name"] for s in answer["sources"]]
    for row, source in zip(named_rows, answer["sources"], strict=True):
        cells = dict(zip(headers, row["cells"], strict=True))
        assert (cells["source"], cells["kind"]) == (source["name"], source["kind"])
        assert int(cells["mentions"]) == source["mentions"]
        for stance, count in source["stances"].items():
            assert int(cells[stance]) == count

    # The scores and the explanation: the API's framing and logit, to the last bit.
    verdict = page.locator("#result .verdict")
    assert float(verdict.get_attribute("data-framing")) == answer["article"]["framing"]
    assert f"{answer['article']['framing']:.2f}" in verdict.inner_text()
    waterfall = page.locator('#result section.slant-explanation[data-score="framing"]')
    framing = answer["explanation"]["framing"]
    assert float(waterfall.get_attribute("data-logit")) == framing["logit"]
    total = waterfall.locator('tr[data-step="total"]')
    assert float(total.get_attribute("data-amount")) == framing["logit"]
    assert waterfall.locator('tr[data-step="feature"]').count() == min(
        15, len(framing["contributions"])
    )
    # One margin bar per sentence, with the sentence's bias.
    biases = page.locator("#result .sentence:not(.cont)").evaluate_all(
        "spans => spans.map(span => span.dataset.bias)"
    )
    assert biases == [f"{sentence['bias']:.3f}" for sentence in answer["sentences"]]

    # The form kept the article, and the page asked nothing of anyone but its own server.
    assert page.input_value("textarea[name=text]") == article
    assert visit.foreign_requests() == []
    assert not any("Content Security Policy" in message for message in visit.console)


@pytest.mark.slow
@pytest.mark.parametrize("article_format", ["text", "html"])
def test_scripts_in_an_article_never_run(
    visit_factory: Any, live_server: str, article_format: str
) -> None:
    visit = visit_factory(scripts=True)
    visit.submit(HOSTILE_ARTICLE, article_format)
    page = visit.page
    assert page.evaluate("window.__pwned") is None
    assert visit.dialogs == []
    # The <img> was never an element: nothing asked for its src.
    assert not any(urlsplit(url).path == "/x" for url in visit.requests)
    assert visit.foreign_requests() == []
    assert page.locator("#result img, #result script, script").count() == 0
    # The textarea was not closed early by the pasted "</textarea>": it holds the whole text.
    assert page.input_value("textarea[name=text]") == HOSTILE_ARTICLE
    shown = page.locator("#result .slant-text").text_content()
    if article_format == "text":
        assert SCRIPT_LITERAL in shown and IMG_LITERAL in shown and "<b>shocking</b>" in shown
    else:  # read as HTML: the tags are markup of the article, dropped, never executed
        assert "window.__pwned" not in shown and "shocking" in shown
    answer = api_score(live_server, HOSTILE_ARTICLE, article_format)
    assert shown.replace("\n", "") == answer["text"].replace("\n", "")


# --- over HTTP, no browser -------------------------------------------------------------------


@pytest.fixture
def small_client(model_home: Path) -> Iterator[TestClient]:
    with make_client(model_home, max_body_bytes=1000, max_text_chars=100) as test_client:
        yield test_client


def test_form_page_has_the_form_the_legend_and_no_script(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert_page_headers(response)
    page = response.text
    assert '<form method="post" accept-charset="utf-8"' in page
    assert '<textarea id="text" name="text"' in page
    assert '<input type="radio" name="format" value="text" checked>' in page
    assert '<input type="radio" name="format" value="html">' in page
    assert '<button type="submit">' in page
    assert '<div class="legend">' in page and 'class="swatch cat-demonizing voice-writer"' in page
    assert "Scored by model " in page
    assert "<script" not in page.lower() and 'id="result"' not in page


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-security-policy"] == CSP


def test_submitted_page_shows_exactly_the_renderers_html_of_the_apis_answer(
    client: TestClient,
) -> None:
    page = client.post("/", data={"text": SHORT_ARTICLE, "format": "text"})
    assert page.status_code == 200
    assert_page_headers(page)
    answer = ScoreResponse.model_validate(client.post("/v1/score", json={"text": SHORT_ARTICLE})
                                          .json())
    assert f'<section id="result" aria-label="scored article">{render_article(answer)}</section>' \
        in page.text
    assert answer.cues and page.text.count('<mark class="cue ') >= len(answer.cues)


def test_pasted_text_is_escaped_in_the_textarea_and_shown_as_text(client: TestClient) -> None:
    page = client.post("/", data={"text": HOSTILE_ARTICLE, "format": "text"}).text
    textarea = page[page.index("<textarea") : page.index("</textarea>") + len("</textarea>")]
    assert "&lt;/textarea&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in textarea
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=&quot;window.__pwned = 2; alert(1)&quot;&gt;" in page


def test_crlf_line_breaks_of_a_browser_count_like_the_pasted_text(
    small_client: TestClient,
) -> None:
    # 96 characters with LF; 98 as a browser submits them (CRLF): still within 100.
    text = "Regime forces shelled the town.\n\nThe so-called ceasefire is over." + "x" * 31
    assert len(text) == 96
    response = small_client.post("/", data={"text": text.replace("\n", "\r\n")})
    assert response.status_code == 200, response.text[-1500:]
    assert 'id="result"' in response.text


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"text=&format=text", None, 400, "nothing_to_score"),
        (b"text=+%0A%09+&format=text", None, 400, "nothing_to_score"),
        (b"format=text", None, 400, "nothing_to_score"),
        (b"text=%FF%FE&format=text", None, 400, "invalid_encoding"),
        (b"text=caf\xe9", None, 400, "invalid_encoding"),
        (b"text=Regime&format=pdf", None, 422, "invalid_request"),
        (b"&".join(b"f%d=1" % n for n in range(40)), None, 422, "invalid_request"),
        (b'{"text": "The regime fell."}', "application/json", 415, "unsupported_media_type"),
        (b"The regime fell.", "text/plain", 415, "unsupported_media_type"),
        (b"--b\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b", 415,
         "unsupported_media_type"),
    ],
)
def test_bad_submissions_are_html_error_pages(
    client: TestClient, body: bytes, content_type: str | None, status: int, code: str
) -> None:
    response = client.post("/", content=body, headers={"content-type": content_type or FORM[
        "content-type"]})
    assert response.status_code == status
    assert_page_headers(response)
    assert error_code_on(response) == code
    assert f"(request {response.headers['x-request-id']})" in response.text
    assert 'id="result"' not in response.text and '<textarea id="text"' in response.text


def test_text_over_the_limit_is_413_and_stays_in_the_form(small_client: TestClient) -> None:
    text = "The regime & its so-called reform. " * 3  # 105 characters, limit 100
    response = small_client.post("/", data={"text": text, "format": "text"})
    assert response.status_code == 413
    assert error_code_on(response) == "payload_too_large"
    assert "The text has 105 characters; the limit is 100." in response.text
    assert f"\n{text.replace('&', '&amp;')}</textarea>" in response.text


@pytest.mark.parametrize("declared", [True, False], ids=["by-content-length", "by-bytes-read"])
def test_body_over_the_limit_is_413(small_client: TestClient, declared: bool) -> None:
    body = b"text=" + b"a" * 2000

    def chunks() -> Iterator[bytes]:
        yield body[:900]
        yield body[900:]

    response = small_client.post("/", content=body if declared else chunks(), headers=FORM)
    assert response.status_code == 413
    assert_page_headers(response)
    assert error_code_on(response) == "payload_too_large"
    assert "larger than 1000 bytes" in response.text


def test_without_a_model_the_form_warns_and_a_submission_is_503(
    empty_client: TestClient,
) -> None:
    form = empty_client.get("/")
    assert form.status_code == 200
    assert 'class="notice warning" role="status">Articles cannot be scored right now' in form.text
    response = empty_client.post("/", data={"text": SHORT_ARTICLE, "format": "html"})
    assert response.status_code == 503
    assert_page_headers(response)
    assert error_code_on(response) == "model_not_loaded"
    assert '<input type="radio" name="format" value="html" checked>' in response.text
    assert "the so-called reform was a success." in response.text


def test_page_is_not_an_operation_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert "/v1/score" in paths


def test_scored_page_texts_are_kept_when_asked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    version = save_active(home, FakeModel())
    with make_client(home, keep_scored=True) as test_client:
        assert test_client.post("/", data={"text": SHORT_ARTICLE}).status_code == 200
        assert test_client.post("/", data={"text": " "}).status_code == 400
    store = LabelStore.open(home)
    try:
        kept = store.suggest(5)
    finally:
        store.close()
    assert [(item.text, item.model_version) for item in kept] == [
        (FakeModel().score(SHORT_ARTICLE)["text"], version)
    ]
