"""``babe_words``: which words of a BABE sentence are the biased ones.

Protocol: BABE SG2 without ``No agreement`` (3,673 sentences), the folds of ``babe_sentence``:
``StratifiedKFold(5, shuffle=True, random_state=42)`` stratified by the biased label. For every
held-out sentence the tagger's loaded words are compared with the annotated ``biased_words``:

- predicted: the lowercased word tokens of the cues the tagger calls loaded (probability at or
  above its threshold, lexicon hits included only when they reach it), as a set per sentence;
- gold: the sentence's ``biased_words``, lowercased, quote marks and punctuation around a word
  removed, ’ read as ', as a set per sentence;
- word F1: micro-averaged over every held-out sentence, non-biased ones included (a word
  predicted in a sentence with no biased words is a false positive): true positives =
  Σ |predicted ∩ gold|, precision = TP / Σ |predicted|, recall = TP / Σ |gold|.

Models: ``public`` = ``CueTagger`` fitted (``training.tagging.fit_tagger``, the code path of
``slant train``) on the training folds' sentences with their biased words as cue spans (the
``babe`` importer); its threshold, its C and whether it uses character n-grams come from
inner folds of those training sentences.
``--full`` also reports ``public`` trained on the training folds plus every PTC article
(another corpus, so nothing of the held-out fold leaks). ``default`` = the shipped model's
tagger (``datasets/core`` only), zero-shot on every sentence of every fold.
CI: the first two of the five folds; ``--full``: all five.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from training.analysis import Analysis, analyze
from training.benchmarks import SEED, BenchContext, BenchRow, require, task
from training.cues import CueTagger
from training.dataset import Example
from training.importers.babe import BabeRow, babe_rows
from training.lexicon import load_lexicon
from training.tagging import fit_tagger, with_tagger

TASK = "babe_words"
FOLDS = 5
CI_FOLDS = 2
REFERENCE = "XGBoost word classifier 0.32 (BABE), 0.43 (MBIC); bar >= 0.50"
_STRIP = string.punctuation + "“”‘’«»"


def protocol(full: bool, extra: str = "") -> str:
    folds = "5 folds" if full else f"CI: first {CI_FOLDS} of the 5 folds"
    return (
        "BABE SG2 without 'No agreement', StratifiedKFold(5, shuffle, random_state=42) by label "
        f"({folds}); micro word F1 of the set of predicted loaded words vs biased_words per "
        f"sentence, all sentences{extra}"
    )


def gold_words(row: BabeRow) -> set[str]:
    words = set()
    for word in row.words:
        cleaned = word.replace("’", "'").strip().strip(_STRIP).lower()
        if cleaned:
            words.add(cleaned)
    return words


def predicted_words(tagger: CueTagger, analysis: Analysis) -> set[str]:
    """The lowercased word tokens of the cues the tagger calls loaded."""
    tokens = analysis.document.tokens
    return {
        token.lower
        for cue in tagger.loaded(analysis.cues)
        for token in tokens[cue.start_token:cue.end_token]
        if token.lower[:1].isalnum()
    }


@dataclass
class WordCounts:
    true_positives: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, predicted: set[str], gold: set[str]) -> None:
        self.true_positives += len(predicted & gold)
        self.predicted += len(predicted)
        self.gold += len(gold)

    def scores(self) -> tuple[float, float, float]:
        precision = self.true_positives / self.predicted if self.predicted else 0.0
        recall = self.true_positives / self.gold if self.gold else 0.0
        total = precision + recall
        return precision, recall, (2 * precision * recall / total if total else 0.0)


def folds(rows: Sequence[BabeRow]) -> list[tuple[np.ndarray, np.ndarray]]:
    labels = np.array([int(row.biased) for row in rows])
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(rows)), labels))


def _rows(name: str, counts: WordCounts, model: str, protocol_text: str) -> list[BenchRow]:
    precision, recall, f1 = counts.scores()
    return [
        BenchRow(TASK, f"word_f1{name}", f1, REFERENCE, protocol_text, model),
        BenchRow(TASK, f"word_precision{name}", precision, None, protocol_text, model),
        BenchRow(TASK, f"word_recall{name}", recall, None, protocol_text, model),
    ]


def evaluate(
    rows: Sequence[BabeRow], analyses: dict[str, Analysis], splits: Sequence[tuple[np.ndarray,
    np.ndarray]], extra: Sequence[Example] = (),
) -> WordCounts:
    """Word counts of taggers fitted on each training fold (plus ``extra``) on its held-out
    fold."""
    examples = [row.to_example() for row in rows]
    counts = WordCounts()
    for train, held_out in splits:
        tagger = fit_tagger([examples[i] for i in train] + list(extra), analyses)
        for index in held_out:
            row = rows[index]
            counts.add(predicted_words(tagger, with_tagger(analyses[row.id], tagger)),
                       gold_words(row))
    return counts


@task(TASK)
def run(context: BenchContext) -> list[BenchRow]:
    path = require(context.data_dir / "babe" / "final_labels_SG2.csv")
    rows = babe_rows(path)
    lexicon = load_lexicon()
    analyses = {row.id: analyze(row.text, lexicon) for row in rows}
    splits = folds(rows) if context.full else folds(rows)[:CI_FOLDS]
    results = _rows("", evaluate(rows, analyses, splits), "public", protocol(context.full))

    if context.full:
        ptc_path = context.data_dir / "ptc" / "train-tc"
        if ptc_path.exists():
            from training.importers.ptc import load as load_ptc

            articles = load_ptc(ptc_path)
            analyses.update({a.id: analyze(a.text, lexicon) for a in articles})
            counts = evaluate(rows, analyses, splits, articles)
            results += _rows(" (+ptc)", counts, "public",
                             protocol(True, "; tagger also trained on all 371 PTC articles"))

    default = context.default_model
    counts = WordCounts()
    held_out_ids = {rows[i].id for _, held_out in splits for i in held_out}
    for row in rows:
        if row.id in held_out_ids:
            analysis = with_tagger(analyses[row.id], default.tagger)
            counts.add(predicted_words(default.tagger, analysis), gold_words(row))
    results += _rows("", counts, "default", protocol(context.full, "; zero-shot"))
    return results
