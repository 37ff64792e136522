"""What in the knowledge base needs a human: one report over every page.

:func:`audit` reads a knowledge folder (or a loaded :class:`~.corpus.Corpus`)
and returns one :class:`AuditProblem` per thing to fix or look at, each with
the topic id, the language (empty when the problem lies between the Kazakh
and the Russian page, or in no page), its kind and a detail that says where.

Kinds and their levels (an error is something a human must fix before the
content can be trusted; ``saual audit`` exits 1 when there is one):

=================  =======  ==================================================
kind               level    what
=================  =======  ==================================================
number-mismatch    error    a number one language states and the other does not
url-mismatch       error    a link (in the text or ``source_url``) in one only
section-mismatch   error    a different number of ``##`` sections, or a topic
                            with no page in one language
generic-url        error    ``source_url`` is a bare domain or an agency's home
                            page, and no ``source_note`` says why
dead-reference     error    an agency, category or topic id that does not
                            exist (pages, ``verified_by``, catalogue topics,
                            near misses, out-of-scope themes)
invalid            error    a file the loader refuses for another reason (its
                            path, line and reason): the other checks still run
                            on every page that parses
stale-year         warning  a past year stated as the current campaign or
                            deadline («приём заявок до 31 марта 2025 года»);
                            a heuristic on prose, so it asks for a look
overdue-review     warning  verified longer ago than ``review_days``
unverified         info     ``status: draft``: no agency has confirmed the page
=================  =======  ==================================================

Numbers, dates and links are read by :mod:`.facts` (one set of rules for the
audit and the answer-change notice) and compared per page, as sets, so that
what differs by language only is the same: thousand separators (``1 000``,
``1 000``, ``1000``), the decimal comma, ``50 %`` and ``50%`` (not ``50``),
times (``9:00``), numeric dates and dates with a month name (``26.03.2015``,
``26 марта 2015``, ``2015 жылғы 26 наурыз``: the audit compares a date's day
of the month and its year apart, as one language may state the year apart
from the day), phone numbers (``8 800 080 7777`` = ``+7 800 080-77-77``);
the markers of a numbered list are no numbers. Links (web links, web
addresses, e-mail addresses) are compared without their scheme, ``www.`` and
language markers (``/kk/``, ``/rus/``, ``?lang=ru``).
A number from 1 to 10 that one language writes in digits and the other
spells as a word («бір», «один», «екі», «две»...) counts as the same: small
numbers are often spelt out in one language only, and a flood of such
reports would hide the real ones. Keywords and example questions are search
aids written per language and are not compared.

The loader (:func:`~.corpus.load_knowledge`) refuses a knowledge folder with
a dead reference or a missing page; the audit catches its
:class:`~.errors.CorpusError`, reports the problems it tags with a
:class:`~.errors.Ref` as ``dead-reference`` or ``section-mismatch`` and every
other as ``invalid``, then reads each page on its own so that the content
checks still run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from .agencies import Agency, load_agencies
from .corpus import Corpus, load_knowledge
from .errors import CorpusError, Problem, Ref
from .facts import KK_MONTH, RU_MONTH, normal_link, spelt, text_facts
from .langs import LANGS, Lang, other
from .pages import DocKind, Document, PageStatus, read_page

REVIEW_DAYS = 180  # a verified page is due for another look after this many days


class AuditKind(StrEnum):
    """What an audit problem is (see the module docstring for each)."""

    NUMBER_MISMATCH = "number-mismatch"
    URL_MISMATCH = "url-mismatch"
    SECTION_MISMATCH = "section-mismatch"
    GENERIC_URL = "generic-url"
    DEAD_REFERENCE = "dead-reference"
    INVALID = "invalid"
    STALE_YEAR = "stale-year"
    OVERDUE_REVIEW = "overdue-review"
    UNVERIFIED = "unverified"


class AuditLevel(StrEnum):
    ERROR = "error"  # must be fixed: `saual audit` exits 1
    WARNING = "warning"  # worth a look: a heuristic, or a review that is due
    INFO = "info"  # known and expected (draft pages), listed for the record


LEVELS: dict[AuditKind, AuditLevel] = {
    AuditKind.NUMBER_MISMATCH: AuditLevel.ERROR,
    AuditKind.URL_MISMATCH: AuditLevel.ERROR,
    AuditKind.SECTION_MISMATCH: AuditLevel.ERROR,
    AuditKind.GENERIC_URL: AuditLevel.ERROR,
    AuditKind.DEAD_REFERENCE: AuditLevel.ERROR,
    AuditKind.INVALID: AuditLevel.ERROR,
    AuditKind.STALE_YEAR: AuditLevel.WARNING,
    AuditKind.OVERDUE_REVIEW: AuditLevel.WARNING,
    AuditKind.UNVERIFIED: AuditLevel.INFO,
}


MAX_DETAIL = 1000  # characters: a page full of numbers must not make a report unreadable


@dataclass(frozen=True, order=True)
class AuditProblem:
    """One thing in the knowledge that needs a human. The detail quotes the
    knowledge files, which anyone may have edited: it is cut to MAX_DETAIL
    characters and holds no control character (a terminal escape sequence in
    a page must not reach a maintainer's terminal)."""

    id: str  # topic id (or theme id, or the file's name when no topic is concerned)
    lang: str  # "kk" or "ru"; "" when it lies between the two pages or in no page
    kind: AuditKind
    detail: str  # what and where, in English, for a maintainer

    def __post_init__(self) -> None:
        for name in ("id", "lang", "detail"):
            value = "".join(ch if ch.isprintable() else "\ufffd" for ch in getattr(self, name))
            if len(value) > MAX_DETAIL:
                value = value[: MAX_DETAIL - 1] + "…"
            object.__setattr__(self, name, value)

    @property
    def level(self) -> AuditLevel:
        return LEVELS[self.kind]

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "lang": self.lang, "kind": str(self.kind),
                "detail": self.detail, "level": str(self.level)}


