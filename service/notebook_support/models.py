"""Loading what the notebooks read: a registry's model version, a dataset's article."""

from __future__ import annotations

from pathlib import Path

from service.registry import Manifest, Registry, ScoringModel
from training.model import SlantModel
from training.train import collect_examples


def load_model(home: str | Path, version: str | None = None) -> tuple[ScoringModel, Manifest]:
    """A version of the registry at ``home`` (``None``: the active one), checked as it loads."""
    registry = Registry(Path(home))
    return registry.load_active() if version is None else registry.load(version)


def slant_model(model: ScoringModel) -> SlantModel:
    """The model as a ``SlantModel``: the model card reads its levels, which a stand-in lacks."""
    if not isinstance(model, SlantModel):
        raise TypeError(f"the model card needs a SlantModel, not a {type(model).__name__}")
    return model


def dataset_article(dataset: str | Path, article_id: str) -> str:
    """The text of the example ``article_id`` in a native dataset (a file or a directory)."""
    examples = collect_examples([dataset])
    for example in examples:
        if example.id == article_id:
            return example.text
    known = ", ".join(e.id for e in examples if e.level == "article")[:200]
    raise KeyError(f"no example {article_id!r} in {dataset} (articles: {known}…)")
