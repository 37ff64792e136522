"""The directory of agencies and regions: the one the bot's services share.

`knowledge/agencies.yaml` is parsed by the retrieval core
(:func:`embeddings.load_agencies`, the same records and validation as the
index); `knowledge/regions.yaml` lists the 17 oblasts and the three cities of
republican significance. Both are validated at load: a bad file is refused
with its path and the reason. Search (agency names), tickets, announcements,
feeds, staff links and subscriptions all check agency ids against one
:class:`Directory`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from embeddings import LANGS, Agency, Lang, Problem, load_agencies

ID = re.compile(r"^[a-z][a-z0-9-]{1,29}$")
KINDS = ("oblast", "city")


class DirectoryError(ValueError):
    """regions.yaml or agencies.yaml does not validate."""


@dataclass(frozen=True)
class Named:
    """A region: an id and its Kazakh and Russian names."""

    id: str
    kk: str
    ru: str
    kind: str = "oblast"  # oblast or city

    def name(self, lang: str) -> str:
        return self.kk if lang == Lang.KK else self.ru


@dataclass(frozen=True)
class Directory:
    """Agencies and regions, in file order."""

    agencies: Mapping[str, Agency]
    regions: Mapping[str, Named]

    @classmethod
    def load(cls, knowledge_dir: Path) -> Directory:
        path = Path(knowledge_dir) / "agencies.yaml"
        problems: list[Problem] = []
        agencies = load_agencies(path, problems)
        if problems:
            raise DirectoryError("; ".join(str(p) for p in problems))
        if not agencies:
            raise DirectoryError(f"{path}: `agencies` must be a non-empty list")
        return cls(agencies, load_regions(Path(knowledge_dir) / "regions.yaml"))

    def name(self, agency: str, lang: str) -> str:
        """The agency's name in `lang` (Kazakh for "kk", else Russian); the id
        itself for an agency the directory does not know."""
        found = self.agencies.get(agency)
        return found.name_in(lang) if found else agency

    def choices(self, lang: str, *, without: str = "") -> list[tuple[str, str]]:
        """(id, name in `lang`) of every agency but `without`, in file order."""
        return [(a, self.name(a, lang)) for a in self.agencies if a != without]


def _read(path: Path, key: str) -> list:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError(f"{path}: cannot read: {exc}") from exc
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DirectoryError(f"{path}: `{key}` must be a non-empty list")
    return entries


def load_regions(path: Path) -> dict[str, Named]:
    out: dict[str, Named] = {}
    for i, entry in enumerate(_read(path, "regions")):
        where = f"{path}: regions[{i}]"
        if not isinstance(entry, dict):
            raise DirectoryError(f"{where}: must be a mapping")
        rid, kind = entry.get("id"), entry.get("kind")
        if not isinstance(rid, str) or not ID.match(rid):
            raise DirectoryError(f"{where}: id must match {ID.pattern}")
        if rid in out:
            raise DirectoryError(f"{where}: duplicate id {rid!r}")
        if kind not in KINDS:
            raise DirectoryError(f"{where}: kind must be one of {', '.join(KINDS)}")
        names = [entry.get(lang) for lang in LANGS]
        if not all(isinstance(n, str) and n.strip() for n in names):
            raise DirectoryError(f"{where}: needs kk and ru names")
        out[rid] = Named(rid, names[0].strip(), names[1].strip(), kind)
    return out
