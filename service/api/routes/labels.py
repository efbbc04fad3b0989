"""Labeled examples: submit, import, page through, count, and what to label next.

- ``POST /v1/labels[?source=S]``: a JSON body that is one native example or an array of them
  (``id`` optional). Every example is validated (``training.dataset.Example``: spans inside the
  text, labels of the level) and its text must already be normalized; one bad example refuses
  the whole batch (422 ``invalid_labels``, ``detail`` = ``[{index, errors}]``). 201 answers
  ``[{id, created}]`` in the order sent once the batch is committed to disk; ``created`` is
  false for content already stored. ``source`` defaults to ``api``. An array holds at most
  ``SLANT_MAX_BATCH_ITEMS`` examples (413 ``batch_too_large``; bigger sets go through the import),
  and JSON nested deeper than the parser reads (200 levels; an example nests five) is refused
  as invalid JSON (422).
- ``POST /v1/labels/import?format=F[&mapping={...}][&source=S]``: the body is the file itself
  (a zip archive, Content-Type application/zip, for folder formats such as ptc and polnear);
  ``mapping`` is a JSON object mapping the file's labels onto slant's. Stored like a batch,
  with the source ``import:F`` unless given.
- ``GET /v1/labels?level=&biased=&framing=&source=&limit=&cursor=``: arrival order, a page at a
  time; ``next_cursor`` goes back as ``cursor``. ``GET /v1/labels/stats``: counts.
- ``GET /v1/labels/suggest?n=20``: scored, unlabeled texts, least certain first.

Writes (POST) need the admin bearer token. Reading labels and their counts is open, like the
rest of the read-only API: labels are training data the operator chose to collect. Suggestions
are not: they are texts other clients sent to be scored, so they need the token too.
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import PydanticSerializationError, from_json
from starlette.concurrency import run_in_threadpool

from service.api.body import decode_body, read_capped_body, without_bom
from service.api.deps import LabelStoreDep, SettingsDep
from service.errors import ErrorCode, ServiceError
from service.labels import LabelStore, StoredLabel
from service.schemas import ErrorResponse
from service.security import AdminDep
from training.dataset import Example
from training.errors import DatasetError
from training.normalize import normalize_text

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/labels", tags=["labels"])

API_SOURCE = "api"
JSON_MEDIA_TYPE = "application/json"
ZIP_MEDIA_TYPES = ("application/zip", "application/x-zip-compressed")
# The uploaded file keeps the extension its format is read by.
IMPORT_SUFFIXES = {
    "native": ".jsonl",
    "doccano": ".jsonl",
    "spacy": ".jsonl",
    "labelstudio": ".json",
    "babe": ".csv",
    "mbic": ".csv",
}
SourceQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[\w.:@/+-]+$",
        description="Where the labels come from (an annotator, a tool); recorded with each.",
    ),
]


class StoredLabelOut(BaseModel):
    id: str = Field(description="The store id: a prefix of the content's sha256.")
    created: bool = Field(description="False when the same content was already stored.")


class LabelOut(BaseModel):
    id: str
    source: str
    received: str = Field(description="When the store accepted it (ISO 8601, UTC).")
    submitted_id: str = Field(description="The id the example was submitted with.")
    example: Example = Field(description="The example in the native format; its id is `id`.")


class LabelPageOut(BaseModel):
    items: list[LabelOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class LabelStatsOut(BaseModel):
    total: int
    by_level: dict[str, int]
    by_source: dict[str, int]
    by_label: dict[str, dict[str, int]] = Field(
        description='Counts of each label value: {"biased": {"true": 3, "false": 5}, '
        '"framing": {...}, "dimensions.doubt": {...}, "leaning": {"left": 1}}.'
    )


class SuggestionOut(BaseModel):
    text: str
    text_hash: str
    framing: float = Field(description="The framing probability the text was scored with.")
    margin: float = Field(description="|framing - 0.5|: the smaller, the less certain.")
    model_version: str
    scored: str


class SuggestionsOut(BaseModel):
    items: list[SuggestionOut]


# Example is a component of the spec already (LabelOut carries it): refer to it there.
_EXAMPLE_SCHEMA = {"$ref": "#/components/schemas/Example"}
_SUBMIT_BODY: dict[str, Any] = {
    "required": True,
    "description": "One example in the native format, or a JSON array of them. `id` is optional "
    "(the store assigns the content hash); a batch is stored whole or, if any example is "
    "invalid, not at all.",
    "content": {
        JSON_MEDIA_TYPE: {
            "schema": {"anyOf": [_EXAMPLE_SCHEMA, {"type": "array", "items": _EXAMPLE_SCHEMA}]}
        }
    },
}
_IMPORT_BODY: dict[str, Any] = {
    "required": True,
    "description": "The file itself, in `format`; a folder format (ptc, polnear) as a zip "
    "archive sent with Content-Type application/zip.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


def _errors(codes: tuple[ErrorCode, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses: each status with the error codes it may carry."""
    return {
        status: {
            "model": ErrorResponse,
            "description": " or ".join(code.value for code in codes if code.status == status),
        }
        for status in sorted({code.status for code in codes})
    }


