"""What the notebook figures share: the 0.5 line, the colours, figure sizes, short labels."""

from __future__ import annotations

from matplotlib.figure import Figure

THRESHOLD = 0.5  # a probability from this on counts as biased / framed, as in the metrics
LABEL_CHARS = 40
RAISES, LOWERS = "#c0392b", "#2c5d8f"  # a feature that pushes a score up / down


def figure_for_rows(rows: int, width: float = 9.0) -> Figure:
    """A figure tall enough for ``rows`` labelled bars or boxes."""
    return Figure(figsize=(width, max(3.0, 0.32 * rows + 1.6)), layout="constrained")


def short_label(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
