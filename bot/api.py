"""The HTTP API for agencies' content systems, on the bot's aiohttp server.

    POST /api/v1/announcements        queue an announcement (201; 200 on a replay)
    GET  /api/v1/announcements/{id}   its delivery status

Every request carries ``Authorization: Bearer <token>`` (``saual agency token
AGENCY``; stored hashed). A POST needs an ``Idempotency-Key`` header: the same
key with the same body returns the announcement already queued and sends
nothing again; the same key with another body is refused (409). Errors are
JSON: ``{"errors": [{"field": ..., "reason": ...}]}``.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from .services import Announcements, AnnouncementStatus, StaffChats, body_digest

logger = logging.getLogger(__name__)

PREFIX = "/api/v1/announcements"
MAX_KEY = 200


def _errors(status: int, *problems: tuple[str, str], headers: dict | None = None) -> web.Response:
    return web.json_response({"errors": [{"field": f, "reason": r} for f, r in problems]},
                             status=status, headers=headers)


def _status(s: AnnouncementStatus) -> dict:
    a = s.announcement
    return {"id": a.id, "agency": a.agency, "source": a.source, "regions": list(a.regions),
            "created_at": a.created_at.isoformat(), "recipients": a.recipients,
            "counts": s.counts, "done": s.counts["queued"] == 0}


class AnnouncementsAPI:
    def __init__(self, announcements: Announcements, staff: StaffChats):
        self.announcements = announcements
        self.staff = staff

    def register(self, app: web.Application) -> None:
        app.router.add_post(PREFIX, self.create)
        app.router.add_get(PREFIX + "/{id}", self.get)

    async def _agency(self, request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await self.staff.agency_for_token(token.strip())

    def _unauthorized(self) -> web.Response:
        return _errors(401, ("Authorization", "a valid agency token is required: "
                                              "Authorization: Bearer <token>"),
                       headers={"WWW-Authenticate": "Bearer"})

    async def create(self, request: web.Request) -> web.Response:
        agency = await self._agency(request)
        if agency is None:
            return self._unauthorized()
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            return _errors(400, ("Idempotency-Key", f"required: a unique key of 1-{MAX_KEY} "
                                                    "printable characters per announcement"))
        try:
            payload = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _errors(400, ("", "the body is not valid JSON"))
        draft, problems = self.announcements.parse(payload)
        if draft is None:
            return _errors(422, *((p.field, p.reason) for p in problems))
        digest = body_digest(payload)
        found, created = await self.announcements.publish(
            agency, draft, source="api", dedupe_key=f"api:{key}", body_hash=digest)
        if not created and found.body_hash != digest:
            return _errors(409, ("Idempotency-Key", "already used for another announcement"))
        status = await self.announcements.status(found.id)
        assert status is not None
        logger.info("API: %s announcement %d for %s", "queued" if created else "replayed",
                    found.id, agency)
        return web.json_response(_status(status), status=201 if created else 200,
                                 headers={"Location": f"{PREFIX}/{found.id}"})

    async def get(self, request: web.Request) -> web.Response:
        agency = await self._agency(request)
        if agency is None:
            return self._unauthorized()
        try:
            announcement_id = int(request.match_info["id"])
        except ValueError:
            return _errors(404, ("id", "no such announcement"))
        status = await self.announcements.status(announcement_id)
        if status is None or status.announcement.agency != agency:
            return _errors(404, ("id", "no such announcement"))
        return web.json_response(_status(status))
