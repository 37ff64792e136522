"""Small talk: messages that are not questions, and what kind they are.

:func:`classify` returns a :class:`Kind`, or None for a question to search.
Every word of the message is read in Cyrillic (Latin spellings such as
"salem", "rahmet", "spasibo" are transliterated; Latin look-alike letters
inside a Cyrillic word are read as Cyrillic), loosened (a phone keyboard
without ә, қ, і... gives the same key) and with repeated letters collapsed
("привееет", "рахмееет"). The rules:

- No letters or digits at all: EMOJI when there is an emoji or an emoticon
  (":)", ")))"), else NOISE ("?", "...", "!!").
- INSULT: a rude word or profanity stem (Russian, Kazakh, Latin spellings,
  masked letters such as "х*р" or "б**ть") and nothing else but words that
  carry no question: greetings, pronouns, particles, "бот"... ("тупой бот",
  "ты дурак что ли"). A rude word next to a real question ("тупой бот, где
  мой участок") is a question (None): the question deserves its answer, and
  :func:`question_text` takes the rude words out before the search, so they
  are neither searched, nor logged, nor ever quoted back to the user.
- THANKS, GOODBYE, GREETING: a short message (at most :data:`MAX_WORDS`
  words) made only of small-talk words: at least one thanks, goodbye or
  greeting word, and otherwise politeness fillers, names ("бот"), day words
  ("добрый день", "қайырлы таң"), emoji. Thanks wins over goodbye, goodbye over
  a greeting ("спасибо, до свидания" is thanks). One word that is not small
  talk makes the message a question: "здравствуйте, как получить паспорт?"
  and "сәлем, жәрдемақы қалай алуға болады" are searched.
- NOISE: only fillers that ask nothing ("ок", "ну", "да", "бот", "у меня
  вопрос"), single letters ("а", "ыыы"), laughter ("хахаха") or keyboard mash
  ("asdf", "фыва", "йцукен": letters of one keyboard row, mostly neighbours).
  A one-word real query ("паспорт", "пенсия", "ЕНТ", "ИП") is a question.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from enum import StrEnum

from embeddings import fold, loose, to_cyrillic

MAX_WORDS = 12  # a longer message is not small talk, whatever its words


class Kind(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    INSULT = "insult"
    EMOJI = "emoji"
    NOISE = "noise"


# Each entry: whole words, or stems when they end with "*". Written as people
# write them; compared loosened and with repeated letters collapsed.
_GREETING = """
    привет* приветствую здравствуй* здраствуй* здрасте здрасьте здрасти здраститя драсте драсьте
    здорово здарова здаров здорова хай хаюшки салют ку куку хелло хеллоу хэлло хэллоу хело хелоу
    алло алле ало добрый доброе доброго доброй добрейший дела делишки поживаете сәлем
    сәлеметсіз* сәлеметсің* салам саламатсыз* ассалау* ассалам* асалам* салаума* уағалейкум*
    уалейкум* армысыз* армысың* қайырлы* қалайсыз* қалайсың* жағдайыңыз* жағдайың қалың
    salemetsi* salemetsy* salamatsy* hi hello hey hallo hola
"""
_THANKS = """
    спасиб* спс пасиб* сенкс сенк мерси благодар* рахмет* рахмат* рақмет* ракмет* алғыс* thank*
    thx tnx ty merci
"""
_GOODBYE = """
    пока покеда покедова прощайте прощай досвидания свидания встречи увидимся всего сау қош
    көріскенше* удачи bye goodbye
"""
# The bot's names: a message may start by calling it ("бот, ...").
_ADDRESS = "бот ботик бота ботжан ботты саул сауал saual"
# The Kazakh question particle: "сәлеметсіз бе".
_PARTICLE = "ма ме ба бе па пе"
# Times of day, as in "добрый день", "қайырлы таң".
_DAYTIME = """
    den utro vecher день дня дню денёк утро утра утречко вечер вечера вечерочек ночи суток таң
    күн күніңіз кеш кешіңіз түс түстеріңіз
"""
# Words that may stand next to a greeting or thanks but mean something alone.
_COMPANION = """
    помощь помощи ответ ответы ответа информацию информация инфу инфо подсказку мир народ
    заранее көмек* жауап* жауаб* дос* бауыр* жағдай
