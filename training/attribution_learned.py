"""A learned attribution model: a token cue tagger and a source ranker, fitted on attribution data.

The rule-based extractor (``training.attribution``) only knows the reporting lexicon; corpora such
as PolNeAR also mark beliefs ("believes", "wants"), evaluations ("criticized"), noun cues
("according to a poll", "in an interview") and headline colons. This model learns them from
examples whose ``meta["annotated"]`` includes ``"attributions"``:

1. **Cue tagger**: a logistic regression over the words outside quotations (and colons): is this
   token part of a reporting cue? Adjacent tokens above the threshold form one cue span.
2. **Source ranker**: for each cue, a logistic regression over the word tokens of its sentence:
   is this token part of the cue's source? The best candidate, when above its threshold, is the
   source; it grows over adjacent candidates scored above one half ("Fuad" + "Hussein").
3. **Content** is found by the rule-based ``ContentFinder`` from the learned cue and source, and
   stand-alone quotations continue the previous speaker, exactly as in the rule-based extractor.

The rule-based extractor's own cues and sources are features (a strong prior), so the model
corrects and extends it rather than replacing it. Both thresholds are chosen on a held-out part
of the training articles (``holdout``), then both classifiers are refitted on every article.
Features are (template, key) pairs (``training.attribution_learned_features``); the fitted
weights are kept as one look-up table per template, so scoring is a handful of list
comprehensions per article. The cue's stance is the stance of the reporting-lexicon entry inside
it, ``neutral`` when it holds none ("believes").
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from training.attribution_content import ContentFinder
from training.attribution_frames import Frame
from training.attribution_learned_features import (
    CUE_TEMPLATES,
    SOURCE_PAIR_TEMPLATES,
    SOURCE_TEMPLATES,
    SOURCE_TOKEN_TEMPLATES,
    DocumentView,
    cue_keys,
    cue_rows,
    source_candidates,
    source_keys,
    source_pair_keys,
    source_token_keys,
)
from training.attribution_types import Attribution, ReportingCue
from training.dataset import Example
from training.document import Document, build_document
from training.lexicon import Lexicon, Stance, load_lexicon
from training.linear import RANDOM_STATE
from training.source_names import SpeakerNames
from training.sources import SourceMention

Span = tuple[int, int]
RULE_TEMPLATES = frozenset({"rule", "rule_source", "rule_w0", "rule_any"})
THRESHOLDS = tuple(round(0.2 + 0.05 * step, 2) for step in range(13))  # 0.2 ... 0.8
SOURCE_GROW = 0.5  # adjacent candidates at least this probable join the chosen source token


class LinearTable:
    """Binary logistic regression over (template, key) features, kept as look-up tables."""

    def __init__(self, templates: Sequence[str], *, c: float) -> None:
        self.templates = tuple(templates)
        self.c = c
        self.tables_: dict[str, dict[str, float]] = {}
        self.intercept_ = 0.0

    def fit(self, blocks: Sequence[dict[str, list[str]]], labels: Sequence[int]) -> LinearTable:
        vocabulary: dict[tuple[str, str], int] = {}
        columns: list[int] = []
        rows = 0
        for block in blocks:
            size = len(block[self.templates[0]])
            for template in self.templates:
                for key in block[template]:
                    columns.append(vocabulary.setdefault((template, key), len(vocabulary)))
            rows += size
        width = len(self.templates)
        # columns were appended template by template within a block: reorder to row-major
        order = np.empty(len(columns), dtype=np.int64)
        offset = 0
        for block in blocks:
            size = len(block[self.templates[0]])
            grid = np.arange(offset, offset + size * width).reshape(width, size).T.ravel()
            order[offset : offset + size * width] = grid
            offset += size * width
        indices = np.asarray(columns, dtype=np.int64)[order]
        matrix = csr_matrix(
            (np.ones(len(indices)), indices, np.arange(0, rows * width + 1, width)),
            shape=(rows, len(vocabulary)),
        )
        model = LogisticRegression(solver="liblinear", dual=True, C=self.c, max_iter=500,
                                   random_state=RANDOM_STATE)
        model.fit(matrix, np.asarray(labels))
        weights = model.coef_[0]
        self.tables_ = {template: {} for template in self.templates}
        for (template, key), column in vocabulary.items():
            if weights[column] != 0.0:
                self.tables_[template][key] = float(weights[column])
        self.intercept_ = float(model.intercept_[0])
        return self

    def logits(
        self, block: dict[str, list[str]], templates: Sequence[str] | None = None,
        *, intercept: bool = True,
    ) -> np.ndarray:
        """Intercept (optional) plus the weights of ``templates`` (default: all) of each row."""
        chosen = self.templates if templates is None else [
            template for template in templates if template in self.tables_
        ]
        size = len(next(iter(block.values())))
        total = np.full(size, self.intercept_ if intercept else 0.0)
        for template in chosen:
            get = self.tables_[template].get
            total += np.array([get(key, 0.0) for key in block[template]], dtype=float)
        return total

    def probabilities(self, block: dict[str, list[str]]) -> np.ndarray:
        return _sigmoid(self.logits(block))


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-logits)))


def _gold_layout(view: DocumentView, example: Example) -> tuple[list[Span], list[set[int]]]:
    """Token spans of the gold cues, and the token set of each cue's source."""
    index = view.index
    cues, sources = [], []
    for attribution in example.attributions:
        first, end = index.token_at(attribution.cue.start), index.token_at(attribution.cue.end)
        if first >= end:
            continue
        cues.append((first, end))
        source = attribution.source
        sources.append(
            set() if source is None
            else set(range(index.token_at(source.start), index.token_at(source.end)))
        )
    return cues, sources


