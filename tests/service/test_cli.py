"""The ``slant`` command line: score (JSON and report), train, models."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.cli import main
from service.jobs import TrainingOptions
from service.registry import Registry
from service.retrain import TrainingOutcome
from tests.service.conftest import CORE_DATASET, REPO, USE_REAL_MODEL, save_active
from tests.service.fakes import FakeModel
from training.gate import EvaluationSummary, GateReport

ARTICLE = (
    "The regime claimed that the so-called protesters were paid. "
    'Ali Hassan said the legendary commander had "fought the thugs heroically".'
)
HTML_ARTICLE = (
    "<html><body><p>The <b>regime</b> claimed the so-called vote was free.</p></body></html>"
)


def run_slant(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """The command as a separate process (``python -m service`` is the ``slant`` script)."""
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=REPO,
        input=stdin.decode(),
        capture_output=True,
        text=True,
        timeout=300,  # training on a loaded 2-core machine
        check=False,
    )


def score_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["score", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_score_json_equals_the_api_answer(
    tmp_path: Path, model_home: Path, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    from_cli = score_json(capsys, str(path), "--home", str(model_home))
    from_api = client.post("/v1/score", json={"text": ARTICLE}).json()
    assert from_cli == from_api
    assert from_cli["cues"]


def test_score_json_in_a_separate_process_equals_the_api_answer(
    tmp_path: Path, model_home: Path, client: TestClient
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = run_slant("score", str(path), "--json", "--home", str(model_home))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == client.post("/v1/score", json={"text": ARTICLE}).json()


def test_html_file_is_read_as_html_by_its_extension(
    tmp_path: Path, model_home: Path, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.HTM"
    path.write_text(HTML_ARTICLE, encoding="utf-8")
    from_cli = score_json(capsys, str(path), "--home", str(model_home))
    assert "<b>" not in from_cli["text"]
    assert (
        from_cli == client.post("/v1/score", json={"text": HTML_ARTICLE, "format": "html"}).json()
    )
    as_text = score_json(capsys, str(path), "--text", "--home", str(model_home))
    assert "<b>regime</b>" in as_text["text"]


def test_stdin_is_read_with_dash(
    model_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HTML_ARTICLE.encode())))
    body = score_json(capsys, "-", "--html", "--home", str(model_home))
    assert body["text"].startswith("The regime claimed")


def test_invalid_utf8_file_exits_2_naming_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le café est fermé".encode("latin-1"))  # "é" is 0xe9 at byte 6
    result = run_slant("score", str(path), "--home", str(tmp_path / "home"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "not valid UTF-8" in result.stderr
    assert "byte 0xe9 at offset 6" in result.stderr


def test_byte_order_mark_is_not_part_of_the_text(
    tmp_path: Path, fake_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode())
    assert score_json(capsys, str(path), "--home", str(fake_home))["text"] == ARTICLE


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"  \n\n ", "nothing to score"), (None, "cannot read")],
)
def test_unscorable_or_missing_file_exits_2(
    tmp_path: Path,
    fake_home: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    assert main(["score", str(path), "--home", str(fake_home)]) == 2
    assert message in capsys.readouterr().err


def test_score_without_a_model_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE)
    assert main(["score", str(path), "--home", str(tmp_path / "home")]) == 1
    assert "no active model" in capsys.readouterr().err


def test_score_report_shows_scores_cues_sources_and_reasons(
    tmp_path: Path, fake_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE)
    assert main(["score", str(path), "--home", str(fake_home)]) == 0
    out = capsys.readouterr().out
    assert "framing 0.9" in out  # σ(-1 + 5 × 0.8) = 0.95
    assert "The [regime|demonizing] claimed that the [so-called|doubt] protesters were paid." in out
    assert "Ali Hassan" in out and "neutral 1" in out
    assert "Ali Hassan — said (neutral)" in out
    assert "cue:demonizing:regime" in out
    assert "Why framing" in out


@pytest.fixture
def stub_training(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Replace the training run with one that saves the fake model as a first model."""
    calls: list[list[str]] = []

    def run_training(
        home: Path, options: TrainingOptions, *, job_id: str | None = None, progress: object = None
    ) -> TrainingOutcome:
        calls.append(list(options.datasets))
        registry = Registry(home)
        gate = GateReport(
            decision="first", passed=True, forced=False, tolerance=options.tolerance,
            active_version=None,
            evaluation=EvaluationSummary(holdout=options.holdout, seed=42, held_out=0, extra=0,
                                         sentences=0, articles=0, ids_sha256="0" * 64),
            comparisons=[], reason="no active model to compare with",
        )
        version = registry.save_model(
            FakeModel(), [Path(spec) for spec in options.datasets], gate=gate, job=job_id
        )
        registry.activate(version)
        return TrainingOutcome(version=version, activated=True, gate=gate,
                               metrics=dict(FakeModel.metrics))

    monkeypatch.setattr("service.cli.run_training", run_training)
    return calls


