"""Agencies (``knowledge/agencies.yaml``) and the one URL validator.

``agencies.yaml`` is parsed here and nowhere else: the corpus validates pages
and out-of-scope themes against these records, the index stores them, and the
bot builds its directory (names, routing descriptions, websites) from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import yamltext
from .errors import Problem
from .langs import LANGS, Lang

MAX_URL = 1000  # characters
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def valid_url(value: object) -> bool:
    """True for an absolute web address a citizen can open; every caller
    (knowledge pages, agencies' websites, announcements, feeds and their
    items, staff links) uses these rules:

    - a string of at most MAX_URL characters, with no white space and no
      control or other unprintable character;
    - scheme http or https (any case);
    - a host name with a dot (``https://nowhere`` is a typo, not a site);
    - it parses: a malformed IPv6 host (``http://[``) or a port out of
      range is refused, never raised.
    """
    if not isinstance(value, str) or len(value) > MAX_URL or not value.isprintable() \
            or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


@dataclass(frozen=True)
class Agency:
    """One agency: its id, kk/ru name and description (the description routes
    citizens' questions), website and public contacts."""

    id: str
    name: dict[str, str]
    description: dict[str, str]
    website: str
    contacts: dict[str, str] = field(default_factory=dict)

    def name_in(self, lang: str) -> str:
        """The name in `lang`: Kazakh for "kk", Russian otherwise."""
        return self.name[Lang.KK if lang == Lang.KK else Lang.RU]

    def as_record(self) -> dict:
        """The JSON form stored in an index build."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: object) -> Agency | None:
        """An agency from its stored JSON form; None when it is not one."""
        if not isinstance(record, Mapping) or not isinstance(record.get("id"), str) \
                or not isinstance(record.get("website"), str):
            return None
        texts = [record.get(k) for k in ("name", "description")]
        if not all(isinstance(t, Mapping) and all(isinstance(t.get(lang), str) for lang in LANGS)
                   for t in texts):
            return None
        contacts = record.get("contacts") or {}
        if not isinstance(contacts, Mapping):
            return None
        return cls(record["id"], {lang: texts[0][lang] for lang in LANGS},
                   {lang: texts[1][lang] for lang in LANGS}, record["website"],
                   {str(k): str(v) for k, v in contacts.items()})


def entry_line(text: str, entry_id: str) -> int:
    """The line of a YAML list entry `- id: <entry_id>` (1 when not found)."""
    match = re.search(rf"^\s*-\s*id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*$", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def read_yaml(path: Path, problems: list[Problem]) -> object:
    """The YAML document of `path` (:func:`.yamltext.load`: dates as text, a key
    given twice refused); None with a problem when it is missing, unreadable,
    not valid YAML or empty (an empty knowledge file is a mistake, never a
    wish for no agencies or no topics)."""
    try:
        data = yamltext.load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        problems.append(Problem(str(path), 0, "", "file is missing"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        problems.append(Problem(str(path), line, "", f"not valid YAML: {exc}"))
    except OSError as exc:
        problems.append(Problem(str(path), 0, "", f"cannot read: {exc.strerror or exc}"))
    else:
        if data is not None:
            return data
        problems.append(Problem(str(path), 0, "", "file is empty"))
    return None


def entries(path: Path, data: object, key: str,
            problems: list[Problem]) -> Iterator[tuple[dict, str, int]]:
    """The entries of the YAML list `key` that have a valid `id`, as (entry, id,
    line); a missing list or a bad id is reported."""
    found = data.get(key) if isinstance(data, dict) else None
    if not isinstance(found, list):
        problems.append(Problem(str(path), 1, key, "must be a list"))
        return
    text = path.read_text(encoding="utf-8-sig")
    for i, entry in enumerate(found):
        eid = entry.get("id") if isinstance(entry, dict) else None
        line = entry_line(text, eid) if isinstance(eid, str) else 0
        if not isinstance(eid, str) or not ID.match(eid):
            problems.append(Problem(str(path), line, f"{key}[{i}].id", "missing or not an id"))
            continue
        yield entry, eid, line


def load_agencies(path: Path, problems: list[Problem]) -> dict[str, Agency]:
    """The agencies of `path` by id, in file order; every problem (path, line,
    field, reason) is appended to `problems`."""
    data = read_yaml(path, problems)
    if data is None:
        return {}
    out: dict[str, Agency] = {}
    for entry, aid, line in entries(path, data, "agencies", problems):
        if aid in out:
            problems.append(Problem(str(path), line, f"{aid}.id", f"duplicate agency id {aid!r}"))
        texts = {}
        for key in ("name", "description"):
            value = entry.get(key)
            if not isinstance(value, dict) or not all(
                isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGS
            ):
                problems.append(Problem(str(path), line, f"{aid}.{key}", "needs kk and ru text"))
                texts[key] = {}
            else:
                texts[key] = {lang: value[lang].strip() for lang in LANGS}
        if not valid_url(entry.get("website")):
            problems.append(Problem(str(path), line, f"{aid}.website", "not a valid URL"))
        contacts = entry.get("contacts") or {}
        if not isinstance(contacts, dict):
            problems.append(Problem(str(path), line, f"{aid}.contacts", "must be a mapping"))
            contacts = {}
        out[aid] = Agency(aid, texts["name"], texts["description"],
                          str(entry.get("website", "")),
                          {str(k): str(v) for k, v in contacts.items()})
    return out
