"""Outlet reports: per-group numbers from real score rows, the written tables, the HTML page.

The rows are made by the real model from the project's own articles (``datasets/core``), spread
over three made-up outlets, so every column is genuine; the expected numbers are computed here
by hand from those rows.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
from html import escape
from pathlib import Path
from typing import Any

import pytest

for _package in ("pandas", "pyarrow", "matplotlib"):  # the slant[report] extra
    pytest.importorskip(_package)

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from service.batch.rows import ArticleMeta, article_row, error_row  # noqa: E402
from service.outlet_report import ReportExtraMissing, ReportFiles, build_report  # noqa: E402
from service.outlet_report.extra import require_report_extra  # noqa: E402
from service.outlet_report.load import load_scores, month_of  # noqa: E402
from service.registry import Registry  # noqa: E402
from service.schemas import ScoreResponse  # noqa: E402
from service.scoring import score_payload  # noqa: E402
from training.errors import NothingToScore  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ALLSIDES = REPO.parent / "shared" / "data" / "allsides" / "articles.jsonl.gz"
HOSTILE = "<img src=x onerror=alert(1)>"
OUTLETS = ("Daily Ledger", "Morning Wire", HOSTILE)
GOLD = {"Daily Ledger": "left", "Morning Wire": "right", HOSTILE: "center"}
# Dates as users write them; the month each one falls in.
DATES = ("2024-01-15", "2024-02-03T10:00:00Z", "March 5, 2024", "someday", None)
MONTHS = ("2024-01", "2024-02", "2024-03", "unknown", "(none)")
AXIS_LABELS = (
    "framing probability (0–1)", "framing dimension", "cues per 1,000 words",
    "share of attributions (%)", "share of articles (%)",
)


def core_articles() -> list[dict[str, Any]]:
    examples = []
    for path in sorted((REPO / "datasets" / "core").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            examples += [json.loads(line) for line in handle if line.strip()]
    return [example for example in examples if example["level"] == "article"]


@pytest.fixture(scope="module")
def rows(model_home: Path) -> list[dict[str, Any]]:
    """Full rows of the core articles (outlets and dates in turn), then three error rows."""
    model, manifest = Registry(model_home).load_active()
    made = []
    for index, example in enumerate(core_articles()):
        outlet = OUTLETS[index % len(OUTLETS)]
        meta = ArticleMeta(
            id=f"{index:03d}",  # digits only: must stay text, never become numbers
            outlet=outlet,
            title=f'"><script>alert({index})</script>' if outlet == HOSTILE
            else example["text"].split("\n")[0],
            date=DATES[(index // len(OUTLETS)) % len(DATES)],
            topic=example["meta"].get("topic"),
            kept={"gold": GOLD[outlet]},
        )
        made.append(article_row(score_payload(model, manifest, example["text"]), meta, full=True))
    version = manifest.version
    made.append(error_row(ArticleMeta(id="e1", outlet="Daily Ledger", date="2024-01-02"),
                          "nothing to score", version))
    made.append(error_row(ArticleMeta(id="e2", outlet="Daily Ledger"), "nothing to score",
                          version))
    made.append(error_row(ArticleMeta(id="e3", outlet="Ghost Gazette"), "text too long", version))
    return made


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(lines.encode("utf-8")))
    else:
        path.write_text(lines, encoding="utf-8")
    return path


def write_parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)  # the first row (scored) sets the schema
    return path


@pytest.fixture(scope="module")
def scores_jsonl(rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(rows, tmp_path_factory.mktemp("scores") / "scores.jsonl")


@pytest.fixture(scope="module")
def report(scores_jsonl: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The report by outlet, with the gold leaning, rendered with the real article renderer."""
    return build_report(scores_jsonl, out_dir=tmp_path_factory.mktemp("report"),
                        leaning_column="gold")


@pytest.fixture(scope="module")
def page(report: ReportFiles) -> str:
    return report.html.read_text(encoding="utf-8")


def scored_of(rows: list[dict[str, Any]], outlet: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["outlet"] == outlet and row["status"] == "ok"]


