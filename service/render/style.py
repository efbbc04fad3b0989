"""The colours and the stylesheet of the HTML rendering, in one place.

Every rule is scoped under ``ROOT_CLASS`` so a rendered article can sit inside a notebook cell or
another page without restyling it. The colour tables are the CSS counterpart of the terminal
report's ``CATEGORY_COLORS`` (``service/report.py``): the same hue for the same category.
"""

from __future__ import annotations

from string import Template

ROOT_CLASS = "slant-article"

# Framing cue categories (training.lexicon.FRAMING_CATEGORIES), as CSS colours.
CATEGORY_COLORS: dict[str, str] = {
    "doubt": "#b8860b",
    "glorifying": "#2e8b57",
    "demonizing": "#c0392b",
    "exaggeration": "#a0409c",
    "emotive": "#e4572e",
    "hedge": "#1b8a9a",
    "presupposition": "#3867d6",
}
DEFAULT_CATEGORY_COLOR = "#777777"  # a category the table does not know yet

# Reporting stances: neutral stays quiet, the others stand out.
STANCE_COLORS: dict[str, str] = {
    "neutral": "#8a8a8a",
    "endorsing": "#2e8b57",
    "distancing": "#d35400",
    "emotive": "#8e44ad",
}
SOURCE_KIND_COLORS: dict[str, str] = {
    "person": "#34495e",
    "organization": "#16a085",
    "media": "#2980b9",
    "anonymous": "#c0392b",
    "vague": "#d35400",
    "outlet": "#7f8c8d",
}
# Waterfall bars: what raises a logit is red, what lowers it blue (as in the terminal report's
# red/green, but readable by red-green colour-blind readers).
RAISES_COLOR = "#d64541"
LOWERS_COLOR = "#2f6fb3"
# Sentence bias bars, from unbiased to biased, in five steps (bias-0 … bias-4).
BIAS_STEP_COLORS: tuple[str, ...] = ("#9fc5a8", "#c9d48a", "#f2c14e", "#ef8a3c", "#d64541")

# Voices: the writer's own words are filled, reported words lightly filled, quoted words only
# underlined (they belong to the quoted source, not to the outlet).
VOICE_STYLES: dict[str, str] = {
    "writer": "solid underline, filled",
    "reported": "dotted underline, light fill",
    "quoted": "dashed underline, no fill",
}


def tint(color: str, share: float) -> str:
    """``color`` mixed with white, keeping ``share`` of the colour (a light background)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(255 - (255 - channel) * share) for channel in (red, green, blue))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _color_rules() -> str:
    root = f".{ROOT_CLASS}"
    rules = [
        f"{root} .cue, {root} .swatch {{ --cat: {DEFAULT_CATEGORY_COLOR};"
        f" --cat-fill: {tint(DEFAULT_CATEGORY_COLOR, 0.25)};"
        f" --cat-light: {tint(DEFAULT_CATEGORY_COLOR, 0.12)}; }}"
    ]
    rules += [
        f"{root} .cat-{name} {{ --cat: {color}; --cat-fill: {tint(color, 0.25)};"
        f" --cat-light: {tint(color, 0.12)}; }}"
        for name, color in CATEGORY_COLORS.items()
    ]
    rules += [f"{root} .stance-{name} {{ --stance: {color}; }}" for name, color in
              STANCE_COLORS.items()]
    rules += [f"{root} .kind-{name} {{ --kind: {color}; }}" for name, color in
              SOURCE_KIND_COLORS.items()]
    rules += [f"{root} .bias-{step} {{ --bias-color: {color}; }}" for step, color in
              enumerate(BIAS_STEP_COLORS)]
    return "\n".join(rules)


_BASE_RULES = Template("""
.slant-article { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
  max-width: 60em; --raises: $raises; --lowers: $lowers; }
