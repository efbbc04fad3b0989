"""The default model, trained from datasets/core, on real and written-for-the-test articles."""

from __future__ import annotations

from training.model import SlantModel

NEUTRAL_WIRE = (
    "City Council Approves Budget\n\n"
    "The city council approved a $2.1 billion budget on Tuesday, officials said.\n\n"
    "The budget increases spending on road repairs by 4 percent, according to the finance "
    "department. Council member Ana Ruiz said the plan balanced competing needs.\n\n"
    "\"We funded the libraries and kept the tax rate flat,\" Ruiz told reporters. Another member, "
    "Tom Becker, said he voted against the plan because of its transit cuts."
)


def _find(result: dict, **wanted: str) -> list[dict]:
    return [c for c in result["cues"] if all(c.get(k) == v for k, v in wanted.items())]


def test_result_offsets_point_into_the_text(trained_model: SlantModel, tasnim_text: str) -> None:
    result = trained_model.score(tasnim_text)
    text = result["text"]
    for cue in result["cues"]:
        assert text[cue["start"]:cue["end"]] == cue["text"]
    for attribution in result["attributions"]:
        cue = attribution["cue"]
        assert text[cue["start"]:cue["end"]] == cue["text"]
        if attribution["source"] is not None:
            source = attribution["source"]
            assert text[source["start"]:source["end"]] == source["text"]
    for sentence in result["sentences"]:
        assert 0 <= sentence["start"] < sentence["end"] <= len(text)


def test_tasnim_example(trained_model: SlantModel, tasnim_text: str) -> None:
    result = trained_model.score(tasnim_text)
    text = result["text"]
    assert "Most Visited in World" not in text and "Top Stories" not in text
    assert text.count("Iraqi FM’s Remarks on Need for US Troops Draw Strong Criticism") == 1

    alleged = [a for a in result["attributions"] if a["cue"]["text"] == "alleged"]
    assert alleged and alleged[0]["cue"]["stance"] == "distancing"
    assert alleged[0]["source"]["name"] == "Fuad Hussein"

    assert _find(result, text="legendary", category="glorifying", voice="writer")
    assert _find(result, term="allegedly", category="doubt")
    assert _find(result, term="pretext", category="doubt")
    assert _find(result, term="debunked", category="doubt")
    assert _find(result, text="Zionist regime", category="demonizing")
    assert _find(result, text="assassinated")
    heroic = _find(result, text="heroic")
    assert heroic and heroic[0]["voice"] == "quoted"

    endorsing = {
        a["cue"]["text"] for a in result["attributions"] if a["cue"]["stance"] == "endorsing"
    }
    assert {"underlined", "noted"} <= endorsing
    media = {s["name"] for s in result["sources"] if s["kind"] == "media"}
    assert any("Press TV" in name for name in media)
    assert any("al-Mayadeen" in name for name in media)
    assert result["source_asymmetry"] > 0.5
    assert result["article"]["label"] == "framed"
    assert result["article"]["dimensions"]["attribution_imbalance"] > 0.5


def test_neutral_wire_copy_scores_low(trained_model: SlantModel) -> None:
    result = trained_model.score(NEUTRAL_WIRE)
    assert result["article"]["framing"] < 0.5
    assert result["article"]["label"] == "not framed"
    assert result["source_asymmetry"] < 0.2
    assert all(s["bias"] < 0.5 for s in result["sentences"])


def test_html_input_is_parsed(trained_model: SlantModel) -> None:
    html = (
        "<html><head><script>var regime = 1;</script></head><body><nav>Top Stories</nav>"
        "<p>The so-called reform &amp; its critics.</p><p>Officials said it would pass.</p>"
        "</body></html>"
    )
    result = trained_model.score(html, html=True)
    assert "var regime" not in result["text"]
    assert "Top Stories" not in result["text"]
    assert "The so-called reform & its critics." in result["text"]
    assert _find(result, text="so-called", category="doubt")


def test_scores_are_deterministic(trained_model: SlantModel, tasnim_text: str) -> None:
    assert trained_model.score(tasnim_text) == trained_model.score(tasnim_text)


def test_short_texts_do_not_extrapolate_densities(trained_model: SlantModel) -> None:
    result = trained_model.score("The regime’s so-called reforms were slammed by critics.")
    explanation = result["explanation"]["framing"]
    densities = {
        c["feature"]: c["value"] for c in explanation["contributions"]
        if c["feature"].startswith(("cue_density:", "reported_density:"))
    }
    # Two cues of about 0.9 probability each, over the 100-word floor, not over 8 words.
    assert densities and all(value <= 1.0 for value in densities.values())


def test_text_with_characters_that_lowercase_to_two_does_not_crash(
    trained_model: SlantModel,
) -> None:
    # "İ".lower() is two characters; the tagger once misaligned its capitalization flags on it.
    result = trained_model.score("İstanbul officials said the so-called reform İs stalled.")
    assert result["text"].startswith("İstanbul")
    assert any(cue["text"] == "so-called" for cue in result["cues"])
