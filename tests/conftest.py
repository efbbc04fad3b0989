"""Fixtures shared by the training and service tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.model import SlantModel
from training.train import train_model

REPO = Path(__file__).resolve().parents[1]
CORE_DATASET = REPO / "datasets" / "core"
SHARED = REPO.parent / "shared"
EXAMPLES = SHARED / "examples"


@pytest.fixture(scope="session")
def trained_model() -> SlantModel:
    """The default model, fitted once per test session from the project's own data."""
    return train_model([CORE_DATASET], evaluate=False)


@pytest.fixture(scope="session")
def tasnim_text() -> str:
    path = EXAMPLES / "tasnim_iraq_fm.txt"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared examples are not part of a clone)")
    return path.read_text(encoding="utf-8")