.slant-article h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.slant-article table { border-collapse: collapse; font-size: .9em; }
.slant-article th, .slant-article td { padding: .15em .6em; text-align: left;
  vertical-align: top; border-bottom: 1px solid #e4e4e4; }
.slant-article td.num, .slant-article th.num { text-align: right;
  font-variant-numeric: tabular-nums; }
.slant-article .muted { color: #777; }
.slant-article .slant-header { border: 1px solid #ddd; border-radius: 6px; padding: .6em .9em; }
.slant-article .verdict { font-size: 1.2em; }
.slant-article .verdict.framed strong { color: var(--raises); }
.slant-article .verdict.not-framed strong { color: var(--lowers); }
.slant-article .meter { display: inline-block; width: 10em; height: .7em; background: #eee;
  border-radius: 3px; vertical-align: middle; overflow: hidden; }
.slant-article .meter > span { display: block; height: 100%; background: #888; }
.slant-article .meter.framing > span, .slant-article .dimensions .meter > span {
  background: var(--raises); }
.slant-article .warnings { color: #8a5a00; margin: .4em 0 0; padding-left: 1.2em; }
.slant-article .legend { font-size: .85em; color: #444; margin: .6em 0; }
.slant-article .legend > div { margin: .15em 0; }
.slant-article .legend .key { display: inline-block; min-width: 11em; color: #777; }
.slant-article .swatch { margin-right: .5em; padding: 0 .2em; }
.slant-article .slant-text { position: relative; padding-left: 3.4em; }
.slant-article .slant-text p { margin: 0 0 .8em; }
.slant-article .sentence::before { content: ""; position: absolute; left: 0;
  width: calc(var(--bias, 0) * 2.6em + 1px); height: .55em; margin-top: .5em;
  background: var(--bias-color, #ccc); border-radius: 2px; }
.slant-article .sentence.cont::before { content: none; }
.slant-article .bias-sample { display: inline-block; height: .55em; border-radius: 2px;
  background: var(--bias-color); margin-right: .25em; }
.slant-article .cue, .slant-article .swatch { color: inherit; background: var(--cat-fill);
  border-bottom: 2px solid var(--cat); border-radius: 2px; padding: 0; }
.slant-article .voice-writer { font-weight: 600; }
.slant-article .voice-reported { background: var(--cat-light); border-bottom-style: dotted; }
.slant-article .voice-quoted { background: transparent; border-bottom-style: dashed; }
.slant-article .attr-content.direct { background: #f3f3f0; }
.slant-article .attr-content.indirect { background: #fafaf7; }
.slant-article .attr-source { border-bottom: 3px double var(--kind, #555); }
.slant-article .attr-cue { font-variant: small-caps; outline: 1px solid var(--stance, #999);
  outline-offset: -1px; border-radius: 2px; }
.slant-article .verb { white-space: nowrap; border-left: 3px solid var(--stance, #999);
  padding-left: .25em; margin-right: .5em; }
.slant-article .waterfall td.bar { width: 22em; padding: .15em 0; }
.slant-article .track { position: relative; height: 1em; }
.slant-article .track .zero { position: absolute; top: -.2em; bottom: -.2em;
  border-left: 1px solid #555; }
.slant-article .track .bar { position: absolute; top: .15em; height: .7em; min-width: 1px; }
.slant-article .bar.raises { background: var(--raises); }
.slant-article .bar.lowers { background: var(--lowers); }
.slant-article .bar.total { background: #555; }
.slant-article .waterfall tr.total td { font-weight: 600; border-top: 1px solid #999; }
.slant-article .axis { position: relative; height: 1.2em; font-size: .8em; color: #555;
  border-top: 1px solid #555; }
.slant-article .axis .tick { position: absolute; transform: translateX(-50%); }
.slant-article .axis-label { text-align: center; font-size: .8em; color: #555; }
.slant-article .words { color: #555; font-size: .9em; max-width: 16em; }
""").substitute(raises=RAISES_COLOR, lowers=LOWERS_COLOR)

STYLESHEET: str = _BASE_RULES.strip() + "\n" + _color_rules() + "\n"
