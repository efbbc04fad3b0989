"""Fixtures for the service tests: registries with a model in them, and API clients.

The scoring tests run against the REAL model (trained once per session from ``datasets/core`` by
the ``trained_model`` fixture of ``tests/conftest.py``) whenever the training package and the core
dataset are there; ``SLANT_TEST_MODEL=fake`` forces the stand-in from ``fakes.py`` instead.
Tests that need exact, known values (or a model that fails) use the fake explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.registry import Registry, ScoringModel
from tests.service.fakes import FakeModel

REPO = Path(__file__).resolve().parents[2]
CORE_DATASET = REPO / "datasets" / "core"


def _real_model_available() -> bool:
    return find_spec("training.train") is not None and any(CORE_DATASET.glob("*.jsonl"))


USE_REAL_MODEL = os.environ.get("SLANT_TEST_MODEL", "real") == "real" and _real_model_available()


def save_active(home: Path, model: ScoringModel, data: list[Path] | None = None) -> str:
    """Save ``model`` into the registry at ``home`` and activate it; returns the version."""
    registry = Registry(home)
    version = registry.save_model(model, data or [])
    registry.activate(version)
    return version


@pytest.fixture(scope="session")
def model_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry whose active model is the real one (or the fake, see the module docstring)."""
    home = tmp_path_factory.mktemp("slant-home")
    if USE_REAL_MODEL:
        save_active(home, request.getfixturevalue("trained_model"), [CORE_DATASET])
    else:
        data = tmp_path_factory.mktemp("data") / "fake.jsonl"
        data.write_text('{"id": "1"}\n')
        save_active(home, FakeModel(), [data])
    return home


@pytest.fixture(scope="session")
def fake_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("fake-home")
    save_active(home, FakeModel())
    return home


def make_client(home: Path, **settings: int) -> TestClient:
    return TestClient(create_app(Settings(home=home, **settings)))


@pytest.fixture
def client(model_home: Path) -> Iterator[TestClient]:
    """An API client serving the session model; the lifespan (model loading) runs."""
    with make_client(model_home) as test_client:
        yield test_client


@pytest.fixture
def fake_client(fake_home: Path) -> Iterator[TestClient]:
    with make_client(fake_home) as test_client:
        yield test_client


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """An API client over an empty registry: no model is loaded."""
    with make_client(tmp_path / "empty-home") as test_client:
        yield test_client
