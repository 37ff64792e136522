"""Free-text addresses in Kazakh, Russian or Latin script, with typos.

:func:`parse_address` finds the street (or microdistrict), the house and,
when named, the city in what a citizen types::

    "ул. Абая, д. 45"          street ("абая",), house 45
    "Абай даңғылы 45 үй"       street ("абай",), house 45
    "12 мкр 5 дом"             microdistrict 12, house 5
    "5 үй 12 шағын аудан"      microdistrict 12, house 5
    "mkr 12 dom 5", "12-5-34"  microdistrict 12, house 5 (Aktau's own way: 12-5, flat 34)

Markers (мкр, дом, үй, кв...) are paired with the number next to them, in
whichever order the language puts them ("дом 5" / "5 үй"); a number left
over is the house. Everything is compared on *keys*: folded, Latin
transliterated (:func:`embeddings.to_cyrillic`), Kazakh letters loosened so a
keyboard without them still matches (:func:`embeddings.normalize.loose`),
street-type words dropped (улица, көшесі, даңғылы...), and a Russian genitive
name turned back to its base (Абая -> абай, Сатпаева -> сатпаев). The same
:func:`name_key` makes the keys of the names in the data, so the two meet.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz

from embeddings import detect_lang, has_latin, loose, to_cyrillic

from .boundaries import LATIN_LETTERS, House, house, microdistrict_id, plain_digits

# Roles of words, on loose keys (Kazakh letters folded to their Russian look-alikes).
MKR, HOUSE, PART, FLAT, TYPE, CITY, REGION, STOP, WORD, NOISE = (
    "mkr", "house", "part", "flat", "type", "city", "region", "stop", "word", "noise")
ELSEWHERE = "elsewhere"  # a city without a precinct list
_T = TypeVar("_T")
_KK_TYPES = ("коше", "дангыл", "туйык")  # Kazakh street types follow the name

_VOWEL_Y = re.compile(r"(?<=[аеиоуэюя])ы")


def loose_key(word: str) -> str:
    """A word as compared: Kazakh letters loosened (қ -> к, ә -> а...), «ц» as «тс» and «ы»
    after a vowel as «й», so Latin "ts" and "y" meet either reading ("Abay" typed in a
    Kazakh text becomes «абаы»; «Болтайтсай» typed "Boltaytsay" becomes «болтайцай»)."""
    return _VOWEL_Y.sub("й", loose(word).replace("ц", "тс"))


_VOCABULARY: dict[str, str] = {}
for _role, _words in {
    MKR: "мкр мкрн мкн мк мр микр микрорайон микрорайона микрорайоне микрорайоны "
         "микрорайонда шагын шагынаудан",
    HOUSE: "д дом дома доме домa уй уйи уйде уйдин уйы здание зд гимарат гимараты",
    # A part of a building (корпус 2 of house 45): its number is never the house.
    PART: "корпус корп блок строение стр",
    FLAT: "кв квартира квартиры квартире кварт патер патери патерде пат",
    TYPE: "ул улица улице улицы уль коше кошеси кошесинде кошесиндеги кошеси пр просп проспект "
          "проспекте проспекта пркт дангыл дангылы дангылында дангылындагы бульвар бульваре бул "
          "пер переулок переулке туйык тупик шоссе проезд",
    CITY: "г гор город городе к кала каласы каласында",
    REGION: "обл область области облысы",
    STOP: "я мы мой моя мое мои мне меня мен менин бизин адрес адресу адреса мекенжай "
          "мекенжайы мекенжайым мекенжайым живу живем проживаю прописан прописана прописка "
          "прописке зарегистрирован зарегистрирована регистрации тиркелгенмин тиркелген "
          "турамын по на в во у и а это вот где какой какому каком кай кайда кайсы участок "
          "участка участке избирательный избирательного голосовать голосую проголосовать "
          "учаске учаскем учаскеси учаскем сайлау дауыс беремин беру бойынша атындагы рк "
          "казахстан республика республики найти узнать табу подскажите пожалуйста помогите",
}.items():
    for _word in _words.split():
        _VOCABULARY[loose_key(_word)] = _role

# Suffixes of an ordinal number: 12-й, 12-ші, 12th.
_ORDINAL = frozenset("й ый ий ой я ая ши шы инши ыншы th st nd rd".split())
_LETTER_WORDS = frozenset("абвг")  # a lone letter after a number: 45 а
_PRE = [
    (re.compile(r"[–—‒−]"), "-"),
    (re.compile(r"№"), " "),
    (re.compile(r"(?<![^\W\d_])(?:мкр|мк|м)\s*-\s*н(?![^\W\d_])"), " мкр "),  # мкр-н, м-н
    (re.compile(r"(?<![^\W\d_])ш\s*[./]\s*а(?![^\W\d_])\.?"), " мкр "),  # ш/а, ш.а.
    (re.compile(r"(?<![^\W\d_])пр\s*-\s*т(?![^\W\d_])"), " пр "),  # пр-т
    (re.compile(r"(?<![^\W\d_])б\s*-\s*р(?![^\W\d_])"), " бульвар "),  # б-р
]
_RAW = re.compile(r"\d+|[^\W\d_]+|[,;/-]")

# Pairing preferences: which side a marker's number is usually on.
# «дом 5», «кв 12», «пәтер 12», «здание 3», «корпус 2»; microdistricts and «үй»
# take the number before («12 мкр», «5 үй») unless only the one after fits
# («мкр 12»). A flat before its number in Kazakh too: «45 үй, пәтер 12» (else
# «Абай даңғылы 45 пәтер 12» took 45 for the flat and 12 for the house).
_PREFER_AFTER = frozenset(loose_key(w) for w in (
    "д", "дом", "кв", "квартира", "кварт", "пәтер", "пат", "корпус", "корп", "блок",
    "строение", "стр", "здание", "зд"))


def normalize(text: str) -> str:
    """NFC, casefold, ё -> е, digits as ASCII (², ½ dropped: :func:`plain_digits`), and
    the abbreviations of «микрорайон» and friends spelled out."""
    text = plain_digits(unicodedata.normalize("NFC", text).casefold().replace("ё", "е"))
    for pattern, repl in _PRE:
        text = pattern.sub(repl, text)
    return text


def _nominative(word: str) -> str:
    """A Russian genitive street name back to its base form: Абая -> абай, Сатпаева -> сатпаев."""
    if len(word) >= 5 and word.endswith(("ова", "ева", "ина", "ына")):
        return word[:-1]
    if len(word) >= 4 and word.endswith("ая"):
        return word[:-1] + "й"
    return word


def word_key(word: str) -> str:
    return _nominative(loose_key(word))


def name_key(words: Sequence[str]) -> str:
    """The key of a name given as words (folded, Cyrillic): types dropped, words normalised."""
    keys = [loose_key(w) for w in words]
    kept = [k for k in keys if _VOCABULARY.get(k) != TYPE]
    return " ".join(_nominative(k) for k in (kept or keys))


def name_words(text: str) -> list[str]:
    """A name's words, folded and in Cyrillic: "проспект Абая" -> ["проспект", "абая"]."""
    text = normalize(text)
    if has_latin(text):
        text = to_cyrillic(text, detect_lang(text))
    return re.findall(r"[^\W\d_]+|\d+", text)


