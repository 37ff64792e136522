"""Polling-station lookup: boundaries, address spellings, matching, nearby stations, intents."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from stationkit import row, sample_index, snapshot, write

from bot.services import asks_for_polling_station
from precincts import StationIndex, StationsConfig, Status
from precincts.address import loose_key, parse_address, street_key
from precincts.boundaries import (
    BoundaryError,
    House,
    Span,
    conflict,
    house,
    parse_boundary,
    parse_houses,
)
from precincts.data import read_station_files
from precincts.index import haversine_m


@pytest.fixture(scope="module")
def index() -> StationIndex:
    return sample_index()


# -- the boundary syntax ----------------------------------------------------------------


def test_boundary_items_places_and_houses():
    items = parse_boundary("мкр 12: 1-15, 17, 19а; проспект Абая: 1-45 odd, 2-60 even; "
                           "улица Сатпаева; Толе би: 31-; мкр 3А: *")
    assert [(i.place.kind, i.place.name) for i in items] == [
        ("mkr", "12"), ("street", "проспект Абая"), ("street", "улица Сатпаева"),
        ("street", "Толе би"), ("mkr", "3а")]
    mkr12, abai, satpaev, tole, mkr3a = (i.houses for i in items)
    assert mkr12.spans == (Span(1, 15), Span(17, 17)) and mkr12.single == (House(19, "19а"),)
    assert abai.spans == (Span(1, 45, "odd"), Span(2, 60, "even"))
    assert satpaev.whole and mkr3a.whole and tole.spans == (Span(31, None),)


@pytest.mark.parametrize(("text", "number", "inside"), [
    ("1-45 odd", 45, True), ("1-45 odd", 44, False), ("1-45 odd", 47, False),
    ("2-60 even", 60, True), ("2-60 even", 1, False), ("47- odd", 301, True),
    ("47- odd", 302, False), ("even", 1000, True), ("odd", 2, False), ("5-9", 9, True),
    ("5-9", 4, False), ("31-", 31, True), ("31-", 30, False), ("*", 1, True),
    ("1-15, 17, 19", 17, True), ("1-15, 17, 19", 16, False), ("1-45 нечет", 3, True),
    ("2-10 жұп", 4, True), ("тақ", 7, True),
])
def test_house_ranges_odd_even_from_to_and_open(text, number, inside):
    assert parse_houses(text).contains(House(number, str(number))) is inside


def test_a_building_with_a_letter_is_in_its_numbers_range_unless_listed_alone():
    houses = parse_houses("1-20, 32а")
    assert houses.contains(house("17а")) and houses.contains(house("17/1"))
    assert houses.contains(house("32а")) and not houses.contains(house("32"))
    assert not houses.contains(house("32б"))


@pytest.mark.parametrize(("text", "expected"), [
    ("45", House(45, "45")), ("45а", House(45, "45а")), ("45 А", House(45, "45а")),
    ("45-a", House(45, "45а")), ("45/1", House(45, "45/1")), ("0", None), ("дом", None),
    ("12-5", None),
])
def test_house_numbers(text, expected):
    assert house(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("мкр 12: 1-15;; мкр 13", "two «;» in a row"),
    ("мкр 12:", "lists no houses"), ("мкр: 1-5", "«мкр 12» or «мкр 3А»"),
    ("мкр 12: 15-1", "ends before it starts"), ("Абая: 1-45 left", "only odd or even"),
    ("Абая: first", "is not a house number"), ("Абая: 1,,5", "empty house list entry"),
    ("123: 1-5", "needs letters"),
])
def test_boundary_errors_say_what_is_wrong(text, reason):
    with pytest.raises(BoundaryError, match=reason):
        parse_boundary(text)


def test_spans_overlap_only_when_they_share_a_building():
    assert Span(1, 45, "odd").overlaps(Span(41, 60, "odd"))
    assert not Span(1, 45, "odd").overlaps(Span(2, 60, "even"))
    assert not Span(1, 20).overlaps(Span(21, None))
    assert Span(1, None).overlaps(Span(500, 500))
    assert not Span(2, 2, "odd").overlaps(Span(1, 3, "even"))  # no odd number in 2..2
    assert Span(45, 45).overlaps(Span(1, 45, "odd")) and not Span(46, 46).overlaps(
        Span(1, 99, "odd"))
    assert conflict(parse_houses("1-15, 17"), parse_houses("16, 17, 20-")) == "17 and 17 overlap"
    assert conflict(parse_houses("5а"), parse_houses("5а")) == "building 5а is listed in both"
    assert conflict(parse_houses("1-15, 5а"), parse_houses("16-")) is None


# -- reading addresses ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "street", "mkr", "number"), [
    ("Абая 45", "абай", None, "45"),
    ("ул. Абая, д. 45", "абай", None, "45"),
    ("Абай даңғылы 45 үй", "абай", None, "45"),
    ("12 мкр 5 дом", "", "12", "5"),
    ("12 шағын аудан, 5 үй", "", "12", "5"),
    ("mkr 12 dom 5", "", "12", "5"),
    ("12-й микрорайон 5", "", "12", "5"),
    ("5 үй 12 шағын аудан", "", "12", "5"),
    ("дом 5 мкр 12", "", "12", "5"),
    ("12-5-34", "", "12", "5"),
    ("Мангистауская обл., г. Актау, мкр. 5, д. 12, кв. 3", "", "5", "12"),
    ("Абая 45 кв 12", "абай", None, "45"),
    ("пр-т Абая 47/1", "абай", None, "47/1"),
    ("Абая 45 а", "абай", None, "45а"),
    ("12-ші шағын аудан 5 үй", "", "12", "5"),
    ("14 мкр-н, 2", "", "14", "2"),
    ("Ақтау қ., 12 ш/а, 5 үй", "", "12", "5"),
    # a flat or a part of the building is never the house (a review found «пәтер 12»
    # and «корпус 2» read as house 12 and 2, and the wrong station named)
    ("Абай даңғылы 45 пәтер 12", "абай", None, "45"),
    ("Абай көшесі 45 пат 12", "абай", None, "45"),
    ("12 шағын аудан 5 пәтер 30", "", "12", "5"),
    ("Абая 45 корпус 2", "абай", None, "45"),
    ("12 мкр 13 корпус 1", "", "12", "13"),
    ("Абая 45 строение 2, кв 7", "абай", None, "45"),
    # any letter typed on the number (only а-г were read: 32д lost its letter)
    ("4 мкр 32д", "", "4", "32д"), ("мкр 4 дом 32е", "", "4", "32е"),
    ("4 мкр 32d", "", "4", "32д"), ("Абая 32ж", "абай", None, "32ж"),
])
def test_parse_address(text, street, mkr, number):
    parsed = parse_address(text, {("актау",): "Актау"})
    assert (parsed.street_key, parsed.microdistrict,
            parsed.house.text if parsed.house else None) == (street, mkr, number)


@pytest.mark.parametrize(("text", "street", "city"), [
    # a street named after a city with a list stays a street (it could never be
    # found: a review's find)
    ("проспект Астана 10", "астана", None), ("Астана даңғылы 10", "астана", None),
    ("Астана, Абая 5", "абай", "Астана"), ("г. Астана проспект Абая 5", "абай", "Астана"),
    ("Астана қаласы, Абай даңғылы 5", "абай", "Астана"),
])
def test_a_city_name_next_to_a_street_type_is_the_street(text, street, city):
    parsed = parse_address(text, {("актау",): "Актау", ("астана",): "Астана"})
    assert (parsed.street_key, parsed.city) == (street, city)


def test_street_keys_meet_across_languages_and_spellings():
    assert street_key("проспект Абая") == street_key("Абай даңғылы") == street_key("Abai") \
        == street_key("пр. Абая") == "абай"
    assert street_key("улица Сатпаева") == street_key("Satpaeva kóshesi".replace("ó", "o")) \
        == "сатпаев"
    assert street_key("Мәңгілік Ел даңғылы") == street_key("проспект Мангилик Ел")


# -- the lookup on the shipped sample (Aktau) -------------------------------------------

SPELLINGS = [
    # Russian
    ("Абая 45", 33), ("ул. Абая, д. 45", 33), ("проспект Абая, дом 46", 34),
    ("пр. Абая 101", 35), ("пр-т Абая, 62", 35), ("по улице Абая д.3", 33),
    ("12 мкр 5 дом", 19), ("мкр. 12, д. 13", 20), ("12-й микрорайон 5", 19),
    ("Актау, 3А мкр, 7", 6), ("г. Актау, мкр 4, д. 32а", 7), ("мкр 4 дом 32", 8),
    ("12 мкр 12/1", 20), ("улица Толе би 31", 38), ("Сатпаева 200", 36),
    ("Кунаева 21", 42), ("Курмангазы 3", 41), ("ул. Абылай хана 16", 44),
    # Kazakh
    ("Абай даңғылы 45 үй", 33), ("12 шағын аудан, 5 үй", 19), ("5 үй 12 шағын аудан", 19),
    ("Ақтау қаласы, 14 шағын аудан, 30 үй", 24), ("Төле би көшесі 12", 37),
    ("Мәңгілік Ел даңғылы 7", 39), ("Қонаев көшесі 5 үй", 41), ("Сәтбаев көшесі, 3", 36),
    ("Абылай хан көшесі 15", 43), ("12-ші шағын аудан 31 үй", 21),
    # Kazakh typed without Kazakh letters
    ("Абай дангылы 45 уй", 33), ("12 шагын аудан 5 уй", 19), ("Конаев кошеси 25", 42),
    # Latin
    ("Abaya 45", 33), ("Abai dangyly 46 uy", 34), ("mkr 12 dom 5", 19),
    ("12 shagyn audan 5 uy", 19), ("Tole bi 12", 37), ("Qonaev koshesi 25", 42),
    ("Aqtau qalasy, Abay dangyly 45 uy", 33), ("Aktau, ulitsa Kunaeva 3", 41),
    ("Satpaeva 10", 36), ("mikroraion 27 dom 41", 31), ("Sátbaev kóshesi 5", 36),
    # typos
    ("Абйа 45", 33), ("Обая 44", 34), ("Сатпева 3", 36), ("Мангилик 4", 40),
    ("микрарайон 7 дом 3", 12), ("Толеби 40", 38), ("Есенво 2", 45),
    # old names (aliases)
    ("Ленина 10", 34), ("проспект Ленина 11", 33), ("Ленин даңғылы 9", 33),
    ("проспект Мира 7", 39), ("улица Кирова 30", 42), ("Комсомольская 8", 36),
    ("улица Горького 1", 41), ("Фрунзе 20", 44), ("ул. Советская 31", 38),
    # Aktau's own shorthand: microdistrict-building-flat
    ("12-5-34", 19), ("27-41", 31),
    # with the flat or the part of the building
    ("Абай даңғылы 45 пәтер 12", 33), ("12 шағын аудан 5 пәтер 30", 19),
    ("Абая 45 корпус 2", 33), ("12 мкр 13 корпус 1", 20),
]


@pytest.mark.parametrize(("text", "number"), SPELLINGS)
def test_address_spellings_find_the_precinct(index, text, number):
    result = index.find(text)
    assert result.status is Status.FOUND, (text, result)
    assert result.best.precinct.number == number


def test_there_are_enough_spellings():
    assert len(SPELLINGS) >= 30


@pytest.mark.parametrize(("text", "number"), [
    # odd and even sides of проспект Абая: 1-45 odd | 2-60 even | 47- odd, 62- even
    ("Абая 1", 33), ("Абая 45", 33), ("Абая 47", 35), ("Абая 2", 34), ("Абая 60", 34),
    ("Абая 62", 35), ("Абая 999", 35),
    # from-to and open ranges: Толе би 1-30 | 31-
    ("Толе би 30", 37), ("Толе би 31", 38),
    # whole odd / even sides: Мангилик Ел
    ("Мангилик Ел 1", 39), ("Мангилик Ел 2", 40),
    # microdistrict building lists: мкр 5: 1-15, 17, 19 | 16, 18, 20-40
    ("мкр 5 дом 15", 9), ("мкр 5 дом 16", 10), ("мкр 5 дом 17", 9), ("мкр 5 дом 18", 10),
    ("мкр 5 дом 19", 9), ("мкр 5 дом 20", 10), ("мкр 5 дом 17а", 9),
    # a building listed alone wins over a range: мкр 4: 1-30, 32а | 31-
    ("мкр 4 дом 32а", 7), ("мкр 4 дом 32б", 8),
    # one precinct holding two places: мкр 7 21- and мкр 8 1-10
    ("мкр 7 дом 21", 13), ("мкр 8 дом 10", 13), ("мкр 8 дом 11", 14),
    # a whole microdistrict needs no house number
    ("мкр 3", 5), ("шағын аудан 29", 45),
])
def test_boundaries_decide_the_precinct(index, text, number):
    result = index.find(text)
    assert result.status is Status.FOUND, (text, result)
    assert result.best.precinct.number == number


@pytest.mark.parametrize(("text", "city"), [
    ("Астана, 12 мкр 5", "Астана"), ("г. Алматы, ул. Абая 45", "Алматы"),
    ("Шымкент, Абая 10", "Шымкент"), ("в Караганде, мкр 5 дом 3", "Караганда"),
    ("Nur-Sultan, Abaya 45", "Астана"), ("Қарағандыда Абай көшесі 5", "Караганда"),
    ("Астана қаласы Абай даңғылы 5", "Астана"),
])
def test_an_address_in_a_city_without_a_list_is_not_matched_here(index, text, city):
    result = index.find(text)
    assert result.status is Status.OTHER_CITY and result.address.elsewhere[0] == city


@pytest.mark.parametrize("text", ["Астана 10", "проспект Астана 10", "Астана даңғылы 5",
                                  "Актау, Абая 45", "Абая 45"])
def test_a_street_named_after_a_city_is_still_a_street(index, text):
    assert index.find(text).status is not Status.OTHER_CITY


def test_a_misspelt_street_is_found_with_a_lower_score(index):
    exact, typo = index.find("Сатпаева 3").best, index.find("Сатпева 3").best
    assert exact.score == 100 and 75 <= typo.score < 100
    assert exact.area.name_ru == "улица Сатпаева" and exact.area.name_kk == "Сәтбаев көшесі"


def test_what_was_not_understood(index):
    split = index.find("Абая")
    assert split.status is Status.NEED_HOUSE and split.area.name_ru == "проспект Абая"
    assert index.find("12 мкр").status is Status.NEED_HOUSE
    assert index.find("Толе би 0").status is Status.NEED_HOUSE  # 0 is no house number
    beyond = index.find("Шевченко 101")
    assert beyond.status is Status.NO_HOUSE and beyond.area.name_ru == "улица Шевченко"
    unknown = index.find("Пушкина 5")
    assert unknown.status is Status.UNKNOWN_PLACE and unknown.address.street_text == "пушкина"
    no_mkr = index.find("99 мкр 5")
    assert no_mkr.status is Status.UNKNOWN_PLACE and no_mkr.address.microdistrict == "99"
    for text in ("45", "", "   ", "!!!"):
        assert index.find(text).status is Status.NOT_UNDERSTOOD


def test_a_hand_edited_broken_boundary_skips_that_precinct_only(caplog):
    from dataclasses import replace

    from stationkit import sample_data

    snap = snapshot(sample_data())
    broken = replace(snap, precincts=tuple(
        replace(p, boundary="мкр 12: 15-1") if p.number == 19 else p for p in snap.precincts))
    index = StationIndex(broken)
    assert len(index) == 45 and index.find("12 мкр 13").best.precinct.number == 20
    assert "precinct 19 of Актау skipped" in caplog.text


def test_an_empty_index_says_there_is_no_data():
    from precincts import Snapshot

    assert StationIndex(Snapshot(None, (), ())).find("Абая 45").status is Status.NO_DATA


def _two_cities(tmp_path) -> StationIndex:
    other = write(tmp_path / "zhanaozen.csv",
                  row(101, "проспект Абая: *", city=("Жаңаөзен", "Жанаозен"), lat="43.34",
                      lon="52.86", source="Решение акима (тест)"),
                  row(102, "улица Абылай хана: *; улица Абылай батыра: *",
                      city=("Жаңаөзен", "Жанаозен"), lat="43.35", lon="52.87",
                      source="Решение акима (тест)"))
    from stationkit import sample_data
    return StationIndex(snapshot(sample_data(), read_station_files(other)))


def test_several_candidates_are_offered(tmp_path):
    index = _two_cities(tmp_path)
    both = index.find("Абая 45")
    assert both.status is Status.CHOOSE
    assert [(m.precinct.city_ru, m.precinct.number) for m in both.matches] == [
        ("Актау", 33), ("Жанаозен", 101)]
    # the city in the address decides
    assert index.find("Жаңаөзен, Абай даңғылы 45").best.precinct.number == 101
    assert index.find("г. Актау, Абая 45").best.precinct.number == 33
    # one word of two streets' names: both are offered
    abylai = index.find("Жанаозен, Абылай 5")
    assert abylai.status is Status.FOUND and abylai.best.precinct.number == 102
    choice = index.find("Абылай 17")
    assert choice.status is Status.CHOOSE
    assert {m.precinct.number for m in choice.matches} == {44, 102}


def test_more_cities_than_choices_asks_for_the_city(tmp_path):
    index = _two_cities(tmp_path)
    index.config = StationsConfig(choices=1)
    result = index.find("Абая 45")  # two cities, one button: the list would leave one out
    assert result.status is Status.NEED_CITY
    assert {m.precinct.city_ru for m in result.matches} == {"Актау", "Жанаозен"}
    assert index.find("Жанаозен, Абая 45").status is Status.FOUND


def test_choices_within_one_city_are_cut_to_the_best():
    index = StationIndex(snapshot(read_station_files(write(
        Path(tempfile.mkdtemp()) / "abylai.csv",
        row(1, "улица Абылай хана: *"), row(2, "улица Абылай батыра: *"),
        row(3, "улица Абылай ата: *")))), StationsConfig(choices=2))
    result = index.find("Абылай 5")  # one word of all three names
    assert result.status is Status.CHOOSE and len(result.matches) == 2
    assert index.find("Абылай батыра 5").best.precinct.number == 2


def test_keys_forgive_latin_y_and_ts():
    assert loose_key("абаы") == loose_key("абай") == "абай"
    assert loose_key("болтайцай") == loose_key("болтайтсай")
    assert street_key("Qonaev") == street_key("Қонаев")


# -- near a shared location ------------------------------------------------------------


def test_haversine_is_about_right():
    # one degree of latitude is about 111 km; Aktau to Zhanaozen is about 130-150 km
    assert 110_000 < haversine_m(43.0, 51.0, 44.0, 51.0) < 112_000
    assert 120_000 < haversine_m(43.65, 51.16, 43.34, 52.86) < 160_000


def test_nearest_stations_with_distances_grouped_by_building(index):
    near = index.nearest(43.6402, 51.1502)
    assert len(near) == 3
    assert [p.number for p in near[0].precincts] == [1, 2]  # one school, two precincts
    assert near[0].distance_m < 50
    assert [s.distance_m for s in near] == sorted(s.distance_m for s in near)
    assert index.nearest(43.6402, 51.1502, k=1)[0].precincts == near[0].precincts


def test_nothing_is_near_far_away(index):
    assert index.nearest(51.13, 71.43) == []  # Astana is 1,500 km from Aktau
    assert index.nearest(float("nan"), 51.0) == []


# -- "where do I vote?" ------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "где мне голосовать", "Где мне голосовать?", "қай учаскеде дауыс беремін",
    "Қайда дауыс беремін?", "қай жерде дауыс беремін", "куда идти голосовать",
    "мой избирательный участок", "избирательный участок", "сайлау учаскесі",
    "номер избирательного участка", "как найти свой участок для голосования", "gde golosovat",
    "qai uchaskede dauys beremin", "какой у меня избирательный участок",
    "менің сайлау учаскем қайда", "где мне голосовать, Абая 45",
])
def test_asks_where_to_vote(text):
    assert asks_for_polling_station(text)


@pytest.mark.parametrize("text", [
    "какие документы нужны чтобы проголосовать", "когда выборы", "выборы президента",
    "земельный участок", "жер учаскесін алу", "участковый инспектор",
    "как проголосовать на дому", "во сколько открываются участки",
    "где получить открепительное удостоверение", "сайлауға қандай құжат керек",
    "с какого возраста можно голосовать", "неше жаста дауыс беруге болады",
    "прописка онлайн", "как получить удостоверение личности", "",
])
def test_other_questions_go_to_the_knowledge_base(text):
    assert not asks_for_polling_station(text)
