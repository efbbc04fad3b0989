"""``build_report``: read a scores file, aggregate it by group, write the tables and the page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import pandas as pd

from service.batch.rows import DIMENSIONS, STANCES
from service.outlet_report import charts
from service.outlet_report.aggregate import (
    Tables,
    build_tables,
    group_labels,
    label_counts,
    most_framed,
    stance_mix_by_kind,
    top_groups,
)
from service.outlet_report.load import GROUPINGS, ROW, Scores, load_scores, read_results
from service.outlet_report.page import Chart, Column, GroupSection, Summary, html_table, render_page
from service.schemas import ScoreResponse
from training.cues import VOICES
from training.lexicon import FRAMING_CATEGORIES

ArticleRenderer = Callable[[ScoreResponse], str]  # a response -> an HTML fragment, escaped
ERROR_MESSAGES_SHOWN = 5
VERBS_PER_KIND_SHOWN = 8


@dataclass(frozen=True)
class ReportFiles:
    """The files a report wrote."""

    groups_parquet: Path
    groups_csv: Path
    terms_parquet: Path
    terms_csv: Path
    reporting_parquet: Path
    reporting_csv: Path
    html: Path

    @classmethod
    def in_directory(cls, out_dir: Path) -> ReportFiles:
        return cls(
            groups_parquet=out_dir / "groups.parquet", groups_csv=out_dir / "groups.csv",
            terms_parquet=out_dir / "terms.parquet", terms_csv=out_dir / "terms.csv",
            reporting_parquet=out_dir / "reporting.parquet",
            reporting_csv=out_dir / "reporting.csv", html=out_dir / "report.html",
        )

    def paths(self) -> tuple[Path, ...]:
        return astuple(self)


def build_report(
    scores: Path,
    *,
    by: Sequence[str] = ("outlet",),
    out_dir: Path,
    top: int = 25,
    min_articles: int = 1,
    leaning_column: str | None = None,
    renderer: ArticleRenderer | None = None,
) -> ReportFiles:
    """Aggregate the rows of ``slant batch`` by ``by`` and write tables and ``report.html``.

    ``by`` holds one or more of ``outlet``, ``topic`` and ``month``; several group by their
    combination. Groups with fewer than ``min_articles`` scored articles are left out; the charts
    and the drill-down show the ``top`` groups with the most articles. ``leaning_column`` names
    an input column with a known leaning (AllSides' ``bias_text``) to set beside the model's.
    ``renderer`` turns the most framed article's full response into HTML (default:
    ``service.render.render_article``, used only when the rows carry ``result``).
    """
    keys = _checked_grouping(by)
    if top < 1 or min_articles < 1:
        raise ValueError(f"top and min_articles must be at least 1, not {top} and {min_articles}")
    loaded = load_scores(scores, keys, leaning_column=leaning_column)
    tables = build_tables(loaded, keys, min_articles=min_articles, leaning_column=leaning_column)
    shown = top_groups(tables, top)
    page = render_page(
        _summary(loaded, tables, shown, min_articles),
        _overview(tables, shown),
        _charts(tables, shown, leaning_column),
        _sections(loaded, tables, shown, renderer),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles.in_directory(out_dir)
    for frame, parquet, csv in (
        (tables.groups, files.groups_parquet, files.groups_csv),
        (tables.terms, files.terms_parquet, files.terms_csv),
        (tables.reporting, files.reporting_parquet, files.reporting_csv),
    ):
        frame.to_parquet(parquet, index=False)
        frame.to_csv(csv, index=False)
    files.html.write_text(page, encoding="utf-8")
    return files


def _checked_grouping(by: Sequence[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    unknown = [key for key in keys if key not in GROUPINGS]
    if not keys or unknown or len(set(keys)) != len(keys):
        raise ValueError(
            f"group by one or more distinct of {', '.join(GROUPINGS)}; got {', '.join(keys)}"
        )
    return keys


def _key_columns(keys: Sequence[str]) -> list[Column]:
    return [Column(key, key, "text") for key in keys]


def _labelled(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    return frame.set_axis(group_labels(frame, keys), axis=0)


def _summary(loaded: Scores, tables: Tables, shown: pd.DataFrame, min_articles: int) -> Summary:
    articles = loaded.articles
    failed = articles[articles["status"] == "error"]
    messages = Counter(str(message) for message in failed["error"])
    return Summary(
        source=loaded.path.name,
        grouping=" × ".join(tables.by),
        articles=len(articles) - len(failed),
        errors=len(failed),
        groups=len(tables.groups),
        shown_groups=len(shown),
        min_articles=min_articles,
        left_out_groups=tables.left_out_groups,
        model_versions=sorted(set(articles["model_version"].dropna())),
        error_messages=messages.most_common(ERROR_MESSAGES_SHOWN),
    )


def _overview(tables: Tables, shown: pd.DataFrame) -> str:
    columns = [
        *_key_columns(tables.by), Column("articles", "articles", "int"),
        Column("errors", "errors", "int"), Column("framing_mean", "mean framing"),
        Column("framing_median", "median framing"), Column("framing_std", "std framing"),
        Column("framed_share", "framed", "percent"),
        Column("sentence_bias_mean", "mean sentence bias"),
        Column("cue_density", "cues / 1,000 words"),
        Column("attributions_per_1000_words", "attributions / 1,000 words"),
        Column("source_asymmetry_mean", "mean source asymmetry"),
    ]
    caption = (f"{_shown_groups(shown)} (of {len(tables.groups)}; every group and every number "
               "is in groups.csv).")
    return html_table(shown, columns, caption=caption,
                      empty="No group has enough scored articles to show.")


def _shown_groups(shown: pd.DataFrame) -> str:
    count = len(shown)
    return f"The {count} group{'s' if count != 1 else ''} with the most scored articles"


def _charts(tables: Tables, shown: pd.DataFrame, leaning_column: str | None) -> list[Chart]:
    keys = tables.by
    axis = " × ".join(keys)
    restricted = f"{_shown_groups(shown)}, of {len(tables.groups)}."
    labels = group_labels(shown, keys)
    if shown.empty:
        return []
    scored = tables.scored.assign(group=group_labels(tables.scored, keys))
    samples = {label: scored.loc[scored["group"] == label, "framing"].dropna().tolist()
               for label in labels}
    dimension_means = _labelled(shown, keys)[[f"dim_{name}_mean" for name in DIMENSIONS]]
    dimension_means.columns = list(DIMENSIONS)
    densities = _labelled(shown, keys)[[f"cue_density_{category}_{voice}"
                                        for category in FRAMING_CATEGORIES for voice in VOICES]]
    densities.columns = pd.MultiIndex.from_tuples(
        [(category, voice) for category in FRAMING_CATEGORIES for voice in VOICES])
    mix = stance_mix_by_kind(tables.reporting, shown, keys)
    result = [
        Chart("Framing by group", f"Box plots of the articles' framing probability. {restricted}",
              charts.framing_boxplot(samples, axis),
              html_table(shown, [*_key_columns(keys), Column("articles", "articles", "int"),
                                 Column("framing_mean", "mean"),
                                 Column("framing_median", "median"),
                                 Column("framing_std", "std"),
                                 Column("framed_share", "framed", "percent")])),
        Chart("Framing dimensions by group",
              f"Mean probability of each framing dimension. {restricted}",
              charts.dimension_heatmap(dimension_means, axis),
              html_table(shown, [*_key_columns(keys), *(
                  Column(f"dim_{name}_{statistic}", f"{name.replace('_', ' ')} {statistic}")
                  for name in DIMENSIONS for statistic in ("mean", "std"))])),
        Chart("Loaded language by category and voice",
              "Cues per 1,000 words, by category, in the writer's own words, in reported "
              f"(indirect) speech and inside quotes. {restricted}",
              charts.cue_density_bars(densities, axis, VOICES),
              html_table(shown, [*_key_columns(keys), Column("cue_density", "all cues"), *(
                  Column(f"cue_density_{name}", name)
                  for name in (*FRAMING_CATEGORIES, *VOICES))],
                  caption="Cues per 1,000 words")),
        Chart("Reporting stance by source kind",
              "How attributions are reported (neutral, endorsing, distancing or emotive verbs), "
              f"by the kind of source quoted, over the shown groups. {restricted}",
              charts.stacked_shares(mix, name="stances", title="Reporting stance by source kind",
                                    value_axis=charts.ATTRIBUTION_SHARE_AXIS,
                                    category_axis=charts.SOURCE_KIND_AXIS,
                                    legend_title="stance of the verb",
                                    colors=charts.STANCE_COLORS),
              _counts_table(mix, "source kind", "attributions")),
    ]
    leanings = [("leaning_label", "Predicted leaning by group", "predicted leaning")]
    if leaning_column:
        leanings.append((leaning_column, f"Known leaning ({leaning_column}) by group",
                         leaning_column))
    for column, title, legend in leanings:
        counts = label_counts(tables.scored, shown, keys, column)
        if counts.empty:
            continue
        result.append(Chart(
            title, f"Share of each group's articles with each {legend}. {restricted}",
            charts.stacked_shares(counts, name=f"leaning-{len(result)}", title=title,
                                  value_axis=charts.ARTICLE_SHARE_AXIS, category_axis=axis,
                                  legend_title=legend, colors=charts.LEANING_COLORS),
            _counts_table(counts, axis, "articles"),
        ))
    return result


def _counts_table(counts: pd.DataFrame, heading: str, unit: str) -> str:
    """Counts and row shares of a (labelled rows × values) frame."""
    values = [str(column) for column in counts.columns]
    frame = counts.set_axis(values, axis=1)
    totals = frame.sum(axis=1)
    shares = frame.div(totals.where(totals > 0), axis=0).add_suffix(" share")
    table = pd.concat([frame, shares], axis=1).assign(**{unit: totals})
    table.insert(0, heading, [str(label) for label in table.index])
    return html_table(table, [
        Column(heading, heading, "text"), Column(unit, unit, "int"),
        *(Column(value, value, "int") for value in values),
        *(Column(f"{value} share", f"{value} (%)", "percent") for value in values),
    ])


def _sections(
    loaded: Scores, tables: Tables, shown: pd.DataFrame, renderer: ArticleRenderer | None,
) -> list[GroupSection]:
    keys = tables.by
    articles = most_framed(tables, shown)
    terms = tables.terms.assign(group=group_labels(tables.terms, keys))
    reporting = tables.reporting.assign(group=group_labels(tables.reporting, keys))
    reporting = reporting[reporting.groupby(["group", "source_kind"]).cumcount()
                          < VERBS_PER_KIND_SHOWN]
    highlighted, note = _highlighted_articles(loaded, articles, renderer)
    sections = []
    for label, row in zip(group_labels(shown, keys), shown.to_dict("records"), strict=True):
        framed = articles.get(label, pd.DataFrame(columns=[ROW, "id", "title", "framing"]))
        top_row = int(framed[ROW].iloc[0]) if not framed.empty else None
        sections.append(GroupSection(
            label=label,
            headline=(f"{row['articles']:,} articles, mean framing {row['framing_mean']:.2f}, "
                      f"{row['errors']:,} errors"),
            terms=html_table(terms[terms["group"] == label], [
                Column("rank", "#", "int"), Column("term", "term", "text"),
                Column("category", "category", "text"), Column("voice", "voice", "text"),
                Column("count", "count", "int"), Column("articles", "articles", "int"),
                Column("per_1000_words", "per 1,000 words")], empty="No loaded terms."),
            reporting=html_table(reporting[reporting["group"] == label], [
                Column("source_kind", "source kind", "text"), Column("verb", "verb", "text"),
                Column("count", "count", "int"),
                Column("share_of_kind", "share of the kind", "percent"),
                *(Column(f"stance_{stance}", stance, "int") for stance in STANCES)],
                caption=f"Up to {VERBS_PER_KIND_SHOWN} verbs per source kind "
                        "(all of them in reporting.csv)", empty="No attributions."),
            most_framed=html_table(framed, [
                Column("id", "id", "text"), Column("title", "title", "text"),
                Column("framing", "framing")]),
            article_html=highlighted.get(top_row) if top_row is not None else None,
            article_note=note,
        ))
    return sections


def _highlighted_articles(
    loaded: Scores, articles: dict[str, pd.DataFrame], renderer: ArticleRenderer | None,
) -> tuple[dict[int, str], str | None]:
    """The most framed article of each shown group as HTML, or why there is none."""
    if not loaded.has_result:
        return {}, ("The scores hold no full responses (no `result` column): score with "
                    "`slant batch --full-result` to see the most framed article highlighted.")
    if renderer is None:
        try:
            from service.render import render_article
        except ImportError:
            return {}, "The article renderer (service.render) is not installed."
        renderer = render_article
    rows = [int(frame[ROW].iloc[0]) for frame in articles.values() if not frame.empty]
    results = read_results(loaded.path, rows)
    return {
        row: renderer(ScoreResponse.model_validate_json(result))
        for row, result in results.items()
    }, None
