"""What a question asks about, and which section of a page answers it.

A page's sections carry headings such as «Стоимость и сроки», «Қандай
құжаттар қажет» or «Где оформить». A question that asks the price («сколько
стоит загранпаспорт», typed in Latin or not) should get the section on the
price as its snippet, even when another section shares more of its words.

:func:`question_intents` reads the question's words as the engine has them
(folded, in Cyrillic, corrected: :meth:`embeddings.query.QueryProcessor.process`);
:func:`heading_intents` reads a section heading. Both match word patterns on a
key that forgives a keyboard without Kazakh letters and Latin typing that
drops «ь» («skolko» is «сколко»). The question side is stricter than the
heading side: «как» and «қалай» begin nearly every question, so they mean
HOW only together with a verb of applying («как оформить», «қалай алуға»).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from .normalize import fold, loose, words


class Intent(StrEnum):
    """What a question asks about a service; a section heading may answer it."""

    COST = "cost"  # price, state duty, free or paid
    AMOUNT = "amount"  # how much a benefit or payout is
    TIME = "time"  # how long, deadlines, when
    DOCUMENTS = "documents"  # what to bring or attach
    WHERE = "where"  # where to apply, online or in person
    ELIGIBILITY = "eligibility"  # who can get it, conditions
    HOW = "how"  # the steps of applying
    CONTACTS = "contacts"  # whom to call or ask
    LOST = "lost"  # a lost or damaged document
    COMPLAINT = "complaint"  # appeal, disagreement, refusal


# Verbs and nouns of applying for or getting a service, as stems.
_RU_APPLY = (r"(подат|подав|подач|оформ|получ|сдела|зарегистр|регистр|встат|стат|записа"
             r"|оплат|заплат|восстанов|замен|помен|продл|откры|пройт|подключ|переоформ"
             r"|прописа|выписа|сня|обрат)")
_KK_APPLY = (r"(рәсімде|ал[уадым]|алам|алса|бер[уеі]|беру|тапсыр|тірке|жазыл|төле|өт[уе]"
             r"|қос|ауыстыр|ұзарт|аш[уа]|жүгін|тұр[уа])")

# «тегін» is «free», and also «surname» in the accusative («тегін ауыстыру»).
_FREE = r"\bтегін\b(?!\s+(\w+\s+)?(ауыстыр|өзгерт|атын|әкес))"

_QUESTION: dict[Intent, tuple[str, ...]] = {
    Intent.COST: (
        r"(сколько|скока|почем)\s+(\w+\s+){0,2}сто[ия]т", r"сто[ия]т\s+(\w+\s+)?сколько",
        r"\bстоимост", r"\bцен(а|у|ы|е|ой|ник\w*)\b", r"\bпошлин", r"\bгоспошлин",
        r"бесплатн", r"\bплатн(о|ый|ая|ое|ые)\b", r"\bоплат", r"\bтариф",
        r"сколько\s+(\w+\s+)?(надо|нужно)?\s*(платить|заплатить|денег)",
        r"қанша\s+(\w+\s+){0,2}тұрады", r"\bқұн(ы|ын|ы\w+)\b", r"\bбаға(сы|сын)\b",
        r"\bақы(сы|сын)?\b", r"\bақылы", _FREE, r"\bбаж\w*",
        r"қанша\s+(\w+\s+)?төле[уй]",
    ),
    Intent.AMOUNT: (
        r"\bразмер", r"\bсумм", r"сколько\s+(\w+\s+)?(получ|платят|дают|выплач|начисл|положен"
                                r"|вернут|возвращ)",
        r"\bмөлшер", r"\bсома", r"қанша\s+(\w+\s+)?(төлен|береді|беріледі|аламын|алады|тағайында"
                               r"|қайтар)",
    ),
    Intent.TIME: (
        r"\bсрок",
        r"сколько\s+(\w+\s+)?(дн|день|времен|ждат|месяц|недел|рабоч|час|дела[ею]т|готов)",
        r"как\s+долго", r"\bдолго\b", r"\bдлит(ся|с)", r"\bждат\b", r"\bожидан", r"\bкогда\b",
        r"через\s+сколько", r"\bбыстр",
        r"к\s+какому\s+(числу|сроку)", r"\bмерзім", r"қанша\s+(\w+\s+)?(күн|уақыт|ай|апта|күт)",
        r"\bқашан", r"\bұзақ", r"\bнеше\s+күн", r"\bуақыт(ы|ын|та)?\b", r"\bкүту",
    ),
    Intent.DOCUMENTS: (
        r"\bдокументы\b", r"\bдокументтер\w*", r"\bбумаги\b", r"\bперечен",
        r"(каких|список|пакет)\s+(\w+\s+)?документ",
        r"что\s+(нужно|надо|необходимо|требуется)\b(?!\s+с?дел)", r"какой\s+документ",
        r"что\s+(взять|брать|принести|приложить|подготовить|собрать|с\s+собой)",
        r"какие\s+(\w+\s+)?(нужны|нужно|надо|требуются|понадобятся)",
        r"\bқұжат(тар\w*|ты)?\b", r"\bне\s+(керек|қажет|әкел|алып|дайында|тапсыр)",
        r"қандай\s+(\w+\s+)?(керек|қажет)",
    ),
    Intent.WHERE: (
        # A channel named in passing («уведомления в eGov Mobile») is not the ask.
        r"\bгде\b", r"\bкуда\b", r"онлайн", r"удален", r"дистанцион",
        r"\bчерез\s+(интернет|сайт|портал|егов|egov|приложен|цон)",
        r"\bқайда\b", r"\bқайдан\b", r"\bқай\s+жер",
        r"(егов|egov|хқко|цон|портал|сайт|интернет|қосымша)\w*\s+арқылы\b",
    ),
    Intent.ELIGIBILITY: (
        r"\bкто\s+(\w+\s+)?(может|могут|имеет|вправе|получает|должен|обязан|подходит|"
        r"положен|считается)",
        r"\bкому\s+(\w+\s+)?(положен|полага|дают|выдают|выплач|назнач|нужн|можно|доступ)",
        r"\bимею\s+ли", r"\bимеет\s+право", r"\bимеют\s+право", r"\bположен\w*\s+ли",
        r"\bподхож\w*\s+ли", r"\bусловия", r"\bтребовани",
        r"\bкім(ге|дер|нің|ді)?\b", r"\bқұқ(ық|ығ)\w*\s+бар", r"\bтиесілі", r"\bшарттар",
        r"\bталаптар",
    ),
    Intent.HOW: (
        r"\bкак\s+(\w+\s+)?" + _RU_APPLY, r"\bпорядок", r"\bпроцедур", r"\bпошагов",
        r"\bинструкц", r"\bэтап",
        r"\bқалай\s+(\w+\s+)?" + _KK_APPLY, r"\bтәртіб", r"\bқадам",
    ),
    Intent.CONTACTS: (
        r"\bтелефон", r"звонит", r"позвонит", r"горяч\w*\s+лини", r"колл\s*центр",
        r"\bконтакт", r"\bсправочн", r"задать\s+вопрос",
        r"куда\s+(\w+\s+)?(обратит|обращат|писат|звонит)",
        r"қоңырау", r"хабарлас", r"байланыс\s+орталы", r"сұрақ", r"қайда\s+(\w+\s+)?жүгін",
    ),
    Intent.LOST: (
        r"\bпотерял", r"\bпотер[яи]", r"\bутерян", r"\bутерял", r"\bутрат", r"\bпропал",
        r"\bукрал", r"\bкраж", r"\bиспорт", r"\bповредил", r"\bпорвал", r"\bсгорел",
        r"\bжоғал", r"\bұрла", r"\bбүлін", r"\bжыртыл",
    ),
    Intent.COMPLAINT: (
        r"\bжалоб", r"пожалова", r"\bжаловат", r"\bобжал", r"\bоспор", r"не\s+соглас",
        r"\bнесоглас", r"\bапелляц", r"\bотказал",
        r"\bшағым", r"\bкеліспе", r"\bнаразы", r"бас\s+тарт",
    ),
}

_HEADING: dict[Intent, tuple[str, ...]] = {
    Intent.COST: (
        r"\bстоимост", r"\bстоит\b", r"\bцен[аы]\b", r"\bпошлин", r"бесплатн", r"\bплатн",
        r"\bоплат", r"сколько\s+платит", r"\bтариф", r"\bскидк",
        r"\bқұн(ы|ын)?\b", r"\bтұрады\b", r"\bақы(сы|сын)?\b", r"\bақылы", _FREE,
        r"\bбаж", r"\bтөле(у|уге)\b", r"\bтөлем\b", r"қанша\s+төле",
    ),
    Intent.AMOUNT: (
        r"\bразмер", r"\bсумм", r"\bвыплат", r"\bставк", r"сколько\s+(вернут|можно)",
        r"\bмөлшер", r"\bсома", r"\bтөлем(і|дер)\b", r"қанша\s+(қайтар|беру)",
    ),
    Intent.TIME: (
        r"\bсрок", r"\bкогда\b", r"сколько\s+ждат", r"\bожидани",
        r"\bмерзім", r"\bқашан", r"қанша\s+күт", r"\bкүту",
    ),
    Intent.DOCUMENTS: (
        r"\bдокумент", r"что\s+(подготовит|взять|приложит|принест)", r"\bсправки\s+от",
        r"\bқұжат", r"не\s+(дайында|алу|әкел)", r"\bөзіңізбен",
    ),
    Intent.WHERE: (
        r"\bгде\b", r"\bкуда\b", r"онлайн", r"\bцон\w*", r"\bчерез\b",
        r"\bқайда\b", r"\bқайдан\b", r"\bқай\s+жер", r"\bхқко\w*", r"\bарқылы",
    ),
    Intent.ELIGIBILITY: (
        r"\bкто\b", r"\bкому\b", r"\bкого\b", r"\bправо\b", r"\bтребовани", r"\bусловия",
        r"\bположен", r"\bкім\w*", r"\bқұқ(ық|ығ)", r"\bталап", r"\bшарттар", r"\bтиесілі",
        r"\bсаналад", r"\bтаныла",
    ),
    Intent.HOW: (
        r"^как\b", r"\bқалай\b", r"\bпорядок", r"\bтәртіб", r"\bэтап", r"\bкезең", r"\bшаг\b",
        r"\bқадам", r"с\s+чего\s+начат", r"неден\s+бастау", r"что\s+(нужно\s+)?(с)?делат",
        r"не\s+істе", r"\bоформ", r"\bподат", r"\bподач", r"\bрәсімде", r"\bтапсыр",
    ),
    Intent.CONTACTS: (
        r"\bвопрос", r"\bсұрақ", r"\bспросит", r"\bсұрау", r"\bобратит(ся|ес)", r"\bобращат",
        r"\bжүгін", r"хабарлас", r"звонит", r"қоңырау", r"\bтелефон", r"\bконтакт", r"\b1414\b",
    ),
    Intent.LOST: (
        r"\bутер", r"\bутрат", r"\bпотер", r"\bиспорч", r"\bвосстанов", r"\bдубликат",
        r"\bповторн", r"\bжоғал", r"\bбүлін", r"\bқалпына", r"\bтелнұсқа", r"\bқайталама",
    ),
    Intent.COMPLAINT: (
        r"\bжалоб", r"\bжаловат", r"\bобжал", r"не\s+соглас", r"не\s+устроил", r"\bапелляц",
        r"\bоспор", r"\bшағым", r"\bкеліспе", r"көңіліңізден",
    ),
}

# A heading that only sends to a help line («Куда обратиться с вопросами»,
# «Қайда жүгінуге болады») says «куда» / «қайда» without telling where to apply.
_HELP_ONLY = re.compile(r"\b(обратит(ся|ес)|обращат|жүгін|хабарлас|спросит|сұра[уқ]|звонит"
                        r"|қоңырау)")

# Where to apply for or get a thing is told in the section on how to apply
# («Как подать заявление»: через eGov или в ЦОН); where to look something up is not.
_APPLYING = re.compile(r"\b(подат|подав|подач|оформ|получ|зарегистр|записа|сдат|сдав|рәсімде"
                       r"|ал(у|ам|ып|са)|бер(у|ем|еді|іл)|тапсыр|тірке|жазыл)")

_WHEN_NEEDED = re.compile(r"\b(когда|қашан)\s+(\w+\s+)?(нуж|қажет|керек)")
_DEFINITION = re.compile(r"^(что\s+(такое|это)|бұл\s+(не|қандай))\b|\b(деген|дегеніміз)\s+не\b")


def _key(text: str) -> str:
    """The form patterns are matched on: folded words, spaces between, without
    what Latin typing loses: «ь», «ъ», and «й» for «и» («stoimost» comes out
    as «стоймост»)."""
    return _key_pattern(" ".join(words(fold(text))))


def _compile(table: dict[Intent, tuple[str, ...]]) -> dict[Intent, tuple[re.Pattern, re.Pattern]]:
    """Each intent's patterns as one regex for text with Kazakh letters, and one
    in loose form (ә = а, қ = к...) for text typed without them."""
    out = {}
    for intent, patterns in table.items():
        joined = "|".join(f"(?:{_key_pattern(p)})" for p in patterns)
        out[intent] = (re.compile(joined), re.compile(loose(joined)))
    return out


def _key_pattern(pattern: str) -> str:
    return pattern.replace("ь", "").replace("ъ", "").replace("й", "и")


_QUESTION_RE = _compile(_QUESTION)
_APPLYING_LOOSE = re.compile(loose(_APPLYING.pattern))
_HEADING_RE = _compile(_HEADING)


def _match(key: str, table: dict[Intent, tuple[re.Pattern, re.Pattern]],
           forgiving: bool) -> set[Intent]:
    """Intents whose patterns occur in `key`; `forgiving` also matches the loose
    forms, for a question typed without Kazakh letters («канша туради»)."""
    lkey = loose(key)
    return {intent for intent, (exact, loose_re) in table.items()
            if exact.search(key) or (forgiving and loose_re.search(lkey))}


def question_intents(question_words: Iterable[str]) -> frozenset[Intent]:
    """What a question asks about, from its words as the engine has them."""
    key = _key(" ".join(question_words))
    found = _match(key, _QUESTION_RE, forgiving=True)
    if Intent.WHERE in found and (_APPLYING.search(key) or _APPLYING_LOOSE.search(loose(key))):
        found.add(Intent.HOW)
    return frozenset(found)


@lru_cache(maxsize=8192)
def heading_intents(heading: str) -> frozenset[Intent]:
    """What a section under this heading answers."""
    key = _key(heading)
    if _DEFINITION.search(key):
        return frozenset()  # «Что такое онлайн-касса» explains, whatever its words
    found = _match(key, _HEADING_RE, forgiving=False)
    if Intent.WHERE in found and _HELP_ONLY.search(key) and Intent.HOW not in found:
        found.discard(Intent.WHERE)
    if _WHEN_NEEDED.search(key):
        found.discard(Intent.TIME)  # «Когда нужна справка» is the occasion, not the time
    return frozenset(found)
