"""The label store: labeled examples submitted to the service, and the texts it has scored."""

from service.labels.store import (
    LabelPage,
    LabelRecord,
    LabelStats,
    LabelStore,
    ScoredText,
    StoredLabel,
    content_hash,
    label_id,
    text_hash,
)

__all__ = [
    "LabelPage",
    "LabelRecord",
    "LabelStats",
    "LabelStore",
    "ScoredText",
    "StoredLabel",
    "content_hash",
    "label_id",
    "text_hash",
]
