"""Per-group numbers: the groups, terms and reporting tables, the top groups and their articles.

Scores are averaged over the articles that were scored; rows with ``status == "error"`` are only
counted (``errors``). Densities are ratios of sums, not means of ratios, so a long article weighs
as much as its words: ``cue_density_doubt_writer`` = Σ ``cues_doubt_writer`` / Σ ``words`` ×
1,000 over the group. Shares of attributions divide by Σ ``attributions``; a share is NaN when
its denominator is zero (no words, no attributions, no leaning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from service.batch.rows import (
    DIMENSIONS,
    SOURCE_KINDS,
    STANCES,
    cue_column,
    dimension_column,
)
from service.outlet_report.load import ROW, Scores
from training.cues import VOICES
from training.lexicon import FRAMING_CATEGORIES

PER_WORDS = 1000
TOP_TERMS = 20
DRILL_DOWN_ARTICLES = 3
UNATTRIBUTED = "unattributed"  # the reporting records' kind for a cue without a source
REPORTING_KINDS: tuple[str, ...] = (*SOURCE_KINDS, UNATTRIBUTED)
SPREAD_SCORES: tuple[str, ...] = ("framing", *(dimension_column(name) for name in DIMENSIONS))
KEY_SEPARATOR = " · "
# Leanings read from left to right; other labels follow in alphabetical order.
LEANING_ORDER: tuple[str, ...] = ("left", "lean left", "center", "lean right", "right")


@dataclass(frozen=True)
class Tables:
    """What the report writes and draws, all restricted to groups with enough articles."""

    by: tuple[str, ...]
    groups: pd.DataFrame  # one row per group, most articles first
    terms: pd.DataFrame
    reporting: pd.DataFrame
    scored: pd.DataFrame  # the scored articles of the kept groups (the charts' raw data)
    left_out_groups: int  # groups with fewer than ``min_articles`` scored articles


def build_tables(
    scores: Scores, by: Sequence[str], *, min_articles: int = 1,
    leaning_column: str | None = None,
) -> Tables:
    """The groups, terms and reporting tables of the groups with ``min_articles`` or more."""
    keys = list(by)
    articles = scores.articles
    errors = articles["status"] == "error"
    scored = articles[~errors]
    every_group = groups_table(scored, articles[errors], keys, leaning_column=leaning_column)
    groups = every_group[every_group["articles"] >= min_articles].reset_index(drop=True)
    kept = scored.merge(groups[keys], on=keys)
    return Tables(
        by=tuple(keys),
        groups=groups,
        terms=terms_table(kept, scores.terms, keys, groups),
        reporting=reporting_table(kept, scores.reporting, keys),
        scored=kept,
        left_out_groups=len(every_group) - len(groups),
    )


def groups_table(
    scored: pd.DataFrame, failed: pd.DataFrame, keys: list[str], *,
    leaning_column: str | None = None,
) -> pd.DataFrame:
    """One row per group (see the module docstring for how each number is computed)."""
    grouped = scored.groupby(keys, sort=False)
    sums = grouped[["words", "cues", *_cue_columns(), "attributions", *_stance_columns(),
                    *_kind_columns()]].sum()
    spread = grouped[list(SPREAD_SCORES)].agg(["mean", "std", "median"])
    spread.columns = ["_".join(names) for names in spread.columns.to_flat_index()]
    parts: list[pd.DataFrame | pd.Series] = [
        grouped.size().rename("articles"),
        failed.groupby(keys, sort=False).size().rename("errors"),
        sums["words"],
        grouped["model_version"].agg(_versions).rename("model_versions"),
        spread,
        grouped["label"].agg(lambda labels: float((labels == "framed").mean())).rename(
            "framed_share"),
        grouped["sentence_bias_mean"].mean(),
        grouped["source_asymmetry"].mean().rename("source_asymmetry_mean"),
        _densities(sums),
        _attribution_shares(sums),
        _label_shares(scored, keys, "leaning_label", "leaning_share"),
    ]
    if leaning_column:
        parts.append(_label_shares(scored, keys, leaning_column, f"{leaning_column}_share"))
    table = pd.concat(parts, axis=1)
    table.index = table.index.set_names(keys)
    table["articles"] = table["articles"].fillna(0).astype("int64")
    table["errors"] = table["errors"].fillna(0).astype("int64")
    table["words"] = table["words"].fillna(0).astype("int64")
    table = table.reset_index()
    return table.sort_values(["articles", *keys], ascending=[False, *[True] * len(keys)],
                             ignore_index=True)


def terms_table(
    scored: pd.DataFrame, terms: pd.DataFrame, keys: list[str], groups: pd.DataFrame,
) -> pd.DataFrame:
    """The ``TOP_TERMS`` most frequent loaded terms of each group, with their density."""
    columns = [*keys, "rank", "term", "category", "voice", "count", "articles", "per_1000_words"]
    located = terms.merge(scored[[ROW, *keys]], on=ROW)
    if located.empty:
        return pd.DataFrame({column: [] for column in columns})
    table = (
        located.groupby([*keys, "term", "category", "voice"])
        .agg(count=("count", "sum"), articles=(ROW, "nunique")).reset_index()
        .merge(groups[[*keys, "words"]], on=keys)
    )
    table["per_1000_words"] = _ratio(table["count"], table["words"]) * PER_WORDS
    table = table.sort_values([*keys, "count", "term", "category", "voice"],
                              ascending=[*[True] * len(keys), False, True, True, True])
    table["rank"] = table.groupby(keys).cumcount() + 1
    return table[table["rank"] <= TOP_TERMS][columns].reset_index(drop=True)


def reporting_table(
    scored: pd.DataFrame, reporting: pd.DataFrame, keys: list[str],
) -> pd.DataFrame:
    """Per group × source kind × reporting verb: count, share of the kind, counts by stance."""
    stance_columns = [f"stance_{stance}" for stance in STANCES]
    columns = [*keys, "source_kind", "verb", "count", "share_of_kind", *stance_columns]
    located = reporting.merge(scored[[ROW, *keys]], on=ROW)
    if located.empty:
        return pd.DataFrame({column: [] for column in columns})
    located["stance"] = "stance_" + located["stance"].astype(str)
    table = (
        located.pivot_table(index=[*keys, "source_kind", "verb"], columns="stance",
                            values="count", aggfunc="sum", fill_value=0)
        .reindex(columns=stance_columns, fill_value=0).astype("int64").reset_index()
    )
    table.columns.name = None
    table["count"] = table[stance_columns].sum(axis=1)
    kind_totals = table.groupby([*keys, "source_kind"])["count"].transform("sum")
    table["share_of_kind"] = table["count"] / kind_totals
    table["kind_order"] = table["source_kind"].map(
        {kind: order for order, kind in enumerate(REPORTING_KINDS)}).fillna(len(REPORTING_KINDS))
    table = table.sort_values([*keys, "kind_order", "count", "verb"],
                              ascending=[*[True] * len(keys), True, False, True])
    return table[columns].reset_index(drop=True)


def top_groups(tables: Tables, top: int) -> pd.DataFrame:
    """The ``top`` groups with the most scored articles (the groups table is sorted so)."""
    return tables.groups.head(top)


def group_labels(groups: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """One readable label per group: its keys joined ("Reuters · 2024-05")."""
    return [KEY_SEPARATOR.join(str(value) for value in values)
            for values in groups[list(keys)].itertuples(index=False)]


def most_framed(tables: Tables, groups: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The ``DRILL_DOWN_ARTICLES`` most framed articles of each group, by group label."""
    keys = list(tables.by)
    located = tables.scored.merge(groups[keys], on=keys)
    located["group"] = group_labels(located, keys)
    located = located.sort_values(["framing", ROW], ascending=[False, True])
    return {
        str(label): frame.head(DRILL_DOWN_ARTICLES)[[ROW, "id", "title", "framing"]]
        for label, frame in located.groupby("group", sort=False)
    }