"""
# Words that ask nothing: alone they are noise, next to a greeting they are fillers.
_WEAK = """
    ок окей окэй ok okay kk да нет неа ага угу ясно понятно понятненько понял поняла хорошо
    ладно норм нормально класс круто супер отлично ого вау wow хм ну ой ай ах ох эх эй иә ия жоқ
    жарайды түсінікті түсіндім жақсы керемет тамаша пожалуйста пожалуста плиз пжл пж please pls
    вопрос вопросик есть у меня мне до хорошего можно спросить подскажите помогите скажите хотел
    хотела хотелось бы узнать сұрақ* сұрағ* бар көмектесіңіз* айтыңызшы білгім келеді и а но же
    ещё еще раз вам вас тебе тебя всем всех вы ты как ваши ваш твои твой большое огромное
    огромнейшее пребольшое за это всё все очень сизге сізге сізге саған сағанда сіз сен сіздер
    бәріңізге баршаңызға баршаға көп үлкен зор көмегіңіз* үшін ушин айтамын бол болыңыз* болсын
    қалай калай bolshoe you уважаемый уважаемые дорогой дорогие друг друзья бро админ мырза
    ханым апа аға ағай әпке достым also very much so much
"""
# Words that go with an insult next to them: "ты х*р, как получить паспорт?".
_INSULT_NEIGHBOURS = "ты вы сен сіз сиз сендер сіздер такой такая совсем просто же ну вообще ваще"
# Extra words an insult may come with that still ask nothing ("ты что, тупой?").
_RUDE_COMPANION = """
    такой такая таким такие какой какая какие совсем вообще ваще реально просто что чё че ли это
    этот эта эти сам сама иди пошёл пошел пошла пошли пшел вон отсюда нафиг нафига блин или
    почему зачем не ничего знаешь можешь умеешь понимаешь работаешь отвечаешь кет жоғал неге
    сондай қандай мынау мына бұл осы сен сенің сендер сиз сіз ол он она они тут здесь опять
    снова you are so
"""
_INSULT = """
    хуй* хуя* хуе* хуи* хую* нахуй* нахуи* нахуя* похуй* охуе* охуи* хер херн* херов* нахер*
    похер* пизд* пизж* пезд* ебан* ебал* ебат* ебуч* ебло* еблан* ебну* ебись ебёт ебут* ебаш*
    заеб* уеб* доеб* выеб* наеб* отъеб* съеб* разъеб* поеб* приеб* въеб* долбоеб* долбаеб*
    далбаеб* бля* блят* сука суки суку сукой сукин* сучк* сучар* сучий сучье мудак* мудач*
    мудил* мудозв* пидор* пидар* пидр* педик* педераст* гандон* гондон* дебил* дибил* идиот*
    дурак* дурачок дурачьё дура дуры дуру дурой дурень придурок* придурк* кретин* тупой тупая
    тупое тупые тупого тупому тупым тупыми тупица* тупорыл* тупень тупоголов* урод* ублюд* говн*
    дерьм* чмо чмошн* лох лоха лохи лохом лошар* тварь твари скотин* сволоч* падла падлюк* мразь
    мрази шлюх* залуп* дроч* жопа жопу жопе жопой срань засранец* заткнись отвали отвалите гнида
    гниды выродок* выродк* бездарь бездарн* конченый конченный конченая козёл козел козлина
    ақымақ* ақмақ* малғұн* оңбаған* есек есектер* шошқа* доңыз* жынды* ессіз* мисыз миғұла*
    қотақ* сігейін* сіктім* сіктір* сігем* сасық* иттің итсің мақұлық* хайуан* албасты* fuck*
    fck* shit* bitch* asshole* idiot* stupid* moron* dumb wtf
"""


def _collapse(word: str) -> str:
    """Runs of one letter as one letter: "привееет" -> "привет"."""
    return re.sub(r"(.)\1+", r"\1", word)


def _key(word: str) -> str:
    return _collapse(loose(word))


def _vocab(spec: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole words, stems) of a word list."""
    words, stems = set(), []
    for item in spec.split():
        key = _key(fold(item.rstrip("*")))
        (stems.append if item.endswith("*") else words.add)(key)
    return frozenset(words), tuple(stems)


