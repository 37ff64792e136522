"""The topic model: augmentation, the fit, the build that trains and reuses it,
the search that uses it, and the fallback without it."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from scipy import sparse
from topickit import HUNTING_THEME, with_questions

from embeddings import (
    CorpusError,
    Decision,
    IndexCorrupt,
    SearchConfig,
    SearchEngine,
    build_index,
    current_build,
    load_index,
    load_knowledge,
    loose,
)
from embeddings import topicmodel as tm
from embeddings.index import corpus_reader
from embeddings.normalize import translit_word


def test_latin_and_plain_keyboard_readings_come_back_through_the_engine():
    rng = random.Random(1)
    for word in ("қалай", "алуға", "тіркеу", "куәлік", "мемлекеттік", "жәрдемақы"):
        latin = tm.to_latin(word)
        assert latin.isascii()
        # The engine's transliteration reads it back, up to the letters a
        # Latin keyboard cannot tell apart (which the typo key forgives).
        assert loose(translit_word(latin, "kk")) == loose(word)
    assert tm.to_latin("Сколько стоит загранпаспорт") == "skolko stoit zagranpasport"
    readings = tm.variants("жеке куәлікті қалай аламын", "kk", rng)
    assert readings[0] == "жеке куәлікті қалай аламын"
    assert "zheke kualikti qalai alamyn" in readings
    assert "жеке куалікти калай аламын".replace("і", "и") in readings  # no Kazakh letters
    assert len(readings) == len(set(readings))


def test_one_typo_changes_one_longer_word():
    rng = random.Random(3)
    for _ in range(50):
        typed = tm.with_typo("как получить удостоверение личности", rng)
        changed = [(a, b) for a, b in zip("как получить удостоверение личности".split(),
                                          typed.split(), strict=True) if a != b]
        assert len(changed) <= 1
        assert all(len(a) >= 5 and abs(len(a) - len(b)) <= 1 for a, b in changed)
    assert tm.with_typo("да нет", rng) == "да нет"


@pytest.mark.parametrize("workers", [1, 3])
def test_the_fit_is_scikit_learns_logistic_regression(workers):
    """The same objective, whatever the threads the sparse products are split
    over; the dense block shares an offset, as embeddings do, which the fit
    centres away and must fold back into the intercept."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    dense = (rng.normal(size=(120, 6)) + np.array([3.0, -2.0, 0, 0, 1.0, 0])).astype(np.float32)
    lexical = sparse.random(120, 15, density=0.2, random_state=1, dtype=np.float32,
                            format="csr")
    y = (dense[:, 0] + lexical.toarray()[:, 0] > 3).astype(int) + (dense[:, 1] > -1)
    wd, wl, b, _ = tm.fit_softmax(dense, lexical, y, 3, l2=1.0 / (2.0 * 120), max_iter=500,
                                  workers=workers)
    ours = dense @ wd.T + lexical @ wl.T + b
    reference = LogisticRegression(C=2.0, max_iter=2000, tol=1e-8).fit(
        sparse.hstack([sparse.csr_matrix(dense), lexical]).tocsr(), y)
    theirs = reference.decision_function(sparse.hstack([sparse.csr_matrix(dense), lexical]))

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert np.abs(softmax(ours) - softmax(theirs)).max() < 0.02


