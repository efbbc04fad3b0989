"""The source profile of an article: each source with its reporting stances, and how unevenly the
sources are treated (one side "noted", the other "claimed")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from training.attribution_types import Attribution
from training.sources import SourceKind


@dataclass(frozen=True, slots=True)
class SourceProfileEntry:
    name: str
    kind: SourceKind
    mentions: int
    stances: dict[str, int]


@dataclass(frozen=True, slots=True)
class SourceProfile:
    sources: tuple[SourceProfileEntry, ...]
    asymmetry: float  # in [0, 1]


# How a stance leans for the speaker: endorsing +1, neutral 0, distancing -1, emotive -1/2.
# Emotive verbs ("slammed", "boasted", "admitted") colour the speaker rather than doubt the
# claim, so they lean against the source at half the weight of a distancing verb.
STANCE_LEAN: dict[str, float] = {
    "endorsing": 1.0,
    "neutral": 0.0,
    "distancing": -1.0,
    "emotive": -0.5,
}


def source_profile(attributions: Sequence[Attribution]) -> SourceProfile:
    """Each source with its reporting stances, and how unevenly the sources are treated.

    Each reporting cue counts once (a continuation quote reuses its cue and adds nothing).
    A source's lean is the mean of ``STANCE_LEAN`` over its cues, in [-1, 1]; the asymmetry is
    half the range of the leans (max - min) / 2, in [0, 1]: 0 when every source is reported
    alike (all "said"), 1 when one is only endorsed and another only distanced. With fewer than two
    sources there is nothing to compare and the asymmetry is 0.
    """
    counted: set[tuple[int, int]] = set()
    kinds: dict[str, SourceKind] = {}
    stances: dict[str, dict[str, int]] = {}
    for attribution in attributions:
        source = attribution.source
        key = (attribution.cue.start, attribution.cue.end)
        if source is None or key in counted:
            continue
        counted.add(key)
        kinds.setdefault(source.name, source.kind)
        tally = stances.setdefault(source.name, {})
        tally[attribution.cue.stance] = tally.get(attribution.cue.stance, 0) + 1
    entries = tuple(
        SourceProfileEntry(name, kinds[name], sum(tally.values()), dict(sorted(tally.items())))
        for name, tally in sorted(stances.items(), key=lambda item: -sum(item[1].values()))
    )
    leans = [
        sum(STANCE_LEAN[stance] * count for stance, count in entry.stances.items()) / entry.mentions
        for entry in entries
    ]
    asymmetry = (max(leans) - min(leans)) / 2 if len(leans) >= 2 else 0.0
    return SourceProfile(entries, asymmetry)
