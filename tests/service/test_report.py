"""The rich report: highlighted cues by category and voice, tables, top contributions."""

from __future__ import annotations

import io

from rich.console import Console

from service.registry import Manifest
from service.report import (
    TOP_CONTRIBUTIONS,
    contributions_table,
    cue_style,
    highlighted_text,
    leaning_summary,
    render_report,
)
from service.schemas import ScoreResponse
from service.scoring import score_payload
from tests.service.fakes import FakeModel

ARTICLE = 'The regime claimed victory. Ali Hassan said the "thugs" fled.'
MANIFEST = Manifest(
    version="20260101-000000-abcdef",
    created="2026-01-01T00:00:00+00:00",
    trained_on=["fake-data"],
    data=[],
    metrics={},
    lexicon_version="fake-1",
    libraries={},
    artifact_sha256="0" * 64,
)


def scored(text: str = ARTICLE) -> ScoreResponse:
    return score_payload(FakeModel(), MANIFEST, text)


def rendered(response: ScoreResponse) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render_report(response, console)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def test_cues_are_styled_by_category_and_voice() -> None:
    text = highlighted_text(scored())
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles == {"regime": "bold red", "thugs": "underline red"}
    assert cue_style("doubt", "reported") == "italic yellow"
    assert cue_style("unknown-category", "writer") == "bold white"


def test_plain_highlighting_marks_every_cue_and_keeps_the_rest() -> None:
    plain = highlighted_text(scored(), plain=True).plain
    assert plain == (
        'The [regime|demonizing] claimed victory. Ali Hassan said the '
        '"[thugs|demonizing|quoted]" fled.'
    )


def test_report_shows_every_section() -> None:
    output = rendered(scored())
    assert "framing 0.65  (framed)" in output  # σ(-1 + 2 × 0.8) = 0.646
    assert "demonization" in output
    # Without colours the cues are marked inline, with their category and non-writer voice.
    assert "The [regime|demonizing] claimed victory." in output
    assert '"[thugs|demonizing|quoted]" fled.' in output
    assert "categories: demonizing" in output and "voice: writer reported quoted" in output
    assert "Ali Hassan │ person │        1 │ neutral 1" in output
    assert "Ali Hassan — said (neutral)" in output
    assert "cue:demonizing:regime" in output
    assert "model 20260101-000000-abcdef · trained on fake-data" in output


def test_contributions_show_the_words_and_only_the_strongest() -> None:
    many = " ".join(f"Sentence {i} mentions the regime." for i in range(3))
    table = contributions_table(scored(many + " The alleged plot was shocking."))
    rows = list(zip(*(column.cells for column in table.columns), strict=True))
    assert rows[0][0] == "cue:demonizing:regime"
    assert (rows[0][1], rows[0][2], rows[0][4]) == ("3", "+0.800", "regime")
    assert len(rows) == 3
    assert len(rows) <= TOP_CONTRIBUTIONS


def test_leaning_summary_names_the_label_and_every_probability() -> None:
    leaning = {"label": "right", "probabilities": {"left": 0.21, "center": 0.3, "right": 0.49}}
    assert leaning_summary(leaning) == "right (left 0.21 · center 0.30 · right 0.49)"