_WRITE_ERRORS = (ErrorCode.unauthorized, ErrorCode.forbidden, ErrorCode.payload_too_large)
_LONE_SURROGATE = (
    "a string holds a lone surrogate (a JSON escape such as \\ud800 without its pair), "
    "which is not text"
)


def _denormalized(text: str) -> str | None:
    """Why ``text`` is not in the normalized form spans must index (None when it is)."""
    normalized = normalize_text(text).text
    if normalized == text:
        return None
    offset = next(
        (i for i, (a, b) in enumerate(zip(text, normalized, strict=False)) if a != b),
        min(len(text), len(normalized)),
    )
    return (
        f"the text is not normalized (first difference at offset {offset}); normalize it "
        "(no tabs, double spaces, trailing spaces or 3+ newlines) and re-locate the spans"
    )


def validate_examples(items: list[Any]) -> list[Example]:
    """Every item as an ``Example``, or 422 ``invalid_labels`` naming each bad one's index."""
    if not items:
        raise ServiceError(ErrorCode.invalid_labels, "The request holds no examples.")
    examples: list[Example] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and "id" not in item:
            item = {**item, "id": ""}
        try:
            example = Example.model_validate(item)
        except ValidationError as error:
            reasons = [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in error.errors(include_url=False, include_context=False)
            ]
            problems.append({"index": index, "errors": reasons})
            continue
        try:
            # What the store will write: a string UTF-8 cannot encode fails here, not there.
            example.model_dump_json()
        except PydanticSerializationError:
            problems.append(
                {"index": index, "errors": [{"loc": [], "msg": _LONE_SURROGATE, "type": "text"}]}
            )
            continue
        reason = _denormalized(example.text)
        if reason is not None:
            problems.append(
                {"index": index, "errors": [{"loc": ["text"], "msg": reason, "type": "text"}]}
            )
        examples.append(example)
    if problems:
        raise ServiceError(
            ErrorCode.invalid_labels,
            f"{len(problems)} of {len(items)} examples are invalid (indices "
            f"{', '.join(str(p['index']) for p in problems)}); nothing was stored.",
            detail=problems,
        )
    return examples


async def _store(store: LabelStore, examples: list[Example], source: str) -> list[StoredLabelOut]:
    # The commit waits for an fsync and maybe for other writers: not on the event loop.
    stored: list[StoredLabel] = await run_in_threadpool(store.add, examples, source=source)
    return [StoredLabelOut(id=label.id, created=label.created) for label in stored]


