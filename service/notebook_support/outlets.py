"""Comparing outlets from ``slant batch`` scores: group tables, charts, driving articles."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from service.batch.reader import FieldMap, parse_item, read_chunks
from service.batch.rows import DIMENSIONS, STANCES, cue_column
from service.batch.runner import BatchOptions, JoblibBackend, ModelRef, run_batch
from service.notebook_support.charts import THRESHOLD, figure_for_rows, short_label
from service.notebook_support.models import load_model
from service.outlet_report.aggregate import Tables, build_tables, group_labels
from service.outlet_report.load import ROW, Scores, load_scores, read_results
from service.registry import Manifest, Registry, ScoringModel
from service.schemas import ScoreResponse
from service.scoring import score_payload
from training.cues import VOICES
from training.lexicon import FRAMING_CATEGORIES
from training.train import collect_examples

STANCE_COLORS = {"neutral": "#bab0ac", "endorsing": "#59a14f", "distancing": "#f28e2b",
                 "emotive": "#e15759"}
VOICE_TITLES = {"writer": "in the writer's words", "reported": "in reported speech",
                "quoted": "inside quotes"}


def demo_corpus(dataset: str | Path, path: Path) -> Path:
    """The articles of a native dataset as ``slant batch`` input, their writing style (wire,
    partisan, state media…) standing in for an outlet: a corpus that exists in every clone."""
    lines = []
    for example in collect_examples([dataset]):
        if example.level == "article":
            style = str(example.meta.get("style", "unknown"))
            title = example.text.split("\n", 1)[0]
            lines.append(json.dumps({"id": example.id, "text": example.text, "outlet": style,
                                     "title": title, "topic": example.meta.get("topic")}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def score_corpus(
    articles: Path, scores: Path, home: str | Path, *, version: str | None = None,
    fields: dict[str, str] | None = None, full: bool = False,
) -> Path:
    """Score a corpus as ``slant batch --workers 1`` does (resuming an interrupted run)."""
    version = version or Registry(Path(home)).active_version()
    if version is None:
        raise ValueError(f"no active model in {home}; run `make model`")
    options = BatchOptions(articles, scores, FieldMap.from_options(fields or {}), full=full)
    run_batch(options, ModelRef(str(home), version), JoblibBackend(1))
    return scores


def outlet_tables(scores: Path, by: str | Sequence[str] = "outlet") -> tuple[Scores, Tables]:
    """The scores file read and aggregated by the outlet report's own code."""
    keys = [by] if isinstance(by, str) else list(by)
    loaded = load_scores(scores, keys)
    return loaded, build_tables(loaded, keys)


def labelled_groups(tables: Tables) -> pd.DataFrame:
    """The groups table indexed by each group's label ("Reuters", "Reuters · 2024-05")."""
    return tables.groups.set_axis(group_labels(tables.groups, tables.by), axis=0)


def in_group(frame: pd.DataFrame, tables: Tables, group: str) -> pd.DataFrame:
    """The rows of one of the tables (groups, terms, reporting, scored) that belong to a group."""
    return frame[np.asarray(group_labels(frame, tables.by)) == group]


def most_framed_group(tables: Tables) -> str:
    """The label of the group with the highest mean framing (more articles first on a tie)."""
    groups = labelled_groups(tables)
    if groups.empty:
        raise ValueError("the scores hold no scored article")
    ranked = groups.assign(label=groups.index).sort_values(
        ["framing_mean", "articles", "label"], ascending=[False, False, True])
    return str(ranked.index[0])


def groups_overview(tables: Tables) -> pd.DataFrame:
    """The groups table's headline columns, one row per group (most articles first)."""
    columns = ["articles", "errors", "framing_mean", "framing_median", "framed_share",
               "sentence_bias_mean", "cue_density", "cue_density_writer",
               "attributions_per_1000_words", "source_asymmetry_mean"]
    return labelled_groups(tables)[columns].rename_axis(" · ".join(tables.by))


