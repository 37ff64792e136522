"""Staff reviews of pages below the Dispatcher: the page edits a maintainer
applies, the stored reviews and weekly-digest claims, and what `apply`
refuses."""

from __future__ import annotations

import asyncio

import pytest
from dbkit import FrozenClock
from hypothesis import given
from hypothesis import strategies as st

from bot.services import ReviewError, apply_review, reject_review
from bot.services.reviews import clean_correction, iso_week, kz_date
from bot.storage import ReviewKind, Storage
from embeddings import (
    CorpusError,
    PageContent,
    content_digest,
    load_knowledge,
    parse_page,
    replace_section,
    set_front_matter,
)

NAME = "pages/documents/id-card.ru.md"


def page_text(knowledge, lang: str = "ru") -> str:
    return (knowledge / f"pages/documents/id-card.{lang}.md").read_text(encoding="utf-8")


def digest_of(knowledge) -> str:
    docs = load_knowledge(knowledge)
    return content_digest(PageContent.of(docs.document("id-card", lang)) for lang in ("kk", "ru"))


# -- the edits -----------------------------------------------------------------------

def test_replace_section_changes_that_section_only(knowledge):
    text = page_text(knowledge)
    new = replace_section(text, 1, "Только в ЦОН.\n\n- по записи")
    before, after = parse_page(text, NAME), parse_page(new, NAME)
    assert [s.heading for s in after.sections] == [s.heading for s in before.sections]
    assert after.sections[1].text == "Только в ЦОН.\n\n- по записи"
    assert after.sections[0] == before.sections[0]
    assert after.sections[2].text == before.sections[2].text
    last = replace_section(text, 2, "Паспорт.")
    assert parse_page(last, NAME).sections[2].text == "Паспорт." and last.endswith("Паспорт.\n")
    assert new.split("## Где подать заявление")[0] == text.split("## Где подать заявление")[0]


@pytest.mark.parametrize(("index", "body", "why"), [
    (3, "текст", "not a section 4"),
    (-1, "текст", "not a section 0"),
    (0, "  \n ", "cannot be empty"),
    (0, "текст\n## Ещё раздел\nтекст", "heading"),
])
def test_replace_section_refuses_what_would_break_the_page(knowledge, index, body, why):
    with pytest.raises(ValueError, match=why):
        replace_section(page_text(knowledge), index, body)


def test_set_front_matter_rewrites_adds_and_removes_keys_in_place(knowledge):
    text = page_text(knowledge)
    stamped = set_front_matter(text, {"status": "verified", "verified_by": "mvd",
                                      "verified_on": "2026-12-03"})
    doc = parse_page(stamped, NAME)
    assert (doc.status, doc.verified_by, doc.verified_on) == ("verified", "mvd", "2026-12-03")
    assert stamped.split("---", 2)[2] == text.split("---", 2)[2]  # the body byte for byte
    back = set_front_matter(stamped, {"status": "draft", "verified_by": None,
                                      "verified_on": None})
    assert back == text
    with pytest.raises(ValueError, match="one line"):
        set_front_matter(text, {"status": "draft\nverified_by: x"})
    with pytest.raises(CorpusError, match="no YAML front matter"):
        set_front_matter("## Без шапки\nтекст\n", {"status": "draft"}, "x.md")


@given(st.text(min_size=1, max_size=60))
def test_a_front_matter_value_stays_one_value(value):
    """Whatever text a value is (quotes, colons, '#', YAML words), it is written
    as YAML reads it back: nothing else in the front matter changes."""
    text = "---\nid: a\ntitle: T\n---\n## H\nx\n"
    if "\n" in value or "\r" in value:
        with pytest.raises(ValueError):
            set_front_matter(text, {"title": value})
        return
    import yaml

    front = yaml.safe_load(set_front_matter(text, {"title": value}).split("---")[1])
    assert front == {"id": "a", "title": value}


