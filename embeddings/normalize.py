"""Text normalisation for matching Kazakh and Russian.

Everything here is pure and deterministic: folding, language detection,
Latin->Cyrillic transliteration, Kazakh suffix stripping, Russian Snowball
stems, character n-grams and the "semantic core" of synonyms.

The lexical index and the query go through the same :class:`Analyzer`, so a
word typed by a citizen and the same word in a page meet as the same terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

from .langs import Lang

KK_LETTERS = frozenset("әғқңөұүһі")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
_LATIN = re.compile(r"[a-zäöüışğñūçâáóúýǵń]", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яәғқңөұүһіё]", re.UNICODE)

# Frequent Kazakh words written without Kazakh-specific letters: enough to tell
# "керек пе", "бола ма", "алу" from Russian when a phone keyboard has no ә, қ...
_KK_PLAIN_WORDS = frozenset(
    """
    керек бе ма ме па пе ба бар жок жоқ алу беру болады бола ма алам алсам
    калай кайда кашан неге неше кандай канша кім ким мен сен біз сіз сиз
    туралы аркылы бойынша ушин ушін уақыт уакыт керекпе бере берем аламын
    жеке куалик тиркеу отиниш мемлекет акша тегин тегін
    """.split()
)


# The Kazakh yes/no particle that ends a question; no Russian word is spelt so.
_KK_QUESTION_PARTICLES = frozenset("ма ме ба бе па пе".split())

# Endings of Kazakh personal and genitive forms that Russian words do not have,
# as typed without Kazakh letters: аламын, куалигимнин, тиркелемиз.
_KK_PLAIN_ENDINGS = ("мын", "мин", "мыз", "миз", "сыз", "сиз", "нын", "нин", "ныз", "низ")


# Characters that are in a word without being seen: the soft hyphen, zero-width
# spaces and joiners, direction marks, the word joiner and BOM, and the stress
# mark (acute or grave) a dictionary or a careful writer puts over a Cyrillic
# vowel. Text pasted from a web page or a document often carries them; left
# in, «удосто\u00adверение» was two words and matched nothing.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
                        "\ufeff\u0300\u0301]")


def visible(text: str) -> str:
    """`text` in NFC without invisible characters and stress marks."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def fold(text: str) -> str:
    """Casefold, ё->е, NFC, drop invisible characters and stress marks inside
    words, and turn punctuation into spaces."""
    return " ".join(words(visible(text).casefold().replace("ё", "е")))


def words(text: str) -> list[str]:
    """Words of an already casefolded text.

    A hyphen joins a short Kazakh ending to its word ("ХҚКО-дан" -> "хқкодан",
    which the stemmer then cuts back to "хқко"); longer hyphenated parts are
    kept as separate words ("электронды-цифрлық").
    """
    out: list[str] = []
    for match in _WORD.finditer(text):
        parts = match.group().split("-")
        head = parts[0]
        for part in parts[1:]:
            if len(part) <= 4 and not part.isdigit():
                head += part
            else:
                out.append(head)
                head = part
        out.append(head)
    return out


# --------------------------------------------------------------------------
# Language detection
# --------------------------------------------------------------------------

_KK_LATIN_MARKS = frozenset("äöüışğñūáóúýǵń")  # the 2021 and 2018 alphabets


def detect_lang(text: str, default: str = "ru") -> str:
    """'kk' or 'ru' for a text, by letters first, then by frequent words.

    Kazakh-specific Cyrillic letters (ә ғ қ ң ө ұ ү һ і) or letters of the
    2021 or 2018 Kazakh Latin alphabets (ä ö ü ı ş ğ ñ ū, á ó ú ý ǵ ń), or
    `q`/`w` in a Latin word, mean Kazakh. Otherwise a few frequent Kazakh
    words decide; else `default`.
    """
    low = text.casefold()
    if any(ch in KK_LETTERS for ch in low) or any(ch in _KK_LATIN_MARKS for ch in low):
        return "kk"
    ws = words(low)
    if any(("q" in w or "w" in w) and _LATIN.search(w) for w in ws):
        return "kk"
    kk_hits = sum(1 for w in ws if w in _KK_PLAIN_WORDS or (len(w) > 5 and w.endswith(
        _KK_PLAIN_ENDINGS)))
    if kk_hits and kk_hits * 3 >= len(ws):
        return "kk"
    if len(ws) > 2 and ws[-1] in _KK_QUESTION_PARTICLES and not _LATIN.search(ws[-1]):
        return "kk"  # "... салуға бола ма?": a yes/no question ends with its particle
    if ws and all(_LATIN.search(w) for w in ws) and _latin_kk_hint(ws):
        return "kk"
    return default


