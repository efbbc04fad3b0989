"""``ptc_loaded``: loaded language and name calling in PTC articles, word by word.

Protocol: the 371 PTC training articles (``ptc/train-tc``, ``ptc`` importer), 5-fold
cross-validation grouped by article (each example is one article: ``KFold(5, shuffle=True,
random_state=42)`` over articles). Gold for ``loaded`` = the PTC spans of ``Loaded_Language`` ∪
``Name_Calling,Labeling``; gold for ``doubt`` = the spans of ``Doubt`` (techniques kept in
``meta["techniques"]``).

- predicted ``loaded`` tokens: the word tokens of the cues the tagger calls loaded (probability
  at or above its threshold) whose category is emotive, demonizing or glorifying (the
  categories the two techniques map to, and glorification's mirror image); predicted ``doubt``
  tokens: the same for category doubt;
- token F1: over word tokens (punctuation left out), micro-averaged over the held-out articles;
  a token is gold when it overlaps a gold span;
- span F1 (overlap match): predicted spans are runs of consecutive predicted tokens (only
  punctuation-free adjacency: token i and i+1 both predicted); a predicted span is correct when
  it shares a character with some gold span, a gold span is found when some predicted span
  shares a character with it; precision = correct / predicted, recall = found / gold.

Models: ``public`` = ``CueTagger`` fitted (``training.tagging.fit_tagger``, the ``slant train``
path) on the training folds' articles with the importer's cue spans (Loaded_Language -> emotive,
Name_Calling -> demonizing, Doubt -> doubt, Exaggeration -> exaggeration); threshold from inner
folds of the training articles. ``default`` = the shipped tagger (``datasets/core`` only),
zero-shot on the same held-out articles. CI: the first two of the five folds; ``--full``: all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold

from training.analysis import Analysis, analyze
from training.benchmarks import SEED, BenchContext, BenchRow, require, task
from training.cues import CueTagger
from training.dataset import Example
from training.document import Document
from training.importers.ptc import load, technique_spans
from training.lexicon import load_lexicon
from training.tagging import fit_tagger, with_tagger

TASK = "ptc_loaded"
FOLDS = 5
CI_FOLDS = 2
LOADED_TECHNIQUES = ("Loaded_Language", "Name_Calling,Labeling")
LOADED_CATEGORIES = frozenset({"emotive", "demonizing", "glorifying"})
REFERENCE = "context-window LR about 0.23 token F1; bar >= 0.40"
DOUBT_REFERENCE = "best SemEval-2020 team, technique classification given spans: Doubt 0.63"


def protocol(full: bool, extra: str = "") -> str:
    folds = "5 folds" if full else f"CI: first {CI_FOLDS} of the 5 folds"
    return (
        "PTC train-tc, 371 articles, KFold(5, shuffle, random_state=42) over articles "
        f"({folds}); word tokens overlapping gold spans, micro over articles{extra}"
    )


@dataclass
class Counts:
    predicted: int = 0
    gold: int = 0
    correct_predicted: int = 0
    found_gold: int = 0

    def scores(self) -> tuple[float, float, float]:
        precision = self.correct_predicted / self.predicted if self.predicted else 0.0
        recall = self.found_gold / self.gold if self.gold else 0.0
        total = precision + recall
        return precision, recall, (2 * precision * recall / total if total else 0.0)


def word_tokens_in(document: Document, spans: Iterable[tuple[int, int]]) -> set[int]:
    return {
        token.index
        for start, end in spans
        for token in document.tokens_overlapping(start, end)
        if token.lower[:1].isalnum()
    }


def predicted_tokens(tagger: CueTagger, analysis: Analysis, categories: frozenset[str]
                     ) -> set[int]:
    tokens = analysis.document.tokens
    return {
        index
        for cue in tagger.loaded(analysis.cues) if cue.category in categories
        for index in range(cue.start_token, cue.end_token)
        if tokens[index].lower[:1].isalnum()
    }


def runs(document: Document, indices: set[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive token indices, as character spans."""
    spans: list[tuple[int, int]] = []
    previous = None
    for index in sorted(indices):
        token = document.tokens[index]
        if previous is not None and index == previous + 1:
            spans[-1] = (spans[-1][0], token.end)
        else:
            spans.append((token.start, token.end))
        previous = index
    return spans


