from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.quotes import quoted_spans
from training.segment import TOKEN_PATTERN, paragraph_spans, sentence_spans, tokenize


def token_texts(text: str) -> list[str]:
    return tokenize(text)[2]


def sentence_texts(text: str) -> list[str]:
    starts, ends, _ = tokenize(text)
    spans = sentence_spans(text, paragraph_spans(text), starts, ends)
    return [text[start:end] for start, end in spans]


def quotes(text: str) -> list[tuple[str, int, bool]]:
    return [
        (text[start:end], depth, closed)
        for start, end, depth, closed in quoted_spans(text, paragraph_spans(text))
    ]


# Tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so-called al-Mayadeen", ["so-called", "al-Mayadeen"]),
        ("Asa’ib Hashd al-Sha'abi", ["Asa’ib", "Hashd", "al-Sha'abi"]),
        ("don't won’t", ["don't", "won’t"]),
        ("Lebanon’s TV", ["Lebanon", "’s", "TV"]),
        ("Iraq's it’s", ["Iraq", "'s", "it", "’s"]),
        ("students' union", ["students", "'", "union"]),
        ("the U.S. and U.K.", ["the", "U.S.", "and", "U.K."]),
        ("Mr. Mrs. Dr. Gen. Jan. Sept.", ["Mr.", "Mrs.", "Dr.", "Gen.", "Jan.", "Sept."]),
        ("e.g. i.e. 10 a.m. vs. etc.", ["e.g.", "i.e.", "10", "a.m.", "vs.", "etc."]),
        ("J. K. Rowling", ["J.", "K.", "Rowling"]),
        ("No. 1 and No.", ["No.", "1", "and", "No", "."]),
        ("9/11 3.5 1,000 10:30", ["9/11", "3.5", "1,000", "10:30"]),
        ("and/or", ["and", "/", "or"]),
        ("(PMU) - “x”!?", ["(", "PMU", ")", "-", "“", "x", "”", "!", "?"]),
        ("wait...", ["wait", ".", ".", "."]),
        ("Costco. Coat.", ["Costco", ".", "Coat", "."]),
        ("1990s F-35 COVID-19", ["1990s", "F-35", "COVID-19"]),
        ("naïve Zürich مرحبا", ["naïve", "Zürich", "مرحبا"]),
        ("", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert token_texts(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(["U.S.", "Mr.", " ", "  ", "\n", "\t", "’s", "'", "so-called", "3.5",
                              "\u00a0", "\u2003", "x", "É", "\u0301", "!", ".", "\u200b"]),
             max_size=30).map("".join),
))  # fmt: skip
def test_tokenize_finds_exactly_the_token_pattern_matches(text: str) -> None:
    # tokenize derives offsets from one findall over whitespace-prefixed tokens: it must agree
    # with the token pattern's own matches on any text, whitespace of every kind included.
    matches = list(TOKEN_PATTERN.finditer(text))
    assert tokenize(text) == (
        [match.start() for match in matches],
        [match.end() for match in matches],
        [match.group() for match in matches],
    )


def test_tokenize_offsets_point_into_the_text() -> None:
    text = "Lebanon’s al-Mayadeen, said."
    starts, ends, surfaces = tokenize(text)
    assert list(zip(starts, ends, strict=True)) == [
        (0, 7),
        (7, 9),
        (10, 21),
        (21, 22),
        (23, 27),
        (27, 28),
    ]
    assert surfaces == [text[start:end] for start, end in zip(starts, ends, strict=True)]


# Sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Gen. Jones in the U.S. on Jan. 5. They spoke.",
            ["Mr. Smith met Gen. Jones in the U.S. on Jan. 5.", "They spoke."],
        ),
        (
            "Sen. Rep. Gov. Lt. Col. Brown and Dr. Mrs. White came. It rained.",
            ["Sen. Rep. Gov. Lt. Col. Brown and Dr. Mrs. White came.", "It rained."],
        ),
        ("J. K. Rowling wrote it. She won.", ["J. K. Rowling wrote it.", "She won."]),
        ("It grew 3.5 percent. Prices fell.", ["It grew 3.5 percent.", "Prices fell."]),
        ("He left at 9 a.m. The talks began.", ["He left at 9 a.m.", "The talks began."]),
        ("He left at 9 a.m. Monday.", ["He left at 9 a.m. Monday."]),
        ("U.S. officials agreed. The U.K. Foreign Office did not.",
         ["U.S. officials agreed.", "The U.K. Foreign Office did not."]),
        ("Troops went to the U.S. The plan failed.",
         ["Troops went to the U.S.", "The plan failed."]),
        ("It is owned by Apple Inc. The unit grew.",
         ["It is owned by Apple Inc.", "The unit grew."]),
        ("Fruit, e.g. Apples, vs. Pears. Done.", ["Fruit, e.g. Apples, vs. Pears.", "Done."]),
        ("It was No. 1 in Sept. Sales rose.", ["It was No. 1 in Sept. Sales rose."]),
        ('They flew to the U.S. "We are here," he said.',
         ["They flew to the U.S.", '"We are here," he said.']),
        ("Gen. “Mad Dog” Mattis spoke.", ["Gen. “Mad Dog” Mattis spoke."]),
        ("Wait... What happened? Nobody knows!", ["Wait...", "What happened?", "Nobody knows!"]),
        ("He paused... and went on.", ["He paused... and went on."]),
        ('"We need help." He said it.', ['"We need help."', "He said it."]),
        ("“We need help.” He said it.", ["“We need help.”", "He said it."]),
        ('"Why?" he asked.', ['"Why?" he asked.']),
        ("(See the report.) It is long.", ["(See the report.)", "It is long."]),
        ("A title without a period\nThe body starts here.",
         ["A title without a period", "The body starts here."]),
        ("a line wrapped\nin the middle.", ["a line wrapped\nin the middle."]),
        ("No period at the end\n\nNew paragraph.", ["No period at the end", "New paragraph."]),
    ],
)  # fmt: skip
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


def test_quotation_spanning_sentences_is_split_into_sentences() -> None:
    text = '"We need help. We need troops." He said.'
    assert sentence_texts(text) == ['"We need help.', 'We need troops."', "He said."]
    assert quotes(text) == [("We need help. We need troops.", 0, True)]


def test_sentence_never_crosses_a_paragraph() -> None:
    text = "First part without end\n\nsecond part lowercase."
    assert sentence_texts(text) == ["First part without end", "second part lowercase."]


def test_sentence_spans_are_exact_offsets() -> None:
    text = "He spoke. She left.\n\nNew one."
    starts, ends, _ = tokenize(text)
    assert sentence_spans(text, paragraph_spans(text), starts, ends) == [(0, 9), (10, 19), (21, 29)]


def test_paragraph_spans() -> None:
    assert paragraph_spans("One.\nStill one.\n\nTwo.") == [(0, 15), (17, 21)]
    assert paragraph_spans("") == []


# Quoted regions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('He said "yes" twice.', [("yes", 0, True)]),
        ("He said “yes” twice.", [("yes", 0, True)]),
        ("He said ‘yes’ twice.", [("yes", 0, True)]),
        ("He said 'yes' twice.", [("yes", 0, True)]),
        ("He said «oui» twice.", [("oui", 0, True)]),
        ('"One," he said, "two."', [("One,", 0, True), ("two.", 0, True)]),
        ('"Mixed marks,” he said.', [("Mixed marks,", 0, True)]),
        (
            "He said \"I told him 'no' loudly\" today.",
            [("I told him 'no' loudly", 0, True), ("no", 1, True)],
        ),
        (
            "“She said ‘never’ and “again” then” end.",
            [
                ("She said ‘never’ and “again” then", 0, True),
                ("never", 1, True),
                ("again", 1, True),
            ],
        ),
        ("“It runs on. To the end", [("It runs on. To the end", 0, False)]),
        ('Then "it runs on', [("it runs on", 0, False)]),
        ("A stray” closing mark.", []),
        ("Don't touch Asa’ib or Iraq’s land.", []),
        ("The students' union and the '90s and ‘90s.", []),
        ("Rock 'n' roll 'em all.", []),
        ("An 'unclosed straight single quote", []),
        ("A ‘curly single runs on", [("curly single runs on", 0, False)]),
        ('Empty "" quotes.', []),
    ],
)
def test_quoted_regions(text: str, expected: list[tuple[str, int, bool]]) -> None:
    assert quotes(text) == expected


def test_quoted_region_offsets_exclude_the_marks() -> None:
    text = 'He said "no."'
    assert quoted_spans(text, paragraph_spans(text)) == [(9, 12, 0, True)]


def test_unclosed_quote_stops_at_its_paragraph() -> None:
    text = "“First paragraph of a long quote.\n\n“Second paragraph,” he said."
    assert quotes(text) == [
        ("First paragraph of a long quote.", 0, False),
        ("Second paragraph,", 0, True),
    ]


def test_single_quote_does_not_close_across_a_double_quote() -> None:
    # The apostrophe of "students'" must not close the single quote opened outside the double.
    text = "'He said \"the students' union\" agreed' today."
    assert quotes(text) == [
        ('He said "the students\' union" agreed', 0, True),
        ("the students' union", 1, True),
    ]
