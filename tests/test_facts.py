"""The material facts of a page (embeddings.facts): what changes them, and what does not."""

from __future__ import annotations

import pytest

from embeddings import ChangeKind, Document, Facts, material_changes, page_facts
from embeddings.facts import RULES, facts_of, text_facts
from embeddings.pages import Section

SECTIONS = (
    ("Кто получает", "Каждый гражданин Казахстана с 16 лет. Документ действует 10 лет."),
    ("Стоимость", "Госпошлина 1 000 тенге, скидка 50 % при подаче через eGov Mobile."),
    ("Сроки", "С 1 ноября 2019 года выдаётся за 5 рабочих дней; с 9:00 до 18:00."),
    ("Где подать", "В ЦОН или на https://egov.kz/cms/ru/services/passport/id_card/."),
)


def page(sections=SECTIONS, summary="Удостоверение с 16 лет.",
         url="https://egov.kz/cms/ru/services/passport/id_card") -> Facts:
    return facts_of(summary, url, sections)


def replaced(index: int, old: str, new: str, sections=SECTIONS):
    out = list(sections)
    heading, text = out[index]
    assert old in text, (old, text)
    out[index] = (heading, text.replace(old, new))
    return tuple(out)


def kinds(old: Facts, new: Facts) -> set[ChangeKind]:
    return {c.kind for c in material_changes(old, new)}


@pytest.mark.parametrize(("a", "b"), [
    ("1 000 тенге", "1000 тенге"),
    ("1 000 тенге", "1\u00a0000 тенге"),
    ("1 000 тенге", "1\u202f000 тенге"),
    ("скидка 50 %", "скидка 50%"),
    ("2,5 МРП", "2.5 МРП"),
    ("2,50 МРП", "2,5 МРП"),
    ("с 9:00", "с 09:00"),
    ("https://egov.kz/x/", "egov.kz/x"),
    ("https://www.EGOV.kz", "egov.kz"),
    ("1 ноября 2019 года", "01.11.2019"),
    ("1 ноября 2019 года", "2019-11-01"),
    ("2019 жылғы 1 қарашадан", "01.11.2019"),
    ("1. Подайте заявление", "- Подайте заявление"),  # list markers are structure
    ("1.Паспорт\n2.Фото", "1. Паспорт\n2. Фото"),  # a space added after a marker
    ("1)паспорт", "1) паспорт"),
    ("с 1\nянваря 2024 года", "с 1 января 2024 года"),  # a date hard-wrapped
    ("2019 жылғы\n1 қарашадан", "01.11.2019"),
])
def test_the_same_fact_written_differently_is_the_same_fact(a, b):
    assert text_facts(a) == text_facts(b)


def test_what_is_extracted():
    numbers, dates, urls = text_facts(
        "Госпошлина 3 500 тенге (0,5 МРП), 50 % скидка; звоните 1414 с 9:00. С 1 ноября "
        "2019 года, до 15 января; 2019 жылғы 1 қарашадан; ноябрь 2025; с 2018 года. "
        "Сайт egov.kz, почта Info@Gov.kz, [форма](https://egov.kz/form).")
    assert numbers == {"3500", "0.5", "50%", "1414", "9:00"}
    assert dates == {"2019-11-01", "01-15", "2025-11", "2018"}
    assert urls == {"egov.kz", "mailto:info@gov.kz", "egov.kz/form"}


def test_a_typo_fix_or_rewording_is_no_material_change():
    old = page()
    typo = replaced(0, "гражданин", "граждонин", SECTIONS)
    typo = replaced(1, "скидка", "скидку", typo)
    reworded = replaced(2, "выдаётся за 5 рабочих дней", "документ готов через 5 рабочих дней")
    moved = (SECTIONS[0], SECTIONS[1], ("Сроки", SECTIONS[2][1] + " Документ действует 10 лет."),
             SECTIONS[3])  # a fact said twice is said once
    for sections in (typo, reworded, moved):
        new = page(sections)
        assert material_changes(old, new) == []
    assert material_changes(old, page(summary="Удостоверение личности: с 16 лет.")) == []


def test_a_heading_reworded_in_place_is_no_section_added_or_removed():
    sections = list(SECTIONS)
    sections[1] = ("Сколько стоит", sections[1][1])  # nothing alike: still one section
    sections[3] = ("Где подавать", sections[3][1])
    new = page(tuple(sections))
    assert new != page()  # the headings are stored as written...
    assert material_changes(page(), new) == []  # ...and are no material change


@pytest.mark.parametrize(("section", "old", "new"), [
    (1, "1 000 тенге", "1 500 тенге"),
    (1, "скидка 50 %", "скидка 30 %"),
    (0, "с 16 лет", "с 14 лет"),
    (2, "с 9:00", "с 10:00"),
])
def test_a_number_change_is_material(section, old, new):
    changes = material_changes(page(), page(replaced(section, old, new)))
    assert [c.kind for c in changes] == [ChangeKind.NUMBER]


def test_a_date_change_is_material():
    changes = material_changes(page(), page(replaced(2, "1 ноября 2019", "1 декабря 2019")))
    assert [c.kind for c in changes] == [ChangeKind.DATE]
    assert changes[0].added == ("2019-12-01",) and changes[0].removed == ("2019-11-01",)


