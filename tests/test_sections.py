"""The snippet is the section that answers what the question asks: its price,
its time, the documents, where to apply, who can get it...

Question intents are read from the question's words as the engine has them
(transliterated and corrected against the shipped knowledge base's
vocabulary), so the Latin and typo cases go through the real QueryProcessor.
"""

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest
from hashencoder import HashEncoder

import embeddings.search
from embeddings import SearchEngine, build_index, load_knowledge
from embeddings.query import QueryProcessor
from embeddings.sections import Intent, heading_intents, question_intents

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

C, A, T, D, W = Intent.COST, Intent.AMOUNT, Intent.TIME, Intent.DOCUMENTS, Intent.WHERE
E, H, K, L, P = (Intent.ELIGIBILITY, Intent.HOW, Intent.CONTACTS, Intent.LOST,
                 Intent.COMPLAINT)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> SearchEngine:
    """The shipped knowledge base, indexed with the small test encoder."""
    encoder = HashEncoder()
    root = tmp_path_factory.mktemp("sections") / "index"
    # The section choice does not depend on the topic model, which takes a
    # minute to train on the whole knowledge base.
    build_index(load_knowledge(KNOWLEDGE), encoder, root, topic_model=False)
    return SearchEngine.open(root, encoder)


@pytest.fixture(scope="module")
def intents_of(real):
    qp = QueryProcessor(real.index.vocabulary, real.config.typo_cutoff)
    return lambda text: question_intents(qp.process(text)[2])


@pytest.mark.parametrize(("question", "expected"), [
    ("Сколько стоит загранпаспорт?", {C}),
    ("skolko stoit zagranpasport", {C}),  # Latin: «сколко стойт»
    ("zagranpasport stoimost", {C}),
    ("справка о несудимости платная?", {C}),
    ("паспорт қанша тұрады", {C}),
    ("pasport kansha turady", {C}),  # Latin without Kazakh letters
    ("тіркеу үшін мемлекеттік баж бар ма", {C}),
    ("какой размер пособия на ребёнка", {A}),
    ("жәрдемақы мөлшері қанша", {A}),
    ("сколько дней делают справку", {T}),
    ("kak dolgo delaetsya pasport", {T}),
    ("жеке куәлік қашан дайын болады", {T}),
    ("куәлік қанша күнде дайын болады", {T}),  # күн «day», not құн «price»
    ("какие документы нужны на загранпаспорт", {D}),
    ("какие докуметы нужны для прописки", {D}),  # a typo
    ("паспорт алу үшін қандай құжаттар керек", {D}),
    ("kandai kujattar kerek", {D}),
    ("что взять с собой на выборы", {D}),
    # where to apply is also told in the section on how to apply
    ("где оформить загранпаспорт", {W, H}),
    ("жеке куәлікті қайдан аламын", {W, H}),
    ("где смотреть списки грантов", {W}),  # where to look something up is not
    ("можно ли онлайн", {W}),
    ("егов арқылы беруге бола ма", {W, H}),
    ("qr код арқылы жіберуге бола ма", set()),  # a means, not a place
    ("кому положено пособие многодетным", {E}),
    ("жәрдемақыны кімдер алады", {E}),
    ("как оформить пособие", {H}),
    ("жеке куәлікті қалай алуға болады", {H}),
    ("kalai rasimdeuge bolady", {H}),
    ("номер телефона горячей линии", {K}),
    ("потерял удостоверение личности", {L}),
    ("потерял паспорт что делать", {L}),  # «что делать» alone is not HOW
    ("паспортымды жоғалтып алдым", {L}),
    ("хочу обжаловать отказ", {P}),
    ("шешімге шағым беру", {P}),
    ("сколько стоит и когда будет готов", {C, T}),
    ("бұл қызмет тегін бе", {C}),
])
def test_question_intents(intents_of, question, expected):
    assert intents_of(question) == expected


