"""The feed fetcher on aiohttp (bot/feedfetch.py) against the hostile test server
(tests/feedkit.py): what HTTP it speaks, what it inflates, where it connects.
No connection leaves 127.0.0.1 (the guard refuses and records any)."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest
from feedkit import OutsideGuard, Site, answer, raw
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feedfetch import Fetcher
from bot.services.feedfetch import FeedError, FeedRefused, FeedsConfig

TEST = FeedsConfig(allow_loopback=True, timeout=5.0)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'


@pytest.fixture
def guard(monkeypatch) -> OutsideGuard:
    return OutsideGuard(monkeypatch)


async def test_informational_answers_before_the_feed_are_skipped(guard):
    """A 103 Early Hints (CDNs send them) before the 200: the hand-written client
    took the 103 for the answer and failed with "HTTP 103"."""
    async with Site({"/f.xml": raw(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload"
                                   b"\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                                   b"Connection: close\r\n\r\n" % len(FEED) + FEED)}) as site:
        assert await Fetcher(TEST)(site.url("/f.xml")) == FEED


async def test_a_truncated_compressed_body_is_refused(guard):
    """Half a gzip stream is not half a feed: the hand-written client returned
    what it could inflate, and the feed's later items were silently lost."""
    packed = gzip.compress(FEED.replace(b"</channel>", b"<item/>" * 2000 + b"</channel>"))
    async with Site({"/half": answer(packed[:len(packed) // 2],
                                     headers="Content-Encoding: gzip\r\n"),
                     "/whole": answer(packed, headers="Content-Encoding: gzip\r\n"),
                     "/deflate": answer(zlib.compress(FEED),
                                        headers="Content-Encoding: deflate\r\n"),
                     "/br": answer(FEED, headers="Content-Encoding: br\r\n")}) as site:
        fetch = Fetcher(TEST)
        with pytest.raises(FeedError, match="a truncated gzip body"):
            await fetch(site.url("/half"))
        assert (await fetch(site.url("/whole"))).endswith(b"<item/></channel></rss>")
        assert await fetch(site.url("/deflate")) == FEED
        with pytest.raises(FeedError, match="unsupported Content-Encoding 'br'"):
            await fetch(site.url("/br"))


async def test_a_compression_bomb_is_refused_without_inflating_it(guard):
    cap = 1_000_000
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = bomb.compress(b"\0" * 50_000_000) + bomb.flush()  # about 50 KB on the wire
    async with Site({"/bomb": answer(bomb, headers="Content-Encoding: gzip\r\n")}) as site:
        tracemalloc.start()
        try:
            with pytest.raises(FeedError, match="larger than 1000000 bytes once unpacked"):
                await Fetcher(FeedsConfig(allow_loopback=True, max_bytes=cap))(
                    site.url("/bomb"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 4 * cap, peak


async def test_proxies_from_the_environment_are_not_used(guard, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    async with Site({"/f.xml": answer(FEED)}) as site:
        assert await Fetcher(TEST)(site.url("/f.xml")) == FEED
    assert guard.outside == [] and guard.connected == [("127.0.0.1", site.port)]


async def test_requests_name_the_bot_and_ask_only_for_codings_it_inflates(guard):
    async with Site({"/f.xml": answer(FEED)}) as site:
        await Fetcher(TEST)(site.url("/f.xml"))
    head = site.heads[0].decode("latin-1").lower()
    assert "\r\nuser-agent: saual-feeds/" in head
    assert "\r\naccept-encoding: gzip, deflate\r\n" in head


async def test_a_name_is_resolved_once_per_hop_and_connected_where_it_was_checked(guard):
    """DNS rebinding: a second lookup would answer an internal address; there is
    none, the connection goes to the address the first answer gave and checked."""
    answers = [["127.0.0.1"], ["10.0.0.1"], ["169.254.169.254"]]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[len(asked) - 1]

    async with Site({"/f.xml": answer(FEED)}) as site:
        fetch = Fetcher(TEST, resolver=rebinding)
        assert await fetch(site.url("/f.xml", host="feeds.test")) == FEED
        assert asked == ["feeds.test"] and guard.connected == [("127.0.0.1", site.port)]
        with pytest.raises(FeedRefused, match=r"feeds\.test is at 10\.0\.0\.1"):
            await fetch(site.url("/f.xml", host="feeds.test"))
    assert len(guard.connected) == 1 and guard.outside == []


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0x7f000001", "017700000001"])
async def test_legacy_numeric_hosts_are_refused(guard, host):
    """Numbers the system resolver maps onto 127.0.0.1 (aiohttp refuses some
    itself; the checking resolver the rest): no connection, even to loopback."""
    with pytest.raises(FeedError):
        await Fetcher(FeedsConfig())(f"https://{host}:9/f.xml")
    assert guard.connected == [] and guard.outside == []


async def test_the_host_checked_is_the_host_the_client_reads(guard):
    """Two URL parsers (the rules' and aiohttp's) must agree on the host, or an
    address literal could reach aiohttp unchecked: here they spell ß apart
    (IDNA 2003 "ss", IDNA 2008 "xn--zca"), and the fetch is refused."""
    names = {"ss.test": ["127.0.0.1"], "xn--zca.test": ["127.0.0.1"]}
    async with Site({"/f.xml": answer(FEED)}) as site:
        with pytest.raises(FeedRefused, match="reads another host"):
            await Fetcher(TEST, resolver=lambda host, port: _at(names[host]))(
                site.url("/f.xml", host="ß.test"))
    assert guard.connected == []


async def _at(ips: list[str]) -> list[str]:
    return ips


# -- whatever the server answers ---------------------------------------------------

_STATUS = st.sampled_from([
    b"HTTP/1.1 200 OK", b"HTTP/1.0 200", b"HTTP/1.1 302 Found", b"HTTP/1.1 304 Not Modified",
    b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK", b"HTTP/1.1 999 What", b"HTTP/2 200",
    b"SSH-2.0-OpenSSH_9.6", b"\x16\x03\x01\x02\x00"]) | st.binary(max_size=30)
_HEADER = st.sampled_from([
    b"Content-Length: 6", b"Content-Length: 7", b"Content-Length: -1",
    b"Content-Length: 99999999999999999999", b"Transfer-Encoding: chunked",
    b"Transfer-Encoding: gzip, chunked", b"Content-Encoding: gzip", b"Content-Encoding: deflate",
    b"Content-Encoding: br", b"Location: /p", b"Location: http://10.0.0.1/",
    b"Location: https://[::ffff:127.0.0.1]/", b"Location: \xff\xfe", b"X: \x00",
    b" folded"]) | st.binary(max_size=40)
_BODY = st.sampled_from([
    b"", b"<rss/>", b"6\r\n<rss/>\r\n0\r\n\r\n", b"zz\r\n", gzip.compress(b"<rss/>"),
    gzip.compress(b"<rss/>")[:12], zlib.compress(b"<rss/>"),
    b"ffffffffffff\r\n"]) | st.binary(max_size=100)


@pytest.fixture
async def hostile(guard):
    async with Site({}) as site:
        yield site


@settings(max_examples=100)
@given(status=_STATUS, headers=st.lists(_HEADER, max_size=5), body=_BODY)
async def test_any_answer_is_a_capped_body_or_a_feed_error_naming_the_address(
        hostile, guard, status, headers, body):
    hostile.routes["/p"] = raw(b"\r\n".join([status, *headers, b"", body]))
    cap = 1000
    try:
        got = await Fetcher(FeedsConfig(allow_loopback=True, timeout=5.0, max_bytes=cap))(
            hostile.url("/p"))
    except FeedError as exc:
        assert str(exc).startswith(("http://", "https://")), exc
    else:
        assert isinstance(got, bytes) and len(got) <= cap
    assert guard.outside == []
