import shutil

from babel.messages.pofile import read_po, write_po

from bot import translations
from bot.app import build_i18n


def test_every_interface_string_is_translated_into_kazakh_and_russian():
    problems = translations.problems()
    assert problems == [], "\n".join(problems)


def test_the_catalogues_are_not_trivially_complete():
    extracted = {m.id for m in translations.extract() if m.id}
    assert len(extracted) > 25
    i18n = build_i18n()
    assert set(i18n.available_locales) == {"kk", "ru"}
    for msgid in extracted:
        kk, ru = i18n.gettext(msgid, locale="kk"), i18n.gettext(msgid, locale="ru")
        # Nothing is left in English, and Kazakh is not Russian.
        assert kk != msgid and ru != msgid and kk != ru, msgid


def test_a_missing_translation_is_reported(tmp_path, monkeypatch):
    locales = tmp_path / "locales"
    shutil.copytree(translations.LOCALES, locales)
    monkeypatch.setattr(translations, "LOCALES", locales)
    path = translations.po_path("kk")
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="kk")
    victim = next(m for m in catalog if m.id == "Thank you for your feedback!")
    victim.string = ""
    with open(path, "wb") as fh:
        write_po(fh, catalog)
    problems = translations.problems()
    assert any("untranslated: 'Thank you for your feedback!'" in p for p in problems)
    assert any(p.endswith("out of date with the .po (run --update)") for p in problems)
