"""Which feed addresses may be fetched: the rules, without an HTTP client
(bot.feedfetch applies them with aiohttp, which services may not import).

Feeds are fetched over https only, from hosts with credentials-free addresses
whose every address is globally reachable (not private, loopback, link-local,
multicast, reserved or unspecified; IPv4 and IPv6, including IPv4 addresses
embedded in IPv6 ones). `allow_loopback` exists for tests only: it lets a local
test server on 127.0.0.1 or ::1 be fetched, over plain http too.

Exceptions::

    FeedError            a feed could not be fetched or parsed
    └── FeedRefused      its address is not one we fetch (scheme, host, redirect)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# IPv6 ranges that carry an IPv4 address in their low 32 bits: NAT64 (well-known
# and local-use), IPv4-compatible (deprecated) and SIIT's IPv4-translated.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CARRY_IPV4 = (NAT64, ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("::/96"),
              ipaddress.ip_network("::ffff:0:0:0/96"))

FeedFetcher = Callable[[str], Awaitable[bytes]]  # the body of the feed at a URL, or FeedError


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


def _embedded(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (6to4, Teredo, NAT64 and the
    other CARRY_IPV4 ranges; an IPv4-mapped address is its IPv4 address, which
    :func:`public_address` judges alone)."""
    found = [addr.sixtofour] if addr.sixtofour is not None else []
    if addr.teredo:
        found += list(addr.teredo)
    if any(addr in net for net in CARRY_IPV4):
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


def public_address(ip: str) -> bool:
    """True when `ip` is globally reachable unicast, and so is any IPv4 inside it
    (Python's `is_global` alone passes some reserved IPv6 ranges: site-local
    fec0::/10, and those that carry an IPv4 address without NAT64's prefix)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        checked = [addr.ipv4_mapped]  # an IPv4 address written as IPv6: that address
    elif isinstance(addr, ipaddress.IPv6Address):
        checked = [addr, *_embedded(addr)]
    else:
        checked = [addr]
    return all(a.is_global and not (a.is_multicast or a.is_reserved or a.is_private
                                    or getattr(a, "is_site_local", False))
               for a in checked)


def loopback_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


@dataclass(frozen=True)
class Target:
    """A URL that passed `check_url`: its scheme, IDNA host and port."""

    url: str
    scheme: str
    host: str
    port: int


def check_url(url: str, config: FeedsConfig) -> Target:
    """Where `url` would be fetched from; FeedRefused when it must not be.
    A host name's addresses are checked when it is resolved (`check_addresses`)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise FeedRefused(f"{url}: not an https address")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise FeedRefused(f"{url}: no host, or credentials in the address")
    host = parts.hostname.encode("idna").decode("ascii")
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if scheme == "http" and not config.allow_loopback:
            raise FeedRefused(f"{url}: plain http; feeds are fetched over https only") from None
        return Target(url, scheme, host, port)
    check_addresses(url, host, [host], config, plain_http=scheme == "http")
    return Target(url, scheme, host, port)


def check_addresses(url: str, host: str, ips: Iterable[str], config: FeedsConfig, *,
                    plain_http: bool) -> None:
    """FeedRefused unless every address `host` resolved to may be fetched."""
    ips = list(ips)
    if not ips:
        raise FeedError(f"{url}: {host} has no address")
    for ip in ips:
        if not (public_address(ip) or (config.allow_loopback and loopback_address(ip))):
            raise FeedRefused(f"{url}: {host} is at {ip}, not a public address")
    if plain_http and not (config.allow_loopback and all(loopback_address(ip) for ip in ips)):
        raise FeedRefused(f"{url}: plain http; feeds are fetched over https only")