@pytest.mark.parametrize("question", [
    "как там с паспортом",  # «как» alone is not HOW
    "паспорт туралы қалай",  # nor «қалай»
    "удостоверение личности",
    "стоит ли вкладываться в акции",  # «стоит ли» is not a price
    "мекенжай анықтамасы не үшін керек",  # the address is the subject, not a place
    "адресная справка",
    "приходят ли в egov mobile уведомления о готовности документов",  # a channel in passing
    "ХҚКО-да электронды кезек қалай жұмыс істейді",
    "тегін ауыстыру",  # «тегі» is a surname too
    "",
])
def test_questions_without_intent(intents_of, question):
    assert intents_of(question) == frozenset()


@pytest.mark.parametrize(("heading", "expected"), [
    ("Стоимость и сроки", {C, T}),
    ("Құны мен мерзімі", {C, T}),
    ("Сколько стоит", {C}),
    ("Размер пособия", {A}),
    ("Мөлшері", {A}),
    ("Сроки", {T}),
    ("Когда можно сменить поликлинику", {T}),
    ("Когда нужна справка", set()),  # the occasion, not the time
    ("Ол қашан қажет", set()),
    ("Документы", {D}),
    ("Қандай құжаттар қажет", {D}),
    ("Что взять с собой", {D}),
    ("Где оформить", {W, H}),
    ("Как подать заявление", {H}),
    ("Өтінішті қалай беруге болады", {H}),
    ("Кто может получить", {E}),
    ("Кім ала алады", {E}),
    ("Қандай отбасы көпбалалы болып саналады", {E}),
    # help lines say «куда» / «қайда», but not where to apply
    ("Куда обратиться с вопросами", {K}),
    ("Қайда жүгінуге болады", {K}),
    ("Сұрақтар бойынша қайда хабарласуға болады", {K}),
    ("Паспорт жоғалса", {L}),
    ("Если вы не согласны", {P}),
    ("Зачем нужен паспорт", set()),
    ("Что такое онлайн-касса", set()),  # a definition, whatever its words
    ("На что обратить внимание", set()),
    ("Құны неге байланысты", {C}),  # «байланысты» is «depends on», not a contact
    ("Тегін, атын, әкесінің атын ауыстыру", set()),
    ("Если адрес указан неверно", set()),
])
def test_heading_intents(heading, expected):
    assert heading_intents(heading) == expected


# Headings on many pages that answer no particular intent.
GENERAL = {"Что это такое", "Бұл не", "На что обратить внимание", "Неге назар аудару керек",
           "Білген жөн", "Важно знать", "Полезно знать", "Частые ошибки",
           "Жиі кездесетін қателер"}


def test_the_frequent_real_headings_have_an_intent():
    counts = Counter(m for path in KNOWLEDGE.glob("pages/*/*.md")
                     for m in re.findall(r"^## (.+)$", path.read_text(encoding="utf-8"), re.M))
    frequent = [h for h, n in counts.items() if n >= 5 and h not in GENERAL]
    assert len(frequent) > 20
    assert [h for h in frequent if not heading_intents(h)] == []


# -- the choice on a hand-made page ------------------------------------------

WHY_RU = ("## Зачем нужно удостоверение\n"
          "Сколько бы раз вы ни обращались в банк, к нотариусу или в больницу, у вас "
          "спросят удостоверение личности: удостоверение личности стоит всегда иметь при "
          "себе.\n\n"
          "## Стоимость и сроки\n"
          "Госпошлина 0,2 МРП, готово через 10 рабочих дней.\n")
WHY_KK = ("## Жеке куәлік не үшін керек\n"
          "Банкке, нотариусқа, емханаға қанша рет барсаңыз да, жеке куәлік сұралады: "
          "жеке куәлік әрдайым қасыңызда тұрады.\n\n"
          "## Құны мен мерзімі\n"
          "Мемлекеттік баж 0,2 АЕК, 10 жұмыс күнінде дайын болады.\n")


