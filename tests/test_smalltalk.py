"""Small talk told from questions: greetings, thanks, goodbyes, insults, emoji and
noise in Kazakh, Russian, Latin spellings, mixed, with typos and repeated letters;
questions (one-word ones too) stay questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.services.smalltalk import Kind, classify, one_word, question_text

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent

CASES = {
    Kind.GREETING: [
        "привет", "Привет!", "Привееет", "приветик)", "Здравствуйте", "здравствуйте!!!",
        "Здраствуйте", "здрасте", "Добрый день", "добрый вечер!", "Доброе утро 🌞",
        "Добрый день, бот", "привет бот 👋", "Привет, как дела?", "как дела", "хай",
        "Салют", "алло", "Приветствую!", "Здравствуйте, у меня вопрос",
        "Добрый день! Подскажите, пожалуйста", "здравствуйте уважаемый бот",
        "Сәлем", "сәлем!", "Сәлеметсіз бе?", "Сәлеметсіз бе", "сәлеметсіздер ме",
        "Салеметсиз бе", "салем", "Салам", "Ассалаумағалейкум", "ассаламуалейкум",
        "Қайырлы таң", "қайырлы күн!", "кайырлы кеш", "Қалайсыз?", "қалың қалай",
        "Жағдайыңыз қалай?", "Армысыз!", "сәлем бот", "Сәлем, сұрағым бар",
        "salem", "Salem!", "sälem", "salemetsiz be", "Salemetsizbe", "salam", "qalaisyz",
        "privet", "Privet bot", "zdravstvuyte", "dobryi den", "hi", "Hello!", "hey",
        "привет hello", "Salem, привет!", "привет 😊", "Hi бот",
    ],
    Kind.THANKS: [
        "спасибо", "Спасибо!", "спасибо большое", "Спасибо огромное!!", "Спасибоооо",
        "спс", "Спасибки", "благодарю", "Благодарю за помощь", "спасибо за ответ",
        "Понятно, спасибо", "ок спасибо", "спасибо, всё понятно", "Спасибо бот 👍",
        "Огромное вам спасибо", "мерси", "Рахмет", "рахмет!", "Рахмееет", "көп рахмет",
        "Үлкен рахмет", "Рақмет", "ракмет", "рахмет көмегіңізге", "Рахмет саған",
        "алғыс айтамын", "Сізге рахмет!", "rahmet", "Rahmet 🙏", "raqmet", "spasibo",
        "Spasibo bolshoe", "thanks", "thank you", "thx", "спасибо, до свидания",
        "привет, спасибо", "Рахмет, сау болыңыз", "🙏 спасибо",
    ],
    Kind.GOODBYE: [
        "пока", "Пока-пока", "до свидания", "До свидания!", "досвидания", "всего доброго",
        "всего хорошего", "до встречи", "сау бол", "Сау болыңыз!", "көріскенше",
        "қош болыңыз", "bye", "удачи",
    ],
    Kind.INSULT: [
        "тупой бот", "Тупой", "ты тупой?", "ты дурак что ли", "дебил", "идиот!",
        "бот идиот", "Ты совсем тупой или что", "иди нахуй", "нахуй иди", "пошёл нахер",
        "бля", "блять", "сука", "Сука!!!", "пиздец", "ебаный бот", "заебал", "урод",
        "долбоёб", "мудак", "хуйня", "говно бот", "говнобот", "чмо", "лох", "тварь",
        "х*р", "х**", "б**ть", "п*здец", "с*ка", "ты х*й", "сyка", "xуй", "тупoй бот",
        "ақымақ", "ақымақ бот", "Акымак", "малғұн", "оңбаған", "есек", "шошқа",
        "жынды бот", "сен ақымақсың", "миғұла", "ессіз",
        "suka", "blyat", "pizdec", "nahui", "debil", "tupoi bot", "durak", "idiot",
        "fuck", "fuck you", "stupid bot", "wtf", "f*ck", "привет, дебил", "спасибо, идиот",
    ],
    Kind.EMOJI: [
        "👍", "🙏🙏", "😡", "❤️", "👍🏻", "🤔", "😂😂😂", "🙂 🙂", ":)", ":-(", ")))",
        "((", "xD", "👋!", "🙏?", "❤",
    ],
    Kind.NOISE: [
        "?", "??", "???", "...", "!", "!?", "-", ".", ",", "+",
        "а", "а?", "Я", "ы", "ыыы", "ааа", "Ааааа!", "ммм", "ээ", "хм", "ну", "ну?",
        "ок", "ok", "ОК", "окей", "да", "нет", "ага", "ясно", "понятно", "хорошо",
        "иә", "жоқ", "жарайды", "түсінікті", "бот", "бот?", "Саул", "у меня вопрос",
        "вопрос", "можно спросить?", "помогите", "подскажите пожалуйста", "сұрақ бар",
        "asdf", "qwerty", "фыва", "йцукен", "asdasd", "фывфыв", "zxcv", "ячсмит",
        "хахаха", "ахах", "haha", "лол", "хех",
    ],
}

QUESTIONS = [
    # one word or one abbreviation: a real query
    "паспорт", "Пенсия", "пенсия?", "ЕНТ", "ИП", "ЦОН", "ХҚКО", "ИИН", "ЖСН", "ЭЦП", "ОСМС",
    "ВНЖ", "АСП", "АЛО", "прописка", "права", "неке", "пособие", "декрет", "алименты",
    "субсидия", "egov", "propiska", "zhardemaqy", "жәрдемақы", "зейнетақы", "тіркеу",
    "дұрыс", "помощь", "день", "ответ", "пропал", "шеккенге", "1414", "870101300123",
    # a greeting, thanks or an insult next to a question
    "здравствуйте, как получить паспорт?", "Привет! Как оформить пособие на ребенка",
    "Добрый день, подскажите пожалуйста, как прописаться онлайн",
    "сәлем, жәрдемақы қалай алуға болады", "Сәлеметсіз бе, жеке куәлікті қайдан аламын?",
    "salem, pasport qalai alu", "privet, kak poluchit pasport",
    "спасибо, а как продлить ВНЖ?", "рахмет, ал зейнетақы қашан түседі?",
    "тупой бот, где мой участок", "ты дебил? мне нужна справка о несудимости",
    "ақымақ бот, жер учаскесін қалай аламын",
    # questions with words that look like small talk
    "как дела в ЦОНе проверить", "добрый день рождения пособие", "день независимости выходной",
    "пока не пришла пенсия что делать", "спасибо письмо ветеранам", "до скольки работает ЦОН",
    "уголовные дела справка", "сау болу үшін медициналық сақтандыру",
    "хочу получить удостоверение личности", "где голосовать", "помощь многодетным",
    "материальная помощь", "как получить права", "ok google", "как получить ИИН ребенку",
]


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in CASES.items() for t in ts])
def test_small_talk_is_told_by_kind(kind, text):
    assert classify(text) is kind


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_stay_questions(text):
    assert classify(text) is None


def _project_questions() -> list[str]:
    out = []
    for path in sorted((FIXTURES).glob("*.jsonl")):
        out += [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    for page in sorted((ROOT / "knowledge" / "pages").rglob("*.md")):
        front = yaml.safe_load(page.read_text(encoding="utf-8").split("---")[1])
        out += [front["title"], *map(str, front.get("keywords") or []),
                *(front.get("questions") or [])]
    return out


def test_no_question_title_or_keyword_of_the_project_is_small_talk():
    questions = _project_questions()
    assert len(questions) > 1000
    wrong = [(q, classify(q)) for q in questions if classify(q) is not None]
    assert wrong == []


@pytest.mark.parametrize(("text", "searched"), [
    ("тупой бот, где мой участок", "где мой участок"),
    ("ты х*р, как получить паспорт?", "как получить паспорт?"),
    ("как получить паспорт, дебил", "как получить паспорт"),
    ("suka pasport kak poluchit", "pasport kak poluchit"),
    ("Здравствуйте! Прописка онлайн?", "Прописка онлайн?"),
    ("Добрый день, бот! Как получить паспорт?", "Как получить паспорт?"),
    ("Сәлеметсіз бе! Жеке куәлікті қайдан аламын?", "Жеке куәлікті қайдан аламын?"),
    ("Как получить паспорт? Спасибо!", "Как получить паспорт?"),
    ("Добрый день, подскажите, как получить паспорт", "подскажите, как получить паспорт"),
    # words kept: not at an edge, or not small talk alone
    ("как работает бот", "как работает бот"),
    ("день независимости выходной", "день независимости выходной"),
    ("пенсия", "пенсия"),
])
def test_what_is_searched_has_no_insult_nor_greeting_around_it(text, searched):
    assert question_text(text) == searched


def test_an_insult_in_a_question_is_always_cut():
    for rude in CASES[Kind.INSULT]:
        text = f"{rude}, как получить паспорт"
        assert classify(text) is None, text
        assert question_text(text).casefold().endswith("как получить паспорт"), text
        assert rude.casefold() not in question_text(text).casefold(), text


def test_one_word():
    assert one_word("пенсия") and one_word(" Пенсия? ") and one_word("ХҚКО-дан")
    assert not one_word("пенсия по возрасту") and not one_word("?")
