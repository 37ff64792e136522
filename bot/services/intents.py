"""Intents the bot serves itself rather than from the knowledge base.

:func:`asks_for_polling_station` tells "where do I vote?" (which the
polling-station lookup answers) from other questions about elections (which
the knowledge base answers). The rule, on folded, Cyrillic, loosened words:

- a question about *where* to vote: a voting word (голосовать, выборы,
  дауыс беру, сайлау) and a place word (где, куда, какой, мой, адрес, номер,
  қайда, қай, менің, табу); or
- a question naming the electoral precinct (избирательный участок, сайлау
  учаскесі, or участок/учаске with a voting word) that asks where, or is
  short enough to be the name of the service ("мой избирательный участок");
- and in either case no word of another election topic: documents, the
  absentee certificate, hours and dates, age, voting at home, candidates,
  results ("какие документы нужны, чтобы проголосовать" goes to the
  knowledge base), nor of a land plot or the district police officer
  (земельный участок, жер учаскесі, участковый).
"""

from __future__ import annotations

import itertools

from embeddings import fold, loose, to_cyrillic

_VOTE = ("голосов", "проголос", "выбор", "дауыс", "сайла", "избира")
_PRECINCT = ("участ", "учаск", "учаске")
_STRONG = ("избирательн", "сайлау")
_WHERE = ("где", "куда", "какой", "каком", "какому", "какого", "котор", "мой", "моя", "мою",
          "мое", "мне", "свой", "свою", "найти", "узнать", "адрес", "номер", "ближайш", "рядом",
          "кайда", "кай", "кайсы", "менин", "табу", "таба", "мекенжай", "номир", "жакын")
_OTHER_TOPIC = (
    "документ", "справк", "взять", "брать", "открепит", "удостоверен", "паспорт", "куалик",
    "кужат", "есептен", "время", "когда", "сколько", "сагат", "уакыт", "кашан", "лет",
    "возраст", "дому", "уйде", "кандидат", "результат", "наблюдат", "бюллетен", "земел",
    "участков", "учаскелик", "полиц", "дача", "огород",
)
# Whole words only: "жас" (age) but not "жасырын"; "қай жерде" (where) is not land.
_OTHER_WORDS = frozenset({"жас", "жасы", "жаска", "жастан", "жасым"})
_LAND = "жер"


def _words(text: str) -> list[str]:
    return [loose(w) for w in to_cyrillic(fold(text)).split()]


def _has(words: list[str], stems: tuple[str, ...]) -> bool:
    return any(w.startswith(stems) for w in words)


def asks_for_polling_station(text: str) -> bool:
    """True when `text` asks where the citizen votes (see the module docstring)."""
    words = _words(text)
    if not words or len(words) > 15 or _has(words, _OTHER_TOPIC) or _OTHER_WORDS & set(words):
        return False
    if any(a == _LAND and b.startswith(_PRECINCT) for a, b in itertools.pairwise(words)):
        return False  # жер учаскесі: a land plot
    vote, where = _has(words, _VOTE), _has(words, _WHERE)
    if vote and where:
        return True
    precinct = _has(words, _PRECINCT) and (vote or _has(words, _STRONG))
    return precinct and (where or len(words) <= 4)
