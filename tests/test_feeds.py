"""Agency feeds: a local RSS/Atom file over HTTP on 127.0.0.1; new items become
announcements once; the `saual agency` commands."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.feedfetch import Fetcher
from bot.services import Announcements, Directory
from bot.services.feeds import FeedError, Feeds, FeedsConfig, plain

FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>МВД</title><link>https://gov.kz</link>
<description>Новости</description>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://gov.kz/news/{n}</link>
<guid>news-{n}</guid>
<description>&lt;p&gt;Текст &lt;b&gt;{n}&lt;/b&gt; &amp;amp; ещё&lt;/p&gt;</description></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>ЦИК</title><id>urn:cec</id>
<updated>2026-11-27T10:00:00Z</updated>
{entries}
</feed>"""
ENTRY = """<entry><title>Сайлау {n}</title><id>urn:cec:{n}</id><link href="https://election.gov.kz/{n}"/>
<updated>2026-11-27T10:00:00Z</updated><summary>Жаңалық {n}</summary></entry>"""


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def feeds(storage) -> Feeds:
    # The test server is plain http on 127.0.0.1: allowed by the test-only setting.
    config = FeedsConfig(allow_loopback=True)
    return Feeds(storage, Announcements(storage, Directory.load(FIXTURE_KNOWLEDGE)),
                 config=config, fetcher=Fetcher(config))


def rss(*numbers: int) -> str:
    return RSS.format(items="\n".join(ITEM.format(n=n, title=f"Новость {n}") for n in numbers))


async def test_new_items_become_announcements_once(served, feeds, storage):
    root, base = served
    (root / "mvd.xml").write_text(rss(2, 1), encoding="utf-8")
    feed = await feeds.add("mvd", f"{base}/mvd.xml", "ru")
    assert await feeds.poll(feed) == 0  # the first poll takes what is there as seen
    (root / "mvd.xml").write_text(rss(4, 3, 2, 1), encoding="utf-8")
    [feed] = await storage.feeds.all()
    assert await feeds.poll(feed) == 2
    assert await feeds.poll(feed) == 0
    assert await feeds.poll_all() == 0
    made = await storage.announcements.recent("mvd")
    assert [a.text_ru.split("\n\n")[0] for a in made] == ["Новость 4", "Новость 3"]
    assert made[0].text_ru == "Новость 4\n\nТекст 4 & ещё"
    assert made[0].url == "https://gov.kz/news/4" and made[0].source == "feed"


async def test_atom_feeds_in_kazakh(served, feeds, storage):
    root, base = served
    (root / "cec.atom").write_text(ATOM.format(entries=ENTRY.format(n=1)), encoding="utf-8")
    feed = await feeds.add("cec", f"{base}/cec.atom", "kk")
    await feeds.poll(feed)
    (root / "cec.atom").write_text(ATOM.format(entries=ENTRY.format(n=2) + ENTRY.format(n=1)),
                                   encoding="utf-8")
    [feed] = await storage.feeds.all()
    assert await feeds.poll(feed) == 1
    [made] = await storage.announcements.recent("cec")
    assert made.text_kk == "Сайлау 2\n\nЖаңалық 2" and made.text_ru == ""
    assert made.url == "https://election.gov.kz/2"


async def test_an_item_with_a_malformed_link_is_queued_without_it(served, feeds, storage):
    """A hostile feed's link "http://[" made urlsplit raise in valid_url, and the
    whole poll failed: every later item of the feed was lost with it."""
    root, base = served
    (root / "mvd.xml").write_text(rss(1), encoding="utf-8")
    feed = await feeds.add("mvd", f"{base}/mvd.xml", "ru")
    await feeds.poll(feed)
    (root / "mvd.xml").write_text(rss(3, 2, 1).replace("https://gov.kz/news/2", "http://["),
                                  encoding="utf-8")
    [feed] = await storage.feeds.all()
    assert await feeds.poll(feed) == 2
    made = await storage.announcements.recent("mvd")
    assert [(a.text_ru.split("\n\n")[0], a.url) for a in made] == [
        ("Новость 3", "https://gov.kz/news/3"), ("Новость 2", "")]


async def test_a_broken_feed_is_reported_and_skipped(served, feeds, storage):
    root, base = served
    (root / "bad.xml").write_text("<html>not a feed", encoding="utf-8")
    bad = await feeds.add("mvd", f"{base}/bad.xml")
    with pytest.raises(FeedError):
        await feeds.poll(bad)
    missing = await feeds.add("mvd", f"{base}/missing.xml")
    with pytest.raises(FeedError):
        await feeds.poll(missing)
    assert await feeds.poll_all() == 0
    with pytest.raises(ValueError, match="unknown agency"):
        await feeds.add("nope", f"{base}/x.xml")
    with pytest.raises(ValueError, match="http"):
        await feeds.add("mvd", "file:///etc/passwd")


async def test_each_feed_poll_is_counted_ok_or_failed(served, storage):
    root, base = served
    (root / "mvd.xml").write_text(rss(1), encoding="utf-8")
    (root / "bad.xml").write_text("<html>not a feed", encoding="utf-8")
    polls: list[bool] = []

    class Counted:
        def polled(self, ok: bool) -> None:
            polls.append(ok)

    config = FeedsConfig(allow_loopback=True)
    feeds = Feeds(storage, Announcements(storage, Directory.load(FIXTURE_KNOWLEDGE)),
                  config=config, fetcher=Fetcher(config), observer=Counted())
    await feeds.add("mvd", f"{base}/mvd.xml", "ru")
    await feeds.add("mvd", f"{base}/bad.xml", "ru")
    await feeds.add("mvd", f"{base}/missing.xml", "ru")
    await feeds.poll_all()
    assert polls == [True, False, False]


def test_plain_text_from_feed_html():
    assert plain("<p>A &amp; B</p><p>C<br/>D</p>") == "A & B\nC\nD"
    assert plain("Сайт&#8238;kz.gov &#x1b;[2Jx\x07") == "Сайтkz.gov [2Jx"


def test_agency_commands(tmp_path, monkeypatch, served):
    root, base = served
    (root / "f.xml").write_text(rss(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(FIXTURE_KNOWLEDGE))
    monkeypatch.setenv("FEED_ALLOW_LOOPBACK", "true")
    runner = CliRunner()
    result = runner.invoke(cli, ["agency", "invite", "mvd"])
    assert result.exit_code == 0, result.output
    assert "/link " in result.output
    result = runner.invoke(cli, ["agency", "token", "mvd"])
    assert result.exit_code == 0 and "mvd." in result.output
    result = runner.invoke(cli, ["agency", "feed", "mvd", f"{base}/f.xml", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "registered" in result.output
    result = runner.invoke(cli, ["agency", "invite", "nope"])
    assert result.exit_code == 1 and "unknown agency" in result.output


def test_agency_feed_wants_https(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(FIXTURE_KNOWLEDGE))
    result = CliRunner().invoke(cli, ["agency", "feed", "mvd", "http://127.0.0.1:9/rss.xml"])
    assert result.exit_code == 1 and "https only" in result.output
    assert "registered" not in result.output