def count_kinds(problems: Iterable[AuditProblem]) -> dict[str, int]:
    """How many problems of each kind, every kind listed (0 when none)."""
    found = Counter(p.kind for p in problems)
    return {str(kind): found[kind] for kind in AuditKind}


def has_errors(problems: Iterable[AuditProblem]) -> bool:
    return any(p.level == AuditLevel.ERROR for p in problems)


# ---------------------------------------------------------------------------
# Review: who has to look at a page again


@dataclass(frozen=True)
class ReviewDue:
    """A topic whose pages an agency has to (re)confirm."""

    id: str
    agency: str  # the agency the pages name (the Russian page's when they differ)
    kind: AuditKind  # UNVERIFIED when a page is a draft, else OVERDUE_REVIEW
    langs: tuple[str, ...]  # the languages whose page is due
    verified_on: str  # the oldest verification date of a due page; "" for a draft


def review_kind(verified: bool, verified_on: str, today: dt.date,
                review_days: int = REVIEW_DAYS) -> AuditKind | None:
    """UNVERIFIED for what no agency has confirmed, OVERDUE_REVIEW for what was
    confirmed on `verified_on` more than `review_days` days before `today`,
    else None: the one rule of the audit, the staff's /review list and the
    weekly digest."""
    if not verified or not verified_on:
        return AuditKind.UNVERIFIED
    if (today - dt.date.fromisoformat(verified_on)).days > review_days:
        return AuditKind.OVERDUE_REVIEW
    return None


def review_state(doc: Document, today: dt.date, review_days: int = REVIEW_DAYS
                 ) -> AuditKind | None:
    """:func:`review_kind` of one page, from its front matter."""
    return review_kind(doc.status == PageStatus.VERIFIED, doc.verified_on, today, review_days)