def street_key(name: str) -> str:
    """The key of a street name as written in data or typed: "ул. Абая" -> "абай"."""
    return name_key(name_words(name))


@dataclass
class _Tok:
    kind: str  # "num" or "word"
    text: str
    seg: int  # comma-separated segment
    ordinal: bool = False
    dash: bool = False  # a number joined to the previous number by a dash (12-5)
    role: str = WORD
    key: str = ""


@dataclass(frozen=True)
class ParsedAddress:
    """What :func:`parse_address` understood."""

    street: tuple[str, ...] = ()  # the street's words as typed (folded, Cyrillic)
    microdistrict: str | None = None
    house: House | None = None
    city: str | None = None  # a city id, when the text names a known city
    numbers: int = 0  # how many numbers the text has
    # A city the text names whose precinct list is not loaded: (ru, kk) names.
    elsewhere: tuple[str, str] | None = None

    @property
    def street_key(self) -> str:
        return name_key(self.street) if self.street else ""

    @property
    def street_text(self) -> str:
        return " ".join(self.street)


def _number(digits: str) -> str:
    """ASCII digits without leading zeros; not int(), which refuses 4,301 digits."""
    return digits.lstrip("0") or "0"


def _tokens(text: str) -> list[_Tok]:
    raw = list(_RAW.finditer(text))
    toks: list[_Tok] = []
    seg = 0
    i = 0

    def glued(a: int, b: int) -> bool:
        return raw[a].end() == raw[b].start()

    while i < len(raw):
        t = raw[i].group()
        if t in ",;":
            seg += 1
            i += 1
        elif t.isdecimal():
            num, j, ordinal = _number(t), i + 1, False
            if (j + 1 < len(raw) and raw[j].group() == "/" and raw[j + 1].group().isdecimal()):
                num += "/" + _number(raw[j + 1].group())
                j += 2
            k = j
            if (k + 1 < len(raw) and raw[k].group() == "-" and glued(k - 1, k) and glued(k, k + 1)
                    and raw[k + 1].group().isalpha()):
                k += 1
            if k < len(raw) and raw[k].group().isalpha() and glued(k - 1, k):
                suffix = raw[k].group()
                if loose_key(suffix) in _ORDINAL:
                    ordinal, j = True, k + 1
                elif len(suffix) == 1:
                    # a letter typed on the number is the building's, whatever it is
                    # (32д, 32е, 32d); standing apart only а-г are («45 а»), as other
                    # lone letters are words
                    num, j = num + suffix.translate(LATIN_LETTERS), k + 1
            dash = (i >= 2 and raw[i - 1].group() == "-" and bool(toks) and toks[-1].kind == "num"
                    and toks[-1].seg == seg)
            toks.append(_Tok("num", num, seg, ordinal=ordinal, dash=dash))
            i = j
        elif t in "/-":
            i += 1
        else:
            toks.append(_Tok("word", t, seg))
            i += 1
    return toks


