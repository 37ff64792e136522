"""Message texts built from formatting nodes.

Everything is rendered as text plus entities (`aiogram.utils.formatting`), so a
`<` or `&` in a question or a knowledge page is just a character: nothing is
parsed as markup. Long texts are packed into messages of at most
:data:`LIMIT` characters (Telegram's limit, counted in UTF-16 units as
Telegram counts them).
"""

from __future__ import annotations

import re

from aiogram.utils.formatting import Bold, Italic, Text, TextLink, sizeof
from aiogram.utils.i18n import gettext as _

from embeddings import ChangeKind, Lang

from ..services import Answer, Checked, Entry, Hit, Page

LIMIT = 4096
EDIT_BUDGET = 3500  # a page edited into the menu message must fit one message
QUOTE_CHARS = 120  # how much of a question is repeated back
GROUP_SNIPPET = 300  # how much of a section a group answer shows without a summary
PARAGRAPH = "\n\n"


def _list_markers(text: str) -> str:
    # Knowledge pages use "- " for lists; a bullet reads better in Telegram.
    return re.sub(r"(?m)^(\s*)- ", r"\1• ", text)


def fill(template: str, **values: object) -> Text:
    """Put values (strings or nodes) into a translated template's {name} slots.

    The template is split, never formatted, so a value is never read as
    markup or as another placeholder.
    """
    parts: list[object] = []
    for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
        parts.append(values.get(piece, "{" + piece + "}") if i % 2 else piece)
    return Text(*[p for p in parts if p != ""])


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fallback_note(page_lang: str) -> str:
    if page_lang == Lang.RU:
        return _("This page exists only in Russian.")
    return _("This page exists only in Kazakh.")


def trust_note(checked: Checked | None) -> list[Italic]:
    """What a card says of its page's verification: drafts say no agency has
    checked them yet; verified pages say who checked them and when."""
    if checked is None:
        return []
    if not checked.verified:
        return [Italic(_("Not yet verified by the agency."))]
    return [Italic(fill(_("Checked by the agency: {agency}, {date}."), agency=checked.agency,
                        date=day(checked.on)))]


def day(iso: str) -> str:
    """A date as cards write it: 2026-11-23 -> 23.11.2026 ("" stays "")."""
    return ".".join(reversed(iso.split("-"))) if iso else ""


def _head(title: str, lang: str, fallback: bool, summary: str) -> list[object]:
    """A card's start: the title, "only in the other language" when so, the summary."""
    blocks: list[object] = [Bold(title)]
    if fallback:
        blocks.append(Italic(fallback_note(lang)))
    if summary:
        blocks.append(summary)
    return blocks


def answer_card(a: Answer) -> Text:
    hit = a.best
    assert hit is not None
    blocks = _head(hit.title, hit.lang, hit.fallback, hit.summary)
    if hit.snippet:
        body = _list_markers(hit.snippet)
        blocks.append(Text(Bold("§ ", hit.section), "\n", body) if hit.section else Text(body))
    blocks.extend(trust_note(a.checked))  # last: under the page, before its buttons
    return join(blocks)


def shared_card(page: Page) -> Text:
    """A page as shared in any chat (inline mode): title, summary, verification;
    the whole page and the source are its buttons."""
    return join([*_head(page.title, page.lang, page.fallback, page.summary),
                 *trust_note(page.checked)])


# -- community groups: short answers, the rest in a private chat ----------------------


def group_hint(username: str) -> Text:
    return fill(_("Ask me about government services by mentioning me: «{mention} how do I get "
                  "an ID card». I answer from the official portals; the whole page opens "
                  "in a private chat with me."), mention=f"@{username}")


def group_answer(a: Answer) -> Text:
    """The answer card, cut short for a group: the page's title and summary (or
    the start of the section that answers), and its verification line."""
    hit = a.best
    assert hit is not None
    blocks = _head(hit.title, hit.lang, hit.fallback, hit.summary)
    if not hit.summary and hit.snippet:
        blocks.append(quote(_list_markers(hit.snippet), GROUP_SNIPPET))
    blocks.extend(trust_note(a.checked))
    return join(blocks)


def group_options() -> Text:
    return Text(_("I am not sure which topic you mean. Perhaps one of these:"))


def group_no_answer(elsewhere: Hit | None, agency: str) -> Text:
    blocks: list[object] = [_("I have no answer to this.")]
    if elsewhere is not None:
        blocks.append(Text(fill(_("This is a matter for {agency}:"), agency=agency), " ",
                           TextLink(elsewhere.url, url=elsewhere.url)))
    return join(blocks)


def clarify(options: list[Entry]) -> Text:
    """The clarifying question: the topics to choose from are its buttons."""
    return join([_("I found several close topics. Which one do you mean?"),
                 *[Text("• ", o.title) for o in options]])


def no_answer(question: str, suggestions: list[Entry], elsewhere: Hit | None = None,
              agency: str = "", ask: bool = True) -> Text:
    """The honest "no answer"; with `elsewhere` (an out-of-scope theme that
    matched), which agency handles the theme and its website; with `ask`, the
    offer to put the question to an agency."""
    blocks: list[object] = [fill(_("Sorry, I have no answer to «{question}»."),
                                 question=quote(question))]
    if elsewhere is not None:
        blocks.append(Text(fill(_("The bot has no page on «{theme}». This is a matter for "
                                  "{agency}:"), theme=elsewhere.title, agency=agency), " ",
                           TextLink(elsewhere.url, url=elsewhere.url)))
    if suggestions:
        blocks.append(_("Perhaps one of these topics will help:"))
    else:
        blocks.append(_("Try asking in other words, or look through the menu."))
    if ask:
        blocks.append(_("Or put the question to the agency responsible: its answer will come "
                        "here, in the bot."))
    return join(blocks)