def due_for_review(documents: Iterable[Document], *, today: dt.date,
                   review_days: int = REVIEW_DAYS) -> list[ReviewDue]:
    """The topics (knowledge pages only) with a draft page or a page verified
    longer than `review_days` ago, by topic id: what the staff's review list
    and the weekly digest show."""
    by_topic: dict[str, list[tuple[Document, AuditKind]]] = {}
    agency: dict[str, str] = {}
    for doc in documents:
        if doc.kind != DocKind.PAGE:
            continue
        if doc.id not in agency or doc.lang == Lang.RU:
            agency[doc.id] = doc.agency
        state = review_state(doc, today, review_days)
        if state is not None:
            by_topic.setdefault(doc.id, []).append((doc, state))
    out = []
    for tid, due in sorted(by_topic.items()):
        kind = (AuditKind.UNVERIFIED if any(k == AuditKind.UNVERIFIED for _, k in due)
                else AuditKind.OVERDUE_REVIEW)
        dates = sorted(d.verified_on for d, k in due if k == AuditKind.OVERDUE_REVIEW)
        out.append(ReviewDue(tid, agency[tid], kind, tuple(sorted(d.lang for d, _ in due)),
                             "" if kind == AuditKind.UNVERIFIED else dates[0]))
    return out


# ---------------------------------------------------------------------------
# Links and numbers, as compared between the languages (read by .facts)

_LANG_SEGMENT = re.compile(r"/(?:kk|kz|kaz|ru|rus)(?=/|$)")
_LANG_QUERY = re.compile(r"\blang=(?:kk|kz|ru)\b")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")


def general_source(url: str, agencies: Mapping[str, Agency]) -> bool:
    """A bare domain or an agency's home page: not the page of a service."""
    home = {a.website.split("?")[0].rstrip("/") for a in agencies.values()}
    return urlsplit(url).path.strip("/") == "" or url.split("?")[0].rstrip("/") in home


def link_key(url: str) -> str:
    """A link as compared between the languages: the Kazakh and the Russian
    version of one official page differ only by a language marker
    (``/kk/``, ``/rus/``, ``?lang=ru``), besides what :func:`~.facts.normal_link`
    drops (the scheme, ``www.``, letter case of the host, a final slash). A
    web link is shown as an ``https://`` link; "" for no link."""
    link = normal_link(url)
    if not link or link.startswith("mailto:"):
        return link
    host, slash, rest = link.partition("/")
    path, _, query = (slash + rest).partition("?")
    path = _LANG_SEGMENT.sub("/*", path).rstrip("/")
    query = _LANG_QUERY.sub("lang=*", query)
    return f"https://{host}{path}" + (f"?{query}" if query else "")


def links(text: str) -> set[str]:
    """The links of a text (web links, web addresses, e-mail addresses), as
    :func:`link_key` compares them."""
    return {link_key(u) for u in text_facts(text)[2]}


def numbers(text: str) -> set[str]:
    """The numbers a text states (:func:`~.facts.text_facts`), its dates split
    into a day of a month (``31 Mar``) and a year (``2025``): one language may
    state the year apart from the day («до 31 марта 2025 года», «2025 жылы ...
    31 наурызға дейін»), so each is compared on its own. A month without a day
    counts by its year only."""
    found, dates, _links = text_facts(text)
    for date in dates:
        parts = date.split("-")
        if len(parts[0]) == 4:
            found.add(parts.pop(0))
        if len(parts) == 2:
            found.add(f"{int(parts[1])} {_MONTH_NAMES[int(parts[0]) - 1]}")
    return found


# ---------------------------------------------------------------------------
# Stale years

