"""The Q&A page of a published answer: the one place its Markdown is written.

A page has YAML front matter and exactly two ``##`` sections, the question (the
staff's public wording) and the agency's answer. Neither text may add
structure the corpus loader reads, whatever it holds:

- front-matter values (title, summary) are one line: every run of whitespace,
  line breaks of any kind included, becomes one space, and YAML quotes the
  value as it needs, written without line folding;
- in the sections, every line break becomes ``\\n`` and a line that would read
  as structure (a ``#`` heading, a ``---``/``===``/``***`` rule or fence) is
  escaped with a leading backslash, Markdown's own escape;
- control characters and unpaired surrogates (JSON allows them) are dropped
  (:func:`plain`, which the tickets also store by: PostgreSQL refuses a NUL).

Both texts are masked (:func:`mask`) here too, so a page never holds what the
mask recognises even if a caller forgot to.
"""

from __future__ import annotations

import re
import unicodedata

import yaml

from embeddings import Lang

from .masking import mask

TITLE_CHARS = 120
SUMMARY_CHARS = 300
HEADINGS = {Lang.KK: ("Сұрақ", "Ведомстводың жауабы"), Lang.RU: ("Вопрос", "Ответ ведомства")}
_STRUCTURE = re.compile(r"#|([-=*_~`])\s*\1\s*\1")  # a heading, a rule, a fence


def plain(text: str) -> str:
    """`text` as valid UTF-8 with `\\n` its only line break and no other control character."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    text = "\n".join(text.splitlines())  # \r, \v, \f, \x85, \u2028...: one kind of break
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def one_line(text: str, limit: int) -> str:
    """Masked `text` on one line, at most `limit` characters (an ellipsis when cut)."""
    line = " ".join(mask(plain(text)).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def body(text: str) -> str:
    """Masked `text` as section content: no line of it starts a structure."""
    lines = []
    for line in mask(plain(text)).split("\n"):
        line = line.rstrip()
        lead = line.lstrip()
        if _STRUCTURE.match(lead):
            line = "\\" + lead
        lines.append(line)
    return "\n".join(lines).strip("\n")


def render(front: dict, lang: str, question: str, answer: str) -> str:
    """The page: `front` (title and summary made one line here) and the two sections."""
    front = {**front, "title": one_line(front["title"], TITLE_CHARS),
             "summary": one_line(front["summary"], SUMMARY_CHARS)}
    heading_q, heading_a = HEADINGS.get(lang, HEADINGS[Lang.RU])
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=float("inf"))
    return (f"---\n{dumped}---\n## {heading_q}\n{body(question)}\n\n"
            f"## {heading_a}\n{body(answer)}\n")
