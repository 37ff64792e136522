"""Small talk: greetings, thanks, insults, emoji and noise get replies that fit
them, in the user's language, with a hint on how to ask; nothing is searched or
logged. A greeting or an insult next to a real question leaves the question."""

from __future__ import annotations

import pytest

HINT = {
    "ru": "Напишите вопрос своими словами, например: «как получить удостоверение личности». "
          "Все темы — в /menu.",
    "kk": "Сұрағыңызды өз сөзіңізбен жазыңыз, мысалы: «жеке куәлікті қалай алуға болады». "
          "Барлық тақырып /menu мәзірінде.",
}
MENU = {"ru": "📚 Меню", "kk": "📚 Мәзір"}


async def _in(citizen, lang):
    if lang == "kk":
        await citizen.send("/start")
        await citizen.press("Қазақша")


async def _reply(citizen, text):
    calls = await citizen.send(text)
    # no search: no "typing", one message
    assert [c.method for c in calls] == ["sendMessage"], [c.method for c in calls]
    return calls[0]


@pytest.mark.parametrize(("lang", "text", "first"), [
    ("ru", "Привеееет!", "Здравствуйте! Я отвечаю на вопросы о государственных услугах."),
    ("ru", "Добрый день, бот 👋", "Здравствуйте! Я отвечаю на вопросы о государственных услугах."),
    ("kk", "Сәлеметсіз бе?",
     "Сәлеметсіз бе! Мен мемлекеттік қызметтер туралы сұрақтарға жауап беремін."),
    ("kk", "salem", "Сәлеметсіз бе! Мен мемлекеттік қызметтер туралы сұрақтарға жауап беремін."),
    ("ru", "Спасибо большое!", "Пожалуйста, рад помочь!"),
    ("kk", "Рахмееет 🙏", "Оқасы жоқ! Көмегім тигеніне қуаныштымын."),
    ("ru", "до свидания", "Всего доброго! Возвращайтесь с любым вопросом."),
    ("kk", "сау болыңыз", "Сау болыңыз! Сұрағыңыз болса, қайта жазыңыз."),
    ("ru", "👍", "Увы, эмодзи я не понимаю 🙂"),
    ("kk", "😡😡", "Өкінішке қарай, эмодзиді түсінбеймін 🙂"),
    ("ru", "?", "Я не совсем понял сообщение."),
    ("kk", "?", "Хабарламаңызды толық түсінбедім."),
    ("ru", "ыыы", "Я не совсем понял сообщение."),
    ("kk", "asdf", "Хабарламаңызды толық түсінбедім."),
])
async def test_small_talk_gets_a_fitting_reply_and_the_hint(saual, citizen, lang, text, first):
    await _in(citizen, lang)
    reply = await _reply(citizen, text)
    assert reply.text == f"{first}\n\n{HINT[lang]}"
    assert [b["text"] for b in reply.buttons] == [MENU[lang]]
    assert await saual.storage.questions.recent() == []  # not a question: not logged


@pytest.mark.parametrize(("lang", "text", "rude", "first"), [
    ("ru", "тупой бот", ["тупой"],
     "Жаль, если я не смог помочь. Давайте попробуем ещё раз: я ищу ответы на официальных "
     "порталах."),
    ("ru", "ты х*р", ["х*р"], "Жаль, если я не смог помочь."),
    ("kk", "ақымақ бот!!", ["ақымақ"],
     "Көмектесе алмағаныма өкінемін. Қайта көрейік: мен жауапты ресми порталдардан іздеймін."),
    ("kk", "suka", ["suka"], "Көмектесе алмағаныма өкінемін."),
])
async def test_an_insult_is_answered_calmly_and_never_quoted(saual, citizen, lang, text, rude,
                                                             first):
    await _in(citizen, lang)
    reply = await _reply(citizen, text)
    assert reply.text.startswith(first) and reply.text.endswith(HINT[lang])
    for word in rude:
        assert word not in reply.text.casefold()
    assert await saual.storage.questions.recent() == []


@pytest.mark.parametrize(("lang", "text", "title"), [
    ("ru", "Здравствуйте! Прописка онлайн?", "Регистрация по месту жительства"),
    ("kk", "Сәлем, жеке куәлікті қайдан аламын?", "Жеке куәлік алу"),
])
async def test_a_greeting_with_a_question_gets_the_answer_card(saual, citizen, lang, text,
                                                               title):
    await _in(citizen, lang)
    calls = await citizen.send(text)
    assert calls[0].method == "sendChatAction"  # searched
    card = next(c for c in calls if c.method == "sendMessage")
    assert card.text.startswith(title)
    [row] = await saual.storage.questions.recent()
    assert row.confident and row.text == text.split(maxsplit=1)[1]  # no greeting


async def test_an_insult_with_a_question_gets_the_answer_and_is_not_kept(saual, citizen):
    calls = await citizen.send("тупой бот, прописка онлайн")
    card = next(c for c in calls if c.method == "sendMessage")
    assert card.text.startswith("Регистрация по месту жительства")
    [row] = await saual.storage.questions.recent()
    assert row.text == "прописка онлайн"  # searched and logged without the insult


async def test_an_insult_with_an_unanswered_question_is_not_quoted_back(saual, citizen):
    calls = await citizen.send("дебил, рецепт плова с бараниной")
    reply = next(c for c in calls if c.method == "sendMessage")
    assert reply.text.startswith("Извините, на вопрос «рецепт плова с бараниной» я не нашёл")
    assert "дебил" not in reply.text


@pytest.mark.parametrize(("lang", "first"), [
    ("ru", "По одному слову мне не удалось найти ответ."),
    ("kk", "Бір сөз бойынша жауап таба алмадым."),
])
async def test_one_word_without_an_answer_gets_the_hint(knowledge, settings, encoder, clock,
                                                        session, lang, first):
    from botkit import Citizen

    from bot.app import Saual
    from embeddings import build_index, load_knowledge

    # no suggestion is close enough: the engine has nothing for the word
    settings = settings.model_copy(update={"suggest_min_confidence": 0.9})
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        await _in(citizen, lang)
        calls = await citizen.send("абырвалг")
        assert calls[0].method == "sendChatAction"  # the word was searched
        reply = next(c for c in calls if c.method == "sendMessage")
        assert reply.text == f"{first}\n\n{HINT[lang]}"
        assert "абырвалг" not in reply.text
        [row] = await app.storage.questions.recent()  # a question: logged
        assert not row.confident
        # two words without an answer still get the honest "no answer"
        calls = await citizen.send("абырвалг плов")
        reply = next(c for c in calls if c.method == "sendMessage")
        assert "«абырвалг плов»" in reply.text
    finally:
        await app.close()
