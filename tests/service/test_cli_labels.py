"""``slant labels import`` and ``slant labels export`` through ``service.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.dataset import load_examples
from training.importers import import_file

pytest.importorskip(
    "service.labels.store", reason="the label store (service/labels/store.py) is not written yet"
)

# after the skip: the labels commands need the store
from service.cli import main
from service.labels.store import LabelStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCCANO = FIXTURES / "doccano" / "doccano_sample.jsonl"
LABELSTUDIO = FIXTURES / "labelstudio" / "export.json"


def slant(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_reports_new_and_already_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = str(FIXTURES / "doccano" / "mapping.json")
    arguments = ["labels", "import", str(DOCCANO), "--format", "doccano", "--mapping", mapping,
                 "--home", str(tmp_path)]
    assert slant(capsys, *arguments) == (
        0, f"imported 4 examples from {DOCCANO}: 4 new, 0 already stored\n", "",
    )
    assert slant(capsys, *arguments) == (
        0, f"imported 4 examples from {DOCCANO}: 0 new, 4 already stored\n", "",
    )
    store = LabelStore.open(tmp_path)
    assert store.count() == 4
    assert [e.text for e in store.examples(source="import:doccano")][1] == (
        "Officials said the bridge would reopen on Monday."
    )


def test_import_then_export_gives_the_stored_examples_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    for path, format in ((DOCCANO, "doccano"), (LABELSTUDIO, "labelstudio")):
        mapping = str(path.parent / "mapping.json")
        code, _, _ = slant(capsys, "labels", "import", str(path), "--format", format,
                           "--mapping", mapping, "--home", home)
        assert code == 0
    store = LabelStore.open(Path(home))
    stored = store.examples(source="import:labelstudio")
    assert [e.text[:20] for e in stored] == [
        "Protesters were met ", "City Budget Approved", "Fans 🎉 cheered the l",
    ]

    out = tmp_path / "tasks.json"
    assert slant(capsys, "labels", "export", str(out), "--format", "labelstudio",
                 "--source", "import:labelstudio", "--home", home) == (
        0, f"exported 3 examples to {out} (labelstudio)\n", "",
    )
    # the exported labels are slant's own: read back without a mapping, ids are the store's
    assert import_file(out, "labelstudio") == stored

    everything = tmp_path / "all.jsonl"
    code, output, _ = slant(capsys, "labels", "export", str(everything), "--format", "native",
                            "--home", home)
    assert (code, output) == (0, f"exported 7 examples to {everything} (native)\n")
    assert load_examples([everything]) == store.examples()


def test_export_to_a_one_level_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    slant(capsys, "labels", "import", str(DOCCANO), "--format", "doccano", "--mapping",
          str(FIXTURES / "doccano" / "mapping.json"), "--home", home)
    out = tmp_path / "babe.csv"
    code, _, error = slant(capsys, "labels", "export", str(out), "--format", "babe",
                           "--home", home)
    assert code == 2
    assert "babe holds sentence examples only; 1 of the 4 examples are not sentences" in error
    code, output, _ = slant(capsys, "labels", "export", str(out), "--format", "babe",
                            "--level", "sentence", "--home", home)
    assert (code, output) == (0, f"exported 3 examples to {out} (babe)\n")
    assert [e.label for e in import_file(out, "babe")] == [
        {"biased": True}, {"biased": False}, {"biased": True},
    ]


def test_import_errors_exit_2_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    code, output, error = slant(capsys, "labels", "import", str(DOCCANO), "--format", "doccano",
                                "--home", home)
    assert (code, output) == (2, "")
    assert error.startswith(f"slant: error: {DOCCANO}: unknown labels: span labels 'LOADED'")
    assert "document labels 'SLANTED' (2 occurrences)" in error
    code, _, error = slant(capsys, "labels", "import", str(tmp_path / "none.jsonl"),
                           "--format", "spacy", "--home", home)
    assert code == 2 and "none.jsonl: no such file or directory" in error
    code, _, error = slant(capsys, "labels", "import", str(DOCCANO), "--format", "doccano",
                           "--mapping", str(tmp_path / "none.json"), "--home", home)
    assert code == 2 and "cannot read the mapping" in error
    assert LabelStore.open(Path(home)).count() == 0
