"""Masking of personal data in citizens' messages.

Before a question is written anywhere (the question log, analytics, logs), the
identifiers a citizen might type are replaced with placeholders:

- e-mail addresses -> ``[email]``
- Kazakhstan IBANs (``KZ`` and 18 letters or digits) -> ``[account]``
- bank card numbers, 13 to 19 digits, possibly grouped with spaces or dashes
  -> ``[card]``
- IIN (individual identification number), 12 digits, possibly grouped
  -> ``[IIN]``
- Kazakhstan phone numbers, ``+7``/``8``/``7`` and the ten-digit number that
  starts with 7, in the usual spellings (``+7 701 123 45 67``,
  ``8(701)123-45-67``, ``87011234567``, ``8 7172 55 66 77``) or the ten
  digits alone -> ``[phone]``

Longer digit runs are matched first, so an IIN is never half a card number.
The function is pure and total: any string in, a string out.
"""

from __future__ import annotations

import re

_SEP = r"[ \t\u00a0-]?"  # one space, tab, no-break space or dash between digits

EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
IBAN = re.compile(r"(?<![0-9A-Za-z])KZ\d\d(?:\s?[0-9A-Z]){16}(?![0-9A-Za-z])", re.IGNORECASE)
CARD = re.compile(rf"(?<![\d+])(?:\d{_SEP}){{12,18}}\d(?!\d)")
IIN = re.compile(rf"(?<![\d+])(?:\d{_SEP}){{11}}\d(?!\d)")
# +7 / 8 / 7, then the ten-digit national number, which starts with 7 (mobile
# 7xx, city codes such as 7172 or 727); parentheses and separators anywhere.
PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+\s?7|7|8)[ \t\u00a0-]?)?"
    r"\(?7(?:[ \t\u00a0-]?\)?[ \t\u00a0-]?\d){9}(?!\d)"
)

PLACEHOLDERS = {
    "email": "[email]", "account": "[account]", "card": "[card]", "iin": "[IIN]",
    "phone": "[phone]",
}


def mask(text: str) -> str:
    """Replace e-mails, IBANs, card numbers, IINs and phone numbers in `text`."""
    text = EMAIL.sub(PLACEHOLDERS["email"], text)
    text = IBAN.sub(PLACEHOLDERS["account"], text)
    text = CARD.sub(PLACEHOLDERS["card"], text)
    text = IIN.sub(PLACEHOLDERS["iin"], text)
    return PHONE.sub(PLACEHOLDERS["phone"], text)
