"""The sentence level: which sentences slant, from the writer's words, cues and attributions."""

from __future__ import annotations

from collections.abc import Sequence

from training.analysis import Analysis
from training.dataset import Example
from training.features import FeatureBag
from training.level import LevelModel, fit_level
from training.sentence_features import SPARSE_PREFIXES, sentence_bags, text_bag

CUE_TERM_PREFIX = "cue:"

# C values to choose from by out-of-fold ROC AUC on the training sentences only. NB-scaled
# presence features on thousands of BABE sentences want a small C; a few hundred sentences of the
# project's own data want a larger one, so the grid spans both.
SENTENCE_REGULARIZATION = (0.005, 0.02, 0.1, 0.5, 2.0)


def sentence_bag(analysis: Analysis) -> FeatureBag:
    """One bag for a text labeled as one sentence (even if the splitter cut it in two)."""
    return text_bag(analysis)


def sentence_training_set(
    sentences: Sequence[Example], articles: Sequence[Example], scored: dict[str, Analysis]
) -> tuple[list[FeatureBag], list[bool]]:
    """The labeled sentences, plus every sentence of each article labeled as not framed.

    The guidelines label an article not framed only when none of its writer's sentences slant,
    so its sentences are distant-supervision negatives. They teach the sentence model what plain
    headlines and wire copy look like, which isolated labeled sentences under-represent.
    """
    bags = [sentence_bag(scored[e.id]) for e in sentences]
    labels = [e.biased for e in sentences]
    for article in articles:
        # Only where the guidelines' meaning holds: labeled not framed, cues fully annotated.
        if article.has_label("framing") and not article.biased and article.annotated("spans"):
            article_sentences = sentence_bags(scored[article.id])
            bags.extend(article_sentences)
            labels.extend([False] * len(article_sentences))
    return bags, labels


def fit_sentence_level(
    sentences: Sequence[Example], articles: Sequence[Example], scored: dict[str, Analysis]
) -> LevelModel:
    bags, labels = sentence_training_set(sentences, articles, scored)
    return fit_level(
        "sentence", bags, labels, regularization=SENTENCE_REGULARIZATION,
        # The tagger names words no lexicon lists (cue:<category>:<word>): like n-grams, a term
        # seen in one training sentence only memorizes it.
        rare_prefixes=(CUE_TERM_PREFIX,), log_ratio_prefixes=SPARSE_PREFIXES,
    )
