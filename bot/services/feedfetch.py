"""Fetching an agency's feed from the open internet, as hostile input.

A feed's address is typed by a maintainer but answered by whoever controls the
server and the path to it, so a fetch:

- goes over https only (plain http lets anyone on the path write announcements);
- resolves the host once, refuses it when any of its addresses is not globally
  reachable (private, loopback, link-local, multicast, reserved, unspecified;
  IPv4 and IPv6, including IPv4 addresses embedded in IPv6 ones), and connects
  to the very address it checked, so a second DNS answer cannot move it inside;
- follows redirects itself, a few at most, each hop checked the same way;
- reads at most `max_bytes` of body, in chunks, and stops past the cap;
- ends within `timeout` seconds in all, however slowly the server drips bytes;
- turns every way a server can misbehave (non-HTTP bytes, a broken chunked
  body, a TLS failure) into a FeedError naming the address.

`allow_loopback` exists for tests only: it lets a local test server on
127.0.0.1 or ::1 be fetched over plain http. Everything else stays refused.

Exceptions::

    FeedError            a feed could not be fetched or parsed
    └── FeedRefused      its address is not one we fetch (scheme, host, redirect)
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

MAX_HEAD = 64 * 1024  # bytes of status line and headers
READ = 64 * 1024  # bytes per read of the body
REDIRECTS = (301, 302, 303, 307, 308)
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FeedError(Exception):
    """A feed could not be fetched or parsed."""


class FeedRefused(FeedError):
    """A feed's address (or a redirect's) is not one we fetch."""


@dataclass(frozen=True)
class FeedsConfig:
    max_bytes: int = 5_000_000  # body bytes read per fetch; more is refused
    timeout: float = 30.0  # seconds per fetch in all: resolving, redirects, the body
    max_redirects: int = 3
    max_items: int = 20  # new items queued per poll; the rest are noted as seen
    allow_loopback: bool = False  # tests only: http to 127.0.0.1/::1


Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
Opener = Callable[..., Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def open_tcp(ip: str, port: int, *, ssl: ssl.SSLContext | None,
                   server_hostname: str | None):
    return await asyncio.open_connection(ip, port, ssl=ssl, server_hostname=server_hostname,
                                         limit=MAX_HEAD)


def _embedded(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    found = [a for a in (addr.ipv4_mapped, addr.sixtofour) if a is not None]
    if addr.teredo:
        found += list(addr.teredo)
    if addr in NAT64:
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


def public_address(ip: str) -> bool:
    """True when `ip` is globally reachable unicast, and so is any IPv4 inside it."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    inner = _embedded(addr) if isinstance(addr, ipaddress.IPv6Address) else []
    return all(a.is_global and not a.is_multicast for a in [addr, *inner])


def loopback_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # IDNA-encoded
    port: int
    ips: tuple[str, ...]  # the checked addresses; we connect to one of these only
    path: str  # path and query, percent-encoded