def _latin_kk_hint(ws: Sequence[str]) -> bool:
    kk = {translit_word(w, "kk") for w in ws}
    return bool(kk & _KK_PLAIN_WORDS)


# --------------------------------------------------------------------------
# Latin -> Cyrillic
# --------------------------------------------------------------------------

# Multi-letter sequences first; the 2021 Kazakh alphabet and informal
# translit share the single letters. Order matters: longest match wins.
_KK_DIGRAPHS = {
    "shch": "щ", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "gh": "ғ",
    "ts": "ц", "ya": "я", "yu": "ю", "yo": "е", "ia": "я", "iu": "ю",
    "ng": "ң",
}
_RU_DIGRAPHS = {
    "tsya": "тся", "tsia": "тся",  # the reflexive ending: zaregistrirovatsya
    "shch": "щ", "sch": "щ", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "х",
    "ts": "ц", "tz": "ц", "ya": "я", "ja": "я", "yu": "ю", "ju": "ю", "yo": "е",
    "jo": "е", "iy": "ий", "yi": "ый", "ei": "ей", "ai": "ай", "oi": "ой",
}
_COMMON = {
    "a": "а", "b": "б", "c": "с", "d": "д", "e": "е", "f": "ф", "g": "г",
    "h": "х", "i": "и", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о",
    "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "x": "х",
    "z": "з", "w": "у",
}
_KK_SINGLE = {
    **_COMMON,
    "ä": "ә", "â": "ә", "ö": "ө", "ü": "ү", "ū": "ұ", "ı": "і", "ğ": "ғ",
    "ñ": "ң", "ş": "ш", "ç": "ч", "q": "қ", "j": "ж", "y": "ы",
    # the 2018 alphabet's acute letters: kýálik, Sátbaev kóshesi, ǵalym, jańa
    "á": "ә", "ó": "ө", "ú": "ү", "ý": "у", "ǵ": "ғ", "ń": "ң",
}
_RU_SINGLE = {**_COMMON, "j": "й", "y": "ы", "q": "к", "ç": "ч", "ş": "ш"}
_VOWELS_CYR = set("аәеиоөұүуыіэюя")


def translit_word(word: str, lang: str) -> str:
    """One Latin-script word in Cyrillic, by the Kazakh table ("kk") or the Russian one."""
    digraphs = _KK_DIGRAPHS if lang == Lang.KK else _RU_DIGRAPHS
    single = _KK_SINGLE if lang == Lang.KK else _RU_SINGLE
    out: list[str] = []
    i = 0
    while i < len(word):
        for size in (4, 3, 2):
            chunk = word[i : i + size]
            if len(chunk) == size and chunk in digraphs:
                # "ng" is ң only at the end of a Kazakh word or before a consonant.
                if chunk == "ng" and i + 2 < len(word) and word[i + 2] in "aeiouyäöüı":
                    continue
                out.append(digraphs[chunk])
                i += size
                break
        else:
            ch = word[i]
            cyr = single.get(ch, ch)
            # "i" after a vowel is й ("qandai" -> "қандай"); "y" likewise in Russian.
            after_vowel = bool(out) and out[-1][-1:] in _VOWELS_CYR
            if ch in "iy" and after_vowel and (ch == "i" or lang == Lang.RU):
                cyr = "й"
            out.append(cyr)
            i += 1
    return "".join(out)


def has_latin(text: str) -> bool:
    return bool(_LATIN.search(text.casefold()))


def to_cyrillic(text: str, lang: str | None = None) -> str:
    """Transliterate the Latin-script words of a folded text.

    `lang` picks the table (Kazakh 2021 alphabet plus informal digraphs, or
    Russian translit); None picks it per text with :func:`detect_lang`.
    Words already in Cyrillic, digits and Latin brand names that the caller
    wants to keep are untouched only if they contain no Latin letter.
    """
    lang = lang or detect_lang(text)
    return " ".join(
        translit_word(w, lang) if _LATIN.search(w) and not _CYRILLIC.search(w) else w
        for w in words(text)
    )


# A looser key that forgives a phone keyboard without Kazakh letters:
# "куалик" and "куәлік" share it. Used for typo tolerance, not for indexing.
_LOOSE = str.maketrans("әғқңөұүһіи", "агкноуухии")


def loose(word: str) -> str:
    return word.translate(_LOOSE)


