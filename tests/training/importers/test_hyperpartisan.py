from pathlib import Path

import pytest

from training.document import build_document
from training.errors import DatasetError
from training.importers import load_dataset
from training.importers.hyperpartisan import load

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "hyperpartisan"
ARTICLES = FIXTURES / "articles-training-byarticle-fixture.xml"
REAL = REPO.parent / "shared" / "data" / "hyperpartisan"


def test_articles_with_ground_truth_become_framing_examples() -> None:
    examples = load(FIXTURES)
    assert [e.id for e in examples] == [
        "hyperpartisan:0000101", "hyperpartisan:0000102", "hyperpartisan:0000103",
    ]
    assert [e.label for e in examples] == [
        {"framing": False}, {"framing": True}, {"framing": False},
    ]
    assert all(e.level == "article" and e.meta["annotated"] == [] for e in examples)
    assert examples[0].meta["published"] == "2018-03-01"
    assert examples[0].meta["title"] == "Council Approves Budget"


def test_text_is_title_then_paragraphs_without_captions_between_them() -> None:
    council, lying, caption_only = load(FIXTURES)
    # The photo credit before the first <p> is dropped; link text inside a <p> is kept.
    assert council.text == (
        "Council Approves Budget\n\n"
        "The city council approved the budget on Tuesday, officials said.\n\n"
        "The vote was 7–2, according to the minutes."
    )
    # The advertising line between paragraphs is dropped; <q> is a paragraph of its own.
    assert lying.text == (
        "They Will Never Stop Lying To You\n\n"
        "The so-called experts are at it again!\n\n"
        "Don’t believe the regime media.\n\n"
        "We will fight back"
    )
    assert caption_only.text == "A caption-only page\n\nNothing but loose text here."
    for example in (council, lying, caption_only):
        assert build_document(example.text).text == example.text


def test_the_articles_file_finds_its_ground_truth_beside_it() -> None:
    assert load(ARTICLES) == load(FIXTURES)
    assert load_dataset(f"hyperpartisan={ARTICLES}")[0].id == "hyperpartisan:0000101"


def test_missing_ground_truth_is_a_clear_error(tmp_path: Path) -> None:
    lonely = tmp_path / "articles-training-byarticle-fixture.xml"
    lonely.write_text(ARTICLES.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"ground-truth-training-byarticle-fixture\.xml"):
        load(lonely)
    with pytest.raises(DatasetError, match="must start with 'articles-'"):
        load(FIXTURES / "ground-truth-training-byarticle-fixture.xml")


def test_a_bad_label_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ARTICLES.name).write_text(ARTICLES.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "ground-truth-training-byarticle-fixture.xml").write_text(
        '<articles><article id="0000101" hyperpartisan="maybe"/></articles>', encoding="utf-8"
    )
    with pytest.raises(DatasetError, match="hyperpartisan='maybe'"):
        load(tmp_path)


def test_real_corpus_loads_every_article() -> None:
    if not REAL.exists():
        pytest.skip(f"{REAL} is absent (the public data is not part of a clone)")
    examples = load(REAL)
    assert len(examples) == 645
    assert sum(e.biased for e in examples) == 238
    assert len({e.id for e in examples}) == 645
    assert examples[0].text.startswith("Kucinich: Reclaiming the money power\n\n")
    assert "No Pill Can Stop Tinnitus" not in examples[0].text  # an ad line between <p>s
    assert all(build_document(e.text).text == e.text for e in examples[:50])
