"""The label store: one SQLite file, ``SLANT_HOME/labels.sqlite``, shared by every process.

Durability and concurrency come from SQLite itself:
- WAL journal with ``synchronous=FULL``: a commit is fsynced before ``add`` returns, so a label
  the API has answered for survives a crash or power loss;
- each ``add`` is one ``BEGIN IMMEDIATE`` transaction (all of a batch or none of it), and a busy
  timeout makes writers from other threads and processes wait their turn instead of failing;
- each thread keeps its own connection (a connection never crosses a thread or a fork), so a
  store object is safe to share between threads and to hand to other processes. Connections
  stay open because closing the last one checkpoints and deletes the WAL: doing that on every
  operation cost several extra fsyncs each.

A label's id is its content hash: the hex sha256 of the canonical JSON of text, level, label,
spans and attributions (spans and attributions sorted, so their order does not matter), cut to
``ID_HEX_CHARS``. The submitted id and ``meta`` do not take part: the same annotation sent twice,
by anyone, is stored once (``created=False`` the second time, the first source is kept).

The ``scored`` table keeps texts the service scored (only when the operator turns it on) for
active learning: ``suggest`` returns the least certain ones nobody has labeled yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.dataset import Example

FILENAME = "labels.sqlite"
ID_HEX_CHARS = 32
SCHEMA_VERSION = 1
# Writers queue behind each other for up to this long; a big import holds the lock for a while.
BUSY_TIMEOUT_SECONDS = 60.0
# Recording a scored text must never hold a scoring request up for long: it gives up quickly.
SCORED_BUSY_TIMEOUT_SECONDS = 1.0
CONTENT_FIELDS = frozenset({"text", "level", "label", "spans", "attributions"})
# A label filter names a key of the label object, or a dimension: "biased", "dimensions.doubt".
_LABEL_KEY = re.compile(r"[a-z_]+(\.[a-z_]+)?")

_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order: the paging cursor
    id TEXT NOT NULL UNIQUE,                -- content hash prefix
    content_hash TEXT NOT NULL,
    text_hash TEXT NOT NULL,                -- sha256 of the text: matches scored texts
    level TEXT NOT NULL,
    label TEXT NOT NULL,                    -- the label object, JSON (filtered with json_extract)
    example TEXT NOT NULL,                  -- the example as submitted, JSON
    source TEXT NOT NULL,
    received TEXT NOT NULL                  -- ISO 8601, UTC
);
CREATE INDEX IF NOT EXISTS labels_text_hash ON labels (text_hash);
CREATE INDEX IF NOT EXISTS labels_source ON labels (source, seq);
CREATE INDEX IF NOT EXISTS labels_level ON labels (level, seq);
CREATE TABLE IF NOT EXISTS scored (
    text_hash TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    framing REAL NOT NULL,
    model_version TEXT NOT NULL,
    scored TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scored_uncertainty ON scored (abs(framing - 0.5));
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;
"""