def framing_chart(tables: Tables, top: int = 25) -> Figure:
    """Box plots of the articles' framing probability, one per group (largest groups first)."""
    groups = labelled_groups(tables).head(top)
    scored = tables.scored.assign(group=group_labels(tables.scored, tables.by))
    samples = [scored.loc[scored["group"] == label, "framing"].dropna().to_numpy()
               for label in groups.index]
    figure = figure_for_rows(len(groups))
    axes = figure.add_subplot()
    axes.boxplot(samples, orientation="horizontal", showmeans=True,
                 tick_labels=[short_label(str(label)) for label in groups.index])
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.axvline(THRESHOLD, color="black", linestyle="--", linewidth=0.8)
    axes.set_xlabel("framing probability of each article (0–1)")
    axes.set_ylabel(" · ".join(tables.by))
    axes.set_title("Framing by group (box: middle half of the articles; triangle: mean)")
    return figure


def dimensions_chart(tables: Tables, top: int = 25) -> Figure:
    """Groups × framing dimensions: the mean probability, printed in each cell."""
    groups = labelled_groups(tables).head(top)
    means = groups[[f"dim_{name}_mean" for name in DIMENSIONS]].to_numpy(dtype=float)
    figure = figure_for_rows(len(groups), width=8.0)
    axes = figure.add_subplot()
    image = axes.imshow(means, cmap="Reds", vmin=0, vmax=1, aspect="auto")
    for (row, column), value in np.ndenumerate(means):
        axes.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
                  color="white" if value > 0.6 else "black")
    axes.set_xticks(range(len(DIMENSIONS)), [name.replace("_", " ") for name in DIMENSIONS],
                    rotation=20)
    axes.set_yticks(range(len(groups)), [short_label(str(label)) for label in groups.index])
    axes.set_xlabel("framing dimension")
    axes.set_ylabel(" · ".join(tables.by))
    axes.set_title("Mean dimension scores by group")
    figure.colorbar(image, ax=axes, fraction=0.04).set_label("mean probability (0–1)")
    return figure


def cue_density_chart(tables: Tables, top: int = 25) -> Figure:
    """Loaded-language cues per 1,000 words, stacked by category: one panel per voice (the
    writer's words, reported speech, quotes), on one shared scale."""
    groups = labelled_groups(tables).head(top)
    figure = Figure(figsize=(11.0, max(3.0, 0.3 * len(groups) + 2.0)), layout="constrained")
    panels = figure.subplots(1, len(VOICES), sharex=True, sharey=True, squeeze=False)[0]
    positions = np.arange(len(groups))
    for axes, voice in zip(panels, VOICES, strict=True):
        left = np.zeros(len(groups))
        for index, category in enumerate(FRAMING_CATEGORIES):
            widths = groups[f"cue_density_{category}_{voice}"].fillna(0).to_numpy(dtype=float)
            axes.barh(positions, widths, left=left, color=f"C{index}", label=category)
            left += widths
        axes.set_title(VOICE_TITLES[voice])
        axes.set_xlabel("cues per 1,000 words")
    panels[0].set_yticks(positions, [short_label(str(label)) for label in groups.index])
    panels[0].invert_yaxis()
    panels[0].set_ylabel(" · ".join(tables.by))
    figure.suptitle("Loaded language by category and voice")
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, title="cue category", loc="outside lower center",
                  ncols=len(FRAMING_CATEGORIES), fontsize=8)
    return figure


