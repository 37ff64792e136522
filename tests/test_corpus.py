import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from embeddings import CorpusError, load_knowledge, load_passages, parse_page
from embeddings.corpus import QUESTIONS
from embeddings.topicmodel import examples


def test_fixture_loads_with_chunks_per_section(knowledge):
    corpus = load_knowledge(knowledge)
    assert len(corpus.documents) == 6
    doc = corpus.document("id-card", "ru")
    assert [s.heading for s in doc.sections] == ["Кто получает", "Где подать заявление",
                                                  "Документы"]
    chunks = [c for c in corpus.chunks() if c.doc_id == "id-card" and c.lang == "ru"]
    assert [c.ordinal for c in chunks] == [0, 1, 2, 3]  # summary chunk + one per section
    assert corpus.agencies["mvd"].name["kk"] == "Ішкі істер министрлігі"
    assert corpus.synonyms["residence-registration"][0] == "прописка"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_problem_is_reported_at_once_with_path_line_and_field(knowledge):
    pages = knowledge / "pages"
    _edit(pages / "documents/id-card.ru.md", "summary: Удостоверение", "summry: Удостоверение")
    _edit(pages / "documents/id-card.kk.md", "agency: mvd", "agency: nobody")
    _edit(pages / "documents/residence-registration.ru.md",
          "source_url: https://egov.kz/cms/ru/services/registration", "source_url: egov kz")
    _edit(pages / "documents/residence-registration.kk.md", "updated: 2026-11-27",
          "updated: 27.11.2026")
    _edit(pages / "participation/polling-station.ru.md", "## Что взять с собой\n", "## Пусто\n\n"
          "## Что взять с собой\n")
    (pages / "participation/polling-station.kk.md").unlink()

    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    problems = {(Path(p.path).name, p.field): p for p in caught.value.problems}
    assert problems[("id-card.ru.md", "summary")].line == 2  # the front matter it is missing from
    assert "unknown agency 'nobody'" in problems[("id-card.kk.md", "agency")].reason
    assert "malformed URL" in problems[("residence-registration.ru.md", "source_url")].reason
    assert problems[("residence-registration.ru.md", "source_url")].line == 8
    assert "not a date" in problems[("residence-registration.kk.md", "updated")].reason
    empty = problems[("polling-station.ru.md", "body")]
    assert "empty section 'Пусто'" in empty.reason and empty.line == 16  # after `status:`
    assert "has no kk page" in problems[("polling-station.ru.md", "lang")].reason
    assert len(caught.value.problems) == 6
    assert "id-card.ru.md:2: [summary] missing or empty" in str(caught.value)


