"""The HTTP API for agencies' content systems, on the bot's aiohttp server.

    POST /api/v1/announcements        queue an announcement (201; 200 on a replay)
    GET  /api/v1/announcements/{id}   its delivery status

Every request carries ``Authorization: Bearer <token>`` (``saual agency token
AGENCY``; stored hashed). A POST needs an ``Idempotency-Key`` header: the same
key with the same body returns the announcement already queued and sends
nothing again; the same key with another body is refused (409). Errors are
JSON: ``{"errors": [{"field": ..., "reason": ...}]}``.

A body is read only up to :data:`MAX_BODY` bytes and must be UTF-8 JSON no
deeper than :data:`MAX_DEPTH`, with integers of at most :data:`MAX_DIGITS`
digits and strings without NUL or unpaired surrogates; anything else is a 400
that says which rule it broke (:func:`read_json`). :class:`TelegramWebhook`
applies the same reading to the Telegram webhook, and refuses a body that is
not an Update before the Dispatcher sees it (aiogram answers 500 to bad JSON).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from .handlers.callbacks import row_id
from .services import Announcements, AnnouncementStatus, StaffChats, body_digest

logger = logging.getLogger(__name__)

PREFIX = "/api/v1/announcements"
MAX_KEY = 200
MAX_BODY = 64 * 1024  # bytes; an announcement is two texts of at most 4,096 characters
MAX_DEPTH = 32  # nesting of arrays and objects (a Telegram update nests about 8 deep)
MAX_DIGITS = 32  # digits of an integer (Telegram's ids have at most 16)


class BodyError(ValueError):
    """A request body that cannot be read as JSON; the message says why."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise BodyError(f"an integer has more than {MAX_DIGITS} digits")
    return int(text)


def _constant(name: str) -> float:
    raise BodyError(f"{name} is not JSON")


def _check(value: object, strict_text: bool) -> None:
    """Depth (iteratively: a deep value must not exhaust the stack) and strings."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BodyError(f"the body nests deeper than {MAX_DEPTH} levels")
            children = list(item.values()) + list(item) if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and strict_text:
            if "\x00" in item:
                raise BodyError("a string contains a NUL character")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BodyError("a string contains an unpaired surrogate (\\ud800-\\udfff)") \
                    from None


async def read_json(request: web.Request, strict_text: bool = True) -> object:
    """The request's body as JSON, within the limits above; BodyError says why not."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BodyError(f"the body is larger than {MAX_BODY} bytes")
    try:
        body = await request.read()  # aiohttp stops at client_max_size (1 MiB)
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(f"the body is larger than {MAX_BODY} bytes") from None
    if len(body) > MAX_BODY:
        raise BodyError(f"the body is larger than {MAX_BODY} bytes")
    try:
        value = json.loads(body.decode("utf-8"), parse_int=_int, parse_constant=_constant)
    except UnicodeDecodeError as exc:
        raise BodyError(f"the body is not UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise BodyError(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise BodyError(f"the body is not valid JSON: {exc.msg} at line {exc.lineno} "
                        f"column {exc.colno}") from None
    except BodyError:
        raise
    except ValueError as exc:  # anything else json refuses
        raise BodyError(f"the body is not valid JSON: {exc}") from None
    _check(value, strict_text)
    return value


def _errors(status: int, *problems: tuple[str, str], headers: dict | None = None) -> web.Response:
    return web.json_response({"errors": [{"field": f, "reason": r} for f, r in problems]},
                             status=status, headers=headers)


def _status(s: AnnouncementStatus) -> dict:
    a = s.announcement
    created = dt.datetime.fromtimestamp(a.created_at, dt.UTC)
    return {"id": a.id, "agency": a.agency, "source": a.source, "regions": list(a.regions),
            "created_at": created.isoformat(), "recipients": a.recipients,
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
        token = token.strip()
        # A token is printable ASCII; bytes that are not UTF-8 arrive as
        # surrogates, which hashing the token cannot encode (it answered 500).
        if scheme.lower() != "bearer" or not token or not (token.isascii()
                                                            and token.isprintable()):
            return None
        return await self.staff.agency_for_token(token)

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
            payload = await read_json(request)
        except BodyError as exc:
            return _errors(400, ("", str(exc)))
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
        # A row id (PostgreSQL's INTEGER): a longer one made the database raise,
        # and the API answer 500.
        announcement_id = row_id(request.match_info["id"])
        if not announcement_id:
            return _errors(404, ("id", "no such announcement"))
        status = await self.announcements.status(announcement_id)
        if status is None or status.announcement.agency != agency:
            return _errors(404, ("id", "no such announcement"))
        return web.json_response(_status(status))


class TelegramWebhook(SimpleRequestHandler):
    """aiogram's webhook handler, refusing with 400 (and without running a
    handler) a body that is not JSON within :func:`read_json`'s limits or not a
    Telegram Update; aiogram itself answers 500 to those."""

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""),
                                  bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            Update.model_validate(await read_json(request, strict_text=False),
                                  context={"bot": bot})
        except BodyError as exc:
            logger.warning("webhook: refused a body: %s", exc)
            return _errors(400, ("", str(exc)))
        except ValidationError as exc:
            # Where, never the values: an update carries a citizen's message.
            where = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})[:10]
            logger.warning("webhook: refused a body that is not an update (%s)", ", ".join(where))
            return _errors(400, *((w, "not a valid Telegram update field") for w in where))
        # The body is cached by aiohttp: aiogram reads it again and feeds the update.
        return await super().handle(request)
