"""The browsable catalogue: categories, their topics and the pages, per language.

Everything comes from the index build in service (its documents, chunks and
category names), so the menu always matches what search can answer, and a
newly published build changes both at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from embeddings import (
    LANGS,
    Category,
    DocKind,
    IndexedDocument,
    LoadedIndex,
    PageContent,
    PageStatus,
    SearchEngine,
    content_digest,
    other,
)

__all__ = ["LANGS", "Catalog", "Checked", "Entry", "Page", "Section", "other"]


@dataclass(frozen=True)
class Entry:
    """A category or a topic, titled in the language asked for when possible."""

    id: str
    title: str


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Checked:
    """Whether an agency has verified a knowledge page, as its cards say."""

    verified: bool
    agency: str = ""  # the verifying agency's name, in the page's language
    on: str = ""  # YYYY-MM-DD


@dataclass(frozen=True)
class Page:
    id: str
    lang: str
    title: str
    summary: str
    url: str
    category: str
    agency: str
    sections: tuple[Section, ...]
    fallback: bool = False  # the page is not in the language asked for
    checked: Checked | None = None


class _View:
    """Lookup tables for one loaded build."""

    def __init__(self, index: LoadedIndex):
        self.build_id = index.build_id
        self.categories: dict[str, Category] = dict(index.categories)
        self.pages: dict[tuple[str, str], IndexedDocument] = {
            key: doc for key, doc in index.documents.items() if doc.kind == DocKind.PAGE
        }
        self.topics_by_category: dict[str, list[str]] = {}
        for (topic, _lang), doc in self.pages.items():
            ids = self.topics_by_category.setdefault(doc.category, [])
            if topic not in ids:
                ids.append(topic)
        self.sections: dict[tuple[str, str], list[Section]] = {}
        for chunk in sorted(index.chunks, key=lambda c: (c.doc_id, c.lang, c.ordinal)):
            if chunk.ordinal > 0 and (chunk.doc_id, chunk.lang) in self.pages:
                self.sections.setdefault((chunk.doc_id, chunk.lang), []).append(
                    Section(chunk.heading, chunk.text))
        self.digests: dict[str, str] = {}


class Catalog:
    def __init__(self, engine: SearchEngine):
        self.engine = engine
        self._view: _View | None = None
        self._confirmed: dict[str, tuple[str, str, str]] = {}

    def _current(self) -> _View:
        index = self.engine.index
        if self._view is None or self._view.build_id != index.build_id:
            self._view = _View(index)
        return self._view

    def _doc(self, topic_id: str, lang: str) -> tuple[IndexedDocument, str] | None:
        pages = self._current().pages
        for code in (lang, other(lang)):
            if (topic_id, code) in pages:
                return pages[(topic_id, code)], code
        return None

    def categories(self, lang: str) -> list[Entry]:
        """Categories that have at least one page, in catalogue order."""
        view = self._current()
        names = view.categories
        order = list(names) + sorted(set(view.topics_by_category) - set(names))
        return [Entry(cat, names[cat].name_in(lang) if cat in names else cat)
                for cat in order if view.topics_by_category.get(cat)]

    def category_title(self, category: str, lang: str) -> str:
        """Its name in `lang`, else in the other language, else its id."""
        found = self._current().categories.get(category)
        return found.name_in(lang) if found else category

    def topics(self, category: str, lang: str) -> list[Entry]:
        """A category's topics, alphabetically by their title in `lang`."""
        out = []
        for topic in self._current().topics_by_category.get(category, []):
            found = self._doc(topic, lang)
            if found:
                out.append(Entry(topic, found[0].title))
        return sorted(out, key=lambda e: e.title.casefold())

    def title(self, topic_id: str, lang: str) -> str | None:
        found = self._doc(topic_id, lang)
        return found[0].title if found else None

    def page(self, topic_id: str, lang: str) -> Page | None:
        """The page in `lang`, else in the other language (flagged), else None."""
        found = self._doc(topic_id, lang)
        if not found:
            return None
        doc, shown = found
        sections = self._current().sections.get((topic_id, shown), [])
        return Page(
            id=topic_id, lang=shown, title=doc.title, summary=doc.summary,
            url=doc.source_url, category=doc.category,
            agency=doc.agency, sections=tuple(sections), fallback=shown != lang,
            checked=self.checked(topic_id, doc.status, doc.verified_by, doc.verified_on,
                                 shown),
        )

    def checked(self, topic_id: str, status: str, verified_by: str, verified_on: str,
                lang: str) -> Checked | None:
        """What a page's cards say of its verification; None for what is not a
        knowledge page (a published answer is the agency's own). A staff
        confirmation (:meth:`confirm`) counts while the page says what was
        confirmed, and wins over an older date in the file."""
        if status not in (PageStatus.VERIFIED, PageStatus.DRAFT):
            return None
        confirmed = self._confirmed.get(topic_id)
        if confirmed and confirmed[2] == self.digest(topic_id) \
                and (status == PageStatus.DRAFT or confirmed[1] >= verified_on):
            verified_by, verified_on = confirmed[0], confirmed[1]
            status = PageStatus.VERIFIED
        if status == PageStatus.VERIFIED:
            agency = self.engine.index.agencies.get(verified_by)
            return Checked(True, agency.name_in(lang) if agency else verified_by, verified_on)
        return Checked(False)

    # -- the content loop: what staff confirm --------------------------------------
    def confirm(self, confirmed: dict[str, tuple[str, str, str]]) -> None:
        """Staff confirmations by topic: (agency id, date, digest of the content
        confirmed), as stored (:class:`bot.services.reviews.Reviews`)."""
        self._confirmed = dict(confirmed)

    def contents(self, topic_id: str) -> list[PageContent]:
        """The topic's pages as a reviewer reads them, in each language it has."""
        view = self._current()
        out = []
        for lang in LANGS:
            doc = view.pages.get((topic_id, lang))
            if doc is not None:
                out.append(PageContent(lang, doc.title, doc.summary, doc.source_url, tuple(
                    (s.heading, s.text) for s in view.sections.get((topic_id, lang), []))))
        return out

    def digest(self, topic_id: str) -> str:
        """The digest of the topic's content in the build in service (cached per build)."""
        view = self._current()
        if topic_id not in view.digests:
            view.digests[topic_id] = content_digest(self.contents(topic_id))
        return view.digests[topic_id]

    def agency_topics(self, agency: str) -> list[str]:
        """The knowledge pages' topics of `agency`, in catalogue order."""
        seen: dict[str, None] = {}
        for (topic, _lang), doc in self._current().pages.items():
            if doc.agency == agency:
                seen.setdefault(topic)
        return list(seen)