def _greedy_matches(predicted: Sequence[Span], gold: Sequence[Span]) -> int:
    pairs = sorted(
        (-(min(p[1], g[1]) - max(p[0], g[0])), i, j)
        for i, p in enumerate(predicted) for j, g in enumerate(gold)
        if min(p[1], g[1]) > max(p[0], g[0])
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return len(used_p)


def _f1(matched: int, predicted: int, gold: int) -> float:
    return 2 * matched / (predicted + gold) if predicted + gold else 0.0


@dataclass
class _Encoded:
    """One training article's feature keys and labels (computed once, fitted twice)."""

    cue_blocks: list[dict[str, list[str]]]
    cue_labels: list[int]
    source_blocks: list[dict[str, list[str]]]
    source_labels: list[int]


def _encode(view: DocumentView, layout: tuple[list[Span], list[set[int]]]) -> _Encoded:
    cues, sources = layout
    inside = bytearray(len(view.lowers))
    for first, end in cues:
        inside[first:end] = b"\x01" * (end - first)
    rows = cue_rows(view)
    encoded = _Encoded([cue_keys(view, rows)], [inside[row] for row in rows], [], [])
    starts = sorted(first for first, _ in cues)
    for (first, end), source in zip(cues, sources, strict=True):
        candidates = source_candidates(view, first, end)
        if candidates:
            encoded.source_blocks.append(source_keys(view, first, end, candidates, starts))
            encoded.source_labels.extend(int(position in source) for position in candidates)
    return encoded


class LearnedAttributionModel:
    """Cue tagger + source ranker fitted on labeled attributions (see the module docstring)."""

    def __init__(
        self, *, cue_c: float = 0.3, source_c: float = 0.3, use_rules: bool = True,
        holdout: float = 0.2, seed: int = 42,
    ) -> None:
        self.cue_c = cue_c
        self.source_c = source_c
        self.use_rules = use_rules
        self.holdout = holdout
        self.seed = seed
        self.cue_threshold_ = 0.5
        self.source_threshold_ = 0.5

    def _templates(self, templates: Sequence[str]) -> list[str]:
        return [t for t in templates if self.use_rules or t not in RULE_TEMPLATES]

    def fit(
        self, examples: Sequence[Example], lexicon: Lexicon | None = None,
        documents: Sequence[Document] | None = None,
    ) -> LearnedAttributionModel:
        """Fit on the examples whose attributions are annotated (others are ignored)."""
        lexicon = lexicon or load_lexicon()
        if documents is None:
            documents = [build_document(example.text) for example in examples]
        prepared = [
            (DocumentView.build(document, lexicon), example)
            for example, document in zip(examples, documents, strict=True)
            if example.annotated("attributions")
        ]
        if not prepared:
            raise ValueError("no example with annotated attributions to learn from")
        layouts = [_gold_layout(view, example) for view, example in prepared]
        encoded = [
            _encode(view, layout) for (view, _), layout in zip(prepared, layouts, strict=True)
        ]
        order = list(range(len(prepared)))
        random.Random(self.seed).shuffle(order)
        tune = sorted(order[: int(len(order) * self.holdout)])
        if tune and len(tune) < len(order):
            held = set(tune)
            self._fit_parts([encoded[i] for i in order if i not in held])
            self._tune([prepared[i][0] for i in tune], [layouts[i] for i in tune])
        self._fit_parts(encoded)
        return self

    def _fit_parts(self, encoded: Sequence[_Encoded]) -> None:
        self.cue_tagger_ = LinearTable(self._templates(CUE_TEMPLATES), c=self.cue_c).fit(
            [block for item in encoded for block in item.cue_blocks],
            [label for item in encoded for label in item.cue_labels],
        )
        self.source_ranker_ = LinearTable(self._templates(SOURCE_TEMPLATES), c=self.source_c).fit(
            [block for item in encoded for block in item.source_blocks],
            [label for item in encoded for label in item.source_labels],
        )

    def _tune(
        self, views: Sequence[DocumentView], layouts: Sequence[tuple[list[Span], list[set[int]]]]
    ) -> None:
        """Thresholds with the best held-out F1: the cue's first, then the source's given it."""
        scored = [
            (rows, self.cue_tagger_.probabilities(cue_keys(view, rows)))
            for view, rows in ((view, cue_rows(view)) for view in views)
        ]
        best = (-1.0, 0.5)
        for threshold in THRESHOLDS:
            tally = [0, 0, 0]
            for view, (rows, probabilities), (gold, _) in zip(views, scored, layouts, strict=True):
                predicted = _runs(view, rows, probabilities, threshold)
                tally[0] += _greedy_matches(predicted, gold)
                tally[1] += len(predicted)
                tally[2] += len(gold)
            best = max(best, (_f1(*tally), threshold))
        self.cue_threshold_ = best[1]
        ranked = []
        for view, (rows, probabilities), (_, sources) in zip(views, scored, layouts, strict=True):
            cues = _runs(view, rows, probabilities, self.cue_threshold_)
            gold_sources = [_bounds(source) for source in sources if source]
            ranked.append((self._ranked_sources(view, cues), gold_sources))
        best = (-1.0, 0.5)
        for threshold in THRESHOLDS:
            tally = [0, 0, 0]
            for found, gold_sources in ranked:
                predicted = [span for probability, span in found if probability >= threshold]
                tally[0] += _greedy_matches(predicted, gold_sources)
                tally[1] += len(predicted)
                tally[2] += len(gold_sources)
            best = max(best, (_f1(*tally), threshold))
        self.source_threshold_ = best[1]

    def _ranked_sources(
        self, view: DocumentView, cues: Sequence[Span]
    ) -> list[tuple[float, Span]]:
        """For each cue, its best source candidate's probability and grown token span."""
        starts = sorted(first for first, _ in cues)
        ranker = self.source_ranker_
        per_cue = [source_candidates(view, first, end) for first, end in cues]
        # the candidate-only part of the score is the same for every cue: compute it once
        positions = sorted({position for candidates in per_cue for position in candidates})
        token_logits = dict(zip(positions, ranker.logits(
            source_token_keys(view, positions), SOURCE_TOKEN_TEMPLATES, intercept=False
        ), strict=True))
        found = []
        for (first, end), candidates in zip(cues, per_cue, strict=True):
            if not candidates:
                found.append((0.0, (first, first)))
                continue
            pair_logits = ranker.logits(
                source_pair_keys(view, first, end, candidates, starts), SOURCE_PAIR_TEMPLATES
            )
            probabilities = _sigmoid(
                pair_logits + np.array([token_logits[position] for position in candidates])
            )
            best = int(np.argmax(probabilities))
            low = high = best
            while low > 0 and candidates[low - 1] == candidates[low] - 1 and (
                probabilities[low - 1] >= SOURCE_GROW
            ):
                low -= 1
            while high + 1 < len(candidates) and candidates[high + 1] == candidates[high] + 1 and (
                probabilities[high + 1] >= SOURCE_GROW
            ):
                high += 1
            found.append((float(probabilities[best]), (candidates[low], candidates[high] + 1)))
        return found

    def cues(self, view: DocumentView) -> list[Span]:
        rows = cue_rows(view)
        probabilities = self.cue_tagger_.probabilities(cue_keys(view, rows))
        return _runs(view, rows, probabilities, self.cue_threshold_)

    def find(self, document: Document, lexicon: Lexicon) -> list[Attribution]:
        """Attributions in text order, like ``training.attribution.find_attributions``."""
        view = DocumentView.build(document, lexicon)
        cues = self.cues(view)
        sources = self._ranked_sources(view, cues)
        return _Builder(view, lexicon).build(
            cues, [span if p >= self.source_threshold_ else None for p, span in sources]
        )


def _bounds(tokens: set[int]) -> Span:
    return min(tokens), max(tokens) + 1


def _runs(
    view: DocumentView, rows: Sequence[int], probabilities: np.ndarray, threshold: float
) -> list[Span]:
    """Token spans of adjacent rows at or above the threshold, within one sentence."""
    tokens = view.document.tokens
    spans: list[Span] = []
    for row, probability in zip(rows, probabilities, strict=True):
        if probability < threshold:
            continue
        if spans and spans[-1][1] == row and tokens[row - 1].sentence == tokens[row].sentence:
            spans[-1] = (spans[-1][0], row + 1)
        else:
            spans.append((row, row + 1))
    return spans


class _Builder:
    """Attribution objects from token spans: stance, source mention, content, continuations."""

    def __init__(self, view: DocumentView, lexicon: Lexicon) -> None:
        self.view = view
        self.index = view.index
        self.tokens = view.document.tokens
        self.text = view.document.text
        self.speakers = SpeakerNames(view.document)
        self.entries = {
            position: (match.entry.stance or "neutral", match.entry.term)
            for match in lexicon.find(view.document, kind="reporting")
            for position in range(match.start_token, match.end_token)
        }

    def build(self, cues: Sequence[Span], sources: Sequence[Span | None]) -> list[Attribution]:
        contents = ContentFinder(self.index, set())
        attributions: list[Attribution] = []
        mentions: list[SourceMention] = []
        mention_paragraphs: list[int] = []
        sentence_last = self.index.sentence_last
        for number, ((first, end), source) in enumerate(zip(cues, sources, strict=True)):
            sentence = self.tokens[first].sentence
            stance, term = self._stance(first, end)
            frame = Frame(first, end, stance, term, sentence, unsourced=source is None)
            mention = None
            if source is not None:
                frame.source_first, frame.source_end = source
                frame.phrase_end = source[1]
                frame.source_after = source[0] >= end
                paragraph = self.index.paragraph(self.tokens[first].start)
                mention = self.speakers.mention(
                    source[0], source[1], source[1], anonymous=False, earlier=mentions,
                    nearby=mentions[bisect_left(mention_paragraphs, paragraph - 1) :],
                )
                mentions.append(mention)
                mention_paragraphs.append(paragraph)
            limit = sentence_last[sentence] + 1
            if number + 1 < len(cues) and self.tokens[cues[number + 1][0]].sentence == sentence:
                following = sources[number + 1]
                limit = min(limit, cues[number + 1][0], following[0] if following else limit)
            limit = max(limit, frame.end)
            content, _ = contents.content(frame, limit)
            cue_start, cue_end = self.tokens[first].start, self.tokens[end - 1].end
            cue = ReportingCue(self.text[cue_start:cue_end], cue_start, cue_end, stance, term)
            attributions.append(Attribution(mention, cue, content, sentence))
        return contents.add_continuations(attributions)

    def _stance(self, first: int, end: int) -> tuple[Stance, str]:
        for position in range(first, end):
            if position in self.entries:
                return self.entries[position]
        words = [token.lower for token in self.tokens[first:end]]
        return "neutral", " ".join(words)
