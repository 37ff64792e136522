"""Citizens' subscriptions: agencies and regions they follow, and /stop."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..storage import Follows, Storage
from .regions import Directory

logger = logging.getLogger(__name__)

KINDS = tuple(Follows)


@dataclass(frozen=True)
class Following:
    agencies: tuple[str, ...]  # ids, in the directory's order
    regions: tuple[str, ...]
    paused: bool

    @property
    def empty(self) -> bool:
        return not self.agencies and not self.regions


class Subscriptions:
    def __init__(self, storage: Storage, directory: Directory):
        self.storage = storage
        self.directory = directory

    async def following(self, user_id: int) -> Following:
        subs = await self.storage.subscriptions.list(user_id)
        return Following(
            tuple(a for a in self.directory.agencies if (Follows.AGENCY, a) in subs),
            tuple(r for r in self.directory.regions if (Follows.REGION, r) in subs),
            await self.storage.subscriptions.paused(user_id),
        )

    async def toggle(self, user_id: int, kind: str, target: str) -> bool | None:
        """Follow or unfollow; True when now followed, None for an unknown target.
        An unfollow also closes what was queued for the user and not yet sent
        from announcements they would no longer receive."""
        known = self.directory.agencies if kind == Follows.AGENCY else self.directory.regions
        if kind not in KINDS or target not in known:
            return None
        followed = await self.storage.subscriptions.toggle(user_id, kind, target)
        logger.info("user %d %s %s %s", user_id, "follows" if followed else "unfollows",
                    kind, target)
        if not followed:
            # What was queued for them from what they no longer follow is not sent.
            await self.storage.announcements.close_unfollowed(
                user_id, f"unfollowed {kind} {target}")
        return followed

    async def set_paused(self, user_id: int, paused: bool) -> None:
        """Pause (/stop) or resume the user's announcements; a pause also closes
        what was queued for them and not yet sent."""
        logger.info("user %d %s announcements", user_id, "paused" if paused else "resumed")
        await self.storage.subscriptions.set_paused(user_id, paused)
        if paused:
            await self.storage.announcements.close_queued(user_id, "stopped by the subscriber")
