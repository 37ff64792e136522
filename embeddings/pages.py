"""One knowledge page: Markdown with YAML front matter, parsed and checked.

The corpus loader (:mod:`.corpus`) reads every page through :func:`read_page`.
:func:`parse_page` is the same parser on one page's text, raising
:class:`CorpusError`: a page can be checked before it is stored anywhere (the
bot checks a published answer when the staff approve it, long before an
index is built with it). A published answer (``qa=True``) also has exactly
two ``##`` sections, the question and the agency's answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import PurePosixPath

import yaml

from . import yamltext
from .agencies import ID, valid_url
from .errors import CorpusError, Problem
from .langs import LANGS

REQUIRED_FIELDS = (
    "id", "lang", "title", "summary", "category", "agency", "source_url", "updated", "keywords",
)
_FRONT = re.compile(r"\A---\s*\n(.*?\n)---\s*\n", re.S)
_SECTION = re.compile(r"^##[ \t]+(.+?)[ \t]*$", re.M)  # one line: "##\ntext" is no heading
QA_SECTIONS = 2  # a published answer: the question, then the agency's answer
# A section longer than this is refused: a chunk is read by the encoder's
# window anyway, and a pasted-in document (the longest section of the shipped
# knowledge has under 1,500 characters) would cost the build hours to embed.
SECTION_CHARS = 20_000


class DocKind(StrEnum):
    """What a document of the corpus is."""

    PAGE = "page"  # a knowledge page
    QA = "qa"  # an agency's published answer
    REDIRECT = "redirect"  # an out-of-scope theme: which agency handles it
    PASSAGE = "passage"  # an external passage (evaluation sets)


class PageStatus(StrEnum):
    """Whether an agency has confirmed a page (front matter ``status``)."""

    DRAFT = "draft"  # written from public sources; no agency has checked it yet
    VERIFIED = "verified"  # confirmed by `verified_by` on `verified_on`


@dataclass(frozen=True)
class Section:
    heading: str
    text: str
    line: int


@dataclass(frozen=True)
class Document:
    """One page in one language (or one external passage)."""

    id: str
    lang: str
    title: str
    summary: str = ""
    category: str = ""
    agency: str = ""
    source_url: str = ""
    updated: str = ""
    keywords: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    path: str = ""
    kind: DocKind = DocKind.PAGE
    status: str = ""  # PageStatus; "" for what has none (published answers, passages)
    verified_by: str = ""  # the agency (id) that confirmed the page, when verified
    verified_on: str = ""  # when it did (YYYY-MM-DD)
    source_note: str = ""  # why `source_url` is a general page, when it is one
    questions: tuple[str, ...] = ()  # how citizens ask it, written from the page


def line_of(text: str, key: str, offset: int = 1) -> int:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text.count("\n", 0, match.start()) + offset if match else offset


def _as_date(value: object) -> str | None:
    """`value` as YYYY-MM-DD when it is a date (a date and time is not)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def parse_page(text: str, name: str, *, qa: bool = False) -> Document:
    """The page `text`, known as `name` (its path under the knowledge folder,
    whose file name must be ``<id>.<lang>.md``); a published answer when `qa`.
    Raises :class:`CorpusError` with every problem found."""
    problems: list[Problem] = []
    doc = read_page(text, name, problems)
    if doc is not None and qa:
        doc = as_answer(doc, name, problems)
    elif doc is not None:
        check_status(doc, name, problems)
    if doc is not None:
        check_name(doc, PurePosixPath(name).name, name, problems)
    if doc is None or problems:
        raise CorpusError(problems)
    return doc


def check_name(doc: Document, file_name: str, where: str, problems: list[Problem]) -> None:
    expected = f"{doc.id}.{doc.lang}.md"
    if file_name != expected:
        problems.append(Problem(where, 2, "id", f"file name must be {expected}"))


def as_answer(doc: Document, where: str, problems: list[Problem]) -> Document | None:
    """`doc` as a published answer (kind "qa"), None when it has not two sections."""
    if len(doc.sections) != QA_SECTIONS:
        problems.append(Problem(where, doc.sections[0].line, "body",
                                "a published answer has two sections, the question "
                                f"and the answer, not {len(doc.sections)}"))
        return None
    return replace(doc, kind=DocKind.QA)


