"""A change notice as the courier sends it, and the bell under an answer card."""

from __future__ import annotations

import pytest

from bot.app import build_i18n
from bot.delivery import Part, TelegramCourier, render_change
from bot.handlers import keyboards
from bot.services import Announcement, Answer, Directory, Hit
from embeddings import DocKind


def notice(title_kk: str = "Жеке куәлік алу", title_ru: str = "Получение удостоверения",
           changes: tuple[str, ...] = ("number", "section+"), topic: str | None = "id-card"):
    return Announcement(1, "", "change", title_kk, title_ru, "", (), 1, 0.0,
                        topic_id=topic, changes=changes)


@pytest.mark.parametrize(("lang", "title", "what"), [
    ("ru", "Получение удостоверения", "Что изменилось: суммы или другие числа, новый раздел."),
    ("kk", "Жеке куәлік алу", "Не өзгерді: сомалар немесе басқа сандар, жаңа бөлім."),
])
def test_a_change_notice_is_written_in_the_recipients_language(lang, title, what):
    [part] = render_change(notice(), lang, build_i18n())
    assert isinstance(part, Part)
    text, _entities = part.text.render()
    assert text.startswith(f"🔔 {title}\n\n") and what in text
    buttons = [b for row in part.markup.inline_keyboard for b in row]
    assert [b.callback_data for b in buttons] == ["t:id-card:1", "b:id-card:0"]


def test_a_change_notice_title_is_only_text_and_unknown_kinds_are_left_out():
    hostile = "<b>Паспорт</b> & {what} \u202e"
    [part] = render_change(notice(title_ru=hostile, changes=("bogus", "url")), "ru",
                           build_i18n())
    text, entities = part.text.render()
    assert hostile in text and "bogus" not in text and "ссылки." in text
    assert all(e.type == "bold" for e in entities)
    [plain] = render_change(notice(topic=None), "xx", build_i18n())  # no page: no buttons
    assert not isinstance(plain, Part)


def test_the_courier_renders_announcements_as_before(tmp_path):
    directory = Directory.load("tests/fixtures/knowledge")
    courier = TelegramCourier(bot=None, directory=directory)  # type: ignore[arg-type]
    staff = Announcement(2, "mvd", "staff", "Хабарландыру", "Объявление", "", (), 1, 0.0)
    [part] = courier.render(staff, "ru")
    assert "Объявление" in part.render()[0] and not isinstance(part, Part)
    [change] = courier.render(notice(), "kk")
    assert isinstance(change, Part)


def _answer(kind: DocKind, watching: bool) -> Answer:
    hit = Hit(id="id-card", title="Удостоверение", lang="ru", url="", score=1.0, snippet="",
              section="", kind=kind)
    return Answer(7, "ru", True, hit, watching=watching)


def test_the_bell_is_under_the_answer_card_of_a_knowledge_page_only():
    i18n = build_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        def bells(answer):
            markup = keyboards.answer(answer)
            return [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row
                    if (b.callback_data or "").startswith("b:")]

        assert bells(_answer(DocKind.PAGE, False)) == [
            ("🔔 Сообщить, если это изменится", "b:id-card:1")]
        assert bells(_answer(DocKind.PAGE, True)) == [
            ("🔕 Не сообщать об изменениях", "b:id-card:0")]
        assert bells(_answer(DocKind.QA, False)) == []