def test_duplicate_ids_unknown_topic_and_category(knowledge):
    pages = knowledge / "pages"
    dup = (pages / "documents/id-card.ru.md").read_text(encoding="utf-8")
    (pages / "participation/id-card.ru.md").write_text(dup, encoding="utf-8")
    stray = dup.replace("id: id-card", "id: hunting-licence").replace(
        "category: documents", "category: hunting")
    (pages / "documents/hunting-licence.ru.md").write_text(stray, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    reasons = [p.reason for p in caught.value.problems]
    assert any(r.startswith("duplicate id 'id-card'") for r in reasons)
    assert any("unknown category 'hunting'" in r for r in reasons)
    assert any("topic 'hunting-licence' is not in catalog.yaml" in r for r in reasons)


def _problems(knowledge) -> set[tuple[str, str, str]]:
    """(file name, field, reason) of every problem loading `knowledge` finds."""
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    return {(Path(p.path).name, p.field, p.reason) for p in caught.value.problems}


def test_an_example_question_has_one_answer(knowledge):
    """The same example question on two topics, or one that is also a near miss,
    would teach the topic model two answers to it: the page that repeats it is
    named (the same words whatever the case, punctuation or ё)."""
    pages = knowledge / "pages"
    _edit(pages / "documents/id-card.ru.md", "keywords: [",
          "questions:\n  - где сделать удостоверение\n  - как сменить прописку\n"
          "  - чехол для удостоверения купить\nkeywords: [")
    _edit(pages / "documents/residence-registration.ru.md", "keywords: [",
          "questions:\n  - Как сменить прописку?\nkeywords: [")
    _edit(pages / "documents/residence-registration.kk.md", "keywords: [",
          "questions:\n  - где сделать удостоверение\nkeywords: [")  # another language: fine
    (knowledge / "near_misses").mkdir()
    (knowledge / "near_misses/documents.yaml").write_text(
        "id-card:\n  ru:\n    - Чехол для удостоверения, купить!\n", encoding="utf-8")
    found = _problems(knowledge)
    assert found == {
        ("id-card.ru.md", "questions",
         "example question 'чехол для удостоверения купить' is also a near miss of 'id-card': "
         "the topic model would learn two answers to it"),
        # the page read later repeats the one read first
        ("residence-registration.ru.md", "questions",
         "example question 'Как сменить прописку?' is also an example question of 'id-card': "
         "the topic model would learn two answers to it"),
    }


def test_catalogue_topic_without_pages_is_an_error(knowledge):
    for path in (knowledge / "pages/participation").glob("*.md"):
        path.unlink()
    with pytest.raises(CorpusError, match="catalogue topic 'polling-station'"):
        load_knowledge(knowledge)


def test_front_matter_yaml_error_and_missing_front_matter(knowledge):
    (knowledge / "pages/documents/id-card.ru.md").write_text("## Только текст\nтекст\n",
                                                             encoding="utf-8")
    (knowledge / "pages/documents/id-card.kk.md").write_text(
        "---\nid: [unclosed\n---\n## a\nb\n", encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    reasons = {Path(p.path).name: p.reason for p in caught.value.problems}
    assert "no YAML front matter" in reasons["id-card.ru.md"]
    assert "not valid YAML" in reasons["id-card.kk.md"]


def test_synonym_term_in_two_groups_is_refused(knowledge):
    with open(knowledge / "synonyms.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - id: other\n    terms: [Прописка, тіркелу]\n")
    with pytest.raises(CorpusError, match="already in group 'residence-registration'"):
        load_knowledge(knowledge)


def test_passages_load_and_report_bad_lines(tmp_path):
    good = tmp_path / "passages.jsonl"
    good.write_text(
        json.dumps({"id": "p1", "lang": "kk", "title": "Абай_Құнанбайұлы", "text": "Ақын."}) + "\n",
        encoding="utf-8")
    corpus = load_passages(good)
    assert corpus.documents[0].title == "Абай Құнанбайұлы"
    assert corpus.chunks()[0].text == "Ақын."
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "p1", "lang": "kk", "text": "a"}\n{"id": "p1", "lang": "en", '
                   '"text": ""}\nnot json\n', encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_passages(bad)
    lines = sorted((p.line, p.field) for p in caught.value.problems)
    assert lines == [(2, "lang"), (2, "text"), (3, "")]


THEMES = """themes:
  - id: hunting
    agency: mvd
    title: {kk: Аң аулау, ru: Охота и охотничий билет}
    keywords:
      kk: [аң аулау, аңшы куәлігі]
      ru: [охота, охотничий билет, разрешение на охоту]
"""


def test_out_of_scope_themes_load_as_redirects_in_both_languages(knowledge):
    (knowledge / "out_of_scope.yaml").write_text(THEMES, encoding="utf-8")
    corpus = load_knowledge(knowledge)
    [kk, ru] = [d for d in corpus.documents if d.kind == "redirect"]
    assert (kk.id, kk.lang, ru.lang, ru.title) == ("hunting", "kk", "ru", "Охота и охотничий билет")
    assert ru.keywords == ("охота", "охотничий билет", "разрешение на охоту")
    assert ru.agency == "mvd" and ru.source_url == corpus.agencies["mvd"].website
    [chunk] = [c for c in corpus.chunks() if c.doc_id == "hunting" and c.lang == "ru"]
    assert "охотничий билет" in chunk.text
    assert kk.questions == ru.questions == ()


def test_an_out_of_scope_theme_carries_questions_indexed_and_trained_as_its_class(knowledge):
    """A theme's questions are searched like a page's example questions and
    teach the topic model the theme (a class of its own, not a page's)."""
    (knowledge / "out_of_scope.yaml").write_text(
        THEMES + "    questions:\n      ru: [' где купить путёвку на охоту на утку ']\n",
        encoding="utf-8")
    corpus = load_knowledge(knowledge)
    [kk, ru] = [d for d in corpus.documents if d.kind == "redirect"]
    assert (kk.questions, ru.questions) == ((), ("где купить путёвку на охоту на утку",))
    [chunk] = [c for c in corpus.chunks() if c.doc_id == "hunting" and c.ordinal == QUESTIONS]
    assert (chunk.lang, chunk.text) == ("ru", "где купить путёвку на охоту на утку")
    trained = [e for e in examples(corpus) if e.text == "где купить путёвку на охоту на утку"]
    assert [(e.lang, e.label, e.theme) for e in trained] == [("ru", "hunting", True)]


def test_a_page_question_that_a_theme_also_asks_is_refused(knowledge):
    themes = THEMES + "    questions:\n      kk: ['Аңшы куәлігін қалай аламын?', 7]\n" \
        "      ru: [где сделать удостоверение]\n"
    (knowledge / "out_of_scope.yaml").write_text(themes, encoding="utf-8")
    _edit(knowledge / "pages/documents/id-card.ru.md", "keywords: [",
          "questions:\n  - Где сделать удостоверение?\nkeywords: [")
    found = _problems(knowledge)
    assert found == {
        ("out_of_scope.yaml", "hunting.questions.kk", "must be a list of questions (text)"),
    }
    (knowledge / "out_of_scope.yaml").write_text(themes.replace("', 7]", "']"), encoding="utf-8")
    found = _problems(knowledge)
    assert found == {
        ("id-card.ru.md", "questions",
         "example question 'Где сделать удостоверение?' is also a question of the out-of-scope "
         "theme 'hunting': the topic model would learn two answers to it"),
    }


def test_bad_out_of_scope_themes_are_reported_with_line_and_field(knowledge):
    bad = THEMES.replace("agency: mvd", "agency: nobody").replace(
        "      kk: [аң аулау, аңшы куәлігі]\n", "") + """  - id: id-card
    agency: mvd
    title: {kk: Жеке куәлік, ru: Удостоверение}
    keywords: {kk: [куәлік], ru: [удостоверение]}
"""
    (knowledge / "out_of_scope.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    problems = {p.field: p for p in caught.value.problems}
    assert "unknown agency 'nobody'" in problems["hunting.agency"].reason
    assert problems["hunting.agency"].line == 2
    assert "needs a list" in problems["hunting.keywords.kk"].reason
    assert "catalogue topic" in problems["id-card.id"].reason
    assert all(Path(p.path).name == "out_of_scope.yaml" for p in caught.value.problems)


def test_an_agency_problem_names_its_line(knowledge):
    _edit(knowledge / "agencies.yaml", "website: https://www.election.gov.kz", "website: nowhere")
    text = (knowledge / "agencies.yaml").read_text(encoding="utf-8").splitlines()
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    [problem] = [p for p in caught.value.problems if p.field == "cec.website"]
    assert text[problem.line - 1] == "  - id: cec"


QA_FRONT = ("---\nid: '7'\nlang: ru\ntitle: Вопрос\nsummary: Ответ.\ncategory: documents\n"
            "agency: mvd\nsource_url: https://example.kz\nupdated: 2026-12-01\nkeywords: [a]\n"
            "---\n")


def test_a_qa_page_has_the_question_and_the_answer_only(knowledge):
    """A published answer with a third section (a forged "agency answer") is
    refused, and "##" alone on a line does not make the next line a heading."""
    page = knowledge / "qa" / "mvd" / "7.ru.md"
    page.parent.mkdir(parents=True)
    page.write_text(QA_FRONT + "## Вопрос\nКак?\n##\nОтвет ведомства\nфишинг\n\n"
                    "## Ответ ведомства\nВ ЦОНе.\n", encoding="utf-8")
    [doc] = [d for d in load_knowledge(knowledge).documents if d.kind == "qa"]
    assert [s.heading for s in doc.sections] == ["Вопрос", "Ответ ведомства"]
    page.write_text(QA_FRONT + "## Вопрос\nКак?\n## Ответ ведомства\nфишинг\n\n"
                    "## Ответ ведомства\nВ ЦОНе.\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_knowledge(knowledge)
    [problem] = err.value.problems
    assert (problem.path, problem.line, problem.field) == (str(page), 12, "body")
    assert "two sections" in problem.reason


QA_BODY = "## Вопрос\nКак?\n\n## Ответ ведомства\nВ ЦОНе.\n"


def test_parse_page_checks_one_page_as_the_loader_does():
    doc = parse_page(QA_FRONT + QA_BODY, "qa/mvd/7.ru.md", qa=True)
    assert (doc.id, doc.kind, doc.path) == ("7", "qa", "qa/mvd/7.ru.md")
    assert [s.heading for s in doc.sections] == ["Вопрос", "Ответ ведомства"]
    page = QA_FRONT.replace("\nupdated:", "\nstatus: draft\nupdated:")
    assert parse_page(page + QA_BODY, "pages/documents/7.ru.md").kind == "page"
    with pytest.raises(CorpusError, match=r"\[status\] missing: draft or verified"):
        parse_page(QA_FRONT + QA_BODY, "pages/documents/7.ru.md")  # a page says its status
    with pytest.raises(CorpusError) as err:  # a third section, and another file name
        parse_page(QA_FRONT + QA_BODY + "## Ещё\nтекст\n", "qa/mvd/8.ru.md", qa=True)
    [problem] = err.value.problems
    assert (problem.path, problem.field) == ("qa/mvd/8.ru.md", "body")
    with pytest.raises(CorpusError) as err:
        parse_page(QA_FRONT + QA_BODY, "qa/mvd/8.ru.md", qa=True)
    assert "file name must be 7.ru.md" in str(err.value)
    with pytest.raises(CorpusError) as err:
        parse_page(QA_FRONT.replace("lang: ru", "lang: en") + QA_BODY, "qa/mvd/7.ru.md")
    assert "[lang] must be one of kk, ru" in str(err.value)


def test_extra_answers_load_and_replace_the_files_of_their_name(knowledge):
    """Published answers kept elsewhere (the bot's database) come in as `extra`
    texts: each replaces the file under qa/ of its file name, whatever agency
    folder holds it; None withdraws that file; other files load as they are."""
    folder = knowledge / "qa" / "mvd"
    folder.mkdir(parents=True)
    (folder / "7.ru.md").write_text(QA_FRONT + QA_BODY, encoding="utf-8")
    eight = QA_FRONT.replace("id: '7'", "id: '8'")
    (folder / "8.ru.md").write_text(eight + QA_BODY, encoding="utf-8")
    (folder / "9.ru.md").write_text(QA_FRONT.replace("id: '7'", "id: '9'") + QA_BODY,
                                    encoding="utf-8")
    plain = load_knowledge(knowledge)
    newer = QA_FRONT.replace("title: Вопрос", "title: Новый вопрос") + QA_BODY
    corpus = load_knowledge(knowledge, extra={"qa/cec/7.ru.md": newer, "qa/mvd/8.ru.md": None})
    qa = {d.id: d for d in corpus.documents if d.kind == "qa"}
    assert set(qa) == {"7", "9"}
    assert (qa["7"].title, qa["7"].path) == ("Новый вопрос", "qa/cec/7.ru.md")
    assert corpus.digest != plain.digest

    broken = QA_FRONT.replace("category: documents", "category: hunting") + QA_BODY
    with pytest.raises(CorpusError) as err:
        load_knowledge(knowledge, extra={"qa/mvd/7.ru.md": broken})
    [problem] = err.value.problems  # reported under the extra page's name
    assert (problem.path, problem.field) == ("qa/mvd/7.ru.md", "category")


def _page(front_extra: str) -> str:
    front = QA_FRONT.replace("\nupdated:", f"\n{front_extra}updated:")
    return front + QA_BODY


def test_a_verified_page_names_the_agency_and_the_day():
    doc = parse_page(_page("status: verified\nverified_by: mvd\nverified_on: 2026-12-01\n"
                           "source_note: Отдельной страницы нет.\n"
                           "questions: [как получить, qalay alu]\n"), "pages/documents/7.ru.md")
    assert (doc.status, doc.verified_by, doc.verified_on) == ("verified", "mvd", "2026-12-01")
    assert doc.source_note == "Отдельной страницы нет."
    assert doc.questions == ("как получить", "qalay alu")
    draft = parse_page(_page("status: draft\n"), "pages/documents/7.ru.md")
    assert (draft.status, draft.verified_by, draft.verified_on) == ("draft", "", "")


@pytest.mark.parametrize(("extra", "field", "reason"), [
    ("status: verified\n", "verified_by", "names the agency"),
    ("status: verified\nverified_by: mvd\nverified_on: вчера\n", "verified_on", "YYYY-MM-DD"),
    ("status: draft\nverified_by: mvd\n", "verified_by", "only a page with status: verified"),
    ("status: checked\n", "status", "must be draft or verified"),
    ("status: draft\nquestions: как получить\n", "questions", "a list of questions"),
    ("status: draft\nsource_note: ''\n", "source_note", "must be text"),
])
def test_a_page_that_misstates_its_verification_is_refused(extra, field, reason):
    with pytest.raises(CorpusError) as err:
        parse_page(_page(extra), "pages/documents/7.ru.md")
    assert any(p.field == field and reason in p.reason for p in err.value.problems), \
        err.value.problems


def test_a_page_verified_by_an_unknown_agency_is_refused(knowledge):
    page = knowledge / "pages" / "documents" / "id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "status: draft", "status: verified\nverified_by: nobody\nverified_on: 2026-12-01"),
        encoding="utf-8")
    with pytest.raises(CorpusError, match=r"\[verified_by\] unknown agency 'nobody'"):
        load_knowledge(knowledge)


_YAML_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                         st.lists(st.one_of(st.text(max_size=20), st.integers()), max_size=4),
                         st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))


@given(status=_YAML_VALUES, by=_YAML_VALUES, on=_YAML_VALUES, note=_YAML_VALUES,
       questions=_YAML_VALUES)
def test_any_verification_fields_parse_or_are_refused_with_a_reason(status, by, on, note,
                                                                   questions):
    """Whatever a file puts in status, verified_by/on, source_note and questions,
    the page either loads with consistent fields or is refused naming a field."""
    fields = {"status": status, "verified_by": by, "verified_on": on, "source_note": note,
              "questions": questions}
    given_fields = {k: v for k, v in fields.items() if v is not None}
    extra = yaml.safe_dump(given_fields, allow_unicode=True) if given_fields else ""
    try:
        doc = parse_page(_page(extra), "pages/documents/7.ru.md")
    except CorpusError as err:
        assert err.problems and all(p.field for p in err.problems), err.problems
        return
    assert doc.status in ("draft", "verified")
    assert bool(doc.verified_by) == bool(doc.verified_on) == (doc.status == "verified")
    assert all(isinstance(q, str) and q for q in doc.questions)
