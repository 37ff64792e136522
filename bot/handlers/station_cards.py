"""Texts of the polling-station lookup: the precinct card, the choices, the hints.

Addresses and names come from the precinct files and the citizen's own text,
so everything goes through formatting nodes (:func:`.cards.fill`), never markup.
"""

from __future__ import annotations

from aiogram.utils.formatting import Bold, Italic, Text
from aiogram.utils.i18n import gettext as _

from ..services import Area, Lookup, Match, Nearby, Precinct, Status
from .cards import fill, join, quote

ELECTION_SITE = "election.gov.kz"
NO_PHONE = "—"


def area_name(area: Area, lang: str) -> str:
    """A street's name, or "12 мкр" / "12 шағын аудан", in the interface language."""
    if area.kind == "mkr":
        return _("{number} microdistrict").format(number=area.name(lang))
    return area.name(lang)


def address_line(match: Match, lang: str, with_city: bool) -> str:
    parts = [match.area.city(lang)] if with_city else []
    parts.append(area_name(match.area, lang))
    if match.house is not None:
        parts.append(match.house.text)
    return ", ".join(parts)


def precinct_title(p: Precinct) -> str:
    return _("Polling station No. {number}").format(number=p.number)


def data_note(precincts: list[Precinct]) -> Text:
    """The sample warning, or where the boundaries come from."""
    if any(p.sample for p in precincts):
        return Text(Italic(fill(_("⚠️ Sample data: these precincts and their boundaries are "
                                  "invented for testing, not taken from an akim's decision. "
                                  "Check your precinct at {site}."), site=ELECTION_SITE)))
    sources = list(dict.fromkeys(p.source for p in precincts))
    return Text(Italic(fill(_("Boundaries: {source}."), source="; ".join(sources))))


def precinct_card(p: Precinct, lang: str, *, match: Match | None = None,
                  with_city: bool = False) -> Text:
    blocks: list[object] = []
    if match is not None:
        found = address_line(match, lang, with_city)
        if match.score < 100:
            blocks.append(fill(_("I understood the address as «{address}». If it is not yours, "
                                 "write it again."), address=found))
        else:
            blocks.append(fill(_("Address: {address}"), address=found))
    blocks.append(Text(
        Bold(precinct_title(p)), "\n",
        p.name(lang), "\n",
        "📍 ", p.address(lang), "\n",
        fill(_("🕖 Voting hours: {hours}"), hours=p.hours), "\n",
        fill(_("☎️ Phone: {phone}"), phone=p.phone or NO_PHONE),
    ))
    blocks.append(_("Your precinct is the one of the address where you are registered "
                    "(propiska)."))
    blocks.append(data_note([p]))
    return join(blocks)


def venue_address(p: Precinct, lang: str) -> str:
    return f"{p.name(lang)}, {p.address(lang)}"


def ask_address(cities: list[str]) -> Text:
    blocks: list[object] = [_(
        "Write the address where you are registered (propiska): a street and house, for "
        "example «Абая 45», or a microdistrict and building, for example «12 мкр 5».\n"
        "Or send your location to see the polling stations nearby.")]
    if cities:
        blocks.append(fill(_("Precinct lists are loaded for: {cities}."),
                           cities=", ".join(cities)))
    return join(blocks)


def no_data() -> Text:
    return fill(_("The polling-station lists are not loaded yet. During an election campaign "
                  "you can find your precinct by IIN at {site}, on gov.kz or in eGov Mobile."),
                site=ELECTION_SITE)


def choose(text: str) -> Text:
    return fill(_("Several places fit «{address}». Choose yours:"), address=quote(text))


def choice_label(match: Match, lang: str, with_city: bool) -> str:
    return f"{address_line(match, lang, with_city)} · № {match.precinct.number}"


def not_found(result: Lookup, text: str, lang: str, cities: list[str]) -> Text:
    """What was not understood, and how to write it."""
    status = result.status
    where = ", ".join(cities)
    if status is Status.NEED_HOUSE:
        assert result.area is not None
        place = area_name(result.area, lang)
        return fill(_("{place} is divided between several precincts. Write the house number "
                      "too, for example «{example}»."), place=place, example=f"{place} 5")
    if status is Status.NEED_CITY:
        return fill(_("Addresses like this are in several cities. Write the city too, for "
                      "example «{example}»."),
                    example=f"{result.matches[0].area.city(lang)}, {quote(text, 60)}")
    if status is Status.NO_HOUSE:
        assert result.area is not None and result.address.house is not None
        return fill(_("I know {place}, but house {house} is in none of the precinct lists I "
                      "have. Check the number, or send your location to see the stations "
                      "nearby."), place=area_name(result.area, lang),
                    house=result.address.house.text)
    if status is Status.OTHER_CITY:
        assert result.address.elsewhere is not None
        ru, kk = result.address.elsewhere
        return join([
            fill(_("I do not have the precinct lists for {city} yet. I have them for: "
                   "{cities}."), city=kk if lang == "kk" else ru, cities=where),
            fill(_("During an election campaign you can find your precinct by IIN at {site}, "
                   "on gov.kz or in eGov Mobile."), site=ELECTION_SITE),
        ])
    if status is Status.UNKNOWN_PLACE and result.address.microdistrict is not None:
        return fill(_("There is no microdistrict {number} in my lists for {cities}. Check the "
                      "number; write it like this: «12 мкр 5»."),
                    number=result.address.microdistrict.upper(), cities=where)
    if status is Status.UNKNOWN_PLACE:
        return fill(_("I did not find the street «{street}» in {cities}. Check the name, or "
                      "write it like this: «Абая 45» or «12 мкр 5»."),
                    street=quote(result.address.street_text, 60), cities=where)
    return fill(_("I could not find a street or a microdistrict in «{text}». Write a street "
                  "and house, for example «Абая 45», or a microdistrict and building, for "
                  "example «12 мкр 5»."), text=quote(text))


def distance(meters: float) -> str:
    # Kazakh and Russian write metres and kilometres alike: м, км, with a decimal comma.
    if meters < 1000:
        return f"{int(round(meters / 10.0) * 10)} м"
    return f"{meters / 1000:.1f}".replace(".", ",") + " км"


def nearby(stations: list[Nearby], lang: str) -> Text:
    lines: list[object] = [Bold(_("Polling stations near you:"))]
    for i, s in enumerate(stations, start=1):
        first = s.precincts[0]
        numbers = ", ".join(f"№ {p.number}" for p in s.precincts)
        lines.append(Text(f"{i}. ", Bold(numbers), " — ", first.name(lang), ", ",
                          first.address(lang), " — ", distance(s.distance_m)))
    blocks: list[object] = [join(lines, "\n")]
    blocks.append(_("You can vote only at the precinct of the address where you are registered "
                    "(propiska), which is not always the nearest one. To find yours, write that "
                    "address."))
    blocks.append(data_note([p for s in stations for p in s.precincts]))
    return join(blocks)


def nothing_near(km: float, cities: list[str]) -> Text:
    return join([
        fill(_("I know no polling stations within {km} km of this point."),
             km=f"{km:g}"),
        fill(_("Precinct lists are loaded for: {cities}."), cities=", ".join(cities)),
    ])


def nearby_label(s: Nearby, p: Precinct) -> str:
    return f"№ {p.number} · {distance(s.distance_m)}"


def cancelled() -> Text:
    return Text(_("Cancelled. Ask me a question, or open the /menu."))


def no_location_from_client() -> Text:
    return Text(_("Your Telegram app did not send the location. Write the address instead."))