def group(table: pd.DataFrame, **keys: str) -> pd.Series:
    selected = table
    for key, value in keys.items():
        selected = selected[selected[key] == value]
    assert len(selected) == 1, keys
    return selected.iloc[0]


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)


def test_group_numbers_equal_hand_computed_values(
    rows: list[dict[str, Any]], report: ReportFiles,
) -> None:
    groups = pd.read_parquet(report.groups_parquet)
    ledger = scored_of(rows, "Daily Ledger")
    numbers = group(groups, outlet="Daily Ledger")
    framings = [row["framing"] for row in ledger]
    assert numbers["articles"] == len(ledger) == 16
    assert numbers["framing_mean"] == pytest.approx(statistics.mean(framings), rel=1e-12)
    assert numbers["framing_median"] == pytest.approx(statistics.median(framings), rel=1e-12)
    assert numbers["framing_std"] == pytest.approx(statistics.stdev(framings), rel=1e-12)
    assert numbers["framed_share"] == pytest.approx(
        sum(row["label"] == "framed" for row in ledger) / len(ledger))
    words = sum(row["words"] for row in ledger)
    writer_cues = sum(row[f"cues_{category}_writer"] for row in ledger for category in (
        "doubt", "glorifying", "demonizing", "exaggeration", "emotive", "hedge",
        "presupposition"))
    assert writer_cues > 0  # the real articles carry loaded language: the check means something
    assert numbers["cue_density_writer"] == pytest.approx(writer_cues / words * 1000)
    emotive = sum(row["cues_emotive_writer"] + row["cues_emotive_reported"]
                  + row["cues_emotive_quoted"] for row in ledger)
    assert numbers["cue_density_emotive"] == pytest.approx(emotive / words * 1000)
    assert numbers["cue_density_demonizing_quoted"] == pytest.approx(
        sum(row["cues_demonizing_quoted"] for row in ledger) / words * 1000)
    attributions = sum(row["attributions"] for row in ledger)
    distancing = sum(row["attr_stance_distancing"] for row in ledger)
    assert attributions > 0 and distancing > 0
    assert numbers["stance_share_distancing"] == pytest.approx(distancing / attributions)
    assert numbers["attributions_per_1000_words"] == pytest.approx(attributions / words * 1000)
    assert numbers["kind_share_person"] == pytest.approx(
        sum(row["attr_kind_person"] for row in ledger) / attributions)
    assert numbers["source_asymmetry_mean"] == pytest.approx(
        statistics.mean(row["source_asymmetry"] for row in ledger))
    assert (numbers["gold_share_left"], numbers["gold_share_right"]) == (1.0, 0.0)


def test_error_rows_are_counted_not_averaged(
    rows: list[dict[str, Any]], report: ReportFiles, page: str,
) -> None:
    groups = pd.read_csv(report.groups_csv)
    assert group(groups, outlet="Daily Ledger")["errors"] == 2
    assert group(groups, outlet="Morning Wire")["errors"] == 0
    assert group(groups, outlet="Daily Ledger")["words"] == sum(
        row["words"] for row in scored_of(rows, "Daily Ledger"))
    # an outlet whose only article failed has no scored article: left out, but its error counts
    assert "Ghost Gazette" not in set(groups["outlet"])
    assert "errors (counted, never averaged): <strong>3</strong>" in page
    assert "(1 smaller groups left out)" in page
    assert "<td>nothing to score</td><td class=\"number\">2</td>" in page


def test_month_grouping_parses_dates_and_names_the_rest(
    rows: list[dict[str, Any]], scores_jsonl: Path, tmp_path: Path,
) -> None:
    files = build_report(scores_jsonl, by=("outlet", "month"), out_dir=tmp_path)
    groups = pd.read_parquet(files.groups_parquet)
    assert list(groups.columns[:3]) == ["outlet", "month", "articles"]
    assert set(groups["month"]) == set(MONTHS)
    months = dict(zip(DATES, MONTHS, strict=True))
    for outlet in OUTLETS:
        for date, month in months.items():
            expected = [row for row in scored_of(rows, outlet) if row["date"] == date]
            numbers = group(groups, outlet=outlet, month=month)
            assert numbers["articles"] == len(expected)
            assert numbers["framing_mean"] == pytest.approx(
                statistics.mean(row["framing"] for row in expected))
    # the error row dated in January is counted in its month
    assert group(groups, outlet="Daily Ledger", month="2024-01")["errors"] == 1
    assert group(groups, outlet="Daily Ledger", month="(none)")["errors"] == 1