def stance_mix_chart(tables: Tables, top: int = 25) -> Figure:
    """100% bars: each group's attributions by the stance of the reporting verb."""
    groups = labelled_groups(tables).head(top)
    figure = figure_for_rows(len(groups))
    axes = figure.add_subplot()
    positions = np.arange(len(groups))
    left = np.zeros(len(groups))
    for stance in STANCES:
        widths = groups[f"stance_share_{stance}"].fillna(0).to_numpy(dtype=float) * 100
        axes.barh(positions, widths, left=left, color=STANCE_COLORS[stance], label=stance)
        left += widths
    scored = tables.scored.assign(group=group_labels(tables.scored, tables.by))
    counts = scored.groupby("group")["attributions"].sum().reindex(groups.index).fillna(0)
    axes.set_yticks(positions, [f"{short_label(str(label))} (n={count:g})"
                                for label, count in zip(groups.index, counts, strict=True)])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("share of attributions (%)")
    axes.set_ylabel(" · ".join(tables.by))
    axes.set_title("Stance of the reporting verbs")
    axes.legend(title="stance", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return figure


def driving_articles(scores: Scores, tables: Tables, group: str, top: int = 3) -> pd.DataFrame:
    """The articles behind a group's numbers: its ``top`` most framed articles and the ``top``
    holding the largest share of its loaded terms (``cue_share`` = the article's cues / the
    group's), most framed first; ``why`` says which list put an article here."""
    scored = tables.scored.assign(group=group_labels(tables.scored, tables.by))
    members = scored[scored["group"] == group].copy()
    if members.empty:
        known = ", ".join(group_labels(tables.groups, tables.by))
        raise KeyError(f"no group {group!r} among the scored groups ({known})")
    total = members["cues"].sum()
    members["cue_share"] = members["cues"] / total if total else 0.0
    framed = set(members.nlargest(top, "framing")[ROW])
    loaded = set(members[members["cues"] > 0].nlargest(top, "cue_share")[ROW])
    chosen = members[members[ROW].isin(framed | loaded)].copy()
    chosen["why"] = [
        " and ".join(reason for reason, rows in (("most framed", framed),
                                                   ("most loaded terms", loaded)) if row in rows)
        for row in chosen[ROW]
    ]
    terms = scores.terms[scores.terms[ROW].isin(chosen[ROW])]
    chosen["top_terms"] = [
        ", ".join(f"{term} ×{count}" for term, count in
                  terms[terms[ROW] == row].groupby("term")["count"].sum()
                  .sort_values(ascending=False).head(5).items())
        for row in chosen[ROW]
    ]
    chosen["cues_writer"] = chosen[[cue_column(category, "writer")
                                    for category in FRAMING_CATEGORIES]].sum(axis=1)
    chosen[["cues", "cues_writer"]] = chosen[["cues", "cues_writer"]].astype("int64")
    columns = [ROW, "id", "title", "framing", "cues", "cues_writer", "cue_share", "why",
               "top_terms"]
    ordered = chosen.sort_values(["framing", ROW], ascending=[False, True])
    return ordered[columns].reset_index(drop=True)


def article_responses(
    scores: Scores, rows: Iterable[int], *, articles: str | Path | None = None,
    fields: dict[str, str] | None = None, home: str | Path = "var",
) -> dict[int, ScoreResponse]:
    """The full responses of the given rows of a scores file.

    From the rows' ``result`` when the run kept it (``--full-result``); otherwise the articles
    are re-read from the batch input ``articles`` (by position, as the batch read them, with
    the same ``fields`` mapping) and scored again by the model version that scored them.
    Without either, nothing (the notebook says why).
    """
    wanted = sorted(set(rows))
    if scores.has_result:
        results = read_results(scores.path, wanted)
        return {row: ScoreResponse.model_validate_json(text) for row, text in results.items()}
    if articles is None:
        return {}
    frame = scores.articles.set_index(ROW)
    texts = _input_texts(Path(articles), FieldMap.from_options(fields or {}), wanted)
    responses: dict[int, ScoreResponse] = {}
    models: dict[str, tuple[ScoringModel, Manifest]] = {}
    for row in wanted:
        item_id, text = texts[row]
        if item_id != frame.at[row, "id"]:
            raise ValueError(f"{articles} is not the input of {scores.path.name}: row {row} is "
                             f"{frame.at[row, 'id']!r} in the scores but {item_id!r} there")
        version = str(frame.at[row, "model_version"])
        if version not in models:
            models[version] = load_model(home, version)
        responses[row] = score_payload(*models[version], text)
    return responses


def _input_texts(path: Path, fields: FieldMap, rows: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(id, text) of the input articles at the given positions."""
    wanted = set(rows)
    found: dict[int, tuple[str, str]] = {}
    for chunk in read_chunks(path, fields, 256):
        for offset, item in enumerate(chunk.items):
            position = chunk.first_position + offset
            if position in wanted:
                meta, text, problem = parse_item(item, position, fields)
                if text is None:
                    raise ValueError(f"{path}, article {position + 1}: {problem}")
                found[position] = (meta.id, text)
    missing = sorted(wanted - set(found))
    if missing:
        raise ValueError(f"{path} has no article at position(s) {missing[:5]}")
    return found
