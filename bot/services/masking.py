"""Masking of personal data in citizens' messages, and of secrets in error texts.

Before a question is written anywhere (the question log, analytics, logs), the
identifiers a citizen might type are replaced with placeholders:

- e-mail addresses -> ``[email]``
- Kazakhstan IBANs (``KZ`` and 18 letters or digits) -> ``[account]``
- passport numbers, the letter N (Latin or Cyrillic) and 8 digits -> ``[document]``
- ID-card numbers, 9 digits -> ``[document]``
- Kazakhstan phone numbers: ``+7``/``8``/``7`` and the ten-digit national number
  that starts with 7, or those ten digits alone; any other ``+`` and 10 or 11
  digits (``+1 202 555 0123``) -> ``[phone]``
- IIN (individual identification number), 12 digits -> ``[IIN]``
- bank card numbers, 13 to 19 digits -> ``[card]``
- any longer run of digits (two identifiers glued together, or one behind
  other digits) -> ``[number]``

How digits are found. The text is matched through a *view* of the same length:
every character is folded on its own (a Unicode decimal digit to its ASCII
digit, fullwidth and other compatibility forms by NFKC, every kind of space to
a space, every dash to ``-``, and every invisible character to U+200B: the
zero-width ones, the soft hyphen, direction marks, variation selectors and the
keycap mark of «8️⃣»), so matches map back to the original characters and the
rest of the text is returned untouched. An invisible character is a separator
between digits and part of an e-mail address (``ivan\u200b@mail.ru``), so it
hides nothing. In a number of 9 or more digits and look-alike letters that is
at least half digits, written as one word or in groups that each hold a digit,
the letters O and l that look like 0 and 1 are read as those digits
(``9OO1O13OO123``, ``9OO 1O1 3OO 123``). Digits are grouped into *clusters*:
digit groups joined by runs of up to ``MAX_SEP`` separators (spaces, tabs,
newlines, invisible characters, ``. / _ -``, parentheses, and a comma with a
digit right after it: ``8,701,123,45,67``), with a leading ``+``. The
groups of a cluster are then cut into identifiers by a small dynamic programme
that masks as many digits as possible (a run of groups becomes an identifier
when its digit count and first digits fit one of the kinds above), so
``87011234567 900101300123`` is a phone and an IIN; a group of 20 digits or
more is no identifier and is masked whole as a number. The programme is linear
in the number of groups (an identifier has at most 19 digits) and every regular
expression here has disjoint neighbouring classes, so there is no catastrophic
backtracking: a 4,000-character message of alternating digits and separators is
masked in about 15 ms (the e-mail pattern starts only where a run of address
characters starts: without that it went quadratic, 110 ms on 4,000 digits).

What is left alone, and why:

- dates with a four-digit year (``01.12.2026``, ``2026-12-01``, ``1/2/2026``)
  are single tokens that never join an identifier, so a date range
  ``01.12.2026-15.12.2026`` (16 digits) is not a card;
- amounts: groups of thousands (``150 000``, ``3 692``, ``150,000,000``) of up to 11 digits, or
  a group of up to 10 digits, followed by a currency (тенге, теңге, тг, ₸,
  KZT, руб, $, ...: a whole word, so «сомневаюсь» is no сом), and a range of
  them (``150 000 - 200 000 тенге``); 12 digits in groups of thousands are an
  IIN even before «тенге»;
- everything under 9 digits: years, short numbers (1414, 109), house and flat
  numbers, article, law and precinct numbers.

Accepted false positives: every standalone run of 9 digits is taken for an
ID-card number, with or without a context word. Citizens write ID-card numbers
as often without "удостоверение"/"жеке куәлік"/"№" as with them, and the other
9-digit numbers in questions (application numbers, an amount typed without a
currency) are rare and lose nothing the bot needs: a leaked document number is
worse than a masked application number. Likewise two short numbers joined only
by separators may add up to an identifier length (``12 345 6789``).

Accepted misses: groups further apart than ``MAX_SEP`` separators are separate
numbers; a date-shaped part of an identifier (``01.01.2012.3456``) stays a date;
an identifier glued to an amount with a currency loses its tail to the amount;
a comma followed by a space ends a number (``8, 701, 123``), as it ends an
item of a list.

The functions are pure and total: any string in, a string out; ``mask`` is
idempotent.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

MAX_SEP = 6  # separator characters that may join two digit groups

PLACEHOLDERS = {
    "email": "[email]", "account": "[account]", "card": "[card]", "iin": "[IIN]",
    "phone": "[phone]", "document": "[document]", "number": "[number]",
}
LONGEST = 19  # digits of the longest identifier (a card number)

# What view() turns every invisible character into.
HIDDEN = "\u200b"
# A comma joins digits only where a digit follows it at once («8,701,123,45,67»):
# «кв. 12, дом 7» and «2024, 2025» are lists, not one number.
_SEP = rf"(?:[ \t\n\r\f\v._/()\-{HIDDEN}]|,(?=[0-9]))"
EMAIL = re.compile(rf"(?<![\w.%+{HIDDEN}-])[\w.%+{HIDDEN}-]+@[\w{HIDDEN}-]+"
                   rf"(?:\.[\w{HIDDEN}-]+)+")
IBAN = re.compile(r"(?<![0-9A-Za-z])KZ[0-9]{2}(?: ?[0-9A-Z]){16}(?![0-9A-Za-z])", re.IGNORECASE)
CLUSTER = re.compile(rf"(?:\+ ?)?\(?[0-9]+(?:{_SEP}{{1,{MAX_SEP}}}[0-9]+)*")
GROUP = re.compile(r"[0-9]+")
# A currency after an amount: a sign, or a whole word (with its endings and an
# abbreviation's dot), so that «сомневаюсь» or «рубрика» is not one.
CURRENCY = re.compile(
    r" *(?:[₸₽$€]|(?:тенге\w*|теңге\w*|тг|тнг|kzt|руб(?:л[а-яё]*)?|usd|"
    r"долл(?:ар[а-яё]*)?|eur|евро|сом(?:а|ов|ы)?)(?!\w))",
    re.IGNORECASE)
# A thousands-grouped amount has at most this many digits (99 billion); 12 in
# groups of three are an IIN as often as a sum nobody asks the bot about.
AMOUNT_DIGITS = 11
# Letters that look like 0 and 1 (Latin and Cyrillic O, I, l), and the digits
# they are read as in a number (see _digits_view()).
_LOOKALIKES = "OoОоIl"
_LOOKALIKE_DIGITS = str.maketrans(_LOOKALIKES, "000011")
# Digits with look-alike letters among them: words that each hold a digit,
# joined by separators as a cluster's groups are.
_LOOKALIKE_WORD = rf"[{_LOOKALIKES}]*[0-9][0-9{_LOOKALIKES}]*"
LOOKALIKE = re.compile(
    rf"(?<!\w){_LOOKALIKE_WORD}(?:{_SEP}{{1,{MAX_SEP}}}{_LOOKALIKE_WORD})*(?!\w)")
LOOKALIKE_MIN = 9  # digits and look-alike letters a number must have to be read
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"


def _invisible(ch: str) -> bool:
    """Format characters (zero-width, soft hyphen, direction marks...), variation
    selectors, the combining grapheme joiner and enclosing marks (the keycap)."""
    return (unicodedata.category(ch) in ("Cf", "Me") or "\ufe00" <= ch <= "\ufe0f"
            or "\U000e0100" <= ch <= "\U000e01ef" or ch == "\u034f")


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    if _invisible(ch):
        return HIDDEN
    if ch.isspace():
        return " "
    if ch in _DASHES:
        return "-"
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def view(text: str) -> str:
    """`text` with each character folded on its own (same length): ASCII digits,
    plain spaces and dashes, NFKC forms, U+200B for every invisible character."""
    if text.isascii():
        return text
    return "".join(c if c < "\x80" else _fold(c) for c in text)


def _digits_view(seen: str) -> str:
    """`seen` with the look-alike letters of a mostly-digit number read as
    digits: words of digits and O/l letters, each with a digit, alone or
    joined by separators, with at least LOOKALIKE_MIN such characters of which
    at least half are digits (``9OO1O13OO123``, ``9OO 1O1 3OO 123``)."""
    def read(m: re.Match[str]) -> str:
        number = m.group()
        digits = sum(c.isdigit() for c in number)
        letters = sum(c in _LOOKALIKES for c in number)
        if not letters or digits + letters < LOOKALIKE_MIN or digits < letters:
            return number
        return number.translate(_LOOKALIKE_DIGITS)

    return LOOKALIKE.sub(read, seen)


def _replace(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, label in sorted(spans):
        out += [text[last:start], label]
        last = end
    out.append(text[last:])
    return "".join(out)


def _regex_pass(text: str, pattern: re.Pattern[str], label: str) -> str:
    spans = [(m.start(), m.end(), label) for m in pattern.finditer(view(text))]
    return _replace(text, spans) if spans else text


def _kind(digits: str, lead: str = "") -> str | None:
    """What a run of `digits` is; `lead` is what stands before it: ``N`` (a
    passport's letter), ``+`` (an international number) or nothing."""
    n = len(digits)
    if n == 9 or (n == 8 and lead == "N"):
        return "document"
    if (n == 10 and digits[0] == "7") or (n == 11 and digits[0] in "78" and digits[1] == "7") \
            or (n in (10, 11) and lead == "+"):
        return "phone"
    if n == 12:
        return "iin"
    if 13 <= n <= 19:
        return "card"
    return None


@dataclass(slots=True)
class _Token:
    """A digit group, or a date (no digits, kept); `kept` tokens never join an
    identifier."""

    start: int
    end: int
    digits: str
    kept: bool = False


def _is_date(parts: list[str], seps: list[str]) -> bool:
    if seps[0] != seps[1] or seps[0] not in ".-/":
        return False
    lengths = [len(p) for p in parts]
    if lengths[2] == 4 and lengths[0] <= 2 and lengths[1] <= 2:
        day, month, year = parts
    elif lengths == [4, 2, 2]:
        year, month, day = parts
    else:
        return False
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12 and 1900 <= int(year) <= 2099


def _tokens(seen: str, begin: int, end: int) -> list[_Token]:
    groups = [(m.start(), m.end()) for m in GROUP.finditer(seen, begin, end)]
    tokens: list[_Token] = []
    i = 0
    while i < len(groups):
        if i + 2 < len(groups):
            three = groups[i:i + 3]
            seps = [seen[three[0][1]:three[1][0]], seen[three[1][1]:three[2][0]]]
            if _is_date([seen[s:e] for s, e in three], seps):
                tokens.append(_Token(three[0][0], three[2][1], "", kept=True))
                i += 3
                continue
        s, e = groups[i]
        tokens.append(_Token(s, e, seen[s:e]))
        i += 1
    _keep_amounts(seen, tokens, end)
    return tokens


def _amount_start(seen: str, tokens: list[_Token], last: int) -> int | None:
    """The first token of the amount that ends at token `last`: groups of
    thousands (``150 000``), or one group of up to 10 digits; else None."""
    first = last
    while (first > 0 and len(tokens[first].digits) == 3 and not tokens[first - 1].kept
           and seen[tokens[first - 1].end:tokens[first].start] in (" ", ",")
           and 1 <= len(tokens[first - 1].digits) <= 3):
        first -= 1
    if tokens[last].kept or (first == last and len(tokens[last].digits) > 10):
        return None
    if (sum(len(t.digits) for t in tokens[first:last + 1]) > AMOUNT_DIGITS
            or (tokens[first].digits.startswith("0") and last > first)):
        return None  # too long for a sum, or a leading 0 no sum is written with
    return first


def _keep_amounts(seen: str, tokens: list[_Token], end: int) -> None:
    """An amount followed by a currency, and an amount before it with a dash
    between (a range), never join an identifier."""
    if not CURRENCY.match(seen, end):
        return
    first = _amount_start(seen, tokens, len(tokens) - 1)
    if first is None:
        return
    if first > 0 and "-" in seen[tokens[first - 1].end:tokens[first].start]:
        earlier = _amount_start(seen, tokens, first - 1)
        first = first if earlier is None else earlier
    for token in tokens[first:]:
        token.kept = True


def _segments(tokens: list[_Token], lead: str) -> list[tuple[int, int, str]]:
    """Cut the tokens into identifiers, masking as many digits as possible (ties:
    fewer, longer identifiers): (first token, last token + 1, kind). `lead`: what
    stands before the first token (see :func:`_kind`)."""
    n = len(tokens)
    best: list[tuple[int, int]] = [(0, 0)] * (n + 1)
    choice: list[tuple[int, str] | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i], choice[i] = best[i + 1], None
        digits = ""
        for j in range(i, n):
            if tokens[j].kept:
                break
            digits += tokens[j].digits
            if len(digits) > LONGEST:
                break
            kind = _kind(digits, lead if i == 0 else "")
            if kind:
                score = (best[j + 1][0] + len(digits), best[j + 1][1] - 1)
                if score > best[i]:
                    best[i], choice[i] = score, (j + 1, kind)
    cuts, i = [], 0
    while i < n:
        picked = choice[i]
        if picked is None:
            i += 1
            continue
        cuts.append((i, picked[0], picked[1]))
        i = picked[0]
    return cuts


def _letter_before(seen: str, start: int) -> int | None:
    """Where a passport's letter N stands before `start` (up to 3 of ``" №#:"``
    between), if it is not the end of a word."""
    at = start - 1
    while at >= 0 and start - at <= 4 and seen[at] in " №#:":
        at -= 1
    if at < 0 or seen[at] not in "NnНн" or start - at > 4:
        return None
    if at > 0 and (seen[at - 1].isalpha() or seen[at - 1].isdigit()):
        return None
    return at


def _numbers_pass(text: str) -> str:
    seen = _digits_view(view(text))
    spans = []
    for cluster in CLUSTER.finditer(seen):
        first_digit = GROUP.search(seen, cluster.start()).start()
        tokens = _tokens(seen, first_digit, cluster.end())
        letter = _letter_before(seen, cluster.start()) if first_digit == cluster.start() \
            else None
        lead = "N" if letter is not None else "+" if seen[cluster.start()] == "+" else ""
        for i, j, kind in _segments(tokens, lead):
            start = cluster.start() if i == 0 else tokens[i].start
            if i == 0 and kind == "document" and letter is not None \
                    and len("".join(t.digits for t in tokens[:j])) == 8:
                start = letter
            spans.append((start, tokens[j - 1].end, PLACEHOLDERS[kind]))
        spans += [(token.start, token.end, PLACEHOLDERS["number"]) for token in tokens
                  if len(token.digits) > LONGEST]
    return _replace(text, spans) if spans else text


def mask(text: str) -> str:
    """Replace e-mails, IBANs, document numbers, phones, IINs and card numbers."""
    text = _regex_pass(text, EMAIL, PLACEHOLDERS["email"])
    text = _regex_pass(text, IBAN, PLACEHOLDERS["account"])
    return _numbers_pass(text)


# --- secrets -------------------------------------------------------------------

REDACTED = "[token]"
BOT_TOKEN = re.compile(r"[0-9]{3,}(?::|%3A)[A-Za-z0-9_-]{30,}", re.IGNORECASE)


def redact(text: str, *secrets: str) -> str:
    """`text` without Telegram bot tokens: anything shaped like one, and each of
    `secrets` (the configured token, and its secret half on its own)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
            _, colon, half = secret.partition(":")
            if colon and len(half) >= 8:
                text = text.replace(half, REDACTED)
    return BOT_TOKEN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that takes bot tokens out of every record that passes:
    the message, its arguments, and the formatted traceback."""

    def __init__(self, *secrets: str):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)
        self._formatter = logging.Formatter()

    def _clean(self, value: object) -> object:
        if isinstance(value, str):
            return redact(value, *self.secrets)
        if isinstance(value, (int, float, type(None))):
            return value
        text = str(value)
        cleaned = redact(text, *self.secrets)
        return value if cleaned == text else cleaned

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: self._clean(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(self._clean(a) for a in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, *self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, *self.secrets)
        return True


def install_redaction(handlers: Iterable[logging.Handler], *secrets: str) -> None:
    """Put one :class:`RedactingFilter` on each handler (replacing an older one)."""
    for handler in handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(RedactingFilter(*secrets))
