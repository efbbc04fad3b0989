from pathlib import Path

import pytest

from training.analysis import analyze
from training.benchmarks import BenchContext, DataMissing
from training.benchmarks.babe_sentence import fold_predictions, run
from training.dataset import Example, LabeledSpan
from training.lexicon import load_lexicon
from training.model import SlantModel

LOADED = ["disgraceful", "radical", "shameful", "reckless", "outrageous", "pathetic"]
PLAIN = ["scheduled", "annual", "quarterly", "regional", "planned", "routine"]


def _example(index: int, biased: bool) -> Example:
    word = (LOADED if biased else PLAIN)[index % 6]
    text = f"The council approved the {word} budget on day {index}."
    start = text.index(word)
    spans = (LabeledSpan(start=start, end=start + len(word), label="emotive"),) if biased else ()
    return Example(id=f"toy:{index}", text=text, level="sentence", label={"biased": biased},
                   spans=spans, meta={"annotated": ["spans"]})


def test_fold_predictions_separate_held_out_sentences() -> None:
    examples = [_example(index, index % 2 == 0) for index in range(60)]
    lexicon = load_lexicon()
    analyses = {e.id: analyze(e.text, lexicon) for e in examples}
    test = list(range(48, 60))
    probabilities = fold_predictions(examples, analyses, list(range(48)), test)
    assert len(probabilities) == len(test)
    for index, probability in zip(test, probabilities, strict=True):
        assert (probability >= 0.5) == examples[index].biased


def test_task_is_skipped_without_the_data(tmp_path: Path, trained_model: SlantModel) -> None:
    context = BenchContext(data_dir=tmp_path, default_model=trained_model)
    with pytest.raises(DataMissing, match=r"final_labels_SG2\.csv"):
        run(context)
