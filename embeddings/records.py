"""The typed records of an index build, each parsed once when the build loads.

A build's JSON files (see :mod:`embeddings.index`) hold chunks, documents,
categories and agencies. Loading turns each into a frozen record here, so a
damaged file is refused with an :class:`IndexCorrupt` naming the build, the
file and the field, and no reader later finds a string where it expected a
list. The on-disk format is the one :func:`embeddings.index.build_index` has
always written (schema 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .agencies import Agency
from .corpus import Chunk
from .errors import IndexCorrupt
from .langs import LANGS, other
from .pages import DocKind, Document

# What load_index reads from a manifest, and the type it must have.
MANIFEST_TYPES: dict[tuple[str, ...], type] = {
    ("schema",): int, ("build_id",): str, ("metric",): str, ("normalized",): bool,
    ("encoder", "name"): str, ("encoder", "version"): str, ("encoder", "dim"): int,
    ("analyzer", "version"): str, ("analyzer", "ngram"): int,
    ("corpus", "digest"): str, ("corpus", "chunks"): int,
}
CHUNK_TYPES = {"doc_id": str, "lang": str, "heading": str, "text": str, "ordinal": int}


def typed(value: object, expected: type) -> bool:
    # bool is an int to Python, never to a manifest
    return isinstance(value, expected) and (expected is bool or not isinstance(value, bool))


def check_manifest_types(manifest: object, path: Path | str = "") -> None:
    """IndexCorrupt naming every manifest field that is missing or of the wrong type."""
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"{path}/manifest.json: not a JSON object")
    problems = []
    for keys, expected in MANIFEST_TYPES.items():
        value: object = manifest
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not typed(value, expected):
            problems.append(f"{'.'.join(keys)} is {type(value).__name__}, "
                            f"expected {expected.__name__}")
    if problems:
        raise IndexCorrupt(f"{path}/manifest.json: " + "; ".join(problems))


def parse_chunk(line: str, number: int, path: Path) -> Chunk:
    """One line of chunks.jsonl."""
    record = json.loads(line)
    if not isinstance(record, dict) or set(record) != set(CHUNK_TYPES) or not all(
            typed(record[k], t) for k, t in CHUNK_TYPES.items()):
        raise IndexCorrupt(f"{path}/chunks.jsonl:{number}: not a chunk "
                           f"({', '.join(f'{k}: {t.__name__}' for k, t in CHUNK_TYPES.items())})")
    return Chunk(**record)


# Fields a stored document must have; the others fall back to their defaults.
REQUIRED = ("id", "lang", "title")
TEXT_LISTS = ("keywords", "sections")
KINDS = tuple(DocKind)


@dataclass(frozen=True)
class IndexedDocument:
    """One document of a build (documents.json): a page, a published answer,
    an out-of-scope theme ("redirect") or an external passage, in one language.

    The fields are in the order build_index has always written them."""

    id: str
    lang: str
    title: str
    summary: str = ""
    category: str = ""
    agency: str = ""
    source_url: str = ""
    updated: str = ""
    keywords: tuple[str, ...] = ()
    kind: DocKind = DocKind.PAGE
    sections: tuple[str, ...] = ()  # the headings of its sections, in order
    # Added after schema 1's first builds: a build without them loads with these.
    status: str = ""  # a page's PageStatus
    verified_by: str = ""
    verified_on: str = ""
    source_note: str = ""

    @classmethod
    def of(cls, doc: Document) -> IndexedDocument:
        """The record a build stores for a corpus document."""
        return cls(doc.id, doc.lang, doc.title, doc.summary, doc.category, doc.agency,
                   doc.source_url, doc.updated, doc.keywords, doc.kind,
                   tuple(s.heading for s in doc.sections), doc.status, doc.verified_by,
                   doc.verified_on, doc.source_note)

    def as_record(self) -> dict:
        """The JSON form stored in documents.json."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}

    @classmethod
    def from_record(cls, record: object, where: str) -> IndexedDocument:
        """A document from its stored JSON form; IndexCorrupt naming `where` and
        the first field that is missing or of the wrong type."""
        if not isinstance(record, Mapping):
            raise IndexCorrupt(f"{where}: is {type(record).__name__}, expected an object")
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name not in record:
                if f.name in REQUIRED:
                    raise IndexCorrupt(f"{where}: {f.name} is missing")
                continue
            value = record[f.name]
            if f.name in TEXT_LISTS:
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise IndexCorrupt(f"{where}: {f.name} is {type(value).__name__}, "
                                       "expected a list of strings")
                value = tuple(value)
            elif not isinstance(value, str):
                raise IndexCorrupt(f"{where}: {f.name} is {type(value).__name__}, expected str")
            elif f.name == "kind":
                if value not in KINDS:
                    raise IndexCorrupt(f"{where}: kind is {value!r}, expected one of "
                                       f"{', '.join(KINDS)}")
                value = DocKind(value)
            values[f.name] = value
        return cls(**values)  # type: ignore[arg-type]


def parse_documents(data: object, path: Path | str) -> dict[tuple[str, str], IndexedDocument]:
    """documents.json: the documents by (id, lang), in file order."""
    where = f"{path}/documents.json"
    if not isinstance(data, list):
        raise IndexCorrupt(f"{where}: is {type(data).__name__}, expected a list of documents")
    out: dict[tuple[str, str], IndexedDocument] = {}
    for i, record in enumerate(data):
        doc = IndexedDocument.from_record(record, f"{where}: documents[{i}]")
        out[(doc.id, doc.lang)] = doc
    return out


@dataclass(frozen=True)
class Category:
    """A category of the catalogue: its id and its name in kk and ru (either
    may be missing: the other language, then the id, stand in)."""

    id: str
    name: dict[str, str]

    def name_in(self, lang: str) -> str:
        """The name in `lang`, else in the other language, else the id."""
        return self.name.get(lang) or self.name.get(other(lang)) or self.id

    @classmethod
    def from_record(cls, key: str, record: object, where: str) -> Category:
        """A category from its stored JSON form (``{"kk": ..., "ru": ...}``, as
        catalog.yaml writes it); IndexCorrupt naming `where` and the field."""
        if not isinstance(record, Mapping):
            raise IndexCorrupt(f"{where}: categories.{key} is {type(record).__name__}, "
                               "expected an object of kk and ru names")
        for lang in LANGS:
            if record.get(lang) is not None and not isinstance(record[lang], str):
                raise IndexCorrupt(f"{where}: categories.{key}.{lang} is "
                                   f"{type(record[lang]).__name__}, expected str")
        return cls(key, {lang: record[lang] for lang in LANGS if record.get(lang) is not None})


def parse_categories(data: Mapping[str, object], path: Path | str) -> dict[str, Category]:
    """The categories of extras.json by id, in catalogue order."""
    where = f"{path}/extras.json"
    return {key: Category.from_record(key, record, where) for key, record in data.items()}


def parse_agencies(data: Mapping[str, object], path: Path | str) -> dict[str, Agency]:
    """The agencies of extras.json by id, in agencies.yaml order."""
    agencies = {}
    for key, record in data.items():
        agency = Agency.from_record(record)
        if agency is None or agency.id != key:
            raise IndexCorrupt(f"{path}/extras.json: agencies.{key} is not an agency (id, kk/ru "
                               "name and description, website, contacts)")
        agencies[key] = agency
    return agencies