_VOCABS = {
    "insult": _vocab(_INSULT),
    "thanks": _vocab(_THANKS),
    "goodbye": _vocab(_GOODBYE),
    "greeting": _vocab(_GREETING),
    "weak": _vocab(_WEAK),
    "address": _vocab(_ADDRESS),
    "particle": _vocab(_PARTICLE),
    "daytime": _vocab(_DAYTIME),
    "companion": _vocab(_COMPANION),
    "rude": _vocab(_RUDE_COMPANION),
    "neighbour": _vocab(_INSULT_NEIGHBOURS),
}

# Latin letters that look like Cyrillic ones, in a word that mixes both ("сyка").
_HOMOGLYPHS = str.maketrans("aceopxykmthbi", "асеорхукмтнві")
_LATIN = re.compile(r"[a-z]")
_CYRILLIC = re.compile(r"[а-яәғқңөұүһі]")
# A word as typed: letters and digits, maybe joined by hyphens or masked by * or #.
_TOKEN = re.compile(r"[^\W_]+(?:[-*#]+[^\W_]*)*")
_MASK = re.compile(r"[*#]")
# Text emoticons: ":)", ":-(", ";D", "xD", ")))", "<3".
_EMOTICON = re.compile(r"(?<!\w)(?:[:;=]['\-^]?[()\[\]|/\\*DPpОоO3]+|[xXхХ]D+|[()]{2,}|<3)(?!\w)")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
_SMALL_TALK = ("greeting", "thanks", "goodbye")
_SMALL_TALK_SET = frozenset(_SMALL_TALK)
_POLITE = _SMALL_TALK_SET | {"daytime", "address", "particle"}  # cut off a question's edges
_LAUGH = (frozenset("ха"), frozenset("хе"), frozenset("хи"), frozenset("хы"))


def _forms(word: str) -> set[str]:
    """The keys a folded word may be known under."""
    latin, cyrillic = _LATIN.search(word), _CYRILLIC.search(word)
    if latin and cyrillic:
        return {_key(word.translate(_HOMOGLYPHS))}
    if latin:
        return {_key(word), _key(to_cyrillic(word, "ru")), _key(to_cyrillic(word, "kk"))}
    return {_key(word)}


def _known(forms: set[str], kind: str) -> bool:
    words, stems = _VOCABS[kind]
    return any(f in words or f.startswith(stems) for f in forms)


def _masked(token: str) -> bool:
    """Letters hidden by * or #: inside a word ("х*р"), or ending a short one ("бл**")."""
    if not _MASK.search(token):
        return False
    inner = re.search(r"[^\W\d_][*#]+[^\W\d_]", token)
    head = re.fullmatch(r"[^\W\d_]{1,3}[*#]+", token)
    return bool(inner or head)


def _run(word: str, row: str, keys: int) -> bool:
    """`word` starts with `keys` neighbouring keys of `row`, typed in order ("фыва")."""
    steps = {row.index(b) - row.index(a) for a, b in itertools.pairwise(word[:keys])}
    return len(word) >= keys and steps in ({1}, {-1})


def _mash(word: str) -> bool:
    """Keyboard mash: letters of one keyboard row that start with four neighbouring
    keys typed in order ("asdf", "фыва", "йцукен"), or three such keys repeated
    ("asdasd", "фывфыв"). Words typed on one row ("права", "неке", "пропал",
    "шеккенге") are words."""
    if len(word) < 4 or not word.isalpha():
        return False
    row = next((r for r in _ROWS if set(word) <= set(r)), None)
    if row is None:
        return False
    if _run(word, row, 4):
        return True
    for size in (3, 4):
        chunk = word[:size]
        if len(word) >= 2 * size and word == (chunk * len(word))[: len(word)] \
                and _run(chunk, row, 3):
            return True
    return False


def _noise_word(word: str, forms: set[str]) -> bool:
    """A word that is no word: one letter ("ыыы"), laughter, keyboard mash."""
    if word.isdigit():
        return False
    if any(len(f) == 1 for f in forms):
        return True
    if any(len(f) >= 3 and set(f) in _LAUGH for f in forms) or forms & {"лол", "lol", "кек"}:
        return True
    return _mash(word)


def _role(word: str) -> str:
    """What one folded word is: a kind's word, a filler, noise, or "content"."""
    forms = _forms(word)
    for kind in ("insult", "thanks", "goodbye", "greeting", "weak", "address", "particle",
                 "daytime", "companion"):
        if _known(forms, kind):
            return kind
    if _noise_word(word, forms):
        return "noise"
    if _known(forms, "rude"):
        return "rude"
    return "content"


