"""Lexicon schema, loader and matcher."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from training.document import build_document
from training.lexicon import (
    FRAMING_CATEGORIES,
    Lexicon,
    LexiconEntry,
    LexiconMatch,
    load_lexicon,
    term_tokens,
)


def _row(term: str, category: str = "demonizing", **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "term": term,
        "category": category,
        "kind": "framing",
        "source": "slant",
    }
    row.update(fields)
    return row


def _write(directory: Path, name: str, rows: list[dict[str, object]]) -> None:
    lines = [json.dumps(row) for row in rows]
    (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def small_lexicon(tmp_path: Path) -> Lexicon:
    _write(
        tmp_path,
        "demonizing.jsonl",
        [
            _row("regime", forms=["regimes"]),
            _row("zionist regime"),
            _row("occupying forces", forms=["occupying force", "occupation forces"]),
            _row("far-right", forms=["far right"]),
            _row("right wing extremists"),
            _row("far"),
        ],
    )
    _write(
        tmp_path,
        "doubt.jsonl",
        [_row("so-called", "doubt", forms=["so called"]), _row("alleged", "doubt")],
    )
    _write(tmp_path, "presupposition.jsonl", [_row("it's no secret", "presupposition")])
    _write(
        tmp_path,
        "reporting.jsonl",
        [
            _row("alleged", "reporting", kind="reporting", stance="distancing"),
            _row("according to", "reporting", kind="reporting", stance="neutral"),
        ],
    )
    return load_lexicon(tmp_path)


def _spans(matches: list[LexiconMatch]) -> list[tuple[int, int, str, str]]:
    return [(m.start, m.end, m.surface, m.entry.term) for m in matches]


# --- schema ---------------------------------------------------------------------------------


def test_entry_rejects_unknown_category() -> None:
    with pytest.raises(ValueError, match="category"):
        LexiconEntry.model_validate(_row("regime", "nasty"))


def test_entry_requires_stance_for_reporting() -> None:
    with pytest.raises(ValueError, match="needs a stance"):
        LexiconEntry.model_validate(_row("said", "reporting", kind="reporting"))


def test_entry_rejects_stance_on_framing() -> None:
    with pytest.raises(ValueError, match="framing entry has no stance"):
        LexiconEntry.model_validate(_row("regime", stance="neutral"))


def test_entry_rejects_reporting_category_with_framing_kind() -> None:
    with pytest.raises(ValueError, match="needs kind 'reporting'"):
        LexiconEntry.model_validate(_row("said", "reporting"))


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        ("Regime", "not lowercase"),
        ("it’s", "curly apostrophe"),
        (" regime", "spaces"),
        ("occupying  forces", "spaces"),
        ("regime!", "word sequence"),
        ("", "word sequence"),
    ],
)
def test_entry_rejects_unclean_terms(term: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        LexiconEntry.model_validate(_row(term))


def test_entry_rejects_unclean_forms_and_unknown_fields() -> None:
    with pytest.raises(ValueError, match="not lowercase"):
        LexiconEntry.model_validate(_row("regime", forms=["Regimes"]))
    with pytest.raises(ValueError, match="Extra inputs"):
        LexiconEntry.model_validate(_row("regime", weight=2))


def test_term_tokens_follow_document_convention() -> None:
    assert term_tokens("so-called") == ("so-called",)
    assert term_tokens("so called") == ("so", "called")
    assert term_tokens("it's no secret") == ("it", "'s", "no", "secret")
    doc = build_document("It’s no secret that the so-called plan failed.")
    assert [t.lower for t in doc.tokens[:4]] == list(term_tokens("it's no secret"))


# --- loader ---------------------------------------------------------------------------------


def test_loader_names_file_and_line_of_invalid_row(tmp_path: Path) -> None:
    _write(tmp_path, "doubt.jsonl", [_row("alleged", "doubt"), _row("purported", "doubtful")])
    with pytest.raises(ValueError, match=r"doubt\.jsonl:2: invalid lexicon entry: category"):
        load_lexicon(tmp_path)


def test_loader_names_file_and_line_of_bad_json(tmp_path: Path) -> None:
    (tmp_path / "hedge.jsonl").write_text('{"term": "apparently"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"hedge\.jsonl:1: invalid JSON"):
        load_lexicon(tmp_path)


def test_loader_rejects_missing_stance_for_reporting(tmp_path: Path) -> None:
    _write(tmp_path, "reporting.jsonl", [_row("claimed", "reporting", kind="reporting")])
    with pytest.raises(ValueError, match=r"reporting\.jsonl:1: .*needs a stance"):
        load_lexicon(tmp_path)


def test_loader_rejects_duplicate_term_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "doubt.jsonl", [_row("alleged", "doubt")])
    _write(tmp_path, "hedge.jsonl", [_row("apparently", "hedge"), _row("alleged", "hedge")])
    with pytest.raises(
        ValueError,
        match=r"hedge\.jsonl:2: duplicate framing term 'alleged' "
        r"\(already defined at doubt\.jsonl:1\)",
    ):
        load_lexicon(tmp_path)


def test_loader_rejects_form_duplicating_another_term(tmp_path: Path) -> None:
    _write(tmp_path, "demonizing.jsonl", [_row("thug"), _row("thugs", forms=["thug"])])
    with pytest.raises(ValueError, match=r"demonizing\.jsonl:2: duplicate framing term 'thug'"):
        load_lexicon(tmp_path)


def test_loader_allows_same_word_as_framing_and_reporting(small_lexicon: Lexicon) -> None:
    kinds = sorted(entry.kind for entry in small_lexicon.entries if entry.term == "alleged")
    assert kinds == ["framing", "reporting"]


def test_loader_rejects_entry_in_wrong_file(tmp_path: Path) -> None:
    _write(tmp_path, "doubt.jsonl", [_row("regime", "demonizing")])
    with pytest.raises(ValueError, match=r"doubt\.jsonl:1: category 'demonizing' does not belong"):
        load_lexicon(tmp_path)


def test_loader_rejects_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no lexicon files"):
        load_lexicon(tmp_path)


def test_version_changes_with_content(tmp_path: Path) -> None:
    _write(tmp_path, "doubt.jsonl", [_row("alleged", "doubt")])
    first = load_lexicon(tmp_path).version
    assert load_lexicon(tmp_path).version == first
    _write(tmp_path, "doubt.jsonl", [_row("alleged", "doubt", note="legal use is neutral")])
    second = load_lexicon(tmp_path).version
    assert len(first) == len(second) == 12
    assert first != second


# --- the bundled lexicons -------------------------------------------------------------------


def test_bundled_lexicons_load_with_every_framing_category() -> None:
    lexicon = load_lexicon()
    framing = [entry for entry in lexicon.entries if entry.kind == "framing"]
    assert len(framing) >= 450
    assert set(FRAMING_CATEGORIES) <= set(lexicon.categories())
    for category in FRAMING_CATEGORIES:
        assert len(lexicon.by_category(category)) >= 40, category
    assert load_lexicon() is lexicon  # the default lexicon is cached


@pytest.mark.parametrize(
    ("term", "category"),
    [
        ("alleged", "doubt"),
        ("so-called", "doubt"),
        ("legendary", "glorifying"),
        ("martyr", "glorifying"),
        ("regime", "demonizing"),
        ("occupying forces", "demonizing"),
        ("illegal aliens", "demonizing"),
        ("corporate greed", "demonizing"),
        ("anti-choice", "demonizing"),
        ("pro-abortion", "demonizing"),
        ("unprecedented", "exaggeration"),
        ("outrageous", "emotive"),
        ("reportedly", "hedge"),
        ("revealed", "presupposition"),
    ],
)
def test_bundled_lexicons_categorize_key_terms(term: str, category: str) -> None:
    entries = [e for e in load_lexicon().entries if e.term == term and e.kind == "framing"]
    assert [e.category for e in entries] == [category]


def test_bundled_lexicons_match_inflected_forms() -> None:
    doc = build_document(
        "Regimes fell. Thugs were martyred. The Zionist regime slaughtered them, allegedly."
    )
    found = [
        (m.surface, m.entry.term, m.entry.category) for m in load_lexicon().find(doc, "framing")
    ]
    assert found == [
        ("Regimes", "regime", "demonizing"),
        ("Thugs", "thug", "demonizing"),
        ("martyred", "martyr", "glorifying"),
        ("Zionist regime", "zionist regime", "demonizing"),
        ("slaughtered", "slaughter", "emotive"),
        ("allegedly", "allegedly", "doubt"),
    ]


# --- matching -------------------------------------------------------------------------------


def test_find_single_and_multi_word_terms_with_exact_spans(small_lexicon: Lexicon) -> None:
    text = "The so-called experts praised the Zionist regime and its occupying forces."
    doc = build_document(text)
    matches = small_lexicon.find(doc, "framing")
    assert _spans(matches) == [
        (4, 13, "so-called", "so-called"),
        (34, 48, "Zionist regime", "zionist regime"),
        (57, 73, "occupying forces", "occupying forces"),
    ]
    assert [(m.start_token, m.end_token) for m in matches] == [(1, 2), (5, 7), (9, 11)]
    assert all(text[m.start : m.end] == m.surface for m in matches)


def test_find_two_token_form_and_inflected_form(small_lexicon: Lexicon) -> None:
    doc = build_document("So called regimes faced an occupying force.")
    assert _spans(small_lexicon.find(doc, "framing")) == [
        (0, 9, "So called", "so-called"),
        (10, 17, "regimes", "regime"),
        (27, 42, "occupying force", "occupying forces"),
    ]


def test_find_longest_match_wins_over_earlier_shorter_match(small_lexicon: Lexicon) -> None:
    # "far right" (2 tokens) starts first, but "right wing extremists" (3 tokens) is longer.
    # A shorter entry at a losing position still matches where it does not overlap ("far").
    doc = build_document("They met far right wing extremists.")
    assert _spans(small_lexicon.find(doc, "framing")) == [
        (9, 12, "far", "far"),
        (13, 34, "right wing extremists", "right wing extremists"),
    ]
    doc = build_document("The far right met.")
    assert _spans(small_lexicon.find(doc, "framing")) == [(4, 13, "far right", "far-right")]


def test_find_is_case_insensitive(small_lexicon: Lexicon) -> None:
    doc = build_document("THE ZIONIST REGIME and the Alleged plot.")
    assert _spans(small_lexicon.find(doc, "framing")) == [
        (4, 18, "ZIONIST REGIME", "zionist regime"),
        (27, 34, "Alleged", "alleged"),
    ]


def test_find_matches_curly_apostrophes(small_lexicon: Lexicon) -> None:
    doc = build_document("It’s no secret. It's no secret.")
    assert _spans(small_lexicon.find(doc, "framing")) == [
        (0, 14, "It’s no secret", "it's no secret"),
        (16, 30, "It's no secret", "it's no secret"),
    ]


def test_find_does_not_cross_sentence_boundary(small_lexicon: Lexicon) -> None:
    doc = build_document("Troops kept occupying\n\nForces of change won.")
    assert small_lexicon.find(doc, "framing") == []


def test_find_separates_kinds(small_lexicon: Lexicon) -> None:
    doc = build_document("According to police, the alleged regime fell.")
    reporting = small_lexicon.find(doc, "reporting")
    assert [(m.surface, m.entry.stance) for m in reporting] == [
        ("According to", "neutral"),
        ("alleged", "distancing"),
    ]
    framing = small_lexicon.find(doc, "framing")
    assert [(m.surface, m.entry.category) for m in framing] == [
        ("alleged", "doubt"),
        ("regime", "demonizing"),
    ]


def test_find_partial_phrase_at_text_end_is_no_match(small_lexicon: Lexicon) -> None:
    doc = build_document("They saw the occupying")
    assert small_lexicon.find(doc, "framing") == []


def test_categories_in_canonical_order(small_lexicon: Lexicon) -> None:
    assert small_lexicon.categories() == ("doubt", "demonizing", "presupposition", "reporting")
    assert len(small_lexicon) == 11


def test_pickled_lexicon_rebuilds_its_index(small_lexicon: Lexicon) -> None:
    doc = build_document("The so-called reform met occupying forces, the regime said.")
    restored = pickle.loads(pickle.dumps(small_lexicon))
    assert restored.version == small_lexicon.version
    assert restored.entries == small_lexicon.entries
    assert restored.find(doc, "framing") == small_lexicon.find(doc, "framing")
    assert [m.surface for m in restored.find(doc, "framing")] == [
        "so-called", "occupying forces", "regime"
    ]
