"""Agencies' RSS and Atom feeds: new items become announcements, once.

A feed is fetched with a timeout and parsed with feedparser. An item is known
by its guid (else its link); the first poll of a new feed only takes note of
the items already there, so registering a feed does not flood subscribers
with its archive. Each item's announcement carries a dedupe key, so a crash
between queueing it and noting it as seen never queues it twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import time
import urllib.request
from collections.abc import Callable

import feedparser

from ..storage import Feed, Storage
from .announcements import MAX_TEXT, Announcements, Draft, valid_url

logger = logging.getLogger(__name__)

TAG = re.compile(r"<[^>]+>")
BLANKS = re.compile(r"\n\s*\n+")


class FeedError(Exception):
    """A feed could not be fetched or parsed."""


def plain(fragment: str) -> str:
    """HTML of a feed's summary as plain text."""
    text = re.sub(r"(?i)<br\s*/?>|</p>", "\n", fragment)
    text = html.unescape(TAG.sub("", text))
    return BLANKS.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def fetch(url: str, timeout: float = 30.0) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "saual-feeds/1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


class Feeds:
    def __init__(self, storage: Storage, announcements: Announcements, *,
                 clock: Callable[[], float] = time.time,
                 fetcher: Callable[[str], bytes] = fetch):
        self.storage = storage
        self.announcements = announcements
        self.clock = clock
        self.fetcher = fetcher

    async def add(self, agency: str, url: str, lang: str = "ru") -> Feed:
        if agency not in self.announcements.directory.agencies:
            raise ValueError(f"unknown agency {agency!r}")
        if not valid_url(url):
            raise ValueError(f"not an http(s) address: {url!r}")
        if lang not in ("kk", "ru"):
            raise ValueError("the feed's language must be kk or ru")
        return await self.storage.feeds.add(agency, url, lang)

    async def poll(self, feed: Feed) -> int:
        """Queue the feed's new items; how many were queued."""
        try:
            raw = await asyncio.to_thread(self.fetcher, feed.url)
        except OSError as exc:
            raise FeedError(f"{feed.url}: {exc}") from exc
        parsed = feedparser.parse(raw)
        if parsed.bozo and not parsed.entries:
            raise FeedError(f"{feed.url}: not a feed ({parsed.get('bozo_exception')})")
        items: dict[str, dict] = {}
        for entry in parsed.entries:
            key = (entry.get("id") or entry.get("link") or "")[:500]
            if key and key not in items:
                items[key] = entry
        new = await self.storage.feeds.unseen(feed.id, list(items))
        queued = 0
        if feed.polled_at is not None:
            for key in reversed(new):  # feeds list the newest first
                queued += await self._queue(feed, key, items[key])
        await self.storage.feeds.mark_seen(feed.id, new, self.clock())
        return queued

    async def _queue(self, feed: Feed, key: str, entry: dict) -> int:
        title = plain(entry.get("title", ""))
        summary = plain(entry.get("summary", ""))
        body = "\n\n".join(p for p in (title, summary if summary != title else "") if p)
        link = entry.get("link", "")
        if not body:
            return 0
        body = body[:MAX_TEXT]
        draft = Draft(text_kk=body if feed.lang == "kk" else "",
                      text_ru=body if feed.lang == "ru" else "",
                      url=link if valid_url(link) else "")
        dedupe = f"feed:{feed.id}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"
        _found, created = await self.announcements.publish(feed.agency, draft, source="feed",
                                                           dedupe_key=dedupe)
        return int(created)

    async def poll_all(self) -> int:
        queued = 0
        for feed in await self.storage.feeds.all():
            try:
                queued += await self.poll(feed)
            except FeedError as exc:
                logger.warning("feed %d of %s: %s", feed.id, feed.agency, exc)
        return queued
