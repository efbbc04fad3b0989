from __future__ import annotations

import dataclasses
import pickle
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.document import (
    Document,
    QuotedRegion,
    Sentence,
    Token,
    build_document,
    is_word,
)
from training.quotes import MAX_OPEN_QUOTATIONS

TASNIM_TITLE = "Iraqi FM’s Remarks on Need for US Troops Draw Strong Criticism"


def surfaces(tokens: list[Token]) -> list[str]:
    return [token.text for token in tokens]


def sentence_texts(document: Document) -> list[str]:
    return [document.text[s.start : s.end] for s in document.sentences]


# build_document on small texts


def test_build_document_exact_spans() -> None:
    document = build_document('He said "no." Lebanon’s TV agreed.')
    assert document.text == 'He said "no." Lebanon’s TV agreed.'
    assert document.sentences == [Sentence(0, 13, 0), Sentence(14, 34, 1)]
    assert document.quotes == [QuotedRegion(9, 12, 0, True)]
    assert document.paragraphs == [(0, 34)]
    assert document.tokens[6] == Token(14, 21, "Lebanon", "lebanon", 1, 6)
    assert document.tokens[7] == Token(21, 23, "’s", "'s", 1, 7)
    assert surfaces(document.tokens) == [
        "He", "said", '"', "no", ".", '"', "Lebanon", "’s", "TV", "agreed", ".",
    ]  # fmt: skip


def test_token_lower_is_casefolded_with_straight_apostrophes() -> None:
    document = build_document("STRASSE Straße Asa’ib DON’T")
    assert [token.lower for token in document.tokens] == ["strasse", "strasse", "asa'ib", "don't"]
    assert [token.text for token in document.tokens] == ["STRASSE", "Straße", "Asa’ib", "DON’T"]


def test_tokens_know_their_sentence_and_index() -> None:
    document = build_document("One two. Three.\n\nFour")
    assert [(token.text, token.sentence, token.index) for token in document.tokens] == [
        ("One", 0, 0), ("two", 0, 1), (".", 0, 2), ("Three", 1, 3), (".", 1, 4), ("Four", 2, 5),
    ]  # fmt: skip


def test_empty_input_gives_an_empty_document() -> None:
    document = build_document(" \n\t ")
    assert document == Document("", [], [], [], [], [])


def test_html_document() -> None:
    raw = (
        "<html><script>alert('x')</script><nav>Home</nav>"
        "<h1>Talks &amp; troops</h1><p>He said &ldquo;never&rdquo;.</p></html>"
    )
    document = build_document(raw, html=True)
    assert document.text == "Talks & troops\n\nHe said “never”."
    assert sentence_texts(document) == ["Talks & troops", "He said “never”."]
    assert document.quotes == [QuotedRegion(25, 30, 0, True)]
    assert document.warnings == ["removed HTML elements: <nav> x1, <script> x1"]


# Helpers


@pytest.fixture
def small_document() -> Document:
    return build_document("He said \"I told him 'no' today.\" She left.\n\nNew part.")


def test_sentence_of(small_document: Document) -> None:
    assert small_document.sentences == [
        Sentence(0, 32, 0),
        Sentence(33, 42, 1),
        Sentence(44, 53, 2),
    ]
    assert small_document.sentence_of(0) == 0
    assert small_document.sentence_of(31) == 0
    assert small_document.sentence_of(32) == 0  # the gap belongs to the preceding sentence
    assert small_document.sentence_of(33) == 1
    assert small_document.sentence_of(46) == 2
    with pytest.raises(ValueError, match="no sentences"):
        build_document("").sentence_of(0)


def test_tokens_in_and_overlapping(small_document: Document) -> None:
    assert surfaces(small_document.tokens_in(3, 15)) == ["said", '"', "I", "told"]
    assert surfaces(small_document.tokens_in(4, 15)) == ['"', "I", "told"]
    assert surfaces(small_document.tokens_in(3, 14)) == ["said", '"', "I"]
    assert surfaces(small_document.tokens_overlapping(4, 14)) == ["said", '"', "I", "told"]
    assert small_document.tokens_in(20, 20) == []


def test_token_at(small_document: Document) -> None:
    token = small_document.token_at(5)
    assert token is not None and token.text == "said"
    assert small_document.token_at(2) is None  # a space
    assert small_document.token_at(10_000) is None


def test_sentence_tokens_and_text(small_document: Document) -> None:
    assert surfaces(small_document.sentence_tokens(1)) == ["She", "left", "."]
    assert small_document.sentence_text(2) == "New part."


