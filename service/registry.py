"""The model registry: versioned model artifacts under ``SLANT_HOME/models``.

Layout::

    models/<version>/model.joblib    the fitted model (a pickle: loaded only from here)
    models/<version>/manifest.json   what it was trained on, metrics, library versions, sha256
    models/<version>/MODEL_CARD.md   the same for people, with intended use and limits
    models/ACTIVE                    the active version's name, replaced atomically

A version directory is written under a temporary name and renamed into place, so a reader never
sees half a version; a deleted version is renamed away before it is removed, for the same reason.
Activation and deletion hold an exclusive lock on ``.registry.lock`` (beside ``models/``), so a
version cannot be deleted while another process activates it. Loading verifies the artifact's
sha256 and the library versions it was pickled with before unpickling anything.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import joblib
from pydantic import BaseModel, ValidationError

from training.gate import GateReport

VERSION_PATTERN = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
CREATED_CHARS = len("20261128-153000")  # the creation second at the start of a version name
ARTIFACT = "model.joblib"
MANIFEST = "manifest.json"
MODEL_CARD = "MODEL_CARD.md"
ACTIVE = "ACTIVE"
LOCK = ".registry.lock"
# A hidden directory in models/ older than this was left by a writer that was killed.
ABANDONED_AFTER_SECONDS = 3600.0

# Pickled scikit-learn estimators and numpy arrays are only safe to load under the same
# major.minor release they were written with; the others are recorded for the record.
PINNED_LIBRARIES = ("scikit-learn", "numpy")
RECORDED_LIBRARIES = ("numpy", "scipy", "scikit-learn", "joblib", "slant")


class RegistryError(Exception):
    """The registry cannot give what was asked; the message says why and what to do."""


class NoActiveModel(RegistryError):
    """No version has been activated yet."""


class UnknownVersion(RegistryError):
    """No such version in the registry."""


class ActiveVersion(RegistryError):
    """The version is the active one (it cannot be deleted)."""


@runtime_checkable
class ScoringModel(Protocol):
    """What the service needs from a fitted model (``training.model.SlantModel``)."""

    @property
    def trained_on(self) -> tuple[str, ...]: ...

    @property
    def metrics(self) -> dict[str, float]: ...

    @property
    def lexicon_version(self) -> str: ...

    def score(
        self, text: str, *, html: bool = False, explain_sentences: bool = True
    ) -> dict[str, Any]: ...


class DataFingerprint(BaseModel):
    path: str
    sha256: str
    bytes: int


class LabelStoreFingerprint(BaseModel):
    """The label store's content when a model was trained on it."""

    sha256: str
    examples: int


class Manifest(BaseModel):
    version: str
    created: str  # UTC, ISO 8601
    trained_on: list[str]
    data: list[DataFingerprint]
    metrics: dict[str, float]
    lexicon_version: str
    libraries: dict[str, str]
    artifact_sha256: str
    # Written by gated training (absent in versions saved before it, or without it):
    label_store: LabelStoreFingerprint | None = None  # when the label store was trained on
    evaluation_data: list[DataFingerprint] = []  # the extra evaluation files (--eval)
    gate: GateReport | None = None  # the comparison with the model active at the time
    job: str | None = None  # the training job that made this version


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a pickled model depends on."""
    versions = {"python": platform.python_version()}
    for name in RECORDED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_data(paths: Iterable[Path]) -> list[DataFingerprint]:
    """sha256 of every training file (a directory contributes every file under it)."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path])
    return [
        DataFingerprint(path=file.as_posix(), sha256=file_sha256(file), bytes=file.stat().st_size)
        for file in files
    ]


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def check_libraries(recorded: dict[str, str], version: str) -> None:
    """Refuse a model pickled under another major.minor of scikit-learn or numpy."""
    installed = library_versions()
    for name in PINNED_LIBRARIES:
        then, now = recorded.get(name, "unknown"), installed[name]
        if _major_minor(then) != _major_minor(now):
            raise RegistryError(
                f"model {version} was saved with {name} {then} but {name} {now} is installed; "
                f"install {name}=={then} or retrain with `slant train`"
            )