_YEAR = r"(?P<y{}>(?:19|20)\d\d)"  # a year; the alternatives of a pattern number theirs
# A deadline: «до 31 марта 2025 года», «не позднее 01.02.2025», «2025 жылғы 31
# наурызға дейін», «2025 жылға дейін».
_DEADLINE = {
    Lang.RU: re.compile(r"\b(?:до|по|не\s+позднее|не\s+позже)\s+(?:\d{1,2}\s+"
                        + RU_MONTH + r"\s+|\d{1,2}\.\d{1,2}\.)?" + _YEAR.format(1)
                        + r"(?!\d)", re.I),
    Lang.KK: re.compile(r"(?<![\d.])" + _YEAR.format(1) + r"\s*ж(?:ылғы|\.)?\s+(?:\d{1,2}\s+)?"
                        + KK_MONTH + r"(?:ға|ге|қа|ке)\s+дейін(?!\w)|(?<![\d.])"
                        + _YEAR.format(2) + r"\s*жылға\s+дейін(?!\w)", re.I),
}
# The year of a campaign: «в 2025 году», «на 2025 год», «2025–2026 учебный год»,
# «2025 жылы», «2025 жылға», «2025–2026 оқу жылы».
_CAMPAIGN_YEAR = {
    Lang.RU: re.compile(r"\b(?:в|на)\s+" + _YEAR.format(1) + r"\s*(?:году|год\b|г\.)|(?<!\d)"
                        + _YEAR.format(2) + r"\s*[-–/]\s*(?:19|20)\d\d\s+учебн", re.I),
    Lang.KK: re.compile(r"(?<![\d.])" + _YEAR.format(1) + r"\s*(?:жылы|жылға)\b|(?<!\d)"
                        + _YEAR.format(2) + r"\s*[-–/]\s*(?:19|20)\d\d\s+оқу\s+жыл", re.I),
}
# Words of a current action (present, future, imperative, infinitive): applying,
# accepting, a campaign that runs. A deadline needs one of them within a few
# words, a campaign year anywhere in its sentence.
_ACTION = {
    Lang.RU: re.compile(r"\b(при[её]м\w*|принима\w*|подать|пода[её]т\w*|подают\w*|подач\w*"
                        r"|заявк\w*|успе\w*|оплатит\w*|оплачива\w*|сдать|сда[её]т\w*"
                        r"|зарегистрир\w*|регистрир\w*|обратит\w*|необходимо|нужно|надо"
                        r"|должн\w*|продлится|продлят|стартует|начн[её]тся|начинается"
                        r"|завершится|заканчивается|проводится|проходит|пройд[её]т|открыт\w*"
                        r"|выделя\w*|квот\w*)\b", re.I),
    Lang.KK: re.compile(r"(қабылда\w*|өтініш\w*|тапсыр\w*|үлгер\w*|төлеу\w*|төлеңіз|төленеді"
                        r"|тірке\w*|жүгін\w*|рәсімде\w*|қажет|керек|тиіс\w*|жүргізіледі|өтеді|басталады"
                        r"|аяқталады|ашық|ашылады|бөлінеді|квота\w*)", re.I),
}
# A sentence that tells of the past: what was, not what is.
_PAST = {
    Lang.RU: re.compile(r"\b(был|была|было|были|проводил\w*|принимал\w*|действовал\w*"
                        r"|прош[её]л|прошла|прошли|проходил\w*|завершил\w*|закончил\w*"
                        r"|ист[её]к\w*|работал\w*|выдавал\w*|оформлял\w*|начал\w*)\b", re.I),
    Lang.KK: re.compile(r"(болды|болған|өтті|өткізілді|жүргізілді|қабылданды|аяқталды"
                        r"|басталды|сынал\w*|істеген|істеді|тоқтатылды|берілді)", re.I),
}
# A legal act's date, not a campaign: «приказ от 24.04.2020 № 82», «Закон от
# 2020 года», «2025 жылғы 17 қарашадағы № 923 бұйрық», «(в редакции 2025 года)».
_ACT = {
    Lang.RU: re.compile(r"(приказ|постановлени|закон|кодекс|правил|указ|решени|редакци"
                        r"|поправк|утвержд|№)", re.I),
    Lang.KK: re.compile(r"(бұйрық|қаулы|заң|кодекс|қағида|жарлық|шешім|редакци|түзету"
                        r"|бекіт|№)", re.I),
}
# «с 2025 года», «С 11 августа 2025 года», «со 2 мая 2025», «2025 жылдан бастап»:
# since when something holds, not a campaign of that year.
_SINCE = {
    Lang.RU: re.compile(rf"\b(?:с|со|начиная\s+с)\s+(?:\d{{1,2}}\s+)?(?:{RU_MONTH}\s+)?$",
                        re.I),
    Lang.KK: re.compile(r"^\s*(?:ж(?:ыл)?(?:дан|ғы)?\.?\s+)?(?:\d{1,2}\s+)?\w*(?:дан|ден|тан"
                        r"|тен|нан|нен)\b|^[^.]{0,40}бастап", re.I),
}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_WINDOW = 6  # words around a deadline where its action must be
# A date that qualifies a thing rather than bounds an action: «ввезённые до 25
# марта 2025 года», «купленная до...», «25 наурызға дейін әкелінген»; an
# extension («продлён до...») is a deadline all the same.
_QUALIFIED = {
    Lang.RU: re.compile(r"(?<!\w)(?!продл)\w+(?:нн\w*|вш\w*|[её]н[аоы]?)[\s,]*$", re.I),
    Lang.KK: re.compile(r"^[\s,]*\w+(?:ған|ген|қан|кен)\w*", re.I),
}


