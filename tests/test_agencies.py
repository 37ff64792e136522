"""Agencies: one typed record per agency, parsed once from agencies.yaml (the
corpus, the index and the bot's directory share it), and the one URL validator."""

import pytest

from bot.services import Announcements, Directory, DirectoryError
from embeddings import (
    MAX_URL,
    Agency,
    CorpusError,
    build_index,
    load_index,
    load_knowledge,
    valid_url,
)


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(("url", "valid"), [
    ("https://egov.kz/cms/ru/services/passport/id_card", True),
    ("http://127.0.0.1:8080/rss.xml", True),
    ("HTTPS://GOV.KZ/n/1", True),
    ("https://gov.kz/" + "a" * (MAX_URL - len("https://gov.kz/")), True),
    ("https://gov.kz/" + "a" * (MAX_URL + 1 - len("https://gov.kz/")), False),  # too long
    ("https://nowhere", False),  # no dot in the host: a typo, not a site
    ("https://localhost/x", False),
    ("nowhere", False),
    ("javascript:alert(1)", False),
    ("ftp://gov.kz/f", False),
    ("https:///gov.kz", False),
    ("https://gov.kz/a b", False),
    ("https://gov.kz/a\u00a0b", False),  # a no-break space
    ("https://gov.kz/\x00", False),  # a database refuses NUL
    ("https://gov.kz/\u202e", False),  # a bidi override shows another address
    ("http://[", False),  # urlsplit raises ValueError: refused, not raised
    ("https://[::1", False),
    ("https://gov.kz:99999/", False),  # port out of range
    (None, False),
    (42, False),
])
def test_one_url_validator_for_every_caller(url, valid):
    assert valid_url(url) is valid


def test_a_malformed_source_url_is_a_corpus_problem_not_a_crash(knowledge):
    _edit(knowledge / "pages/documents/id-card.ru.md",
          "source_url: https://egov.kz/cms/ru/services/passport/id_card",
          "source_url: 'https://[egov.kz'")
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    assert [p.field for p in caught.value.problems] == ["source_url"]


def test_a_malformed_announcement_url_is_a_field_problem(knowledge):
    announcements = Announcements(None, Directory.load(knowledge))
    draft, problems = announcements.parse({"text": {"ru": "Новость"}, "url": "http://["})
    assert draft is None and [p.field for p in problems] == ["url"]


def test_the_directory_holds_the_corpus_records(knowledge):
    directory = Directory.load(knowledge)
    corpus = load_knowledge(knowledge)
    assert directory.agencies == corpus.agencies
    assert all(isinstance(a, Agency) for a in directory.agencies.values())
    assert list(directory.agencies) == list(corpus.agencies)  # file order
    mvd = corpus.agencies["mvd"]
    assert directory.name("mvd", "kk") == mvd.name["kk"]
    assert directory.name("mvd", "ru") == mvd.name["ru"]
    assert directory.name("nobody", "ru") == "nobody"
    assert [a for a, _ in directory.choices("ru", without="mvd")] == \
        [a for a in corpus.agencies if a != "mvd"]


def test_the_directory_refuses_what_the_corpus_refuses(knowledge):
    """Announcements, feeds and staff links checked ids against a looser parse of
    agencies.yaml than the index (a website "nowhere" passed)."""
    _edit(knowledge / "agencies.yaml", "website: https://www.election.gov.kz", "website: nowhere")
    text = (knowledge / "agencies.yaml").read_text(encoding="utf-8").splitlines()
    with pytest.raises(DirectoryError) as caught:
        Directory.load(knowledge)
    message = str(caught.value)
    assert "agencies.yaml" in message and "[cec.website] not a valid URL" in message
    line = int(message.split("agencies.yaml:")[1].split(":")[0])
    assert text[line - 1] == "  - id: cec"


def test_an_empty_agency_list_is_refused(knowledge):
    (knowledge / "agencies.yaml").write_text("agencies: []\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match="non-empty list"):
        Directory.load(knowledge)


def test_the_index_agencies_are_typed_records(knowledge, encoder, tmp_path):
    corpus = load_knowledge(knowledge)
    build_index(corpus, encoder, tmp_path / "index")
    loaded = load_index(tmp_path / "index", encoder)
    assert loaded.agencies == corpus.agencies
    assert all(isinstance(a, Agency) for a in loaded.agencies.values())