def test_quote_at_returns_the_innermost_region(small_document: Document) -> None:
    outer = QuotedRegion(9, 31, 0, True)
    inner = QuotedRegion(21, 23, 1, True)
    assert small_document.quotes == [outer, inner]
    assert small_document.quote_at(9) == outer
    assert small_document.quote_at(21) == inner
    assert small_document.quote_at(24) == outer
    assert small_document.quote_at(8) is None  # the opening mark itself is not quoted
    assert small_document.quote_at(31) is None
    assert small_document.is_quoted(10, 31)
    assert small_document.is_quoted(21, 25)  # leaves the inner quote, stays in the outer
    assert not small_document.is_quoted(5, 12)


def test_paragraph_of(small_document: Document) -> None:
    assert small_document.paragraphs == [(0, 42), (44, 53)]
    assert small_document.paragraph_of(10) == 0
    assert small_document.paragraph_of(50) == 1


def test_document_fields_are_the_shared_contract() -> None:
    names = [field.name for field in dataclasses.fields(Document)]
    assert names == ["text", "sentences", "tokens", "quotes", "paragraphs", "warnings"]


def test_helpers_follow_a_document_built_by_hand() -> None:
    document = Document("ab", [Sentence(0, 2, 0)], [Token(0, 2, "ab", "ab", 0, 0)], [])
    assert document.tokens_in(0, 2) == document.tokens
    document.tokens.append(Token(3, 4, "c", "c", 0, 1))  # the look-up index is rebuilt
    assert surfaces(document.tokens_in(0, 4)) == ["ab", "c"]


# The Tasnim example: title twice, three trailing navigation lines


@pytest.fixture(scope="module")
def tasnim(tasnim_text: str) -> Document:
    return build_document(tasnim_text)


def test_tasnim_title_is_kept_once(tasnim: Document) -> None:
    assert tasnim.text.startswith(TASNIM_TITLE + "\n\nTEHRAN (Tasnim) - Iraqi Resistance")
    assert tasnim.text.count(TASNIM_TITLE) == 1
    assert tasnim.sentences[0] == Sentence(0, len(TASNIM_TITLE), 0)


def test_tasnim_trailing_boilerplate_is_removed(tasnim: Document) -> None:
    assert tasnim.text.endswith("targeting anti-terror groups from time to time.")
    assert "Most Visited" not in tasnim.text and "Top " not in tasnim.text
    assert tasnim.warnings == [
        'removed 3 boilerplate lines: "Most Visited in World", "Top World stories", "Top Stories"',
        f'removed 1 repeated line: "{TASNIM_TITLE}"',
    ]


def test_tasnim_heroic_forces_is_quoted(tasnim: Document) -> None:
    start = tasnim.text.index("heroic forces")
    quote = tasnim.quote_at(start)
    assert quote is not None and quote.closed and quote.depth == 0
    quoted = tasnim.text[quote.start : quote.end]
    assert quoted.startswith("These statements do not reflect")
    assert quoted.endswith("after the victory over Daesh.")
    assert tasnim.is_quoted(start, start + len("heroic forces"))


def test_tasnim_mixed_marks_and_attribution_layout(tasnim: Document) -> None:
    # Opened with a straight mark, closed with a curly one.
    start = tasnim.text.index("We need cooperation")
    quote = tasnim.quote_at(start)
    assert quote is not None
    assert tasnim.text[quote.start : quote.end].endswith("to help us in the air.")
    alleged = tasnim.text.index("Hussein alleged")
    assert tasnim.quote_at(alleged) is None
    assert tasnim.quote_at(tasnim.text.index("legendary")) is None
    assert len(tasnim.quotes) == 10
    assert all(quote.closed for quote in tasnim.quotes)


def test_tasnim_possessives_split(tasnim: Document) -> None:
    start = tasnim.text.index("Lebanon’s")
    lebanon, possessive = tasnim.tokens_in(start, start + len("Lebanon’s"))
    assert (lebanon.text, possessive.text, possessive.lower) == ("Lebanon", "’s", "'s")
    start = tasnim.text.index("Asa’ib")
    assert surfaces(tasnim.tokens_in(start, start + 6)) == ["Asa’ib"]


def test_tasnim_sentences(tasnim: Document) -> None:
    texts = sentence_texts(tasnim)
    assert len(texts) == 23
    assert texts[4] == '"We need cooperation in the field of intelligence.'
    assert texts[6] == "We need troops to help us in the air.”"
    assert all(not text.startswith(("”", "’")) for text in texts)


def test_tasnim_is_a_fixed_point(tasnim: Document) -> None:
    again = build_document(tasnim.text)
    assert again.text == tasnim.text
    assert again.warnings == []
    assert again.tokens == tasnim.tokens and again.quotes == tasnim.quotes


# Properties over arbitrary input