def _words_around(sentence: str, start: int, end: int) -> str:
    before = sentence[max(0, start - 40 * _WINDOW) : start].split()[-_WINDOW:]
    after = sentence[end : end + 40 * _WINDOW].split()[:_WINDOW]
    return " ".join([*before, sentence[start:end], *after])


def stale_years(text: str, lang: str, today: dt.date) -> list[str]:
    """The sentences of `text` (in `lang`) that state a year before `today`'s
    as the current campaign or deadline, each cut to at most 160 characters.

    A past year counts when it is a deadline («до 31 марта 2025 года»,
    «2025 жылғы 31 наурызға дейін») with a word of applying or accepting
    within six words, or the year of a campaign («в 2025 году», «2025 жылы»)
    in a sentence with such a word; never when the sentence tells of the
    past («был», «прошли», «өтті»...), when the year says since when
    («с 2025 года», «2025 жылдан бастап»), or when it is a legal act's date
    (an act's name or «№» within 40 characters before or 25 after)."""
    if lang not in _DEADLINE:
        return []
    out = []
    for sentence in _SENTENCE.split(text):
        if _PAST[lang].search(sentence) or not _ACTION[lang].search(sentence):
            continue  # (a sentence without a word of action has no stale campaign)
        for pattern, near in ((_DEADLINE[lang], True), (_CAMPAIGN_YEAR[lang], False)):
            hit = next((m for m in pattern.finditer(sentence)
                        if _stale_match(sentence, m, lang, today, near)), None)
            if hit is not None:
                out.append(_cut(sentence, hit.start(), hit.end()))
                break
    return out


def _stale_match(sentence: str, match: re.Match, lang: str, today: dt.date, near: bool) -> bool:
    group = "y1" if match.group("y1") else "y2"
    year = int(match.group(group))
    if not 1990 <= year < today.year:
        return False
    start, end = match.start(), match.end()
    if _ACT[lang].search(sentence[max(0, start - 40) : end + 25]):
        return False
    if lang == Lang.RU and _SINCE[lang].search(sentence[:start][-30:]):
        return False
    if lang == Lang.KK and _SINCE[lang].search(sentence[match.end(group) : end + 40]):
        return False
    # (Both read a few words only: a page's text may be anything, even one
    # endless "word" that would make a backtracking regex crawl.)
    if near and (_QUALIFIED[Lang.RU].search(sentence[max(0, start - 40) : start])
                 if lang == Lang.RU else _QUALIFIED[Lang.KK].search(sentence[end : end + 40])):
        return False
    return not near or bool(_ACTION[lang].search(_words_around(sentence, start, end)))


