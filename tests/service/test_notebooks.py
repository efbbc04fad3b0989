"""The review notebooks: stored clean, valid, and executed end to end on small data (papermill).

Each notebook runs in a fresh kernel from the project directory, as CI runs it, against a
registry made for the test: the session's model for the article and outlet notebooks, a model
trained through the quality gate for the model card (whose numbers need the gate's hold-out).
"""

from __future__ import annotations

import ast
import html
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

from service.jobs import TrainingOptions
from service.notebook_support import load_model, score_corpus
from service.registry import Registry
from service.retrain import run_training
from service.scoring import score_payload
from tests.service.conftest import CORE_DATASET, REPO, USE_REAL_MODEL
from tests.service.test_batch import core_texts
from training.train import collect_examples

NOTEBOOKS = REPO / "notebooks"
PARAMETERS = {
    "article_review": ["home", "version", "dataset", "article_id", "article_path", "html",
                       "explanation", "top"],
    "outlet_report": ["home", "scores", "articles", "fields", "by", "outlet", "top", "groups"],
    "model_card": ["home", "version", "eval_data", "errors", "features", "bins"],
}
OUTLETS = ("Daily Planet", "The Bugle", "Gazette")
ARTICLE_ID = "aa-016"

needs_training = pytest.mark.skipif(
    not USE_REAL_MODEL, reason="needs the training package and datasets/core (SLANT_TEST_MODEL)"
)


def execute(name: str, out_dir: Path, **parameters: Any) -> nbformat.NotebookNode:
    """Run a stored notebook with papermill; an error in any cell fails the test here."""
    out = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters,
        kernel_name="python3", cwd=str(REPO), progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    errors = [output for cell in executed.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors, errors
    return executed


def outputs(notebook: nbformat.NotebookNode, mime: str) -> list[str]:
    """Every output of the given type ("stream" for printed text), in cell order."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if mime == "stream" and output.output_type == "stream":
                found.append(output.text)
            elif mime in output.get("data", {}):
                found.append(output.data[mime])
    return found


def stored(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)


# -- as stored


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_stored_notebook_has_no_outputs(name: str) -> None:
    notebook = stored(name)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "papermill" not in notebook.metadata


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_stored_notebook_is_valid_nbformat_4_with_a_parameters_cell(name: str) -> None:
    notebook = stored(name)
    assert notebook.nbformat == 4
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert first_code.metadata.get("tags") == ["parameters"]
    assigned = [node.targets[0].id for node in ast.parse(first_code.source).body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)]
    assert assigned == PARAMETERS[name]
    assert notebook.cells[0].cell_type == "markdown"  # a title and what the reader sees


# -- executed


def test_article_review_runs(model_home: Path, tmp_path: Path) -> None:
    notebook = execute("article_review", tmp_path, home=str(model_home), article_id=ARTICLE_ID)
    model, manifest = load_model(model_home)
    text = next(e.text for e in collect_examples([CORE_DATASET]) if e.id == ARTICLE_ID)
    response = score_payload(model, manifest, text)
    printed = "".join(outputs(notebook, "stream"))
    assert f"model {manifest.version}: {response.article.label} " \
        f"(framing {response.article.framing:.3f})" in printed
    pages = outputs(notebook, "text/html")
    assert sum('class="slant-article"' in page for page in pages) == 1
    sources = next(page for page in pages if "<th>verbs</th>" in page)
    assert response.sources
    for source in response.sources:
        assert html.escape(source.name, quote=False) in sources
    charts = outputs(notebook, "image/svg+xml")
    assert len(charts) == 3
    assert "contribution to the framing logit" in charts[0]
    assert "probability the sentence is biased" in charts[1]
    assert "contribution to the sentence logit" in charts[2]


@pytest.fixture(scope="module")
def batch_output(model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """20 core articles under 3 made-up outlets, scored without the full responses."""
    directory = tmp_path_factory.mktemp("outlets")
    corpus = directory / "articles.jsonl"
    corpus.write_text("".join(
        json.dumps({"id": f"n{index:02d}", "content": text, "source": OUTLETS[index % 3],
                    "title": f"Story {index}"}) + "\n"
        for index, text in enumerate(core_texts(20))))
    fields = {"text": "content", "outlet": "source"}
    return corpus, score_corpus(corpus, directory / "scores.jsonl", model_home, fields=fields)


def test_outlet_report_runs(model_home: Path, batch_output: tuple[Path, Path],
                            tmp_path: Path) -> None:
    corpus, scores = batch_output
    rows = [json.loads(line) for line in scores.read_text().splitlines()]
    framing: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        framing[row["outlet"]].append(row["framing"])
    expected = max(framing, key=lambda outlet: statistics.fmean(framing[outlet]))
    most_framed = max((row for row in rows if row["outlet"] == expected),
                      key=lambda row: row["framing"])

    notebook = execute("outlet_report", tmp_path, home=str(model_home), scores=str(scores),
                       articles=str(corpus), fields={"text": "content", "outlet": "source"},
                       top=2)
    printed = "".join(outputs(notebook, "stream"))
    assert "20 rows of scores.jsonl, 3 groups" in printed
    assert f"drilling into {expected!r}" in printed
    tables = outputs(notebook, "text/html")
    assert all(f"<th>{outlet}</th>" in tables[0] for outlet in OUTLETS)  # the groups table
    charts = outputs(notebook, "image/svg+xml")
    assert len(charts) == 4
    assert "framing probability of each article" in charts[0]
    assert "share of attributions (%)" in charts[3]
    headings = outputs(notebook, "text/markdown")
    assert headings[0].startswith(f"### {most_framed['id']}: Story ")  # rendered first
    rendered = [page for page in tables if 'class="slant-article"' in page]
    assert len(rendered) == len(headings) >= 2


@pytest.fixture(scope="module")
def gated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry whose model was trained as `make model` trains it: through the gate."""
    home = tmp_path_factory.mktemp("gated-home")
    run_training(home, TrainingOptions(datasets=[str(CORE_DATASET)]))
    return home


@needs_training
def test_model_card_runs(gated_home: Path, tmp_path: Path) -> None:
    notebook = execute("model_card", tmp_path, home=str(gated_home), errors=2)
    manifest = Registry(gated_home).read_manifest(Registry(gated_home).active_version() or "")
    printed = "".join(outputs(notebook, "stream"))
    assert "the model never saw them" in printed  # the hold-out's fingerprint matches the gate's
    assert "Decision: first." in printed
    tables = outputs(notebook, "text/html")
    metrics = next(page for page in tables if "measured on" in page)
    assert f"{manifest.metrics['sentence:f1']:.3f}" in metrics
    recomputed = next(page for page in tables if "<th>score</th>" in page)
    assert f"{manifest.metrics['sentence:f1']:.3f}" in recomputed
    assert f"{manifest.metrics['article:f1']:.3f}" in recomputed
    charts = outputs(notebook, "image/svg+xml")
    assert len(charts) == 2
    assert "actual (annotated)" in charts[0]
    assert "predicted probability" in charts[1] and "observed frequency" in charts[1]
    features = [page for page in tables if "<th>direction</th>" in page]
    assert len(features) == 2  # sentence and framing (this model has no leaning level)
    assert sum('class="slant-article"' in page for page in tables) == 2
