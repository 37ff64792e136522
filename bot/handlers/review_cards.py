"""What the staff chats read about their pages: the /review list, a page in
both languages, and the weekly digest."""

from __future__ import annotations

from aiogram.utils.formatting import Bold, Text, as_list
from aiogram.utils.i18n import gettext as _

from embeddings import AuditKind, Lang

from ..services import Due, Page, Weekly
from .cards import join, page_full

SHOWN = 10  # pages named in the weekly digest


def due_list(agency: str, due: list[Due], shown: int) -> Text:
    if not due:
        return Text(_("Every page of {agency} is verified and up to date. Thank you!")
                    .format(agency=agency))
    new = sum(d.reason == AuditKind.UNVERIFIED for d in due)
    head = _("{agency}: {n} pages to check ({new} never verified 🆕, {old} verified long "
             "ago ⏰). Open one, read it in both languages, and confirm it or correct it."
             ).format(agency=agency, n=len(due), new=new, old=len(due) - new)
    if shown < len(due):
        head += "\n" + _("The first {shown} are below; confirm them and send /review for "
                         "the next.").format(shown=shown)
    return Text(head)


def page_in(page: Page) -> list[Text]:
    """A page as the staff read it, headed by its language."""
    label = _("Kazakh page:") if page.lang == Lang.KK else _("Russian page:")
    return [Text(Bold("— ", label)), *page_full(page)]


def review_prompt(missing: list[str]) -> Text:
    blocks: list[object] = [_("Is everything on this page right in both languages: "
                              "amounts, time limits, documents, addresses, links?")]
    for lang in missing:
        blocks.append(_("There is no Kazakh page for this topic yet.") if lang == Lang.KK
                      else _("There is no Russian page for this topic yet."))
    return join(blocks)


def confirmed(title: str, agency: str, date: str) -> Text:
    return Text("✅ ", _("Confirmed: «{title}». Citizens now see: checked by {agency}, "
                         "{date}.").format(title=title, agency=agency, date=date))


def section_prompt(heading: str, lang: str) -> Text:
    where = _("Kazakh page") if lang == Lang.KK else _("Russian page")
    return Text(_("Send the new text of the section «{heading}» ({where}) in one message: "
                  "it replaces the whole section once the maintainers check it. /cancel "
                  "stops.").format(heading=heading, where=where))


def proposed(review_id: int, heading: str) -> Text:
    return Text("📝 ", _("Correction #{id} of «{heading}» is saved. The maintainers will "
                        "check it and put it on the page.").format(id=review_id,
                                                                   heading=heading))


def refusal(code: str) -> Text:
    texts = {
        "owner": _("This page belongs to another agency."),
        "changed": _("The page has changed since you opened it. Send /review and open it "
                     "again."),
        "section": _("This section is no longer on the page. Send /review and open it "
                     "again."),
        "empty": _("The text is empty. Send the new text of the section, or /cancel."),
        "long": _("The text is too long for one section. Send a shorter text, or /cancel."),
        "heading": _("The text has a heading line (#) or '---': send only the text of this "
                     "one section, or /cancel."),
    }
    return Text(texts.get(code, _("This cannot be done now.")))


def why(reasons: dict[str, int]) -> str:
    """Why a digest's group of questions is there, e.g. ": no page 4, 👎 3" (the
    reasons of questions logged before they were recorded are not shown)."""
    names = {"abstained": _("no page"), "clarified": _("unclear which page"),
             "redirected": _("sent to another agency"), "voted-down": "👎"}
    shown = [f"{names[r]} {n}" for r, n in reasons.items() if r in names]
    return ": " + ", ".join(shown) if shown else ""


def weekly(agency: str, w: Weekly) -> Text:
    blocks: list[object] = [Bold(_("Weekly digest for {agency}").format(agency=agency))]
    if w.due:
        names = [d.title for d in w.due[:SHOWN]]
        more = len(w.due) - len(names)
        blocks.append(Text(_("Pages to check: {n}. Send /review to go through them.")
                           .format(n=len(w.due)), "\n",
                           as_list(*[f"• {n}" for n in names]),
                           *(["\n", _("…and {n} more.").format(n=more)] if more else [])))
    else:
        blocks.append(_("Every page is verified and up to date."))
    blocks.append(_("Citizens' questions waiting for an answer: {open} (past the due date: "
                    "{overdue}).").format(open=w.open_questions, overdue=w.overdue_questions))
    if w.gaps:
        blocks.append(Text(_("Questions the bot could not answer well, most asked first (a "
                             "new or clearer page would help):"), "\n", as_list(
            *[f"• {g.label} ({g.count}{why(g.reasons)})" for g in w.gaps])))
    if w.disliked:
        blocks.append(Text(_("Pages citizens marked 👎 this week:"), "\n", as_list(
            *[f"• {title}: {n}" for title, n in w.disliked[:SHOWN]])))
    return join(blocks)