QUOTE_HEAVY_PIECES = [
    *list("aZ9 .!?,\n-'\"“”‘’«»()…"),
    "\n\n",
    "U.S.",
    "Mr. ",
    "3.5",
    "’s",
    "don't",
    "\u0301",
    "\xa0",
    "Advertisement\n",
]
any_text = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(QUOTE_HEAVY_PIECES), max_size=60).map("".join),
)


def check_invariants(document: Document) -> None:
    text = document.text
    size = len(text)
    previous_end = 0
    for index, token in enumerate(document.tokens):
        assert 0 <= token.start < token.end <= size
        assert token.start >= previous_end  # ordered, no overlap
        assert token.text == text[token.start : token.end]
        assert token.index == index
        sentence = document.sentences[token.sentence]
        assert sentence.start <= token.start and token.end <= sentence.end
        previous_end = token.end

    previous_end = 0
    for index, sentence in enumerate(document.sentences):
        assert 0 <= sentence.start < sentence.end <= size
        assert sentence.start >= previous_end
        assert sentence.index == index
        assert any(p_start <= sentence.start and sentence.end <= p_end
                   for p_start, p_end in document.paragraphs)  # fmt: skip
        previous_end = sentence.end
    covered = sum(len(document.sentence_tokens(i)) for i in range(len(document.sentences)))
    assert covered == len(document.tokens)

    previous_end = 0
    for start, end in document.paragraphs:
        assert 0 <= start < end <= size and start >= previous_end
        previous_end = end

    previous_start = 0
    for quote in document.quotes:
        assert 0 <= quote.start < quote.end <= size
        assert quote.start >= previous_start
        assert quote.depth >= 0
        assert any(p_start <= quote.start and quote.end <= p_end
                   for p_start, p_end in document.paragraphs)  # fmt: skip
        previous_start = quote.start


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_document_invariants_hold_for_any_text(raw: str) -> None:
    document = build_document(raw)
    check_invariants(document)
    assert build_document(document.text).text == document.text


@settings(max_examples=200, deadline=None)
@given(st.one_of(any_text, st.lists(st.sampled_from(["<p>", "</p>", "<br>", "<script>", "&amp;",
                                                      "<nav>", "</nav>", "x", " ", "<", "&"]),
                                     max_size=30).map("".join)))  # fmt: skip
def test_html_never_raises_and_keeps_invariants(raw: str) -> None:
    document = build_document(raw, html=True)
    check_invariants(document)


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_quote_at_agrees_with_a_linear_scan(raw: str) -> None:
    document = build_document(raw)
    for position in range(len(document.text) + 1):
        containing = [q for q in document.quotes if q.start <= position < q.end]
        expected = max(containing, key=lambda q: q.depth) if containing else None
        assert document.quote_at(position) == expected


def test_document_survives_pickling_for_worker_processes(small_document: Document) -> None:
    small_document.quote_at(10)  # fills the look-up index, which must not break the copy
    copy = pickle.loads(pickle.dumps(small_document))
    assert copy == small_document
    assert copy.quote_at(21) == QuotedRegion(21, 23, 1, True)


def test_tokens_are_frozen() -> None:
    token = build_document("word").tokens[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.start = 3  # type: ignore[misc]


def test_token_columns_match_the_tokens_and_follow_changes() -> None:
    document = build_document("The Regime’s so-called REFORMS failed.\n\nCritics said so.")
    assert document.token_lowers() == [
        "the", "regime", "'s", "so-called", "reforms", "failed", ".", "critics", "said", "so", ".",
    ]
    assert document.token_starts() == [token.start for token in document.tokens]
    rebuilt = Document(document.text, document.sentences, document.tokens[:3], document.quotes)
    assert rebuilt.token_lowers() == ["the", "regime", "'s"]
    assert rebuilt.token_starts() == [0, 4, 10]
    assert rebuilt.token_texts() == ["The", "Regime", "’s"]


def test_word_flags_mark_tokens_with_a_letter_or_digit() -> None:
    document = build_document("“Hussein’s” 5 $5 — U.S. ... 'em ½!")
    assert [token.text for token in document.tokens] == [
        "“", "Hussein", "’s", "”", "5", "$", "5", "—", "U.S.", ".", ".", ".", "'", "em", "½", "!",
    ]
    assert document.word_flags() == [
        False, True, True, False, True, False, True, False, True, False, False, False, False,
        True, True, False,
    ]
    assert document.word_flags() == [is_word(token.text) for token in document.tokens]
    rebuilt = Document(document.text, document.sentences, document.tokens[:3], document.quotes)
    assert rebuilt.word_flags() == [False, True, True]


# Hostile input: documents stay consistent, and the quadratic cases stay fixed

HOSTILE_PIECES = [
    *QUOTE_HEAVY_PIECES,
    "\x00", "\x07", "\r\n", "\x85", "\u2028", "\t",
    "\u200d", "\u200b", "\ufeff", "\u200f", "\u202e", "\u2066",
    "\u0301" * 40, "\u0316\u0301" * 20, "\u0344",
    "👨‍👩‍👧", "🇺🇸", "👍🏽", "مرحبا", "שלום", "Москва", "北京",
    "“" * 8, "‘" * 6, "'" * 5, '"' * 7, "." * 9, "!?" * 4,
    "<script>", "</b>", "&amp;", "U.S.", "said", "alleged",
]  # fmt: skip
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES), max_size=50).map("".join)


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_document_invariants_hold_for_hostile_text(raw: str) -> None:
    document = build_document(raw)
    check_invariants(document)
    assert all(quote.depth < MAX_OPEN_QUOTATIONS for quote in document.quotes)
    again = build_document(document.text)
    assert again.text == document.text
    assert again.tokens == document.tokens and again.quotes == document.quotes