def _classify(toks: list[_Tok], lang: str, cities: Mapping[tuple[str, ...], str]) -> str | None:
    """Set each word's role; returns the city id named in the text, if any."""
    for t in toks:
        if t.kind == "word":
            if has_latin(t.text):
                t.text = to_cyrillic(t.text, lang) or t.text
            t.key = loose_key(t.text)
            t.role = _VOCABULARY.get(t.key, WORD)
            if t.role == WORD and len(t.key) >= 6 and (
                    t.key.startswith("микр") or fuzz.ratio(t.key, "микрорайон",
                                                            processor=None) >= 80):
                t.role = MKR  # микрорайн, микрарайон
    # "шағын аудан": one marker; "аудан" after it is part of it.
    for a, b in itertools.pairwise(toks):
        if a.role == MKR and a.key.startswith("шагын") and b.kind == "word" and (
                b.key.startswith("аудан") or b.key.startswith("ауд")):
            b.role = NOISE
    # The word before «обл/облысы» is the region's name.
    for a, b in itertools.pairwise(toks):
        if b.role == REGION and a.kind == "word":
            a.role = NOISE
    city = None
    for window, found in _named(toks, cities, lambda t: t.kind == "word"):
        city = city or found
        for t in window:
            t.role = CITY
    # A lone letter right after a number is the building's letter (45 а).
    for a, b in itertools.pairwise(toks):
        if (a.kind == "num" and b.kind == "word" and b.role in (WORD, STOP) and b.seg == a.seg
                and b.key in _LETTER_WORDS and not a.ordinal and a.text.isdecimal()):
            a.text += b.key
            b.role = NOISE
    return city


def _next(toks: list[_Tok], i: int, step: int) -> int | None:
    """The neighbour of token `i` in direction `step`, skipping the rest of a marker."""
    i += step
    while 0 <= i < len(toks) and toks[i].role == NOISE:
        i += step
    return i if 0 <= i < len(toks) else None


def _pair(toks: list[_Tok]) -> dict[int, int]:
    """Marker index -> number index, the best consistent pairing of markers and numbers."""
    markers = [i for i, t in enumerate(toks) if t.role in (MKR, HOUSE, PART, FLAT)][:6]
    best: dict[int, int] = {}
    best_score = -1
    options = []
    for m in markers:
        opts: list[tuple[int | None, int]] = [(None, 0)]
        for side, n in (("before", _next(toks, m, -1)), ("after", _next(toks, m, 1))):
            if n is not None and toks[n].kind == "num":
                score = 10 + (2 if toks[n].seg == toks[m].seg else 0)
                prefers_after = toks[m].key in _PREFER_AFTER and not toks[n].ordinal
                if (side == "after") == prefers_after:
                    score += 1
                if toks[m].role == MKR and toks[n].ordinal:
                    score += 1
                opts.append((n, score))
        options.append(opts)
    for combo in itertools.product(*options):
        used = [n for n, _ in combo if n is not None]
        if len(used) != len(set(used)):
            continue
        score = sum(s for _, s in combo)
        if score > best_score:
            best_score = score
            best = {m: n for m, (n, _) in zip(markers, combo, strict=True) if n is not None}
    return best