@pytest.mark.parametrize(("date", "month"), [
    ("2024-01-15", "2024-01"),
    ("2023-12-31T23:30:00-05:00", "2023-12"),  # the month as written, not in UTC
    ("2024-3-7", "2024-03"),
    ("Mar 5, 2024", "2024-03"),
    ("5 September 2016", "2016-09"),
    ("2024-13-01", "unknown"),
    ("yesterday", "unknown"),
    ("May 5", "unknown"),  # no year: a parser would silently use this year's
])
def test_month_of_dates_as_users_write_them(date: str, month: str) -> None:
    assert month_of(date) == month


def test_jsonl_gzip_and_parquet_give_identical_tables(
    rows: list[dict[str, Any]], tmp_path: Path,
) -> None:
    tables = []
    for path in (write_jsonl(rows, tmp_path / "scores.jsonl"),
                 write_jsonl(rows, tmp_path / "scores.jsonl.gz"),
                 write_parquet(rows, tmp_path / "scores.parquet")):
        files = build_report(path, by=("outlet", "topic"), out_dir=tmp_path / f"out-{path.name}",
                             leaning_column="gold")
        tables.append([pd.read_parquet(file) for file in
                       (files.groups_parquet, files.terms_parquet, files.reporting_parquet)])
    assert len(tables[0][0]) > 3 and len(tables[0][1]) > 20 and len(tables[0][2]) > 20
    for other in tables[1:]:
        for expected, actual in zip(tables[0], other, strict=True):
            pd.testing.assert_frame_equal(expected, actual)


def test_ids_and_names_stay_text(scores_jsonl: Path) -> None:
    articles = load_scores(scores_jsonl, ["outlet"]).articles
    assert articles["id"].tolist()[:3] == ["000", "001", "002"]
    assert articles["outlet"].tolist()[:3] == list(OUTLETS)


def test_terms_table_counts_each_groups_terms(
    rows: list[dict[str, Any]], report: ReportFiles,
) -> None:
    terms = pd.read_csv(report.terms_csv)
    wire = scored_of(rows, "Morning Wire")
    counts: dict[tuple[str, str, str], int] = {}
    for row in wire:
        for item in row["cue_terms"]:
            key = (item["term"], item["category"], item["voice"])
            counts[key] = counts.get(key, 0) + item["count"]
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:20]
    table = terms[terms["outlet"] == "Morning Wire"]
    assert list(table["rank"]) == list(range(1, len(ranked) + 1))
    assert list(zip(table["term"], table["category"], table["voice"], table["count"],
                    strict=True)) == [(*key, count) for key, count in ranked]
    words = sum(row["words"] for row in wire)
    assert table["per_1000_words"].iloc[0] == pytest.approx(ranked[0][1] / words * 1000)


def test_reporting_table_counts_verbs_by_source_kind(
    rows: list[dict[str, Any]], report: ReportFiles,
) -> None:
    reporting = pd.read_parquet(report.reporting_parquet)
    counts: dict[tuple[str, str, str], int] = {}
    for row in scored_of(rows, "Daily Ledger"):
        for item in row["reporting"]:
            key = (item["source_kind"], item["verb"], item["stance"])
            counts[key] = counts.get(key, 0) + item["count"]
    table = reporting[reporting["outlet"] == "Daily Ledger"]
    assert table["count"].sum() == sum(counts.values()) > 0
    for (kind, verb, stance), count in counts.items():
        numbers = group(table, source_kind=kind, verb=verb)
        assert numbers[f"stance_{stance}"] == count
    person = table[table["source_kind"] == "person"]
    assert person["share_of_kind"].sum() == pytest.approx(1.0)
    assert list(person["count"]) == sorted(person["count"], reverse=True)


