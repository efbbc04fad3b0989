"""MBIC (Spinde et al., iConference 2021): crowd-labeled news sentences with biased words.

``labeled_dataset.csv`` is a comma-separated CSV; columns ``sentence, news_link, outlet, topic,
type, group_id, num_sent, Label_bias, Label_opinion, article, biased_words4``. Rows labeled
``No agreement`` are dropped. Biased words are located and labeled exactly as for BABE
(``training.importers.babe``: every token-sequence occurrence, lexicon category else
``emotive``); ids are ``mbic:<data row index>``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from training.dataset import Example
from training.errors import DatasetError
from training.importers import importer
from training.importers.babe import BabeRow, make_row, resolve

MBIC_FILES = ("labeled_dataset.csv",)
REQUIRED_COLUMNS = frozenset({"sentence", "outlet", "topic", "type", "Label_bias", "biased_words4"})


def mbic_rows(path: Path) -> list[BabeRow]:
    """MBIC's labeled rows (``No agreement`` dropped), ids ``mbic:<data row index>``."""
    csv_path = resolve(Path(path), MBIC_FILES)
    # The full article texts make some fields far longer than csv's default limit allows.
    csv.field_size_limit(1 << 24)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not set(reader.fieldnames or ()) >= REQUIRED_COLUMNS:
            raise DatasetError(f"{csv_path}: expected MBIC columns {sorted(REQUIRED_COLUMNS)}")
        rows = []
        for index, record in enumerate(reader):
            row = make_row(
                "mbic", index, record["sentence"] or "", record["Label_bias"] or "",
                record["biased_words4"] or "", record["outlet"] or "", record["topic"] or "",
                record["type"] or "",
            )
            if row is not None:
                rows.append(row)
    return rows


@importer("mbic")
def load(path: Path) -> list[Example]:
    """MBIC sentences as native examples (biased words as cue spans)."""
    return [row.to_example() for row in mbic_rows(path)]
