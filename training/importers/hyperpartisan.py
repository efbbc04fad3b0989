"""SemEval-2019 Task 4 (hyperpartisan news, by-article set) as native article examples.

The corpus is two XML files: ``articles-*.xml`` (each ``<article id title>`` holds the body as
``<p>`` paragraphs, with ``<a>`` links and ``<q>`` quotes inside) and ``ground-truth-*.xml``
(``<article id hyperpartisan="true|false">``). ``load`` takes the directory holding both, or the
articles file itself (its ground truth is the file beside it whose name starts with
``ground-truth-`` instead of ``articles-``).

Text: the title, a blank line, then one paragraph per ``<p>`` (or ``<q>`` outside any ``<p>``),
whitespace collapsed, then the project's normalization. Text between paragraphs is dropped on
purpose: in this corpus it is image credits, captions and advertising lines ("No Pill Can Stop
Tinnitus, But This 1 Weird Trick Can"), not the article. An article without any paragraph keeps
all its text.

Label: ``{"framing": hyperpartisan}``. Hyperpartisan ("extreme one-sidedness") is the strongest
form of what the project calls framing, so a hyperpartisan article is a framed one; the converse
is looser (a mildly framed article may not be hyperpartisan), which makes this data a
high-threshold view of framing. No cue spans or attributions are annotated:
``meta.annotated = []``. Ids are ``hyperpartisan:<id>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from training.dataset import Example
from training.errors import DatasetError
from training.importers import importer
from training.normalize import normalize_text

ARTICLES_PREFIX = "articles-"
TRUTH_PREFIX = "ground-truth-"
ID_PREFIX = "hyperpartisan:"


def _files(path: Path) -> tuple[Path, Path]:
    """The articles file and its ground-truth file, from a directory or the articles file."""
    if path.is_dir():
        articles = sorted(path.glob(f"{ARTICLES_PREFIX}*.xml"))
        if len(articles) != 1:
            raise DatasetError(
                f"{path}: expected one {ARTICLES_PREFIX}*.xml file, found {len(articles)}"
            )
        path = articles[0]
    if not path.name.startswith(ARTICLES_PREFIX):
        raise DatasetError(f"{path}: the articles file's name must start with {ARTICLES_PREFIX!r}")
    truth = path.with_name(TRUTH_PREFIX + path.name[len(ARTICLES_PREFIX):])
    if not truth.exists():
        raise DatasetError(f"{path}: its ground truth {truth.name} is not beside it")
    return path, truth


def _parse(path: Path) -> ElementTree.Element:
    try:
        return ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise DatasetError(f"{path}: not well-formed XML ({error})") from error


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(article: ElementTree.Element) -> list[str]:
    """The text of every ``<p>`` and of every ``<q>`` that holds no ``<p>``, in order."""
    paragraphs = []
    inside_paragraph: set[int] = set()
    for element in article.iter():
        if id(element) in inside_paragraph:
            continue
        if element.tag == "p" or (element.tag == "q" and element.find(".//p") is None):
            inside_paragraph.update(id(child) for child in element.iter())
            text = _collapse("".join(element.itertext()))
            if text:
                paragraphs.append(text)
    return paragraphs


def article_text(article: ElementTree.Element) -> str:
    """Title, blank line, paragraphs; normalized as ``build_document`` does."""
    paragraphs = _paragraphs(article) or [_collapse("".join(article.itertext()))]
    title = _collapse(article.get("title", ""))
    raw = "\n\n".join(part for part in [title, *paragraphs] if part)
    return normalize_text(raw).text


def _labels(path: Path) -> dict[str, bool]:
    labels = {}
    for entry in _parse(path).iter("article"):
        value = entry.get("hyperpartisan")
        if value not in ("true", "false"):
            raise DatasetError(
                f"{path}: article {entry.get('id')!r} has hyperpartisan={value!r}"
            )
        labels[str(entry.get("id"))] = value == "true"
    return labels


@importer("hyperpartisan")
def load(path: Path) -> list[Example]:
    """Every article that has a ground-truth label, in file order."""
    articles_path, truth_path = _files(path)
    labels = _labels(truth_path)
    examples = []
    for article in _parse(articles_path).iter("article"):
        article_id = str(article.get("id"))
        if article_id not in labels:
            continue
        text = article_text(article)
        if not text:
            continue
        examples.append(
            Example(
                id=ID_PREFIX + article_id,
                text=text,
                level="article",
                label={"framing": labels[article_id]},
                meta={
                    "annotated": [],
                    "published": article.get("published-at"),
                    "title": _collapse(article.get("title", "")),
                },
            )
        )
    return examples