def test_the_digest_is_of_the_content_not_the_status(knowledge):
    docs = load_knowledge(knowledge)
    pages = [PageContent.of(docs.document("id-card", lang)) for lang in ("kk", "ru")]
    assert content_digest(pages) == content_digest(reversed(pages))
    changed = PageContent(pages[1].lang, pages[1].title, pages[1].summary + "!",
                          pages[1].source_url, pages[1].sections)
    assert content_digest([pages[0], changed]) != content_digest(pages)


# -- what staff send -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("", "empty"), ("\u200b \x00\n", "empty"), ("a" * 3501, "long"),
    ("Текст\n# Заголовок", "heading"), ("Текст\n---\nid: x", "heading"),
])
def test_a_correction_that_cannot_be_a_section_is_refused(text, code):
    with pytest.raises(ReviewError, match=code):
        clean_correction(text)


def test_a_correction_keeps_its_lines_without_control_characters():
    assert clean_correction(" Первая строка \r\n\n- пункт\x07\u202e \n") == \
        "Первая строка\n\n- пункт"


def test_dates_and_weeks_are_kazakhstans():
    evening_utc = 1_796_241_600.0  # 2026-12-02 20:00 UTC = 2026-12-03 01:00 in Kazakhstan
    assert kz_date(evening_utc) == "2026-12-03"
    assert iso_week(evening_utc) == "2026-W49"


# -- the stored reviews --------------------------------------------------------------

async def test_reviews_are_stored_listed_and_decided_once(storage):
    one = await storage.reviews.add(topic_id="id-card", agency="mvd", kind=ReviewKind.CONFIRM,
                                    page_digest="d1", user_id=1, chat_id=-5)
    two = await storage.reviews.add(topic_id="id-card", agency="mvd",
                                    kind=ReviewKind.CORRECTION, page_digest="d1", user_id=2,
                                    chat_id=-5, lang="kk", section=2, heading="Құжаттар",
                                    text="Жаңа мәтін")
    other = await storage.reviews.add(topic_id="polling-station", agency="cec",
                                      kind=ReviewKind.CONFIRM, page_digest="d2", user_id=3,
                                      chat_id=-6)
    assert [r.id for r in await storage.reviews.pending()] == [one.id, two.id, other.id]
    assert [r.id for r in await storage.reviews.pending("mvd")] == [one.id, two.id]
    assert (two.section, two.heading, two.text, two.state) == (2, "Құжаттар", "Жаңа мәтін",
                                                              "pending")
    assert set(await storage.reviews.confirmations()) == {"id-card", "polling-station"}
    assert await storage.reviews.decide(other.id, "rejected")
    assert not await storage.reviews.decide(other.id, "applied")  # decided already
    assert set(await storage.reviews.confirmations()) == {"id-card"}
    newer = await storage.reviews.add(topic_id="id-card", agency="mvd",
                                      kind=ReviewKind.CONFIRM, page_digest="d3", user_id=1,
                                      chat_id=-5)
    assert (await storage.reviews.confirmations())["id-card"].id == newer.id


async def test_one_digest_a_week_per_agency(storage):
    lease = await storage.reviews.claim_digest("mvd", "2026-W49", 900)
    assert lease is not None
    assert await storage.reviews.claim_digest("mvd", "2026-W49", 900) is None
    cec = await storage.reviews.claim_digest("cec", "2026-W49", 900)
    assert cec is not None
    await storage.reviews.release_digest("mvd", "2026-W49", lease)
    again = await storage.reviews.claim_digest("mvd", "2026-W49", 900)
    assert again is not None and await storage.reviews.digest_sent("mvd", "2026-W49", again)
    assert await storage.reviews.claim_digest("mvd", "2026-W49", 900) is None
    assert await storage.reviews.claim_digest("mvd", "2026-W50", 900) is not None


