"""Load and validate the knowledge base and external passage sets.

A knowledge folder holds::

    catalog.yaml      categories and topics (ids, titles): what must be covered
    agencies.yaml     agencies referred to by pages
    synonyms.yaml     the semantic core (groups of equivalent terms)
    out_of_scope.yaml themes the pages do not cover, and the agency to turn to
                      (optional; indexed as "redirect" documents)
    pages/<category>/<topic-id>.<lang>.md   Markdown with YAML front matter
    qa/<agency>/<ticket>.<lang>.md          published answers (optional)

Published answers may also come from elsewhere (the bot keeps them in its
database): :func:`load_knowledge`'s ``extra`` pages, each replacing the file
of its name under ``qa/``. Pages are parsed by :mod:`.pages`.

Every problem is collected with its path, line, field and reason, and all of
them are raised at once in one :class:`CorpusError`. Pages are split into
chunks at their ``##`` sections: the units of retrieval and of the snippet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .agencies import ID, Agency, entries, entry_line, load_agencies, read_yaml
from .errors import CorpusError, Problem, Ref
from .langs import LANGS
from .normalize import fold
from .pages import (
    DocKind,
    Document,
    Section,
    as_answer,
    check_name,
    check_status,
    line_of,
    read_page,
)


@dataclass(frozen=True)
class Chunk:
    """A unit of retrieval: a page section, the page's summary, or a passage."""

    doc_id: str
    lang: str
    heading: str
    text: str
    ordinal: int  # 0 is the summary chunk of a page; QUESTIONS its example questions

    def embed_text(self, title: str) -> str:
        head = f"{title}. {self.heading}" if self.heading else title
        return f"{head}\n{self.text}"


# The ordinal of the chunk that holds a page's example questions (`questions:`
# in its front matter): it is searched like the others, so a citizen's
# question that resembles them finds the page, and never shown as a section.
QUESTIONS = -1


@dataclass
class Corpus:
    documents: list[Document]
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    topics: dict[str, dict] = field(default_factory=dict)  # catalogue entries by id
    agencies: dict[str, Agency] = field(default_factory=dict)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    digest: str = ""
    # Questions that borrow a topic's words but ask for something no page answers
    # (knowledge/near_misses/): negatives for the topic model, by topic and language.
    near_misses: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def chunks(self) -> list[Chunk]:
        out: list[Chunk] = []
        for doc in self.documents:
            if doc.kind == DocKind.PASSAGE:
                out.append(Chunk(doc.id, doc.lang, "", doc.sections[0].text, 0))
                continue
            head = doc.summary
            if doc.keywords:
                head += "\n" + ", ".join(doc.keywords)
            out.append(Chunk(doc.id, doc.lang, "", head, 0))
            out.extend(
                Chunk(doc.id, doc.lang, s.heading, s.text, i)
                for i, s in enumerate(doc.sections, start=1)
            )
            if doc.questions:
                out.append(Chunk(doc.id, doc.lang, "", "\n".join(doc.questions), QUESTIONS))
        return out

    def document(self, doc_id: str, lang: str) -> Document | None:
        for doc in self.documents:
            if doc.id == doc_id and doc.lang == lang:
                return doc
        return None


# ---------------------------------------------------------------------------


def _load_catalog(path: Path, problems: list[Problem]) -> tuple[dict, dict]:
    data = read_yaml(path, problems)
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        problems.append(Problem(str(path), 1, "categories", "must be a mapping of categories"))
        return {}, {}
    text = path.read_text(encoding="utf-8-sig")
    categories = {}
    for cid, names in data["categories"].items():
        # The build writes these names for the bot's menu: a category without
        # both would publish a build that cannot be loaded.
        if not (isinstance(cid, str) and ID.match(cid) and isinstance(names, dict)
                and all(isinstance(names.get(lang), str) and names[lang].strip()
                        for lang in LANGS)):
            problems.append(Problem(str(path), line_of(text, f"  {cid}"), f"categories.{cid}",
                                    f"a category is an id with its {' and '.join(LANGS)} "
                                    "names"))
            continue
        categories[cid] = names
    topics = {}
    for entry, tid, line in entries(path, data, "topics", problems):
        if tid in topics:
            problems.append(Problem(str(path), line, f"{tid}.id", f"duplicate topic id {tid!r}"))
        topics[tid] = entry
        if not isinstance(entry.get("category"), str) or entry["category"] not in categories:
            problems.append(Problem(str(path), line, f"{tid}.category",
                                    f"unknown category {entry.get('category')!r}",
                                    Ref.CATEGORY))
    return categories, topics


