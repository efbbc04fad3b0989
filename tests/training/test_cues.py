from __future__ import annotations

import numpy as np

from training.analysis import analyze
from training.attribution import find_attributions
from training.cues import (
    PLAIN_REGULARIZATION,
    REGULARIZATION,
    CueTagger,
    TaggingSample,
    find_candidates,
)
from training.document import build_document
from training.lexicon import load_lexicon
from training.tagger_features import char_ngrams, self_features, token_context, token_features


def _cues(text: str) -> dict[str, str]:
    lexicon = load_lexicon()
    document = build_document(text)
    attributions = find_attributions(document, lexicon)
    return {c.text: c.voice for c in find_candidates(document, lexicon, attributions)}


def _sample(text: str, *marked: tuple[str, str]) -> TaggingSample:
    """A training text with the first occurrence of each (phrase, category) marked."""
    analysis = analyze(text, load_lexicon())
    spans = []
    for phrase, category in marked:
        start = analysis.document.text.index(phrase)
        spans.append((start, start + len(phrase), category))
    return TaggingSample(analysis.document, analysis.attributions, analysis.cues, spans)


def _tag(tagger: CueTagger, text: str) -> dict[str, tuple[str, str, float]]:
    analysis = analyze(text, load_lexicon())
    cues = tagger.tag(analysis.document, analysis.attributions, analysis.cues)
    return {c.text: (c.category, c.voice, c.probability) for c in cues}


def test_voice_writer_quoted_and_reported() -> None:
    text = (
        'The regime cracked down again. "Our heroic forces will win," the general said. '
        "The ministry said that the thugs had fled."
    )
    voices = _cues(text)
    assert voices["regime"] == "writer"
    assert voices["heroic"] == "quoted"
    assert voices["thugs"] == "reported"


def test_reporting_verb_is_not_also_a_framing_cue() -> None:
    text = '"We need troops," Hussein alleged. The alleged plot was foiled.'
    lexicon = load_lexicon()
    document = build_document(text)
    attributions = find_attributions(document, lexicon)
    assert [a.cue.text for a in attributions] == ["alleged"]
    candidates = find_candidates(document, lexicon, attributions)
    alleged = [(c.start, c.end) for c in candidates if c.term == "alleged"]
    start = text.index("alleged plot")
    assert alleged == [(start, start + len("alleged"))]
    context = token_context(document, attributions, [(c.start_token, c.end_token, c.category)
                                                     for c in candidates])
    reporting = document.token_at(text.index("alleged."))
    assert reporting is not None and reporting.index not in context.candidates


def _context_tagger() -> CueTagger:
    loaded = "The brutal regime jailed its critics."
    neutral = "Exporters worry about the sanctions regime."
    samples = [_sample(loaded, ("regime", "demonizing")), _sample(neutral)] * 10
    return CueTagger().fit(samples)


def test_tagger_learns_context() -> None:
    tagger = _context_tagger()
    loaded = _tag(tagger, "The brutal regime jailed its critics.")
    neutral = _tag(tagger, "Exporters worry about the sanctions regime.")
    assert loaded["regime"][2] > 0.6 > 0.4 > neutral["regime"][2]
    assert loaded["regime"][0] == "demonizing"  # a lexicon hit keeps the lexicon's category


def test_tagger_finds_words_no_lexicon_lists() -> None:
    samples = [
        _sample("The hucksters in the capital pocketed the aid money.",
                ("hucksters", "demonizing")),
        _sample("Those hucksters never cared about the voters.", ("hucksters", "demonizing")),
        _sample("The aid money reached the capital on Monday."),
        _sample("Voters in the capital went to the polls on Monday."),
    ] * 6
    tagger = CueTagger().fit(samples)
    assert "hucksters" not in _cues("Critics say the hucksters won.")  # not a lexicon word
    cues = _tag(tagger, "Local hucksters ran the city budget.")
    category, voice, probability = cues["hucksters"]
    assert (category, voice) == ("demonizing", "writer")
    assert probability >= tagger.threshold_
    assert "budget" not in cues and "city" not in cues


def test_compiled_scores_equal_the_logistic_regression() -> None:
    tagger = _context_tagger()
    analysis = analyze('The brutal regime, "a sanctions regime," Ali said, jailed critics.',
                       load_lexicon())
    context, probabilities = tagger.token_probabilities(
        analysis.document, analysis.attributions, analysis.cues)
    weights = tagger.tables_.weights
    expected = [
        tagger.tables_.intercept + sum(weights.get(name, 0.0) for name in
                                       token_features(analysis.document, context, index))
        for index in context.candidates
    ]
    np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-np.array(expected))), rtol=1e-9)


def test_tokens_inside_long_spans_are_not_training_rows() -> None:
    text = "Is this really about safety or about the control of every citizen here?"
    long_span = _sample(text, (text, "doubt"))
    tagger = CueTagger().fit([long_span, _sample("The regime fell.", ("regime", "demonizing"))])
    # only "regime" (positive) and "fell" (negative) remain: the long span says nothing
    assert tagger.constant_ is None
    assert set(tagger.categories_) == {"regime"}