def test_train_saves_and_activates(
    tmp_path: Path, stub_training: list[list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"id": "x"}\n')
    home = tmp_path / "home"
    assert main(["train", "--dataset", str(data), "--home", str(home)]) == 0
    registry = Registry(home)
    [version] = registry.list_versions()
    assert registry.active_version() == version
    assert stub_training == [[str(data)]]
    assert registry.read_manifest(version).data[0].path == data.as_posix()
    out = capsys.readouterr().out
    assert version in out and "article_f1" in out and "0.750" in out


def test_train_if_missing_does_nothing_when_a_model_is_active(
    tmp_path: Path, stub_training: list[list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    version = save_active(tmp_path, FakeModel())
    assert main(["train", "--if-missing", "--home", str(tmp_path)]) == 0
    assert stub_training == []
    assert Registry(tmp_path).list_versions() == [version]
    assert "nothing to do" in capsys.readouterr().out


def test_train_if_missing_trains_when_no_model_is_active(
    tmp_path: Path, stub_training: list[list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "datasets" / "core").mkdir(parents=True)
    assert main(["train", "--if-missing", "--home", "home"]) == 0
    assert stub_training == [["datasets/core"]]
    assert Registry(tmp_path / "home").active_version() is not None


def test_train_on_a_missing_dataset_exits_2(
    tmp_path: Path, stub_training: list[list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--dataset", str(tmp_path / "nope"), "--home", str(tmp_path)])
    assert code == 2
    assert "no such dataset" in capsys.readouterr().err
    assert stub_training == []


def test_models_lists_versions_and_marks_the_active_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = Registry(tmp_path)
    older = registry.save_model(FakeModel(), [])
    newer = save_active(tmp_path, FakeModel())
    assert main(["models", "--home", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    [active_line] = [line for line in lines if newer in line]
    [other_line] = [line for line in lines if older in line]
    assert "*" in active_line and "*" not in other_line
    assert "fake-data" in active_line


def test_score_report_renders_the_session_model(
    tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE)
    assert main(["score", str(path), "--home", str(model_home)]) == 0
    out = capsys.readouterr().out
    assert "framing " in out and "loaded language" in out
    # "claimed that ..." is an indirect attribution: its content is the source's claim.
    assert "[so-called|doubt|reported]" in out
    assert "Ali Hassan" in out
    assert "Why framing" in out and "intercept" in out


@pytest.mark.slow
@pytest.mark.skipif(not USE_REAL_MODEL, reason="needs the training package and datasets/core")
def test_train_then_score_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    trained = run_slant("train", "--dataset", str(CORE_DATASET), "--home", str(home))
    assert trained.returncode == 0, trained.stderr
    [version] = Registry(home).list_versions()
    assert version in trained.stdout
    again = run_slant("train", "--if-missing", "--home", str(home))
    assert again.returncode == 0 and "nothing to do" in again.stdout
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE)
    scored = run_slant("score", str(path), "--json", "--home", str(home))
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["model"] == {
        "version": version,
        "trained_on": [str(CORE_DATASET)],
    }


def test_train_refuses_an_unknown_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("text\n")
    home = tmp_path / "home"
    assert main(["train", "--dataset", f"nosuchformat={data}", "--home", str(home)]) == 2
    error = capsys.readouterr().err
    assert "unknown dataset format 'nosuchformat'" in error and "native" in error
    assert Registry(home).list_versions() == []
