"""Agency feeds as hostile input: a hostile server on 127.0.0.1 (tests/feedkit.py)
answers garbage, drips, hangs, floods and redirects inwards; no connection ever
leaves 127.0.0.1 (the guard refuses and records any)."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import shutil
import ssl
import subprocess
import tracemalloc
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbkit import outbox_rows
from feedkit import OutsideGuard, Site, answer, drip, hang, raw, redirect, stream

from bot.feedfetch import Fetcher
from bot.services import Announcements, Directory
from bot.services.announcements import Draft
from bot.services.feedfetch import public_address
from bot.services.feeds import FeedError, FeedRefused, Feeds, FeedsConfig, declares_entities
from bot.storage.tables import subscriptions, users

FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"
TEST = FeedsConfig(allow_loopback=True, timeout=5.0)  # the test server is http on 127.0.0.1


def rss(*numbers: int, pad: str = "") -> bytes:
    items = "".join(f"<item><title>Новость {n}{pad}</title><guid>n-{n}</guid>"
                    f"<link>https://gov.kz/{n}</link></item>" for n in numbers)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>МВД</title>{items}</channel></rss>").encode()


@pytest.fixture
def guard(monkeypatch) -> OutsideGuard:
    return OutsideGuard(monkeypatch)


def resolver(names: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        return names[host]
    return resolve


# -- addresses -------------------------------------------------------------------

@pytest.mark.parametrize("ip", [
    "127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1",
    "169.254.169.254", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456::1", "0.0.0.0", "::",
    "224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.18.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "::ffff:10.0.0.1", "2002:a00:1::1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
    # reserved ranges Python's is_global lets through (a review's finds)
    "::7f00:1", "::ffff:0:a00:1", "::ffff:0:7f00:1", "64:ff9b:1::a00:1", "fec0::1",
])
def test_internal_addresses_are_not_public(ip):
    assert not public_address(ip)


@pytest.mark.parametrize("ip", ["8.8.8.8", "95.59.0.1", "2a00:1450:4001::1",
                                "::ffff:8.8.8.8", "2002:808:808::1"])
def test_public_addresses_are(ip):
    assert public_address(ip)


# -- what a fetch refuses, before connecting -------------------------------------

async def test_plain_http_and_loopback_are_refused_without_the_test_setting(guard):
    async with Site({"/f.xml": answer(rss(1))}) as site:
        fetch = Fetcher(FeedsConfig())
        with pytest.raises(FeedRefused, match="not a public address"):
            await fetch(site.url("/f.xml"))  # http://127.0.0.1
        with pytest.raises(FeedRefused, match="not a public address"):
            await fetch(site.url("/f.xml", "https"))
        with pytest.raises(FeedRefused, match="not a public address"):
            await Fetcher(FeedsConfig(),
                          resolver=resolver({"localhost": ["::1"]}))("https://localhost/f.xml")
        with pytest.raises(FeedRefused, match="https only"):
            await Fetcher(FeedsConfig(),
                          resolver=resolver({"news.gov.kz": ["95.59.0.1"]}))(
                              "http://news.gov.kz/rss")
        assert guard.connected == [] and site.connections == 0 and guard.outside == []


async def test_redirects_inwards_are_refused_at_each_hop(guard):
    names = {"intranet.test": ["192.168.1.5"], "split.test": ["95.59.0.1", "10.0.0.1"]}
    targets = {"/meta": "http://169.254.169.254/latest/meta-data/",
               "/private": "https://10.0.0.1/feed",
               "/named": "https://intranet.test/feed",
               "/split": "https://split.test/feed",
               "/mapped": "https://[::ffff:a9fe:a9fe]/",
               "/link-local6": "https://[fe80::1]/"}
    async with Site({path: redirect(to) for path, to in targets.items()}) as site:
        fetch = Fetcher(TEST, resolver=resolver(names))
        for path in targets:
            with pytest.raises(FeedRefused, match="not a public address"):
                await fetch(site.url(path))
        # one connection per first hop, to the test server; none anywhere else
        assert {ip for ip, _port in guard.connected} == {"127.0.0.1"}
        assert len(guard.connected) == len(targets) and guard.outside == []


async def test_redirects_are_followed_a_few_times_at_most(guard):
    async with Site({}) as site:
        site.routes.update({"/a": redirect("/b"), "/b": redirect(site.url("/a")),
                            "/c": redirect("/f.xml"), "/f.xml": answer(rss(1))})
        fetch = Fetcher(TEST)
        assert await fetch(site.url("/c")) == rss(1)
        with pytest.raises(FeedError, match="more than 3 redirects"):
            await fetch(site.url("/a"))
        assert site.requests[2:] == ["/a", "/b", "/a", "/b"]


async def test_the_address_checked_is_the_address_connected(guard):
    """No second DNS answer (rebinding) can move a fetch: it connects to the
    address it checked, and a name with any internal address is refused."""
    async with Site({"/f.xml": answer(rss(1))}) as site:
        names = {"feeds.test": ["127.0.0.1"], "mixed.test": ["127.0.0.1", "10.0.0.1"]}
        fetch = Fetcher(TEST, resolver=resolver(names))
        assert await fetch(site.url("/f.xml", host="feeds.test")) == rss(1)
        assert guard.connected == [("127.0.0.1", site.port)]
        with pytest.raises(FeedRefused, match=r"10\.0\.0\.1"):
            await fetch(site.url("/f.xml", host="mixed.test"))
        assert len(guard.connected) == 1 and guard.outside == []


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for feeds.test and 127.0.0.1 (openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=feeds.test",
                    "-addext", "subjectAltName=DNS:feeds.test"],
                   check=True, capture_output=True)
    return cert, key


async def test_https_checks_the_certificate_against_the_name(guard, certificate):
    cert, key = certificate
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    names = {"feeds.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}
    async with Site({"/f.xml": answer(rss(1))}, ssl=server) as site:
        fetch = Fetcher(TEST, resolver=resolver(names), ssl_context=trusting)
        assert await fetch(site.url("/f.xml", "https", "feeds.test")) == rss(1)
        assert guard.connected == [("127.0.0.1", site.port)]
        assert site.server_names == ["feeds.test"]
        with pytest.raises(FeedError, match="SSLCertVerificationError"):
            await fetch(site.url("/f.xml", "https", "other.test"))  # not the certificate's name
        with pytest.raises(FeedError, match="SSLCertVerificationError"):  # not a trusted CA
            await Fetcher(TEST, resolver=resolver(names))(site.url("/f.xml", "https",
                                                                   "feeds.test"))
        assert guard.outside == []


# -- what a server can do to a fetch ---------------------------------------------

async def test_non_http_bytes_are_a_feed_error(guard):
    async with Site({"/ssh": raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
                     "/nothing": raw(b""),
                     "/chunks": raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    b"zz\r\n")}) as site:
        fetch = Fetcher(TEST)
        with pytest.raises(FeedError, match="not an HTTP answer"):
            await fetch(site.url("/ssh"))
        with pytest.raises(FeedError, match="not an HTTP answer"):
            await fetch(site.url("/nothing"))
        with pytest.raises(FeedError, match="broken chunked"):
            await fetch(site.url("/chunks"))


async def test_a_slow_drip_is_cut_at_the_total_timeout(guard):
    async with Site({"/drip": drip(40, every=0.05)}) as site:
        with pytest.raises(FeedError, match=r"no complete answer within 0.3 s"):
            await Fetcher(FeedsConfig(allow_loopback=True, timeout=0.3))(site.url("/drip"))


async def test_a_body_over_the_cap_is_refused_without_holding_it(guard):
    cap = 5_000_000
    big = b" " * 6_000_000
    chunked = b"".join(b"%x\r\n" % len(part) + part + b"\r\n"
                       for part in (big[:3_000_000], big[3_000_000:])) + b"0\r\n\r\n"
    async with Site({"/length": answer(big),
                     "/chunked": raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     + chunked),
                     "/gzip": answer(gzip.compress(big), headers="Content-Encoding: gzip\r\n"),
                     "/stream": stream(40_000_000)}) as site:
        fetch = Fetcher(FeedsConfig(allow_loopback=True, max_bytes=cap))
        for path in ("/length", "/chunked", "/gzip"):
            with pytest.raises(FeedError, match="larger than 5000000 bytes"):
                await fetch(site.url(path))
        tracemalloc.start()
        try:
            with pytest.raises(FeedError, match="larger than 5000000 bytes"):
                await fetch(site.url("/stream"))  # 40 MB, no Content-Length
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 3 * cap, peak


# -- a round of polls ------------------------------------------------------------

@pytest.fixture
def announcements(storage) -> Announcements:
    return Announcements(storage, Directory.load(FIXTURE_KNOWLEDGE))


async def test_one_feed_failing_in_any_way_does_not_stop_the_round(
        storage, announcements, guard, caplog):
    """Garbage, a hang and an unexpected exception: each is logged with the feed
    and agency and recorded on its feed; the good feed after them is polled, and
    the round ends when the hanging fetch reaches its time cap."""
    config = FeedsConfig(allow_loopback=True, timeout=0.5)
    async with Site({"/ssh": raw(b"SSH-2.0-OpenSSH_9.6\r\n"), "/hang": hang,
                     "/good.xml": answer(rss(1))}) as site:
        feeds = Feeds(storage, announcements, config=config, clock=lambda: 1000.0,
                      fetcher=Fetcher(config))
        for path in ("/ssh", "/hang"):
            await feeds.add("mvd", site.url(path))
        good = await feeds.add("cec", site.url("/good.xml"), "kk")
        await feeds.poll(good)
        site.routes["/good.xml"] = answer(rss(2, 1))

        async def explode(url: str) -> bytes:
            if url.endswith("/ssh"):
                raise RuntimeError("a bug in the parser")
            return await Fetcher(config)(url)

        assert await feeds.poll_all() == 1
        [made] = await storage.announcements.recent("cec")
        assert made.text_kk.startswith("Новость 2")
        errors = {f.url.rsplit("/", 1)[1]: f for f in await storage.feeds.all()}
        assert "not an HTTP answer" in errors["ssh"].last_error
        assert "no complete answer within 0.5 s" in errors["hang"].last_error
        assert errors["hang"].failed_at == 1000.0 and errors["good.xml"].last_error is None
        broken = Feeds(storage, announcements, config=config, fetcher=explode)
        with caplog.at_level(logging.WARNING, logger="bot.services.feeds"):
            assert await broken.poll_all() == 0
        assert "RuntimeError: a bug in the parser" in (await storage.feeds.all())[0].last_error
        assert f"feed {errors['ssh'].id} of mvd: poll failed" in caplog.text
        assert guard.outside == []


class Binds:
    """The most bind parameters any one statement on the engine carried."""

    def __init__(self, engine):
        self.most = 0
        sa.event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        rows = parameters if executemany else [parameters]
        self.most = max([self.most, *(len(r) for r in rows if r is not None)])


async def test_a_33000_item_feed_is_stored_in_chunks(storage, announcements):
    """Over PostgreSQL's 32,767 bind parameters in one statement before (an
    InterfaceError on asyncpg; SQLite's limit is 32,766)."""
    body = {"now": rss(*range(33_000, 0, -1))}

    async def fetch(url: str) -> bytes:
        return body["now"]

    binds = Binds(storage.engine)
    feeds = Feeds(storage, announcements, fetcher=fetch,
                  config=FeedsConfig(max_items=5))
    feed = await feeds.add("mvd", "https://gov.kz/rss")
    assert await feeds.poll(feed) == 0
    assert binds.most <= 2000, binds.most
    body["now"] = rss(*range(33_030, 32_990, -1))
    [feed] = await storage.feeds.all()
    assert await feeds.poll(feed) == 5  # 30 new: the newest 5, the rest noted as seen
    assert await storage.feeds.unseen(feed.id, [f"n-{n}" for n in range(33_030, 33_000, -1)]) \
        == []
    made = await storage.announcements.recent("mvd", 10)
    assert [a.text_ru for a in made] == [f"Новость {n}" for n in range(33_030, 33_025, -1)]
    assert 0 < binds.most <= 2000, binds.most


