"""The gap report: the log read (abstained and voted down only), the grouping,
the agency per group, ranking, filters, the command line.

Fast tests use the hash encoder; the grouping quality is measured with the
real encoder in test_gaps_model.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json

import numpy as np
import pytest
from dbkit import FrozenClock
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from bot.cli import app
from bot.services import gaps
from bot.services.gaps import shown
from bot.services.observe import AnswerOutcome
from bot.services.regions import Directory
from bot.storage import (
    CHAT_TYPES,
    GAP_REASONS,
    GROUP,
    PRIVATE,
    VOTED_DOWN,
    Storage,
    gap_reason,
)
from embeddings import SearchEngine, build_index, load_knowledge
from embeddings.gaps import assignment, centre, cluster_questions, fit_projection, group

DAY = 86400.0
NOW = dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC).timestamp()

# Two needs asked several times, worded differently, plus one-off questions.
HUNTING = ["лицензия на охоту как получить", "лицензия на охоту где получить",
           "как получить лицензию на охоту", "лицензию на охоту получить"]
PASSPORT = ["удостоверение личности потерял", "потерял удостоверение личности что делать",
            "удостоверение личности потеряно"]
# The hash encoder's vectors are farther apart than a real model's.
HASH_DISTANCE = 0.45
ONE_OFF = ["рецепт бешбармака", "погода в караганде завтра"]


async def seed(storage: Storage, clock: FrozenClock, rows) -> list[int]:
    """Log questions as the bot does: (text, lang, confident, days ago, votes),
    optionally followed by the outcome (else: answered when confident,
    abstained when not) and the kind of chat (else: private)."""
    ids = []
    for i, (text, lang, confident, days, votes, *rest) in enumerate(rows):
        outcome = rest[0] if rest else ("answered" if confident else "abstained")
        chat_type = rest[1] if len(rest) > 1 else PRIVATE
        clock.now = NOW - days * DAY
        await storage.users.get_or_create(100 + i)
        qid = await storage.questions.add(
            user_id=100 + i, text=text, lang=lang, topic_id="id-card", confidence=0.3,
            confident=confident, results=["id-card"], outcome=outcome, chat_type=chat_type)
        for j, vote in enumerate(votes):
            await storage.users.get_or_create(900 + j)
            await storage.feedback.set(qid, 900 + j, vote)
        ids.append(qid)
    clock.now = NOW
    return ids


@pytest.fixture
async def logged(database_url):
    clock = FrozenClock(NOW)
    storage = Storage.from_url(database_url, clock=clock)
    await storage.migrate()
    yield storage, clock
    await storage.close()


async def test_the_source_is_the_unanswered_and_the_voted_down_once_each(logged):
    storage, clock = logged
    ids = await seed(storage, clock, [
        ("не ответил", "ru", False, 1, []),
        ("не ответил, и 👎 дважды", "ru", False, 1, [-1, -1]),
        ("ответил, 👎", "ru", True, 2, [-1]),
        ("ответил, 👎 и 👍 двух людей", "ru", True, 2, [-1, 1]),  # net 0: not a gap
        ("ответил, 👍", "kk", True, 2, [1]),
        ("ответил, без голосов", "kk", True, 2, []),
        ("жауап жоқ, бірақ ескі", "kk", False, 40, []),
        ("ответил, 👎 двух из трёх", "ru", True, 3, [-1, -1, 1]),
    ])
    source = await storage.questions.gaps_source(NOW - 30 * DAY)
    assert [q.id for q in source.questions] == [ids[7], ids[2], ids[1], ids[0]]  # newest first
    assert source.total == 4
    assert [q.id for q in (await storage.questions.gaps_source(NOW - 50 * DAY)).questions] \
        == [ids[7], ids[6], ids[2], ids[1], ids[0]]
    capped = await storage.questions.gaps_source(NOW - 30 * DAY, limit=2)
    assert [q.id for q in capped.questions] == [ids[7], ids[2]] and capped.total == 4


async def test_each_question_is_there_for_one_reason_and_a_report_can_keep_one(logged):
    storage, clock = logged
    ids = await seed(storage, clock, [
        ("нет страницы", "ru", False, 1, [], "abstained"),
        ("о чём вы: А или Б", "ru", False, 1, [], "clarified"),
        ("это к другому ведомству", "kk", False, 1, [], "redirected"),
        ("ответил, 👎", "ru", True, 1, [-1], "answered"),
        ("записан до причин", "ru", False, 1, [], None),
        ("ответил, 👍", "ru", True, 1, [1], "answered"),
    ])
    everything = (await storage.questions.gaps_source(NOW - DAY)).questions
    assert {q.id: gap_reason(q) for q in everything} == {
        ids[0]: "abstained", ids[1]: "clarified", ids[2]: "redirected", ids[3]: "voted-down",
        ids[4]: "not-recorded"}
    for i, reason in enumerate(GAP_REASONS):
        kept = await storage.questions.gaps_source(NOW - DAY, reason=reason)
        assert [q.id for q in kept.questions] == [ids[i]] and kept.total == 1, reason
    with pytest.raises(ValueError, match="unknown reason 'answered'"):
        await storage.questions.gaps_source(NOW - DAY, reason="answered")
    # The storage's reasons are the bot's outcomes (the ones that are not an answer).
    assert set(GAP_REASONS) - {VOTED_DOWN} == {o.value for o in AnswerOutcome} - {"answered"}


async def test_a_report_can_keep_the_questions_of_one_kind_of_chat(logged):
    storage, clock = logged
    ids = await seed(storage, clock, [
        ("в личке", "ru", False, 1, [], "abstained", PRIVATE),
        ("в группе", "kk", False, 1, [], "abstained", GROUP),
        ("в группе, 👎", "ru", True, 1, [-1], "answered", GROUP),
    ])
    everything = (await storage.questions.gaps_source(NOW - DAY)).questions
    assert {q.id: q.chat_type for q in everything} == {ids[0]: PRIVATE, ids[1]: GROUP,
                                                       ids[2]: GROUP}
    group = await storage.questions.gaps_source(NOW - DAY, chat_type=GROUP)
    assert [q.id for q in group.questions] == [ids[2], ids[1]] and group.total == 2
    both = await storage.questions.gaps_source(NOW - DAY, chat_type=GROUP, reason="abstained")
    assert [q.id for q in both.questions] == [ids[1]]
    assert [q.id for q in (await storage.questions.gaps_source(
        NOW - DAY, chat_type=PRIVATE)).questions] == [ids[0]]
    with pytest.raises(ValueError, match="unknown chat type 'inline'"):
        await storage.questions.gaps_source(NOW - DAY, chat_type="inline")
    with pytest.raises(ValueError, match="unknown chat type 'channel'"):
        await storage.questions.add(user_id=100, text="x", lang="ru", topic_id=None,
                                    confidence=0.0, confident=False, chat_type="channel")
    assert set(CHAT_TYPES) == {PRIVATE, GROUP}


def test_grouping_merges_repeats_and_orders_by_size(encoder):
    texts = HUNTING + PASSPORT + ONE_OFF + [HUNTING[0], "  ЛИЦЕНЗИЯ на охоту как получить "]
    clusters = cluster_questions(texts, encoder, distance=HASH_DISTANCE)
    labels = assignment(clusters, len(texts))
    assert -1 not in labels
    hunting = {labels[i] for i in (0, 1, 2, 3, 9, 10)}
    passport = {labels[i] for i in (4, 5, 6)}
    assert len(hunting) == 1 and len(passport) == 1 and hunting != passport
    assert labels[7] != labels[8] and {labels[7], labels[8]}.isdisjoint(hunting | passport)
    first = clusters[0]
    assert first.size == 6 and len(first.questions) == 4  # repeats counted, shown once
    assert sorted(first.members) == [0, 1, 2, 3, 9, 10]
    assert [c.size for c in clusters] == sorted((c.size for c in clusters), reverse=True)
    assert first.label == first.questions[0] and first.label in HUNTING
    assert cluster_questions([], encoder) == []
    assert group(np.zeros((0, 4))).tolist() == [] and group(np.ones((1, 4))).tolist() == [0]


def test_shown_strips_what_a_terminal_or_a_chat_would_interpret():
    assert shown("где\x1b[2J  паспорт\u202e\n?") == "где [2J паспорт ?"
    assert shown("а" * 300, 10) == "а" * 9 + "…"


@pytest.fixture
def engine(knowledge, tmp_path, encoder):
    build_index(load_knowledge(knowledge), encoder, tmp_path / "index", topic_model=False)
    engine = SearchEngine.open(tmp_path / "index", encoder)
    yield engine
    engine.close()


def log_rows():
    # The first two hunting questions were asked in community groups.
    rows = [(q, "ru", False, 3, [], "clarified" if i == 1 else "abstained",
             GROUP if i < 2 else PRIVATE) for i, q in enumerate(HUNTING)]
    rows += [(q, "ru", True, 4, [-1]) for q in PASSPORT]
    rows += [(q, "ru", False, 5, []) for q in ONE_OFF]
    rows += [("удостоверение личности получить", "ru", True, 1, [1])]  # answered, liked
    rows += [("лицензия на охоту старая", "ru", False, 60, [])]  # before the period
    return rows


async def test_report_ranks_by_count_routes_and_filters(logged, engine, knowledge):
    storage, clock = logged
    await seed(storage, clock, log_rows())
    agencies = Directory.load(knowledge).agencies
    gap_report = functools.partial(gaps.gap_report, distance=HASH_DISTANCE)
    report = await gap_report(storage, engine, agencies, NOW - 30 * DAY)
    assert report.total == 9 and report.clustered == 9
    counts = [g.count for g in report.gaps]
    assert counts == sorted(counts, reverse=True) and sum(counts) + report.single == 9
    passport = next(g for g in report.gaps if g.label in PASSPORT)
    assert passport.agency == "mvd" and passport.count == 3 and passport.langs == {"ru": 3}
    assert passport.reasons == {"voted-down": 3}
    assert set(passport.questions) <= set(PASSPORT)
    hunting = next(g for g in report.gaps if g.label in HUNTING)
    assert hunting.reasons == {"abstained": 3, "clarified": 1}  # the most first
    assert hunting.chats == {"group": 2, "private": 2} and passport.chats == {"private": 3}
    in_groups = await gap_report(storage, engine, agencies, NOW - 30 * DAY, chat_type=GROUP)
    assert in_groups.total == 2 and [g.chats for g in in_groups.gaps] == [{"group": 2}]
    clarified = await gap_report(storage, engine, agencies, NOW - 30 * DAY, reason="clarified")
    assert clarified.total == 1 and clarified.gaps == [] and clarified.single == 1
    down = await gap_report(storage, engine, agencies, NOW - 30 * DAY, reason="voted-down")
    assert down.total == 3 and [g.reasons for g in down.gaps] == [{"voted-down": 3}]
    mvd = await gap_report(storage, engine, agencies, NOW - 30 * DAY, agency="mvd")
    assert passport in mvd.gaps and all(g.agency == "mvd" for g in mvd.gaps)
    cec = await gap_report(storage, engine, agencies, NOW - 30 * DAY, agency="cec")
    assert all(g.agency == "cec" for g in cec.gaps) and passport not in cec.gaps
    assert len((await gap_report(storage, engine, agencies, NOW - 30 * DAY, limit=1)).gaps) == 1
    later = await gap_report(storage, engine, agencies, NOW - 2 * DAY)
    assert later.total == 0 and later.gaps == []
    with pytest.raises(ValueError, match="unknown agency 'nope'"):
        await gap_report(storage, engine, agencies, NOW, agency="nope")


async def test_questions_without_words_form_no_group(logged, engine, knowledge):
    # Citizens who send only their phone number (masked) or a blank line would
    # have made a group labelled «[phone]» or nothing (a review's leftover).
    storage, clock = logged
    rows = [(text, "ru", False, 1, []) for text in ["[phone]", "[phone]", " [IIN] ?", "  ", "…"]]
    await seed(storage, clock, rows + log_rows())
    agencies = Directory.load(knowledge).agencies
    report = await gaps.gap_report(storage, engine, agencies, NOW - 30 * DAY,
                                   distance=HASH_DISTANCE)
    assert report.total == 14 and report.clustered == 14 and report.wordless == 5
    assert sum(g.count for g in report.gaps) + report.single == 9
    assert all(gaps.has_words(g.label) for g in report.gaps)
    assert gaps.has_words("[phone] перезвоните") and not gaps.has_words("[card] [email], 12")


runner = CliRunner()


@pytest.fixture
def cli_env(knowledge, tmp_path, monkeypatch, encoder):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ENCODER", "test-hash")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/saual.sqlite3")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.cli.retrieval.make_encoder", lambda spec: encoder)
    build_index(load_knowledge(knowledge), encoder, tmp_path / "index", topic_model=False)
    return tmp_path


def test_cli_json_human_and_errors(cli_env):
    clock = FrozenClock(NOW)

    async def logged():
        storage = Storage.from_url(f"sqlite+aiosqlite:///{cli_env}/saual.sqlite3", clock=clock)
        await storage.migrate()
        await seed(storage, clock, log_rows())
        await storage.close()

    asyncio.run(logged())

    result = runner.invoke(app, ["gaps", "--json"], obj=clock)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["since"] == "2026-04-20" and data["total"] == 9  # 30 days before the clock
    assert {"label", "agency", "count", "questions", "reasons"} <= set(data["clusters"][0])
    assert data["reason"] is None
    assert [c["count"] for c in data["clusters"]] == sorted(
        (c["count"] for c in data["clusters"]), reverse=True)

    result = runner.invoke(app, ["gaps", "--since", "2026-05-18", "--json"], obj=clock)
    assert json.loads(result.output)["total"] == 0

    result = runner.invoke(app, ["gaps", "--agency", "mvd"], obj=clock)
    assert result.exit_code == 0, result.output
    assert "Since 2026-04-20: 9 questions" in result.output and "] mvd: " in result.output
    assert "(3 ru; voted-down 3)" in result.output

    result = runner.invoke(app, ["gaps", "--reason", "abstained", "--json"], obj=clock)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["reason"] == "abstained" and data["total"] == 5  # 3 hunting, 2 one-off
    assert all(set(c["reasons"]) == {"abstained"} for c in data["clusters"])
    result = runner.invoke(app, ["gaps", "--reason", "abstained"], obj=clock)
    assert "Since 2026-04-20: 5 questions abstained." in result.output, result.output

    result = runner.invoke(app, ["gaps", "--chat", "group", "--json"], obj=clock)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["chat"] == "group" and data["total"] == 2
    assert [c["chats"] for c in data["clusters"]] == [{"group": 2}]
    result = runner.invoke(app, ["gaps"], obj=clock)
    assert "; in groups 2)" in result.output, result.output
    result = runner.invoke(app, ["gaps", "--chat", "group"], obj=clock)
    assert "Since 2026-04-20: 2 questions not answered or voted down in group chats." \
        in result.output, result.output

    for args, message in ((["--since", "20.05.2026"], "--since must be a date as YYYY-MM-DD"),
                          (["--since", "2026-06-01"], "is after today (2026-05-20)"),
                          (["--agency", "nope"], "unknown agency 'nope'; agencies: mvd, cec"),
                          (["--reason", "answered"], "unknown reason 'answered'; reasons: "
                                                     "abstained, clarified, redirected, "
                                                     "voted-down"),
                          (["--chat", "inline"], "unknown chat 'inline'; chats: private, "
                                                 "group")):
        result = runner.invoke(app, ["gaps", *args], obj=clock)
        assert result.exit_code == 1 and message in result.output, result.output


def test_since_counts_days_in_kazakhstan_time(cli_env):
    # 20 May, 21:00 UTC is 21 May, 02:00 in Kazakhstan (UTC+5): "today" is the
    # 21st, and a question asked at 01:00 on the 21st there belongs to it.
    late = dt.datetime(2026, 5, 20, 21, tzinfo=dt.UTC).timestamp()
    clock = FrozenClock(late)

    async def logged():
        storage = Storage.from_url(f"sqlite+aiosqlite:///{cli_env}/saual.sqlite3", clock=clock)
        await storage.migrate()
        for when, text in ((late - 3600, "лицензия на охоту как получить"),  # 01:00 on the 21st
                           (late - 1800, "лицензия на охоту как получить"),
                           (late - 3 * 3600, "рецепт бешбармака")):  # 23:00 on the 20th
            clock.now = when
            await storage.users.get_or_create(7)
            await storage.questions.add(user_id=7, text=text, lang="ru", topic_id=None,
                                        confidence=0.1, confident=False, results=[],
                                        outcome="abstained", chat_type=PRIVATE)
        clock.now = late
        await storage.close()

    asyncio.run(logged())
    result = runner.invoke(app, ["gaps", "--since", "2026-05-21", "--json"], obj=clock)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["since"] == "2026-05-21" and data["total"] == 2
    assert data["clusters"][0]["label"] == "лицензия на охоту как получить"


def test_the_projection_brings_one_needs_wordings_together():
    """Synthetic needs whose wordings scatter along a few directions (script,
    typos, style) more than the needs differ: grouping the raw vectors mixes
    needs up, the projection learnt from other needs worded the same ways
    does not."""
    rng = np.random.default_rng(7)
    dim, nuisance = 32, 4  # the first 4 directions are how a need is worded

    def wordings(needs: int, per: int):
        centres = rng.normal(size=(needs, dim))
        centres[:, :nuisance] = 0.0
        rows, labels, langs = [], [], []
        for n, c in enumerate(centres):
            for i in range(per):
                style = np.zeros(dim)
                style[:nuisance] = rng.normal(scale=4.0, size=nuisance)
                rows.append(c + style + rng.normal(scale=0.2, size=dim))
                labels.append(n)
                langs.append(("kk", "ru")[i % 2])
        return np.array(rows), labels, langs

    train, train_labels, _ = wordings(60, 10)
    projection = fit_projection(train, train_labels, dims=20)
    assert projection is not None and projection.matrix.shape == (dim, 20)
    test, need, langs = wordings(12, 10)
    plain = adjusted_rand_score(need, group(centre(test, langs), 0.8))
    projected = adjusted_rand_score(need, group(centre(projection.apply(test), langs), 0.8))
    assert projected > plain + 0.3, (plain, projected)  # 0.19 -> 0.76
    assert fit_projection(train[:5], [0] * 5) is None  # one need teaches nothing


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_digest_names_every_reason_in_the_staff_chats_language(lang):
    from bot.app import build_i18n
    from bot.handlers.review_cards import why

    i18n = build_i18n()
    with i18n.context(), i18n.use_locale(lang):
        for reason in GAP_REASONS:
            named = why({reason: 2})
            assert named.startswith(": ") and named.endswith(" 2"), (reason, named)
            assert not any("a" <= ch <= "z" for ch in named), (reason, named)  # translated
        assert why({"not-recorded": 3}) == ""  # nothing to say about those
        assert why({"abstained": 1, "not-recorded": 3, VOTED_DOWN: 1}).count(",") == 1
