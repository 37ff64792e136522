import pytest

from embeddings.normalize import (
    Analyzer,
    Synonyms,
    char_ngrams,
    detect_lang,
    fold,
    kk_loose_stem,
    kk_stem,
    loose,
    ru_stem,
    to_cyrillic,
    words,
)


def test_fold_casefolds_and_drops_punctuation():
    assert fold("Ёлка, ПАСПОРТ! «ЦОН»?") == "елка паспорт цон"


def test_hyphenated_kazakh_ending_joins_its_word():
    assert words("хқко-дан egov-ға электронды-цифрлық") == [
        "хқкодан", "egovға", "электронды", "цифрлық"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Жеке куәлікті қалай алуға болады?", "kk"),
        ("Как получить удостоверение личности?", "ru"),
        ("äkesınıñ atyn özgertuge bola ma", "kk"),
        ("qalai tirkeluge bolady", "kk"),
        ("udostoverenie lichnosti poluchit", "ru"),
        ("удостоверение керек пе", "kk"),  # shala-kazakh without Kazakh letters
        ("справка о несудимости", "ru"),
    ],
)
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang


@pytest.mark.parametrize(
    ("latin", "cyrillic", "lang"),
    [
        # the 2021 Kazakh Latin alphabet
        ("äkesınıñ atyn özgertuge qandai jağdaida rūqsat etıledı",
         "әкесінің атын өзгертуге қандай жағдайда рұқсат етіледі", "kk"),
        ("şağyn audan", "шағын аудан", "kk"),
        ("tölem", "төлем", "kk"),
        # the 2018 alphabet's acute letters (they were left as they were)
        ("jeke kýálik", "жеке куәлик", "kk"),
        ("sátbaev kóshesi", "сәтбаев көшеси", "kk"),
        ("jańa ǵimarat túrý", "жаңа ғимарат түру", "kk"),
        # informal translit with digraphs
        ("zheke kualik", "жеке куалик", "kk"),
        ("shagyn audan", "шагын аудан", "kk"),
        ("tirkeu kerek", "тиркеу керек", "kk"),
        # Russian translit
        ("udostoverenie lichnosti", "удостоверение личности", "ru"),
        ("propiska onlain", "прописка онлайн", "ru"),
        ("spravka o nesudimosti", "справка о несудимости", "ru"),
        ("shchetchik", "щетчик", "ru"),
        ("zhilye", "жилые", "ru"),
        ("zaregistrirovatsya", "зарегистрироватся", "ru"),
    ],
)
def test_to_cyrillic(latin, cyrillic, lang):
    assert to_cyrillic(latin, lang) == cyrillic


def test_cyrillic_words_stay_untouched():
    assert to_cyrillic(fold("ЦОН tson"), "ru") == "цон цон"


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("куәліктер", "куәлік"),  # plural
        ("куәлікті", "куәлік"),  # accusative
        ("куәліктерді", "куәлік"),  # plural + accusative
        ("хқкодан", "хқко"),  # ablative
        ("мекенжайы", "мекенжай"),  # possessive
        ("балаларға", "бала"),  # plural + dative
        ("қала", "қала"),  # nothing to strip below three letters
    ],
)
def test_kk_stem(word, stem):
    assert kk_stem(word) == stem


def test_kk_stem_keeps_three_letters():
    assert len(kk_stem("ата")) == 3
    assert kk_stem("аталар") == "ата"


def test_ru_stem_conflates_inflections():
    assert ru_stem("удостоверения") == ru_stem("удостоверение") == ru_stem("удостоверением")


def test_loose_key_forgives_missing_kazakh_letters():
    assert loose("куәлік") == loose("куалик")


def test_char_ngrams_mark_word_boundaries():
    assert char_ngrams("цон") == ["^цон", "цон$"]
    assert char_ngrams("ип") == ["^ип$"]


def test_synonyms_match_inflected_phrases_and_abbreviations():
    syn = Synonyms.from_groups({"propiska": ["прописка", "регистрация по месту жительства"]})
    an = Analyzer(syn)
    assert "propiska" in an.analyze("где сделать регистрацию по месту жительства").concepts
    assert "propiska" in an.analyze("прописку онлайн").concepts
    # built-in abbreviations: ЦОН = ХҚКО = центр обслуживания населения
    assert "abbr-con" in an.analyze("в центре обслуживания населения").concepts
    assert "abbr-con" in an.analyze("ХҚКО-ға бару").concepts
    assert "abbr-ecp" in an.analyze("ЭЦП").concepts


def test_analyzer_terms_share_concepts_between_languages():
    an = Analyzer(Synonyms.from_groups({"id": ["удостоверение личности", "жеке куәлік"]}))
    ru = set(an.terms("удостоверение личности", "ru"))
    kk = set(an.terms("жеке куәлікті", "kk"))
    assert "~id" in ru & kk


def test_analyzer_transliterates_latin_before_stemming():
    an = Analyzer()
    assert an.analyze("zheke kualik", "kk").words == ["жеке", "куалик"]


@pytest.mark.parametrize(("typed", "proper"), [
    ("төлемейди", "төлемейді"),  # a phone keyboard without і
    ("алиментти", "алиментті"),
    ("тиркеймиз", "тіркейміз"),
    ("куалигимди", "куәлігімді"),
    ("балага", "балаға"),
])
def test_loose_kazakh_stems_forgive_missing_kazakh_letters(typed, proper):
    assert kk_loose_stem(typed) == kk_loose_stem(proper)


def test_keys_are_loose_stems_in_kazakh_and_stems_in_russian():
    analyzer = Analyzer()
    assert analyzer.analyze("алиментти төлемейди", "kk").keys == \
        analyzer.analyze("алиментті төлемейді", "kk").keys
    assert analyzer.analyze("алименты не платит", "ru").keys == \
        analyzer.analyze("алименты не платит", "ru").stems


def test_a_yes_no_particle_at_the_end_means_kazakh():
    assert detect_lang("ауламызга балалар алангын салу жобасын усынып дауыска салуга бола ма") \
        == "kk"
    assert detect_lang("можно ли подать заявление онлайн") == "ru"