def _overlaps(span: tuple[int, int], others: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


@dataclass
class Scores:
    tokens: Counts
    spans: Counts

    def add(self, document: Document, predicted: set[int],
            gold_spans: Sequence[tuple[int, int]]) -> None:
        gold = word_tokens_in(document, gold_spans)
        self.tokens.predicted += len(predicted)
        self.tokens.gold += len(gold)
        self.tokens.correct_predicted += len(predicted & gold)
        self.tokens.found_gold += len(predicted & gold)
        predicted_spans = runs(document, predicted)
        self.spans.predicted += len(predicted_spans)
        self.spans.gold += len(gold_spans)
        self.spans.correct_predicted += sum(_overlaps(s, gold_spans) for s in predicted_spans)
        self.spans.found_gold += sum(_overlaps(s, predicted_spans) for s in gold_spans)


def _gold(example: Example, techniques: Sequence[str]) -> list[tuple[int, int]]:
    return sorted({(s.start, s.end) for s in technique_spans(example, techniques)})


def _score(examples: Sequence[Example], analyses: dict[str, Analysis], tagger: CueTagger,
           loaded: Scores, doubt: Scores) -> None:
    for example in examples:
        analysis = with_tagger(analyses[example.id], tagger)
        document = analysis.document
        loaded.add(document, predicted_tokens(tagger, analysis, LOADED_CATEGORIES),
                   _gold(example, LOADED_TECHNIQUES))
        doubt.add(document, predicted_tokens(tagger, analysis, frozenset({"doubt"})),
                  _gold(example, ("Doubt",)))


def _rows(loaded: Scores, doubt: Scores, model: str, protocol_text: str) -> list[BenchRow]:
    rows = []
    for name, counts in (("token", loaded.tokens), ("span", loaded.spans)):
        precision, recall, f1 = counts.scores()
        reference = REFERENCE if name == "token" else None
        rows += [
            BenchRow(TASK, f"loaded_{name}_f1", f1, reference, protocol_text, model),
            BenchRow(TASK, f"loaded_{name}_precision", precision, None, protocol_text, model),
            BenchRow(TASK, f"loaded_{name}_recall", recall, None, protocol_text, model),
        ]
    rows.append(BenchRow(TASK, "doubt_token_f1", doubt.tokens.scores()[2], DOUBT_REFERENCE,
                         protocol_text, model))
    rows.append(BenchRow(TASK, "doubt_span_f1", doubt.spans.scores()[2], None, protocol_text,
                         model))
    return rows


def _new_scores() -> Scores:
    return Scores(Counts(), Counts())


@task(TASK)
def run(context: BenchContext) -> list[BenchRow]:
    path = require(context.data_dir / "ptc" / "train-tc")
    examples = load(path)
    lexicon = load_lexicon()
    analyses = {example.id: analyze(example.text, lexicon) for example in examples}
    splitter = KFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    splits = list(splitter.split(np.zeros(len(examples))))
    if not context.full:
        splits = splits[:CI_FOLDS]

    loaded, doubt = _new_scores(), _new_scores()
    held_out_all: list[Example] = []
    for train, held_out in splits:
        tagger = fit_tagger([examples[i] for i in train], analyses)
        held_out_examples = [examples[i] for i in held_out]
        held_out_all += held_out_examples
        _score(held_out_examples, analyses, tagger, loaded, doubt)
    results = _rows(loaded, doubt, "public", protocol(context.full))

    loaded, doubt = _new_scores(), _new_scores()
    _score(held_out_all, analyses, context.default_model.tagger, loaded, doubt)
    results += _rows(loaded, doubt, "default", protocol(context.full, "; zero-shot"))
    return results