def stance_mix_by_kind(reporting: pd.DataFrame, groups: pd.DataFrame,
                       keys: Sequence[str]) -> pd.DataFrame:
    """Attributions by source kind (rows) and stance (columns), over the given groups."""
    located = reporting.merge(groups[list(keys)], on=list(keys))
    stance_columns = [f"stance_{stance}" for stance in STANCES]
    mix = located.groupby("source_kind")[stance_columns].sum()
    mix.columns = list(STANCES)
    order = [kind for kind in REPORTING_KINDS if kind in mix.index]
    return mix.reindex(order + sorted(set(mix.index) - set(order)))


def label_counts(scored: pd.DataFrame, groups: pd.DataFrame, keys: Sequence[str],
                 column: str) -> pd.DataFrame:
    """Articles by group (rows, labelled, in ``groups`` order) and value of ``column``."""
    located = scored[scored[column].notna()].merge(groups[list(keys)], on=list(keys))
    located["group"] = group_labels(located, keys)
    counts = located.groupby(["group", column]).size().unstack(column, fill_value=0)
    order = [label for label in group_labels(groups, keys) if label in counts.index]
    return counts.reindex(order).reindex(columns=sorted(counts.columns, key=_leaning_order))


def _leaning_order(value: object) -> tuple[int, str]:
    text = str(value).lower()
    return (LEANING_ORDER.index(text) if text in LEANING_ORDER else len(LEANING_ORDER), text)


