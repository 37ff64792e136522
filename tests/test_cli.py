import asyncio
import functools
import io
import json
import logging
import re

import pytest
from test_publisher import built_titles, publish
from tqdm import tqdm
from typer.testing import CliRunner

from bot.cli import app
from bot.storage import Storage
from embeddings import current_build

runner = CliRunner()


@pytest.fixture
def env(knowledge, tmp_path, monkeypatch, encoder):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ENCODER", "test-hash")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.cli.retrieval.make_encoder", lambda spec: encoder)
    return tmp_path


def test_index_check_build_ask_and_eval(env, knowledge):
    result = runner.invoke(app, ["index", "--check"])
    assert result.exit_code == 0, result.output
    assert "6 pages (3 topics)" in result.output and "no errors" in result.output
    assert not (env / "index").exists()

    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    assert current_build(env / "index") in result.output
    assert re.search(r"(\d+) chunks: \1 embedded now, 0 from the embedding cache",
                     result.output), result.output
    again = runner.invoke(app, ["index"])  # everything from the cache: said so
    assert re.search(r"(\d+) chunks: 0 embedded now, \1 from the embedding cache",
                     again.output), again.output
    assert "rest from cache" not in result.output + again.output

    result = runner.invoke(app, ["ask", "прописка онлайн", "--json", "--k", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["lang"] == "ru" and len(data["results"]) == 2
    assert data["results"][0]["id"] == "residence-registration"

    questions = env / "q.jsonl"
    questions.write_text(
        "\n".join(json.dumps(q, ensure_ascii=False) for q in [
            {"q": "прописка", "lang": "ru", "expected": ["residence-registration"], "kind": "k"},
            {"q": "жеке куәлік", "lang": "kk", "expected": ["id-card"]},
            {"q": "рецепт плова", "lang": "ru", "expected": []},
        ]), encoding="utf-8")
    result = runner.invoke(app, ["eval", "--questions", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    for key in ("n", "hit@1", "hit@3", "hit@5", "mrr@10", "by_lang", "by_kind",
                "oos_false_answer_rate", "in_scope_abstain_rate", "lang_match@1", "latency_ms"):
        assert key in metrics
    assert metrics["n"] == 3 and metrics["hit@1"] == 1.0
    assert set(metrics["by_lang"]) == {"kk", "ru"} and set(metrics["by_kind"]) == {"k"}
    assert set(metrics["latency_ms"]) == {"p50", "p95"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_build_progress_shows_each_stage_on_a_terminal(monkeypatch):
    """A first build embeds thousands of chunks, then the topic model's questions:
    on a terminal each stage has its bar, counted to its own total."""
    from bot.cli.base import Progress

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    # Draw every update (a person's terminal is redrawn at most ten times a second).
    monkeypatch.setattr("bot.cli.base.tqdm", functools.partial(tqdm, mininterval=0, miniters=1))
    bar = Progress(0, "the sections")
    questions = bar.stage("the questions", "question")
    for done in (16, 32, 40):
        bar.progress(done, 40)
    for done in (100, 250):
        questions(done, 250)
    bar.close()
    shown = terminal.getvalue()
    assert "embedding the sections" in shown and "40/40" in shown
    assert "embedding the questions" in shown and "250/250" in shown
    assert shown.index("40/40") < shown.index("embedding the questions")


def test_the_build_progress_is_silent_off_a_terminal(monkeypatch):
    from bot.cli.base import Progress

    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    bar = Progress(0, "the sections")
    bar.progress(5, 10)
    bar.stage("the questions", "question")(3, 3)
    bar.close()
    assert piped.getvalue() == ""


def test_library_info_lines_stay_out_of_the_terminal(monkeypatch, tmp_path):
    """`make run` runs `saual index`, `saual stations import` and the chat in one
    terminal: alembic's lines on every database open would clutter it."""
    from bot.cli.base import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    load_settings()
    assert logging.getLogger("alembic.runtime.migration").getEffectiveLevel() == logging.WARNING
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)  # a developer asking for everything gets it
    try:
        load_settings()
        assert logging.getLogger("alembic").getEffectiveLevel() == logging.DEBUG
    finally:
        root.setLevel(level)
        load_settings()


def test_broken_knowledge_is_refused_and_the_serving_index_stays(env, knowledge):
    assert runner.invoke(app, ["index"]).exit_code == 0
    serving = current_build(env / "index")
    page = knowledge / "pages/documents/id-card.kk.md"
    page.write_text(page.read_text(encoding="utf-8").replace("lang: kk", "lang: en"),
                    encoding="utf-8")
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 1
    assert "id-card.kk.md:3: [lang] must be one of kk, ru" in result.output
    assert "left as it was" in result.output
    assert current_build(env / "index") == serving


def test_index_keeps_the_published_answers(env, knowledge, encoder, monkeypatch):
    """A maintainer's rebuild reads the answers published in the database too (else it
    would drop them from search) and records the build the worker waited for."""
    url = f"sqlite+aiosqlite:///{env}/saual.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)

    async def in_database(work):
        storage = Storage.from_url(url)
        try:
            await storage.migrate()
            return await work(storage)
        finally:
            await storage.close()

    ticket = asyncio.run(in_database(lambda s: publish(s, "Как восстановить паспорт?")))
    result = runner.invoke(app, ["index", "--check"])
    assert result.exit_code == 0, result.output
    assert "1 published answers" in result.output and not (env / "index").exists()
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    assert "1 published answers" in result.output
    assert built_titles(env / "index", encoder) == {str(ticket): "Как восстановить паспорт?"}
    state = asyncio.run(in_database(lambda s: s.qa_pages.state()))
    assert (state.wanted, state.built, state.lease_owner) == (1, 1, None)


def test_eval_on_a_passage_set(env):
    passages = env / "p.jsonl"
    passages.write_text(
        '{"id": "a", "lang": "kk", "title": "Абай", "text": "Абай Құнанбайұлы ақын болған."}\n'
        '{"id": "b", "lang": "kk", "title": "Алматы", "text": "Алматы — ең үлкен қала."}\n',
        encoding="utf-8")
    questions = env / "q.jsonl"
    questions.write_text('{"q": "Абай кім болған?", "lang": "kk", "expected": ["a"]}\n'
                         '{"q": "Ең үлкен қала қайсы?", "lang": "kk", "expected": ["b"]}\n',
                         encoding="utf-8")
    args = ["eval", "--questions", str(questions), "--passages", str(passages), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["hit@1"] == 1.0
    # the second run reuses the passage index
    assert runner.invoke(app, args).exit_code == 0


def test_ask_without_an_index_says_how_to_build_one(env):
    result = runner.invoke(app, ["ask", "прописка"])
    assert result.exit_code == 1
    assert "saual index" in result.output