def load_synonyms(path: Path, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    if not path.exists():
        return {}
    data = read_yaml(path, problems)
    if data is None:
        return {}
    text = path.read_text(encoding="utf-8")
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        problems.append(Problem(str(path), 1, "groups", "must be a list of groups"))
        return {}
    out: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for i, group in enumerate(groups):
        gid = group.get("id") if isinstance(group, dict) else None
        line = entry_line(text, gid) if isinstance(gid, str) else 0
        if not isinstance(gid, str) or not ID.match(gid):
            problems.append(Problem(str(path), line, f"groups[{i}].id", "missing or not an id"))
            continue
        if gid in out:
            problems.append(Problem(str(path), line, f"{gid}", "duplicate group id"))
        terms = group.get("terms")
        if not isinstance(terms, list) or len(terms) < 2 or not all(
            isinstance(t, str) and t.strip() for t in terms
        ):
            problems.append(Problem(str(path), line, f"{gid}.terms", "needs 2 or more terms"))
            continue
        for term in terms:
            key = term.casefold().replace("ё", "е").strip()
            if key in owner and owner[key] != gid:
                problems.append(
                    Problem(str(path), line, f"{gid}.terms",
                            f"term {term!r} is already in group {owner[key]!r}")
                )
            owner[key] = gid
        out[gid] = tuple(terms)
    return out


def _load_redirects(path: Path, problems: list[Problem], agencies: dict[str, Agency],
                    topics: dict) -> list[Document]:
    """Out-of-scope themes as "redirect" documents (one per language): a title
    and the words people use for the theme, the agency that handles it and its
    website. They compete with the pages in search; when one wins, the engine
    does not answer from the knowledge base but says where to turn."""
    if not path.exists():
        return []
    data = read_yaml(path, problems)
    if data is None:
        return []
    out: list[Document] = []
    seen: set[str] = set()
    for entry, tid, line in entries(path, data, "themes", problems):
        if tid in seen or tid in topics:
            problems.append(Problem(str(path), line, f"{tid}.id",
                                    "duplicate id (or the id of a catalogue topic)"))
            continue
        seen.add(tid)
        agency = agencies.get(entry["agency"]) if isinstance(entry.get("agency"), str) else None
        if agency is None:
            problems.append(Problem(str(path), line, f"{tid}.agency",
                                    f"unknown agency {entry.get('agency')!r}", Ref.AGENCY))
        title, keywords = entry.get("title"), entry.get("keywords")
        questions = entry.get("questions", {})
        ok = True
        if not (isinstance(questions, dict) and set(questions) <= set(LANGS)):
            problems.append(Problem(str(path), line, f"{tid}.questions",
                                    "must map kk and ru to lists of questions"))
            ok, questions = False, {}
        for lang in LANGS:
            if not (isinstance(title, dict) and isinstance(title.get(lang), str)
                    and title[lang].strip()):
                problems.append(Problem(str(path), line, f"{tid}.title.{lang}", "needs text"))
                ok = False
            words = keywords.get(lang) if isinstance(keywords, dict) else None
            if not (isinstance(words, list) and words
                    and all(isinstance(w, str) and w.strip() for w in words)):
                problems.append(Problem(str(path), line, f"{tid}.keywords.{lang}",
                                        "needs a list of words or phrases"))
                ok = False
            asked = questions.get(lang, [])
            if not (isinstance(asked, list) and all(isinstance(q, str) and q.strip()
                                                    for q in asked)):
                problems.append(Problem(str(path), line, f"{tid}.questions.{lang}",
                                        "must be a list of questions (text)"))
                ok = False
        if not ok or agency is None:
            continue
        out.extend(
            Document(tid, lang, title[lang].strip(), summary=title[lang].strip(),
                     agency=agency.id, source_url=agency.website,
                     keywords=tuple(w.strip() for w in keywords[lang]), path=str(path),
                     kind=DocKind.REDIRECT,
                     questions=tuple(q.strip() for q in questions.get(lang, [])))
            for lang in LANGS)
    return out


def check_examples(docs: Iterable[Document], near_misses: Mapping[str, Mapping[str, Iterable[str]]],
                   problems: list[Problem]) -> None:
    """An example question on two topics' pages, or one that is also a near miss
    or an out-of-scope theme's question, teaches the topic model two answers to
    one question: each is a problem of the page that repeats it (the same words
    after :func:`fold`)."""
    docs = list(docs)
    # (lang, folded question) -> (topic or theme id, what it is there; "" for a
    # page's example question)
    owner: dict[tuple[str, str], tuple[str, str]] = {}
    for tid, by_lang in sorted(near_misses.items()):
        for lang, questions in by_lang.items():
            for q in questions:
                owner.setdefault((lang, fold(q)), (tid, "a near miss of"))
    for doc in docs:
        if doc.kind == DocKind.REDIRECT:
            for q in doc.questions:
                owner.setdefault((doc.lang, fold(q)), (doc.id, "a question of the out-of-scope "
                                                               "theme"))
    for doc in docs:
        if doc.kind != DocKind.PAGE:
            continue
        for q in doc.questions:
            tid, what = owner.setdefault((doc.lang, fold(q)), (doc.id, ""))
            if what or tid != doc.id:
                problems.append(Problem(doc.path, 0, "questions",
                                        f"example question {q!r} is also "
                                        f"{what or 'an example question of'} {tid!r}: the "
                                        "topic model would learn two answers to it"))


def _load_near_misses(folder: Path, problems: list[Problem], topics: dict
                      ) -> tuple[dict[str, dict[str, tuple[str, ...]]], list[Path]]:
    """Near-miss questions by topic: ``<topic id>: {kk: [...], ru: [...]}`` in
    any number of YAML files; each key a catalogue topic, each list of text."""
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for path in paths:
        data = read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), 1, "", "must map topic ids to kk and ru lists"))
            continue
        text = path.read_text(encoding="utf-8")
        for tid, by_lang in data.items():
            line = line_of(text, str(tid))
            if topics and tid not in topics:
                problems.append(Problem(str(path), line, str(tid),
                                        f"{tid!r} is not a topic of catalog.yaml", Ref.TOPIC))
                continue
            if tid in out:
                problems.append(Problem(str(path), line, str(tid), "topic listed twice"))
                continue
            if not (isinstance(by_lang, dict) and set(by_lang) <= set(LANGS)):
                problems.append(Problem(str(path), line, str(tid),
                                        "must map kk and ru to lists of questions"))
                continue
            ok = True
            for lang, questions in by_lang.items():
                if not (isinstance(questions, list) and all(isinstance(q, str) and q.strip()
                                                            for q in questions)):
                    problems.append(Problem(str(path), line, f"{tid}.{lang}",
                                            "must be a list of questions (text)"))
                    ok = False
            if ok:
                out[str(tid)] = {lang: tuple(q.strip() for q in qs)
                                 for lang, qs in by_lang.items()}
    return out, paths


