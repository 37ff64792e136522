"""Fetching an agency's feed with aiohttp, as hostile input (the rules:
bot.services.feedfetch; services may not import aiohttp, so this lives here and
the composition root hands it to Feeds).

- Every hop's URL is checked (scheme, credentials, an address literal) before it
  is fetched; redirects are followed by hand, `max_redirects` at most.
- Host names are resolved by `CheckedResolver`, which refuses the name when any
  of its addresses may not be fetched, and gives the connector only the checked
  addresses: the connection goes to an address that was checked (no DNS cache,
  no second lookup, no rebinding window).
- The body is read in chunks and refused past `max_bytes`, on the wire and once
  inflated (gzip/deflate inflated here with a bounded zlib, never by aiohttp).
- The whole fetch, redirects included, ends within `timeout`.
- Certificates are verified against the feed's host name; no proxy from the
  environment; every client, TLS or OS error becomes a FeedError naming the URL.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.http_exceptions import BadStatusLine
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from .clock import SYSTEM, Clock
from .config import Settings
from .services.announcements import Announcements
from .services.feedfetch import (
    FeedError,
    FeedRefused,
    FeedsConfig,
    Target,
    check_addresses,
    check_url,
)
from .services.feeds import Feeds
from .services.observe import UNOBSERVED, Observer
from .storage import Storage

READ = 64 * 1024  # bytes per read of the body
REDIRECTS = (301, 302, 303, 307, 308)
HEADERS = {"User-Agent": "saual-feeds/3 (Saual, a Telegram assistant)",
           "Accept-Encoding": "gzip, deflate",
           "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                     "*/*;q=0.5"}

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]  # (host, port) -> addresses


class CheckedResolver(AbstractResolver):
    """Resolves a name for the connector and refuses it when any of its
    addresses may not be fetched (check_addresses)."""

    def __init__(self, target: Target, config: FeedsConfig, resolve: Resolver | None):
        self.target, self.config, self.resolve_names = target, config, resolve
        self.system = None if resolve else ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if self.system is not None:
            found = await self.system.resolve(host, port, family)
        else:
            found = [ResolveResult(hostname=host, host=ip, port=port,
                                   family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
                                   proto=0, flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
                     for ip in await self.resolve_names(host, port)]
        check_addresses(self.target.url, host, [r["host"] for r in found], self.config,
                        plain_http=self.target.scheme == "http")
        return found

    async def close(self) -> None:
        if self.system is not None:
            await self.system.close()


class Fetcher:
    """`await Fetcher(config)(url)`: the body of the feed at `url`, or FeedError."""

    def __init__(self, config: FeedsConfig | None = None, *, resolver: Resolver | None = None,
                 ssl_context: ssl.SSLContext | None = None):
        self.config = config or FeedsConfig()
        self.resolver = resolver  # None: the system's (getaddrinfo in a thread)
        self.ssl_context = ssl_context  # None: the default context, certificates verified

    async def __call__(self, url: str) -> bytes:
        try:
            async with asyncio.timeout(self.config.timeout):
                return await self._follow(url)
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise FeedError(f"{url}: no complete answer within "
                            f"{self.config.timeout:g} s") from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise FeedError(f"{url}: not an HTTP answer (the server closed the connection)"
                            ) from exc
        except (aiohttp.ClientResponseError, aiohttp.ClientPayloadError) as exc:
            if _caused_by(exc, BadStatusLine):
                raise FeedError(f"{url}: not an HTTP answer ({_brief(exc)})") from exc
            # llhttp reports a bad chunk size like a bad header (BadHttpMessage)
            raise FeedError(f"{url}: a broken chunked body, header or length "
                            f"({_brief(exc)})") from exc
        except (aiohttp.ClientError, OSError, UnicodeError, ValueError) as exc:
            # ssl.SSLError is an OSError; aiohttp.InvalidURL a ValueError
            raise FeedError(f"{url}: {type(exc).__name__}: {_brief(exc)}") from exc

    async def _follow(self, url: str) -> bytes:
        for _hop in range(self.config.max_redirects + 1):
            target = check_url(url, self.config)
            status, location, body = await self._get(target)
            if status in REDIRECTS:
                if not location:
                    raise FeedError(f"{url}: HTTP {status} without a Location")
                url = urljoin(url, location)
                continue
            if status != 200:
                raise FeedError(f"{url}: HTTP {status}")
            return body
        raise FeedError(f"{url}: more than {self.config.max_redirects} redirects")

    async def _get(self, target: Target) -> tuple[int, str, bytes]:
        """(status, Location, body); the body is read for a 200 only."""
        url = URL(target.url)  # as aiohttp reads it: an address literal skips the resolver
        if (url.scheme, url.raw_host, url.port) != (target.scheme, target.host, target.port):
            raise FeedRefused(f"{target.url}: the HTTP client reads another host or port "
                              f"({url.raw_host}:{url.port}) than was checked")
        connector = aiohttp.TCPConnector(
            resolver=CheckedResolver(target, self.config, self.resolver), use_dns_cache=False,
            ssl=self.ssl_context if self.ssl_context is not None else True)
        async with aiohttp.ClientSession(
                connector=connector, headers=HEADERS, trust_env=False, auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=self.config.timeout)) as session, \
                session.get(url, allow_redirects=False) as resp:
            if resp.status != 200:
                return resp.status, resp.headers.get("Location", ""), b""
            return 200, "", await self._body(target.url, resp)

    async def _body(self, url: str, resp: aiohttp.ClientResponse) -> bytes:
        """The body, without its Content-Encoding; at most max_bytes, read and inflated."""
        cap = self.config.max_bytes
        coding = resp.headers.get("Content-Encoding", "").strip().lower()
        if coding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FeedError(f"{url}: unsupported Content-Encoding {coding[:40]!r}")
        inflate = None
        if coding not in ("", "identity"):  # zlib header for deflate; gzip (or zlib) else
            inflate = zlib.decompressobj(zlib.MAX_WBITS | (0 if coding == "deflate" else 32))
        if resp.content_length is not None and resp.content_length > cap:
            raise _too_big(url, cap)
        body, read = bytearray(), 0
        async for chunk in resp.content.iter_chunked(READ):
            read += len(chunk)
            if read > cap:
                raise _too_big(url, cap)
            if inflate is None:
                body += chunk
                continue
            try:
                body += inflate.decompress(chunk, cap + 1 - len(body))
            except zlib.error as exc:
                raise FeedError(f"{url}: a broken {coding} body") from exc
            if len(body) > cap or inflate.unconsumed_tail:
                raise _too_big(url, cap, " once unpacked")
        if inflate is not None and not inflate.eof:
            raise FeedError(f"{url}: a truncated {coding} body")
        return bytes(body)


def _too_big(url: str, cap: int, how: str = "") -> FeedError:
    return FeedError(f"{url}: the feed is larger than {cap} bytes{how}")


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether `exc` or an exception it was raised from is a `kind`."""
    for _ in range(8):  # bounded: a cycle of causes must not hang it
        if exc is None or isinstance(exc, kind):
            return exc is not None
        exc = exc.__cause__ or exc.__context__
    return False


def _brief(exc: BaseException) -> str:
    """An error's text on one line, cut: it may quote the server's bytes."""
    return " ".join(str(exc).split())[:300]


def build_feeds(storage: Storage, announcements: Announcements, settings: Settings,
                clock: Clock = SYSTEM, observer: Observer = UNOBSERVED) -> Feeds:
    """The feed poller with the FEED_* limits and this fetcher (the bot and the
    `saual agency` commands build it the same way)."""
    config = settings.feeds_config()
    return Feeds(storage, announcements, fetcher=Fetcher(config), config=config,
                 clock=clock.time, observer=observer)