def test_tagger_trained_on_one_class_returns_that_class() -> None:
    lexicon = load_lexicon()
    analysis = analyze("The regime fell.", lexicon)
    sample = TaggingSample(analysis.document, analysis.attributions, analysis.cues, [])
    tagger = CueTagger().fit([sample])
    cues = tagger.tag(analysis.document, analysis.attributions, analysis.cues)
    assert [(c.term, c.probability) for c in cues] == [("regime", 0.0)]


def test_loaded_keeps_cues_at_or_above_the_threshold() -> None:
    tagger = _context_tagger()
    assert 0.1 <= tagger.threshold_ <= 0.9
    analysis = analyze("Exporters fear the brutal sanctions regime.", load_lexicon())
    cues = tagger.tag(analysis.document, analysis.attributions, analysis.cues)
    loaded = tagger.loaded(cues)
    assert all(c.probability >= tagger.threshold_ for c in loaded)
    assert {c.text for c in cues} - {c.text for c in loaded} == {
        c.text for c in cues if c.probability < tagger.threshold_}


def test_token_features_include_character_ngrams_of_the_marked_word() -> None:
    grams = char_ngrams("slams")
    assert {"c=<s", "c=ms>", "c=<sla", "c=lams>"} <= set(grams)
    assert "c=<slams>" not in grams  # longer than the largest n-gram size
    assert not set(grams) & set(self_features("slams"))  # kept apart for plain taggers
    assert char_ngrams("ab") == ("c=<a", "c=ab", "c=b>", "c=<ab", "c=ab>", "c=<ab>")
    analysis = analyze("The senator slams critics.", load_lexicon())
    context = token_context(analysis.document, analysis.attributions, [])
    index = analysis.document.text.index("slams")
    token = next(t.index for t in analysis.document.tokens if t.start == index)
    assert set(grams) <= set(token_features(analysis.document, context, token))


def test_unseen_word_form_shares_weight_through_its_character_ngrams() -> None:
    samples = [
        _sample(f"The {word} ran the city council.", (word, "demonizing"))
        for word in ("leftists", "globalists", "statists", "loyalists")
    ] + [
        _sample(f"The {word} met in the city council.")
        for word in ("clerks", "officers", "members", "voters")
    ]
    tagger = CueTagger(regularization=1.0).fit(samples * 3)
    cues = _tag(tagger, "The communists ran the city council.")
    plain = _tag(tagger, "The committee ran the city council.")
    assert "communists" in cues  # never seen, but scored as loaded through "ists>"
    assert cues["communists"][2] > plain.get("committee", ("", "", 0.0))[2]


def test_regularization_is_chosen_from_the_grid_on_inner_folds() -> None:
    tagger = _context_tagger()
    assert (tagger.regularization_, tagger.character_ngrams_) in {
        *((value, True) for value in REGULARIZATION), (PLAIN_REGULARIZATION, False)}
    fixed = CueTagger(regularization=2.0, character_ngrams=True).fit([
        _sample("The brutal regime fell.", ("brutal", "demonizing")),
        _sample("The sanctions regime ended.", ("regime", "demonizing")),
        _sample("The council met today."),
    ] * 3)
    assert fixed.regularization_ == 2.0


def test_a_tagger_without_character_ngrams_gives_them_no_weight() -> None:
    samples = [_sample("The brutal regime jailed its critics.", ("brutal", "demonizing")),
               _sample("The council met today.")] * 4
    plain = CueTagger(regularization=1.0, character_ngrams=False).fit(samples)
    assert plain.character_ngrams_ is False
    assert not any(name.startswith("c=") for name in plain.tables_.weights)
    assert any(name.startswith("w=") for name in plain.tables_.weights)
    assert not plain.tables_.characters
    with_characters = CueTagger(regularization=1.0, character_ngrams=True).fit(samples)
    assert any(name.startswith("c=") for name in with_characters.tables_.weights)
    assert with_characters.tables_.characters


def test_compiled_scores_with_character_ngrams_cover_unseen_words() -> None:
    loaded = "The brutal regime jailed its critics."
    neutral = "Exporters worry about the sanctions regime."
    samples = [_sample(loaded, ("brutal", "demonizing")), _sample(neutral)] * 6
    tagger = CueTagger(regularization=1.0, character_ngrams=True).fit(samples)
    analysis = analyze("The brutish regime muzzled exporters.", load_lexicon())  # unseen words
    context, probabilities = tagger.token_probabilities(
        analysis.document, analysis.attributions, analysis.cues)
    weights = tagger.tables_.weights
    expected = [
        tagger.tables_.intercept + sum(weights.get(name, 0.0) for name in
                                       token_features(analysis.document, context, index))
        for index in context.candidates
    ]
    np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-np.array(expected))), rtol=1e-9)
    brutish = context.candidates.index(analysis.document.text.split().index("brutish"))
    assert probabilities[brutish] > 1 / (1 + np.exp(-tagger.tables_.intercept))