async def test_a_digest_claimed_by_an_instance_killed_before_sending_is_taken_again(
        database_url):
    # A claim was kept for the whole week when its instance died before sending
    # or giving it back: that agency's staff heard nothing that week (a review's
    # leftover). Once the claim's time is out a later round takes it; a sent
    # digest is never taken again, and the late instance cannot mark it sent.
    clock = FrozenClock(1_000_000.0)
    storage = Storage.from_url(database_url, clock=clock)
    await storage.migrate()
    try:
        dead = await storage.reviews.claim_digest("mvd", "2026-W49", 900)
        clock.now += 899
        assert await storage.reviews.claim_digest("mvd", "2026-W49", 900) is None
        clock.now += 2
        taken = await storage.reviews.claim_digest("mvd", "2026-W49", 900)
        assert taken is not None and taken != dead
        assert not await storage.reviews.digest_sent("mvd", "2026-W49", dead)
        await storage.reviews.release_digest("mvd", "2026-W49", dead)  # not its claim now
        assert await storage.reviews.digest_sent("mvd", "2026-W49", taken)
        clock.now += 7 * 24 * 3600
        assert await storage.reviews.claim_digest("mvd", "2026-W49", 900) is None
    finally:
        await storage.close()


# -- apply -----------------------------------------------------------------------------

async def test_apply_refuses_a_confirmation_of_content_that_changed(storage, knowledge):
    review = await storage.reviews.add(topic_id="id-card", agency="mvd",
                                       kind=ReviewKind.CONFIRM, page_digest=digest_of(knowledge),
                                       user_id=1, chat_id=-5)
    path = knowledge / "pages/documents/id-card.kk.md"
    path.write_text(path.read_text(encoding="utf-8").replace("16", "18"), encoding="utf-8")
    with pytest.raises(ReviewError, match="changed after the staff confirmed"):
        await apply_review(storage, knowledge, review.id, "2026-12-03", force=True)
    assert (await storage.reviews.get(review.id)).state == "pending"
    await reject_review(storage, review.id)
    with pytest.raises(ReviewError, match="rejected already"):
        await reject_review(storage, review.id)


async def test_apply_writes_a_correction_over_a_changed_page_only_when_forced(storage,
                                                                             knowledge):
    review = await storage.reviews.add(
        topic_id="id-card", agency="mvd", kind=ReviewKind.CORRECTION,
        page_digest=digest_of(knowledge), user_id=1, chat_id=-5, lang="ru", section=2,
        heading="Документы", text="Только удостоверение.")
    path = knowledge / "pages/documents/id-card.ru.md"
    path.write_text(path.read_text(encoding="utf-8").replace("10 лет", "10 (десять) лет"),
                    encoding="utf-8")
    with pytest.raises(ReviewError, match="--force"):
        await apply_review(storage, knowledge, review.id, "2026-12-03")
    [written] = await apply_review(storage, knowledge, review.id, "2026-12-03", force=True)
    doc = parse_page(written.read_text(encoding="utf-8"), NAME)
    assert doc.sections[2].text == "Только удостоверение."
    assert "10 (десять) лет" in doc.sections[0].text  # the other change stays


async def test_apply_refuses_a_correction_whose_section_moved(storage, knowledge):
    review = await storage.reviews.add(
        topic_id="id-card", agency="mvd", kind=ReviewKind.CORRECTION,
        page_digest=digest_of(knowledge), user_id=1, chat_id=-5, lang="ru", section=2,
        heading="Документы", text="Только удостоверение.")
    path = knowledge / "pages/documents/id-card.ru.md"
    path.write_text(path.read_text(encoding="utf-8").replace("## Документы",
                                                             "## Какие документы нужны"),
                    encoding="utf-8")
    with pytest.raises(ReviewError, match="not where it was"):
        await apply_review(storage, knowledge, review.id, "2026-12-03", force=True)


async def test_two_applies_at_once_never_lose_an_edit(storage, knowledge):
    # Two corrections of two sections of one page, made on the same content and
    # applied at the same moment (two maintainers): the first is written, the
    # second is refused as made on content that changed, not written over it.
    seen = digest_of(knowledge)
    reviews = [await storage.reviews.add(
        topic_id="id-card", agency="mvd", kind=ReviewKind.CORRECTION, page_digest=seen,
        user_id=1, chat_id=-5, lang="ru", section=section, heading=heading, text=text)
        for section, heading, text in ((0, "Кто получает", "ПЕРВАЯ ПРАВКА"),
                                       (2, "Документы", "ВТОРАЯ ПРАВКА"))]
    done = await asyncio.gather(*(apply_review(storage, knowledge, r.id, "2026-12-03")
                                  for r in reviews), return_exceptions=True)
    assert [isinstance(d, ReviewError) for d in done] == [False, True], done
    assert "changed after the correction was proposed" in str(done[1])
    doc = parse_page(page_text(knowledge), NAME)
    assert doc.sections[0].text == "ПЕРВАЯ ПРАВКА" and doc.sections[2].text != "ВТОРАЯ ПРАВКА"
    states = [(await storage.reviews.get(r.id)).state for r in reviews]
    assert states == ["applied", "pending"]  # the second can be forced, or rejected