@router.post(
    "",
    status_code=201,
    response_model=list[StoredLabelOut],
    responses=_errors(
        (
            ErrorCode.invalid_labels,
            ErrorCode.invalid_encoding,
            ErrorCode.unsupported_media_type,
            ErrorCode.batch_too_large,
            *_WRITE_ERRORS,
        )
    ),
    openapi_extra={"requestBody": _SUBMIT_BODY},
)
async def submit_labels(
    _: AdminDep,
    request: Request,
    store: LabelStoreDep,
    settings: SettingsDep,
    source: SourceQuery = None,
) -> list[StoredLabelOut]:
    """Store one example or a list of them; each answer is the store id and whether it is new."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise ServiceError(
            ErrorCode.unsupported_media_type,
            f"Content-Type {media_type or '(none)'!r} is not accepted; send {JSON_MEDIA_TYPE}.",
            detail={"accepted": [JSON_MEDIA_TYPE]},
        )
    body = decode_body(await read_capped_body(request, settings.max_body_bytes), "utf-8")
    try:
        # pydantic's parser, not json.loads: it stops at 200 levels of nesting instead of raising
        # RecursionError, and refuses lone surrogates, which no database can store as UTF-8.
        document = from_json(without_bom(body))
    except ValueError as error:
        raise ServiceError(
            ErrorCode.invalid_labels, f"The body is not valid JSON: {error}."
        ) from None
    if not isinstance(document, dict | list):
        raise ServiceError(
            ErrorCode.invalid_labels, "The body must be an example object or an array of them."
        )
    if isinstance(document, list) and len(document) > settings.max_batch_items:
        raise ServiceError(
            ErrorCode.batch_too_large,
            f"The batch holds {len(document)} examples; the limit is {settings.max_batch_items}. "
            "Send it in parts, or as a file to POST /v1/labels/import.",
            detail={"max_batch_items": settings.max_batch_items, "items": len(document)},
        )
    examples = validate_examples(document if isinstance(document, list) else [document])
    return await _store(store, examples, source or API_SOURCE)


def _parse_mapping(mapping: str | None) -> dict[str, str] | None:
    if mapping is None:
        return None
    try:
        parsed = from_json(mapping)  # like the bodies: bounded depth, no RecursionError
    except ValueError as error:
        raise ServiceError(
            ErrorCode.invalid_request, f"mapping is not valid JSON: {error}."
        ) from None
    if not isinstance(parsed, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in parsed.items()
    ):
        raise ServiceError(
            ErrorCode.invalid_request,
            'mapping must be a JSON object of strings: {"their label": "our label"}.',
        )
    return parsed


def _unpack(body: bytes, folder: Path, limit: int) -> Path:
    """Extract a zip archive into ``folder``; the folder to import (a lone top folder, if any)."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if sum(member.file_size for member in archive.infolist()) > limit:
                raise ServiceError(
                    ErrorCode.payload_too_large,
                    f"The archive unpacks to more than {limit} bytes.",
                    detail={"max_import_bytes": limit},
                )
            # extractall drops absolute paths and ".." components: nothing lands outside folder.
            archive.extractall(folder)
    except zipfile.BadZipFile as error:
        raise ServiceError(
            ErrorCode.invalid_labels, f"The body is not a zip archive: {error}."
        ) from None
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder


def _import(
    body: bytes, format: str, mapping: dict[str, str] | None, *, archive: bool, limit: int
) -> list[Example]:
    """Write the upload to a temporary file (or folder) and read it with the format's importer."""
    # Imported here: the importers are heavy and only this endpoint needs them.
    from training.importers import import_file

    with tempfile.TemporaryDirectory(prefix="slant-import-") as directory:
        if archive:
            path = _unpack(body, Path(directory) / "upload", limit)
        else:
            path = Path(directory) / f"upload{IMPORT_SUFFIXES.get(format, '')}"
            path.write_bytes(body)
        try:
            return import_file(path, format, mapping)
        except RecursionError:
            # The importers read JSON with json.loads, which recurses once per nesting level.
            raise ServiceError(
                ErrorCode.invalid_labels,
                f"The file nests JSON arrays or objects too deeply to be read as {format}.",
            ) from None
        except ValueError as error:  # DatasetError, or a malformed file worded by a library
            # Messages name the upload as the importer saw it, without the temporary folder.
            message = str(error).replace(f"{directory}/", "")
            logger.info("import of a %s file refused: %s", format, message)
            if not isinstance(error, DatasetError):
                message = f"The file could not be read as {format}: {message}"
            raise ServiceError(ErrorCode.invalid_labels, message) from None


