"""Regions and agencies citizens can follow: loaded from the knowledge folder.

`knowledge/regions.yaml` lists the 17 oblasts and the three cities of
republican significance; `knowledge/agencies.yaml` the agencies. Both are
validated at load: a bad file is refused with its path and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ID = re.compile(r"^[a-z][a-z0-9-]{1,29}$")
KINDS = ("oblast", "city")


class DirectoryError(ValueError):
    """regions.yaml or agencies.yaml does not validate."""


@dataclass(frozen=True)
class Named:
    """An agency or a region: an id and its Kazakh and Russian names."""

    id: str
    kk: str
    ru: str
    kind: str = "agency"  # agency, oblast or city

    def name(self, lang: str) -> str:
        return self.kk if lang == "kk" else self.ru


@dataclass(frozen=True)
class Directory:
    """What can be followed: agencies and regions, in file order."""

    agencies: dict[str, Named]
    regions: dict[str, Named]

    @classmethod
    def load(cls, knowledge_dir: Path) -> Directory:
        return cls(load_agencies(knowledge_dir / "agencies.yaml"),
                   load_regions(knowledge_dir / "regions.yaml"))


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
        names = [entry.get(lang) for lang in ("kk", "ru")]
        if not all(isinstance(n, str) and n.strip() for n in names):
            raise DirectoryError(f"{where}: needs kk and ru names")
        out[rid] = Named(rid, names[0].strip(), names[1].strip(), kind)
    return out


def load_agencies(path: Path) -> dict[str, Named]:
    out: dict[str, Named] = {}
    for i, entry in enumerate(_read(path, "agencies")):
        where = f"{path}: agencies[{i}]"
        name = entry.get("name") if isinstance(entry, dict) else None
        aid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(aid, str) or not isinstance(name, dict) or not all(
                isinstance(name.get(lang), str) for lang in ("kk", "ru")):
            raise DirectoryError(f"{where}: needs an id and kk and ru names")
        out[aid] = Named(aid, name["kk"].strip(), name["ru"].strip())
    return out