@dataclass(frozen=True, slots=True)
class StoredLabel:
    id: str
    created: bool  # False: the same content was already stored


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A stored label: the example (its ``id`` the store id) and where and when it came from."""

    id: str
    source: str
    received: str
    submitted_id: str
    example: Example


@dataclass(frozen=True, slots=True)
class LabelPage:
    items: list[LabelRecord]
    next_cursor: int | None  # pass as ``after`` for the next page; None: this was the last


@dataclass(frozen=True, slots=True)
class LabelStats:
    total: int
    by_level: dict[str, int]
    by_source: dict[str, int]
    by_label: dict[str, dict[str, int]]  # "biased" / "dimensions.doubt" -> value -> count


@dataclass(frozen=True, slots=True)
class ScoredText:
    text_hash: str
    text: str
    framing: float
    model_version: str
    scored: str

    @property
    def margin(self) -> float:
        """Distance of the prediction from undecided (0.5): small means uncertain."""
        return abs(self.framing - 0.5)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(example: Example) -> str:
    """sha256 (hex) of what the example says, independent of its id, meta and span order."""
    content = example.model_dump(mode="json", include=set(CONTENT_FIELDS))
    content["spans"] = sorted(content["spans"], key=_canonical_json)
    content["attributions"] = sorted(content["attributions"], key=_canonical_json)
    return hashlib.sha256(_canonical_json(content).encode("utf-8")).hexdigest()


def label_id(example: Example) -> str:
    return content_hash(example)[:ID_HEX_CHARS]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE takes the write lock up front (waiting under the busy timeout), so two
    writers never both read and then collide on upgrading their locks."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if connection.in_transaction:  # some errors have SQLite roll back by itself
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class LabelStore:
    """Labeled examples and scored texts in ``home / "labels.sqlite"``; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def __reduce__(self) -> tuple[type[LabelStore], tuple[Path]]:
        # Pickled (for another process) as its path: connections are never shared.
        return (type(self), (self.path,))

    @classmethod
    def open(cls, home: Path) -> LabelStore:
        """The store under ``home``, created (with its directory) if absent."""
        home.mkdir(parents=True, exist_ok=True)
        store = cls(home / FILENAME)
        store._initialize()
        return store

    @contextmanager
    def _connect(self, *, scored: bool = False) -> Iterator[sqlite3.Connection]:
        """This thread's connection: labels are written with ``synchronous=FULL`` and a long
        busy timeout; scored texts on a connection of their own that does neither."""
        purpose = "scored" if scored else "labels"
        connections: dict[str, sqlite3.Connection] | None = getattr(
            self._local, "connections", None
        )
        if connections is None or self._local.pid != os.getpid():
            # A connection inherited through fork() belongs to the parent: never touch it.
            connections = self._local.connections = {}
            self._local.pid = os.getpid()
        connection = connections.get(purpose)
        if connection is None:
            timeout = SCORED_BUSY_TIMEOUT_SECONDS if scored else BUSY_TIMEOUT_SECONDS
            # isolation_level=None: no implicit transactions; writes use _transaction.
            connection = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            connection.execute(f"PRAGMA synchronous={'NORMAL' if scored else 'FULL'}")
            connections[purpose] = connection
        if connection.in_transaction:  # a failed COMMIT or ROLLBACK left one open
            connection.execute("ROLLBACK")
        yield connection

    def close(self) -> None:
        """Close this thread's connections (others close with their threads)."""
        for connection in getattr(self._local, "connections", {}).values():
            connection.close()
        self._local.connections = {}

    def _initialize(self) -> None:
        with self._connect() as connection:
            deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
            # Switching to WAL needs the file to itself; processes opening a new store together
            # may find it locked (the busy handler does not cover this pragma), so retry.
            while True:
                try:
                    mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"{self.path}: cannot use WAL mode (got {mode})")
            connection.executescript(_SCHEMA)

    # Labels

    def add(self, examples: Sequence[Example], *, source: str) -> list[StoredLabel]:
        """Store ``examples`` in one durable transaction; one result per example, in order."""
        if not source:
            raise ValueError("a label source is required")
        received = _now()
        rows = []
        for example in examples:
            digest = content_hash(example)
            rows.append((
                digest[:ID_HEX_CHARS], digest, text_hash(example.text), example.level,
                _canonical_json(example.label), example.model_dump_json(), source, received,
            ))
        if not rows:
            return []
        results: list[StoredLabel] = []
        with self._connect() as connection, _transaction(connection):
            for row in rows:
                cursor = connection.execute(
                    "INSERT INTO labels (id, content_hash, text_hash, level, label, example,"
                    " source, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO NOTHING",
                    row,
                )
                results.append(StoredLabel(id=row[0], created=cursor.rowcount == 1))
        return results

    def examples(self, *, source: str | None = None, level: str | None = None) -> list[Example]:
        """Every stored example (optionally of one source or level), ``id`` = the store id."""
        where, parameters = _filters(source=source, level=level, label=None)
        with self._connect() as connection:
            rows = connection.execute(
                f"SELECT id, example FROM labels {where} ORDER BY seq", parameters
            ).fetchall()
        return [_example(row_id, example) for row_id, example in rows]

    def page(
        self,
        *,
        source: str | None = None,
        level: str | None = None,
        label: Mapping[str, bool | str] | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> LabelPage:
        """Labels in arrival order after the cursor ``after``, filtered; ``label`` maps a label
        key (``"biased"``, ``"framing"``, ``"dimensions.doubt"``, ``"leaning"``) to its value."""
        if limit < 1:
            raise ValueError("limit must be positive")
        where, parameters = _filters(source=source, level=level, label=label, after=after)
        with self._connect() as connection:
            rows = connection.execute(
                f"SELECT seq, id, source, received, example FROM labels {where}"
                " ORDER BY seq LIMIT ?",
                [*parameters, limit + 1],
            ).fetchall()
        items = [
            LabelRecord(
                id=row_id,
                source=row_source,
                received=received,
                submitted_id=json.loads(example)["id"],
                example=_example(row_id, example),
            )
            for _, row_id, row_source, received, example in rows[:limit]
        ]
        next_cursor = rows[limit - 1][0] if len(rows) > limit else None
        return LabelPage(items=items, next_cursor=next_cursor)

    def stats(self) -> LabelStats:
        """Counts by level, by source and by each label value (dimensions included)."""
        with self._connect() as connection:
            total = connection.execute("SELECT count(*) FROM labels").fetchone()[0]
            by_level = dict(
                connection.execute("SELECT level, count(*) FROM labels GROUP BY level ORDER BY 1")
            )
            by_source = dict(
                connection.execute(
                    "SELECT source, count(*) FROM labels GROUP BY source ORDER BY 1"
                )
            )
            values = connection.execute(
                "SELECT j.key, j.type, j.atom, count(*) FROM labels, json_each(labels.label) AS j"
                " WHERE j.type NOT IN ('object', 'array') GROUP BY 1, 2, 3"
                " UNION ALL"
                " SELECT 'dimensions.' || j.key, j.type, j.atom, count(*)"
                " FROM labels, json_each(labels.label, '$.dimensions') AS j"
                " WHERE j.type NOT IN ('object', 'array') GROUP BY 1, 2, 3"
                " ORDER BY 1, 2, 3"
            ).fetchall()
        by_label: dict[str, dict[str, int]] = {}
        for key, kind, atom, count in values:
            value = kind if kind in ("true", "false", "null") else str(atom)
            by_label.setdefault(key, {})[value] = count
        return LabelStats(total=total, by_level=by_level, by_source=by_source, by_label=by_label)

    def count(self) -> int:
        with self._connect() as connection:
            count: int = connection.execute("SELECT count(*) FROM labels").fetchone()[0]
        return count

    def fingerprint(self) -> str:
        """sha256 over the sorted content hashes: the same labels give the same fingerprint,
        whatever order or source they arrived in."""
        digest = hashlib.sha256()
        with self._connect() as connection:
            for (value,) in connection.execute(
                "SELECT content_hash FROM labels ORDER BY content_hash"
            ):
                digest.update(value.encode("ascii") + b"\n")
        return digest.hexdigest()

    # Scored texts (active learning)

    def record_scored(self, text: str, framing: float, model_version: str) -> None:
        """Remember a scored text and its framing probability (the latest score wins).

        ``synchronous=NORMAL``: these rows are a convenience, not something anybody was promised
        to keep, so scoring does not pay for an fsync; a short busy timeout for the same reason.
        """
        with self._connect(scored=True) as connection:
            connection.execute(
                "INSERT INTO scored (text_hash, text, framing, model_version, scored)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (text_hash) DO UPDATE SET"
                " framing = excluded.framing, model_version = excluded.model_version,"
                " scored = excluded.scored",
                (text_hash(text), text, float(framing), model_version, _now()),
            )

    def suggest(self, n: int) -> list[ScoredText]:
        """The ``n`` scored texts closest to undecided (|p - 0.5| smallest) that no stored label
        has as its text; ties go to the most recently scored."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT text_hash, text, framing, model_version, scored FROM scored"
                " WHERE NOT EXISTS (SELECT 1 FROM labels WHERE labels.text_hash = scored.text_hash)"
                " ORDER BY abs(framing - 0.5), scored DESC, text_hash LIMIT ?",
                (n,),
            ).fetchall()
        return [ScoredText(*row) for row in rows]

    def scored_count(self) -> int:
        with self._connect() as connection:
            count: int = connection.execute("SELECT count(*) FROM scored").fetchone()[0]
        return count


def _example(store_id: str, example_json: str) -> Example:
    return Example.model_validate_json(example_json).model_copy(update={"id": store_id})


def _filters(
    *,
    source: str | None,
    level: str | None,
    label: Mapping[str, bool | str] | None,
    after: int | None = None,
) -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters (values are always bound, never spliced in)."""
    clauses: list[str] = []
    parameters: list[Any] = []
    if source is not None:
        clauses.append("source = ?")
        parameters.append(source)
    if level is not None:
        clauses.append("level = ?")
        parameters.append(level)
    for key, value in (label or {}).items():
        if not _LABEL_KEY.fullmatch(key):
            raise ValueError(f"not a label key: {key!r}")
        # json_extract gives 1/0 for JSON true/false, the string itself for a string.
        clauses.append("json_extract(label, ?) = ?")
        parameters.extend([f"$.{key}", int(value) if isinstance(value, bool) else value])
    if after is not None:
        clauses.append("seq > ?")
        parameters.append(after)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), parameters
