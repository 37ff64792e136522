"""Interface translations: extract the strings, update the catalogues, compile.

Interface strings are written in English in the code, inside ``_()``; their
Kazakh and Russian texts live in ``bot/locales/{kk,ru}/LC_MESSAGES/messages.po``
and are compiled to ``messages.mo`` (both are committed). After changing a
string::

    .venv/bin/saual translations --update   # extract, merge into the .po files, compile
    # translate the new entries in both .po files, then
    .venv/bin/saual translations --update   # compile again
    .venv/bin/saual translations            # check: exits 1 listing every problem

The same works with Babel's own tool: ``pybabel extract -o bot/locales/messages.pot bot``,
``pybabel update -i bot/locales/messages.pot -d bot/locales``,
``pybabel compile -d bot/locales``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from embeddings import LANGS, Lang

SOURCES = Path(__file__).parent
LOCALES = SOURCES / "locales"
DOMAIN = "messages"
KEYWORDS = {**DEFAULT_KEYWORDS, "__": None}  # _() and lazy __()
LANG_NAMES = {Lang.KK: "Kazakh", Lang.RU: "Russian"}
HEADER = ("# {name} texts of Saual's interface. Translate every msgstr; keep {{placeholders}}.\n"
          "# After editing: `saual translations --update` (compiles the .mo), then commit both.")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every interface string in the bot's code."""
    template = Catalog(project="saual", version="0.1", copyright_holder="Saual contributors",
                       charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCES), method_map=[("**.py", "python")], keywords=KEYWORDS,
        comment_tags=("NOTE:",), strip_comment_tags=True,
    ):
        template.add(message, locations=[(f"bot/{filename}", lineno)],
                     auto_comments=comments, context=context)
    return template


def _read(path: Path, lang: str) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def _mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def update() -> None:
    """Merge the extracted strings into each .po (keeping translations), compile .mo."""
    template = extract()
    with open(LOCALES / f"{DOMAIN}.pot", "wb") as fh:
        write_po(fh, template, width=100, sort_output=True, include_lineno=False)
    for lang in LANGS:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = _read(path, lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.header_comment = HEADER.format(name=LANG_NAMES[lang])
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, include_lineno=False)
        path.with_suffix(".mo").write_bytes(_mo_bytes(catalog))


def problems() -> list[str]:
    """What keeps the catalogues from being complete and compiled, one line each."""
    found: list[str] = []
    wanted = {m.id for m in extract() if m.id}
    for lang in LANGS:
        path = po_path(lang)
        if not path.exists():
            found.append(f"{path}: missing")
            continue
        catalog = _read(path, lang)
        have = {m.id: m for m in catalog if m.id}
        for msgid in sorted(wanted - set(have)):
            found.append(f"{path}: not in the catalogue (run --update): {msgid!r}")
        for msgid in sorted(wanted & set(have)):
            message = have[msgid]
            if not message.string:
                found.append(f"{path}: untranslated: {msgid!r}")
            elif message.fuzzy:
                found.append(f"{path}: fuzzy (check and unmark): {msgid!r}")
            elif set(_PLACEHOLDER.findall(msgid)) != set(_PLACEHOLDER.findall(message.string)):
                found.append(f"{path}: placeholders differ from the original: {msgid!r}")
        for msgid in sorted(set(have) - wanted):
            found.append(f"{path}: no longer used (run --update): {msgid!r}")
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            found.append(f"{mo}: out of date with the .po (run --update)")
    return found
