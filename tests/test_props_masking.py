"""Property suite for masking: a grid of groupings, separators, Unicode spaces and
digit forms around generated IINs, cards, phones, ID-card and passport numbers,
embedded in Kazakh and Russian text."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.services.masking import mask

# Zero of each digit form: ASCII, fullwidth, Arabic-Indic, Extended Arabic-Indic,
# Devanagari, Bengali, mathematical bold.
ZEROS = (0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0x1D7CE)
SEPARATORS = (" ", "  ", ".", "/", "_", "-", " - ", "\n", "\t", "\r\n", "\u00a0", "\u202f",
              "\u2009", "\u200b", "\u3000", "\u2013", " \u200b ", ". ",
              # invisible ones: soft hyphen, direction marks, invisible times, a
              # keycap's variation selector and enclosing mark
              "\xad", "\u200f", "\u202c\u2066", "\u2062", "\ufe0f\u20e3",
              # a comma with a digit right after it («8,701,123,45,67»)
              ",")
TEMPLATES = (
    "Менің ЖСН {} болады, көмектесіңізші.",
    "Мой ИИН: {}. Подскажите, пожалуйста",
    "Здравствуйте!\n{}\nСпасибо",
    "{}",
    "тел.{}",
    "Картаның нөмірі ({}) дұрыс па?",
    "Паспорт {} — жарамды ма?",
    "номер «{}», адрес ул. Абая",
)
IIN_GROUPS = ((12,), (6, 6), (3, 3, 3, 3), (4, 4, 4), (2, 2, 2, 6), (1,) * 12)
CARD_GROUPS = ((16,), (4, 4, 4, 4), (4, 6, 5), (4, 4, 4, 4, 3), (13,), (4, 4, 4, 4, 2))
PHONE_GROUPS = ((3, 3, 2, 2), (3, 3, 4), (10,), (4, 2, 2, 2), (3, 7), (1,) * 10)
ID_GROUPS = ((9,), (3, 3, 3), (4, 5), (1,) * 9)
PASSPORT_GROUPS = ((8,), (4, 4), (2, 2, 2, 2))


def digits(n: int, first: str = "0123456789") -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(first),
                     st.text("0123456789", min_size=n - 1, max_size=n - 1)).map("".join)


@st.composite
def spelled(draw, number: str, groupings) -> str:
    """`number` cut into groups, with separators and digit forms from the grid."""
    sizes = draw(st.sampled_from([g for g in groupings if sum(g) == len(number)]))
    zeros = draw(st.lists(st.sampled_from(ZEROS), min_size=1, max_size=3))
    out, at = [], 0
    for k, size in enumerate(sizes):
        if k:
            out.append(draw(st.sampled_from(SEPARATORS)))
        for ch in number[at:at + size]:
            out.append(chr(draw(st.sampled_from(zeros)) + int(ch)))
        at += size
    return "".join(out)


@st.composite
def identifiers(draw) -> tuple[str, str]:
    """(the spelling, its digits) of one identifier."""
    kind = draw(st.sampled_from(["iin", "card", "phone", "id", "passport"]))
    if kind == "iin":
        number = draw(digits(12))
        return draw(st.sampled_from(["", "+"])) + draw(spelled(number, IIN_GROUPS)), number
    if kind == "card":
        number = draw(st.sampled_from([16, 15, 19, 13, 18]).flatmap(digits))
        return draw(spelled(number, CARD_GROUPS)), number
    if kind == "id":
        number = draw(digits(9))
        return draw(spelled(number, ID_GROUPS)), number
    if kind == "passport":
        number = draw(digits(8))
        letter = draw(st.sampled_from(["N", "n", "Н", "N ", "N№", "№ N"]))
        return letter + draw(spelled(number, PASSPORT_GROUPS)), number
    national = draw(digits(10, first="7"))
    prefix = draw(st.sampled_from(["", "+7", "8", "7", "+ 7", "\uff0b7"]))
    body = draw(spelled(national, PHONE_GROUPS))
    if draw(st.booleans()) and len(body) > 3 and body[:3].isascii() and body[:3].isdigit():
        body = "(" + body[:3] + ")" + draw(st.sampled_from(["", " ", "-"])) + body[3:]
    sep = draw(st.sampled_from(["", " ", "-", "\u00a0", " ("])) if prefix else ""
    return prefix + sep + body, prefix.lstrip("+\uff0b ") + national


def normalised_digits(text: str) -> str:
    """Every decimal digit of `text`, in any script, as ASCII, nothing else."""
    return "".join(str(d) for d in (unicodedata.decimal(c, None) for c in text) if d is not None)


@given(identifiers(), st.sampled_from(TEMPLATES))
def test_no_four_digits_of_an_identifier_survive(identifier, template):
    spelling, number = identifier
    masked = mask(template.format(spelling))
    left = normalised_digits(masked)
    assert not [number[i:i + 4] for i in range(len(number) - 3) if number[i:i + 4] in left], \
        (spelling, masked)
    assert mask(masked) == masked


@given(st.lists(st.tuples(identifiers(), st.sampled_from(TEMPLATES)), min_size=2, max_size=4))
def test_several_identifiers_in_one_message(items):
    text = "\n".join(template.format(spelling) for (spelling, _), template in items)
    left = normalised_digits(mask(text))
    for (_, number), _ in items:
        assert not any(number[i:i + 4] in left for i in range(len(number) - 3)), text


WORDS = st.sampled_from(["Сәлеметсіз бе", "подскажите", "мекенжай", "жәрдемақы", "пособие",
                         "году", "ст.", "кв.", "дом", "участок №", "срок до", "телефон",
                         "N", "н", "ИИН", "закон"]) | st.text(
    "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя .,!?-«»()", min_size=1, max_size=12
).filter(lambda w: any(c.isalpha() for c in w))
MONTH = st.integers(1, 12).map("{:02d}".format)
DAY = st.integers(1, 28).map("{:02d}".format)
YEAR = st.integers(1950, 2035).map(str)
BENIGN = st.one_of(
    st.tuples(DAY, MONTH, YEAR, st.sampled_from(".-/")).map(lambda t: t[3].join(t[:3])),
    st.tuples(YEAR, MONTH, DAY).map("-".join),
    YEAR,
    st.integers(0, 9999).map(str),
    st.tuples(st.integers(1, 999), st.sampled_from([" ", "\u00a0", "\u202f"]),
              st.sampled_from(["000", "500", "692"]),
              st.sampled_from([" тенге", " теңге", " ₸", "₸", " тг", " KZT", " руб"]))
      .map(lambda t: f"{t[0]}{t[1]}{t[2]}{t[3]}"),
    st.integers(1, 999).map(lambda n: f"{n} 000 000 тенге"),
    st.tuples(st.integers(1, 200), st.integers(1, 9)).map(lambda t: f"{t[0]}/{t[1]}"),
)


@st.composite
def plain_text(draw) -> str:
    """Kazakh and Russian words with dates, amounts, years and short numbers,
    each number standing alone between words."""
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        parts.append(draw(WORDS))
        if draw(st.booleans()):
            number = draw(BENIGN)
            zero = draw(st.sampled_from(ZEROS))
            parts.append("".join(chr(zero + int(c)) if c.isdigit() else c for c in number))
    parts.append(draw(WORDS))
    return " ".join(parts)


@given(plain_text())
def test_text_without_identifiers_is_unchanged(text):
    assert mask(text) == text


@given(st.text() | st.text("0123456789０١ .-/()_+N№Н\n\u200bKZ@a", max_size=80))
def test_mask_is_total_and_idempotent(text):
    once = mask(text)
    assert isinstance(once, str)
    assert mask(once) == once
