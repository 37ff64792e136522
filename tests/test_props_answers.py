"""Any text a citizen sends reaches what this issue added without breaking it:
the small-talk classifier, the training augmentation and the engine's
decision with a topic model (hypothesis)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hashencoder import HashEncoder
from hypothesis import given, settings
from hypothesis import strategies as st
from topickit import with_questions

from bot.services import smalltalk
from embeddings import Decision, SearchConfig, SearchEngine, build_index, load_knowledge
from embeddings import topicmodel as tm

FIXTURES = Path(__file__).parent / "fixtures"
# Letters of both languages, digits, punctuation, emoji, controls and markup.
TEXT = st.lists(st.sampled_from(
    list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі АБВГҚӘ abcxyzQWE 0123456789")
    + list(".,!?-—«»()<>&*#/\\\n\t\x00\u200b\u202e") + ["🙂", "👍", "🇰🇿", "е́"]),
    max_size=80).map("".join)


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    knowledge = tmp_path_factory.mktemp("props") / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", knowledge)
    encoder = HashEncoder()
    root = knowledge.parent / "index"
    build_index(load_knowledge(with_questions(knowledge)), encoder, root)
    # thresholds that make all three decisions reachable with the test encoder
    return SearchEngine.open(root, encoder, SearchConfig(model_min_confidence=0.9,
                                                         clarify_confidence=0.3))


@given(TEXT)
def test_small_talk_reads_any_text(text):
    kind = smalltalk.classify(text)
    assert kind is None or isinstance(kind, smalltalk.Kind)
    if kind is None:
        searched = smalltalk.question_text(text)
        assert isinstance(searched, str) and len(searched) <= len(text) + 1


@given(TEXT, st.sampled_from(["kk", "ru"]), st.integers(0, 10_000))
def test_the_augmentation_reads_any_text(text, lang, seed):
    readings = tm.variants(text, lang, random.Random(seed))
    assert readings[0] == text and len(readings) == len(set(readings))
    latin = tm.to_latin(text)
    assert not set(latin) & set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі")


@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_the_engine_decides_on_any_text(engine, text):
    assert engine.index.topic_model is not None
    result = engine.search(text)
    assert result.decision in set(Decision)
    assert result.confident == (result.decision == Decision.ANSWER)
    assert 0.0 <= result.confidence <= 1.0
    if result.decision == Decision.CLARIFY:
        assert 2 <= result.options <= min(3, len(result.hits))
    else:
        assert result.options == 0
