import asyncio

import pytest
from topickit import HUNTING_THEME

from embeddings import SearchConfig, SearchEngine, build_index, load_knowledge
from embeddings.results import make_snippet


@pytest.fixture
def engine(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    return SearchEngine.open(root, encoder)


@pytest.mark.parametrize(
    ("question", "topic", "lang"),
    [
        ("Как получить удостоверение личности?", "id-card", "ru"),
        ("жеке куәлікті қайдан аламын", "id-card", "kk"),
        ("прописка онлайн", "residence-registration", "ru"),
        ("тұрақты тіркеуге қалай тұрамын", "residence-registration", "kk"),
        ("где мой избирательный участок", "polling-station", "ru"),
        ("zheke kualik alu", "id-card", "kk"),  # Latin script, no Kazakh letters
        ("propiska", "residence-registration", "ru"),
        ("удаставерение личнасти", "id-card", "ru"),  # typos
        ("сайлау учаскесі қайда", "polling-station", "kk"),
    ],
)
def test_finds_the_topic_in_the_question_language(engine, question, topic, lang):
    result = engine.search(question)
    assert result.hits[0].id == topic
    assert result.lang == lang
    assert result.hits[0].lang == lang and not result.hits[0].fallback


def test_results_are_distinct_topics_with_snippet_and_source(engine):
    result = engine.search("удостоверение личности документы")
    ids = [h.id for h in result.hits]
    assert len(ids) == len(set(ids)) == 3
    top = result.hits[0]
    assert top.url == "https://egov.kz/cms/ru/services/passport/id_card"
    assert top.section and top.snippet


def test_other_language_is_a_flagged_fallback(knowledge, encoder, tmp_path):
    from embeddings.corpus import Corpus

    corpus = load_knowledge(knowledge)
    only_ru = Corpus([d for d in corpus.documents if not (d.id == "id-card" and d.lang == "kk")],
                     corpus.categories, corpus.topics, corpus.agencies, corpus.synonyms, "x")
    build_index(only_ru, encoder, tmp_path / "i")
    engine = SearchEngine.open(tmp_path / "i", encoder)
    hit = engine.search("удостоверение личности алу керек пе").hits[0]
    assert hit.id == "id-card" and hit.lang == "ru" and hit.fallback


def test_json_shape(engine):
    data = engine.search("прописка").as_json()
    assert set(data) == {"lang", "confident", "decision", "results"}
    assert set(data["results"][0]) == {"id", "title", "lang", "url", "score", "snippet"}


def test_empty_and_punctuation_only_questions_abstain(engine):
    for text in ("", "???", "   "):
        result = engine.search(text)
        assert not result.confident and result.hits == []


def test_lexical_only_and_dense_only_weights(knowledge, encoder, tmp_path):
    build_index(load_knowledge(knowledge), encoder, tmp_path / "i")
    for weight in (0.0, 1.0):
        engine = SearchEngine.open(tmp_path / "i", encoder, SearchConfig(lexical_weight=weight))
        assert engine.search("прописка онлайн").hits[0].id == "residence-registration"


async def test_asearch_runs_off_the_event_loop(engine):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    results = await asyncio.gather(*(engine.asearch("прописка") for _ in range(20)))
    task.cancel()
    assert all(r.hits[0].id == "residence-registration" for r in results)
    assert ticks > 0  # the loop kept running while searches ran in threads


def test_snippet_cuts_at_a_sentence_end():
    text = "Первое предложение. " * 30
    snippet = make_snippet(text, 100)
    assert len(snippet) <= 102 and snippet.endswith("предложение. …")
    assert make_snippet("коротко", 100) == "коротко"


def test_topic_scores_add_a_share_of_the_second_best_chunk():
    import numpy as np

    from embeddings.ranking import topic_scores

    chunk_topic = np.array([0, 0, 1, 2, 2, 2])
    fused = np.array([1.0, 3.0, 2.0, -1.0, 0.5, -2.0])
    scores = topic_scores(chunk_topic, fused, 4, 0.5)
    assert scores[:3].tolist() == [3.5, 2.0, 0.5]  # a negative second best adds nothing
    assert scores[3] == -np.inf  # a topic without chunks never ranks


def test_keyboard_without_kazakh_letters_is_corrected_and_detected_as_kazakh(engine):
    result = engine.search("жеке куалигимди кайдан аламын")
    assert result.lang == "kk"
    assert result.hits[0].id == "id-card" and result.hits[0].lang == "kk"
    assert "куәлігимди" in result.normalized.split()  # stem restored, ending as typed


def test_inflections_the_index_has_never_seen_are_not_corrected(engine):
    # «куәліктеріңіз» is not in the fixture, but its stem is: no correction
    assert "куәліктеріңіз" in engine.search("куәліктеріңіз").normalized


def test_an_out_of_scope_theme_that_wins_makes_the_engine_abstain(knowledge, encoder, tmp_path):
    (knowledge / "out_of_scope.yaml").write_text(HUNTING_THEME, encoding="utf-8")
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    engine = SearchEngine.open(root, encoder, SearchConfig(min_confidence=1e-9))
    result = engine.search("охотничий билет где получить")
    assert not result.confident
    assert (result.elsewhere.id, result.elsewhere.agency) == ("hunting", "mvd")
    assert "hunting" not in [h.id for h in result.hits]  # hits are pages only
    assert result.as_json()["elsewhere"]["id"] == "hunting"
    # a question a page answers is not taken by the theme
    result = engine.search("Как получить удостоверение личности?")
    assert result.confident and result.elsewhere is None
    assert result.hits[0].id == "id-card"


def test_a_page_is_found_by_its_example_questions_and_never_shows_them(knowledge, encoder,
                                                                        tmp_path):
    """`questions:` go into one chunk of their page: a citizen's question worded
    like them (and like nothing in the page's text) finds the page, and the
    card still shows one of the page's sections."""
    from embeddings.corpus import QUESTIONS

    question = "малыш потерял ксиву что делать"
    root = tmp_path / "before"
    build_index(load_knowledge(knowledge), encoder, root)
    assert SearchEngine.open(root, encoder).search(question).hits[0].id != "id-card"

    page = knowledge / "pages" / "documents" / "id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "keywords: [удостоверение, удо, жеке куәлік]\n",
        "keywords: [удостоверение, удо, жеке куәлік]\n"
        "questions:\n  - сын потерял ксиву что делать\n  - где менять удо\n"), encoding="utf-8")
    corpus = load_knowledge(knowledge)
    [chunk] = [c for c in corpus.chunks() if c.doc_id == "id-card" and c.lang == "ru"
               and c.ordinal == QUESTIONS]
    assert chunk.text == "сын потерял ксиву что делать\nгде менять удо"
    root = tmp_path / "after"
    build_index(corpus, encoder, root)
    hit = SearchEngine.open(root, encoder).search(question).hits[0]
    assert hit.id == "id-card"
    assert hit.section in {"Кто получает", "Где подать заявление", "Документы"}
    assert "ксив" not in hit.snippet