@router.post(
    "/import",
    status_code=201,
    response_model=list[StoredLabelOut],
    responses=_errors((ErrorCode.invalid_labels, ErrorCode.invalid_request, *_WRITE_ERRORS)),
    openapi_extra={"requestBody": _IMPORT_BODY},
)
async def import_labels(
    _: AdminDep,
    request: Request,
    store: LabelStoreDep,
    settings: SettingsDep,
    format: Annotated[
        str,
        Query(pattern=r"^[a-z_]+$", description="native, doccano, labelstudio, spacy, babe, "
              "mbic, ptc, polnear, ..."),
    ],
    mapping: Annotated[
        str | None,
        Query(description='Unknown labels mapped, as a JSON object {"their label": "our label"}.'),
    ] = None,
    source: SourceQuery = None,
) -> list[StoredLabelOut]:
    """Import a file in an annotation tool's or dataset's format; all of it is stored or none."""
    label_mapping = _parse_mapping(mapping)
    body = await read_capped_body(request, settings.max_import_bytes)
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    examples = await run_in_threadpool(
        _import,
        body,
        format,
        label_mapping,
        archive=media_type in ZIP_MEDIA_TYPES,
        limit=settings.max_import_bytes,
    )
    return await _store(store, validate_examples(examples), source or f"import:{format}")


@router.get("", response_model=LabelPageOut, responses=_errors((ErrorCode.invalid_request,)))
def list_labels(
    store: LabelStoreDep,
    level: Literal["sentence", "article"] | None = None,
    biased: Annotated[bool | None, Query(description="Sentence label biased.")] = None,
    framing: Annotated[bool | None, Query(description="Article label framing.")] = None,
    source: str | None = None,
    cursor: Annotated[
        str | None,
        # ASCII digits that fit SQLite's integers: str.isdigit() also accepts "²", which int()
        # refuses, and a longer number overflows the query (both were 500s).
        Query(pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the previous page."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> LabelPageOut:
    """Labels in the order they arrived, a page at a time, filtered."""
    after = None if cursor is None else int(cursor)
    label: dict[str, bool | str] = {}
    if biased is not None:
        label["biased"] = biased
    if framing is not None:
        label["framing"] = framing
    page = store.page(source=source, level=level, label=label, after=after, limit=limit)
    return LabelPageOut(
        items=[
            LabelOut(
                id=item.id,
                source=item.source,
                received=item.received,
                submitted_id=item.submitted_id,
                example=item.example,
            )
            for item in page.items
        ],
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
    )


@router.get("/stats", response_model=LabelStatsOut)
def label_stats(store: LabelStoreDep) -> LabelStatsOut:
    """How many labels there are, by level, by source and by label value."""
    stats = store.stats()
    return LabelStatsOut(
        total=stats.total,
        by_level=stats.by_level,
        by_source=stats.by_source,
        by_label=stats.by_label,
    )


@router.get(
    "/suggest",
    response_model=SuggestionsOut,
    responses=_errors((ErrorCode.unauthorized, ErrorCode.forbidden, ErrorCode.invalid_request)),
)
def suggest_labels(
    _: AdminDep, store: LabelStoreDep, n: Annotated[int, Query(ge=1, le=500)] = 20
) -> SuggestionsOut:
    """The scored, unlabeled texts the model was least sure about (needs SLANT_KEEP_SCORED)."""
    return SuggestionsOut(
        items=[
            SuggestionOut(
                text=item.text,
                text_hash=item.text_hash,
                framing=item.framing,
                margin=item.margin,
                model_version=item.model_version,
                scored=item.scored,
            )
            for item in store.suggest(n)
        ]
    )