def test_page_is_self_contained_with_one_labelled_svg_per_chart(page: str) -> None:
    assert not re.search(r"https?://", page)
    assert "<script" not in page and "<link" not in page and "<iframe" not in page
    charts = svgs(page)
    # framing, dimensions, cues, stances, and the gold leaning (the model has no leaning model)
    assert len(charts) == 5
    titles = ("Framing score of each article, by group", "Mean framing-dimension scores by group",
              "Loaded-language cues by category and voice", "Reporting stance by source kind",
              "Known leaning (gold) by group")
    for chart, title, axis in zip(charts, titles, AXIS_LABELS, strict=True):
        assert title in chart and axis in chart
    assert "mean probability (0–1)" in charts[1]  # the heat map's colour bar
    for legend_entry in ("median", "emotive", "quoted", "distancing", "left"):
        assert legend_entry in page
    ids = [found for chart in charts for found in re.findall(r'\bid="([^"]+)"', chart)]
    assert len(ids) == len(set(ids)) > 100  # every chart's ids are its own


def test_hostile_names_and_titles_are_escaped(page: str) -> None:
    assert HOSTILE not in page and "<script>" not in page
    assert escape(HOSTILE) in page
    # the hostile outlet's titles, in its most framed articles
    assert len(re.findall(r"&quot;&gt;&lt;script&gt;alert\(\d+\)&lt;/script&gt;", page)) == 3
    assert all(escape(HOSTILE) in chart for chart in svgs(page)[:3])


def test_drill_down_renders_each_groups_most_framed_article(
    rows: list[dict[str, Any]], scores_jsonl: Path, tmp_path: Path,
) -> None:
    rendered: list[ScoreResponse] = []

    def renderer(response: ScoreResponse) -> str:
        rendered.append(response)
        return f'<div class="fake-article">{response.article.framing:.6f}</div>'

    files = build_report(scores_jsonl, out_dir=tmp_path, top=2, renderer=renderer)
    page = files.html.read_text(encoding="utf-8")
    most_framed = {outlet: sorted(scored_of(rows, outlet), key=lambda row: -row["framing"])
                   for outlet in OUTLETS}
    largest = sorted(OUTLETS, key=lambda outlet: (-len(most_framed[outlet]), outlet))[:2]
    assert sorted(response.article.framing for response in rendered) == sorted(
        most_framed[outlet][0]["framing"] for outlet in largest)
    assert page.count('<div class="fake-article">') == 2
    for outlet in largest:
        ids = [row["id"] for row in most_framed[outlet][:3]]
        section = page[page.index(f"<strong>{escape(outlet)}</strong>"):]
        positions = [section.index(f"<td>{article_id}</td>") for article_id in ids]
        assert positions == sorted(positions)  # most framed first


def test_drill_down_uses_the_article_renderer(page: str) -> None:
    pytest.importorskip("service.render")
    assert page.count('<details class="article">') == 3
    assert page.count('<div class="slant-article">') == 3


def test_without_full_responses_the_page_says_why(
    rows: list[dict[str, Any]], tmp_path: Path,
) -> None:
    light = [{key: value for key, value in row.items() if key != "result"} for row in rows]
    rendered: list[ScoreResponse] = []

    def renderer(response: ScoreResponse) -> str:
        rendered.append(response)
        return ""

    files = build_report(write_parquet(light, tmp_path / "light.parquet"),
                         out_dir=tmp_path / "out", renderer=renderer)
    page = files.html.read_text(encoding="utf-8")
    assert rendered == []
    assert page.count("slant batch --full-result") == 3


def test_top_restricts_the_charts_and_says_so(scores_jsonl: Path, tmp_path: Path) -> None:
    files = build_report(scores_jsonl, out_dir=tmp_path, top=1)
    page = files.html.read_text(encoding="utf-8")
    boxplot = svgs(page)[0]
    groups = pd.read_csv(files.groups_csv)
    assert len(groups) == 3  # the tables keep every group
    # all three outlets have 16 articles: the tie goes to the first name in order
    first, *others = groups["outlet"]
    assert first == min(OUTLETS) == HOSTILE
    assert escape(first) in boxplot and not any(escape(name) in boxplot for name in others)
    assert "The 1 group with the most scored articles, of 3." in page


