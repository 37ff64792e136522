"""The material facts of a page, and what changed between two versions of them.

A citizen acts on a page's numbers (a fee, an age, a term, a phone), its
dates, its links and what its sections cover; a reworded sentence or a
corrected typo changes none of that. :func:`page_facts` extracts those facts
from one page in one language, normalised so that writing them differently is
no change:

- numbers: group separators dropped ("1 000" = "1000" = "1 000"), a decimal
  comma is a point ("2,5" = "2.5"), a percent sign is kept whatever the space
  before it ("50 %" = "50%"), a time is ``h:mm``; the markers of a numbered
  list are structure, not facts;
- dates: ISO ``YYYY-MM-DD`` (or ``MM-DD``, ``YYYY-MM``, ``YYYY`` for what the
  text gives), from "2019-11-01", "01.11.2019", "1 ноября 2019 года",
  "2019 жылғы 1 қарашадан", "с 2019 года"; the digits of a date are not also
  counted as numbers;
- links: the page's source_url and every URL, web address (``egov.kz``) and
  e-mail address in its text, without scheme, ``www.`` and trailing slash;
- sections: the ``##`` headings in order (kept as written, compared loosely).

Numbers, dates and links are sets over the whole page: moving a sentence to
another section, or mentioning a number a second time, is no change. (The
price: a value replaced by one the page already states elsewhere goes
unnoticed.) :func:`material_changes` lists what differs; a heading reworded
in place is not a section added or removed: headings are aligned in order,
and only a change in their count (or a heading with nothing alike on the
other side) adds or removes one.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING

from .pages import DocKind, Document

if TYPE_CHECKING:
    from .index import LoadedIndex

__all__ = ["Change", "ChangeKind", "Facts", "index_facts", "material_changes", "page_facts",
           "text_facts"]

# -- what is extracted -------------------------------------------------------------

# Spaces that group digits: the plain space, no-break space, narrow no-break
# space, thin space and figure space.
_GROUP = " \u00a0\u202f\u2009\u2007"
_STOP = r"\s<>()\[\]{}«»\"'`“”„|"  # characters no link contains (as pages write them)
_TLDS = "kz|ru|com|org|net|gov|info|edu|io|int"
_URL = re.compile(
    rf"(?i)(?:https?://|www\.)[^{_STOP}]+"  # a link with its scheme (or www.)
    rf"|\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+"  # an e-mail address
    rf"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^{_STOP}]*)?")
_URL_TAIL = ".,;:!?…"

_RU_MONTHS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7,
              "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12}
_KK_MONTHS = {"қаңтар": 1, "ақпан": 2, "наурыз": 3, "сәуір": 4, "мамыр": 5, "маусым": 6,
              "шілде": 7, "тамыз": 8, "қыркүйек": 9, "қазан": 10, "қараша": 11,
              "желтоқсан": 12}
_MONTH = (r"(?:январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|"
          r"август[ае]?|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])(?![а-яё])"
          r"|(?:" + "|".join(_KK_MONTHS) + r")[а-яёәіңғүұқөһ]*")
_YEAR_WORD = r"(?:год[а-я]*|г\.|жыл[а-яәіңғүұқөһ]*|ж\.)"
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)")
# "2019 жылғы 1 қарашадан", "2019 ж. 1 қараша"
_YEAR_DAY_MONTH = re.compile(rf"(?i)(?<!\d)(\d{{4}})\s*{_YEAR_WORD}?\s*(\d{{1,2}})\s*({_MONTH})")
# "1 ноября 2019 года", "1-го ноября", "1 қараша 2019 ж."
_DAY_MONTH = re.compile(
    rf"(?i)(?<!\d)(\d{{1,2}})(?:-?(?:го|е|ші|шы|і|ы))?\s+({_MONTH})(?:\s+(\d{{4}})(?!\d))?")
_MONTH_YEAR = re.compile(rf"(?i)({_MONTH})\s+(\d{{4}})(?!\d)")  # "ноябрь 2019"
_YEAR = re.compile(rf"(?i)(?<!\d)(\d{{4}})\s*{_YEAR_WORD}")  # "с 2019 года", "2019 жылдан"

_LIST_MARKER = re.compile(r"(?m)^[ \t]*\d{1,3}[.)][ \t]")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_NUMBER = re.compile(
    rf"(?<![\d.,])(\d{{1,3}}(?:[{_GROUP}]\d{{3}})+(?![\d])|\d+)"  # grouped or plain digits
    r"(?:[.,](\d+))?"  # a decimal part, with a point or a comma
    rf"(?:[{_GROUP}]?(%))?")


def _month(word: str) -> int:
    word = word.lower()
    for stem, number in (*_KK_MONTHS.items(), *_RU_MONTHS.items()):
        if word.startswith(stem):
            return number
    raise ValueError(f"not a month: {word!r}")  # the patterns match only months


def _date(year: str | None, month: int, day: str | None) -> str | None:
    """ISO-like text of what is given, None when it is no calendar date."""
    if not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= int(day) <= 31:
        return None
    if year is not None and not 1900 <= int(year) <= 2100:
        return None
    parts = ([year] if year else []) + [f"{month:02d}"] + ([f"{int(day):02d}"] if day else [])
    return "-".join(parts) if year or day else None


def _number(digits: str, fraction: str | None, percent: str | None) -> str:
    whole = re.sub(f"[{_GROUP}]", "", digits).lstrip("0") or "0"
    text = whole
    if fraction is not None:
        try:
            text = format(Decimal(f"{whole}.{fraction}").normalize(), "f")
        except InvalidOperation:  # cannot happen for digits; keep the text as written
            text = f"{whole}.{fraction}"
    return text + ("%" if percent else "")


def _url(raw: str) -> str:
    url = raw.rstrip(_URL_TAIL)
    if "@" in url and "/" not in url:
        return "mailto:" + url.lower()
    url = re.sub(r"(?i)^https?://", "", url)
    url = re.sub(r"(?i)^www\.", "", url)
    host, slash, path = url.partition("/")
    return (host.lower() + slash + path).rstrip("/")


_DATES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (_ISO, lambda m: _date(m[1], int(m[2]), m[3])),
    (_DOTTED, lambda m: _date(m[3], int(m[2]), m[1])),
    (_YEAR_DAY_MONTH, lambda m: _date(m[1], _month(m[3]), m[2])),
    (_DAY_MONTH, lambda m: _date(m[3], _month(m[2]), m[1])),
    (_MONTH_YEAR, lambda m: _date(m[2], _month(m[1]), None)),
    (_YEAR, lambda m: m[1] if 1900 <= int(m[1]) <= 2100 else None),
)


def text_facts(text: str) -> tuple[set[str], set[str], set[str]]:
    """The numbers, dates and links of `text`, normalised (see the module docstring)."""
    urls: set[str] = set()
    dates: set[str] = set()
    numbers: set[str] = set()

    def link(match: re.Match[str]) -> str:
        found = _url(match.group(0))
        if found:
            urls.add(found)
        return " "

    text = _URL.sub(link, text)
    # The most specific forms first: a date's digits are not read again as a
    # shorter date or as numbers.
    for pattern, make in _DATES:
        def dated(match: re.Match[str], make=make) -> str:
            found = make(match)
            if found is None:  # not a calendar date: its digits stay numbers
                return match[0]
            dates.add(found)
            return " "

        text = pattern.sub(dated, text)
    text = _LIST_MARKER.sub(" ", text)

    def timed(match: re.Match[str]) -> str:
        hours, minutes = int(match[1]), int(match[2])
        if hours > 24 or minutes > 59:
            return match[0]
        numbers.add(f"{hours}:{minutes:02d}")
        return " "

    text = _TIME.sub(timed, text)
    for match in _NUMBER.finditer(text):
        numbers.add(_number(match[1], match[2], match[3]))
    return numbers, dates, urls


# -- the facts of one page ---------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """The material facts of one page in one language."""

    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    urls: frozenset[str] = frozenset()
    sections: tuple[str, ...] = ()  # the ## headings in order, as written

    def as_record(self) -> dict[str, list[str]]:
        """A JSON-ready form, the same for equal facts (sets sorted)."""
        return {"numbers": sorted(self.numbers), "dates": sorted(self.dates),
                "urls": sorted(self.urls), "sections": list(self.sections)}

    @classmethod
    def from_record(cls, record: object) -> Facts:
        """Facts from :meth:`as_record`'s form; ValueError naming the bad field."""
        if not isinstance(record, Mapping):
            raise ValueError(f"facts: expected an object, got {type(record).__name__}")
        values: dict[str, list[str]] = {}
        for name in ("numbers", "dates", "urls", "sections"):
            value = record.get(name, [])
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"facts: {name} is {type(value).__name__}, "
                                 "expected a list of strings")
            values[name] = value
        return cls(frozenset(values["numbers"]), frozenset(values["dates"]),
                   frozenset(values["urls"]), tuple(values["sections"]))

    def to_json(self) -> str:
        return json.dumps(self.as_record(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Facts:
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"facts: not JSON ({exc})") from None
        return cls.from_record(record)

    @property
    def digest(self) -> str:
        """sha256 of the facts: equal facts, equal digest."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def facts_of(summary: str, source_url: str, sections: Iterable[tuple[str, str]]) -> Facts:
    """The facts of a page given as its summary, source URL and (heading, text) sections."""
    sections = list(sections)
    text = "\n\n".join([summary, *(f"{heading}\n{body}" for heading, body in sections)])
    numbers, dates, urls = text_facts(text)
    if source_url.strip():
        urls.add(_url(source_url.strip()))
    return Facts(frozenset(numbers), frozenset(dates), frozenset(urls),
                 tuple(" ".join(heading.split()) for heading, _body in sections))


def page_facts(doc: Document) -> Facts:
    """The material facts of one corpus page (one language)."""
    return facts_of(doc.summary, doc.source_url, ((s.heading, s.text) for s in doc.sections))


def index_facts(index: LoadedIndex) -> dict[tuple[str, str], Facts]:
    """The facts of every knowledge page of a loaded build, by (topic id, lang);
    published answers, out-of-scope themes and passages are no pages to watch."""
    sections: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for chunk in index.chunks:
        if chunk.ordinal > 0:
            sections.setdefault((chunk.doc_id, chunk.lang), []).append(
                (chunk.ordinal, chunk.heading, chunk.text))
    out = {}
    for key, doc in index.documents.items():
        if doc.kind != DocKind.PAGE:
            continue
        parts = sorted(sections.get(key, []))
        out[key] = facts_of(doc.summary, doc.source_url, ((h, t) for _o, h, t in parts))
    return out


# -- what changed --------------------------------------------------------------------


class ChangeKind(StrEnum):
    """A kind of material change (stored, space-separated, with a change notice)."""

    NUMBER = "number"
    DATE = "date"
    URL = "url"
    SECTION_ADDED = "section+"
    SECTION_REMOVED = "section-"


@dataclass(frozen=True)
class Change:
    """One kind of material change and the values it concerns."""

    kind: ChangeKind
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __str__(self) -> str:
        values = [f"+{v}" for v in self.added] + [f"-{v}" for v in self.removed]
        return f"{self.kind}: {' '.join(values)}"


def _loose(heading: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", heading.casefold()).split())


RENAMED = 0.6  # similarity (difflib ratio) at which two headings are one section reworded


def _sections(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Headings (added, removed) from `old` to `new`. Headings are aligned in
    order; within a stretch that differs, as many as on both sides are the
    same sections reworded when their counts match, else paired by likeness."""
    a, b = [_loose(h) for h in old], [_loose(h) for h in new]
    added: list[str] = []
    removed: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            continue  # the same sections (reworded headings in a replace)
        left, right = list(range(i1, i2)), list(range(j1, j2))
        pairs = sorted(((difflib.SequenceMatcher(None, a[i], b[j]).ratio(), i, j)
                        for i in left for j in right), reverse=True)
        for ratio, i, j in pairs:
            if ratio >= RENAMED and i in left and j in right:
                left.remove(i)
                right.remove(j)
        removed.extend(old[i] for i in left)
        added.extend(new[j] for j in right)
    return added, removed


def material_changes(old: Facts, new: Facts) -> list[Change]:
    """What changed materially from `old` to `new` (empty: nothing a citizen
    acts on; a typo fix or reworded text with the same facts)."""
    changes = []
    for kind, before, after in ((ChangeKind.NUMBER, old.numbers, new.numbers),
                                (ChangeKind.DATE, old.dates, new.dates),
                                (ChangeKind.URL, old.urls, new.urls)):
        if before != after:
            changes.append(Change(kind, tuple(sorted(after - before)),
                                  tuple(sorted(before - after))))
    added, removed = _sections(old.sections, new.sections)
    if added:
        changes.append(Change(ChangeKind.SECTION_ADDED, tuple(added)))
    if removed:
        changes.append(Change(ChangeKind.SECTION_REMOVED, removed=tuple(removed)))
    return changes
