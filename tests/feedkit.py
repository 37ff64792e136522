"""A hostile feed server for tests: raw TCP on 127.0.0.1, so it can answer what
no HTTP library would (garbage, a drip, silence); and a guard that refuses
and records every connection a test makes outside 127.0.0.1/::1."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


def answer(body: bytes, status: str = "200 OK", headers: str = "") -> Route:
    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/rss+xml\r\n"
                     f"Content-Length: {len(body)}\r\n{headers}Connection: close\r\n\r\n"
                     .encode() + body)
        await writer.drain()
    return route


def redirect(location: str) -> Route:
    return answer(b"", "302 Found", f"Location: {location}\r\n")


def raw(data: bytes) -> Route:
    """Bytes as they are, then the connection closes."""
    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
    return route


def drip(total: int, every: float) -> Route:
    """A 200 whose body comes one byte every `every` seconds."""
    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
        for _ in range(total):
            await writer.drain()
            await asyncio.sleep(every)
            writer.write(b"<")
        await writer.drain()
    return route


async def hang(writer: asyncio.StreamWriter) -> None:
    """Accept the connection and never answer (until the site closes)."""
    raise AssertionError("Site serves this route itself")


def stream(size: int, chunk: int = 1 << 16) -> Route:
    """A 200 without Content-Length: `size` bytes, then the connection closes."""
    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for start in range(0, size, chunk):
            writer.write(b" " * min(chunk, size - start))
            await writer.drain()
    return route


class Site:
    """`async with Site({path: route}) as site`: site.url(path), site.requests."""

    def __init__(self, routes: dict[str, Route], ssl: object = None):
        self.routes = routes
        self.ssl = ssl  # an ssl.SSLContext: the site speaks https
        self.requests: list[str] = []  # paths asked, in order
        self.heads: list[bytes] = []  # the requests' heads, in order
        self.server_names: list[str | None] = []  # the TLS server names (SNI) asked for
        self.connections = 0
        if ssl is not None:
            ssl.sni_callback = lambda _sock, name, _context: self.server_names.append(name)
        self._tasks: set[asyncio.Task] = set()
        self._closing = asyncio.Event()

    def url(self, path: str, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def __aenter__(self) -> Site:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        self._closing.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            path = head.split(b" ", 2)[1].decode()
            self.requests.append(path)
            route = self.routes.get(path, answer(b"", "404 Not Found"))
            if route is hang:
                await self._closing.wait()
            else:
                await route(writer)
        except (OSError, asyncio.IncompleteReadError):  # TLS refused by the client, too
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


class OutsideGuard:
    """Patches socket connects: anything but loopback is refused and recorded;
    loopback connections are recorded in `connected` as (address, port)."""

    def __init__(self, monkeypatch):
        self.outside: list[object] = []
        self.connected: list[tuple[str, int]] = []
        connect = socket.socket.connect
        guard = self

        def guarded(sock, address):
            host = address[0] if isinstance(address, tuple) else None
            try:
                loopback = host is None or ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                guard.outside.append(address)
                raise ConnectionRefusedError(f"test guard: no traffic to {address}")
            if host is not None:
                guard.connected.append((host, address[1]))
            return connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", guarded)
