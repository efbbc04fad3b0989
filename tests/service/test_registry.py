"""The model registry: versions on disk, atomic activation, and refusals on load."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from service import registry as registry_module
from service.registry import (
    NoActiveModel,
    Registry,
    RegistryError,
    file_sha256,
    library_versions,
)
from tests.service.fakes import FakeModel

TEXT = "Ali Hassan claimed the so-called reform was a success."


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    (directory / "nested").mkdir(parents=True)
    (directory / "a.jsonl").write_text('{"id": "a"}\n')
    (directory / "nested" / "b.jsonl").write_text('{"id": "b"}\n')
    # An imported data set may be a directory of any files (PTC: .txt and .labels): all count.
    (directory / "notes.txt").write_text("articles")
    return directory


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "home")


def test_save_writes_artifact_manifest_and_card(registry: Registry, data_dir: Path) -> None:
    version = registry.save_model(FakeModel(), [data_dir])
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", version)
    directory = registry.models_dir / version
    assert sorted(path.name for path in directory.iterdir()) == [
        "MODEL_CARD.md",
        "manifest.json",
        "model.joblib",
    ]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["version"] == version
    assert manifest["created"].endswith("+00:00")
    assert manifest["trained_on"] == ["fake-data"]
    assert manifest["metrics"] == {"article_f1": 0.75, "sentence_f1": 0.5}
    assert manifest["lexicon_version"] == "fake-1"
    assert (
        manifest["artifact_sha256"]
        == hashlib.sha256((directory / "model.joblib").read_bytes()).hexdigest()
    )
    assert manifest["data"] == [
        {
            "path": (data_dir / "a.jsonl").as_posix(),
            "bytes": 12,
            "sha256": hashlib.sha256(b'{"id": "a"}\n').hexdigest(),
        },
        {
            "path": (data_dir / "nested" / "b.jsonl").as_posix(),
            "bytes": 12,
            "sha256": hashlib.sha256(b'{"id": "b"}\n').hexdigest(),
        },
        {
            "path": (data_dir / "notes.txt").as_posix(),
            "bytes": 8,
            "sha256": hashlib.sha256(b"articles").hexdigest(),
        },
    ]
    assert set(manifest["libraries"]) == {
        "python",
        "numpy",
        "scipy",
        "scikit-learn",
        "joblib",
        "slant",
    }
    card = (directory / "MODEL_CARD.md").read_text()
    assert f"# slant model {version}" in card
    assert "fake-data" in card
    assert "| article_f1 | 0.750 |" in card
    assert "## Intended use" in card and "## Limits" in card


def test_saved_model_loads_and_scores_the_same(registry: Registry) -> None:
    version = registry.save_model(FakeModel(), [])
    registry.activate(version)
    model, manifest = registry.load_active()
    assert manifest.version == version
    assert model.score(TEXT) == FakeModel().score(TEXT)


def test_no_active_model_is_a_clear_error(registry: Registry) -> None:
    assert registry.active_version() is None
    assert registry.list_versions() == []
    with pytest.raises(NoActiveModel, match="slant train"):
        registry.load_active()


def test_activate_switches_versions_and_lists_them_oldest_first(registry: Registry) -> None:
    first = registry.save_model(FakeModel(), [])
    second = registry.save_model(FakeModel(), [])
    assert registry.list_versions() == [first, second]
    registry.activate(first)
    assert registry.active_version() == first
    registry.activate(second)
    assert registry.active_version() == second
    assert (registry.models_dir / "ACTIVE").read_text() == second + "\n"
    # Nothing but versions and ACTIVE is left behind (no temporary files).
    assert sorted(path.name for path in registry.models_dir.iterdir()) == sorted(
        [first, second, "ACTIVE"]
    )


def test_active_is_replaced_by_one_rename_in_the_same_directory(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = registry.save_model(FakeModel(), [])
    second = registry.save_model(FakeModel(), [])
    registry.activate(first)
    renames: list[tuple[Path, Path, str]] = []
    real_replace = os.replace

    def spy(source: str, target: str) -> None:
        renames.append((Path(source), Path(target), Path(source).read_text()))
        real_replace(source, target)

    monkeypatch.setattr(registry_module.os, "replace", spy)
    registry.activate(second)
    [(source, target, content)] = renames
    assert target == registry.models_dir / "ACTIVE"
    assert source.parent == registry.models_dir  # same filesystem: the rename is atomic
    assert content == second + "\n"  # complete before it becomes visible


def test_failed_activation_leaves_the_old_active_version(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = registry.save_model(FakeModel(), [])
    second = registry.save_model(FakeModel(), [])
    registry.activate(first)

    def crash(source: str, target: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(registry_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        registry.activate(second)
    assert registry.active_version() == first
    assert sorted(path.name for path in registry.models_dir.iterdir()) == sorted(
        [first, second, "ACTIVE"]
    )


def test_activating_an_unknown_version_is_refused(registry: Registry) -> None:
    registry.save_model(FakeModel(), [])
    with pytest.raises(RegistryError, match="no model version 20000101-000000-abcdef"):
        registry.activate("20000101-000000-abcdef")
    with pytest.raises(RegistryError, match="is not a model version"):
        registry.activate("../../etc")


def test_tampered_artifact_is_refused(registry: Registry) -> None:
    version = registry.save_model(FakeModel(), [])
    registry.activate(version)
    artifact = registry.models_dir / version / "model.joblib"
    with artifact.open("ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(RegistryError, match=r"sha256 .* but its manifest says .* refusing"):
        registry.load_active()


@pytest.mark.parametrize("library", ["scikit-learn", "numpy"])
def test_library_version_mismatch_is_refused(registry: Registry, library: str) -> None:
    version = registry.save_model(FakeModel(), [])
    registry.activate(version)
    path = registry.models_dir / version / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["libraries"][library] = "0.1.0"
    path.write_text(json.dumps(manifest))
    installed = library_versions()[library]
    with pytest.raises(
        RegistryError,
        match=rf"saved with {library} 0\.1\.0 but {library} {re.escape(installed)} is installed",
    ):
        registry.load_active()


def test_patch_release_difference_is_accepted(registry: Registry) -> None:
    version = registry.save_model(FakeModel(), [])
    registry.activate(version)
    path = registry.models_dir / version / "manifest.json"
    manifest = json.loads(path.read_text())
    major, minor = library_versions()["scikit-learn"].split(".")[:2]
    manifest["libraries"]["scikit-learn"] = f"{major}.{minor}.999"
    path.write_text(json.dumps(manifest))
    model, _ = registry.load_active()
    assert model.score(TEXT)["text"] == TEXT


def test_corrupt_manifest_is_refused(registry: Registry) -> None:
    version = registry.save_model(FakeModel(), [])
    (registry.models_dir / version / "manifest.json").write_text("{not json")
    with pytest.raises(RegistryError, match="not a valid manifest"):
        registry.load(version)


def test_unfinished_save_leaves_no_version(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(registry_module.joblib, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        registry.save_model(FakeModel(), [])
    assert registry.list_versions() == []
    assert list(registry.models_dir.iterdir()) == []


def test_file_sha256_streams_large_files(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = os.urandom(3 * (1 << 20) + 17)
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_artifact_that_does_not_unpickle_is_refused(registry: Registry) -> None:
    version = registry.save_model(FakeModel(), [])
    directory = registry.models_dir / version
    (directory / "model.joblib").write_bytes(b"not a pickle")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["artifact_sha256"] = hashlib.sha256(b"not a pickle").hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryError, match="cannot be loaded"):
        registry.load(version)


def test_an_object_without_the_model_interface_is_refused(registry: Registry) -> None:
    version = registry.save_model(FakeModel(), [])
    directory = registry.models_dir / version
    registry_module.joblib.dump({"not": "a model"}, directory / "model.joblib")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["artifact_sha256"] = file_sha256(directory / "model.joblib")
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryError, match="does not hold a scoring model"):
        registry.load(version)


def test_versions_saved_within_one_second_are_listed_in_saving_order(registry: Registry) -> None:
    """Regression: same-second versions were ordered by their random suffix."""
    saved = [registry.save_model(FakeModel(), []) for _ in range(6)]
    assert len({version[:15] for version in saved}) < len(saved)  # some share a second
    assert registry.list_versions() == saved