@pytest.mark.parametrize(("cpu_max", "expected"), [
    ("200000 100000\n", 2),  # docker run --cpus 2
    ("150000 100000\n", 2),  # 1.5 CPUs keep two threads partly busy
    ("50000 100000\n", 1),
    ("max 100000\n", None),  # no quota: the CPU set
    ("garbage\n", None),
    (None, None),  # cgroup v1, or not Linux: no file
])
def test_the_fit_uses_the_cpus_a_container_allows(tmp_path, monkeypatch, cpu_max, expected):
    monkeypatch.setattr(tm.os, "sched_getaffinity", lambda pid: set(range(32)), raising=False)
    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max, encoding="ascii")
    assert tm.usable_cpus(path) == (expected or 32)
    monkeypatch.setattr(tm.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert tm.usable_cpus(path) == 1  # a quota never raises the CPU set


def test_the_build_trains_the_model_and_search_uses_it(knowledge, encoder, tmp_path):
    corpus = load_knowledge(with_questions(knowledge))
    assert corpus.near_misses["id-card"]["kk"] == ("банк картасын қалай ашамын",)
    root = tmp_path / "index"
    report = build_index(corpus, encoder, root)
    manifest = json.loads((report.path / "manifest.json").read_text())
    info = manifest["topic_model"]
    assert info["classes"] == 4  # three topics and "none"
    assert info["none_examples"] > 0 and info["examples"] > 18
    loaded = load_index(root, encoder)
    assert loaded.topic_model is not None
    assert sorted(loaded.topic_model.classes) == ["", "id-card", "polling-station",
                                                  "residence-registration"]
    engine = SearchEngine(loaded, encoder)
    result = engine.search("где получить удостоверение личности")
    assert result.hits[0].id == "id-card"
    assert result.decision == Decision.ANSWER and result.confident and result.on_topic
    p = loaded.topic_model.probabilities(
        encoder.encode_queries(["прописка онлайн"])[0],
        loaded.analyzer.terms("прописка онлайн", "ru"))
    assert abs(p.sum() - 1) < 1e-5
    assert loaded.topic_model.classes[int(np.argmax(p))] == "residence-registration"
    # The gap report's paraphrase projection is fitted on the same examples (three
    # topics: two discriminant directions) and comes back with the build.
    assert info["paraphrase_dims"] == 2
    projection = loaded.topic_model.paraphrase
    assert projection is not None and projection.matrix.shape == (encoder.dim, 2)


def test_a_model_saved_before_the_projection_still_loads(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(with_questions(knowledge)), encoder, root)
    folder = root / current_build(root)
    with np.load(folder / tm.FILE) as arrays:
        kept = {k: arrays[k] for k in arrays.files if not k.startswith("paraphrase")}
    np.savez_compressed(folder / tm.FILE, **kept)
    assert load_index(root, encoder).topic_model.paraphrase is None
    np.savez_compressed(folder / tm.FILE, **kept, paraphrase_mean=np.zeros(3, np.float32),
                        paraphrase_matrix=np.zeros((3, 2), np.float32))
    with pytest.raises(IndexCorrupt, match="paraphrase projection"):
        load_index(root, encoder)


def test_a_match_the_model_doubts_is_asked_about_not_answered(knowledge, encoder, tmp_path):
    """Answering takes the confidence and the model's own probability of the
    first topic; a confident match below the probability floor is asked about."""
    root = tmp_path / "index"
    build_index(load_knowledge(with_questions(knowledge)), encoder, root)
    question = "где получить удостоверение личности"
    sure = SearchEngine.open(root, encoder, SearchConfig(model_min_probability=0.0))
    answered = sure.search(question)
    assert answered.decision == Decision.ANSWER and answered.hits[0].id == "id-card"
    doubting = SearchEngine.open(root, encoder, SearchConfig(model_min_probability=1.01))
    asked = doubting.search(question)
    assert asked.confidence == answered.confidence
    assert asked.decision == Decision.CLARIFY and not asked.confident
    assert asked.hits[0].id == "id-card" and asked.options >= 2


def test_a_rebuild_with_the_same_examples_reuses_the_model(knowledge, encoder, tmp_path):
    corpus = load_knowledge(with_questions(knowledge))
    root = tmp_path / "index"
    first = build_index(corpus, encoder, root)
    second = build_index(corpus, encoder, root)
    a = json.loads((first.path / "manifest.json").read_text())["topic_model"]
    b = json.loads((second.path / "manifest.json").read_text())["topic_model"]
    assert a == b  # the same digest and the same training record: not trained again
    # The report counts the training questions as they were: embedded by the first
    # build (none were cached), neither embedded nor counted by the one reusing it.
    assert first.topic_model == "trained" and first.questions == a["examples"]
    repeated = first.questions - len({p.dense_text for p in _readings(corpus)})
    assert repeated > 0  # «удо» questions read the same once corrected
    assert first.questions_cached == 0
    assert first.questions_embedded == first.questions - repeated
    assert (f"topic model trained on {first.questions} questions ({first.questions_embedded} "
            f"embedded now, 0 from the cache, {repeated} read the same as another)"
            in first.summary())
    assert second.topic_model == "reused" and second.questions == 0
    assert "the published build's" in second.summary()
    page = next(knowledge.glob("pages/*/id-card.ru.md"))
    page.write_text(page.read_text(encoding="utf-8").replace(
        "  - удо в 16 лет где делать", "  - удо в 16 лет где делать\n  - потерял удо"),
        encoding="utf-8")
    third = build_index(load_knowledge(knowledge), encoder, root)
    c = json.loads((third.path / "manifest.json").read_text())["topic_model"]
    assert c["digest"] != a["digest"]
    # Retrained on one question more: it (and the few the new words read otherwise) is
    # embedded, the rest comes from the cache.
    assert third.topic_model == "trained"
    assert 0 < third.questions_embedded < 10 < third.questions_cached


def _readings(corpus):
    """The training questions as the build reads them (typos corrected, as in search)."""
    reader = corpus_reader(corpus)
    return [tm.Prepared(reader.process(s.text)[3], []) for s in
            tm.examples(corpus, corpus.near_misses)]


def test_without_example_questions_the_engine_searches_as_before(knowledge, encoder, tmp_path):
    build_index(load_knowledge(knowledge), encoder, tmp_path / "index")
    loaded = load_index(tmp_path / "index", encoder)
    assert loaded.topic_model is None
    assert "topic_model" not in loaded.manifest
    engine = SearchEngine(loaded, encoder)
    found = engine.search("удостоверение личности")
    assert found.decision == Decision.ANSWER and found.confident
    lost = engine.search("рецепт плова с бараниной")
    assert lost.decision == Decision.ABSTAIN and not lost.confident
    # and a build told not to train has none either
    build_index(load_knowledge(with_questions(knowledge)), encoder, tmp_path / "plain",
                topic_model=False)
    assert load_index(tmp_path / "plain", encoder).topic_model is None


def test_a_damaged_model_file_names_itself(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(with_questions(knowledge)), encoder, root)
    (root / current_build(root) / tm.FILE).write_bytes(b"not an npz archive")
    with pytest.raises(IndexCorrupt, match=r"topic_model\.npz"):
        load_index(root, encoder)


def test_near_misses_must_name_catalogue_topics(knowledge):
    (knowledge / "near_misses").mkdir()
    (knowledge / "near_misses" / "documents.yaml").write_text(
        "id-card:\n  ru: [как получить права в Германии]\n"
        "no-such-topic:\n  kk: [бірдеңе]\n"
        "residence-registration:\n  ru: прописка в Москве\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_knowledge(knowledge)
    text = str(err.value)
    assert "documents.yaml" in text and "no-such-topic" in text
    assert "residence-registration.ru" in text and "list of questions" in text


def test_with_the_model_an_out_of_scope_theme_still_names_its_agency(knowledge, encoder,
                                                                     tmp_path):
    (knowledge / "out_of_scope.yaml").write_text(HUNTING_THEME, encoding="utf-8")
    root = tmp_path / "index"
    build_index(load_knowledge(with_questions(knowledge)), encoder, root)
    engine = SearchEngine.open(root, encoder)
    assert engine.index.topic_model is not None
    assert "hunting" in engine.index.topic_model.classes  # a class of its own
    result = engine.search("охотничий билет разрешение на охоту")
    assert result.elsewhere is not None and result.elsewhere.id == "hunting"
    assert result.decision == Decision.ABSTAIN and result.on_topic
    # A question no page answers and the theme does not name: no agency to turn
    # to (trained as "no page answers", the theme used to share that
    # probability and rank first for any such question, a recipe included).
    result = engine.search("удостоверение тракториста в частной автошколе цена")
    assert result.elsewhere is None
    assert result.decision == Decision.ABSTAIN and not result.on_topic
    # A theme that ranks first without the model's say-so names no agency,
    # and no page is answered in its place either.
    unsure = SearchEngine.open(root, encoder, SearchConfig(theme_min_probability=1.01))
    result = unsure.search("охотничий билет разрешение на охоту")
    assert result.elsewhere is None and result.decision == Decision.ABSTAIN


def test_a_topic_the_model_does_not_know_is_ranked_by_retrieval(knowledge, encoder, tmp_path):
    """A published answer added after the model was trained is neither hidden
    nor favoured by it."""
    root = tmp_path / "index"
    build_index(load_knowledge(with_questions(knowledge)), encoder, root)
    engine = SearchEngine.open(root, encoder)
    stats = engine._state[2]
    scored = engine.score("где мой избирательный участок")
    before, _ = stats.model.probabilities(scored.vector, scored.terms)
    i = engine.index.topic_ids.index("polling-station")
    assert before[i] == before.max()  # the model's own pick
    stats.model.known[i] = False  # as if this topic had come after the model
    after, _ = stats.model.probabilities(scored.vector, scored.terms)
    others = np.delete(before, i)
    assert after[i] == pytest.approx(others.max())
    assert np.allclose(np.delete(after, i), others)
