"""Precinct boundaries: house numbers and the boundary syntax of the precinct files.

A boundary lists the places a precinct covers, the way an akim's decision
does ("ул. Абая, дома 1-45 нечётные; 12 мкр, дома 1-15, 17")::

    boundary := item ( ";" item )*
    item     := place [ ":" houses ]          no houses: the whole street or microdistrict
    place    := "мкр" ID | "mkr" ID           a microdistrict: 12, 3А, 32Б
              | street name                   anything else, as written in the decision
    houses   := part ( "," part )*
    part     := "*"                           every building
              | "odd" | "even"                one side of the street
              | N "-" N [parity]              from-to, both included
              | N "-" [parity]                from N to the end of the street
              | house                         one building: 5, 5а, 5/1
    parity   := "odd" | "even"                (also нечет/чет, тақ/жұп)

A range holds every building whose number falls in it (17а and 17/1 are in
1-45); a single building listed with a letter or a slash ("17а") is that
building only and wins over ranges. ``knowledge/polling_stations/README.md``
documents the syntax for maintainers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import BoundaryError

ODD, EVEN = "odd", "even"
_PARITY_WORDS = {
    "odd": ODD, "even": EVEN,
    "нечет": ODD, "нечетные": ODD, "нечетная": ODD, "неч": ODD,
    "чет": EVEN, "четные": EVEN, "четная": EVEN,
    "тақ": ODD, "жұп": EVEN,
}
# Latin letters that stand for Cyrillic building letters (5a = 5а).
# Latin building letters as their Cyrillic look-alikes (45a -> 45а); address.py reads
# a typed building letter the same way.
LATIN_LETTERS = str.maketrans("abvgdeh", "абвгдеһ")
_HOUSE = re.compile(r"(\d{1,5})(?:\s*/\s*(\d{1,4}))?\s*-?\s*([^\W\d_])?")
_MKR = re.compile(r"(?:мкр|mkr)\.?\s+(\d{1,3}\s*-?\s*[^\W\d_]?)\s*$", re.IGNORECASE)
_RANGE = re.compile(r"(\d{1,5})\s*-\s*(\d{1,5})?\s*([^\W\d_]*)")


def plain_digits(text: str) -> str:
    """Decimal digits of any script as ASCII (٤٥ -> 45), other numeric characters
    (², ½, Ⅻ) as spaces: only what int() reads counts as a number, and str.isdigit()
    is true for ², which int() refuses."""
    if text.isascii():
        return text
    return "".join(
        c if c.isascii() else str(unicodedata.decimal(c)) if c.isdecimal()
        else " " if c.isnumeric() else c
        for c in text)


def _norm(text: str) -> str:
    text = plain_digits(unicodedata.normalize("NFC", text).casefold().replace("ё", "е"))
    return re.sub(r"[–—‒−]", "-", text)


@dataclass(frozen=True, order=True)
class House:
    """A building number: 45, 45а or 45/1 (`text`), and its number (45)."""

    number: int
    text: str

    @property
    def exact(self) -> bool:
        """True for a building with a letter or a slash (45а, 45/1)."""
        return self.text != str(self.number)


def house(text: str) -> House | None:
    """The building number in `text` ("45", "45 а", "45-А", "45/1"), else None."""
    m = _HOUSE.fullmatch(_norm(text).strip())
    if m is None:
        return None
    number = int(m.group(1))
    if number <= 0:
        return None
    out = str(number)
    if m.group(2):
        out += "/" + str(int(m.group(2)))
    if m.group(3):
        out += m.group(3).translate(LATIN_LETTERS)
    return House(number, out)


def microdistrict_id(text: str) -> str:
    """A microdistrict's id as compared: "3А", "3 a", "3-а" -> "3а"."""
    return re.sub(r"[\s-]", "", _norm(text)).translate(LATIN_LETTERS)


@dataclass(frozen=True)
class Span:
    """Buildings from `low` to `high` (None: to the end), on one side or both."""

    low: int = 1
    high: int | None = None
    parity: str | None = None  # ODD, EVEN or None for both sides

    def contains(self, number: int) -> bool:
        if number < self.low or (self.high is not None and number > self.high):
            return False
        return self.parity is None or (number % 2 == 1) == (self.parity == ODD)

    def overlaps(self, other: Span) -> bool:
        low = max(self.low, other.low)
        highs = [h for h in (self.high, other.high) if h is not None]
        high = min(highs) if highs else None
        if high is not None and low > high:
            return False
        if self.parity and other.parity and self.parity != other.parity:
            return False
        parity = self.parity or other.parity
        if parity is None or high is None:
            return True
        first = low if (low % 2 == 1) == (parity == ODD) else low + 1
        return first <= high

    def __str__(self) -> str:
        if self.low == 1 and self.high is None:
            text = "*" if self.parity is None else ""
        elif self.low == self.high:
            text = str(self.low)
        else:
            text = f"{self.low}-{self.high if self.high is not None else ''}"
        return " ".join(t for t in (text, self.parity or "") if t)


