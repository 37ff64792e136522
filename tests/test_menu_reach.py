"""Every page of the shipped knowledge base is reachable from /menu in three
taps (the rule for state portals): category -> topic -> page, each step one
keyboard that Telegram accepts."""

from pathlib import Path

import pytest
from hashencoder import HashEncoder

from bot.services import Catalog
from embeddings import SearchEngine, build_index, load_knowledge

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
MAX_BUTTONS = 100  # Telegram's limit for one inline keyboard


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    encoder = HashEncoder()
    root = tmp_path_factory.mktemp("menu") / "index"
    corpus = load_knowledge(KNOWLEDGE)
    build_index(corpus, encoder, root, topic_model=False)  # the menu reads no model
    return Catalog(SearchEngine.open(root, encoder)), corpus


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_page_within_three_taps(catalog, lang):
    catalog, corpus = catalog
    reached = set()
    categories = catalog.categories(lang)  # tap 1 opens one of these
    assert 0 < len(categories) <= MAX_BUTTONS
    for category in categories:
        topics = catalog.topics(category.id, lang)  # tap 2 opens one of these
        assert 0 < len(topics) < MAX_BUTTONS  # plus the back button
        for topic in topics:
            page = catalog.page(topic.id, lang)  # tap 3 shows the page
            assert page is not None and page.title
            reached.add(topic.id)
    assert reached == {d.id for d in corpus.documents if d.kind == "page"}