# --------------------------------------------------------------------------
# Stemming
# --------------------------------------------------------------------------

# Kazakh inflectional endings (plural, possessive, case and a few verbal ones;
# derivational suffixes such as -лық, -шы, -сыз make new words and are kept).
# Stripped right to left, longest first, keeping a stem of at least three
# letters (four before a one-letter ending, so "қала", "бала" stay whole):
# a light stemmer that measured better than raw words on
# KazQAD and, combined with character 4-grams, better than either alone
# (see docs/benchmarks.md).
_KK_SUFFIXES = tuple(
    sorted(
        set(
            """
            лар лер дар дер тар тер
            ым ім м ың ің ң ы і сы сі мыз міз ымыз іміз ңыз ңіз ыңыз іңіз
            лары лері дары дері тары тері
            ның нің дың дің тың тің
            ға ге қа ке на не а е
            ны ні ды ді ты ті н
            да де та те нда нде
            дан ден тан тен нан нен
            мен бен пен
            дағы дегі тағы тегі
            ған ген қан кен атын етін йтын йтін
            у ып іп п ма ме ба бе па пе
            мын мін сың сің уге уға
            """.split()
        ),
        key=len,
        reverse=True,
    )
)


def _strip(word: str, suffixes: tuple[str, ...], min_stem: int, max_strips: int) -> str:
    for _ in range(max_strips):
        for suffix in suffixes:
            keep = min_stem + 1 if len(suffix) == 1 else min_stem
            if word.endswith(suffix) and len(word) - len(suffix) >= keep:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


@lru_cache(maxsize=200_000)
def kk_stem(word: str, min_stem: int = 3, max_strips: int = 4) -> str:
    return _strip(word, _KK_SUFFIXES, min_stem, max_strips)


# The Kazakh endings as typed without Kazakh letters (ді -> ди, ға -> га):
# "төлемейди" and "төлемейді" both stem to "толемей" in loose form.
_KK_LOOSE_SUFFIXES = tuple(sorted({loose(s) for s in _KK_SUFFIXES}, key=len, reverse=True))


@lru_cache(maxsize=200_000)
def kk_loose_stem(word: str, min_stem: int = 3, max_strips: int = 4) -> str:
    """The Kazakh stem of `word` in loose form (see :func:`loose`): the same for
    a word typed with or without Kazakh letters."""
    return _strip(loose(word), _KK_LOOSE_SUFFIXES, min_stem, max_strips)


_RU_STEMMER = snowballstemmer.stemmer("russian")


@lru_cache(maxsize=200_000)
def ru_stem(word: str) -> str:
    return _RU_STEMMER.stemWord(word)


def stem(word: str, lang: str) -> str:
    if word.isdigit():
        return word
    if lang == Lang.KK or any(ch in KK_LETTERS for ch in word):
        return kk_stem(word)
    return ru_stem(word)


def char_ngrams(word: str, n: int = 4) -> list[str]:
    """Character n-grams of one word with boundary marks: ^жек жеке еке$ ..."""
    marked = f"^{word}$"
    if len(marked) <= n:
        return [marked]
    return [marked[i : i + n] for i in range(len(marked) - n + 1)]


# --------------------------------------------------------------------------
# Abbreviations and synonyms (the semantic core)
# --------------------------------------------------------------------------

# Government abbreviations that are part of the language itself, not of one
# knowledge base; knowledge/synonyms.yaml adds the rest. Each group is one
# concept in Russian, Kazakh and Latin spellings.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "abbr-con": ("цон", "хқко", "центр обслуживания населения",
                 "халыққа қызмет көрсету орталығы"),
    "abbr-ecp": ("эцп", "эцқ", "электронная цифровая подпись",
                 "электрондық цифрлық қолтаңба"),
    "abbr-iin": ("иин", "жсн", "индивидуальный идентификационный номер",
                 "жеке сәйкестендіру нөмірі"),
    "abbr-enpf": ("енпф", "бжзқ", "единый накопительный пенсионный фонд",
                  "бірыңғай жинақтаушы зейнетақы қоры"),
    "abbr-osms": ("осмс", "мәмс", "обязательное социальное медицинское страхование",
                  "міндетті әлеуметтік медициналық сақтандыру"),
    "abbr-gfss": ("гфсс", "мәсқ", "государственный фонд социального страхования",
                  "мемлекеттік әлеуметтік сақтандыру қоры"),
    "abbr-ip": ("ип", "жк", "индивидуальный предприниматель", "жеке кәсіпкер"),
    "abbr-too": ("тоо", "жшс", "товарищество с ограниченной ответственностью",
                 "жауапкершілігі шектеулі серіктестік"),
    "abbr-mrp": ("мрп", "аек", "месячный расчетный показатель", "айлық есептік көрсеткіш"),
    "abbr-ent": ("ент", "ұбт", "единое национальное тестирование", "ұлттық бірыңғай тестілеу"),
    "abbr-zags": ("загс", "рагс", "ахат", "азаматтық хал актілерін тіркеу"),
    "abbr-cik": ("цик", "оск", "центральная избирательная комиссия",
                 "орталық сайлау комиссиясы"),
    "abbr-asp": ("асп", "аәк", "адресная социальная помощь", "атаулы әлеуметтік көмек"),
}


