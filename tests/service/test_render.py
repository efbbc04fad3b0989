"""The HTML renderer: well-formed whatever the spans' overlaps, nothing of the text lost or added,
everything escaped, self-contained, and a waterfall whose numbers add up to the logit."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.registry import Registry
from service.render import render_article, render_document
from service.render.markup import Element, paragraph_ranges, render_marked_text
from service.render.style import STYLESHEET
from service.schemas import ScoreResponse
from service.scoring import score_payload
from training.explain import Contribution, ScoreExplanation

CORE_DATASET = Path(__file__).resolve().parents[2] / "datasets" / "core"
VOID_TAGS = {"br", "meta", "img", "hr", "input", "link", "wbr", "col", "source"}
ARTICLE = (
    "Regime forces shelled the town again, the so-called ceasefire in tatters.\n\n"
    'Ali Hassan, a local doctor, said "the heroic volunteers saved dozens of lives".\n'
    "The ministry claimed the militants had fired first, an assertion critics dismissed "
    "as an outrageous lie.\n\n"
    "According to sources who asked not to be named, talks will resume next week."
)
HOSTILE = (
    'The official said "<script>alert(1)</script>" was posted.\n\n'
    'A user wrote " onmouseover="x and the so-called regime claimed <b>victory</b> & more.'
)


# --- parsing the output ----------------------------------------------------------------------

@dataclass
class Piece:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class ParsedPage:
    """The output read back with the stdlib parser: tags, nesting errors, and the article text
    (the ``slant-text`` block) with, for each of its elements, the text of all its pieces."""

    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)  # in document order
    ancestors: dict[int, list[Piece]] = field(default_factory=dict)  # piece → enclosing pieces


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self.stack: list[tuple[str, Piece | None]] = []
        self.text_depth: int | None = None  # stack depth of the slant-text block

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.page.tags.append((tag, values))
        inside = self.text_depth is not None
        if inside and tag == "br":
            self.handle_data("\n")
        if tag in VOID_TAGS:
            return
        piece = None
        if inside and tag == "p":
            self.page.paragraphs.append("")
        elif inside:
            piece = Piece(tag, values)
            self.page.ancestors[id(piece)] = [p for _, p in self.stack if p is not None]
            self.page.pieces.append(piece)
        self.stack.append((tag, piece))
        if "slant-text" in values.get("class", "").split():
            self.text_depth = len(self.stack)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else None
            self.page.errors.append(f"</{tag}> closes <{open_tag}>")
            return
        if self.text_depth == len(self.stack):
            self.text_depth = None
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.text_depth is None:
            return
        self.page.paragraphs[-1] += data
        for _, piece in self.stack:
            if piece is not None:
                piece.text += data


def parse(html: str) -> ParsedPage:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    if parser.stack:
        parser.page.errors.append(f"unclosed {[tag for tag, _ in parser.stack]}")
    return parser.page


def classes(piece: Piece) -> list[str]:
    return piece.attrs.get("class", "").split()


def span_texts(page: ParsedPage, css_class: str) -> dict[tuple[int, int], list[Piece]]:
    """The pieces of every element with ``css_class``, by their ``(data-start, data-end)``."""
    found: dict[tuple[int, int], list[Piece]] = defaultdict(list)
    for piece in page.pieces:
        if css_class in classes(piece):
            found[int(piece.attrs["data-start"]), int(piece.attrs["data-end"])].append(piece)
    return found


def without_separators(text: str, start: int, end: int) -> str:
    """``text[start:end]`` as the pieces of an element show it: paragraph breaks are between
    ``<p>`` elements, not inside any element."""
    kept: set[int] = set()
    for paragraph_start, paragraph_end in paragraph_ranges(text):
        kept.update(range(paragraph_start, paragraph_end))
    return "".join(text[i] for i in range(start, end) if i in kept)


def assert_faithful(response: ScoreResponse, page: ParsedPage) -> None:
    """Well-formed; the article text comes back exactly; every cue, sentence and attribution
    span is marked with its own offsets and its own words."""
    assert page.errors == []
    assert "\n\n".join(page.paragraphs) == response.text
    text = response.text
    marks = span_texts(page, "cue")
    for cue in response.cues:
        pieces = marks[cue.start, cue.end]
        assert pieces, f"cue {cue.text!r} at {cue.start} is not marked"
        assert all(piece.tag == "mark" for piece in pieces)
        assert "".join(p.text for p in pieces) == without_separators(text, cue.start, cue.end)
        first = pieces[0].attrs
        assert first["data-category"] == cue.category and first["data-voice"] == cue.voice
        assert first["data-term"] == cue.term
        assert float(first["data-probability"]) == pytest.approx(cue.probability, abs=5e-4)
        assert {f"cat-{cue.category}", f"voice-{cue.voice}"} <= set(classes(pieces[0]))
        assert all("cont" in classes(piece) for piece in pieces[1:])
    assert len(marks) == len({(cue.start, cue.end) for cue in response.cues})
    sentences = [p for p in page.pieces if "sentence" in classes(p) and "cont" not in classes(p)]
    numbers = [int(piece.attrs["data-sentence"]) for piece in sentences]
    assert numbers == list(range(len(response.sentences)))
    for piece, sentence in zip(sentences, response.sentences, strict=True):
        assert float(piece.attrs["data-bias"]) == pytest.approx(sentence.bias, abs=5e-4)
    verbs = span_texts(page, "attr-cue")
    sources = span_texts(page, "attr-source")
    for attribution in response.attributions:
        verb = attribution.cue
        verb_pieces = verbs[verb.start, verb.end]
        assert "".join(p.text for p in verb_pieces) == without_separators(
            text, verb.start, verb.end
        )
        assert f"stance-{verb.stance}" in classes(verb_pieces[0])
        if attribution.source is not None:
            source = attribution.source
            source_pieces = sources[source.start, source.end]
            assert "".join(p.text for p in source_pieces) == without_separators(
                text, source.start, source.end
            )
            assert source_pieces[0].attrs["data-name"] == source.name


# --- responses -------------------------------------------------------------------------------

Scorer = Callable[[str], ScoreResponse]


@pytest.fixture(scope="module")
def score(model_home: Path) -> Scorer:
    """Scores a text with the real model, trained once per test run (tests/conftest.py)."""
    model, manifest = Registry(model_home).load_active()

    def scored(text: str) -> ScoreResponse:
        return score_payload(model, manifest, text)

    return scored


def framed_core_articles(count: int) -> list[str]:
    """The first ``count`` framed articles of the project's data (they have cues to mark)."""
    texts = []
    for path in sorted(CORE_DATASET.glob("articles_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        texts += [row["text"] for row in rows
                  if row["level"] == "article" and row["label"].get("framing")]
    return texts[:count]


def spans_of(text: str, words: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return start, start + len(words)


# A cue inside a direct quote (attributed content), a cue crossing a sentence boundary and a
# line break, one crossing a paragraph break, two cues overlapping each other, a cue straddling a
# source's name and its reporting verb.
TEXT = (
    'Officials claimed the "so-called reform" worked. Critics said it was a disaster.\n'
    "Totally.\n\nThe regime denied it."
)


def contribution(
    feature: str, value: float, weight: float, *spans: tuple[int, int]
) -> Contribution:
    return Contribution(feature, value, weight, value * weight, tuple(spans))


def explanation(intercept: float, *contributions: Contribution) -> ScoreExplanation:
    logit = intercept + math.fsum(c.contribution for c in contributions)
    return ScoreExplanation(intercept, logit, contributions)


def hand_response(text: str = TEXT, **changes: object) -> ScoreResponse:
    so_called = spans_of(text, "so-called")
    reform_quote = spans_of(text, "so-called reform")
    disaster_totally = (text.index("disaster"), text.index("Totally") + len("Totally"))
    across_paragraphs = (text.index("Totally"), text.index("regime") + len("regime"))
    regime = spans_of(text, "regime")
    regime_denied = spans_of(text, "regime denied")
    officials_claimed = spans_of(text, "Officials claimed")
    sentence_ends = [text.index("worked.") + 7, text.index("disaster.") + 9,
                     text.index("Totally.") + 8, len(text)]
    sentence_starts = [0, text.index("Critics"), text.index("Totally"), text.index("The regime")]

    def cue(span: tuple[int, int], category: str, voice: str, term: str) -> dict[str, object]:
        return {"start": span[0], "end": span[1], "text": text[span[0]:span[1]], "term": term,
                "category": category, "voice": voice, "probability": 0.8125, "sentence": 0}

    framing = explanation(
        -1.0,
        contribution("cue:doubt:so-called", 1.0, 0.8, so_called),
        contribution("quoted_density:doubt", 0.5, 0.3, so_called),
        contribution("cue_density:demonizing", 2.0, 0.6, regime),
        contribution("attr:stance:distancing", 1.0, 0.9, spans_of(text, "claimed")),
        contribution("attr:stance:neutral", 1.0, -0.7, spans_of(text, "said")),
        contribution("sentences:mean_bias", 0.4, 2.5, (0, sentence_ends[0])),
    )
    body: dict[str, object] = {
        "model": {"version": "20260101-000000-abcdef", "trained_on": ["core"]},
        "text": text,
        "article": {"framing": framing.probability, "label": "framed",
                    "dimensions": {"loaded_language": 0.25, "doubt": 0.75, "glorification": 0.0,
                                   "demonization": 0.5, "attribution_imbalance": 1.0},
                    "leaning": None},
        "sentences": [{"start": s, "end": e, "bias": b} for s, e, b in
                      zip(sentence_starts, sentence_ends, (0.9, 0.3, 0.05, 0.6), strict=True)],
        "cues": [cue(so_called, "doubt", "quoted", "so-called"),
                 cue(disaster_totally, "exaggeration", "writer", "disaster totally"),
                 cue(across_paragraphs, "emotive", "writer", "totally regime"),
                 cue(regime, "demonizing", "writer", "regime"),
                 cue(regime_denied, "presupposition", "writer", "denied"),
                 cue(officials_claimed, "doubt", "reported", "claimed")],
        "attributions": [
            {"source": {"text": "Officials", "start": 0, "end": 9, "kind": "organization",
                        "name": "Officials"},
             "cue": {"text": "claimed", "start": 10, "end": 17, "stance": "distancing",
                     "term": "claim"},
             "content": {"start": reform_quote[0], "end": reform_quote[1], "direct": True},
             "sentence": 0},
            {"source": {"text": "Critics", "start": sentence_starts[1],
                        "end": sentence_starts[1] + 7, "kind": "vague", "name": "critics"},
             "cue": {"text": "said", "start": text.index("said"), "end": text.index("said") + 4,
                     "stance": "neutral", "term": "say"},
             "content": {"start": text.index("it was"), "end": sentence_ends[1] - 1,
                         "direct": False},
             "sentence": 1},
            {"source": None,
             "cue": {"text": "denied", "start": text.index("denied"),
                     "end": text.index("denied") + 6, "stance": "neutral", "term": "deny"},
             "content": None, "sentence": 3},
        ],
        "sources": [{"name": "Officials", "kind": "organization", "mentions": 1,
                     "stances": {"distancing": 1}},
                    {"name": "critics", "kind": "vague", "mentions": 1,
                     "stances": {"neutral": 1}}],
        "source_asymmetry": 0.5,
        "explanation": {
            "framing": framing,
            "dimension:doubt": explanation(0.2, contribution("ngram:so called", 1.0, 1.5,
                                                             reform_quote)),
        },
        "warnings": ["removed 1 boilerplate line: \"Top Stories\""],
    }
    body.update(changes)
    return ScoreResponse.model_validate(body)


# --- the article text --------------------------------------------------------------------------

@pytest.mark.parametrize("index", range(4))
def test_render_real_articles_keeps_every_character_and_span(score: Scorer, index: int) -> None:
    text = [ARTICLE, *framed_core_articles(3)][index]
    response = score(text)
    assert response.cues and response.attributions  # the test must see marks to mean anything
    page = parse(render_article(response))
    assert_faithful(response, page)


def test_render_overlapping_spans_closes_and_reopens_elements() -> None:
    response = hand_response()
    page = parse(render_article(response))
    assert_faithful(response, page)
    marks = span_texts(page, "cue")
    text = response.text
    # The cue across the sentence boundary and the line break: cut where the sentence ends.
    crossing = marks[text.index("disaster"), text.index("Totally") + 7]
    assert [p.text for p in crossing] == ["disaster", ".", "\n", "Totally"]
    # The cue across the paragraph break lives in two paragraphs; cues that start inside it
    # ("regime denied", "regime") nest in it without cutting it.
    across = marks[text.index("Totally"), text.index("regime") + 6]
    assert [p.text for p in across] == ["Totally", ".", "The regime"]
    # "regime" and "regime denied" overlap: the longer one encloses "regime".
    regime = marks[spans_of(text, "regime")][0]
    assert [classes(p)[0] for p in page.ancestors[id(regime)]][-2:] == ["cue", "cue"]
    # "so-called" sits inside the direct quote's content span, inside sentence 0.
    so_called = marks[spans_of(text, "so-called")][0]
    outer = page.ancestors[id(so_called)]
    assert [classes(p)[0] for p in outer][:2] == ["sentence", "attr-content"]
    assert "direct" in classes(outer[1]) and outer[1].attrs["data-direct"] == "true"
    # "Officials claimed" straddles the source and the reporting verb: split at their edges.
    assert [p.text for p in marks[spans_of(text, "Officials claimed")]] == [
        "Officials", " ", "claimed"
    ]


def test_cue_title_names_the_features_its_words_feed() -> None:
    page = parse(render_article(hand_response()))
    so_called = span_texts(page, "cue")[spans_of(TEXT, "so-called")][0]
    title = so_called.attrs["title"]
    assert title.splitlines()[0] == "doubt · quoted · probability 0.812"
    # Framing features first, by contribution, with their share of the framing logit; then a
    # feature only the doubt dimension reads (its span, the whole quote, includes the cue).
    # (sentences:mean_bias reads sentence 0, which includes the cue).
    assert title.splitlines()[2] == (
        "feeds: sentences:mean_bias (+1.000 framing logit), "
        "cue:doubt:so-called (+0.800 framing logit), "
        "quoted_density:doubt (+0.150 framing logit), ngram:so called"
    )
    regime = span_texts(page, "cue")[spans_of(TEXT, "regime")][0]
    assert "cue_density:demonizing (+1.200 framing logit)" in regime.attrs["title"]
    assert "cue:doubt:so-called" not in regime.attrs["title"]


@given(st.data())
def test_marked_text_is_well_formed_for_any_spans(data: st.DataObject) -> None:
    text = data.draw(st.text(alphabet="ab <&\"'\n", min_size=1, max_size=40))
    spans = data.draw(st.lists(
        st.tuples(st.integers(0, len(text)), st.integers(0, len(text)), st.integers(0, 3)),
        max_size=8,
    ))
    elements = [
        Element(start, end, "span", rank, ("e",), (("data-n", str(number)),))
        for number, (start, end, rank) in enumerate(spans) if start < end
    ]
    page = parse(f'<div class="slant-text">{render_marked_text(text, elements)}</div>')
    assert page.errors == []
    assert "\n\n".join(page.paragraphs) == text
    pieces: dict[int, list[Piece]] = defaultdict(list)
    for piece in page.pieces:
        pieces[int(piece.attrs["data-n"])].append(piece)
    assert set(pieces) == {int(dict(e.attributes)["data-n"]) for e in elements
                           if without_separators(text, e.start, e.end)}
    for element in elements:
        own = pieces.get(int(dict(element.attributes)["data-n"]), [])
        assert "".join(p.text for p in own) == without_separators(text, element.start, element.end)
        assert all("cont" in classes(piece) for piece in own[1:])


def test_hostile_text_is_shown_as_text(score: Scorer) -> None:
    response = score(HOSTILE)
    html = render_article(response)
    page = parse(html)
    assert_faithful(response, page)
    assert "<script" not in html.lower()
    assert {tag for tag, _ in page.tags} <= {
        "div", "style", "header", "strong", "span", "table", "tbody", "thead", "tr", "td", "th",
        "ul", "li", "h3", "p", "br", "mark", "section", "caption",
    }
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot; onmouseover=&quot;x" in html


def test_hostile_names_and_terms_are_escaped_in_attributes() -> None:
    hostile = '"><img src=x onerror=alert(1)>'
    body = json.loads(hand_response().model_dump_json())
    body["cues"][0]["term"] = hostile
    body["cues"][0]["category"] = hostile
    body["attributions"][0]["source"]["name"] = hostile
    body["sources"][0]["name"] = hostile
    body["model"]["version"] = "<script>x</script>"
    html = render_article(ScoreResponse.model_validate(body))
    page = parse(html)
    assert page.errors == []
    assert not any(tag in ("img", "script") for tag, _ in page.tags)
    assert not any("onerror" in attrs for _, attrs in page.tags)
    marks = span_texts(page, "cue")[spans_of(TEXT, "so-called")]
    assert marks[0].attrs["data-term"] == hostile
    assert "cat-img-src-x-onerror-alert-1" in classes(marks[0])


def test_output_is_self_contained_and_scoped(score: Scorer) -> None:
    html = render_document(render_article(score(ARTICLE)), title="x")
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "url(" not in html and "@import" not in html
    assert not re.search(r"\s(src|href)=", html)
    rules = re.sub(r"\{[^}]*\}", "\n", STYLESHEET)  # the selectors, one rule a line
    selectors = [s.strip() for line in rules.splitlines() for s in line.split(",") if s.strip()]
    assert selectors and all(s.startswith(".slant-article") for s in selectors)


# --- header, sources, waterfall ----------------------------------------------------------------

def test_header_shows_the_scores_leaning_and_model() -> None:
    leaning = {"label": "right", "probabilities": {"left": 0.2, "center": 0.3, "right": 0.5}}
    response = hand_response(article={
        **hand_response().article.model_dump(), "leaning": leaning,
    })
    page = parse(render_article(response))
    rows = {attrs["data-dimension"]: float(attrs["data-value"])
            for tag, attrs in page.tags if "data-dimension" in attrs}
    assert rows == response.article.dimensions.model_dump()
    verdict = next(attrs for _, attrs in page.tags if "data-framing" in attrs)
    assert float(verdict["data-framing"]) == response.article.framing
    html = render_article(response)
    assert "leaning <strong>right</strong>" in html
    assert '<td>center</td><td><span class="meter"><span style="width: 30.0%">' in html
    assert "model 20260101-000000-abcdef · trained on core" in html
    assert "removed 1 boilerplate line: &quot;Top Stories&quot;" in html
    assert 'class="leaning"' not in render_article(hand_response())


def test_sources_table_lists_stances_and_reporting_verbs() -> None:
    html = render_article(hand_response())
    rows = re.findall(r'<tr data-source="([^"]*)">(.*?)</tr>', html)
    assert [name for name, _ in rows] == ["Officials", "critics", ""]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for _, row in rows]
    # source, kind, mentions, neutral, endorsing, distancing, emotive, verbs
    assert cells[0][2:7] == ["1", "0", "0", "1", "0"]
    assert "claimed ×1" in cells[0][7] and "stance-distancing" in cells[0][7]
    assert cells[1][2:4] == ["1", "1"] and "said ×1" in cells[1][7]
    assert "(no named source)" in cells[2][0] and "denied ×1" in cells[2][7]


def waterfall_steps(html: str) -> list[tuple[str, float, str]]:
    return [
        (step, float(amount), label)
        for step, amount, label in re.findall(
            r'<tr[^>]* data-step="(\w+)" data-amount="([^"]+)"><td class="feature"[^>]*>([^<]*)<',
            html,
        )
    ]


@pytest.mark.parametrize("top", [0, 3, 10])
def test_waterfall_adds_up_to_the_logit(score: Scorer, top: int) -> None:
    response = score(ARTICLE)
    framing = response.explanation["framing"]
    assert len(framing.contributions) > top + 1  # an "other" step of several features
    html = render_article(response, top=top)
    steps = waterfall_steps(html)
    kinds = [kind for kind, _, _ in steps]
    assert kinds == ["intercept", *["feature"] * top, "other", "total"]
    assert steps[0][1] == framing.intercept and steps[-1][1] == framing.logit
    shown = [amount for kind, amount, _ in steps if kind == "feature"]
    assert shown == sorted(shown, key=lambda amount: -abs(amount))
    strongest = sorted(framing.contributions, key=lambda c: -abs(c.contribution))
    assert [label for kind, _, label in steps if kind == "feature"] == [
        c.feature for c in strongest[:top]
    ]
    other = steps[-2][1]
    assert other == math.fsum(c.contribution for c in strongest[top:])
    assert steps[-2][2] == f"other {len(strongest) - top} features"
    assert math.fsum([framing.intercept, *shown, other]) == pytest.approx(framing.logit, abs=1e-12)
    section = re.search(r'data-logit="([^"]+)" data-probability="([^"]+)"', html)
    assert section is not None
    assert float(section[1]) == framing.logit and float(section[2]) == framing.probability
    assert f"probability {framing.probability:.3f}" in html
    assert '<div class="axis-label">logit</div>' in html


def test_waterfall_of_another_score_without_other_step() -> None:
    response = hand_response()
    html = render_article(response, explanation="dimension:doubt")
    assert 'data-score="dimension:doubt"' in html
    steps = waterfall_steps(html)
    assert steps == [("intercept", 0.2, "intercept"), ("feature", 1.5, "ngram:so called"),
                     ("total", 0.2 + 1.5, "logit")]
    row = re.search(r'data-step="feature".*?</tr>', html)
    assert row is not None
    assert '<td class="words">so-called reform</td>' in row[0]
    assert 'class="bar raises"' in row[0]
    framing_rows = re.findall(r'data-step="feature".*?</tr>', render_article(response))
    assert sum('class="bar lowers"' in row for row in framing_rows) == 1  # attr:stance:neutral


def test_unknown_explanation_and_negative_top_are_refused() -> None:
    with pytest.raises(ValueError, match="no explanation named 'sentence:99'"):
        render_article(hand_response(), explanation="sentence:99")
    with pytest.raises(ValueError, match="top must be 0 or more"):
        render_article(hand_response(), top=-1)


def test_render_document_wraps_a_fragment_in_a_page() -> None:
    fragment = render_article(hand_response())
    page = render_document(fragment, title='Outlet <"A"> & co')
    assert page.startswith("<!doctype html>\n")
    assert '<meta charset="utf-8">' in page
    assert "<title>Outlet &lt;&quot;A&quot;&gt; &amp; co</title>" in page
    assert f"<body>\n{fragment}\n</body>" in page
    assert parse(page).errors == []