async def test_apply_waits_for_another_and_then_says_so(storage, knowledge, monkeypatch):
    import fcntl
    import os

    review = await storage.reviews.add(topic_id="id-card", agency="mvd",
                                       kind=ReviewKind.CONFIRM, page_digest=digest_of(knowledge),
                                       user_id=1, chat_id=-5)
    fd = os.open(knowledge, os.O_RDONLY)  # another process holds the folder
    fcntl.flock(fd, fcntl.LOCK_EX)
    monkeypatch.setattr("bot.services.reviews.LOCK_WAIT", 0.2)
    try:
        with pytest.raises(ReviewError, match="another `saual review apply` is writing"):
            await apply_review(storage, knowledge, review.id, "2026-12-03")
    finally:
        os.close(fd)
    assert (await storage.reviews.get(review.id)).state == "pending"
    assert await apply_review(storage, knowledge, review.id, "2026-12-03")


async def test_a_failed_write_leaves_the_review_pending_and_the_files_as_they_were(
        storage, knowledge, monkeypatch):
    from bot.services import reviews as module

    review = await storage.reviews.add(topic_id="id-card", agency="mvd",
                                       kind=ReviewKind.CONFIRM, page_digest=digest_of(knowledge),
                                       user_id=1, chat_id=-5)
    before = {lang: page_text(knowledge, lang) for lang in ("kk", "ru")}
    real, calls = module._write, []

    def disk_full_on_the_second(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr(module, "_write", disk_full_on_the_second)
    with pytest.raises(ReviewError, match=r"No space left on device.*as they were"):
        await apply_review(storage, knowledge, review.id, "2026-12-03")
    assert {lang: page_text(knowledge, lang) for lang in ("kk", "ru")} == before
    assert (await storage.reviews.get(review.id)).state == "pending"
    monkeypatch.setattr(module, "_write", real)
    assert len(await apply_review(storage, knowledge, review.id, "2026-12-03")) == 2


async def test_apply_names_what_is_missing(storage, knowledge):
    with pytest.raises(ReviewError, match="no review #99"):
        await apply_review(storage, knowledge, 99, "2026-12-03")
    review = await storage.reviews.add(topic_id="gone-topic", agency="mvd",
                                       kind=ReviewKind.CONFIRM, page_digest="x", user_id=1,
                                       chat_id=-5)
    with pytest.raises(ReviewError, match="no page files for topic 'gone-topic'"):
        await apply_review(storage, knowledge, review.id, "2026-12-03")


@given(st.text(max_size=400))
def test_any_staff_text_is_refused_or_becomes_exactly_that_one_section(text):
    """Whatever a staff member sends (markup, headings, '---', control and
    bidirectional characters, lone surrogates), a correction is refused with a
    reason, or it replaces the one section's text and nothing else: the page
    still parses with the same headings."""
    page = ("---\nid: id-card\nlang: ru\ntitle: T\nsummary: S\ncategory: documents\n"
            "agency: mvd\nsource_url: https://egov.kz/x\nupdated: 2026-11-27\n"
            "status: draft\nkeywords: [a]\n---\n## Первый\nа\n\n## Второй\nб\n")
    try:
        body = clean_correction(text)
    except ReviewError as exc:
        assert str(exc) in ("empty", "long", "heading")
        return
    doc = parse_page(replace_section(page, 0, body), NAME)
    assert [s.heading for s in doc.sections] == ["Первый", "Второй"]
    assert doc.sections[0].text == body and doc.sections[1].text == "б"