def _word_key(word: str) -> str:
    """A stem that depends on the word alone, not on the text's language, so a
    Kazakh term inside a Russian question still meets its group."""
    return kk_stem(word) if any(c in KK_LETTERS for c in word) else ru_stem(word)


@dataclass
class Synonyms:
    """Groups of terms that mean the same to citizens.

    A term is matched on stems, so "центра обслуживания населения" finds the
    group of "центр обслуживания населения". A text's matches become concept
    tokens (``~group-id``) in the lexical index and in the query, and the
    query is expanded with the group's other terms for the dense encoder.
    """

    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for gid, terms in self.groups.items():
            for term in terms:
                key = self._key(term)
                if key:
                    self._by_first.setdefault(key[0], []).append((key, gid))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: len(e[0]), reverse=True)

    @classmethod
    def from_groups(cls, groups: dict[str, Iterable[str]], with_abbreviations: bool = True):
        merged: dict[str, tuple[str, ...]] = dict(ABBREVIATIONS) if with_abbreviations else {}
        for gid, terms in groups.items():
            merged[gid] = tuple(terms)
        return cls(merged)

    @staticmethod
    def _key(term: str) -> tuple[str, ...]:
        folded = fold(term)
        if has_latin(folded):
            folded = to_cyrillic(folded)
        return tuple(_word_key(w) for w in words(folded))

    def find(self, ws: Sequence[str]) -> list[str]:
        """Group ids whose terms occur in a sequence of folded words."""
        stems = [_word_key(w) for w in ws]
        found: list[str] = []
        i = 0
        while i < len(stems):
            step = 1
            for key, gid in self._by_first.get(stems[i], ()):
                if tuple(stems[i : i + len(key)]) == key:
                    if gid not in found:
                        found.append(gid)
                    step = max(step, len(key))
            i += step
        return found

    def terms(self, gid: str) -> tuple[str, ...]:
        return self.groups.get(gid, ())


# --------------------------------------------------------------------------
# The analyzer shared by index and query
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Analyzed:
    lang: str
    words: list[str]
    stems: list[str]
    concepts: list[str]

    @property
    def keys(self) -> list[str]:
        """Match keys of the words, for telling whether the knowledge base knows
        them: the loose Kazakh stem of a Kazakh text's words (forgiving a
        keyboard without Kazakh letters: "төлемейди" is "төлемейді"), else the stem."""
        if self.lang != Lang.KK:
            return self.stems
        return [s if s.isdigit() else kk_loose_stem(w) for w, s in zip(self.words, self.stems,
                                                                        strict=True)]

    def terms(self, ngram: int) -> list[str]:
        """Lexical terms: stems, boundary n-grams of each word, concept tokens.

        (Loose n-grams and loose stems as terms were tried: they cost hit@1 on
        tests/fixtures/calibration.jsonl, 0.918 -> 0.900, and gained nothing on
        tests/fixtures/fresh_questions.jsonl; loose keys serve the confidence
        model only.)"""
        out = ["#" + s for s in self.stems]
        for w in self.words:
            out.extend(char_ngrams(w, ngram))
        out.extend("~" + c for c in self.concepts)
        return out


@dataclass
class Analyzer:
    synonyms: Synonyms = field(default_factory=lambda: Synonyms.from_groups({}))
    ngram: int = 4

    def analyze(self, text: str, lang: str | None = None) -> Analyzed:
        folded = fold(text)
        lang = lang or detect_lang(folded)
        if has_latin(folded):
            folded = to_cyrillic(folded, lang)
        ws = words(folded)
        stems = [stem(w, lang) for w in ws]
        return Analyzed(lang, ws, stems, self.synonyms.find(ws))

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        return self.analyze(text, lang).terms(self.ngram)