def parse_address(text: str, cities: Mapping[tuple[str, ...], str] | None = None,
                  elsewhere: Mapping[tuple[str, ...], tuple[str, str]] | None = None
                  ) -> ParsedAddress:
    """Understand a typed address; `cities` maps a city name's word keys to a city id,
    `elsewhere` those of cities without a precinct list to their (ru, kk) names."""
    norm = normalize(text)
    lang = detect_lang(norm)
    toks = _tokens(norm)
    city = _classify(toks, lang, cities or {})
    other = _elsewhere(toks, elsewhere or {}) if city is None else None
    pairs = _pair(toks)
    mkr = house_tok = None
    for m, n in pairs.items():
        if toks[m].role == MKR and mkr is None:
            mkr = n
        elif toks[m].role == HOUSE and house_tok is None:
            house_tok = n
    paired = set(pairs.values())
    numbers = [i for i, t in enumerate(toks) if t.kind == "num"]
    words = [t for t in toks if t.kind == "word" and t.role == WORD]
    has_mkr_marker = any(t.role == MKR for t in toks)
    if other is not None and not words and not has_mkr_marker:
        # The city's name is all the street there is («Астана 10»): a street
        # named after it, as every city has.
        for t in toks:
            if t.role == ELSEWHERE:
                t.role = WORD
        words = [t for t in toks if t.kind == "word" and t.role == WORD]
        other = None
    free = [i for i in numbers if i not in paired]
    if mkr is None and not words and not has_mkr_marker and len(numbers) >= 2 and all(
            toks[i].dash for i in numbers[1:2]):
        # Aktau's own way: 12-5 or 12-5-34 (microdistrict, building, flat).
        mkr, house_tok = numbers[0], numbers[1]
        free = []
    if mkr is not None and house_tok is None:
        after = mkr + 1
        if after in free and toks[after].dash:
            house_tok = after
    if house_tok is None:
        rest = [i for i in free if i != mkr and not toks[i].ordinal]
        if rest and (words or mkr is not None or has_mkr_marker):
            house_tok = rest[0]
    mkr_id = microdistrict_id(toks[mkr].text) if mkr is not None else None
    return ParsedAddress(
        street=tuple(t.text for t in words) if mkr_id is None else (),
        microdistrict=mkr_id,
        house=house(toks[house_tok].text) if house_tok is not None else None,
        city=city,
        numbers=len(numbers),
        elsewhere=other,
    )


def _a_street_name(toks: list[_Tok], i: int, size: int) -> bool:
    """Whether the city name in tokens i..i+size is a street's name: after a
    street type («проспект Астана») or before a Kazakh one («Астана даңғылы»),
    unless a city marker stands beside it («г. Астана», «Астана қаласы»)."""
    seg = toks[i].seg
    before, after = (toks[j] if 0 <= j < len(toks) and toks[j].seg == seg else None
                     for j in (i - 1, i + size))
    if any(t is not None and t.role == CITY for t in (before, after)):
        return False
    return ((before is not None and before.role == TYPE)
            or (after is not None and after.role == TYPE and after.key.startswith(_KK_TYPES)))


def _named(toks: list[_Tok], names: Mapping[tuple[str, ...], _T],
           usable: Callable[[_Tok], bool]) -> Iterator[tuple[list[_Tok], _T]]:
    """(tokens, value) for each name of `names` the tokens spell, left to right,
    the longest first, never as a street's name (:func:`_a_street_name`);
    `usable` tells which tokens a name may take. The caller may change the
    roles of a window's tokens before the next is looked for."""
    longest = max((len(k) for k in names), default=0)
    i = 0
    while i < len(toks):
        for size in range(min(longest, len(toks) - i), 0, -1):
            window = toks[i:i + size]
            if all(usable(t) for t in window):
                found = names.get(tuple(t.key for t in window))
                if found is not None and not _a_street_name(toks, i, size):
                    yield window, found
                    i += size - 1
                    break
        i += 1


def _elsewhere(toks: list[_Tok], names: Mapping[tuple[str, ...], tuple[str, str]]
               ) -> tuple[str, str] | None:
    """The first city of `names` the words name, not as a street's name (next to
    «проспект», «көшесі»...); its tokens take the role ELSEWHERE."""
    for window, found in _named(toks, names, lambda t: t.kind == "word" and t.role == WORD):
        for t in window:
            t.role = ELSEWHERE
        return found
    return None
