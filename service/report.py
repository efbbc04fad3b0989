"""The readable report of a score response, rendered with rich (no computation here)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from service.schemas import ScoreResponse

CATEGORY_COLORS: dict[str, str] = {
    "doubt": "yellow",
    "glorifying": "green",
    "demonizing": "red",
    "exaggeration": "magenta",
    "emotive": "bright_red",
    "hedge": "cyan",
    "presupposition": "blue",
}
DEFAULT_COLOR = "white"
# The writer's own words stand out; words inside quotes belong to the source and are underlined.
VOICE_STYLES: dict[str, str] = {"writer": "bold", "reported": "italic", "quoted": "underline"}
TOP_CONTRIBUTIONS = 10
SNIPPET_CHARS = 80
WORDS_PER_CONTRIBUTION = 4
WORD_CHARS = 40  # a sentence behind a contribution is shown by its opening words


def cue_style(category: str, voice: str) -> str:
    return f"{VOICE_STYLES.get(voice, '')} {CATEGORY_COLORS.get(category, DEFAULT_COLOR)}".strip()


def snippet(text: str, start: int, end: int, limit: int = SNIPPET_CHARS) -> str:
    words = " ".join(text[start:end].split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def header(response: ScoreResponse) -> Panel:
    article = response.article
    title = Text.assemble(
        ("framing ", "bold"),
        (f"{article.framing:.2f}", "bold red" if article.label == "framed" else "bold green"),
        f"  ({article.label})   source asymmetry {response.source_asymmetry:.2f}",
    )
    dimensions = Table(show_header=False, box=None, pad_edge=False)
    dimensions.add_column(style="dim")
    dimensions.add_column(justify="right")
    for name, value in article.dimensions.model_dump().items():
        dimensions.add_row(name.replace("_", " "), f"{value:.2f}")
    if article.leaning is not None:
        dimensions.add_row("leaning", leaning_summary(article.leaning))
    parts: list[Text | Table] = [title, dimensions]
    parts.extend(Text(f"warning: {warning}", style="yellow") for warning in response.warnings)
    model = f"model {response.model.version} · trained on {', '.join(response.model.trained_on)}"
    return Panel(Group(*parts), title="slant", subtitle=model, subtitle_align="right")


def leaning_summary(leaning: dict[str, Any]) -> str:
    """``right (left 0.21 · center 0.30 · right 0.49)``."""
    probabilities = leaning.get("probabilities", {})
    shares = " · ".join(f"{name} {value:.2f}" for name, value in probabilities.items())
    return f"{leaning.get('label')} ({shares})" if shares else str(leaning.get("label"))


def highlighted_text(response: ScoreResponse, *, plain: bool = False) -> Text:
    """The article with its cues styled.

    ``plain`` marks them inline instead, for output without colours (a pipe, a file,
    ``NO_COLOR``): ``[legendary|glorifying]``, ``[heroic|glorifying|quoted]``.
    """
    if not plain:
        text = Text(response.text)
        for cue in response.cues:
            text.stylize(cue_style(cue.category, cue.voice), cue.start, cue.end)
        return text
    pieces: list[str] = []
    position = 0
    for cue in sorted(response.cues, key=lambda c: c.start):
        voice = "" if cue.voice == "writer" else f"|{cue.voice}"
        pieces.append(response.text[position:cue.start])
        pieces.append(f"[{response.text[cue.start:cue.end]}|{cue.category}{voice}]")
        position = cue.end
    pieces.append(response.text[position:])
    return Text("".join(pieces))


def legend(response: ScoreResponse) -> Text:
    categories = sorted({cue.category for cue in response.cues}) or sorted(CATEGORY_COLORS)
    pieces: list[str | tuple[str, str]] = ["categories: "]
    for category in categories:
        pieces.extend([(category, cue_style(category, "writer")), " "])
    pieces.append("   voice: ")
    for voice, style in VOICE_STYLES.items():
        pieces.extend([(voice, style), " "])
    return Text.assemble(*pieces)


def sources_table(response: ScoreResponse) -> Table:
    table = Table(title="Sources", title_justify="left")
    for column in ("source", "kind", "mentions", "stances"):
        table.add_column(column, justify="right" if column == "mentions" else "left")
    for source in response.sources:
        stances = ", ".join(f"{stance} {count}" for stance, count in sorted(source.stances.items()))
        table.add_row(source.name, source.kind, str(source.mentions), stances)
    return table


def attributions_list(response: ScoreResponse) -> Text:
    lines = Text("Attributions\n", style="bold")
    if not response.attributions:
        lines.append("(none)\n", style="dim")
    for attribution in response.attributions:
        source = attribution.source.name if attribution.source else "(no source)"
        cue = attribution.cue
        lines.append(f"{source} — {cue.text} ({cue.stance})")
        if attribution.content is not None:
            content = attribution.content
            quote = snippet(response.text, content.start, content.end)
            lines.append(f" — “{quote}”" if content.direct else f" — {quote}", style="dim")
        lines.append("\n")
    return lines


def contributions_table(response: ScoreResponse, score: str = "framing") -> Table:
    explanation = response.explanation.get(score)
    table = Table(title=f"Why {score}", title_justify="left")
    for column in ("feature", "value", "weight", "contribution", "words"):
        table.add_column(column, justify="left" if column in ("feature", "words") else "right")
    if explanation is None:
        return table
    table.caption = (
        f"intercept {explanation.intercept:+.3f} + contributions = logit {explanation.logit:+.3f}"
        f" → probability {explanation.probability:.3f}"
    )
    strongest = sorted(explanation.contributions, key=lambda item: -abs(item.contribution))
    for item in strongest[:TOP_CONTRIBUTIONS]:
        words = list(dict.fromkeys(
            snippet(response.text, start, end, WORD_CHARS) for start, end in item.spans
        ))
        shown = ", ".join(words[:WORDS_PER_CONTRIBUTION])
        if len(words) > WORDS_PER_CONTRIBUTION:
            shown += f", … (+{len(words) - WORDS_PER_CONTRIBUTION})"
        table.add_row(
            item.feature,
            f"{item.value:.3g}",
            f"{item.weight:+.3f}",
            Text(f"{item.contribution:+.3f}", style="red" if item.contribution > 0 else "green"),
            shown,
        )
    return table


def render_report(response: ScoreResponse, console: Console) -> None:
    """Print the whole report: scores, highlighted text, sources, attributions, explanation."""
    console.print(header(response))
    console.print(highlighted_text(response, plain=console.color_system is None))
    console.print(legend(response))
    console.print()
    console.print(sources_table(response))
    console.print(attributions_list(response))
    console.print(contributions_table(response))
