from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.normalize import (
    BOILERPLATE_PHRASES,
    boilerplate_key,
    html_to_text,
    normalize_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\t\tb   c", "a b c"),
        ("  padded line  \n  next  ", "padded line\nnext"),
        ("one\n\n\n\n\ntwo", "one\n\ntwo"),
        ("one\n \n\t\n two", "one\n\ntwo"),
        ("non\xa0breaking\u2009thin\u3000wide", "non breaking thin wide"),
        ("bell\x07 and\x00 nul", "bell and nul"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("cafe\u0301", "café"),
        ("cafe\x07\u0301", "café"),  # removing a control character must not leave NFD behind
        ("“Curly” ‘marks’ and don’t", "“Curly” ‘marks’ and don’t"),
        ("\n\n  \n", ""),
    ],
)
def test_normalize_text_rewrites_characters_and_whitespace(raw: str, expected: str) -> None:
    assert normalize_text(raw).text == expected


def test_normalize_text_warns_about_control_characters() -> None:
    assert normalize_text("a\x01b\x02").warnings == ["removed 2 control characters"]
    assert normalize_text("a\r\nb\tc").warnings == []


def test_boilerplate_lines_are_removed_with_a_warning() -> None:
    raw = "Body text.\n\nAdvertisement\n\nMore body.\n\nREAD MORE »\nShare this article:"
    result = normalize_text(raw)
    assert result.text == "Body text.\n\nMore body."
    assert result.warnings == [
        'removed 3 boilerplate lines: "Advertisement", "READ MORE »", "Share this article:"'
    ]


def test_boilerplate_phrase_inside_a_longer_line_is_kept() -> None:
    raw = "Read more about the case in our archive.\n\nThe advertisement was pulled."
    result = normalize_text(raw)
    assert result.text == raw
    assert result.warnings == []


def test_boilerplate_keys_are_stored_normalized() -> None:
    assert boilerplate_key("  Most Visited in World ") == "most visited in world"
    assert boilerplate_key("Follow us on Twitter!") == "follow us on twitter"
    assert all(boilerplate_key(phrase) == phrase for phrase in BOILERPLATE_PHRASES)


def test_title_repeated_on_the_next_paragraph_is_kept_once() -> None:
    raw = "Big Title\n\nBig Title\n\nFirst paragraph.\n\nBig Title again."
    result = normalize_text(raw)
    assert result.text == "Big Title\n\nFirst paragraph.\n\nBig Title again."
    assert result.warnings == ['removed 1 repeated line: "Big Title"']


def test_repetition_exposed_by_boilerplate_removal_is_removed_in_the_same_pass() -> None:
    raw = "Title\n\nAdvertisement\n\nTitle\n\nBody."
    once = normalize_text(raw)
    assert once.text == "Title\n\nBody."
    assert normalize_text(once.text).text == once.text


def test_long_repeated_line_is_shortened_in_the_warning() -> None:
    line = "word " * 30
    result = normalize_text(f"{line}\n\n{line}")
    assert len(result.warnings) == 1
    assert result.warnings[0].endswith('…"')
    assert len(result.warnings[0]) < 120


HTML_PAGE = """<!doctype html>
<html><head><title>Page title | Site</title>
<style>p { color: red; }</style>
<script>var headline = "do not show";</script></head>
<body>
<header><a href="/">Home</a> World</header>
<nav><ul><li>Politics</li><li>Sport</li></ul></nav>
<article>
  <h1>Talks &amp; troops</h1>
  <p>The minister said&nbsp;the &ldquo;talks&rdquo;
     would continue.</p>
  <p>Second<br>line &#8212; with <b>bold</b> text.</p>
  <blockquote>A quoted block</blockquote>
  <aside>Related: other story</aside>
  <form><label>Email</label><input name="e"></form>
</article>
<footer>Copyright</footer>
<noscript>Enable JavaScript</noscript>
</body></html>"""


def test_html_keeps_visible_article_text_as_paragraphs() -> None:
    result = html_to_text(HTML_PAGE)
    assert result.text == (
        "Talks & troops\n\n"
        "The minister said the “talks” would continue.\n\n"
        "Second\n\n"
        "line — with bold text.\n\n"
        "A quoted block"
    )


def test_html_warns_about_dropped_elements() -> None:
    result = html_to_text(HTML_PAGE)
    assert result.warnings == [
        "removed HTML elements: <aside> x1, <footer> x1, <form> x1, <header> x1, <nav> x1, "
        "<noscript> x1, <script> x1, <style> x1, <title> x1"
    ]


def test_html_header_of_an_article_is_kept_but_the_page_header_is_not() -> None:
    result = html_to_text(
        "<header>Site menu</header><article><header><h1>Headline</h1></header>"
        "<p>Body.</p><footer>Tags</footer></article>"
    )
    assert result.text == "Headline\n\nBody."
    assert result.warnings == ["removed HTML elements: <footer> x1, <header> x1"]


def test_html_boilerplate_lines_are_removed_after_extraction() -> None:
    result = html_to_text("<p>Story text.</p><div>Most Read</div><p>Top Stories</p>")
    assert result.text == "Story text."
    assert result.warnings == ['removed 2 boilerplate lines: "Most Read", "Top Stories"']


def test_html_preformatted_text_keeps_its_line_breaks() -> None:
    assert html_to_text("<pre>line one\nline two</pre>").text == "line one\nline two"


@pytest.mark.parametrize(
    "markup",
    ["<p>unclosed", "</div></div>text", "<![if x]>a", "<!-- open comment", "<a href='x", "<"],
)
def test_malformed_html_does_not_raise(markup: str) -> None:
    assert isinstance(html_to_text(markup).text, str)


def joined(pieces: list[str], max_size: int) -> st.SearchStrategy[str]:
    """Strings made of the given pieces, to hit structure that random characters rarely form."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


texts_with_structure = joined(
    [*"ab Z.\n\t\r\"'“”‘’-", "\x07", "\xa0", "\u0301", "Advertisement", "Title\n"], 40
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), texts_with_structure))
def test_normalization_is_idempotent(raw: str) -> None:
    once = normalize_text(raw).text
    assert normalize_text(once).text == once
    assert normalize_text(once).warnings == []


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), texts_with_structure))
def test_normalized_text_follows_the_convention(raw: str) -> None:
    text = normalize_text(raw).text
    assert text == text.strip()
    assert "\t" not in text and "\r" not in text
    assert "  " not in text and "\n\n\n" not in text
    assert " \n" not in text and "\n " not in text


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        joined([*"<>/!-?&;#\"' =ab\n[]", "<p>", "<script>", "</nav>", "&amp", "<![", "<!--"], 40),
    )
)
def test_html_extraction_never_raises(raw: str) -> None:
    text = html_to_text(raw).text
    assert normalize_text(text).text == text
