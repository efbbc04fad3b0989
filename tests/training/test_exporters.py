"""Export then import, for every format: what survives is asserted exactly, format by format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.dataset import Example
from training.errors import DatasetError
from training.exporters import EXPORT_FORMATS, export_examples
from training.importers import import_file, read_mapping

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def at(text: str, phrase: str, occurrence: int = 1) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


def cue_span(text: str, phrase: str, label: str) -> dict[str, object]:
    start, end = at(text, phrase)
    return {"start": start, "end": end, "label": label}


def attribution(
    text: str, source: str | None, cue: str, content: str | None, *, kind: str = "person",
    stance: str = "neutral", direct: bool = False, cue_occurrence: int = 1,
) -> dict[str, object]:
    def part(phrase: str | None, occurrence: int = 1, **extra: object) -> dict[str, object] | None:
        if phrase is None:
            return None
        start, end = at(text, phrase, occurrence)
        return {"start": start, "end": end, **extra}

    return {
        "source": part(source, kind=kind),
        "cue": part(cue, cue_occurrence, stance=stance),
        "content": part(content, direct=direct),
    }


SENTENCE = "The regime’s brutal crackdown silenced the heroic activists, Lina Haddad said."
QUOTE = "“This is a massive betrayal,” the union leader said on Monday."
ARTICLE = (
    "Budget Fight\n\nThe so-called reform was rushed through, critics said. “It is a massive "
    "giveaway,” Ana Ruiz said.\n\nThe ministry claimed the plan would cut costs, according to "
    "a city report. It was reported that the heroic volunteers would stay."
)
EXAMPLES = [
    Example.model_validate({
        "id": "s-1", "text": SENTENCE, "level": "sentence", "label": {"biased": True},
        "spans": [
            cue_span(SENTENCE, "regime", "demonizing"), cue_span(SENTENCE, "brutal", "emotive"),
            cue_span(SENTENCE, "heroic", "glorifying"),
        ],
        "attributions": [attribution(
            SENTENCE, "Lina Haddad", "said",
            "The regime’s brutal crackdown silenced the heroic activists",
        )],
        "meta": {"topic": "world", "outlet": "Example Times", "type": "left"},
    }),
    Example.model_validate({
        "id": "s-2", "text": QUOTE, "level": "sentence", "label": {"biased": False},
        "spans": [
            cue_span(QUOTE, "massive", "exaggeration"), cue_span(QUOTE, "betrayal", "emotive"),
        ],
        "attributions": [attribution(
            QUOTE, "the union leader", "said", "This is a massive betrayal,", direct=True
        )],
        "meta": {"topic": "labour"},
    }),
    Example.model_validate({
        "id": "a-1", "text": ARTICLE, "level": "article",
        "label": {
            "framing": True, "leaning": "right",
            "dimensions": {"loaded_language": True, "doubt": True, "attribution_imbalance": False},
        },
        "spans": [
            cue_span(ARTICLE, "so-called", "doubt"),
            cue_span(ARTICLE, "rushed through", "emotive"),
            cue_span(ARTICLE, "massive", "exaggeration"),
            cue_span(ARTICLE, "heroic", "glorifying"),
        ],
        "attributions": [
            attribution(ARTICLE, "critics", "said", "The so-called reform was rushed through",
                        kind="vague"),
            attribution(ARTICLE, "Ana Ruiz", "said", "It is a massive giveaway,", direct=True,
                        cue_occurrence=2),
            attribution(ARTICLE, "The ministry", "claimed", "the plan would cut costs",
                        kind="organization", stance="distancing"),
            attribution(ARTICLE, "a city report", "according to", None, kind="organization"),
            attribution(ARTICLE, None, "was reported", "the heroic volunteers would stay"),
        ],
        "meta": {"topic": "economy"},
    }),
    Example(
        id="a-2", text="Quiet Day\n\nNothing happened.\n\nThe market closed flat.",
        level="article", label={}, meta={"annotated": []},
    ),
]
SENTENCES = EXAMPLES[:2]
ARTICLES = EXAMPLES[2:]


def round_trip(examples: list[Example], tmp_path: Path, format: str) -> list[Example]:
    path = tmp_path / f"export-{format}"
    export_examples(examples, path, format)
    return import_file(path, format)


def surfaces(example: Example) -> list[tuple[str, str]]:
    return [(example.text[s.start:s.end], s.label) for s in example.spans]


def test_every_named_format_is_exported() -> None:
    assert EXPORT_FORMATS == (
        "native", "doccano", "labelstudio", "spacy", "babe", "mbic", "ptc", "polnear",
    )


def test_native_keeps_everything(tmp_path: Path) -> None:
    assert round_trip(EXAMPLES, tmp_path, "native") == EXAMPLES


@pytest.mark.parametrize("format", ["doccano", "labelstudio", "spacy"])
def test_annotation_tools_keep_everything(tmp_path: Path, format: str) -> None:
    back = round_trip(EXAMPLES, tmp_path, format)
    assert [e.id for e in back] == ["s-1", "s-2", "a-1", "a-2"]
    for original, imported in zip(EXAMPLES, back, strict=True):
        assert imported.text == original.text
        assert imported.level == original.level
        assert imported.label == original.label
        assert imported.spans == original.spans
        assert imported.attributions == original.attributions  # role spans and relations
    # the meta is kept, with the annotated layers made explicit
    assert back[0].meta == {
        "topic": "world", "outlet": "Example Times", "type": "left",
        "annotated": ["spans", "attributions"],
    }
    assert back[3].meta == {"annotated": []}


def test_spacy_groups_attributions_that_share_a_cue(tmp_path: Path) -> None:
    text = "“Go,” he said. “Now,” she added, “or never.”"
    go, he, said = at(text, "Go,"), at(text, "he"), at(text, "said")
    now, she, added = at(text, "Now,"), at(text, "she"), at(text, "added")
    never = at(text, "or never.")

    def quoted(source: tuple[int, int], cue: tuple[int, int], content: tuple[int, int]
               ) -> dict[str, object]:
        return {"source": {"start": source[0], "end": source[1], "kind": "person"},
                "cue": {"start": cue[0], "end": cue[1], "stance": "neutral"},
                "content": {"start": content[0], "end": content[1], "direct": True}}

    shared = [quoted(she, added, now), quoted(he, said, go), quoted(she, added, never)]
    example = Example.model_validate({
        "id": "q", "text": text, "level": "sentence", "label": {"biased": False},
        "attributions": shared,
    })
    [back] = round_trip([example], tmp_path, "spacy")
    # one "added" span with two contents: its attributions come back together, in cue order
    assert back.attributions == tuple(
        example.attributions[index] for index in (0, 2, 1)
    )
    # the formats with span ids keep the order
    [back] = round_trip([example], tmp_path, "labelstudio")
    assert back.attributions == example.attributions


@pytest.mark.parametrize("format", ["babe", "mbic"])
def test_babe_and_mbic_keep_sentences_labels_and_words(tmp_path: Path, format: str) -> None:
    back = round_trip(SENTENCES, tmp_path, format)
    assert [e.id for e in back] == [f"{format}:0", f"{format}:1"]  # ids are row numbers
    assert [e.text for e in back] == [SENTENCE, QUOTE]
    assert [(e.level, e.label) for e in back] == [
        ("sentence", {"biased": True}), ("sentence", {"biased": False}),
    ]
    # these words come back with the same categories, from the lexicon
    assert [e.spans for e in back] == [e.spans for e in SENTENCES]
    assert [e.attributions for e in back] == [(), ()]
    assert back[0].meta == {
        "outlet": "Example Times", "topic": "world", "type": "left", "annotated": ["spans"],
    }


def test_babe_words_lose_offsets_and_categories(tmp_path: Path) -> None:
    text = "The brutal raid and the brutal siege were a scandal."
    example = Example(
        id="x", text=text, level="sentence", label={"biased": True},
        spans=({"start": 4, "end": 10, "label": "demonizing"},),  # type: ignore[arg-type]
    )
    [back] = round_trip([example], tmp_path, "babe")
    # every occurrence of the word, in the category the lexicon (or the fallback) gives it
    assert surfaces(back) == [("brutal", "emotive"), ("brutal", "emotive")]
    assert [(s.start, s.end) for s in back.spans] == [(4, 10), (24, 30)]


def test_ptc_keeps_articles_and_the_spans_it_has_techniques_for(tmp_path: Path) -> None:
    back = round_trip(ARTICLES, tmp_path, "ptc")
    assert [e.id for e in back] == ["ptc:slant_0001", "ptc:slant_0002"]
    assert [e.text for e in back] == [e.text for e in ARTICLES]
    assert [(e.level, e.label) for e in back] == [("article", {}), ("article", {})]
    # glorifying "heroic" has no PTC technique
    assert surfaces(back[0]) == [
        ("so-called", "doubt"), ("rushed through", "emotive"), ("massive", "exaggeration"),
    ]
    assert back[0].attributions == ()
    assert back[0].meta["techniques"] == [
        [18, 27, "Doubt"], [39, 53, "Loaded_Language"], [78, 85, "Exaggeration,Minimisation"],
    ]


def test_ptc_to_ptc_keeps_article_ids_and_every_technique(tmp_path: Path) -> None:
    original = import_file(FIXTURES / "ptc", "ptc")
    back = round_trip(original, tmp_path, "ptc")
    assert back == original


def test_polnear_keeps_articles_and_attribution_offsets(tmp_path: Path) -> None:
    back = round_trip(ARTICLES, tmp_path, "polnear")
    assert [e.id for e in back] == ["polnear:a-1", "polnear:a-2"]
    assert [e.text for e in back] == [e.text for e in ARTICLES]
    assert [(e.level, e.label, e.spans) for e in back] == [("article", {}, ())] * 2

    def offsets(example: Example) -> list[tuple[object, ...]]:
        return [
            (
                None if a.source is None else (a.source.start, a.source.end),
                (a.cue.start, a.cue.end),
                None if a.content is None else (a.content.start, a.content.end),
            )
            for a in example.attributions
        ]

    assert offsets(back[0]) == offsets(ARTICLES[0])
    assert back[1].attributions == ()
    # kind, stance and directness are derived again from the text by the importer
    assert [
        (None if a.source is None else a.source.kind, a.cue.stance,
         None if a.content is None else a.content.direct)
        for a in back[0].attributions
    ] == [
        ("vague", "neutral", False), ("person", "neutral", True),
        ("organization", "distancing", False), ("person", "neutral", None),
        (None, "neutral", False),
    ]
    assert back[0].meta == {
        "annotated": ["attributions"], "publisher": "a-1", "split": "export-polnear",
        "annotator": "slant",
    }


def test_polnear_to_polnear_gives_the_same_examples(tmp_path: Path) -> None:
    original = import_file(FIXTURES / "polnear" / "dev", "polnear")
    split = tmp_path / "dev"
    export_examples(original, split, "polnear")
    # the article name, publisher, split and annotator come back from the file names
    assert import_file(split, "polnear") == original


@pytest.mark.parametrize(
    ("format", "examples", "message"),
    [
        ("babe", EXAMPLES, "babe holds sentence examples only; 2 of the 4 examples"),
        ("mbic", ARTICLES, "mbic holds sentence examples only; 2 of the 2"),
        ("ptc", SENTENCES, "ptc holds article examples only; 2 of the 2"),
        ("polnear", EXAMPLES, "polnear holds article examples only; 2 of the 4"),
    ],
)
def test_corpus_formats_refuse_the_other_level(
    tmp_path: Path, format: str, examples: list[Example], message: str
) -> None:
    with pytest.raises(DatasetError, match=message):
        export_examples(examples, tmp_path / "out", format)


def test_directory_formats_need_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DatasetError, match="needs a new or empty directory"):
        export_examples(ARTICLES, tmp_path, "ptc")
    with pytest.raises(DatasetError, match="unknown export format 'brat'; known formats: native"):
        export_examples(ARTICLES, tmp_path / "new", "brat")


def test_labelstudio_offsets_are_utf16_and_come_back_as_python_offsets(tmp_path: Path) -> None:
    text = "Fans 🎉 cheered the legendary coach."
    example = Example(
        id="e", text=text, level="sentence", label={"biased": True},
        spans=({"start": 19, "end": 28, "label": "glorifying"},),  # type: ignore[arg-type]
    )
    path = tmp_path / "tasks.json"
    export_examples([example], path, "labelstudio")
    [task] = json.loads(path.read_text(encoding="utf-8"))
    region = task["annotations"][0]["result"][0]["value"]
    assert (region["start"], region["end"], region["text"]) == (20, 29, "legendary")
    assert task["annotations"][0]["result"][1]["value"] == {"choices": ["biased"]}
    assert import_file(path, "labelstudio")[0].spans == example.spans


def test_a_mapped_import_exports_under_slants_labels(tmp_path: Path) -> None:
    mapping = read_mapping(FIXTURES / "doccano" / "mapping.json")
    imported = import_file(FIXTURES / "doccano" / "doccano_sample.jsonl", "doccano", mapping)
    for format in ("doccano", "labelstudio", "spacy"):
        # the exported labels are slant's own, so no mapping is needed to read them back
        assert round_trip(imported, tmp_path, format) == imported


def test_their_labels_need_the_mapping_and_the_error_lists_them(tmp_path: Path) -> None:
    rows = [
        {"text": "The thugs ran.", "label": [[4, 9, "NAME_CALLING"]], "cats": ["SLANTED"]},
        {"text": "The thugs left.", "label": [[4, 9, "NAME_CALLING"]], "cats": ["SLANTED"]},
        {"text": "A sad day.", "label": [[2, 5, "SAD"]], "cats": ["biased"]},
    ]
    path = tmp_path / "theirs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        import_file(path, "doccano")
    message = str(error.value)
    assert (
        "unknown labels: span labels 'NAME_CALLING' (2 occurrences), 'SAD' (1 occurrence); "
        "document labels 'SLANTED' (2 occurrences)."
    ) in message
    assert "span labels are doubt, glorifying, demonizing" in message
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(
        json.dumps({"NAME_CALLING": "demonizing", "SAD": "emotive", "SLANTED": "biased"}),
        encoding="utf-8",
    )
    imported = import_file(path, "doccano", read_mapping(mapping_file))
    assert [(surfaces(e), e.label) for e in imported] == [
        ([("thugs", "demonizing")], {"biased": True}),
        ([("thugs", "demonizing")], {"biased": True}),
        ([("sad", "emotive")], {"biased": True}),
    ]
    assert round_trip(imported, tmp_path, "spacy") == imported
