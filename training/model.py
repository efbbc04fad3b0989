"""The fitted slant model: cue tagger, sentence model, article and dimension models.

``SlantModel.score`` is the one scoring function behind the API, the command line and batch
scoring: it returns the JSON-ready result described in ``docs/architecture.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training.analysis import Analysis, analyze
from training.article_model import stacked_article_bag
from training.cues import CueTagger
from training.dataset import Example
from training.explain import ScoreExplanation
from training.leaning import LeaningModel
from training.level import LevelModel
from training.lexicon import Lexicon
from training.sentence_model import sentence_bag

FRAMED_THRESHOLD = 0.5

@dataclass
class SlantModel:
    lexicon: Lexicon
    tagger: CueTagger
    sentence: LevelModel
    article: LevelModel
    dimensions: dict[str, LevelModel]
    # Outlet leaning (left / center / right): only when the training data carried enough
    # articles labeled with a leaning; otherwise the response's ``leaning`` is null.
    leaning: LeaningModel | None = None
    trained_on: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def lexicon_version(self) -> str:
        return self.lexicon.version

    def analyze(self, text: str, *, html: bool = False) -> Analysis:
        return analyze(text, self.lexicon, self.tagger, html=html)

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        """Score one article; raises ``NothingToScore`` for a text without words.

        The JSON-ready result of ``docs/architecture.md``, explanations included as dicts.
        """
        result = self.score_explained(text, html=html, explain_sentences=explain_sentences)
        result["explanation"] = {
            name: explanation.to_dict() for name, explanation in result["explanation"].items()
        }
        return result

    def level_names(self) -> list[str]:
        """The model's linear scores, named as explanations name them: ``sentence``,
        ``framing``, ``dimension:<name>`` and, with a leaning model, ``leaning:<class>``."""
        names = ["sentence", "framing", *(f"dimension:{name}" for name in self.dimensions)]
        if self.leaning is not None:
            names.extend(f"leaning:{leaning}" for leaning in self.leaning.classes)
        return names

    def feature_weights(self, level: str) -> dict[str, float]:
        """The weight of every feature a level reads, by feature name, in calibrated-logit units
        per unit of the feature's raw value (``level`` is one of ``level_names()``)."""
        if level.startswith("leaning:") and self.leaning is not None:
            scorer = self.leaning.scorers.get(level.removeprefix("leaning:"))
            if scorer is not None:
                return dict(zip(scorer.feature_names, scorer.weights.tolist(), strict=True))
        levels = {"sentence": self.sentence, "framing": self.article} | {
            f"dimension:{name}": model for name, model in self.dimensions.items()
        }
        if level not in levels:
            known = ", ".join(self.level_names())
            raise KeyError(f"no level named {level!r} in the model (known: {known})")
        return dict(levels[level].weights_by_name)

    def example_probabilities(self, example: Example) -> dict[str, float]:
        """The probabilities an evaluation compares with a labeled example's labels.

        A sentence example is read as one unit, as it was labeled (``sentence``), even when the
        splitter cuts it in two; an article example gets ``framing`` and every
        ``dimension:<name>``. The same computation as ``training.train.tally_predictions``, so
        the metrics of a held-out set can be recomputed (and drawn) from these numbers.
        """
        analysis = self.analyze(example.text)
        if example.level == "sentence":
            return {"sentence": self.sentence.probabilities([sentence_bag(analysis)])[0]}
        bag = stacked_article_bag(analysis, self.sentence, self.article)[0]
        probabilities = {"framing": self.article.explain(bag).probability}
        for name, level in self.dimensions.items():
            probabilities[f"dimension:{name}"] = level.explain(bag).probability
        return probabilities

    def score_explained(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]:
        """``score``'s result with each explanation left a ``ScoreExplanation``: the service
        serializes those as they are instead of copying every contribution into a dict."""
        analysis = self.analyze(text, html=html)
        bag, bags, bias = stacked_article_bag(analysis, self.sentence, self.article)
        document = analysis.document

        framing = self.article.explain(bag)
        explanations: dict[str, ScoreExplanation] = {"framing": framing}
        dimension_scores: dict[str, float] = {}
        for name, level in self.dimensions.items():
            explanation = level.explain(bag)
            explanations[f"dimension:{name}"] = explanation
            dimension_scores[name] = explanation.probability
        leaning = None
        if self.leaning is not None:
            result = self.leaning.explain(self.leaning.bag(analysis, bias))
            leaning = result.to_dict()
            for name, explanation in result.explanations.items():
                explanations[f"leaning:{name}"] = explanation
        if explain_sentences:
            for index, sentence_bag in enumerate(bags):
                explanations[f"sentence:{index}"] = self.sentence.explain(sentence_bag)

        return {
            "text": document.text,
            "article": {
                "framing": framing.probability,
                "label": "framed" if framing.probability >= FRAMED_THRESHOLD else "not framed",
                "dimensions": dimension_scores,
                "leaning": leaning,
            },
            "sentences": [
                {"start": s.start, "end": s.end, "bias": b}
                for s, b in zip(document.sentences, bias, strict=True)
            ],
            "cues": [
                {
                    "start": cue.start, "end": cue.end, "text": cue.text, "term": cue.term,
                    "category": cue.category, "voice": cue.voice,
                    "probability": cue.probability, "sentence": cue.sentence,
                }
                for cue in analysis.cues
            ],
            "attributions": [_attribution_dict(a) for a in analysis.attributions],
            "sources": [
                {"name": s.name, "kind": s.kind, "mentions": s.mentions, "stances": dict(s.stances)}
                for s in analysis.profile.sources
            ],
            "source_asymmetry": analysis.profile.asymmetry,
            "explanation": explanations,
            "warnings": list(document.warnings),
        }


def _attribution_dict(attribution: Any) -> dict[str, Any]:
    source = attribution.source
    content = attribution.content
    cue = attribution.cue
    return {
        "source": None if source is None else {
            "text": source.text, "start": source.start, "end": source.end,
            "kind": source.kind, "name": source.name,
        },
        "cue": {
            "text": cue.text, "start": cue.start, "end": cue.end,
            "stance": cue.stance, "term": cue.term,
        },
        "content": None if content is None else {
            "start": content.start, "end": content.end, "direct": content.direct,
        },
        "sentence": attribution.sentence,
    }