def _tokens(text: str) -> list[tuple[re.Match[str], list[str]]]:
    """Each word as typed, with the roles of the folded words it holds."""
    out = []
    for match in _TOKEN.finditer(unicodedata.normalize("NFC", text)):
        token = match.group()
        if _masked(token):
            out.append((match, ["insult"]))  # self-censored: rude in every case seen
        else:
            roles = [_role(w) for w in fold(token.replace("-", " ")).split()]
            if token.isupper() and len(token) <= 4 and roles[0] in _SMALL_TALK:
                roles = ["content"]  # an abbreviation: "АЛО" is not "алло"
            out.append((match, roles))
    return out


def _is_emoji(ch: str) -> bool:
    return (unicodedata.category(ch) in ("So", "Sk") and ch not in "№©®°") \
        or 0x1F000 <= ord(ch) <= 0x1FAFF


def classify(text: str) -> Kind | None:
    """The kind of small talk `text` is, or None for a question (see the module docstring)."""
    emoticons = bool(_EMOTICON.search(text))
    text = _EMOTICON.sub(" ", text)
    # a word holding a rude part goes whole ("тупой-бот"): what is left is the question
    roles = [r for _, rs in _tokens(text) for r in (["insult"] if "insult" in rs else rs)]
    if not roles:
        return Kind.EMOJI if emoticons or any(_is_emoji(ch) for ch in text) else Kind.NOISE
    if "insult" in roles:
        return None if "content" in roles else Kind.INSULT
    if len(roles) > MAX_WORDS or any(r in ("content", "rude") for r in roles):
        return None
    for kind, role in ((Kind.THANKS, "thanks"), (Kind.GOODBYE, "goodbye"),
                       (Kind.GREETING, "greeting")):
        if role in roles:
            return kind
    if {"daytime", "companion"} & set(roles):
        return None  # "день", "помощь": alone, words that may be a question
    return Kind.NOISE


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the words at `spans`, and the punctuation stuck to them."""
    if not spans:
        return text
    parts, start = [], 0
    for a, b in sorted(spans):
        parts.append(text[start:a])
        start = max(start, re.compile(r"[^\w\s]*").match(text, b).end())  # "Спасибо!"
    parts.append(text[start:])
    cleaned = " ".join("".join(parts).split())
    # what a cut left at the edges: ", где мой участок" -> "где мой участок"
    return re.sub(r"^[\s,;:.!?\-–—]+|[\s,;:\-–—]+$", "", cleaned)


def _near_insults(tokens: list[tuple[re.Match[str], list[str]]]) -> set[int]:
    """Indexes of the rude words and of the pronouns and names next to them
    ("ты", "бот" in "ты х*р", "тупой бот")."""
    rude = {i for i, (_, rs) in enumerate(tokens) if "insult" in rs}
    grown = True
    while grown:
        grown = False
        for i, (m, rs) in enumerate(tokens):
            if i not in rude and ({i - 1, i + 1} & rude) and (
                    rs == ["address"] or _known(_forms(fold(m.group())), "neighbour")):
                rude.add(i)
                grown = True
    return rude


def question_text(text: str) -> str:
    """What to search for a question (`classify` gave None), to log and to quote
    back: `text` without its rude words (and "ты", "бот" next to them), nor a
    greeting or thanks before or after the question, nor the bot's name before
    it ("Здравствуйте, бот! Прописка онлайн?" -> "Прописка онлайн?"): they
    only blur the search."""
    tokens = _tokens(text)
    rude = _near_insults(tokens)
    spans = [m.span() for i, (m, _) in enumerate(tokens) if i in rude]
    words = [t for i, t in enumerate(tokens) if i not in rude]
    for edge, cores in ((words, _SMALL_TALK_SET | {"address"}), (words[::-1], _SMALL_TALK_SET)):
        polite = _POLITE if "address" in cores else _POLITE - {"address"}
        run = list(itertools.takewhile(lambda t, p=polite: set(t[1]) <= p, edge))
        if run and run != edge and any(cores & set(rs) for _, rs in run):
            spans += [m.span() for m, _ in run]
    return _cut(text, spans)


def one_word(text: str) -> bool:
    """True when `text` holds a single word (a query too short to search well)."""
    return len(fold(text).split()) == 1