class Registry:
    """Model versions under ``home/models``."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.models_dir = self.home / "models"

    def version_dir(self, version: str) -> Path:
        # Only names this registry generates are accepted, so no name can leave models/.
        if not VERSION_PATTERN.fullmatch(version):
            raise UnknownVersion(f"{version!r} is not a model version (YYYYMMDD-HHMMSS-xxxxxx)")
        return self.models_dir / version

    def list_versions(self) -> list[str]:
        """Saved versions, oldest first.

        A version's name starts with its creation second; two versions saved within one second
        are ordered by when their manifests were written (the random suffix says nothing).
        """
        if not self.models_dir.is_dir():
            return []
        saved = [
            (entry.name[:CREATED_CHARS], (entry / MANIFEST).stat().st_mtime_ns, entry.name)
            for entry in self.models_dir.iterdir()
            if VERSION_PATTERN.fullmatch(entry.name) and (entry / MANIFEST).is_file()
        ]
        return [name for *_, name in sorted(saved)]

    def save_model(
        self,
        model: ScoringModel,
        data_paths: Sequence[Path],
        *,
        label_store: LabelStoreFingerprint | None = None,
        evaluation_paths: Sequence[Path] = (),
        gate: GateReport | None = None,
        job: str | None = None,
    ) -> str:
        """Write a new version (artifact, manifest, model card) and return its name."""
        self.models_dir.mkdir(parents=True, exist_ok=True)
        created = datetime.now(UTC)
        version = self._new_version(created)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.models_dir))
        try:
            joblib.dump(model, staging / ARTIFACT)
            manifest = Manifest(
                version=version,
                created=created.isoformat(timespec="seconds"),
                trained_on=[str(name) for name in model.trained_on],
                data=fingerprint_data(data_paths),
                metrics={name: float(value) for name, value in model.metrics.items()},
                lexicon_version=model.lexicon_version,
                libraries=library_versions(),
                artifact_sha256=file_sha256(staging / ARTIFACT),
                label_store=label_store,
                evaluation_data=fingerprint_data(evaluation_paths),
                gate=gate,
                job=job,
            )
            (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
            (staging / MODEL_CARD).write_text(model_card(manifest))
            staging.chmod(0o755)
            os.replace(staging, self.models_dir / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def remove_abandoned(self, older_than: float = ABANDONED_AFTER_SECONDS) -> list[str]:
        """Remove what a killed writer left: staging and deleted directories (hidden names) not
        touched for ``older_than`` seconds; a save in progress is younger than that."""
        if not self.models_dir.is_dir():
            return []
        removed = []
        cutoff = time.time() - older_than
        for entry in self.models_dir.iterdir():
            if entry.name.startswith(".") and entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return sorted(removed)

    def _new_version(self, created: datetime) -> str:
        while True:
            version = f"{created:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            if not (self.models_dir / version).exists():
                return version

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across processes: activation and deletion never interleave."""
        self.models_dir.mkdir(parents=True, exist_ok=True)
        with (self.home / LOCK).open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def activate(self, version: str) -> None:
        """Make ``version`` the active model; ACTIVE is swapped in one rename."""
        self.version_dir(version)  # validates the name
        with self._locked():
            if version not in self.list_versions():
                raise UnknownVersion(f"no model version {version} in {self.models_dir}")
            descriptor, temporary = tempfile.mkstemp(prefix=".ACTIVE-", dir=self.models_dir)
            try:
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(version + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.models_dir / ACTIVE)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise

    def delete(self, version: str) -> None:
        """Remove an inactive version; the active one is refused (``ActiveVersion``)."""
        directory = self.version_dir(version)
        with self._locked():
            if version not in self.list_versions():
                raise UnknownVersion(f"no model version {version} in {self.models_dir}")
            if version == self.active_version():
                raise ActiveVersion(
                    f"model {version} is active; activate another version before deleting it"
                )
            # Renamed away first, so no reader ever lists a half-deleted version.
            doomed = Path(tempfile.mkdtemp(prefix=f".deleted-{version}-", dir=self.models_dir))
            os.replace(directory, doomed / version)
        shutil.rmtree(doomed, ignore_errors=True)

    def active_version(self) -> str | None:
        path = self.models_dir / ACTIVE
        if not path.is_file():
            return None
        version = path.read_text().strip()
        self.version_dir(version)  # validates the name
        return version

    def read_manifest(self, version: str) -> Manifest:
        path = self.version_dir(version) / MANIFEST
        try:
            return Manifest.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise UnknownVersion(f"no model version {version} in {self.models_dir}") from None
        except ValidationError as error:
            raise RegistryError(f"{path} is not a valid manifest: {error}") from None

    def load(self, version: str) -> tuple[ScoringModel, Manifest]:
        """Load one version after checking its sha256 and library versions."""
        manifest = self.read_manifest(version)
        artifact = self.version_dir(version) / ARTIFACT
        if manifest.version != version:
            raise RegistryError(f"{artifact.parent} holds a manifest for {manifest.version}")
        if not artifact.is_file():
            raise RegistryError(f"{artifact} is missing")
        actual = file_sha256(artifact)
        if actual != manifest.artifact_sha256:
            raise RegistryError(
                f"{artifact} has sha256 {actual} but its manifest says "
                f"{manifest.artifact_sha256}; the file was changed, refusing to load it"
            )
        check_libraries(manifest.libraries, version)
        try:
            model = joblib.load(artifact)
        except Exception as error:  # an unpickling failure names a class or module, not a bug
            raise RegistryError(f"{artifact} cannot be loaded: {error!r}") from error
        if not isinstance(model, ScoringModel):
            raise RegistryError(f"{artifact} does not hold a scoring model")
        return model, manifest

    def load_active(self) -> tuple[ScoringModel, Manifest]:
        version = self.active_version()
        if version is None:
            raise NoActiveModel(f"no active model in {self.models_dir}; run `slant train`")
        return self.load(version)


