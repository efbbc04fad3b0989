"""AllSides articles (Baly et al., EMNLP 2020) as native article examples labeled by leaning.

The corpus is one gzipped JSONL file, ``articles.jsonl.gz``, one article a line with ``id,
source, source_url, url, date, authors, topic, title, content, bias (0 left, 1 center,
2 right), bias_text, split``. ``load`` takes that file, or the directory holding it.

Text: the title, a blank line, the content, normalized (a title the content already starts with
is kept once by the normalization). Label: ``{"leaning": "left"|"center"|"right"}`` from
``bias``: the *outlet's* AllSides rating, not a judgement of the article. No cue spans or
attributions are annotated (``meta.annotated = []``); ``meta`` keeps ``source``,
``source_url``, ``split``, ``topic`` and ``date`` so that evaluations can hold out outlets.
Ids are ``allsides:<id>``.

The corpus has 26,942 articles: ``read_rows`` streams the raw rows (a few seconds) so that a
caller can filter or sample before paying for normalization in ``example_from_row``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from training.dataset import LEANINGS, Example
from training.errors import DatasetError
from training.importers import importer
from training.normalize import normalize_text

FILE_NAME = "articles.jsonl.gz"
ID_PREFIX = "allsides:"
META_FIELDS = ("source", "source_url", "split", "topic", "date")


def corpus_file(path: Path) -> Path:
    return path / FILE_NAME if path.is_dir() else path


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The raw JSON rows of the corpus, in file order (gzipped or plain JSONL)."""
    file = corpus_file(path)
    if not file.exists():
        raise DatasetError(f"{file}: no such file")
    opener = gzip.open if file.suffix == ".gz" else open
    with opener(file, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{file}:{number}: not JSON ({error})") from error
            if not isinstance(row, dict):
                raise DatasetError(f"{file}:{number}: expected a JSON object")
            yield row


def leaning(row: dict[str, Any]) -> str:
    """``left``/``center``/``right`` from the row's ``bias`` code (0/1/2)."""
    bias = row.get("bias")
    if not isinstance(bias, int) or isinstance(bias, bool) or not 0 <= bias < len(LEANINGS):
        raise DatasetError(f"article {row.get('id')!r}: bias must be 0, 1 or 2, got {bias!r}")
    return LEANINGS[bias]


def example_from_row(row: dict[str, Any]) -> Example | None:
    """The native example of one row, or ``None`` when it has no text once normalized."""
    title = str(row.get("title") or "")
    content = str(row.get("content") or "")
    text = normalize_text(f"{title}\n\n{content}").text
    if not text:
        return None
    meta: dict[str, object] = {"annotated": []}
    meta.update({name: row.get(name) for name in META_FIELDS})
    return Example(
        id=ID_PREFIX + str(row["id"]),
        text=text,
        level="article",
        label={"leaning": leaning(row)},
        meta=meta,
    )


@importer("allsides")
def load(path: Path) -> list[Example]:
    """Every article of the corpus, both splits."""
    examples = []
    for row in read_rows(path):
        example = example_from_row(row)
        if example is not None:
            examples.append(example)
    return examples
