from training.analysis import analyze
from training.lexicon import load_lexicon
from training.sentence_features import (
    SCARE_QUOTE_FEATURE,
    TAGGER_MAX_FEATURE,
    sentence_bags,
    text_bag,
)


def test_sentence_bag_names_words_and_their_spans() -> None:
    analysis = analyze("The regime crushed protests. Officials met.", load_lexicon())
    first, second = sentence_bags(analysis)
    text = analysis.document.text
    assert first.values["ngram:crushed protests"] == 1.0
    assert [text[s:e] for s, e in first.spans["ngram:crushed protests"]] == ["crushed protests"]
    assert [text[s:e] for s, e in first.spans["ngram:regime"]] == ["regime"]
    assert first.values[TAGGER_MAX_FEATURE] == 0.5  # untrained tagger: every cue counts half
    assert "ngram:regime" not in second.values and second.values["ngram:officials"] == 1.0


def test_text_bag_is_one_unit_and_marks_scare_quotes() -> None:
    analysis = analyze("So-called “refugees” arrived. They said “we are tired of waiting here”.",
                       load_lexicon())
    bag = text_bag(analysis)
    text = analysis.document.text
    assert [text[s:e] for s, e in bag.spans[SCARE_QUOTE_FEATURE]] == ["refugees"]
    assert bag.values[SCARE_QUOTE_FEATURE] == 1.0  # the long quote is a quotation, not a scare
    assert bag.values["ngram:arrived"] == bag.values["ngram:they"] == 1.0
    assert "ngram:refugees" not in bag.values  # quoted words are not the writer's n-grams
