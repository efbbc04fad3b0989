"""A scored article as one self-contained HTML fragment (and a standalone page around it).

The renderer only reads a ``ScoreResponse``: every number shown is the response's own. The
fragment has no script and no external resource, and its stylesheet is scoped under
``.slant-article``, so notebooks (``IPython.display.HTML``), the outlet report and the review
page can all embed it as it is.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any, get_args

from service.render.layers import article_elements, css_name
from service.render.markup import render_marked_text
from service.render.style import (
    BIAS_STEP_COLORS,
    CATEGORY_COLORS,
    ROOT_CLASS,
    SOURCE_KIND_COLORS,
    STANCE_COLORS,
    STYLESHEET,
    VOICE_STYLES,
)
from service.render.waterfall import render_waterfall
from service.schemas import ScoreResponse, Stance

STANCES: tuple[str, ...] = get_args(Stance)
DIMENSION_NAMES: dict[str, str] = {
    "loaded_language": "loaded language",
    "doubt": "doubt",
    "glorification": "glorification",
    "demonization": "demonization",
    "attribution_imbalance": "attribution imbalance",
}


def render_article(response: ScoreResponse, *, explanation: str = "framing", top: int = 15) -> str:
    """The scored article as an HTML fragment ``<div class="slant-article">…</div>``.

    Sections: the scores (framing, the five dimensions, the leaning when there is one, the model
    version); a legend; the text with sentences, attributions and cues marked (hover a word for
    its category, voice, probability and the explanation features it feeds); the sources; and
    the explanation named ``explanation`` (a key of ``response.explanation``: ``"framing"``,
    ``"dimension:<name>"``, ``"sentence:<i>"``) as a waterfall of its ``top`` largest
    contributions, the rest summed in one step.

    Raises ``ValueError`` for an unknown explanation or a negative ``top``.
    """
    if explanation not in response.explanation:
        known = ", ".join(sorted(response.explanation)) or "none"
        raise ValueError(f"no explanation named {explanation!r} in the response (known: {known})")
    if top < 0:
        raise ValueError(f"top must be 0 or more, got {top}")
    return (
        f'<div class="{ROOT_CLASS}"><style>{STYLESHEET}</style>'
        f"{render_header(response)}"
        f"{render_legend(response)}"
        "<h3>Article</h3>"
        f'<div class="slant-text">{render_marked_text(response.text, article_elements(response))}'
        "</div>"
        f"{render_sources(response)}"
        f"{render_waterfall(response, explanation, top=top)}"
        "</div>"
    )


def render_document(fragment: str, *, title: str) -> str:
    """A complete HTML5 page around ``fragment`` (e.g. ``render_article``'s), for reports."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )


def _meter(value: float, css_class: str = "") -> str:
    """A 0–1 value as a bar; the value itself is printed next to it."""
    width = min(max(value, 0.0), 1.0) * 100
    return (
        f'<span class="{" ".join(("meter", css_class)).strip()}">'
        f'<span style="width: {width:.1f}%"></span></span> '
        f'<span class="num">{value:.2f}</span>'
    )


def render_header(response: ScoreResponse) -> str:
    article = response.article
    verdict = "framed" if article.label == "framed" else "not-framed"
    rows = "".join(
        f'<tr data-dimension="{escape(name, quote=True)}" data-value="{value!r}">'
        f"<td>{escape(DIMENSION_NAMES.get(name, name))}</td><td>{_meter(value)}</td></tr>"
        for name, value in article.dimensions.model_dump().items()
    )
    model = response.model
    trained_on = ", ".join(model.trained_on) or "unknown data"
    warnings = "".join(f"<li>{escape(warning)}</li>" for warning in response.warnings)
    return (
        '<header class="slant-header">'
        f'<div class="verdict {verdict}" data-framing="{article.framing!r}">framing '
        f"<strong>{article.framing:.2f}</strong> {escape(article.label)} "
        f'{_meter(article.framing, "framing")}</div>'
        f'<table class="dimensions"><tbody>{rows}</tbody></table>'
        f"{render_leaning(article.leaning)}"
        f'<div class="muted">source asymmetry {response.source_asymmetry:.2f} · '
        f"{len(response.cues)} cues · {len(response.attributions)} attributions · "
        f"{len(response.sentences)} sentences</div>"
        f'<div class="muted model">model {escape(model.version)} · trained on '
        f"{escape(trained_on)}</div>"
        + (f'<ul class="warnings">{warnings}</ul>' if warnings else "")
        + "</header>"
    )


def render_leaning(leaning: dict[str, Any] | None) -> str:
    """The outlet leaning (label and class probabilities), when a leaning model answered."""
    if leaning is None:
        return ""
    probabilities: dict[str, Any] = leaning.get("probabilities") or {}
    rows = "".join(
        f"<tr><td>{escape(str(name))}</td><td>{_meter(float(value))}</td></tr>"
        for name, value in probabilities.items()
    )
    return (
        f'<div class="leaning">leaning <strong>{escape(str(leaning.get("label")))}</strong>'
        f"<table><tbody>{rows}</tbody></table></div>"
    )


def render_legend(response: ScoreResponse) -> str:
    categories = list(CATEGORY_COLORS)
    categories += sorted({cue.category for cue in response.cues} - set(categories))
    category_samples = "".join(
        f'<span class="swatch cat-{css_name(name)} voice-writer">{escape(name)}</span>'
        for name in categories
    )
    voice_samples = "".join(
        f'<span class="swatch cat-doubt voice-{voice}" title="{escape(style)}">{voice}</span>'
        for voice, style in VOICE_STYLES.items()
    )
    stance_samples = "".join(
        f'<span class="attr-cue stance-{stance}">{stance}</span> ' for stance in STANCE_COLORS
    )
    kind_samples = "".join(
        f'<span class="attr-source kind-{kind}">{kind}</span> ' for kind in SOURCE_KIND_COLORS
    )
    bias_samples = "".join(
        f'<span class="bias-sample bias-{step}" style="width: {(step + 1) * 0.52:.2f}em"></span>'
        for step in range(len(BIAS_STEP_COLORS))
    )
    return (
        '<div class="legend">'
        f'<div><span class="key">cue category</span>{category_samples}</div>'
        f'<div><span class="key">cue voice</span>{voice_samples}'
        '<span class="muted">writer: filled, solid · reported: dotted · quoted: dashed</span></div>'
        f'<div><span class="key">reporting cue stance</span>{stance_samples}</div>'
        f'<div><span class="key">source kind</span>{kind_samples}</div>'
        f'<div><span class="key">sentence bias</span>{bias_samples}'
        '<span class="muted">margin bar: longer and redder is more biased (0–1)</span></div>'
        '<div><span class="key">reported content</span><span class="attr-content direct">'
        'direct quote</span> <span class="attr-content indirect">indirect</span></div>'
        "</div>"
    )


def _verbs_by_source(response: ScoreResponse) -> dict[str | None, Counter[tuple[str, str]]]:
    """Reporting cues per source name (``None``: attributions without a source)."""
    verbs: dict[str | None, Counter[tuple[str, str]]] = {}
    for attribution in response.attributions:
        name = attribution.source.name if attribution.source else None
        cue = attribution.cue
        verbs.setdefault(name, Counter())[(cue.text.casefold(), cue.stance)] += 1
    return verbs


def _verb_list(counts: Counter[tuple[str, str]]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(
        f'<span class="verb stance-{css_name(stance)}" title="{escape(stance, quote=True)}">'
        f"{escape(verb)} ×{count}</span>"
        for (verb, stance), count in ordered
    )


def render_sources(response: ScoreResponse) -> str:
    """Who is reported, how often, with which stances and which reporting verbs."""
    stances = list(STANCES)
    stances += sorted({s for source in response.sources for s in source.stances} - set(stances))
    verbs = _verbs_by_source(response)
    head = "".join(f'<th class="num">{escape(stance)}</th>' for stance in stances)
    rows = []
    for source in response.sources:
        counts = "".join(
            f'<td class="num">{source.stances.get(stance, 0)}</td>' for stance in stances
        )
        rows.append(
            f'<tr data-source="{escape(source.name, quote=True)}">'
            f"<td>{escape(source.name)}</td>"
            f'<td><span class="attr-source kind-{css_name(source.kind)}">'
            f"{escape(source.kind)}</span></td>"
            f'<td class="num">{source.mentions}</td>{counts}'
            f"<td>{_verb_list(verbs.get(source.name, Counter()))}</td></tr>"
        )
    if None in verbs:
        unnamed = verbs[None]
        rows.append(
            '<tr data-source=""><td class="muted">(no named source)</td><td></td>'
            f'<td class="num">{sum(unnamed.values())}</td>'
            + "<td></td>" * len(stances)
            + f"<td>{_verb_list(unnamed)}</td></tr>"
        )
    body = "".join(rows) or (
        f'<tr><td class="muted" colspan="{len(stances) + 4}">no attributed sources</td></tr>'
    )
    return (
        '<section class="slant-sources"><h3>Sources</h3><table class="sources">'
        f'<thead><tr><th>source</th><th>kind</th><th class="num">mentions</th>{head}'
        f"<th>reporting cues</th></tr></thead><tbody>{body}</tbody></table></section>"
    )
