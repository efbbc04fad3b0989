"""The logic behind the review notebooks (``notebooks/``), kept here so that it is tested.

Three modules of helpers, one per notebook: ``articles`` reads one scored article
(``article_review``), ``outlets`` compares outlets from ``slant batch`` output (``outlet_report``,
on top of the outlet report's own tables) and ``model_card`` measures a model on held-out data
(``model_card``); ``models`` loads what they read and ``charts`` holds what their figures share.
Every name is re-exported here (``from service.notebook_support import score_table``). Every
helper returns a pandas ``DataFrame`` or a matplotlib ``Figure`` built without pyplot (no global
state): a notebook shows one by leaving it as a cell's value. Highlighted articles are drawn by
``service.render.render_article``, never here. pandas and matplotlib come with the
``slant[report]`` extra.
"""

from service.notebook_support.articles import (
    biased_sentences,
    contributions_chart,
    contributions_table,
    explanation_summary,
    most_biased_explanation,
    score_table,
    sentence_bias_chart,
    sources_table,
)
from service.notebook_support.model_card import (
    HeldOut,
    calibration_chart,
    calibration_table,
    confusion_chart,
    confusion_table,
    error_examples,
    gate_summary,
    gate_table,
    held_out_examples,
    metrics_table,
    model_identity,
    other_metrics,
    predictions_table,
    recomputed_metrics,
    strongest_features,
)
from service.notebook_support.models import (
    dataset_article,
    load_model,
    slant_model,
)
from service.notebook_support.outlets import (
    article_responses,
    cue_density_chart,
    demo_corpus,
    dimensions_chart,
    driving_articles,
    framing_chart,
    groups_overview,
    in_group,
    labelled_groups,
    most_framed_group,
    outlet_tables,
    score_corpus,
    stance_mix_chart,
)

__all__ = [
    "HeldOut",
    "article_responses",
    "biased_sentences",
    "calibration_chart",
    "calibration_table",
    "confusion_chart",
    "confusion_table",
    "contributions_chart",
    "contributions_table",
    "cue_density_chart",
    "dataset_article",
    "demo_corpus",
    "dimensions_chart",
    "driving_articles",
    "error_examples",
    "explanation_summary",
    "framing_chart",
    "gate_summary",
    "gate_table",
    "groups_overview",
    "held_out_examples",
    "in_group",
    "labelled_groups",
    "load_model",
    "metrics_table",
    "model_identity",
    "most_biased_explanation",
    "most_framed_group",
    "other_metrics",
    "outlet_tables",
    "predictions_table",
    "recomputed_metrics",
    "score_corpus",
    "score_table",
    "sentence_bias_chart",
    "slant_model",
    "sources_table",
    "stance_mix_chart",
    "strongest_features",
]
