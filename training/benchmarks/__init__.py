"""Benchmark tasks on public data: each reproduces a published evaluation protocol.

A task is a function ``(BenchContext) -> list[BenchRow]`` registered under its name with
``@task("babe_sentence")``. ``slant bench`` (``service/bench.py``) runs them and prints one
table. Folds are fixed and seeded; nothing is tuned on evaluation folds. Every task measures
two models where the issue asks for both: ``public`` (fitted on the public data's training
folds) and ``default`` (the model that ships, trained on ``datasets/core`` only, zero-shot).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from training.model import SlantModel

SEED = 42
# The order of the table: the order, whatever order the modules register in.
TASK_ORDER = (
    "babe_sentence", "babe_words", "ptc_loaded", "polnear_attribution", "hyperpartisan",
    "allsides_leaning", "speed",
)


@dataclass(frozen=True)
class BenchRow:
    task: str
    metric: str
    value: float
    reference: str | None  # the published or measured number to compare with, as text
    protocol: str
    model: str  # "public" (trained on the public data's training folds) or "default"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BenchContext:
    data_dir: Path  # the public datasets (../shared/data)
    default_model: SlantModel  # trained on datasets/core only
    full: bool = False  # False: the documented CI subset of the slow tasks


class DataMissing(RuntimeError):
    """The task's public data is not there; the task is skipped with this reason."""


Task = Callable[[BenchContext], list[BenchRow]]
TASKS: dict[str, Task] = {}


def task(name: str) -> Callable[[Task], Task]:
    """Register a benchmark task under ``name`` (the ``task`` column of its rows)."""

    def register(function: Task) -> Task:
        if name in TASKS:
            raise ValueError(f"benchmark task {name!r} registered twice")
        TASKS[name] = function
        return function

    return register


def require(path: Path) -> Path:
    if not path.exists():
        raise DataMissing(f"{path} is absent")
    return path


def load_tasks() -> dict[str, Task]:
    """Import every module of this package (each registers its tasks); the tasks in order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    rank = {name: index for index, name in enumerate(TASK_ORDER)}
    return dict(sorted(TASKS.items(), key=lambda item: rank.get(item[0], len(rank))))
