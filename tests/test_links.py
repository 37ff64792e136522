"""Deep links: the payload grammar (bot.services.links), the shipped catalogue's
ids fitting it, and `saual link` with the QR code it writes read back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from bot.services import links
from bot.services.links import Kind, Target

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("payload", "target"), [
    ("id-card", Target(Kind.TOPIC, "id-card")),
    ("id-card_kk", Target(Kind.TOPIC, "id-card", "kk")),
    ("residence-registration_ru", Target(Kind.TOPIC, "residence-registration", "ru")),
    ("stations", Target(Kind.STATIONS)),
    ("ask", Target(Kind.ASK)),
    ("help", Target(Kind.HELP)),
    ("sub-mvd", Target(Kind.SUBSCRIBE, "mvd")),
])
def test_payloads_parse_and_round_trip(payload, target):
    assert links.parse(payload) == target
    assert target.payload == payload


@pytest.mark.parametrize("forged", [
    "", "ID-CARD", "id_card", "id-card_en", "id-card_kk_ru", "-id-card", "sub-", "sub-MVD",
    "x" * 65, "id card", "id-card\n", "../etc", "sub-mvd_kk", "стations", "id-card_",
    "stations_kk", "ask_ru", "help_kk",
])
def test_anything_else_is_no_link(forged):
    assert links.parse(forged) is None


@given(st.text(max_size=80))
def test_whatever_parses_is_a_payload_telegram_passes_and_comes_back(text):
    target = links.parse(text)
    if target is not None:
        assert target.payload == text and len(text) <= links.MAX_PAYLOAD
        assert all(c.isascii() and (c.isalnum() or c in "_-") for c in text)


def test_topics_that_no_link_could_carry_are_refused():
    for bad in ("stations", "ask", "help", "sub-mvd", "x" * 62, "Id-card", "id_card"):
        with pytest.raises(links.LinkError):
            links.topic(bad)
    with pytest.raises(links.LinkError, match="kk or ru"):
        links.topic("id-card", "en")
    assert links.topic("x" * 61, "kk").payload == "x" * 61 + "_kk"


def test_urls():
    assert links.url("saual_bot", links.topic("id-card", "kk")) == \
        "https://t.me/saual_bot?start=id-card_kk"
    assert links.url("@saual_bot") == "https://t.me/saual_bot"
    for bad in ("", "ab", "saual bot", "1saual_bot", "x" * 33, "saual_bot?start=x"):
        with pytest.raises(links.LinkError):
            links.url(bad)


def test_every_shipped_topic_and_agency_can_be_linked():
    catalog = yaml.safe_load((ROOT / "knowledge" / "catalog.yaml").read_text(encoding="utf-8"))
    for entry in catalog["topics"]:
        for lang in ("", "kk", "ru"):
            assert links.parse(links.topic(entry["id"], lang).payload).id == entry["id"]
    agencies = yaml.safe_load((ROOT / "knowledge" / "agencies.yaml").read_text(encoding="utf-8"))
    for agency in agencies["agencies"]:
        target = Target(Kind.SUBSCRIBE, agency["id"])
        assert links.parse(target.payload) == target


# -- saual link ------------------------------------------------------------------


@pytest.fixture
def env(knowledge, tmp_path, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("BOT_USERNAME", "saual_test_bot")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def decode(path: Path) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(path))]


def test_link_prints_the_url_and_writes_a_qr_code_that_reads_back(env):
    result = runner.invoke(app, ["link", "id-card", "--lang", "kk", "--qr", "posters/id.png"])
    assert result.exit_code == 0, result.output
    url = "https://t.me/saual_test_bot?start=id-card_kk"
    assert result.stdout.strip() == url
    assert decode(env / "posters" / "id.png") == [url]
    assert "QR code written to posters/id.png" in result.stderr

    for target, payload in (("stations", "stations"), ("ask", "ask"), ("sub-mvd", "sub-mvd"),
                            ("residence-registration_ru", "residence-registration_ru")):
        result = runner.invoke(app, ["link", target, "--qr", f"{target}.png"])
        assert result.exit_code == 0, result.output
        assert decode(env / f"{target}.png") == [f"https://t.me/saual_test_bot?start={payload}"]
    result = runner.invoke(app, ["link", "help", "--bot", "@other_bot"])
    assert result.stdout.strip() == "https://t.me/other_bot?start=help"


@pytest.mark.parametrize(("args", "says"), [
    (["link", "no-such-topic"], "no page 'no-such-topic'"),
    (["link", "sub-nobody"], "unknown agency 'nobody'"),
    (["link", "stations", "--lang", "kk"], "--lang is for a page"),
    (["link", "id-card", "--lang", "en"], "unknown language 'en'"),
    (["link", "id-card", "--qr", "id.jpg"], "name the file .png"),
    (["link", "Id card"], "cannot be a deep link"),
    (["link", "id-card", "--bot", "no"], "not a bot's username"),
])
def test_link_refuses_what_it_cannot_link(env, args, says):
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and says in result.output, result.output
    assert not list(env.glob("*.png"))


def test_link_needs_the_bots_username(env, monkeypatch):
    monkeypatch.delenv("BOT_USERNAME")
    result = runner.invoke(app, ["link", "id-card"])
    assert result.exit_code == 1 and "set BOT_USERNAME" in result.output