class Fetcher:
    """`await Fetcher(config)(url)`: the body of the feed at `url`, or FeedError."""

    def __init__(self, config: FeedsConfig = FeedsConfig(), *,
                 resolver: Resolver = system_resolver, opener: Opener = open_tcp,
                 ssl_context: ssl.SSLContext | None = None):
        self.config = config
        self.resolver = resolver
        self.opener = opener
        self.ssl_context = ssl_context

    async def __call__(self, url: str) -> bytes:
        try:
            async with asyncio.timeout(self.config.timeout):
                return await self._follow(url)
        except TimeoutError as exc:
            raise FeedError(f"{url}: no complete answer within "
                            f"{self.config.timeout:g} s") from exc
        except (OSError, EOFError, asyncio.LimitOverrunError, UnicodeError, ValueError) as exc:
            # ssl.SSLError is an OSError; IncompleteReadError an EOFError
            raise FeedError(f"{url}: {type(exc).__name__}: {exc}") from exc

    async def _follow(self, url: str) -> bytes:
        for _hop in range(self.config.max_redirects + 1):
            target = await self.check(url)
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

    async def check(self, url: str) -> _Target:
        """Where `url` would be fetched from; FeedRefused when it must not be."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise FeedRefused(f"{url}: not an https address")
        if not parts.hostname or parts.username is not None or parts.password is not None:
            raise FeedRefused(f"{url}: no host, or credentials in the address")
        host = parts.hostname.encode("idna").decode("ascii")
        port = parts.port or (443 if scheme == "https" else 80)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = list(await self.resolver(host, port))
        if not addresses:
            raise FeedError(f"{url}: {host} has no address")
        for ip in addresses:
            if not (public_address(ip) or (self.config.allow_loopback and loopback_address(ip))):
                raise FeedRefused(f"{url}: {host} is at {ip}, not a public address")
        if scheme == "http" and not (self.config.allow_loopback
                                     and all(loopback_address(ip) for ip in addresses)):
            raise FeedRefused(f"{url}: plain http; feeds are fetched over https only")
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        if parts.query:
            path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        return _Target(url, scheme, host, port, tuple(addresses), path)

    async def _get(self, target: _Target) -> tuple[int, str, bytes]:
        """(status, Location, body); the body is read for a 200 only."""
        context = None
        if target.scheme == "https":
            if self.ssl_context is None:
                self.ssl_context = ssl.create_default_context()
            context = self.ssl_context
        reader, writer = await self._connect(target, context)
        try:
            default = 443 if target.scheme == "https" else 80
            host = target.host if target.port == default else f"{target.host}:{target.port}"
            if ":" in target.host:  # an IPv6 literal
                host = f"[{target.host}]" + ("" if target.port == default else f":{target.port}")
            writer.write((f"GET {target.path} HTTP/1.1\r\nHost: {host}\r\n"
                          "User-Agent: saual-feeds/2\r\nAccept-Encoding: identity, gzip\r\n"
                          "Accept: application/rss+xml, application/atom+xml, "
                          "application/xml;q=0.9, */*;q=0.5\r\nConnection: close\r\n\r\n"
                          ).encode("ascii"))
            await writer.drain()
            status, headers = _head(target.url, await _read_head(target.url, reader))
            if status != 200:
                return status, headers.get("location", ""), b""
            body = await self._body(target.url, reader, headers)
            return status, "", _decoded(target.url, body, headers.get("content-encoding", ""),
                                        self.config.max_bytes)
        finally:
            writer.close()

    async def _connect(self, target: _Target, context: ssl.SSLContext | None):
        """A connection to the first of the checked addresses that answers."""
        for n, ip in enumerate(target.ips):
            try:
                return await self.opener(ip, target.port, ssl=context,
                                         server_hostname=target.host if context else None)
            except OSError:
                if n == len(target.ips) - 1:
                    raise
        raise AssertionError("unreachable: a target has at least one address")

    async def _body(self, url: str, reader: asyncio.StreamReader,
                    headers: dict[str, str]) -> bytes:
        cap = self.config.max_bytes
        body = bytearray()

        async def take(n: int) -> None:
            while n > 0:
                chunk = await reader.read(min(n, READ))
                if not chunk:
                    raise FeedError(f"{url}: the answer ended early")
                body.extend(chunk)
                n -= len(chunk)

        def too_big() -> FeedError:
            return FeedError(f"{url}: the feed is larger than {cap} bytes")

        coding = headers.get("transfer-encoding", "").lower()
        if coding:
            if coding.replace(" ", "") != "chunked":
                raise FeedError(f"{url}: unsupported Transfer-Encoding {coding[:40]!r}")
            while True:
                line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
                if not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", line):
                    raise FeedError(f"{url}: a broken chunked body")
                size = int(line, 16)
                if size == 0:
                    return bytes(body)
                if len(body) + size > cap:
                    raise too_big()
                await take(size)
                if await reader.readexactly(2) != b"\r\n":
                    raise FeedError(f"{url}: a broken chunked body")
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise FeedError(f"{url}: a bad Content-Length")
            if int(length) > cap:
                raise too_big()
            await take(int(length))
            return bytes(body)
        while chunk := await reader.read(READ):
            body.extend(chunk)
            if len(body) > cap:
                raise too_big()
        return bytes(body)


async def _read_head(url: str, reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.startswith(b"HTTP/"):
            raise FeedError(f"{url}: not an HTTP answer") from exc
        raise FeedError(f"{url}: the answer ended within its headers") from exc
    except asyncio.LimitOverrunError as exc:
        raise FeedError(f"{url}: headers longer than {MAX_HEAD} bytes") from exc


def _head(url: str, raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw[:-4].split(b"\r\n")
    status = STATUS.fullmatch(lines[0])
    if status is None:
        raise FeedError(f"{url}: not an HTTP answer")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise FeedError(f"{url}: a malformed header line")
        key = name.decode("latin-1").lower()
        text = value.strip().decode("latin-1")
        if key in headers and key in ("content-length", "transfer-encoding", "location") \
                and headers[key] != text:
            raise FeedError(f"{url}: conflicting {key} headers")
        headers[key] = text
    return int(status.group(1)), headers


def _decoded(url: str, body: bytes, coding: str, cap: int) -> bytes:
    """The body without its Content-Encoding; at most `cap` bytes once inflated."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise FeedError(f"{url}: unsupported Content-Encoding {coding[:40]!r}")
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32 if coding != "deflate" else zlib.MAX_WBITS)
    try:
        out = inflate.decompress(body, cap + 1)
    except zlib.error as exc:
        raise FeedError(f"{url}: a broken {coding} body") from exc
    if len(out) > cap or inflate.unconsumed_tail:
        raise FeedError(f"{url}: the feed is larger than {cap} bytes once unpacked")
    return out