@pytest.fixture
def hand_made(knowledge, tmp_path):
    """The fixture knowledge base, whose id-card pages get a section that shares
    the price question's words and one that answers it."""
    for lang, extra in (("ru", WHY_RU), ("kk", WHY_KK)):
        page = knowledge / "pages" / "documents" / f"id-card.{lang}.md"
        page.write_text(page.read_text(encoding="utf-8").rstrip() + "\n\n" + extra,
                        encoding="utf-8")
    encoder = HashEncoder()
    build_index(load_knowledge(knowledge), encoder, tmp_path / "index")
    return SearchEngine.open(tmp_path / "index", encoder)


def _without_intents(engine, monkeypatch, question):
    with monkeypatch.context() as m:
        m.setattr(embeddings.search, "question_intents", lambda _words: frozenset())
        return engine.search(question).hits[0]


@pytest.mark.parametrize(("question", "lexical", "answer"), [
    ("сколько стоит удостоверение личности", "Зачем нужно удостоверение", "Стоимость и сроки"),
    ("жеке куәлік қанша тұрады", "Жеке куәлік не үшін керек", "Құны мен мерзімі"),
])
def test_the_section_of_the_intent_wins_over_more_shared_words(hand_made, monkeypatch,
                                                                question, lexical, answer):
    # Without intents the section that shares the most words is shown ...
    before = _without_intents(hand_made, monkeypatch, question)
    assert before.id == "id-card" and before.section == lexical
    # ... with them, the one that answers the question.
    hit = hand_made.search(question).hits[0]
    assert hit.id == "id-card" and hit.section == answer
    assert hit.snippet.startswith(("Госпошлина", "Мемлекеттік баж"))


@pytest.mark.parametrize("question", [
    "удостоверение личности",  # no intent
    "удостоверение личности потерял",  # an intent no heading of the page answers
    "жеке куәлік туралы",
])
def test_otherwise_the_best_scoring_section_stays(hand_made, monkeypatch, question):
    before = _without_intents(hand_made, monkeypatch, question)
    hit = hand_made.search(question).hits[0]
    assert (hit.id, hit.section, hit.snippet) == (before.id, before.section, before.snippet)


def test_an_intent_the_page_title_carries_does_not_choose(hand_made, monkeypatch):
    # The page on getting an ID is all about getting it («Получение удостоверения
    # личности»): a question on where to get one still gets the «where» section,
    # but the title's own subject picks nothing.
    assert heading_intents("Получение удостоверения личности") == set()
    hit = hand_made.search("где получить удостоверение личности").hits[0]
    assert (hit.id, hit.section) == ("id-card", "Где подать заявление")
    # ... while on a page whose title says COST, a price question keeps the
    # best-scoring section.
    key = ("id-card", "ru")
    monkeypatch.setitem(hand_made.index.documents, key, dataclasses.replace(
        hand_made.index.documents[key], title="Бесплатное удостоверение личности"))
    before = _without_intents(hand_made, monkeypatch, "сколько стоит удостоверение личности")
    hit = hand_made.search("сколько стоит удостоверение личности").hits[0]
    assert hit.section == before.section == "Зачем нужно удостоверение"


# -- on the shipped knowledge base -------------------------------------------

@pytest.mark.parametrize(("question", "topic", "section"), [
    ("skolko stoit zagranpasport", "passport", "Стоимость и сроки"),
    ("zagranpasport skolko delaetsya", "passport", "Стоимость и сроки"),
    ("какой документ нужен для загранпаспорта", "passport", "Какие документы нужны"),
    ("шетелдік паспорт алу үшін қандай құжаттар керек", "passport", "Қандай құжаттар қажет"),
    ("zagranpasport kansha turady", "passport", "Құны мен мерзімі"),
    ("соттылық туралы анықтама қанша күнде дайын болады", "criminal-record-certificate",
     "Мерзімі мен құны"),
    ("жеке куәлікті қайда ауыстырамын", "id-card", "Өтінішті қайда беруге болады"),
])
def test_real_pages_show_the_section_the_question_asks_for(real, question, topic, section):
    hit = real.search(question).hits[0]
    assert (hit.id, hit.section) == (topic, section)
