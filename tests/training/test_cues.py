from __future__ import annotations

from training.analysis import analyze
from training.attribution import find_attributions
from training.cues import CueTagger, find_candidates
from training.document import build_document
from training.lexicon import load_lexicon


def _cues(text: str) -> dict[str, str]:
    lexicon = load_lexicon()
    document = build_document(text)
    attributions = find_attributions(document, lexicon)
    return {c.text: c.voice for c in find_candidates(document, lexicon, attributions)}


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


def test_tagger_learns_context() -> None:
    lexicon = load_lexicon()
    loaded = "The brutal regime jailed its critics."
    neutral = "Exporters worry about the sanctions regime."
    texts = [loaded, neutral] * 10
    analyses = [analyze(text, lexicon) for text in texts]
    labels = [[1 if c.term == "regime" and text == loaded else 0 for c in a.cues]
              for text, a in zip(texts, analyses, strict=True)]
    tagger = CueTagger().fit([a.document for a in analyses], [a.cues for a in analyses], labels)
    scored_loaded = {c.term: c.probability for c in tagger.score(
        analyses[0].document, analyses[0].cues)}
    scored_neutral = {c.term: c.probability for c in tagger.score(
        analyses[1].document, analyses[1].cues)}
    assert scored_loaded["regime"] > 0.6 > 0.4 > scored_neutral["regime"]


def test_tagger_trained_on_one_class_returns_that_class() -> None:
    lexicon = load_lexicon()
    analysis = analyze("The regime fell.", lexicon)
    tagger = CueTagger().fit([analysis.document], [analysis.cues], [[0] * len(analysis.cues)])
    assert all(c.probability == 0.0 for c in tagger.score(analysis.document, analysis.cues))
