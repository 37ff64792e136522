"""The material facts of a page, and what changed between two versions of them.

A citizen acts on a page's numbers (a fee, an age, a term, a phone), its
dates, its links and what its sections cover; a reworded sentence or a
corrected typo changes none of that. :func:`page_facts` extracts those facts
from one page in one language, normalised so that writing them differently is
no change:

- numbers: group separators dropped ("1 000" = "1000" = "1 000"), a decimal
  comma is a point ("2,5" = "2.5"), a percent sign is kept whatever the space
  before it ("50 %" = "50%"), a time is ``h:mm``, a Kazakhstan phone number
  is ``tel:7`` and its ten digits ("8 800 080 7777" = "+7 800 080-77-77");
  the markers of a numbered list are structure, not facts;
- dates: ISO ``YYYY-MM-DD`` (or ``MM-DD``, ``YYYY-MM``, ``YYYY`` for what the
  text gives), from "2019-11-01", "01.11.2019", "1 ноября 2019 года",
  "2019 жылғы 1 қарашадан", "15 қыркүйегінен", "ноябрь 2019", "2019 жылғы
  қараша", "с 2019 года"; the digits of a date are not also counted as numbers;
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

These are also the rules :mod:`.audit` compares a topic's Kazakh and Russian
pages by (the same fact written in either language reads the same), so one
module reads numbers, dates and links from page text. Facts record the
version of the rules they were read by (:data:`RULES`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING

from .pages import DocKind, Document

if TYPE_CHECKING:
    from .index import LoadedIndex

__all__ = ["RULES", "Change", "ChangeKind", "Facts", "index_facts", "material_changes",
           "normal_link", "page_facts", "spelt", "text_facts"]

# -- what is extracted -------------------------------------------------------------

# Spaces that group digits: the plain space, no-break space, narrow no-break
# space, thin space and figure space.
_GROUP = " \u00a0\u202f\u2009\u2007"
_SP = f"[{_GROUP}]"  # a space within one line (a day and its month, a phone's groups)
# Between a date's parts: a space, or the line break of hard-wrapped text.
_DSP = f"[{_GROUP}\n]"
_STOP = r"\s<>()\[\]{}«»\"'`“”„|"  # characters no link contains (as pages write them)
_TLDS = "kz|ru|com|org|net|gov|info|edu|io|int"
_URL = re.compile(
    rf"(?i)(?:https?://|www\.)[^{_STOP}]+"  # a link with its scheme (or www.)
    rf"|\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+"  # an e-mail address
    rf"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^{_STOP}]*)?")
_URL_TAIL = ".,;:!?…"
# A Kazakhstan phone number: +7 or 8, then ten digits in groups («8 800 080 7777»,
# «+7 800 080-77-77», «8 (7172) 74-00-00»); fewer or more digits are numbers.
_PHONE = re.compile(rf"(?<![\d+])(?:\+7|8)(?:{_SP}|-)*\(?\d{{3,4}}\)?(?:(?:{_SP}|-)*\d){{6,7}}"
                    r"(?!\d)")
PHONE_DIGITS = 10  # after the +7 or 8

# The months, each as its Russian and its Kazakh stem: a Russian month in the
# forms it takes after a day or before a year («марта», «май», «сентябре»), a
# Kazakh one with any ending («наурызға», «қыркүйегінен»: к turns г before a vowel).
MONTHS = (("январ[ьяе]", "қаңтар"), ("феврал[ьяе]", "ақпан"), ("март[ае]?", "наурыз"),
          ("апрел[ьяе]", "сәуір"), ("ма[йяе]", "мамыр"), ("июн[ьяе]", "маусым"),
          ("июл[ьяе]", "шілде"), ("август[ае]?", "тамыз"), ("сентябр[ьяе]", "қыркүйе[кг]"),
          ("октябр[ьяе]", "қазан"), ("ноябр[ьяе]", "қараша"), ("декабр[ьяе]", "желтоқсан"))
RU_MONTH = "(?:" + "|".join(ru for ru, _kk in MONTHS) + ")(?![а-яё])"
KK_MONTH = "(?:" + "|".join(kk for _ru, kk in MONTHS) + ")[а-яёәіңғүұқөһ]*"
_MONTH = "|".join(f"(?P<m{i}>{ru}(?![а-яё])|{kk}[а-яёәіңғүұқөһ]*)"
                  for i, (ru, kk) in enumerate(MONTHS, start=1))
_YEAR_WORD = r"(?:год[а-я]*|г\.|жыл[а-яәіңғүұқөһ]*|ж\.)"
_Y = r"(?:19|20)\d\d"  # a year a page states as one: 1900-2099
_ORDINAL = r"(?:-?(?:го|е|інші|ыншы|ші|шы|і|ы))?"  # «31-го марта», «31-інші наурыз»
_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")
_DOTTED = re.compile(r"(?<![\d.])(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})(?!\d)")
# "2019 жылғы 1 қарашадан", "2019 ж. 1 қараша"
_YEAR_DAY_MONTH = re.compile(rf"(?i)(?<!\d)(?P<y>{_Y})(?:{_DSP}*{_YEAR_WORD}{_DSP}*|{_DSP}+)"
                             rf"(?P<d>\d{{1,2}}){_ORDINAL}{_DSP}+(?:{_MONTH})")
# "1 ноября 2019 года", "1-го ноября", "31 наурызға", "1 қараша 2019 ж."
_DAY_MONTH = re.compile(rf"(?i)(?<![\d.,])(?P<d>\d{{1,2}}){_ORDINAL}{_DSP}+(?:{_MONTH})"
                        rf"(?:{_DSP}+(?P<y>{_Y})(?!\d))?")
_MONTH_YEAR = re.compile(rf"(?i)(?:{_MONTH}){_DSP}+(?P<y>{_Y})(?!\d)")  # "ноябрь 2019"
# "2019 жылғы қараша", "2019 ж. қарашада"
_YEAR_MONTH = re.compile(rf"(?i)(?<!\d)(?P<y>{_Y}){_DSP}*{_YEAR_WORD}{_DSP}*(?:{_MONTH})")
_YEAR = re.compile(rf"(?i)(?<!\d)(?P<y>{_Y}){_DSP}*{_YEAR_WORD}")  # "с 2019 года", "2019 жылдан"
# The most specific forms first: a date's digits are not read again as a
# shorter date or as numbers.
_DATES = (_ISO, _DOTTED, _YEAR_DAY_MONTH, _DAY_MONTH, _MONTH_YEAR, _YEAR_MONTH, _YEAR)

# «1. », «1.», «1)» at a line's start: structure, not a number (not «1.5»).
_LIST_MARKER = re.compile(r"(?m)^[ \t]*\d{1,3}[.)](?!\d)")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_NUMBER = re.compile(
    rf"(?<![\d.,])(\d{{1,3}}(?:[{_GROUP}]\d{{3}})+(?![\d])|\d+)"  # grouped or plain digits
    r"(?:[.,](\d+))?"  # a decimal part, with a point or a comma
    rf"(?:[{_GROUP}]?(%))?")

# Numbers 1-10 spelt as words (cardinal forms as they occur in running text;
# not «семью», which is mostly «family»; not «үшін», «for»).
_SPELT: dict[str, dict[int, str]] = {
    "ru": {
        1: r"од(ин|на|но|ного|ной|ному|ним|ну|ни)", 2: r"(два|две|двух|двум|двумя)",
        3: r"(три|тр[её]х|тр[её]м|тремя)", 4: r"(четыре|четыр[её]х|четыр[её]м|четырьмя)",
        5: r"(пять|пяти|пятью)", 6: r"(шесть|шести|шестью)", 7: r"(семь|семи)",
        8: r"(восемь|восьми|восемью)", 9: r"(девять|девяти|девятью)",
        10: r"(десять|десяти|десятью)",
    },
    "kk": {
        1: r"бір(еу|ден)?", 2: r"екі(ден|уі)?", 3: r"үш(еу|тен)?", 4: r"төрт(еу|тен)?",
        5: r"бес(еу|тен)?", 6: r"алты(дан)?", 7: r"жеті(ден)?", 8: r"сегіз(ден)?",
        9: r"тоғыз(дан)?", 10: r"он(нан)?",
    },
}
_SPELT_RE = {lang: {n: re.compile(rf"(?<!\w){p}(?!\w)", re.I) for n, p in table.items()}
             for lang, table in _SPELT.items()}


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


def _dated(match: re.Match[str]) -> str | None:
    """The date one of the `_DATES` patterns matched, None when it is none."""
    groups = match.groupdict()
    if groups.get("m"):
        month = int(groups["m"])
    else:  # a month's name: the one named group m1..m12 that matched
        month = next((int(k[1:]) for k, v in groups.items() if k[1:].isdigit() and v), 0)
    if not month:  # a year alone
        return groups["y"] if 1900 <= int(groups["y"]) <= 2100 else None
    return _date(groups.get("y"), month, groups.get("d"))


def _number(digits: str, fraction: str | None, percent: str | None) -> str:
    whole = re.sub(f"[{_GROUP}]", "", digits).lstrip("0") or "0"
    text = whole
    if fraction is not None:
        try:
            text = format(Decimal(f"{whole}.{fraction}").normalize(), "f")
        except InvalidOperation:  # cannot happen for digits; keep the text as written
            text = f"{whole}.{fraction}"
    return text + ("%" if percent else "")


def normal_link(raw: str) -> str:
    """A link as the facts state it: an e-mail as ``mailto:`` in lower case,
    else without scheme, ``www.`` and trailing punctuation or slash (also
    before a query: ``x/?lang=ru`` is ``x?lang=ru``), the host in lower case;
    "" for no link."""
    url = raw.strip().rstrip(_URL_TAIL)
    if "@" in url and "/" not in url:
        return "mailto:" + url.lower().removeprefix("mailto:")
    url = re.sub(r"(?i)^https?://", "", url)
    url = re.sub(r"(?i)^www\.", "", url)
    host, slash, path = url.partition("/")
    path, mark, query = path.partition("?")
    return (host.lower() + slash + path).rstrip("/") + mark + query


def text_facts(text: str) -> tuple[set[str], set[str], set[str]]:
    """The numbers, dates and links of `text`, normalised (see the module
    docstring). A phone number is one number, ``tel:`` and its eleven digits
    (``tel:77172740000``); the digits of a link, a phone or a date are not
    also read as numbers."""
    urls: set[str] = set()
    dates: set[str] = set()
    numbers: set[str] = set()

    def link(match: re.Match[str]) -> str:
        found = normal_link(match.group(0))
        if found:
            urls.add(found)
        return " "

    def phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())[1:]  # after the 7 of +7, or the 8
        if len(digits) != PHONE_DIGITS:
            return match.group()  # no phone number: its digits are numbers
        numbers.add("tel:7" + digits)
        return " "

    def dated(match: re.Match[str]) -> str:
        found = _dated(match)
        if found is None:  # not a calendar date: its digits stay numbers
            return match[0]
        dates.add(found)
        return " "

    def timed(match: re.Match[str]) -> str:
        hours, minutes = int(match[1]), int(match[2])
        if hours > 24 or minutes > 59:
            return match[0]
        numbers.add(f"{hours}:{minutes:02d}")
        return " "

    text = _URL.sub(link, text)
    text = _PHONE.sub(phone, text)
    for pattern in _DATES:
        text = pattern.sub(dated, text)
    text = _LIST_MARKER.sub(" ", text)
    text = _TIME.sub(timed, text)
    for match in _NUMBER.finditer(text):
        numbers.add(_number(match[1], match[2], match[3]))
    return numbers, dates, urls


def spelt(text: str, lang: str) -> set[str]:
    """The numbers 1-10 `text` spells as words in `lang` («две недели» is 2).

    Not page facts: «один из документов» states no number, so a page's facts
    do not count them; the audit reads them to excuse a small number one
    language writes in digits and the other in words."""
    return {str(n) for n, regex in _SPELT_RE.get(lang, {}).items() if regex.search(text)}


# -- the facts of one page ---------------------------------------------------------


# The version of the rules above. Facts are stored between builds (the
# answer-change notice compares a build with what it stored): facts read by
# other rules are not compared, or a better rule would read as a change of
# every page it reads differently. 1: the rules before phone numbers, Kazakh
# September forms and year-month dates (records without "rules").
RULES = 2


@dataclass(frozen=True)
class Facts:
    """The material facts of one page in one language."""

    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    urls: frozenset[str] = frozenset()
    sections: tuple[str, ...] = ()  # the ## headings in order, as written
    rules: int = RULES  # the version of the rules they were read by

    def as_record(self) -> dict[str, list[str] | int]:
        """A JSON-ready form, the same for equal facts (sets sorted)."""
        return {"numbers": sorted(self.numbers), "dates": sorted(self.dates),
                "urls": sorted(self.urls), "sections": list(self.sections),
                "rules": self.rules}

    @classmethod
    def from_record(cls, record: object) -> Facts:
        """Facts from :meth:`as_record`'s form; ValueError naming the bad field.
        A record without "rules" was stored before they had versions: rules 1."""
        if not isinstance(record, Mapping):
            raise ValueError(f"facts: expected an object, got {type(record).__name__}")
        values: dict[str, list[str]] = {}
        for name in ("numbers", "dates", "urls", "sections"):
            value = record.get(name, [])
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"facts: {name} is {type(value).__name__}, "
                                 "expected a list of strings")
            values[name] = value
        rules = record.get("rules", 1)
        if not isinstance(rules, int) or isinstance(rules, bool) or rules < 1:
            raise ValueError(f"facts: rules is {rules!r}, expected a version number from 1")
        return cls(frozenset(values["numbers"]), frozenset(values["dates"]),
                   frozenset(values["urls"]), tuple(values["sections"]), rules)

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
        urls.add(normal_link(source_url))
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
    acts on; a typo fix or reworded text with the same facts). Facts read by
    other rules (see RULES) are not compared: empty too, and the page's facts
    are stored again by the new rules without a notice."""
    if old.rules != new.rules:
        return []
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