@dataclass(frozen=True)
class Houses:
    """The buildings of one place in one precinct: spans and single buildings."""

    spans: tuple[Span, ...] = ()
    single: tuple[House, ...] = ()

    @property
    def whole(self) -> bool:
        return any(s.low == 1 and s.high is None and s.parity is None for s in self.spans)

    def contains(self, h: House) -> bool:
        if h in self.single:
            return True
        return any(s.contains(h.number) for s in self.spans)


@dataclass(frozen=True)
class Place:
    """A street (by its name as written) or a microdistrict (by its id)."""

    kind: str  # "street" or "mkr"
    name: str  # the street's name as written, or the microdistrict's id ("3а")

    def __str__(self) -> str:
        return f"мкр {self.name}" if self.kind == "mkr" else self.name


@dataclass(frozen=True)
class Item:
    place: Place
    houses: Houses


ALL = Houses(spans=(Span(),))


def _part(text: str) -> tuple[Span | None, House | None]:
    text = text.strip()
    if text in ("*", ""):
        if not text:
            raise BoundaryError("an empty house list entry (two commas in a row?)")
        return Span(), None
    if text in _PARITY_WORDS:
        return Span(parity=_PARITY_WORDS[text]), None
    m = _RANGE.fullmatch(text)
    if m:
        low, high, word = int(m.group(1)), m.group(2), m.group(3)
        parity = None
        if word:
            parity = _PARITY_WORDS.get(word)
            if parity is None:
                raise BoundaryError(f"«{text}»: after a range only odd or even may follow")
        if low <= 0:
            raise BoundaryError(f"«{text}»: house numbers start at 1")
        if high is not None and int(high) < low:
            raise BoundaryError(f"«{text}»: the range ends before it starts")
        return Span(low, int(high) if high is not None else None, parity), None
    h = house(text)
    if h is None:
        raise BoundaryError(f"«{text}» is not a house number, a range (1-45, 47-), "
                            "odd, even or *")
    if h.exact:
        return None, h
    return Span(h.number, h.number), None


def parse_houses(text: str) -> Houses:
    spans: list[Span] = []
    single: list[House] = []
    for part in _norm(text).split(","):
        span, h = _part(part)
        if span is not None and span not in spans:
            spans.append(span)
        if h is not None and h not in single:
            single.append(h)
    return Houses(tuple(spans), tuple(single))


def parse_place(text: str) -> Place:
    text = " ".join(text.split())
    if not text:
        raise BoundaryError("a place without a name (an empty item between two «;»?)")
    m = _MKR.fullmatch(text)
    if m:
        return Place("mkr", microdistrict_id(m.group(1)))
    if re.match(r"(?:мкр|mkr)\b", text, re.IGNORECASE):
        raise BoundaryError(f"«{text}»: a microdistrict is written «мкр 12» or «мкр 3А»")
    if not re.search(r"[^\W\d_]", text):
        raise BoundaryError(f"«{text}»: a street name needs letters")
    return Place("street", text)


def parse_boundary(text: str) -> list[Item]:
    """The items of a boundary text; BoundaryError says what is wrong and where."""
    items: list[Item] = []
    text = text.strip()
    if text.endswith(";"):  # a trailing separator is harmless
        text = text[:-1]
    for raw in text.split(";"):
        if not raw.strip():
            raise BoundaryError("an empty item (two «;» in a row?)" if text
                                else "the boundary is empty")
        place_text, sep, houses_text = raw.partition(":")
        place = parse_place(place_text)
        if sep and not houses_text.strip():
            raise BoundaryError(f"«{place_text.strip()}:» lists no houses (write * for all)")
        try:
            houses = parse_houses(houses_text) if sep else ALL
        except BoundaryError as exc:
            raise BoundaryError(f"{place}: {exc}") from None
        items.append(Item(place, houses))
    return items


def conflict(a: Houses, b: Houses) -> str | None:
    """A building that both house sets claim, described, or None."""
    for sa in a.spans:
        for sb in b.spans:
            if sa.overlaps(sb):
                return f"{sa} and {sb} overlap"
    for ha in a.single:
        if ha in b.single:
            return f"building {ha.text} is listed in both"
    return None