def page_card(page: Page, budget: int = EDIT_BUDGET) -> tuple[Text, bool]:
    """Title, summary and as many sections as fit `budget`; True when cut."""
    head = _head(page.title, page.lang, page.fallback, page.summary)
    blocks = list(head)
    note = trust_note(page.checked)
    used = size(join([*blocks, *note]))
    truncated = False
    for s in page.sections:
        block = section(s.heading, s.text)
        extra = size(block) + len(PARAGRAPH)
        if used + extra > budget:
            truncated = True
            break
        blocks.append(block)
        used += extra
    if truncated:
        rest = [s.heading for s in page.sections[len(blocks) - len(head):]]
        blocks.append(Text(Bold(_("Also on this page:")), "\n",
                           "\n".join(f"• {h}" for h in rest)))
    return join([*blocks, *note]), truncated


def section(heading: str, text: str) -> Text:
    return Text(Bold(heading), "\n", _list_markers(text))


def page_full(page: Page) -> list[Text]:
    """The whole page as blocks; :func:`pack` makes messages of them."""
    blocks: list[Text] = [Text(Bold(page.title))]
    if page.fallback:
        blocks.append(Text(Italic(fallback_note(page.lang))))
    if page.summary:
        blocks.append(Text(page.summary))
    blocks.extend(section(s.heading, s.text) for s in page.sections)
    blocks.extend(Text(note) for note in trust_note(page.checked))
    return blocks


def menu_root() -> Text:
    return Text(_("Choose a section:"))


def menu_category(title: str) -> Text:
    return fill(_("{category}: choose a topic:"), category=Bold(title))


def join(blocks: list[object], sep: str = PARAGRAPH) -> Text:
    items: list[object] = []
    for i, b in enumerate(blocks):
        if i:
            items.append(sep)
        items.append(b)
    return Text(*items)


def size(node: Text) -> int:
    text, _entities = node.render()
    return sizeof(text)


def pack(blocks: list[Text], limit: int = LIMIT) -> list[Text]:
    """Group blocks into messages of at most `limit` characters.

    A block that alone is too long is cut at paragraph, line or word ends
    (its formatting, if any, is kept only on whole pieces).
    """
    messages: list[Text] = []
    current: list[object] = []
    used = 0
    for block in blocks:
        pieces = [block] if size(block) <= limit else [Text(p) for p in split_plain(
            block.render()[0], limit)]
        for piece in pieces:
            n = size(piece)
            extra = n + (len(PARAGRAPH) if current else 0)
            if current and used + extra > limit:
                messages.append(join(current))
                current, used = [], 0
                extra = n
            current.append(piece)
            used += extra
    if current:
        messages.append(join(current))
    return messages


def split_plain(text: str, limit: int = LIMIT) -> list[str]:
    """Cut plain text into pieces of at most `limit` UTF-16 units."""
    out: list[str] = []
    rest = text.strip()
    while sizeof(rest) > limit:
        # the longest prefix that fits, in characters
        cut = limit
        while sizeof(rest[:cut]) > limit:
            cut -= (sizeof(rest[:cut]) - limit + 1) // 2 or 1
        window = rest[:cut]
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            if at > cut // 2:
                cut = at + len(sep)
                break
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece:
            out.append(piece)
    if rest:
        out.append(rest)
    return out


# -- announcements -------------------------------------------------------------------


def announcement(name: str, body: str, url: str, limit: int = LIMIT) -> list[Text]:
    """An agency's announcement as messages: its name, the text, the link; the
    agency's text is only ever text (entities are ours), cut at paragraphs."""
    blocks = [Text("📢 ", Bold(name)), Text(body)]
    if url:
        blocks.append(Text("🔗 ", url))
    return pack(blocks, limit)


# -- answer-change notices -------------------------------------------------------------


def change_kinds(kinds: tuple[str, ...]) -> list[str]:
    """What changed, in words (embeddings.ChangeKind values; unknown ones are left out)."""
    words = {
        ChangeKind.NUMBER: _("amounts or other numbers"),
        ChangeKind.DATE: _("dates or deadlines"),
        ChangeKind.URL: _("links"),
        ChangeKind.SECTION_ADDED: _("a new section"),
        ChangeKind.SECTION_REMOVED: _("a section removed"),
    }
    return [words[ChangeKind(k)] for k in kinds if k in words]


def change_notice(title: str, kinds: tuple[str, ...]) -> Text:
    """The notice to a citizen who asked to hear of changes to a page. What
    changed is said by kind only: a number out of its sentence would mislead."""
    blocks: list[object] = [Text("🔔 ", Bold(title)),
                            _("This page has changed since you asked me to tell you.")]
    what = change_kinds(kinds)
    if what:
        blocks.append(fill(_("What changed: {what}."), what=", ".join(what)))
    blocks.append(_("Open the page to read it as it is now."))
    return join(blocks)