def _cut(sentence: str, start: int, end: int, width: int = 160) -> str:
    sentence = " ".join(sentence.split())
    if len(sentence) <= width:
        return sentence
    middle = (start + end) // 2
    lo = max(0, min(middle - width // 2, len(sentence) - width))
    return ("…" if lo else "") + sentence[lo : lo + width].strip() + "…"


# ---------------------------------------------------------------------------
# The audit


@dataclass
class _Pages:
    """What the page checks need: every knowledge page that parses, the agencies,
    and the problems the loader refused the folder for (none for a Corpus)."""

    pages: list[Document]
    agencies: dict[str, Agency]
    refused: list[Problem]
    root: Path | None = None


def audit(knowledge: Path | str | Corpus, *, today: dt.date,
          review_days: int = REVIEW_DAYS) -> list[AuditProblem]:
    """Every problem of a knowledge folder (or of a corpus already loaded), by
    topic, language and kind: what a human has to fix or look at."""
    found = _read(knowledge)
    problems = [_refused(p, found.root) for p in found.refused]
    by_topic: dict[str, dict[str, Document]] = {}
    for doc in found.pages:
        by_topic.setdefault(doc.id, {}).setdefault(doc.lang, doc)
        problems += _page_problems(doc, found.agencies, today, review_days)
    for tid, pair in sorted(by_topic.items()):
        if len(pair) == len(LANGS):
            problems += _pair_problems(tid, pair[Lang.KK], pair[Lang.RU])
    order = list(AuditKind)  # errors first, then warnings, then information
    return sorted(set(problems), key=lambda p: (order.index(p.kind), p.id, p.lang, p.detail))


def _read(knowledge: Path | str | Corpus) -> _Pages:
    if isinstance(knowledge, Corpus):
        return _Pages([d for d in knowledge.documents if d.kind == DocKind.PAGE],
                      dict(knowledge.agencies), [])
    root = Path(knowledge)
    try:
        corpus = load_knowledge(root)
    except CorpusError as exc:
        refused = exc.problems
    else:
        return _Pages([d for d in corpus.documents if d.kind == DocKind.PAGE],
                      dict(corpus.agencies), [], root)
    # Read what can be read, page by page, so the content checks still run; the
    # loader already reported every problem of these files (ignored here).
    scratch: list[Problem] = []
    agencies = load_agencies(root / "agencies.yaml", scratch)
    pages = []
    for path in sorted((root / "pages").rglob("*.md")) if root.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        doc = read_page(text, str(path), scratch)
        if doc is not None and path.name == f"{doc.id}.{doc.lang}.md":
            pages.append(doc)
    return _Pages(pages, agencies, refused, root)


def _where(path: str, root: Path | None) -> str:
    if root is not None:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            pass
    return path


def _refused(problem: Problem, root: Path | None) -> AuditProblem:
    """A problem the loader refused the folder for, as an audit problem."""
    where = _where(problem.path, root)
    name = Path(problem.path).name
    stem, _, lang = name.removesuffix(".md").rpartition(".")
    if name.endswith(".md") and lang in LANGS:
        tid = stem
    else:
        tid, lang = (problem.field.split(".")[0] or name), ""
    located = f"{where}:{problem.line}" if problem.line else where
    detail = f"{located}: [{problem.field}] {problem.reason}" if problem.field \
        else f"{located}: {problem.reason}"
    if problem.ref == Ref.PAGE:  # reported at the page that exists
        return AuditProblem(tid, str(other(lang)), AuditKind.SECTION_MISMATCH,
                            f"no {other(lang)} page (only {where})")
    if problem.ref is not None:
        return AuditProblem(tid, lang, AuditKind.DEAD_REFERENCE, detail)
    return AuditProblem(tid, lang, AuditKind.INVALID, detail)


def _page_problems(doc: Document, agencies: Mapping[str, Agency], today: dt.date,
                   review_days: int) -> list[AuditProblem]:
    out = []
    state = review_state(doc, today, review_days)
    if state == AuditKind.UNVERIFIED:
        out.append(AuditProblem(doc.id, doc.lang, state, "status: draft (no agency has "
                                                          "verified the page)"))
    elif state == AuditKind.OVERDUE_REVIEW:
        days = (today - dt.date.fromisoformat(doc.verified_on)).days
        out.append(AuditProblem(doc.id, doc.lang, state,
                                f"verified by {doc.verified_by} on {doc.verified_on}, {days} "
                                f"days ago (review every {review_days} days)"))
    if general_source(doc.source_url, agencies) and not doc.source_note:
        out.append(AuditProblem(doc.id, doc.lang, AuditKind.GENERIC_URL,
                                f"source_url {doc.source_url} is a bare domain or an agency's "
                                "home page; link the service's own page, or say why in "
                                "source_note"))
    for part, text in _parts(doc):
        out += [AuditProblem(doc.id, doc.lang, AuditKind.STALE_YEAR,
                             f"{part}: «{sentence}» states a past year as current")
                for sentence in stale_years(text, doc.lang, today)]
    return out


def _parts(doc: Document) -> list[tuple[str, str]]:
    """The texts of a page that state facts, named as a maintainer finds them."""
    return [("title", doc.title), ("summary", doc.summary),
            *((f"§ {s.heading}", f"{s.heading}\n{s.text}") for s in doc.sections)]


def _pair_problems(tid: str, kk: Document, ru: Document) -> list[AuditProblem]:
    out = []
    if len(kk.sections) != len(ru.sections):
        out.append(AuditProblem(tid, "", AuditKind.SECTION_MISMATCH,
                                f"kk has {len(kk.sections)} sections, ru "
                                f"{len(ru.sections)}: kk "
                                + "; ".join(f"«{s.heading}»" for s in kk.sections)
                                + " | ru " + "; ".join(f"«{s.heading}»" for s in ru.sections)))
    out += _lone(tid, kk, ru, AuditKind.NUMBER_MISMATCH, numbers)
    out += _lone(tid, kk, ru, AuditKind.URL_MISMATCH, links,
                 front=lambda d: {link_key(d.source_url)} - {""})
    return out


def _lone(tid: str, kk: Document, ru: Document, kind: AuditKind, extract,
          front=lambda d: set()) -> list[AuditProblem]:
    """One problem when a page states something (numbers or links) that the
    other does not: each side's lone items with the parts they are in."""
    docs = {Lang.KK: kk, Lang.RU: ru}
    parts = {lang: {part: extract(text) for part, text in _parts(d)} for lang, d in docs.items()}
    fronts = {lang: front(d) for lang, d in docs.items()}
    stated = {lang: set().union(fronts[lang], *parts[lang].values()) for lang in docs}
    sides, small = [], False
    for lang in docs:
        theirs = other(lang)
        lone = stated[lang] - stated[theirs]
        if kind == AuditKind.NUMBER_MISMATCH:
            words = {n for n in spelt(" ".join(t for _, t in _parts(docs[theirs])), theirs)
                     if n in lone}
            lone -= words
            small = small or any(_small(n) for n in lone)
        if not lone:
            continue
        described = []
        for item in sorted(lone, key=_order):
            where = ["source_url"] if item in fronts[lang] else []
            where += [part for part, items in parts[lang].items() if item in items]
            described.append(f"{item} ({', '.join(where)})")
        sides.append(f"only in {lang}: " + "; ".join(described))
    if not sides:
        return []
    detail = " | ".join(sides)
    if small:
        detail += " (a number 1-10 spelt as a word in the other language counts as the same)"
    return [AuditProblem(tid, "", kind, detail)]


def _small(item: str) -> bool:
    return item.isdigit() and 1 <= int(item) <= 10


def _order(item: str) -> tuple:
    head = item.removeprefix("tel:").removesuffix("%")
    try:
        return (0, float(head), item)
    except ValueError:
        return (1, 0.0, item)
