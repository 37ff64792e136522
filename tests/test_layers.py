"""The layers import-linter cannot see: it checks imports, and a handler that
holds a service could still reach the database through the service's
`.storage` (`answers.storage.questions.get(...)`). Telegram code calls service
methods; the repositories are the services' own."""

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
TELEGRAM_CODE = [*sorted((BOT / "handlers").glob("*.py")), BOT / "middlewares.py",
                 BOT / "delivery.py", BOT / "ticket_notifier.py"]


@pytest.mark.parametrize("path", TELEGRAM_CODE, ids=lambda p: p.relative_to(BOT).as_posix())
def test_telegram_code_never_reaches_into_a_service_s_storage(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    reached = [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr == "storage"]
    assert reached == []


def test_the_row_id_of_a_button_is_ascii_digits_an_id_column_holds():
    from bot.handlers.callbacks import ID_MAX, row_id

    assert [row_id(t) for t in ("0", "42", str(ID_MAX))] == [0, 42, ID_MAX]
    for forged in ("²", "١٢", "-1", "+1", " 1", "", str(ID_MAX + 1), "9" * 40):
        assert row_id(forged) is None, forged