def test_a_url_change_is_material():
    assert kinds(page(), page(url="https://egov.kz/cms/ru/services/other")) == {ChangeKind.URL}
    assert kinds(page(), page(replaced(3, "https://egov.kz/cms/ru/services/passport/id_card/",
                                       "https://elicense.kz"))) == {ChangeKind.URL}


def test_a_section_added_or_removed_is_material():
    added = (*SECTIONS[:2], ("Что взять с собой", "Паспорт и квитанцию."), *SECTIONS[2:])
    changes = material_changes(page(), page(added))
    assert [(c.kind, c.added) for c in changes] == [
        (ChangeKind.SECTION_ADDED, ("Что взять с собой",))]
    removed = (SECTIONS[0], SECTIONS[1], SECTIONS[3])
    changes = material_changes(page(), page(removed))
    assert {c.kind for c in changes} == {ChangeKind.SECTION_REMOVED, ChangeKind.NUMBER,
                                        ChangeKind.DATE}  # its facts went with it
    assert next(c for c in changes if c.kind == ChangeKind.SECTION_REMOVED).removed == ("Сроки",)


def test_a_section_added_next_to_a_reworded_heading():
    sections = [*SECTIONS]
    sections[0] = ("Кто может получить", sections[0][1])
    sections.insert(1, ("Новое", "Без фактов."))
    changes = material_changes(page(), page(tuple(sections)))
    assert [(c.kind, c.added, c.removed) for c in changes] == [
        (ChangeKind.SECTION_ADDED, ("Новое",), ())]


def test_facts_round_trip_and_digest():
    facts = page()
    again = Facts.from_json(facts.to_json())
    assert again == facts and again.digest == facts.digest
    assert page(replaced(1, "1 000", "1000")).digest == facts.digest
    assert page(replaced(1, "1 000", "2000")).digest != facts.digest
    with pytest.raises(ValueError, match="numbers"):
        Facts.from_record({"numbers": "1000"})
    with pytest.raises(ValueError, match="not JSON"):
        Facts.from_json("{")


def test_page_facts_reads_a_corpus_document():
    doc = Document("id-card", "ru", "Удостоверение", summary="С 16 лет.",
                   source_url="https://egov.kz",
                   sections=tuple(Section(h, t, i) for i, (h, t) in enumerate(SECTIONS)))
    facts = page_facts(doc)
    assert facts.sections == tuple(h for h, _t in SECTIONS)
    assert {"16", "1000", "50%", "5", "10"} <= facts.numbers and "egov.kz" in facts.urls


def test_hostile_text_is_only_text():
    huge = ("1 " * 50_000) + "<b>" + "x" * 10_000 + "\x00\u202e"
    numbers, dates, urls = text_facts(huge)
    assert "1" in numbers and not dates and not urls


# ---------------------------------------------------------------------------
# The rules the audit and the notice share (embeddings.audit reads its numbers,
# dates and links through text_facts): what each had that the other lacked.


@pytest.mark.parametrize(("a", "b"), [
    # Phone numbers (the audit's rule): one fact, however grouped.
    ("8 800 080 7777", "+7 800 080-77-77"),
    ("тел. 8 (7172) 74-00-00", "тел. +7 7172 740000"),
    # Kazakh dates (the audit's rule): к turns г before a vowel, ordinals in -інші.
    ("15 қыркүйегінен кешіктірмей", "до 15 сентября"),
    ("31-інші наурызға дейін", "31 наурызға дейін"),
    # A link with a final slash before its query is the same link.
    ("https://gov.kz/memleket/x/?lang=ru", "gov.kz/memleket/x?lang=ru"),
    # A Kazakh year and month are the Russian month and year.
    ("2025 жылғы қазанда", "в октябре 2025 года"),
])
def test_shared_rules_the_same_fact(a, b):
    assert text_facts(a) == text_facts(b)


def test_shared_rules_what_is_extracted():
    assert text_facts("звоните 8 800 080 7777 или 1414")[0] == {"tel:78000807777", "1414"}
    # Nine or eleven digits after the 8 are no Kazakhstan phone: a number.
    assert text_facts("8 000 000 000 тенге")[0] == {"8000000000"}
    assert text_facts("15 қыркүйегінен")[1] == {"09-15"}
    # A day and month before a number that is no year: the date, then the number
    # (this read as the numbers 15 and 1000 before).
    assert text_facts("до 15 сентября 1000 тенге")[:2] == ({"1000"}, {"09-15"})
    assert text_facts("2025 жылғы қазан")[1] == {"2025-10"}


def test_facts_read_by_other_rules_are_not_compared():
    # A record stored before the rules had versions (no "rules": version 1),
    # holding what those rules read from a phone number: no change to announce.
    old = Facts.from_record({"numbers": ["8", "800", "080", "7777"], "dates": [], "urls": [],
                             "sections": ["Контакты"]})
    new = facts_of("", "", [("Контакты", "8 800 080 7777")])
    assert (old.rules, new.rules) == (1, RULES) and new.numbers == {"tel:78000807777"}
    assert material_changes(old, new) == []
    assert material_changes(Facts.from_json(new.to_json()), new) == []
    assert Facts.from_json(new.to_json()).rules == RULES
    assert old.digest != Facts(old.numbers, old.dates, old.urls, old.sections).digest
    for bad in ("2", True, 0):
        with pytest.raises(ValueError, match="rules"):
            Facts.from_record({"rules": bad})