async def test_item_text_is_capped_plain_text(storage, announcements):
    huge = "<script>alert(1)</script><b>" + "ж" * 100_000 + "</b>"
    body = {"now": rss(1)}

    async def fetch(url: str) -> bytes:
        return body["now"]

    feeds = Feeds(storage, announcements, fetcher=fetch)
    feed = await feeds.add("mvd", "https://gov.kz/rss")
    await feeds.poll(feed)
    body["now"] = rss(2, 1, pad=huge.replace("<", "&lt;").replace(">", "&gt;"))
    [feed] = await storage.feeds.all()
    assert await feeds.poll(feed) == 1
    [made] = await storage.announcements.recent("mvd")
    assert "<" not in made.text_ru and len(made.text_ru) <= 16_000
    assert made.text_ru.startswith("Новость 2alert(1)жжж")


async def test_registering_a_feed_wants_https(storage, announcements):
    feeds = Feeds(storage, announcements, fetcher=Fetcher())
    with pytest.raises(ValueError, match="https only"):
        await feeds.add("mvd", "http://gov.kz/rss")
    assert (await feeds.add("mvd", "https://gov.kz/rss")).url == "https://gov.kz/rss"


async def test_an_announcement_to_many_followers_is_queued_in_chunks(storage, announcements):
    """Its outbox rows: no statement carries more than a few thousand parameters."""
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp()  # unix seconds, as repositories write
    async with storage.engine.begin() as conn:
        for start in range(1, 4001, 1000):
            ids = range(start, start + 1000)
            await conn.execute(users.insert(), [
                {"id": i, "language": "ru", "blocked": False, "paused": False,
                 "created_at": now, "updated_at": now} for i in ids])
            await conn.execute(subscriptions.insert(), [
                {"user_id": i, "kind": "agency", "target": "mvd", "created_at": now}
                for i in ids])
    binds = Binds(storage.engine)
    made, created = await announcements.publish("mvd", Draft(text_ru="x"), source="feed")
    assert created and made.recipients == 4000
    assert len(await outbox_rows(storage, made.id)) == 4000
    assert 0 < binds.most <= 2000, binds.most


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
async def test_a_feed_that_declares_entities_is_refused_unparsed(storage, announcements,
                                                                 monkeypatch, encoding):
    # "Billion laughs": 140 KB of references to one entity took 2.5 GB and 12 s in
    # feedparser's lenient parser; nested entities, far more.
    bomb = (f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE rss [\n'
            f'<!ENTITY a "{"A" * 1000}">\n]>\n<rss version="2.0"><channel><title>t</title>'
            f'<item><guid>1</guid><title>{"&a;" * 1000}</title></item></channel></rss>')

    async def fetch(url: str) -> bytes:
        return bomb.encode(encoding)

    def never(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr("bot.services.feeds.feedparser.parse", never)
    feeds = Feeds(storage, announcements, fetcher=fetch)
    feed = await feeds.add("mvd", "https://gov.kz/rss")
    with pytest.raises(FeedError, match="declares XML entities"):
        await feeds.poll(feed)
    # Garbage before the prolog hides the declaration from expat, not from the check.
    assert declares_entities(b"\xff\xfe\x00junk" + bomb.encode())
    assert not declares_entities(rss(2))
