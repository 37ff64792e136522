"""Knowledge files as a reviewer broke them (2026-12-04): each mistake is a
problem with its file, line and field, never a bare exception, and never a
build that validates yet cannot be loaded."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from embeddings import (
    CorpusError,
    IndexCorrupt,
    IndexMismatch,
    build_index,
    load_index,
    load_knowledge,
    yamltext,
)
from embeddings import index as index_module
from embeddings.normalize import fold
from embeddings.pages import SECTION_CHARS, read_page

PAGE = "pages/documents/id-card.ru.md"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(knowledge: Path) -> dict[tuple[str, str], object]:
    with pytest.raises(CorpusError) as caught:
        load_knowledge(knowledge)
    return {(Path(p.path).name, p.field): p for p in caught.value.problems}


@pytest.mark.parametrize(("old", "new", "field", "reason"), [
    # an impossible date raised a bare ValueError naming no file
    ("updated: 2026-", "updated: 2026-02-30\nx_updated: 2026-", "updated", "not a date"),
    # a key given twice: the second silently won
    ("title: ", "title: Первый\ntitle: ", "", "given twice"),
    # yes/on are booleans in YAML, not words
    ("keywords: [", "keywords: [yes, ", "keywords", "list of words"),
])
def test_front_matter_mistakes_are_problems_of_the_page(knowledge, old, new, field, reason):
    _edit(knowledge / PAGE, old, new)
    problems = _problems(knowledge)
    found = problems[("id-card.ru.md", field)]
    assert reason in found.reason and found.line >= 2


def test_a_verification_date_with_a_time_is_refused(knowledge):
    # It validated as '2026-01-01T10:00:00', then crashed the audit and /review.
    _edit(knowledge / PAGE, "status: draft",
          "status: verified\nverified_by: mvd\nverified_on: 2026-01-01 10:00:00")
    assert "verified" in _problems(knowledge)[("id-card.ru.md", "verified_on")].reason


def test_a_category_without_its_names_is_refused_with_its_line(knowledge):
    # Such a catalogue published a build no instance could load.
    _edit(knowledge / "catalog.yaml", '  participation: {ru: "Участие в управлении", '
          'kk: "Басқаруға қатысу"}', "  participation: 5")
    problems = _problems(knowledge)
    found = problems[("catalog.yaml", "categories.participation")]
    assert found.line == 4 and "kk and ru names" in found.reason


@pytest.mark.parametrize(("old", "new", "field"), [
    ("  - id: id-card\n    category: documents", "  - id: [id-card]\n    category: documents",
     "topics[0].id"),
    ("  - id: polling-station\n    category: participation",
     "  - id: polling-station\n    category: [participation]", "polling-station.category"),
    ("  - id: id-card\n", "  - id: polling-station\n    category: documents\n"
     "  - id: id-card\n", "polling-station.id"),
])
def test_catalogue_entries_of_the_wrong_shape_are_problems(knowledge, old, new, field):
    _edit(knowledge / "catalog.yaml", old, new)
    assert ("catalog.yaml", field) in _problems(knowledge)


def test_an_out_of_scope_agency_that_is_a_list_is_a_problem(knowledge):
    (knowledge / "out_of_scope.yaml").write_text(
        "themes:\n  - id: weather\n    agency: [mvd]\n    title: {kk: Ауа райы, ru: Погода}\n"
        "    keywords: {kk: [ауа райы], ru: [погода]}\n", encoding="utf-8")
    assert "unknown agency" in _problems(knowledge)[("out_of_scope.yaml", "weather.agency")].reason


@pytest.mark.parametrize("name", ["agencies.yaml", "catalog.yaml", "synonyms.yaml"])
def test_an_empty_knowledge_file_is_a_problem(knowledge, name):
    # An empty agencies.yaml switched off the check of every page's agency.
    (knowledge / name).write_text("", encoding="utf-8")
    assert "file is empty" in _problems(knowledge)[(name, "")].reason


def test_no_pages_at_all_is_a_problem(knowledge):
    for path in (knowledge / "pages").rglob("*.md"):
        path.unlink()
    assert "no pages" in _problems(knowledge)[("pages", "")].reason


def test_editor_files_and_odd_entries_under_pages_are_left_alone(knowledge):
    folder = knowledge / "pages" / "documents"
    os.symlink(folder / "gone.md", folder / ".#id-card.ru.md")  # Emacs's lock: dangling
    (folder / "notes.md").mkdir()
    os.symlink(folder / "loop.md", folder / "loop.md")
    assert len(load_knowledge(knowledge).documents) == 6


def test_a_page_saved_with_a_byte_order_mark_loads(knowledge):
    path = knowledge / PAGE
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_knowledge(knowledge).document("id-card", "ru") is not None


def test_an_enormous_section_is_refused(knowledge):
    _edit(knowledge / PAGE, "## Документы\n", "## Документы\n" + "слово " * SECTION_CHARS)
    assert "split it" in _problems(knowledge)[("id-card.ru.md", "body")].reason


def test_synonym_problems_name_the_line_of_their_group(knowledge):
    path = knowledge / "synonyms.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "  - id: lonely\n    terms: [одно]\n", encoding="utf-8")
    found = _problems(knowledge)[("synonyms.yaml", "lonely.terms")]
    assert found.line == len(text.splitlines()) + 1


def test_a_build_that_cannot_be_loaded_is_never_published(knowledge, encoder, tmp_path,
                                                          monkeypatch):
    root = tmp_path / "index"
    good = build_index(load_knowledge(knowledge), encoder, root).build_id

    def unloadable(path, build_id, encoder):
        raise IndexCorrupt(f"{path}/extras.json: categories.x is int")

    monkeypatch.setattr(index_module, "_load", unloadable)
    with pytest.raises(IndexCorrupt, match="cannot be loaded, so it was not kept or published"):
        build_index(load_knowledge(knowledge), encoder, root)
    monkeypatch.undo()
    assert (root / "CURRENT").read_text().strip() == good
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [good]
    assert load_index(root, encoder).build_id == good


def test_a_build_of_another_schema_asks_for_a_rebuild(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    report = build_index(load_knowledge(knowledge), encoder, root)
    manifest = report.path / "manifest.json"
    old = json.loads(manifest.read_text())
    old["schema"] = 0
    del old["analyzer"]
    manifest.write_text(json.dumps(old))
    with pytest.raises(IndexMismatch, match=r"schema 0 .*Rebuild it with `saual index`"):
        load_index(root, encoder)


def test_invisible_characters_and_stress_marks_do_not_split_words():
    # «удосто\u00adверение» was two words and matched nothing (soft hyphens come
    # with text pasted from web pages).
    assert fold("Удосто\u00adверение лич\u200bности, ка\u0301к") == "удостоверение личности как"


def test_a_killed_builds_temporary_folder_is_removed_when_stale(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    stale, fresh = root / ".20260101T000000Z-dead.tmp", root / ".20261204T000000Z-busy.tmp"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "dense.faiss").write_bytes(b"half")
    old = time.time() - index_module.STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    build_index(load_knowledge(knowledge), encoder, root)
    assert not stale.exists() and fresh.exists()  # another build may be writing that one


_YAML_PIECES = st.sampled_from([
    "title: ", "updated: ", "2026-02-30", "2026-01-01 10:00:00", "2026-12-04", "yes", "on",
    "[", "]", "{", "}", ": ", "- ", "\n", "  ", "&a ", "*a", "!!python/object:os.system ",
    "? ", "|", ">", "'", '"', "#", "keywords: [", "id: id-card", "\t", "%YAML 1.1\n", "---\n",
])
_YAML_TEXT = st.one_of(st.text(), st.lists(st.one_of(_YAML_PIECES, st.text(max_size=4)),
                                           max_size=20).map("".join))


@given(_YAML_TEXT)
@example("[" * 3000 + "]" * 3000)
@example("a: 2026-02-30\nb: [x]\n")
def test_the_yaml_reader_only_ever_raises_a_yaml_error(text):
    # Before, a date like 2026-02-30 raised ValueError and deep nesting a
    # RecursionError, both with no file or line.
    with contextlib.suppress(yaml.YAMLError):
        yamltext.load(text)


@given(_YAML_TEXT)
def test_any_front_matter_is_a_page_or_problems_never_an_exception(front):
    problems: list = []
    page = read_page(f"---\n{front}\n---\n## Раздел\nТекст.\n", "pages/x/id-card.ru.md",
                     problems)
    assert page is not None or problems
