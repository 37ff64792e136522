"""Announcements: validated drafts become an announcement plus its outbox in
one transaction; delivery status per announcement."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from embeddings import Lang, valid_url

from ..storage import Announcement, Storage
from .regions import Directory

logger = logging.getLogger(__name__)

MAX_TEXT = 16_000  # characters per language; longer texts are split into messages when sent
FIELDS = ("text", "url", "regions")


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


@dataclass(frozen=True)
class Draft:
    text_kk: str = ""
    text_ru: str = ""
    url: str = ""
    regions: tuple[str, ...] = ()  # empty: the whole country


@dataclass(frozen=True)
class AnnouncementStatus:
    announcement: Announcement
    counts: dict[str, int]  # queued, sent, failed, blocked


class Announcements:
    def __init__(self, storage: Storage, directory: Directory, *,
                 clock: Callable[[], float] = time.time):
        self.storage = storage
        self.directory = directory
        self.clock = clock

    def parse(self, payload: object) -> tuple[Draft | None, list[Problem]]:
        """A draft from an API request body, or every problem with its field."""
        if not isinstance(payload, Mapping):
            return None, [Problem("", "the body must be a JSON object")]
        problems = [Problem(k, "unknown field") for k in payload if k not in FIELDS]
        text = payload.get("text")
        texts = {Lang.KK: "", Lang.RU: ""}
        if not isinstance(text, Mapping):
            problems.append(Problem("text", "required: an object with kk and/or ru texts"))
        else:
            problems += [Problem(f"text.{k}", "unknown language (kk or ru)")
                         for k in text if k not in texts]
            for lang in texts:
                value = text.get(lang, "")
                if value is None:
                    value = ""
                if not isinstance(value, str):
                    problems.append(Problem(f"text.{lang}", "must be a string"))
                elif len(value) > MAX_TEXT:
                    problems.append(Problem(f"text.{lang}", f"longer than {MAX_TEXT} characters"))
                else:
                    texts[lang] = value.strip()
            if not any(texts.values()) and not any(p.field.startswith("text.")
                                                   for p in problems):
                problems.append(Problem("text", "give the text in kk, ru or both"))
        url = payload.get("url") or ""
        if not isinstance(url, str) or (url and not valid_url(url)):
            problems.append(Problem("url", "must be an http(s) address"))
            url = ""
        regions = payload.get("regions", "all")
        if regions in ("all", None):
            regions = []
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            problems.append(Problem("regions", 'a list of region ids, or "all"'))
            regions = []
        problems += [Problem("regions", f"unknown region {r!r}") for r in regions
                     if r not in self.directory.regions]
        if problems:
            return None, problems
        ordered = tuple(r for r in self.directory.regions if r in regions)
        return Draft(texts[Lang.KK], texts[Lang.RU], url, ordered), []

    async def publish(self, agency: str, draft: Draft, *, source: str,
                      dedupe_key: str | None = None,
                      body_hash: str | None = None) -> tuple[Announcement, bool]:
        """Queue `draft` for its recipients; (announcement, False) when the
        dedupe key was used before (nothing new is queued)."""
        if agency not in self.directory.agencies:
            raise ValueError(f"unknown agency {agency!r}")
        if not (draft.text_kk.strip() or draft.text_ru.strip()):
            raise ValueError("an announcement needs a text in at least one language")
        announcement, created = await self.storage.announcements.create(
            agency=agency, source=source, text_kk=draft.text_kk, text_ru=draft.text_ru,
            url=draft.url, regions=draft.regions, dedupe_key=dedupe_key, body_hash=body_hash,
            now=self.clock())
        if created:
            logger.info("announcement %d of %s (%s) queued for %d recipients",
                        announcement.id, agency, source, announcement.recipients)
        return announcement, created

    async def status(self, announcement_id: int) -> AnnouncementStatus | None:
        found = await self.storage.announcements.get(announcement_id)
        if found is None:
            return None
        counts = await self.storage.announcements.counts([found.id])
        return AnnouncementStatus(found, counts[found.id])

    async def recent(self, agency: str, limit: int = 5) -> list[AnnouncementStatus]:
        found = await self.storage.announcements.recent(agency, limit)
        counts = await self.storage.announcements.counts([a.id for a in found])
        return [AnnouncementStatus(a, counts[a.id]) for a in found]


def body_digest(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()