def _cue_columns() -> list[str]:
    return [cue_column(category, voice) for category in FRAMING_CATEGORIES for voice in VOICES]


def _stance_columns() -> list[str]:
    return [f"attr_stance_{stance}" for stance in STANCES]


def _kind_columns() -> list[str]:
    return [f"attr_kind_{kind}" for kind in SOURCE_KINDS]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator.astype("float64") / denominator.astype("float64").replace(0, np.nan)


def _densities(sums: pd.DataFrame) -> pd.DataFrame:
    words = sums["words"]
    columns: dict[str, pd.Series] = {"cue_density": _ratio(sums["cues"], words) * PER_WORDS}
    for category in FRAMING_CATEGORIES:
        total = sums[[cue_column(category, voice) for voice in VOICES]].sum(axis=1)
        columns[f"cue_density_{category}"] = _ratio(total, words) * PER_WORDS
    for voice in VOICES:
        total = sums[[cue_column(category, voice) for category in FRAMING_CATEGORIES]].sum(axis=1)
        columns[f"cue_density_{voice}"] = _ratio(total, words) * PER_WORDS
    for category in FRAMING_CATEGORIES:
        for voice in VOICES:
            columns[f"cue_density_{category}_{voice}"] = (
                _ratio(sums[cue_column(category, voice)], words) * PER_WORDS)
    columns["attributions_per_1000_words"] = _ratio(sums["attributions"], words) * PER_WORDS
    return pd.DataFrame(columns)


def _attribution_shares(sums: pd.DataFrame) -> pd.DataFrame:
    attributions = sums["attributions"]
    columns = {f"stance_share_{stance}": _ratio(sums[f"attr_stance_{stance}"], attributions)
               for stance in STANCES}
    columns |= {f"kind_share_{kind}": _ratio(sums[f"attr_kind_{kind}"], attributions)
                for kind in SOURCE_KINDS}
    with_source = sums[_kind_columns()].sum(axis=1)
    columns[f"kind_share_{UNATTRIBUTED}"] = _ratio(attributions - with_source, attributions)
    return pd.DataFrame(columns)


def _label_shares(scored: pd.DataFrame, keys: list[str], column: str,
                  prefix: str) -> pd.DataFrame:
    """The share of each value of ``column`` among the group's articles that have one."""
    labelled = scored[scored[column].notna()]
    counts = labelled.groupby([*keys, column]).size().unstack(column, fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    shares.columns = [f"{prefix}_{value}" for value in shares.columns]
    return shares.astype("float64")


def _versions(versions: pd.Series) -> str:
    return "; ".join(sorted({str(version) for version in versions.dropna()}))