def test_min_articles_leaves_small_groups_out(scores_jsonl: Path, tmp_path: Path) -> None:
    files = build_report(scores_jsonl, by=("topic",), out_dir=tmp_path, min_articles=3)
    groups = pd.read_csv(files.groups_csv)
    assert groups["articles"].min() >= 3
    topics = load_scores(scores_jsonl, ["topic"]).articles.query("status == 'ok'")["topic"]
    assert set(groups["topic"]) == {topic for topic, count in topics.value_counts().items()
                                    if count >= 3}
    terms = pd.read_csv(files.terms_csv)
    assert set(terms["topic"]) <= set(groups["topic"])


def test_model_leaning_labels_are_shared_out(
    rows: list[dict[str, Any]], tmp_path: Path,
) -> None:
    labelled = [dict(row) for row in rows]
    for index, row in enumerate(labelled[:6]):  # the first two articles of each outlet
        row["leaning_label"] = "left" if index < 4 else "right"
    files = build_report(write_jsonl(labelled, tmp_path / "scores.jsonl"), out_dir=tmp_path)
    groups = pd.read_parquet(files.groups_parquet)
    ledger = group(groups, outlet="Daily Ledger")  # rows 0 and 3: left, left
    wire = group(groups, outlet="Morning Wire")  # rows 1 and 4: left, right
    assert (ledger["leaning_share_left"], wire["leaning_share_left"]) == (1.0, 0.5)
    assert wire["leaning_share_right"] == 0.5
    assert "Predicted leaning by group" in files.html.read_text(encoding="utf-8")


@pytest.mark.parametrize(("options", "message"), [
    ({"by": ("author",)}, "group by one or more"),
    ({"by": ()}, "group by one or more"),
    ({"by": ("outlet", "outlet")}, "group by one or more"),
    ({"top": 0}, "at least 1"),
    ({"leaning_column": "allsides"}, "'allsides' is not in"),
])
def test_bad_options_are_refused(
    scores_jsonl: Path, tmp_path: Path, options: dict[str, Any], message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        build_report(scores_jsonl, out_dir=tmp_path, **options)
    assert not (tmp_path / "report.html").exists()


def test_unknown_formats_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("id,outlet\n1,a\n")
    with pytest.raises(ValueError, match=r"expected \.jsonl, \.jsonl\.gz or \.parquet"):
        build_report(path, out_dir=tmp_path / "out")


def test_a_missing_report_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ReportExtraMissing, match=r"needs matplotlib.*install slant\[report\]"):
        require_report_extra()
    assert issubclass(ReportExtraMissing, ImportError)


@pytest.mark.slow
def test_allsides_report(model_home: Path, tmp_path: Path) -> None:
    if not ALLSIDES.exists():
        pytest.skip(f"{ALLSIDES} is absent (the shared AllSides data is not part of a clone)")
    model, manifest = Registry(model_home).load_active()
    made = []
    with gzip.open(ALLSIDES, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number % 100:  # every 100th article: many outlets and years
                continue
            item = json.loads(line)
            meta = ArticleMeta(id=item["id"], outlet=item["source"], title=item["title"],
                               date=item["date"], topic=item["topic"],
                               kept={"bias_text": item["bias_text"]})
            try:
                made.append(article_row(score_payload(model, manifest, item["content"]), meta))
            except NothingToScore as error:
                made.append(error_row(meta, str(error), manifest.version))
            if len(made) == 200:
                break
    files = build_report(write_parquet(made, tmp_path / "allsides.parquet"),
                         by=("outlet", "month"), out_dir=tmp_path / "report", top=10,
                         leaning_column="bias_text")
    groups = pd.read_parquet(files.groups_parquet)
    assert groups["articles"].sum() == sum(row["status"] == "ok" for row in made)
    # each AllSides outlet has one rating, so every group is entirely one leaning
    shares = groups.filter(like="bias_text_share_").fillna(0)
    assert shares.max(axis=1).eq(1.0).all()
    page = files.html.read_text(encoding="utf-8")
    assert len(svgs(page)) == 5 and "<script" not in page
    assert "The 10 groups with the most scored articles" in page