def model_card(manifest: Manifest) -> str:
    """The human-readable companion of a manifest."""
    data = "\n".join(
        f"- `{item.path}` ({item.bytes} bytes, sha256 `{item.sha256[:12]}…`)"
        for item in manifest.data
    )
    metrics = "\n".join(
        f"| {name} | {value:.3f} |" for name, value in sorted(manifest.metrics.items())
    )
    libraries = ", ".join(f"{name} {version}" for name, version in manifest.libraries.items())
    if manifest.label_store is not None:
        data += (
            f"\n- the label store ({manifest.label_store.examples} examples, fingerprint "
            f"`{manifest.label_store.sha256[:12]}…`)"
        )
    job = f" by training job `{manifest.job}`" if manifest.job else ""
    return f"""# slant model {manifest.version}

Created {manifest.created} (UTC){job}. Lexicon version `{manifest.lexicon_version}`.
Libraries: {libraries}.

## Trained on

{", ".join(manifest.trained_on) or "(nothing recorded)"}

{data or "(no data files recorded)"}

## Metrics (held-out evaluation at training time)

| metric | value |
|---|---|
{metrics}
{gate_section(manifest)}
## Intended use

Flagging framing in English news text for people who review it: standards editors, media
researchers, fact-checkers. Every score comes with the words that produced it; read them before
acting on a score.

## Limits

- Trained on a small labeled set; scores on outlets, topics or genres far from it (opinion
  columns, transcripts, non-news text) are less reliable.
- English only. Lexicon cues are matched literally; irony, novel slurs and framing done by
  omission alone are mostly invisible to it.
- Scores are probabilities of a label as the annotation guidelines define it, not a verdict on
  truth or on an outlet. Do not use them to rank or sanction people or outlets automatically.
"""


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def gate_section(manifest: Manifest) -> str:
    """The quality gate's comparison, for the model card (empty without one)."""
    gate = manifest.gate
    if gate is None:
        return ""
    evaluation = gate.evaluation
    extra = "".join(
        f"\n- `{item.path}` (sha256 `{item.sha256[:12]}…`)" for item in manifest.evaluation_data
    )
    rows = "\n".join(
        f"| {row.metric} | {_number(row.active)} | {_number(row.candidate)} | "
        f"{'n/a' if row.delta is None else f'{row.delta:+.3f}'} | {row.tolerance:.3f} | "
        f"{row.evaluated} | {'yes' if row.passed else 'NO'} | {row.note or ''} |"
        for row in gate.comparisons
    )
    forced = " The decision was forced (`--force`)." if gate.decision == "forced" else ""
    return f"""
## Quality gate

Decision: **{gate.decision}**.{forced} {gate.reason}.
Compared with model {gate.active_version or "(none)"} on {evaluation.sentences} sentences and
{evaluation.articles} articles: {evaluation.held_out} held back from the training mix (fraction
{evaluation.holdout}, seed {evaluation.seed}, by a hash of each example id) and {evaluation.extra}
from extra evaluation data.{extra}

| metric | active | candidate | delta | tolerance | items | passed | note |
|---|---|---|---|---|---|---|---|
{rows}
"""