def _digest(paths: Iterable[Path], root: Path, texts: Mapping[str, str] | None = None) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.relative_to(root)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    for name, text in sorted((texts or {}).items()):
        h.update(f"{name}\0{text}\0".encode())
    return h.hexdigest()


def _read(path: Path, problems: list[Problem]) -> str | None:
    """The text of a page (a byte-order mark dropped), or None with a problem."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(str(path), 0, "", "not UTF-8 text"))
    except OSError as exc:
        problems.append(Problem(str(path), 0, "", f"cannot read: {exc.strerror or exc}"))
    return None


def _markdown(folder: Path) -> list[Path]:
    """The .md files under `folder`, sorted: regular files only, hidden ones
    (an editor's ``.#page.md`` lock, a ``.page.md.swp``) left out."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts)
                  and p.is_file())


def _answers(root: Path, extra: Mapping[str, str | None]) -> tuple[list[Path], dict[str, str]]:
    """The Q&A files under qa/ that no extra page replaces (same file name), and
    the extra pages' texts (None withdraws the file of that name)."""
    replaced = {PurePosixPath(name).name for name in extra}
    found = _markdown(root / "qa")
    return ([p for p in found if p.name not in replaced],
            {name: text for name, text in extra.items() if text is not None})


def load_knowledge(root: Path | str, *, require_catalog: bool = True,
                   extra: Mapping[str, str | None] | None = None) -> Corpus:
    """Load and validate a knowledge folder; raise CorpusError listing every problem.

    `extra`: published answers kept elsewhere, text by name (``qa/<agency>/<id>.<lang>.md``,
    the name their problems are reported under); each replaces the file under
    ``qa/`` with its file name, and None withdraws that file."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        raise CorpusError([Problem(str(root), 0, "", "knowledge folder does not exist")])
    categories, topics = _load_catalog(root / "catalog.yaml", problems)
    agencies = load_agencies(root / "agencies.yaml", problems)
    synonyms = load_synonyms(root / "synonyms.yaml", problems)

    page_paths = _markdown(root / "pages")
    if not page_paths:
        problems.append(Problem(str(root / "pages"), 0, "", "no pages (<category>/<id>.<lang>.md)"))
    qa_paths, answers = _answers(root, extra or {})
    sources = [(str(p), p.name, _read(p, problems), p) for p in page_paths]
    sources += [(str(p), p.name, _read(p, problems), None) for p in qa_paths]
    sources += [(name, PurePosixPath(name).name, text, None) for name, text in answers.items()]
    docs: list[Document] = []
    seen: dict[tuple[str, str], str] = {}
    for label, file_name, text, page_path in sources:  # page_path: None for an answer
        doc = None if text is None else read_page(text, label, problems)
        if doc is not None and page_path is None:
            doc = as_answer(doc, label, problems)
        if doc is None:
            continue
        check_name(doc, file_name, label, problems)
        key = (doc.id, doc.lang)
        if key in seen:
            problems.append(Problem(label, 2, "id",
                                    f"duplicate id {doc.id!r} ({doc.lang}), also in {seen[key]}"))
            continue
        seen[key] = label
        if categories and doc.category not in categories:
            problems.append(Problem(label, line_of(text, "category"), "category",
                                    f"unknown category {doc.category!r}", Ref.CATEGORY))
        if agencies and doc.agency not in agencies:
            problems.append(Problem(label, line_of(text, "agency"), "agency",
                                    f"unknown agency {doc.agency!r}", Ref.AGENCY))
        if agencies and doc.verified_by and doc.verified_by not in agencies:
            problems.append(Problem(label, line_of(text, "verified_by"), "verified_by",
                                    f"unknown agency {doc.verified_by!r}", Ref.AGENCY))
        if page_path is not None:
            check_status(doc, label, problems)
            if page_path.parent.name != doc.category:
                problems.append(Problem(label, 0, "category",
                                        f"page is in folder {page_path.parent.name!r}, "
                                        f"category says {doc.category!r}"))
            topic = topics.get(doc.id)
            if topics and topic is None:
                problems.append(Problem(label, 2, "id", f"topic {doc.id!r} is not in catalog.yaml",
                                        Ref.TOPIC))
            elif topic and topic.get("category") != doc.category:
                problems.append(Problem(label, 0, "category",
                                        f"catalog puts {doc.id!r} in {topic.get('category')!r}"))
        docs.append(doc)

    # Pair languages by file name, so a page with other problems still counts.
    by_id: dict[str, dict[str, Path]] = {}
    for path in page_paths:
        stem, _, lang = path.name[: -len(".md")].rpartition(".")
        if lang in LANGS:
            by_id.setdefault(stem, {})[lang] = path
    for tid, files in sorted(by_id.items()):
        for lang in LANGS:
            if lang not in files:
                other = next(iter(files.values()))
                problems.append(Problem(str(other), 0, "lang", f"topic {tid!r} has no {lang} page",
                                        Ref.PAGE))
    if require_catalog:
        for tid, topic in topics.items():
            if tid not in by_id:
                problems.append(Problem(str(root / "catalog.yaml"), 0, tid,
                                        f"catalogue topic {tid!r} ({topic.get('category')}) "
                                        "has no page"))
    docs += _load_redirects(root / "out_of_scope.yaml", problems, agencies, topics)
    near_misses, near_miss_paths = _load_near_misses(root / "near_misses", problems, topics)
    check_examples(docs, near_misses, problems)
    if problems:
        raise CorpusError(problems)
    files = [*page_paths, *qa_paths, *near_miss_paths]
    files += [p for p in (root / n for n in ("catalog.yaml", "agencies.yaml", "synonyms.yaml",
                                             "out_of_scope.yaml"))
              if p.exists()]
    return Corpus(docs, categories, topics, agencies, synonyms,
                  _digest(files, root, answers), near_misses)


def read_jsonl(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; bad lines become problems."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError) as exc:
        raise CorpusError([Problem(str(path), 0, "", f"cannot read: {exc}")]) from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), n, "", f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(str(path), n, "", "must be a JSON object"))
            continue
        yield n, row


def load_passages(path: Path | str) -> Corpus:
    """An external passage set: JSON Lines of {"id", "lang", "title", "text"}."""
    path = Path(path)
    problems: list[Problem] = []
    docs: list[Document] = []
    seen: set[str] = set()
    for n, row in read_jsonl(path, problems):
        bad = False
        for key in ("id", "text"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                problems.append(Problem(str(path), n, key, "missing or empty"))
                bad = True
        if row.get("lang") not in LANGS:
            problems.append(Problem(str(path), n, "lang", f"must be one of {', '.join(LANGS)}"))
            bad = True
        if bad:
            continue
        if row["id"] in seen:
            problems.append(Problem(str(path), n, "id", f"duplicate id {row['id']!r}"))
            continue
        seen.add(row["id"])
        title = str(row.get("title") or "").replace("_", " ").strip()
        text = row["text"].lstrip("\ufeff").strip()
        docs.append(Document(row["id"], row["lang"], title, sections=(Section("", text, n),),
                             path=f"{path}:{n}", kind=DocKind.PASSAGE,
                             source_url=row.get("url", "")))
    if problems:
        raise CorpusError(problems)
    return Corpus(docs, digest=_digest([path], path.parent))
