"""End-to-end harness: the Bot API emulator (npm telegram-test-api behind our
launcher) on 127.0.0.1, the real `saual run` process, and a user who types and
presses buttons through the emulator's client API."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

EMULATOR = Path(__file__).parent / "emulator"
TOKEN = "123456:saual-e2e-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not (EMULATOR / "node_modules" / "telegram-test-api").exists():
            raise RuntimeError(
                "the Bot API emulator is not installed: run `make install` "
                "(npm ci --prefix tests/e2e/emulator)")
        self.port = free_port()
        self.proc = subprocess.Popen([node, str(EMULATOR / "launcher.js"), str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {line}{self.proc.stdout.read()}")
        self.base = f"http://127.0.0.1:{self.port}"

    def call(self, path: str, payload: dict) -> dict:
        request = urllib.request.Request(
            self.base + path, data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


@dataclass
class User:
    """A Telegram user talking to the bot through the emulator."""

    emulator: Emulator
    user_id: int = 5001
    language_code: str = "ru"
    first_name: str = "Айгерім"
    group: dict | None = None  # a group chat ({"id", "type", "title"}) to write in instead
    seen: list[dict] = field(default_factory=list)

    @property
    def _from(self) -> dict:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name,
                "language_code": self.language_code}

    @property
    def _chat(self) -> dict:
        return self.group or {"id": self.user_id, "type": "private",
                              "first_name": self.first_name}

    def send(self, text: str, reply_to: dict | None = None) -> None:
        """Type `text`; with `reply_to` (a bot message seen here) as a reply to it."""
        message = {"botToken": TOKEN, "from": self._from, "chat": self._chat, "text": text,
                   "date": int(time.time())}
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to["message_id"], "chat": self._chat,
                "date": int(time.time()), "text": reply_to.get("text", ""),
                "from": {"id": 666, "is_bot": True, "first_name": "Saual Test"}}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            self.emulator.call("/sendCommand", message)
        else:
            self.emulator.call("/sendMessage", message)

    def send_location(self, latitude: float, longitude: float) -> None:
        """Share a location (what the 📍 button of a reply keyboard sends)."""
        self.emulator.call("/sendMessage", {
            "botToken": TOKEN, "from": self._from, "chat": self._chat, "date": int(time.time()),
            "location": {"latitude": latitude, "longitude": longitude}})

    def press(self, message: dict, text: str) -> None:
        """Press the inline button whose label contains `text`."""
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if text in button["text"] and "callback_data" in button:
                    self.emulator.call("/sendCallback", {
                        "botToken": TOKEN, "from": self._from, "data": button["callback_data"],
                        # as Telegram does: the whole message the button belongs to
                        "message": {"message_id": message["message_id"], "chat": self._chat,
                                    "date": int(time.time()), "text": message.get("text", ""),
                                    "entities": message.get("entities") or [],
                                    "reply_markup": message.get("reply_markup")},
                    })
                    return
        raise AssertionError(f"no button {text!r} in {message.get('reply_markup')}")

    def replies(self, count: int = 1, timeout: float = 30.0) -> list[dict]:
        """Wait for `count` new (or edited) bot messages in this chat."""
        deadline = time.monotonic() + timeout
        got: list[dict] = []
        while time.monotonic() < deadline:
            data = self.emulator.call("/getUpdates", {"token": TOKEN,
                                                      "chatId": self._chat["id"]})
            for update in data["result"]:
                message = dict(update["message"])
                message["message_id"] = update["messageId"]
                got.append(message)
            if len(got) >= count:
                self.seen.extend(got)
                return got
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout}s for {count} replies, got {got}")


    def reply_with(self, text: str, timeout: float = 30.0) -> dict:
        """Wait for a new (or edited) bot message in this chat that contains
        `text`, whatever comes before it (an edit of an earlier message may
        arrive first, alone or in the same batch, as the machine's load has it)."""
        deadline = time.monotonic() + timeout
        got: list[dict] = []
        while time.monotonic() < deadline:
            got.extend(self.replies(1, timeout=max(0.1, deadline - time.monotonic())))
            for message in got:
                if text in message.get("text", ""):
                    return message
        raise AssertionError(f"waited {timeout}s for a reply with {text!r}, got {got}")


def start_bot(env: dict, cwd: Path) -> subprocess.Popen:
    saual = Path(sys.executable).with_name("saual")
    return subprocess.Popen([str(saual), "run"], env={**os.environ, **env}, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def buttons(message: dict) -> list[dict]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
