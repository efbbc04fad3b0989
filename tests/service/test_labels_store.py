"""The SQLite label store: ids, de-duplication, transactions, paging, stats, durability,
active-learning suggestions, and 1,000 concurrent submissions from several processes."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from service.labels import LabelStore, StoredLabel, content_hash, label_id, text_hash
from service.labels.store import FILENAME, ID_HEX_CHARS
from training.dataset import Example

REGIME = "The regime said the so-called reform failed."


def sentence(text: str = REGIME, biased: bool = True, id: str = "s1", **extra: Any) -> Example:
    spans = [{"start": 4, "end": 10, "label": "demonizing"}] if biased and text == REGIME else []
    return Example.model_validate(
        {"id": id, "text": text, "level": "sentence", "label": {"biased": biased},
         "spans": spans, **extra}
    )


def article(text: str, framing: bool, id: str = "a1", **dimensions: bool) -> Example:
    return Example(
        id=id, text=text, level="article",
        label={"framing": framing, "dimensions": dimensions},
    )


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    return LabelStore.open(tmp_path / "home")


# Ids and de-duplication


def test_id_is_the_sha256_prefix_of_the_canonical_content() -> None:
    example = sentence()
    canonical = json.dumps(
        {"attributions": [], "label": {"biased": True}, "level": "sentence",
         "spans": [{"end": 10, "label": "demonizing", "start": 4}], "text": REGIME},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert content_hash(example) == expected
    assert label_id(example) == expected[:ID_HEX_CHARS]
    assert len(label_id(example)) == 32


def test_id_ignores_submitted_id_meta_and_span_order() -> None:
    two_spans = [
        {"start": 4, "end": 10, "label": "demonizing"},
        {"start": 20, "end": 29, "label": "doubt"},
    ]
    first = Example.model_validate({"id": "x", "text": REGIME, "level": "sentence",
                                    "label": {"biased": True}, "spans": two_spans})
    second = Example.model_validate({"id": "y", "text": REGIME, "level": "sentence",
                                     "label": {"biased": True}, "spans": two_spans[::-1],
                                     "meta": {"annotator": "b"}})
    assert label_id(first) == label_id(second)
    assert label_id(first) != label_id(sentence(biased=True))  # one span fewer
    assert label_id(sentence(biased=True)) != label_id(sentence(biased=False))


def test_add_answers_ids_in_order_and_dedups_within_and_across_batches(store: LabelStore) -> None:
    first, second = sentence(), sentence(text="Officials met on Monday.", biased=False, id="s2")
    stored = store.add([first, second, sentence(id="again")], source="api")
    assert stored == [
        StoredLabel(label_id(first), True),
        StoredLabel(label_id(second), True),
        StoredLabel(label_id(first), False),
    ]
    assert store.add([second], source="other") == [StoredLabel(label_id(second), False)]
    assert store.count() == 2
    # The first source is kept for a duplicate.
    assert store.stats().by_source == {"api": 2}


def test_add_nothing_and_a_missing_source(store: LabelStore) -> None:
    assert store.add([], source="api") == []
    with pytest.raises(ValueError, match="source"):
        store.add([sentence()], source="")
    assert store.count() == 0


def test_a_batch_is_one_transaction(store: LabelStore) -> None:
    # A trigger makes the second insert of the batch fail: the first must not stay behind.
    with sqlite3.connect(store.path) as connection:
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON labels WHEN NEW.example LIKE '%Refused text%'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    batch = [sentence(), sentence(text="Refused text.", biased=False, id="s2")]
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        store.add(batch, source="api")
    assert store.count() == 0
    assert store.add([sentence()], source="api")[0].created is True


# Reading back


def test_examples_carry_the_store_id_and_filter_by_source_and_level(store: LabelStore) -> None:
    framed = article("The regime's thugs attacked.", True, doubt=False)
    store.add([sentence()], source="api")
    store.add([framed], source="import:doccano")
    assert [e.id for e in store.examples()] == [label_id(sentence()), label_id(framed)]
    assert [e.text for e in store.examples(level="article")] == [framed.text]
    assert [e.text for e in store.examples(source="api")] == [REGIME]
    assert store.examples(source="api", level="article") == []
    restored = store.examples(level="article")[0]
    assert restored.model_dump(exclude={"id"}) == framed.model_dump(exclude={"id"})


def test_a_second_open_sees_what_the_first_wrote(tmp_path: Path) -> None:
    first = LabelStore.open(tmp_path)
    first.add([sentence(), article("Calm report.", False)], source="api")
    second = LabelStore.open(tmp_path)
    assert second.count() == 2
    assert second.fingerprint() == first.fingerprint()
    assert [e.text for e in second.examples()] == [REGIME, "Calm report."]
    with sqlite3.connect(tmp_path / FILENAME) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_write_is_synchronous_full(store: LabelStore) -> None:
    with store._connect() as connection:
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_fingerprint_depends_on_content_not_order_or_source(tmp_path: Path) -> None:
    one, two = LabelStore.open(tmp_path / "one"), LabelStore.open(tmp_path / "two")
    labels = [sentence(), article("Calm report.", False), article("Thugs rioted.", True)]
    one.add(labels, source="api")
    for example in reversed(labels):
        two.add([example], source="import:native")
    assert one.fingerprint() == two.fingerprint()
    before = one.fingerprint()
    one.add([sentence(biased=False)], source="api")
    assert one.fingerprint() != before
    assert len(before) == 64


def test_paging_walks_every_label_once_in_arrival_order(store: LabelStore) -> None:
    texts = [f"Sentence number {i} was written." for i in range(7)]
    store.add([sentence(text=t, biased=i % 2 == 0, id=str(i)) for i, t in enumerate(texts)],
              source="api")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.page(after=cursor, limit=3)
        seen.extend(item.example.text for item in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == texts
    assert pages == 3
    last = store.page(limit=7)
    assert len(last.items) == 7 and last.next_cursor is None


def test_page_filters(store: LabelStore) -> None:
    store.add([sentence(), sentence(text="Officials met.", biased=False, id="n")], source="api")
    store.add([article("Thugs rioted.", True, loaded_language=True),
               article("Calm report.", False)], source="import:doccano")
    biased = store.page(label={"biased": True})
    assert [item.example.text for item in biased.items] == [REGIME]
    assert biased.items[0].submitted_id == "s1"
    assert biased.items[0].source == "api"
    assert biased.items[0].received.endswith("+00:00")
    assert [i.example.text for i in store.page(label={"biased": False}).items] == ["Officials met."]
    assert [i.example.text for i in store.page(label={"framing": True}).items] == ["Thugs rioted."]
    assert [i.example.text for i in store.page(label={"dimensions.loaded_language": True}).items
            ] == ["Thugs rioted."]
    assert len(store.page(level="article").items) == 2
    assert len(store.page(source="api", level="article").items) == 0
    assert len(store.page(source="import:doccano", label={"framing": False}).items) == 1
    with pytest.raises(ValueError, match="label key"):
        store.page(label={"biased') OR 1=1 --": True})


def test_stats_count_by_level_source_and_label_value(store: LabelStore) -> None:
    store.add([sentence(), sentence(text="Officials met.", biased=False, id="n"),
               sentence(text="Critics slammed it.", biased=True, id="c")], source="api")
    store.add([article("Thugs rioted.", True, doubt=True, demonization=True),
               article("Calm report.", False, doubt=False)], source="import:doccano")
    stats = store.stats()
    assert stats.total == 5
    assert stats.by_level == {"article": 2, "sentence": 3}
    assert stats.by_source == {"api": 3, "import:doccano": 2}
    assert stats.by_label == {
        "biased": {"true": 2, "false": 1},
        "framing": {"true": 1, "false": 1},
        "dimensions.doubt": {"true": 1, "false": 1},
        "dimensions.demonization": {"true": 1},
    }


def test_empty_store(store: LabelStore) -> None:
    assert store.count() == 0
    assert store.stats().total == 0
    assert store.page().items == []
    assert store.suggest(5) == []
    assert store.fingerprint() == hashlib.sha256(b"").hexdigest()


# Active learning


def test_suggest_returns_the_least_certain_unlabeled_texts(store: LabelStore) -> None:
    for text, framing in [("Sure thing.", 0.97), ("Coin toss.", 0.52), ("Leaning no.", 0.3),
                          ("Almost even.", 0.46), ("Clear no.", 0.01)]:
        store.record_scored(text, framing, "v1")
    assert [s.text for s in store.suggest(3)] == ["Coin toss.", "Almost even.", "Leaning no."]
    assert store.suggest(1)[0].margin == pytest.approx(0.02)
    assert store.suggest(1)[0].text_hash == text_hash("Coin toss.")
    # Labeled texts are not suggested again.
    store.add([article("Coin toss.", False)], source="api")
    assert [s.text for s in store.suggest(2)] == ["Almost even.", "Leaning no."]
    assert len(store.suggest(100)) == 4


def test_rescoring_a_text_keeps_one_row_with_the_latest_score(store: LabelStore) -> None:
    store.record_scored("Same text.", 0.9, "v1")
    store.record_scored("Same text.", 0.5, "v2")
    assert store.scored_count() == 1
    [suggestion] = store.suggest(5)
    assert (suggestion.framing, suggestion.model_version) == (0.5, "v2")


# 1,000 concurrent submissions from several processes

PROCESSES = 4
PER_PROCESS = 250
SHARED = 5


def _submit(home: str, worker: int, start: Any, results: Any) -> None:
    """One writer process: its own 250 labels one transaction each, plus the shared five."""
    store = LabelStore.open(Path(home))
    start.wait()
    created_shared = 0
    for i in range(PER_PROCESS):
        store.add([sentence(text=f"Worker {worker} wrote sentence {i}.", biased=i % 2 == 0,
                            id=f"{worker}-{i}")], source=f"worker-{worker}")
        if i < SHARED:
            [shared] = store.add([sentence(text=f"Everyone wrote sentence {i}.", id=f"x{i}")],
                                 source=f"worker-{worker}")
            created_shared += shared.created
    results.put((worker, created_shared))


def test_1000_concurrent_submissions_from_several_processes_lose_none(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = LabelStore.open(home)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_submit, args=(str(home), worker, start, results))
        for worker in range(PROCESSES)
    ]
    began = time.monotonic()
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert time.monotonic() - began < 60
    assert store.count() == PROCESSES * PER_PROCESS + SHARED
    stats = store.stats()
    assert stats.by_source == {
        f"worker-{w}": PER_PROCESS + sum(c for worker, c in outcomes if worker == w)
        for w in range(PROCESSES)
    }
    # Each shared label was created by exactly one process; the others got created=False.
    assert sum(created for _, created in outcomes) == SHARED
    # The writers really overlapped: one after the other would switch sources only 3 times.
    sources = [item.source for item in store.page(limit=2 * PROCESSES * PER_PROCESS).items]
    assert sum(a != b for a, b in itertools.pairwise(sources)) > PROCESSES
    texts = {example.text for example in store.examples()}
    assert all(f"Worker {w} wrote sentence {i}." in texts
               for w in range(PROCESSES) for i in range(PER_PROCESS))