@settings(max_examples=100, deadline=None)
@given(hostile_text)
def test_html_invariants_hold_for_hostile_text(raw: str) -> None:
    check_invariants(build_document(raw, html=True))


def test_regression_unclosed_quotes_nest_at_most_max_open_quotations() -> None:
    # Each unclosed mark used to open one more region spanning the whole paragraph.
    text = "“" * 50 + "a b"
    document = build_document(text)
    assert document.quotes == [
        QuotedRegion(start, len(text), depth, False)
        for depth, start in enumerate(range(1, MAX_OPEN_QUOTATIONS + 1))
    ]


def test_regression_unclosed_single_quotes_keep_their_regions() -> None:
    # Finding the innermost double quotation used to scan every single one opened after it.
    text = "“x" + " ‘a" * 3 + "”"
    assert build_document(text).quotes == [
        QuotedRegion(1, 11, 0, True),
        QuotedRegion(4, 11, 1, False),
        QuotedRegion(7, 11, 2, False),
        QuotedRegion(10, 11, 3, False),
    ]


def test_regression_punctuation_run_is_one_candidate_sentence_end() -> None:
    # A run of marks not followed by a space was tried from each of its marks.
    document = build_document("a" + "!?" * 20 + "b. Next one. Really?!... Yes.")
    assert sentence_texts(document) == ["a" + "!?" * 20 + "b.", "Next one.", "Really?!...", "Yes."]


def test_regression_stacked_combining_marks_are_cut() -> None:
    document = build_document("Zal" + "\u0316\u0301" * 500 + "go said.")
    # The first 30 marks are kept, then composed and reordered as NFC does: "l" and an acute
    # accent make "ĺ", and the grave-below marks (class 220) go before the acute ones (230).
    kept = unicodedata.normalize("NFC", "Zal" + "\u0316\u0301" * 15 + "go said.")
    assert kept == "Zaĺ" + "\u0316" * 15 + "\u0301" * 14 + "go said."
    assert document.text == kept
    assert document.warnings == ["removed 970 combining marks beyond 30 on one character"]
    assert [token.text for token in document.tokens][-2:] == ["said", "."]


@pytest.mark.parametrize(
    ("marks", "elsewhere"),
    [
        ("\U0001d167", ""),  # a combining mark outside the Basic Multilingual Plane
        ("\u0316", " \U0001f600"),  # a BMP mark, in a text that also has an astral character
        ("\u0316", ""),
    ],
)
def test_stacked_combining_marks_are_cut_in_either_plane(marks: str, elsewhere: str) -> None:
    document = build_document("Zal" + marks * 100 + "go said." + elsewhere)
    assert document.text == "Zal" + marks * 30 + "go said." + elsewhere
    assert document.warnings == ["removed 70 combining marks beyond 30 on one character"]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>One</p> two <b", "One\n\ntwo"),  # a tag cut off by the end
        ("<p>One</p><!--x>two", "One"),  # a comment never closed hides the rest
        ("<p>One</p><![CDATA[x>two<p>three</p>", "One"),
        ("<p>One <![x y> two</p>", "One two"),  # an unknown marked section: a bogus comment
        ("<nav><nav></nav>menu</nav><p>One</p>", "One"),
        ("<nav>" * 3 + "</b>" * 3 + "<p>One</p>", ""),  # never closed: all of it skipped
    ],
)
def test_regression_broken_html_is_read_in_one_pass(raw: str, text: str) -> None:
    document = build_document(raw, html=True)
    assert document.text == text
    assert not any("parser failed" in warning for warning in document.warnings)
