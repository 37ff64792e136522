"""The index build for published answers: the worker side of Q&A publication.

:class:`bot.services.publication.Publication` stores a page in the database and
asks for a build (the *wanted* generation). :class:`Publisher` builds it, in the
worker's loop ("publication": `saual worker`, and `saual run` with
DELIVERY_ENABLED) and in `saual index`: when a build is wanted and it wins the
build lease, it loads the knowledge folder with the live pages of the
database, builds and publishes the index in a thread, and records the
generation it built. The running bots pick the new build up as they pick up
any (their index-reload loop). The lease is renewed while the build runs and
given back after it; a worker that dies mid-build leaves a lease that runs out
and is taken over.

A page the knowledge base refuses is marked refused (and logged) and left out;
the other pages are built. A page in the database replaces the file of its
name under ``knowledge/qa/`` (where pages were published before), and a
withdrawn one withdraws that file; other such files are loaded as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from embeddings import (
    BuildReport,
    Corpus,
    CorpusError,
    Encoder,
    build_index,
    load_knowledge,
    make_encoder,
)

from .config import Settings
from .services.publication import page_name
from .storage import QAPage, Storage
from .storage.pages import LIVE, REFUSED

logger = logging.getLogger(__name__)

LEASE = 120.0  # seconds a build lease lasts; renewed every third of it while building
WAIT_ROUNDS = 30  # `saual index` waits this many tenths of a lease for a worker's build
T = TypeVar("T")


class BuildBusy(Exception):
    """Another process kept the build lease for longer than `saual index` waits."""


class Publisher:
    def __init__(self, storage: Storage, encoder: Callable[[], Encoder], knowledge_dir: Path,
                 index_dir: Path, *, clock: Callable[[], float] = time.time,
                 lease: float = LEASE,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.storage = storage
        self._make_encoder = encoder  # called once, at the first build (it may load a model)
        self._encoder: Encoder | None = None
        self.knowledge_dir = Path(knowledge_dir)
        self.index_dir = Path(index_dir)
        self.clock, self.lease, self.sleep = clock, lease, sleep
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    async def run_once(self) -> BuildReport | None:
        """Build if a build is wanted and no other worker is building one; the
        build's report, else None."""
        if not await self.storage.qa_pages.acquire(self.owner, self.clock(), self.lease):
            return None
        return await self._build_leased()

    async def rebuild(self, *, progress: Callable[[int, int], None] | None = None,
                      question_progress: Callable[[int, int], None] | None = None,
                      loaded: Callable[[Corpus], None] | None = None) -> BuildReport:
        """Build now, wanted or not (`saual index`), once a worker's build in
        progress has ended; `loaded(corpus)` hears of the corpus before it is built."""
        for _ in range(WAIT_ROUNDS):
            if await self.storage.qa_pages.acquire(self.owner, self.clock(), self.lease,
                                                   stale_only=False):
                return await self._build_leased(progress, loaded, question_progress)
            await self.sleep(self.lease / 10)
        state = await self.storage.qa_pages.state()
        raise BuildBusy(f"{state.lease_owner} is building the index; try again when it is done")

    async def corpus(self) -> tuple[Corpus, int]:
        """The knowledge folder with the database's live pages, and the wanted
        generation they hold. A page the knowledge base refuses is marked refused
        and left out; the folder's own problems raise :class:`CorpusError`."""
        wanted, pages = await self.storage.qa_pages.snapshot()
        records = {page_name(p.agency, p.ticket_id, p.lang): p for p in pages
                   if p.state != REFUSED}
        for _ in range(len(records) + 1):  # each round leaves one refused page out, at least
            extra = {name: p.markdown if p.state == LIVE else None for name, p in records.items()}
            try:
                corpus = await asyncio.to_thread(load_knowledge, self.knowledge_dir, extra=extra)
            except CorpusError as exc:
                refused = {p.path for p in exc.problems if extra.get(p.path) is not None}
                if not refused:
                    raise
                for name in sorted(refused):
                    await self._refuse(records.pop(name), exc)
                continue
            return corpus, wanted
        raise AssertionError("unreachable")  # pragma: no cover

    async def _refuse(self, page: QAPage, exc: CorpusError) -> None:
        name = page_name(page.agency, page.ticket_id, page.lang)
        reason = "; ".join(f"[{p.field}] {p.reason}" if p.field else p.reason
                           for p in exc.problems if p.path == name)
        logger.error("the knowledge base refused the published answer of ticket %d, left "
                     "out of the index: %s", page.ticket_id, reason)
        await self.storage.qa_pages.refuse(page.ticket_id, page.generation, reason,
                                           self.clock())

    async def _build_leased(self, progress: Callable[[int, int], None] | None = None,
                            loaded: Callable[[Corpus], None] | None = None,
                            question_progress: Callable[[int, int], None] | None = None,
                            ) -> BuildReport:
        """Build while holding the lease; record the generation built, give the lease back."""
        built = None
        try:
            corpus, generation = await self._holding(self.corpus())
            if loaded is not None:
                loaded(corpus)
            report = await self._holding(
                asyncio.to_thread(self._build, corpus, progress, question_progress))
            built = generation
            logger.info("index build %s made for published answers up to generation %d",
                        report.build_id, generation)
            return report
        finally:
            if not await self.storage.qa_pages.release(self.owner, built):
                logger.warning("the index build lease of %s ran out before the build ended; "
                               "generation not recorded", self.owner)

    def _build(self, corpus: Corpus, progress: Callable[[int, int], None] | None,
               question_progress: Callable[[int, int], None] | None = None) -> BuildReport:
        if self._encoder is None:
            self._encoder = self._make_encoder()
        return build_index(corpus, self._encoder, self.index_dir, progress=progress,
                           question_progress=question_progress)

    async def _holding(self, work: Awaitable[T]) -> T:
        """Await `work`, renewing the lease every third of it meanwhile."""

        async def beat() -> None:
            while True:
                await self.sleep(self.lease / 3)
                try:
                    if not await self.storage.qa_pages.renew(self.owner, self.clock(),
                                                             self.lease):
                        logger.warning("the index build lease of %s was taken over", self.owner)
                except Exception:  # the next beat tries again; the lease has two more
                    logger.exception("renewing the index build lease failed")

        renewing = asyncio.create_task(beat())
        try:
            return await work
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing


def publisher(storage: Storage, settings: Settings, encoder: Encoder | None = None,
              clock: Callable[[], float] = time.time) -> Publisher:
    """The publisher of the configured folders, building with `encoder` (else
    the configured one, made at the first build: a worker may never need it)."""
    return Publisher(storage, (lambda: encoder) if encoder is not None else
                     (lambda: make_encoder(settings.encoder)),
                     settings.knowledge_dir, settings.index_dir, clock=clock)