def read_page(text: str, where: str, problems: list[Problem]) -> Document | None:
    """Parse one Markdown page; problems are appended, None when unusable."""
    match = _FRONT.match(text)
    if not match:
        problems.append(Problem(where, 1, "", "no YAML front matter between '---' lines"))
        return None
    front_text = match.group(1)
    try:
        front = yamltext.load(front_text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 2
        problems.append(Problem(where, line, "", f"front matter is not valid YAML: {exc}"))
        return None
    if not isinstance(front, dict):
        problems.append(Problem(where, 1, "", "front matter must be a mapping"))
        return None
    before = len(problems)
    for key in REQUIRED_FIELDS:
        value = front.get(key)
        if value is None or (isinstance(value, str | list) and not value):
            problems.append(Problem(where, line_of(front_text, key, 2), key, "missing or empty"))
    for key in ("id", "lang", "title", "summary", "category", "agency"):
        if key in front and front[key] is not None and not isinstance(front[key], str):
            problems.append(Problem(where, line_of(front_text, key, 2), key, "must be text"))
    if front.get("lang") and front.get("lang") not in LANGS:
        problems.append(Problem(where, line_of(front_text, "lang", 2), "lang",
                                f"must be one of {', '.join(LANGS)}"))
    if front.get("source_url") and not valid_url(front["source_url"]):
        problems.append(Problem(where, line_of(front_text, "source_url", 2), "source_url",
                                f"malformed URL {front['source_url']!r}"))
    updated = _as_date(front.get("updated")) if front.get("updated") else ""
    if updated is None:
        problems.append(Problem(where, line_of(front_text, "updated", 2), "updated",
                                f"not a date (YYYY-MM-DD): {front.get('updated')!r}"))
    keywords = front.get("keywords") or []
    if not isinstance(keywords, list) or not all(
            isinstance(k, str | int) and not isinstance(k, bool) for k in keywords):
        problems.append(Problem(where, line_of(front_text, "keywords", 2), "keywords",
                                "must be a list of words"))
        keywords = []
    if front.get("id") and isinstance(front["id"], str) and not ID.match(front["id"]):
        problems.append(Problem(where, line_of(front_text, "id", 2), "id",
                                "must be lowercase letters, digits and dashes"))
    trust = _trust(front, front_text, where, problems)

    body = text[match.end() :]
    body_line = text.count("\n", 0, match.end()) + 1
    heads = list(_SECTION.finditer(body))
    if not heads:
        problems.append(Problem(where, body_line, "body", "no '## ' sections"))
    elif body[: heads[0].start()].strip():
        problems.append(Problem(where, body_line, "body", "text before the first '## ' section"))
    sections = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        content = body[head.end() : end].strip()
        line = body_line + body.count("\n", 0, head.start())
        if not content:
            problems.append(Problem(where, line, "body", f"empty section {head.group(1)!r}"))
        elif len(content) > SECTION_CHARS:
            problems.append(Problem(where, line, "body",
                                    f"section {head.group(1)!r} has {len(content):,} characters "
                                    f"(at most {SECTION_CHARS:,}): split it"))
        sections.append(Section(head.group(1), content, line))
    if len(problems) > before:
        return None
    return Document(
        id=front["id"],
        lang=front["lang"],
        title=str(front["title"]).strip(),
        summary=str(front["summary"]).strip(),
        category=front["category"],
        agency=front["agency"],
        source_url=front["source_url"],
        updated=updated or "",
        keywords=tuple(str(k) for k in keywords),
        sections=tuple(sections),
        path=where,
        **trust,
    )


def _trust(front: dict, front_text: str, where: str, problems: list[Problem]) -> dict:
    """The verification status, the source note and the example questions."""
    def problem(key: str, reason: str) -> None:
        problems.append(Problem(where, line_of(front_text, key, 2), key, reason))

    status = front.get("status")
    if status is not None and status not in tuple(PageStatus):
        problem("status", f"must be {' or '.join(PageStatus)}, not {status!r}")
        status = None
    by, on = front.get("verified_by"), front.get("verified_on")
    if status == PageStatus.VERIFIED:
        if not (isinstance(by, str) and ID.match(by)):
            problem("verified_by", "a verified page names the agency (its id) that verified it")
        if _as_date(on) is None:
            problem("verified_on", "a verified page says when it was verified (YYYY-MM-DD)")
    else:
        for key in ("verified_by", "verified_on"):
            if front.get(key) is not None:
                problem(key, "only a page with status: verified says who verified it and when")
    note = front.get("source_note")
    if note is not None and not (isinstance(note, str) and note.strip()):
        problem("source_note", "must be text: why the source is a general page")
    questions = front.get("questions")
    if questions is not None and not (isinstance(questions, list) and all(
            isinstance(q, str) and q.strip() for q in questions)):
        problem("questions", "must be a list of questions")
        questions = None
    verified = status == PageStatus.VERIFIED
    return {"status": status or "", "verified_by": by if verified and isinstance(by, str) else "",
            "verified_on": (_as_date(on) or "") if verified else "",
            "source_note": " ".join(note.split()) if isinstance(note, str) else "",
            "questions": tuple(q.strip() for q in questions or ())}


def check_status(doc: Document, where: str, problems: list[Problem]) -> None:
    """A knowledge page (not a published answer) says whether it is verified."""
    if not doc.status:
        problems.append(Problem(where, 2, "status",
                                f"missing: {' or '.join(PageStatus)} (a page is a draft "
                                "until an agency verifies it)"))


# -- edits a maintainer applies (staff reviews): the rest of the file stays as it is --

@dataclass(frozen=True)
class PageContent:
    """What a page says in one language: what a reviewer reads and confirms."""

    lang: str
    title: str
    summary: str
    source_url: str
    sections: tuple[tuple[str, str], ...]  # (heading, text)

    @classmethod
    def of(cls, doc: Document) -> PageContent:
        return cls(doc.lang, doc.title, doc.summary, doc.source_url,
                   tuple((s.heading, s.text) for s in doc.sections))


def content_digest(pages: Iterable[PageContent]) -> str:
    """One digest of a topic's pages (any order of languages): a confirmation
    holds for the content it was given on, and a correction for the text it
    was proposed against. Front matter that is no content (status, dates,
    keywords) is left out, so writing a confirmation into a file keeps it."""
    h = hashlib.sha256()
    for page in sorted(pages, key=lambda p: p.lang):
        h.update(json.dumps([page.lang, page.title, page.summary, page.source_url,
                             [list(s) for s in page.sections]],
                            ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def set_front_matter(text: str, values: dict[str, str | None], where: str = "") -> str:
    """`text` with top-level front matter keys set to one-line values (a key
    already there is rewritten in place, a new one goes before the closing
    '---'; None removes the key); every other line stays byte for byte."""
    match = _FRONT.match(text)
    if not match:
        raise CorpusError([Problem(where, 1, "", "no YAML front matter between '---' lines")])
    front = match.group(1)
    for key, value in values.items():
        pattern = re.compile(rf"^{re.escape(key)}[ \t]*:.*\n", re.M)
        if value is None:
            front = pattern.sub("", front, count=1)
            continue
        if "\n" in value or "\r" in value:
            raise ValueError(f"front matter value for {key!r} must be one line")
        line = f"{key}: {yaml.safe_dump(value, allow_unicode=True, width=10**6)}"
        line = line.removesuffix("...\n").rstrip("\n") + "\n"
        if pattern.search(front):
            front = pattern.sub(lambda _m, line=line: line, front, count=1)
        else:
            front += line
    start = match.start(1)
    return text[:start] + front + text[match.end(1):]


def replace_section(text: str, index: int, body: str, where: str = "") -> str:
    """`text` with the `index`-th ``##`` section's text (not its heading) replaced
    by `body`; the other sections stay byte for byte. `body` must not start a
    section of its own."""
    match = _FRONT.match(text)
    if not match:
        raise CorpusError([Problem(where, 1, "", "no YAML front matter between '---' lines")])
    body = body.strip()
    if not body:
        raise ValueError("a section cannot be empty")
    if _SECTION.search(body):
        raise ValueError("the new text has a '## ' heading line: one section at a time")
    heads = list(_SECTION.finditer(text, match.end()))
    if not 0 <= index < len(heads):
        raise ValueError(f"the page has {len(heads)} sections, not a section {index + 1}")
    end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
    tail = "\n\n" if index + 1 < len(heads) else "\n"
    return text[:heads[index].end()] + "\n" + body + tail + text[end:]
